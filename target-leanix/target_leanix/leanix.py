"""SAP LeanIX over HTTP: MTM token, Integration API runs, GraphQL reads, retries.

Knows HTTP and LeanIX, nothing of Intacct. The API token and the access token never reach a log line or
an exception message: errors quote LeanIX's answer body, which never contains them.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import simplejson  # type: ignore[import-untyped]

LOGGER = logging.getLogger("target_leanix.leanix")

TOKEN_PATH = "/services/mtm/v1/oauth2/token"  # noqa: S105 - a path, not a secret
INTEGRATION_API = "/services/integration-api/v1"
GRAPHQL_PATH = "/services/pathfinder/v1/graphql"
FINAL_RUN_STATES = frozenset({"FINISHED", "FAILED", "STOPPED"})
RETRIABLE_STATUS = frozenset({500, 502, 503, 504})
#: Most bytes read from one LeanIX answer, counted after decompression. The largest answer the target
#: asks for is a page of 100 run warnings: 40 KB from the LeanIX sandbox with 160-character external IDs
#: (the demo company's runs warn of nothing; a processor configuration comes back as 6 KB, a token as
#: 1 KB). LeanIX's own warning texts may be longer than the sandbox's, so allow a hundred times the
#: largest page: a gzip answer that inflates without end stops here, after a few milliseconds.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
#: What one read asks urllib3 for. urllib3 (2.6 and later) inflates no more than this per read, so the
#: check after each read stops a gzip answer within a chunk of the cap.
READ_CHUNK_BYTES = 64 * 1024
#: Any longer error text is cut here: a line of log, not a page.
EXCERPT_CHARS = 500
#: A run of max_items_per_run (5000) items warns a few times per item at most (the LeanIX sandbox:
#: three per item when every spend point misses its service); far more means the answers are wrong.
MAX_RUN_WARNINGS = 50_000
#: Failures of the connection itself, while sending or while reading the answer: worth another try.
TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class LeanIXError(RuntimeError):
    """A LeanIX call failed for good; the message quotes LeanIX's own words."""


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be a LeanIX base URL, or None: https, or plain http to loopback only.

    The API token and every fact sheet travel to this address, so it must name one host plainly:
    nothing (user-info, query, fragment, backslash, whitespace) that parsers could read two ways.
    """
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return "may not contain whitespace or control characters"
    if "\\" in url:
        return "may not contain a backslash"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a URL"
    host = parts.hostname or ""
    if parts.scheme not in {"https", "http"} or not host or port == 0:
        return "must be the workspace URL, e.g. https://eu.leanix.net"
    if "@" in parts.netloc:
        return "may not contain user-info (user@ or user:password@)"
    if "?" in url or "#" in url:
        return "may not contain a query (?) or fragment (#)"
    if not _is_ip_address(host) and not all(
        ch.isascii() and (ch.isalnum() or ch in ".-") for ch in host
    ):
        return "must name its host with letters, digits, dots and hyphens (or an IP address)"
    if parts.scheme == "http" and not (host == "localhost" or _is_loopback_address(host)):
        return "must use https (plain http only to a loopback address such as 127.0.0.1)"
    return None


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback_address(host: str) -> bool:
    return _is_ip_address(host) and ipaddress.ip_address(host).is_loopback


class LeanIXRunFailedError(LeanIXError):
    """A synchronization run ended other than FINISHED (or with ERROR warnings): its messages."""

    def __init__(self, run_id: str, status: str, messages: list[str]) -> None:
        shown = "; ".join(message[:EXCERPT_CHARS] for message in messages[:5]) or "no message"
        more = f" (+{len(messages) - 5} more)" if len(messages) > 5 else ""
        super().__init__(f"LeanIX synchronization run {run_id} ended {status}: {shown}{more}")
        self.run_id = run_id
        self.status = status
        self.messages = messages


#: Defaults of the settings max_attempts, backoff_seconds and poll_interval_seconds (the target's
#: settings schema uses these).
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_BACKOFF_SECONDS = 0.5
DEFAULT_POLL_INTERVAL_SECONDS = 0.2


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, Retry-After honoured up to a cap, `max_tries` tries.

    The same policy as tap-sage-intacct's `gateway.connection.RetryPolicy`: change both together.
    The settings max_attempts and backoff_seconds set `max_tries` and `initial_wait`."""

    max_tries: int = DEFAULT_MAX_ATTEMPTS
    initial_wait: float = DEFAULT_BACKOFF_SECONDS
    max_wait: float = 30.0
    #: A Retry-After beyond this is not obeyed in full: a server cannot park the run for hours.
    max_retry_after_seconds: float = 120.0

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry `attempt` (0-based), never more than the two caps allow."""
        # Full jitter (random in [0, cap]) spreads retries of parallel clients; Retry-After is a
        # floor, itself capped. The exponent is bounded so a large max_tries cannot overflow.
        cap = max(0.0, min(self.max_wait, self.initial_wait * (2 ** min(attempt, 32))))
        delay = random.uniform(0, cap)  # noqa: S311 - jitter, not security
        return max(delay, min(retry_after or 0.0, self.max_retry_after_seconds))


def _no_netrc(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


@dataclass(frozen=True)
class Answer:
    """One LeanIX answer: its status, its Retry-After and its body (at most MAX_ANSWER_BYTES)."""

    status: int
    retry_after: str | None
    body: bytearray


@dataclass
class RunResult:
    """How a synchronization run ended: its final status and every warning it reported."""

    run_id: str
    status: str
    warnings: list[dict[str, Any]] = field(default_factory=list)
    items: int = 0


def dumps(payload: object) -> str:
    """JSON with Decimals as exact numbers (never via float)."""
    return str(simplejson.dumps(payload, use_decimal=True))


def loads(text: str) -> Any:  # noqa: ANN401 - arbitrary JSON
    """Parse LeanIX JSON with every number exact (Decimal, never float)."""
    return simplejson.loads(text, use_decimal=True)


class LeanIXClient:
    """HTTP to one LeanIX workspace: MTM token, Integration API runs, GraphQL; retried, capped."""

    def __init__(
        self,
        base_url: str,
        api_token: str,
        *,
        retry: RetryPolicy | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS,
        max_poll_interval: float = 5.0,
        run_timeout_seconds: float = 3600.0,
        timeout_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        problem = base_url_problem(base_url)
        if problem is not None:
            raise LeanIXError(f"LeanIX base URL {problem}")
        self.base_url = base_url.rstrip("/")
        self._api_token = api_token
        self.retry = retry or RetryPolicy()
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.run_timeout_seconds = run_timeout_seconds
        self.timeout_seconds = timeout_seconds
        self._sleep = sleep
        self._clock = clock
        self._session = requests.Session()
        # requests would put the Basic credentials of a ~/.netrc entry for the workspace's host in
        # place of our Authorization header (it reads ~/.netrc for a session without `auth`). A
        # do-nothing auth turns that lookup off; proxies from the environment keep working.
        self._session.auth = _no_netrc
        self._access_token: str | None = None
        self._token_renew_at = 0.0
        self.token_renewals = 0
        self.retries = 0

    def close(self) -> None:
        """Close the HTTP session and its pooled connections."""
        self._session.close()

    # -- token ------------------------------------------------------------------------------------

    def _token(self) -> str:
        if self._access_token is None or self._clock() >= self._token_renew_at:
            self._renew_token()
        assert self._access_token is not None  # noqa: S101 - set by _renew_token
        return self._access_token

    def _renew_token(self) -> None:
        answer = self._send(
            "POST",
            TOKEN_PATH,
            headers={"Authorization": f"Basic {self._basic_credentials()}"},
            data={"grant_type": "client_credentials"},
            authenticated=False,
        )
        if answer.status != 200:
            raise LeanIXError(
                f"LeanIX refused the API token at {self.base_url}{TOKEN_PATH}: "
                f"HTTP {answer.status} {self._excerpt(answer.body)}"
            )
        body = _json_or_none(answer.body)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise LeanIXError("LeanIX token endpoint answered without an access_token")
        expires_in = _token_lifetime(body.get("expires_in") if isinstance(body, dict) else None)
        # Renew a little early, as the psantos9/leanix-js client does (at expires_in - 10).
        self._access_token = token
        self._token_renew_at = self._clock() + max(expires_in - max(expires_in * 0.1, 10), 1)
        self.token_renewals += 1

    def _basic_credentials(self) -> str:
        return base64.b64encode(f"apitoken:{self._api_token}".encode()).decode("ascii")

    # -- transport --------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        body: str | None = None,
        params: dict[str, Any] | None = None,
        authenticated: bool = True,
    ) -> Answer:
        """One logical call: retries 429 (Retry-After), 5xx and broken connections; renews on 401.

        At most `max_tries` tries, plus one after renewing the token."""
        renewed_after_401 = False
        attempt = 0
        while True:
            request_headers = dict(headers or {})
            if authenticated:
                request_headers["Authorization"] = f"Bearer {self._token()}"
            if body is not None:
                request_headers["Content-Type"] = "application/json"
            try:
                answer = self._exchange(
                    method,
                    path,
                    headers=request_headers,
                    data=body if body is not None else data,
                    params=params,
                )
            except TRANSPORT_ERRORS as error:
                if attempt + 1 >= self.retry.max_tries:
                    raise LeanIXError(
                        f"LeanIX {method} {path} failed after {attempt + 1} attempts: "
                        f"{type(error).__name__}"
                    ) from None
                self._pause(attempt, f"{type(error).__name__} on {method} {path}", None)
                attempt += 1
                continue
            if answer.status == 401 and authenticated and not renewed_after_401:
                # The token expired early or was revoked: renew once, then retry
                # (https://docs-eam.leanix.net/reference/authentication-for-managing-api-tokens).
                LOGGER.info("LeanIX answered 401 on %s %s; renewing the access token", method, path)
                self._access_token = None
                renewed_after_401 = True
                continue
            if answer.status == 429 or answer.status in RETRIABLE_STATUS:
                if attempt + 1 >= self.retry.max_tries:
                    return answer
                self._pause(attempt, f"HTTP {answer.status} on {method} {path}", answer.retry_after)
                attempt += 1
                continue
            return answer

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        data: str | dict[str, str] | None,
        params: dict[str, Any] | None,
    ) -> Answer:
        """One HTTP request to base_url and its answer; a redirect is refused, never followed."""
        with self._session.request(
            method,
            f"{self.base_url}{path}",
            headers=headers,
            data=data,
            params=params,
            timeout=self.timeout_seconds,
            # Following a 307/308 would send the body (the API token's form, the LDIF) to whatever
            # host Location names: everything goes to base_url or nowhere.
            allow_redirects=False,
            # The body is read below, bounded, instead of whole by requests.
            stream=True,
        ) as response:
            if 300 <= response.status_code < 400:
                raise LeanIXError(
                    f"LeanIX {method} {path} answered HTTP {response.status_code}, a redirect to "
                    f"{_redirect_host(response.headers.get('Location'))}; the target sends its "
                    "token and data to base_url only and does not follow redirects"
                )
            return Answer(
                response.status_code,
                response.headers.get("Retry-After"),
                _read_body(response, f"{method} {path}", time.monotonic() + self.timeout_seconds),
            )

    def _pause(self, attempt: int, reason: str, retry_after: str | None) -> None:
        delay = self.retry.wait(attempt, _retry_after_seconds(retry_after))
        self.retries += 1
        LOGGER.warning("%s; retrying in %.1f s", reason, delay)
        self._sleep(delay)

    def _json_call(
        self,
        method: str,
        path: str,
        payload: object | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:  # noqa: ANN401 - arbitrary JSON answers
        attempt = 0
        while True:
            answer = self._send(
                method,
                path,
                body=None if payload is None else dumps(payload),
                params=params,
            )
            if answer.status >= 400:
                raise LeanIXError(
                    f"LeanIX {method} {path} failed: HTTP {answer.status} {self._excerpt(answer.body)}"
                )
            if answer.status == 204 or not answer.body:
                return None
            try:
                return loads(answer.body.decode("utf-8"))
            except ValueError:
                # A body cut off in transit. Every call we make is safe to repeat: reads, and
                # upserts keyed by external ID (a second synchronization run of one LDIF changes
                # nothing).
                if attempt + 1 >= self.retry.max_tries:
                    raise LeanIXError(
                        f"LeanIX {method} {path} answered {len(answer.body)} bytes that are "
                        f"not valid JSON, {attempt + 1} times"
                    ) from None
                self._pause(attempt, f"unparseable JSON answer on {method} {path}", None)
                attempt += 1

    def _excerpt(self, body: bytearray) -> str:
        """The start of an error answer as one printable line, with our own secrets masked."""
        text = body[: EXCERPT_CHARS * 4].decode("utf-8", "replace")
        for secret in (self._api_token, self._basic_credentials(), self._access_token):
            if secret:
                text = text.replace(secret, "***")
        printable = "".join(ch if ch.isprintable() else " " for ch in text)
        return " ".join(printable.split())[:EXCERPT_CHARS]

    # -- Integration API ----------------------------------------------------------------------------

    def put_configuration(self, configuration: dict[str, Any]) -> None:
        """Idempotent upsert of the processor configuration (PUT /configurations -> 204)."""
        self._json_call("PUT", f"{INTEGRATION_API}/configurations", configuration)

    def configurations(self, binding: dict[str, str]) -> list[dict[str, Any]]:
        """The processor configurations stored under these binding keys (GET /configurations)."""
        answer = self._json_call("GET", f"{INTEGRATION_API}/configurations", params=binding)
        return [c for c in answer or [] if isinstance(c, dict)]

    def start_run(self, ldif: dict[str, Any]) -> str:
        """Create and start a synchronization run of this LDIF; returns the run ID."""
        answer = self._json_call(
            "POST", f"{INTEGRATION_API}/synchronizationRuns", ldif, params={"start": "true"}
        )
        # The docs answer {"id": ...}, the OpenAPI document an array of status objects
        # (https://docs-eam.leanix.net/reference/integration-api).
        if isinstance(answer, list) and answer:
            answer = answer[0]
        if not isinstance(answer, dict) or not answer.get("id"):
            raise LeanIXError(f"LeanIX did not return a run id: {str(answer)[:300]}")
        return str(answer["id"])

    def wait_for_run(self, run_id: str) -> RunResult:
        """Poll the run to a final state; collect its warnings
        (https://docs-eam.leanix.net/reference/integration-api)."""
        interval = self.poll_interval
        deadline = time.monotonic() + self.run_timeout_seconds
        while True:
            status = self._json_call(
                "GET", f"{INTEGRATION_API}/synchronizationRuns/{run_id}/status"
            )
            if not isinstance(status, dict):
                status = {}  # no state to read: poll again, until the run's deadline
            state = str(status.get("status", ""))
            if state in FINAL_RUN_STATES:
                break
            if time.monotonic() > deadline:
                raise LeanIXError(
                    f"LeanIX synchronization run {run_id} still {state} after "
                    f"{self.run_timeout_seconds:.0f} s"
                )
            self._sleep(interval)
            interval = min(interval * 1.5, self.max_poll_interval)
        warnings = list(self.run_warnings(run_id))
        result = RunResult(run_id, state, warnings)
        if state != "FINISHED":
            messages = [str(w.get("message", "")) for w in warnings if w.get("message")]
            if status.get("message"):
                messages.insert(0, str(status["message"]))
            raise LeanIXRunFailedError(run_id, state, messages)
        return result

    def run_warnings(self, run_id: str, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """The run's warnings, page by page, up to MAX_RUN_WARNINGS."""
        for offset in range(0, MAX_RUN_WARNINGS, page_size):
            page = self._json_call(
                "GET",
                f"{INTEGRATION_API}/synchronizationRuns/{run_id}/warnings",
                params={"offset": offset, "limit": page_size},
            )
            if not isinstance(page, list) or not page:
                return
            yield from (warning for warning in page if isinstance(warning, dict))
            if len(page) < page_size:
                return
        raise LeanIXError(
            f"LeanIX synchronization run {run_id} reported more than {MAX_RUN_WARNINGS} warnings"
        )

    # -- GraphQL -------------------------------------------------------------------------------------

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a Pathfinder GraphQL answer; its errors (HTTP 200) raise LeanIXError."""
        answer = self._json_call(
            "POST", GRAPHQL_PATH, {"query": query, "variables": variables or {}}
        )
        if not isinstance(answer, dict):
            raise LeanIXError("LeanIX GraphQL answered without a JSON object")
        if answer.get("errors"):
            # GraphQL errors come back with HTTP 200, in `errors`.
            errors = answer["errors"] if isinstance(answer["errors"], list) else [answer["errors"]]
            messages = "; ".join(
                str(e.get("message", e) if isinstance(e, dict) else e)[:EXCERPT_CHARS]
                for e in errors[:3]
            )
            raise LeanIXError(f"LeanIX GraphQL error: {messages}")
        data = answer.get("data")
        return data if isinstance(data, dict) else {}

    def fact_sheets_by_external_ids(self, external_ids: list[str]) -> dict[str, dict[str, Any]]:
        """externalId -> {id, type, name} for those that exist (the `externalId/<value>` filter)."""
        found: dict[str, dict[str, Any]] = {}
        query = (
            "query($filter: FilterInput, $after: String) { allFactSheets(first: 500, after: $after, "
            "filter: $filter) { pageInfo { hasNextPage endCursor } edges { node { id type name "
            "... on Application { externalId { externalId } } ... on ITComponent { externalId "
            "{ externalId } } ... on Provider { externalId { externalId } } ... on UserGroup "
            "{ externalId { externalId } } } } } }"
        )
        for start in range(0, len(external_ids), 200):
            chunk = external_ids[start : start + 200]
            after: str | None = None
            # Each page brings at least one of the chunk's fact sheets, or the answers are wrong.
            for _page in range(len(chunk)):
                data = self.graphql(
                    query,
                    {"filter": {"externalIds": [f"externalId/{e}" for e in chunk]}, "after": after},
                )
                page = data.get("allFactSheets") or {}
                for edge in page.get("edges") or []:
                    node = edge.get("node") or {}
                    external = (node.get("externalId") or {}).get("externalId")
                    if external:
                        found[str(external)] = node
                info = page.get("pageInfo") or {}
                if not info.get("hasNextPage"):
                    break
                after = info.get("endCursor")
            else:
                raise LeanIXError("LeanIX GraphQL kept announcing more pages of fact sheets")
        return found

    def lifecycles(self, external_ids: list[str]) -> dict[str, dict[str, str]]:
        """Application externalId -> {phase: startDate} of the lifecycle LeanIX holds (Pathfinder
        GraphQL `lifecycle { phases { phase startDate } }`); an Application without one maps to {}."""
        found: dict[str, dict[str, str]] = {}
        query = (
            "query($filter: FilterInput, $after: String) { allFactSheets(first: 500, after: $after, "
            "filter: $filter) { pageInfo { hasNextPage endCursor } edges { node { id type "
            "... on Application { externalId { externalId } lifecycle { phases { phase startDate } "
            "} } } } } }"
        )
        for start in range(0, len(external_ids), 200):
            chunk = external_ids[start : start + 200]
            after: str | None = None
            for _page in range(len(chunk)):
                data = self.graphql(
                    query,
                    {
                        "filter": {
                            "facetFilters": [
                                {"facetKey": "FactSheetTypes", "keys": ["Application"]}
                            ],
                            "externalIds": [f"externalId/{e}" for e in chunk],
                        },
                        "after": after,
                    },
                )
                page = data.get("allFactSheets") or {}
                for edge in page.get("edges") or []:
                    node = edge.get("node") or {}
                    external = (node.get("externalId") or {}).get("externalId")
                    if not external:
                        continue
                    phases = (node.get("lifecycle") or {}).get("phases") or []
                    found[str(external)] = {
                        str(p["phase"]): str(p["startDate"])[:10]
                        for p in phases
                        if isinstance(p, dict) and p.get("phase") and p.get("startDate")
                    }
                info = page.get("pageInfo") or {}
                if not info.get("hasNextPage"):
                    break
                after = info.get("endCursor")
            else:
                raise LeanIXError("LeanIX GraphQL kept announcing more pages of fact sheets")
        return found


def _read_body(response: requests.Response, call: str, deadline: float) -> bytearray:
    """The answer's body after decompression, refused once it passes MAX_ANSWER_BYTES.

    A declared Content-Length over the cap is refused before reading anything; otherwise the body
    grows chunk by chunk in one buffer (never a list of chunks joined, which holds it twice). The
    timeout bounds each socket read; `deadline` bounds the whole body, so a server dripping bytes
    just inside the timeout is retried like any other timeout instead of holding the run."""
    too_big = (
        f"LeanIX {call} answered more than {MAX_ANSWER_BYTES // (1024 * 1024)} MiB "
        "(after decompression), more than any answer the target expects; refused"
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared[:18]) > MAX_ANSWER_BYTES:
        raise LeanIXError(too_big)
    body = bytearray()
    with _body_deadline(response, deadline) as cut:
        try:
            for chunk in response.iter_content(READ_CHUNK_BYTES):
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise LeanIXError(too_big)
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            if cut.is_set():
                raise requests.Timeout(
                    f"LeanIX {call}: the answer was still arriving at the time limit"
                ) from error
            raise
    return body


@contextmanager
def _body_deadline(response: requests.Response, deadline: float) -> Iterator[threading.Event]:
    """Cut the body off at `deadline`; the event tells whether that happened.

    urllib3 reads until a chunk is full, so a check between chunks would come too late. A timer
    shuts the socket down for reading instead, which ends a read blocked in another thread."""
    cut = threading.Event()

    def shut() -> None:
        cut.set()
        with suppress(ValueError, RuntimeError, OSError):  # closed or released
            response.raw.shutdown()

    timer = threading.Timer(max(deadline - time.monotonic(), 0.0), shut)
    timer.daemon = True
    timer.start()
    try:
        yield cut
    finally:
        timer.cancel()


def _json_or_none(body: bytearray) -> Any:  # noqa: ANN401 - arbitrary JSON
    try:
        return loads(body.decode("utf-8"))
    except ValueError:
        return None


def _token_lifetime(expires_in: object) -> float:
    """Seconds the access token lives: LeanIX's expires_in, or an hour when that is no usable number."""
    try:
        seconds = float(expires_in)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 3600.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 3600.0


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds, or None when it is absent, an HTTP-date, negative or not a number.

    NaN has to be caught here: min() and max() pass it through, and sleeping NaN seconds fails."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    if math.isnan(seconds) or seconds < 0:
        return None
    return seconds


def _redirect_host(location: str | None) -> str:
    """The host a redirect names, for an error line: never its path or query (they may carry data)."""
    try:
        host = urlsplit(location or "").hostname
    except ValueError:
        host = None
    if not host:
        return "a path on the same host" if location else "nowhere (no Location)"
    if not all(ch.isascii() and (ch.isalnum() or ch in ".-:") for ch in host):
        return "a host with unusual characters"
    return f"host {host[:100]}"

"""HTTP transport, retries and sessions: everything the tap sends goes through `IntacctConnection`.

`IntacctConnection.call` owns the session (one `getAPISession` per entity per run, renewed on
"Invalid session"), follows the endpoint the session names (only to api_url's origin or https on a
Sage Intacct host), honours the per-company concurrency limit, bounds every answer in size and time,
and retries every transient failure with exponential backoff and full jitter.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from tap_sage_intacct.gateway.errors import (
    REFUSED,
    AuthenticationError,
    FatalError,
    PermissionDeniedError,
    RetryableError,
    SessionExpiredError,
    classify_errors,
    unreachable_error,
)
from tap_sage_intacct.gateway.functions import (
    envelope,
    fn_get_api_session,
    function_name,
    login_block,
    session_block,
)
from tap_sage_intacct.gateway.parsing import (
    MAX_RESPONSE_BYTES,
    FunctionResult,
    GatewayResponse,
    RowSink,
    parse_xml,
    parse_xml_streaming,
    read_response,
)

LOGGER = logging.getLogger("tap_sage_intacct.gateway")

DEFAULT_API_URL = "https://api.intacct.com/ia/xml/xmlgw.phtml"
#: Refresh a session this long before it times out (at most a tenth of its lifetime).
SESSION_REFRESH_MARGIN = timedelta(minutes=2)
#: When every try so far was refused (`errors.REFUSED`), the run stops after REFUSED_TRIES tries,
#: REFUSED_WAIT_SECONDS apart at most; timeouts, 5xx and dropped connections keep the full policy.
REFUSED_TRIES = 3
REFUSED_WAIT_SECONDS = 1.0

_XML_HEADERS = {
    "Content-Type": "application/xml",
    "Accept-Encoding": "gzip,deflate",
    "Accept": "application/xml, text/xml",
}


@dataclass(frozen=True)
class Credentials:
    """Web Services sender and company user credentials; `repr` hides both passwords."""

    sender_id: str
    sender_password: str
    user_id: str
    user_password: str
    company_id: str

    def __repr__(self) -> str:  # never print the passwords, even in a debugger or a traceback
        return f"Credentials(sender_id={self.sender_id!r}, user_id={self.user_id!r}, company_id={self.company_id!r})"


#: Defaults of the settings max_tries, retry_wait_seconds and request_timeout_seconds (the tap's
#: settings schema uses these).
DEFAULT_MAX_TRIES = 8
DEFAULT_RETRY_WAIT_SECONDS = 1.0
DEFAULT_REQUEST_TIMEOUT_SECONDS = 300


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, Retry-After honoured up to a cap, `max_tries` tries.

    The same policy as target-leanix's `leanix.RetryPolicy`: change both together.
    The settings max_tries and retry_wait_seconds set `max_tries` and `initial_wait`."""

    max_tries: int = DEFAULT_MAX_TRIES
    initial_wait: float = DEFAULT_RETRY_WAIT_SECONDS
    max_wait: float = 60.0
    #: A Retry-After beyond this is not obeyed in full: a server cannot park the run for hours.
    max_retry_after_seconds: float = 120.0

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry `attempt` (0-based), never more than the two caps allow."""
        # Full jitter (random in [0, cap]) spreads retries of parallel clients; Retry-After is a
        # floor, itself capped. The exponent is bounded so a large max_tries cannot overflow.
        cap = max(0.0, min(self.max_wait, self.initial_wait * (2 ** min(attempt, 32))))
        delay = random.uniform(0, cap)  # noqa: S311 - jitter, not security
        return max(delay, min(retry_after or 0.0, self.max_retry_after_seconds))


def gateway_session() -> requests.Session:
    """The HTTP session for the gateway: our User-Agent, and no credentials from ~/.netrc."""
    session = requests.Session()
    session.headers["User-Agent"] = "tap-sage-intacct"
    # requests adds the Basic credentials of a ~/.netrc entry for the host to any request of a
    # session without `auth`. The gateway's credentials travel in the XML body; a netrc password
    # must not travel beside them. A do-nothing auth turns that lookup off and keeps proxies working.
    session.auth = _no_netrc
    return session


def _no_netrc(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


@dataclass
class CallStats:
    """What a run cost: HTTP requests, function calls by name, logins and retries by reason."""

    requests: int = 0
    logins: int = 0
    functions: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """A consistent snapshot of the counters, taken under the lock, for logging."""
        with self.lock:
            return {
                "requests": self.requests,
                "logins": self.logins,
                "functions": dict(self.functions),
                "retries": dict(self.retries),
            }


_T = TypeVar("_T")


@dataclass(frozen=True)
class FetchedAnswer:
    """A downloaded, not yet parsed answer, and what is needed to resend its request."""

    functions: tuple[str, ...]
    where: str
    content: bytes = field(repr=False)
    sent_at: float
    session_id: str = field(repr=False)


class Origin(NamedTuple):
    """Where a request goes: scheme, host and effective port, as the HTTP client connects."""

    scheme: str
    host: str
    port: int


#: Characters on which URL parsers disagree about where the host ends (user-info, backslash).
_AMBIGUOUS_URL_CHARS = frozenset("\\@ ")
_MAX_URL_LENGTH = 2048
_INTACCT_DOMAIN = ".intacct.com"
_HOST_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")


def gateway_origin(url: str) -> Origin | None:
    """The origin requests/urllib3 will send `url` to; None for anything but a plain http(s) URL.

    The URL is prepared exactly as `requests` prepares it and the result parsed as urllib3 parses
    it when picking the connection, so the origin compared is the one that receives the body.
    User-info, backslashes, whitespace, control and non-ASCII characters are refused outright.
    """
    if len(url) > _MAX_URL_LENGTH or not url.isascii() or not url.isprintable():
        return None
    if _AMBIGUOUS_URL_CHARS.intersection(url):
        return None
    try:
        prepared = requests.PreparedRequest()
        prepared.prepare_url(url, None)
        parts = parse_url(prepared.url or "")
    except (requests.RequestException, LocationParseError, ValueError):
        return None
    if parts.scheme not in ("http", "https") or not parts.host or parts.auth:
        return None
    default_port = 443 if parts.scheme == "https" else 80
    return Origin(parts.scheme, parts.host, default_port if parts.port is None else parts.port)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: the only hosts plain http may reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_intacct_origin(origin: Origin) -> bool:
    name = origin.host
    return (
        origin.scheme == "https"
        and origin.port == 443
        and name.endswith(_INTACCT_DOMAIN)
        and _HOST_NAME_CHARS.issuperset(name)
        and all(name.split("."))
    )


def _allowed_endpoint(api_url: str, endpoint: str) -> bool:
    """Follow the session endpoint only to api_url's own origin or to https on a Sage Intacct host."""
    offered = gateway_origin(endpoint)
    if offered is None:
        return False
    return offered == gateway_origin(api_url) or _is_intacct_origin(offered)


def _host_of(url: str) -> str:
    """The host (and port) a URL names, quoted for an error message: never its path or query."""
    try:
        parts = parse_url(url)
    except (LocationParseError, ValueError):
        return "(unreadable)"
    host = parts.host or ""
    if not host or len(host) > 253 or not all(c.isascii() and c.isprintable() for c in host):
        return "(none)" if not host else "(unreadable)"
    return repr(host if parts.port is None else f"{host}:{parts.port}")


@contextmanager
def _body_deadline(response: requests.Response, deadline: float) -> Iterator[threading.Event]:
    """Cut the body off at `deadline`; the event tells whether that happened.

    urllib3 reads until a chunk is full, so a check between chunks would come too late. A timer
    shuts the socket down for reading instead, which ends a read blocked in another thread."""
    cut = threading.Event()

    def shut() -> None:
        cut.set()
        with suppress(ValueError, RuntimeError, OSError):  # already closed or released
            response.raw.shutdown()

    timer = threading.Timer(max(deadline - time.monotonic(), 0.0), shut)
    timer.daemon = True
    timer.start()
    try:
        yield cut
    finally:
        timer.cancel()


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After in delta-seconds (RFC 9110 §10.2.3); an HTTP-date or anything else is None."""
    value = (response.headers.get("Retry-After") or "").strip()
    # float() of a long digit string is inf, never an error: RetryPolicy caps it.
    return float(value) if value.isascii() and value.isdigit() else None


class IntacctConnection:
    """One API session (one entity, or the top level) shared by every stream of a run."""

    def __init__(
        self,
        credentials: Credentials,
        api_url: str,
        *,
        entity_id: str = "",
        http: requests.Session,
        concurrency: threading.BoundedSemaphore,
        retry: RetryPolicy,
        stats: CallStats,
        timeout: float = DEFAULT_REQUEST_TIMEOUT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credentials = credentials
        self.api_url = api_url
        self.entity_id = entity_id
        self.http = http
        self.concurrency = concurrency
        self.retry = retry
        self.stats = stats
        self.timeout = timeout
        self.sleep = sleep
        self.session_id = ""
        self.endpoint = api_url
        self.session_deadline: float | None = None
        self.session_timestamp: datetime | None = None
        self._lock = threading.Lock()

    @property
    def label(self) -> str:
        """`entity X` or `top level`, for log lines and error messages."""
        return f"entity {self.entity_id}" if self.entity_id else "top level"

    # -- transport ------------------------------------------------------------------------------

    def _post(self, url: str, body: bytes, where: str) -> bytes:
        """One HTTP POST. Raises RetryableError for every transient transport failure."""
        with self.concurrency:
            with self.stats.lock:
                self.stats.requests += 1
            try:
                # Never follow a redirect: it would resend the passwords or the session id to
                # whatever host `Location` names.
                response = self.http.post(
                    url,
                    data=body,
                    headers=_XML_HEADERS,
                    timeout=self.timeout,
                    stream=True,
                    allow_redirects=False,
                )
            except requests.Timeout as exc:
                raise RetryableError(f"{where}: gateway timed out", reason="timeout") from exc
            except requests.ConnectionError as exc:
                raise unreachable_error(where, url, exc) from exc
            if 300 <= response.status_code < 400:
                response.close()
                raise FatalError(
                    f"{where}: HTTP {response.status_code} redirect to host "
                    f"{_host_of(response.headers.get('Location', ''))} refused; the tap never "
                    "follows redirects (set api_url to the gateway itself)"
                )
            try:
                content = self._read_bounded(response, where, time.monotonic() + self.timeout)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                raise RetryableError(
                    f"{where}: connection dropped mid-body", reason="connection"
                ) from exc
            finally:
                response.close()
        status = response.status_code
        if status == 429:
            raise RetryableError(
                f"{where}: HTTP 429 rate limited (GW-0010)",
                retry_after=_retry_after(response),
                reason="http_429",
            )
        if status >= 500:
            # 5xx and 524 (CDN gave up while Intacct kept working): reads are idempotent, resend.
            page = content[:512].lstrip().lower().startswith((b"<!doctype html", b"<html"))
            kind = "an HTML (CDN) page" if page else "no XML"
            raise RetryableError(
                f"{where}: HTTP {status} from the gateway with {kind}",
                retry_after=_retry_after(response),
                reason="html" if page else ("http_524" if status == 524 else "http_5xx"),
            )
        if status >= 400 and b"<response" not in content[:4096]:
            raise FatalError(f"{where}: HTTP {status} from the gateway without an XML error body")
        # 4xx with an XML body is a parseable error answer, as the official Intacct SDKs read it.
        return content

    @staticmethod
    def _read_bounded(response: requests.Response, where: str, deadline: float) -> bytes:
        """The decoded body, refused once it would pass MAX_RESPONSE_BYTES (or is declared to).

        The request timeout bounds each socket read; `deadline` bounds the whole body, so a server
        that drips bytes just inside the timeout cannot hold the run either."""
        limit = MAX_RESPONSE_BYTES
        declared = response.headers.get("Content-Length", "").strip()
        too_long = len(declared) > 18  # int() of an absurd digit string is refused unparsed
        if declared.isascii() and declared.isdigit() and (too_long or int(declared) > limit):
            raise FatalError(
                f"{where}: the gateway announced more than the {limit}-byte answer limit; refused"
            )
        # urllib3 2 bounds each read by decoded bytes, so a gzip bomb stops at the limit as well.
        # BytesIO hands its own buffer to getvalue(): the body is never held twice.
        body = io.BytesIO()
        with _body_deadline(response, deadline) as cut:
            try:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    if body.tell() + len(chunk) > limit:
                        raise FatalError(f"{where}: answer exceeds the {limit}-byte limit; refused")
                    body.write(chunk)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                if cut.is_set():
                    raise RetryableError(
                        f"{where}: the answer took longer than request_timeout_seconds to arrive",
                        reason="timeout",
                    ) from exc
                raise
        return body.getvalue()

    def _send(
        self,
        url: str,
        authentication: str,
        functions: Sequence[str],
        where: str,
        sink: RowSink | None = None,
    ) -> GatewayResponse:
        sent_at = time.monotonic()
        content = self._post(url, self._envelope(authentication, functions), where)
        return self._read(content, sent_at, where, sink)

    def _envelope(self, authentication: str, functions: Sequence[str]) -> bytes:
        return envelope(
            sender_id=self.credentials.sender_id,
            sender_password=self.credentials.sender_password,
            authentication=authentication,
            functions=functions,
        )

    def _read(
        self, content: bytes, sent_at: float, where: str, sink: RowSink | None
    ) -> GatewayResponse:
        root = parse_xml(content) if sink is None else parse_xml_streaming(content, sink)
        response = read_response(root, where)
        if response.session_timeout is not None and response.session_timestamp is not None:
            # Each call resets the session timeout
            # (https://developer.intacct.com/api/company-console/api-sessions/). Keep the remaining
            # lifetime on our monotonic clock: the gateway's clock and ours need not agree.
            remaining = (response.session_timeout - response.session_timestamp).total_seconds()
            margin = min(SESSION_REFRESH_MARGIN.total_seconds(), remaining / 10)
            self.session_deadline = sent_at + remaining - margin
        return response

    # -- session --------------------------------------------------------------------------------

    def _login(self) -> None:
        creds = self.credentials
        auth = login_block(creds.user_id, creds.company_id, creds.user_password, self.entity_id)
        where = f"getAPISession ({self.label})"
        # "Please Try Again Later" on getAPISession itself is as transient as on any read.
        response = self._with_retries(
            lambda: self._retry_result_level(
                self._send(self.api_url, auth, [fn_get_api_session()], where), where
            ),
            where,
        )
        with self.stats.lock:
            self.stats.logins += 1
            self.stats.functions["getAPISession"] += 1
        result = response.results[0] if response.results else None
        if result is None:
            raise RetryableError(f"{where}: no result in the answer")
        if not result.ok:
            # A refused login is never a permission problem to skip: the whole run depends on it.
            error = classify_errors("result", result.errors, where)
            if isinstance(error, PermissionDeniedError):
                raise AuthenticationError(error.message, error.errors)
            raise error
        api = result.data.find("api") if result.data is not None else None
        session_id = (api.findtext("sessionid") if api is not None else None) or ""
        if not session_id:
            raise FatalError(f"{where}: the gateway returned no session id")
        endpoint = ((api.findtext("endpoint") if api is not None else None) or "").strip()
        if endpoint and not _allowed_endpoint(self.api_url, endpoint):
            # A gateway that sends the session elsewhere is not trustworthy: stop, don't fall back.
            raise FatalError(
                f"{where}: the session endpoint names host {_host_of(endpoint)}, neither api_url's "
                "origin nor https on a Sage Intacct host; refused"
            )
        self.endpoint = endpoint or self.api_url
        self.session_id = session_id
        self.session_timestamp = response.session_timestamp
        LOGGER.info("Logged in to Intacct (%s)", self.label)

    def ensure_session(self) -> None:
        """Log in again (`getAPISession`) if there is no session yet or its timeout has passed."""
        with self._lock:
            stale = self.session_deadline is not None and time.monotonic() >= self.session_deadline
            if not self.session_id or stale:
                self._login()

    def _renew(self, expired_id: str) -> None:
        with self._lock:
            if self.session_id == expired_id:  # another thread may have renewed already
                LOGGER.info("Intacct session expired (%s); logging in again", self.label)
                self.session_id = ""
                self._login()

    # -- calls ------------------------------------------------------------------------------

    def _with_retries(self, attempt: Callable[[], _T], where: str) -> _T:
        tries = 0
        refused_only = True
        while True:
            try:
                return attempt()
            except RetryableError as exc:
                tries += 1
                self._count_retry(exc)
                refused_only = refused_only and exc.reason == REFUSED
                # Nothing listening is not a hiccup: a few quick tries tell a restarting gateway
                # from a wrong api_url, and the run ends in seconds, not after the full backoff.
                limit = min(self.retry.max_tries, REFUSED_TRIES) if refused_only else None
                if tries >= (limit or self.retry.max_tries):
                    # Name the request once: most messages already start with it, parse errors don't.
                    said = exc.message
                    if not said.startswith(f"{where}: "):
                        said = f"{where}: {said}"
                    raise RetryableError(
                        f"{said}; gave up after {tries} {_plural(tries, 'try', 'tries')}",
                        exc.errors,
                    ) from exc
                self._back_off(exc, where, tries, quick=refused_only)

    def _count_retry(self, exc: RetryableError) -> None:
        with self.stats.lock:
            self.stats.retries[exc.reason or "other"] += 1

    def _back_off(
        self, exc: RetryableError, where: str, tries: int, *, quick: bool = False
    ) -> None:
        delay = self.retry.wait(tries - 1, exc.retry_after)
        retries = self.retry.max_tries - 1
        if quick:
            delay = min(delay, REFUSED_WAIT_SECONDS)
            retries = min(self.retry.max_tries, REFUSED_TRIES) - 1
        with self.stats.lock:
            first_of_its_kind = self.stats.retries[exc.reason or "other"] <= 1
        # One WARNING per cause and run; its repeats are INFO, and the run's totals count them all.
        LOGGER.log(
            logging.WARNING if first_of_its_kind else logging.INFO,
            "%s: transient failure (%s); retry %d of %d in %.2f s",
            where,
            exc.message.split(": ", 1)[-1][:160],
            tries,
            retries,
            delay,
        )
        self.sleep(delay)

    def call(
        self, functions: Sequence[str], where: str, sink: RowSink | None = None
    ) -> list[FunctionResult]:
        """Send functions in one request with the session; return their results in order.

        Transport and gateway-level failures are retried; function-level failures are returned in
        the results for the caller to classify (one request can mix successes and failures).
        With a `sink`, the first result's rows are streamed to it instead of kept in the tree.
        """
        self.ensure_session()
        renewed = False
        while True:
            session_id = self.session_id

            def attempt(session_id: str = session_id) -> GatewayResponse:
                auth = session_block(session_id)
                sent = self._send(self.endpoint, auth, functions, where, sink)
                return self._retry_result_level(sent, where)

            try:
                response = self._with_retries(attempt, where)
            except SessionExpiredError:
                if renewed:
                    raise
                renewed = True
                with self.stats.lock:
                    self.stats.retries["session_expired"] += 1
                self._renew(session_id)
                continue
            self._count_functions(functions)
            return response.results

    def _count_functions(self, functions: Sequence[str]) -> None:
        with self.stats.lock:
            for fn in functions:
                self.stats.functions[function_name(fn)] += 1

    def fetch(self, functions: Sequence[str], where: str) -> FetchedAnswer:
        """Send functions and download the answer without parsing it (transport retries only).

        A prefetch thread then holds bytes, not a tree; `complete` parses them later on the
        caller's side, streaming rows to a sink.
        """
        self.ensure_session()
        session_id = self.session_id

        def attempt() -> tuple[bytes, float]:
            sent_at = time.monotonic()
            body = self._envelope(session_block(session_id), functions)
            return self._post(self.endpoint, body, where), sent_at

        content, sent_at = self._with_retries(attempt, where)
        return FetchedAnswer(tuple(functions), where, content, sent_at, session_id)

    def complete(self, fetched: FetchedAnswer, sink: RowSink | None = None) -> list[FunctionResult]:
        """Parse a fetched answer. What `call` would retry (a truncated or refused body, "Please
        Try Again Later", an expired session) is handled as `call` handles it: back off (or log in
        again) and resend through `call`, with its own retry budget."""
        where = fetched.where
        try:
            response = self._read(fetched.content, fetched.sent_at, where, sink)
            self._retry_result_level(response, where)
        except SessionExpiredError:
            with self.stats.lock:
                self.stats.retries["session_expired"] += 1
            self._renew(fetched.session_id)
            return self.call(fetched.functions, where, sink)
        except RetryableError as exc:
            self._count_retry(exc)
            self._back_off(exc, where, 1)
            return self.call(fetched.functions, where, sink)
        self._count_functions(fetched.functions)
        return response.results

    @staticmethod
    def _retry_result_level(response: GatewayResponse, where: str) -> GatewayResponse:
        # A function result that is transient ("Please Try Again Later") retries the whole
        # request: the functions are reads, so resending them is safe.
        for result in response.results:
            if not result.ok:
                error = classify_errors("result", result.errors, where)
                if isinstance(error, RetryableError):
                    raise error
        return response

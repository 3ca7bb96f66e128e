"""SAP LeanIX over HTTP: MTM token, Integration API runs, GraphQL reads, retries.

Knows HTTP and LeanIX, nothing of Intacct. The API token and the access token never reach a log line or
an exception message: errors quote LeanIX's answer body, which never contains them.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
import simplejson  # type: ignore[import-untyped]

LOGGER = logging.getLogger("target_leanix.leanix")

TOKEN_PATH = "/services/mtm/v1/oauth2/token"  # noqa: S105 - a path, not a secret
INTEGRATION_API = "/services/integration-api/v1"
GRAPHQL_PATH = "/services/pathfinder/v1/graphql"
FINAL_RUN_STATES = frozenset({"FINISHED", "FAILED", "STOPPED"})
RETRIABLE_STATUS = frozenset({500, 502, 503, 504})


class LeanIXError(RuntimeError):
    """A LeanIX call failed for good; the message quotes LeanIX's own words."""


class LeanIXRunFailedError(LeanIXError):
    def __init__(self, run_id: str, status: str, messages: list[str]) -> None:
        shown = "; ".join(messages[:5]) or "no message"
        more = f" (+{len(messages) - 5} more)" if len(messages) > 5 else ""
        super().__init__(f"LeanIX synchronization run {run_id} ended {status}: {shown}{more}")
        self.run_id = run_id
        self.status = status
        self.messages = messages


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    max_retry_after_seconds: float = 120.0

    def backoff(self, attempt: int) -> float:
        return float(min(self.backoff_seconds * (2**attempt), self.max_backoff_seconds))


@dataclass
class RunResult:
    run_id: str
    status: str
    warnings: list[dict[str, Any]] = field(default_factory=list)
    items: int = 0


def dumps(payload: object) -> str:
    """JSON with Decimals as exact numbers (never via float)."""
    return str(simplejson.dumps(payload, use_decimal=True))


def loads(text: str) -> Any:  # noqa: ANN401 - arbitrary JSON
    return simplejson.loads(text, use_decimal=True)


class LeanIXClient:
    def __init__(
        self,
        base_url: str,
        api_token: str,
        *,
        retry: RetryPolicy | None = None,
        poll_interval: float = 0.2,
        max_poll_interval: float = 5.0,
        run_timeout_seconds: float = 3600.0,
        timeout_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
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
        self._access_token: str | None = None
        self._token_renew_at = 0.0
        self.token_renewals = 0
        self.retries = 0

    def close(self) -> None:
        self._session.close()

    # -- token ------------------------------------------------------------------------------------

    def _token(self) -> str:
        if self._access_token is None or self._clock() >= self._token_renew_at:
            self._renew_token()
        assert self._access_token is not None  # noqa: S101 - set by _renew_token
        return self._access_token

    def _renew_token(self) -> None:
        basic = base64.b64encode(f"apitoken:{self._api_token}".encode()).decode("ascii")
        response = self._send(
            "POST",
            TOKEN_PATH,
            headers={"Authorization": f"Basic {basic}"},
            data={"grant_type": "client_credentials"},
            authenticated=False,
        )
        if response.status_code != 200:
            raise LeanIXError(
                f"LeanIX refused the API token at {self.base_url}{TOKEN_PATH}: "
                f"HTTP {response.status_code} {_excerpt(response)}"
            )
        body = response.json()
        token = body.get("access_token")
        if not token:
            raise LeanIXError("LeanIX token endpoint answered without an access_token")
        expires_in = float(body.get("expires_in") or 3600)
        # Renew a little early (psantos9/leanix-js renews at expires_in-10): leanix-api.md §1.
        self._access_token = str(token)
        self._token_renew_at = self._clock() + max(expires_in - max(expires_in * 0.1, 10), 1)
        self.token_renewals += 1

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
    ) -> requests.Response:
        """One logical call: retries 429 (Retry-After), 5xx and broken connections; renews on 401."""
        renewed_after_401 = False
        attempt = 0
        while True:
            request_headers = dict(headers or {})
            if authenticated:
                request_headers["Authorization"] = f"Bearer {self._token()}"
            if body is not None:
                request_headers["Content-Type"] = "application/json"
            try:
                response = self._session.request(
                    method,
                    f"{self.base_url}{path}",
                    headers=request_headers,
                    data=body if body is not None else data,
                    params=params,
                    timeout=self.timeout_seconds,
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                if attempt + 1 >= self.retry.max_attempts:
                    raise LeanIXError(
                        f"LeanIX {method} {path} failed after {attempt + 1} attempts: "
                        f"{type(error).__name__}"
                    ) from None
                self._pause(attempt, f"{type(error).__name__} on {method} {path}", None)
                attempt += 1
                continue
            if response.status_code == 401 and authenticated and not renewed_after_401:
                # The token expired early or was revoked: renew once, then retry (leanix-api.md §1).
                LOGGER.info("LeanIX answered 401 on %s %s; renewing the access token", method, path)
                self._access_token = None
                renewed_after_401 = True
                continue
            if response.status_code == 429 or response.status_code in RETRIABLE_STATUS:
                if attempt + 1 >= self.retry.max_attempts:
                    return response
                self._pause(
                    attempt,
                    f"HTTP {response.status_code} on {method} {path}",
                    response.headers.get("Retry-After"),
                )
                attempt += 1
                continue
            return response

    def _pause(self, attempt: int, reason: str, retry_after: str | None) -> None:
        delay = self.retry.backoff(attempt)
        if retry_after:
            # An HTTP-date Retry-After is not a number: fall back to our own backoff then.
            with contextlib.suppress(ValueError):
                delay = min(max(float(retry_after), 0.0), self.retry.max_retry_after_seconds)
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
            response = self._send(
                method,
                path,
                body=None if payload is None else dumps(payload),
                params=params,
            )
            if response.status_code >= 400:
                raise LeanIXError(
                    f"LeanIX {method} {path} failed: HTTP {response.status_code} {_excerpt(response)}"
                )
            if response.status_code == 204 or not response.content:
                return None
            try:
                return loads(response.text)
            except ValueError:
                # A body cut off in transit. Every call we make is safe to repeat: reads, and
                # upserts keyed by external ID (a second synchronization run of one LDIF changes
                # nothing).
                if attempt + 1 >= self.retry.max_attempts:
                    raise LeanIXError(
                        f"LeanIX {method} {path} answered {len(response.content)} bytes that are "
                        f"not valid JSON, {attempt + 1} times"
                    ) from None
                self._pause(attempt, f"unparseable JSON answer on {method} {path}", None)
                attempt += 1

    # -- Integration API ----------------------------------------------------------------------------

    def put_configuration(self, configuration: dict[str, Any]) -> None:
        """Idempotent upsert of the processor configuration (PUT /configurations -> 204)."""
        self._json_call("PUT", f"{INTEGRATION_API}/configurations", configuration)

    def configurations(self, binding: dict[str, str]) -> list[dict[str, Any]]:
        answer = self._json_call("GET", f"{INTEGRATION_API}/configurations", params=binding)
        return [c for c in answer or [] if isinstance(c, dict)]

    def start_run(self, ldif: dict[str, Any]) -> str:
        answer = self._json_call(
            "POST", f"{INTEGRATION_API}/synchronizationRuns", ldif, params={"start": "true"}
        )
        # Docs answer {"id": ...}; the OAS says an array of status objects (leanix-api.md §3.3).
        if isinstance(answer, list) and answer:
            answer = answer[0]
        if not isinstance(answer, dict) or not answer.get("id"):
            raise LeanIXError(f"LeanIX did not return a run id: {str(answer)[:300]}")
        return str(answer["id"])

    def wait_for_run(self, run_id: str) -> RunResult:
        """Poll the run to a final state; collect its warnings (leanix-api.md §3.4)."""
        interval = self.poll_interval
        deadline = time.monotonic() + self.run_timeout_seconds
        while True:
            status = self._json_call(
                "GET", f"{INTEGRATION_API}/synchronizationRuns/{run_id}/status"
            )
            state = str((status or {}).get("status", ""))
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
            if status and status.get("message"):
                messages.insert(0, str(status["message"]))
            raise LeanIXRunFailedError(run_id, state, messages)
        return result

    def run_warnings(self, run_id: str, page_size: int = 100) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = self._json_call(
                "GET",
                f"{INTEGRATION_API}/synchronizationRuns/{run_id}/warnings",
                params={"offset": offset, "limit": page_size},
            )
            if not page:
                return
            yield from page
            if len(page) < page_size:
                return
            offset += page_size

    # -- GraphQL -------------------------------------------------------------------------------------

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self._json_call(
            "POST", GRAPHQL_PATH, {"query": query, "variables": variables or {}}
        )
        if not isinstance(answer, dict):
            raise LeanIXError("LeanIX GraphQL answered without a JSON object")
        if answer.get("errors"):
            # Errors come back with HTTP 200 (leanix-api.md §2.6).
            messages = "; ".join(str(e.get("message", e)) for e in answer["errors"][:3])
            raise LeanIXError(f"LeanIX GraphQL error: {messages}")
        data = answer.get("data")
        return data if isinstance(data, dict) else {}

    def fact_sheets_by_external_ids(self, external_ids: list[str]) -> dict[str, dict[str, Any]]:
        """externalId -> {id, type, name} for those that exist (leanix-api.md §2.5 filter syntax)."""
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
            while True:
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
        return found


def _excerpt(response: requests.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:500]

"""A minimal LeanIX API client over urllib, for the sandbox's tests and the demo.

It speaks the protocol the way public LeanIX clients do
(https://docs-eam.leanix.net/reference/authentication-for-managing-api-tokens,
https://docs-eam.leanix.net/reference/rest-api): Basic `apitoken:` for the MTM token, Bearer for the
rest, poll `/status` until a terminal state. It deliberately has no retry logic, so a test sees
exactly what the server answered.
"""

from __future__ import annotations

import base64
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from sandboxes.leanix import exactjson

IA = "/services/integration-api/v1"
TERMINAL = ("FINISHED", "FAILED", "STOPPED")


@dataclass
class Reply:
    """One HTTP answer as received: status, headers and raw body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:  # noqa: ANN401 - arbitrary JSON
        """The body as JSON with exact Decimals, or None when the body is empty."""
        return exactjson.loads(self.body) if self.body else None


@dataclass
class LeanIXClient:
    """A small urllib client of the sandbox for tests, demo and benchmarks (not the target's)."""

    base_url: str
    api_token: str = "sandbox-token"  # noqa: S105 - the sandbox's documented default
    access_token: str = ""
    polls: list[str] = field(default_factory=list)

    def request(
        self,
        method: str,
        path: str,
        payload: object | None = None,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        auth: bool = True,
    ) -> Reply:
        """One HTTP call; the payload is sent as exact JSON, a Bearer token fetched when needed."""
        url = self.base_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = (
            body
            if body is not None
            else (None if payload is None else exactjson.dumps(payload).encode("utf-8"))
        )
        all_headers = {"Content-Type": "application/json"} | (headers or {})
        if auth:
            if not self.access_token:
                self.authenticate()
            all_headers["Authorization"] = f"Bearer {self.access_token}"
        request = urllib.request.Request(  # noqa: S310 - the sandbox's loopback URL
            url, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return Reply(response.status, dict(response.headers.items()), response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers.items()), error.read())

    def token_reply(self, api_token: str | None = None, *, form: bool = True) -> Reply:
        """The raw MTM token answer for an API token, in the form body or (form=False) the query."""
        credentials = base64.b64encode(f"apitoken:{api_token or self.api_token}".encode()).decode()
        return self.request(
            "POST",
            "/services/mtm/v1/oauth2/token",
            body=b"grant_type=client_credentials" if form else b"",
            query=None if form else {"grant_type": "client_credentials"},
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            auth=False,
        )

    def authenticate(self) -> dict[str, Any]:
        """Fetch an access token and keep it for later calls; returns the token answer."""
        reply = self.token_reply()
        if reply.status != 200:
            raise RuntimeError(f"token request failed: HTTP {reply.status}")
        body: dict[str, Any] = reply.json()
        self.access_token = body["access_token"]
        return body

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The whole GraphQL answer (`data` and `errors`); raises unless HTTP 200."""
        reply = self.request(
            "POST",
            "/services/pathfinder/v1/graphql",
            {"query": query, "variables": variables or {}},
        )
        if reply.status != 200:
            raise RuntimeError(f"GraphQL answered HTTP {reply.status}: {reply.body[:200]!r}")
        result: dict[str, Any] = reply.json()
        return result

    def put_configuration(self, config: dict[str, Any]) -> Reply:
        """PUT a processor configuration to the Integration API (204 when accepted)."""
        return self.request("PUT", f"{IA}/configurations", config)

    def create_run(self, ldif: dict[str, Any], *, start: bool = True, test: bool = False) -> Reply:
        """POST an LDIF as a synchronization run, started unless `start=False`; the raw answer."""
        query = {"start": str(start).lower(), "test": str(test).lower()}
        return self.request("POST", f"{IA}/synchronizationRuns", ldif, query=query)

    def status(self, run_id: str) -> str:
        """The run's current status (CREATED ... FINISHED), remembered in `polls`."""
        reply = self.request("GET", f"{IA}/synchronizationRuns/{run_id}/status")
        if reply.status != 200:
            raise RuntimeError(f"status answered HTTP {reply.status}")
        status: str = reply.json()["status"]
        self.polls.append(status)
        return status

    def wait(self, run_id: str, *, interval: float = 0.02, timeout: float = 30.0) -> str:
        """Poll the run until FINISHED, FAILED or STOPPED; returns that status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status(run_id)
            if status in TERMINAL:
                return status
            time.sleep(interval)
        raise TimeoutError(f"run {run_id} did not finish within {timeout} s")

    def run(self, ldif: dict[str, Any], *, test: bool = False) -> tuple[str, str]:
        """Create and start a run, poll it to the end; (run id, final status)."""
        reply = self.create_run(ldif, start=True, test=test)
        if reply.status != 200:
            raise RuntimeError(f"creating the run answered HTTP {reply.status}: {reply.body!r}")
        run_id: str = reply.json()["id"]
        return run_id, self.wait(run_id)

    def warnings(self, run_id: str) -> list[dict[str, Any]]:
        """Every warning of the run, read page by page (100 per page)."""
        collected: list[dict[str, Any]] = []
        offset = 0
        while True:
            reply = self.request(
                "GET",
                f"{IA}/synchronizationRuns/{run_id}/warnings",
                query={"offset": str(offset), "limit": "100"},
            )
            page: list[dict[str, Any]] = reply.json()
            collected += page
            if len(page) < 100:
                return collected
            offset += 100

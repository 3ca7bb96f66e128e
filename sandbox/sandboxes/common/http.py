"""HTTP scaffolding shared by the Intacct and LeanIX sandboxes.

Each sandbox is an `App`: a function from `Request` to `Response`. `serve` wraps it with what both
sandboxes need the same way: loopback-only binding, per-path call statistics, fixed latency, seeded fault
injection and the common `/admin/*` routes. The apps add their own admin routes for ground truth.
"""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandboxes.common.clock import Clock
from sandboxes.common.faults import Fault, FaultPlan
from sandboxes.common.stats import CallStats

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Request:
    """One HTTP request as an app sees it: header names lower-cased, query parsed, body read."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def header(self, name: str, default: str = "") -> str:
        """A header's value by case-insensitive name."""
        return self.headers.get(name.lower(), default)

    def query_value(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter, or default when it is absent."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:  # noqa: ANN401 - request bodies are arbitrary JSON
        """The body decoded as UTF-8 JSON (an empty body is None)."""
        return json.loads(self.body.decode("utf-8") or "null")


@dataclass
class Response:
    """What an app answers: status, body bytes and extra headers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls, payload: object, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        """A JSON answer (values JSON cannot encode are written as str)."""
        merged = {"Content-Type": "application/json"} | (headers or {})
        return cls(status, json.dumps(payload, default=str).encode("utf-8"), merged)

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain") -> Response:
        """A UTF-8 text answer of the given content type."""
        return cls(status, text.encode("utf-8"), {"Content-Type": f"{content_type}; charset=utf-8"})


App = Callable[[Request], Response]
FaultRenderer = Callable[[Fault, Request], Response | None]


@dataclass
class SandboxState:
    """What the common layer keeps for one running sandbox; the app holds its own data."""

    name: str
    clock: Clock = field(default_factory=Clock)
    faults: FaultPlan = field(default_factory=FaultPlan)
    stats: CallStats = field(default_factory=CallStats)
    latency_seconds: float = 0.0
    #: Paths below this prefix are never slowed down or faulted: tests must always reach them.
    admin_prefix: str = "/admin/"


def common_admin(state: SandboxState, request: Request) -> Response | None:
    """Admin routes every sandbox has. Returns None for paths it does not own."""
    path, method = request.path, request.method
    if path == "/admin/health":
        return Response.json(
            {"status": "ok", "name": state.name, "now": state.clock.now().isoformat()}
        )
    if path == "/admin/stats":
        if method == "DELETE":
            state.stats.reset()
            return Response.json({"reset": True})
        return Response.json(state.stats.snapshot())
    if path == "/admin/faults":
        if method == "DELETE":
            state.faults.clear()
            return Response.json({"cleared": True})
        if method == "POST":
            body = request.json() or {}
            state.faults.configure(body.get("rules", []), seed=body.get("seed"))
            return Response.json(state.faults.describe())
        return Response.json(state.faults.describe())
    if path == "/admin/latency" and method == "POST":
        state.latency_seconds = float(request.json().get("seconds", 0))
        return Response.json({"seconds": state.latency_seconds})
    if path == "/admin/clock":
        if method == "POST":
            body = request.json() or {}
            if "set" in body:
                state.clock.set(body["set"])
            if "advance_seconds" in body:
                state.clock.advance(float(body["advance_seconds"]))
            if "frozen" in body:
                state.clock.freeze(frozen=bool(body["frozen"]))
        return Response.json({"now": state.clock.now().isoformat(), "frozen": state.clock.frozen})
    return None


def _truncate(response: Response, fraction: float) -> Response:
    keep = max(1, int(len(response.body) * fraction))
    response.body = response.body[:keep]
    return response


def _make_handler(
    state: SandboxState, app: App, render_fault: FaultRenderer
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "sandbox"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:  # noqa: ANN401
            """Stay quiet: tests read stdout for the URL and stderr for errors only."""

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            response = self._respond(request)
            if response is None:  # the fault closed the connection without an answer
                self.close_connection = True
                return
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        def _respond(self, request: Request) -> Response | None:
            if request.path.startswith(state.admin_prefix):
                handled = common_admin(state, request)
                return handled if handled is not None else app(request)
            state.stats.record_call(request.path)
            if state.latency_seconds:
                time.sleep(state.latency_seconds)
            fault = state.faults.draw(request.path, request.body)
            if fault is not None:
                state.stats.record_fault(fault.kind)
                if fault.kind == "slow":
                    time.sleep(float(fault.params.get("seconds", 2.0)))
                elif fault.kind == "reset":
                    return None
                elif fault.kind != "truncate":
                    rendered = render_fault(fault, request)
                    if rendered is not None:
                        return rendered
            try:
                response = app(request)
            except Exception as exc:  # a sandbox bug must surface as a 500, never kill the server
                print(f"{state.name}: internal error: {exc!r}", file=sys.stderr, flush=True)
                response = Response.text(f"internal sandbox error: {exc!r}", status=500)
            if fault is not None and fault.kind == "truncate":
                response = _truncate(response, float(fault.params.get("fraction", 0.5)))
            return response

        do_GET = _handle  # noqa: N815
        do_POST = _handle  # noqa: N815
        do_PUT = _handle  # noqa: N815
        do_DELETE = _handle  # noqa: N815
        do_PATCH = _handle  # noqa: N815

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def serve(
    state: SandboxState,
    app: App,
    *,
    port: int,
    render_fault: FaultRenderer,
    ready_message: Callable[[str], str] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> None:
    """Serve `app` on loopback until SIGTERM or SIGINT; print the base URL once listening.

    `--port 0` picks a free port: the printed URL is the contract with tests and the demo.
    """
    server = _Server((LOOPBACK, port), _make_handler(state, app, render_fault))
    server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    url = f"http://{LOOPBACK}:{server.server_address[1]}"

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(ready_message(url) if ready_message else f"{state.name} listening on {url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if on_stop is not None:
            on_stop()


__all__ = [
    "LOOPBACK",
    "App",
    "FaultRenderer",
    "HTTPStatus",
    "Request",
    "Response",
    "SandboxState",
    "serve",
]

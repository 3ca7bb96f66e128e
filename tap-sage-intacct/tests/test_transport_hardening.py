"""The tap's HTTP transport and settings against a hostile gateway or network, over real HTTP.

Redirects are never followed; the session endpoint is followed only to api_url's own origin or to
https on a Sage Intacct host; plain http reaches loopback only; no configuration error quotes a
value; an answer is bounded after decompression and held once; Retry-After is capped.

The Intacct sandbox plays the gateway (its `redirect` and `session_endpoint` faults); a tiny local
HTTP server plays the other host that must receive nothing, and the gzip bomb.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from singer_sdk.exceptions import ConfigValidationError

from sandboxes.common.process import SandboxProcess
from tap_sage_intacct.client import TapRuntime
from tap_sage_intacct.gateway import connection, errors, functions, parsing
from tap_sage_intacct.tap import TapSageIntacct, setting_value_errors

from .conftest import (
    CREDENTIALS,
    GATEWAY_PATH,
    discover,
    offline_catalog,
    run_cli,
    select,
    tap_config,
    the_config_error,
)

SESSION_PATH = "/na1/ia/xml/xmlgw.phtml"
SENDER_PASSWORD = f"sndr-{secrets.token_hex(6)}"
USER_PASSWORD = f"usr-{secrets.token_hex(6)}"
MIB = 1 << 20


# -- a tiny HTTP server: the other host, or a hostile gateway -----------------------------------


class LocalServer(ThreadingHTTPServer):
    """Loopback HTTP server that records every request and lets `answer` write the response."""

    daemon_threads = True

    def __init__(self, answer: Callable[[_RecordingHandler], None]) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        self.answer = answer
        self.received: list[tuple[str, str, bytes]] = []
        self.release = threading.Event()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LocalServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.received.append((self.command, self.path, body))
        self.server.answer(self)

    do_GET = do_POST = do_PUT = do_DELETE = _any  # noqa: N815


@contextmanager
def local_server(answer: Callable[[_RecordingHandler], None]) -> Iterator[LocalServer]:
    server = LocalServer(answer)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()


def _answer(handler: _RecordingHandler, body: bytes, headers: dict[str, str]) -> None:
    handler.send_response(200)
    for name, value in {"Content-Length": str(len(body)), **headers}.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def answer_xml(handler: _RecordingHandler) -> None:
    """What an eager intruder would answer: 200 and some XML."""
    _answer(handler, b"<response/>", {"Content-Type": "text/xml"})


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox(sandbox_factory: Callable[..., SandboxProcess]) -> SandboxProcess:
    return sandbox_factory(
        "--scale",
        "0.01",
        "--sender-password",
        SENDER_PASSWORD,
        "--user-password",
        USER_PASSWORD,
    )


@pytest.fixture(autouse=True)
def no_faults_left(sandbox: SandboxProcess) -> Iterator[None]:
    yield
    sandbox.clear_faults()


@pytest.fixture
def intruder() -> Iterator[LocalServer]:
    """The other host: it must receive nothing, so it answers whatever comes as eagerly as it can."""
    with local_server(answer_xml) as server:
        yield server


def config(sandbox: SandboxProcess, **overrides: Any) -> dict[str, Any]:
    return tap_config(
        sandbox,
        sender_password=SENDER_PASSWORD,
        user_password=USER_PASSWORD,
        max_tries=2,
        **overrides,
    )


def port_of(sandbox: SandboxProcess) -> int:
    return int(sandbox.url.rsplit(":", 1)[1])


def query_vendor(conn: connection.IntacctConnection) -> list[parsing.FunctionResult]:
    return conn.call([functions.fn_query("VENDOR", ["RECORDNO"], page_size=1)], "query VENDOR")


def write_json(tmp_path: Path, name: str, payload: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(payload))
    return str(path)


# -- redirects ----------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["getAPISession", "query"])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_fatal_and_the_other_host_receives_nothing(
    sandbox: SandboxProcess, intruder: LocalServer, status: int, phase: str
) -> None:
    token = secrets.token_hex(6)
    location = f"http://thief:pw-{token}@localhost:{intruder.port}/steal-{token}?sid={token}"
    rule = {"kind": "redirect", "count": None, "body_contains": f"<{phase}"}
    sandbox.set_faults([{**rule, "params": {"status": status, "location": location}}])
    runtime = TapRuntime(config(sandbox))
    with pytest.raises(errors.FatalError) as refused:
        query_vendor(runtime.connection(""))
    message = refused.value.message
    print(f"{status} at {phase}: {message}")
    assert intruder.received == [], "a request reached the host the redirect named"
    assert phase in message
    assert f"HTTP {status} redirect to host 'localhost:{intruder.port}' refused" in message
    assert token not in message  # only the host, never the rest of the Location
    assert "\n" not in message
    assert runtime.stats.as_dict()["retries"] == {}  # fatal: not resent


# -- the session endpoint -----------------------------------------------------------------------

# {A}: the sandbox's port (api_url is http://127.0.0.1:{A}/...); {B}: the intruder's port.
HOSTILE_ENDPOINTS = [
    "http://localhost:{B}\\@127.0.0.1:{A}/na1/ia/xml/xmlgw.phtml",  # urlsplit and urllib3 disagree
    "http://127.0.0.1:{B}/na1/ia/xml/xmlgw.phtml",  # same host, another port
    "http://localhost:{B}/na1/ia/xml/xmlgw.phtml",
    "http://localhost:{A}/na1/ia/xml/xmlgw.phtml",  # same machine, another host name
    "http://127.0.0.1:{A}@localhost:{B}/na1/ia/xml/xmlgw.phtml",
    "http://admin:pw@127.0.0.1:{A}/na1/ia/xml/xmlgw.phtml",
    "http://127.0.0.1:{A}\\@localhost:{B}/na1/ia/xml/xmlgw.phtml",
    "http://127.0.0.1:{A}/na1\\ia/xml/xmlgw.phtml",
    "https://127.0.0.1:{A}/na1/ia/xml/xmlgw.phtml",  # another scheme
    "http://127.0.0.1:{A}:{B}/na1/ia/xml/xmlgw.phtml",
    "http://127.0.0.1:{A}/na1/ia/xml/ xmlgw.phtml",
    "http://127.0.0.1:{A}/na1/ia/xml/\txmlgw.phtml",
    "http://127.0.0.1:{A}/na1/ia/xml/xmlgw.phtml\nHost: localhost:{B}",
    "http://127.0.0.1:{A}/na1/ia/xml/xmlgw.phtml\x7f",
    "http://127.0.0.1:{A}/na1/ia/xml/xmlgw.phtml\u00e9",
    "http://[::1]:{B}/na1/ia/xml/xmlgw.phtml",
    "http://0x7f000001:{B}/na1/ia/xml/xmlgw.phtml",
    "//localhost:{B}/na1/ia/xml/xmlgw.phtml",
    "/na1/ia/xml/xmlgw.phtml",
    "localhost:{B}/na1/ia/xml/xmlgw.phtml",
    "ftp://127.0.0.1:{A}/na1/ia/xml/xmlgw.phtml",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "http://api.intacct.com/ia/xml/xmlgw.phtml",  # Sage's host, but in clear text
    "https://api.intacct.com:8443/ia/xml/xmlgw.phtml",
    "https://evil.example/ia/xml/xmlgw.phtml",
    "https://api.intacct.com.evil.example/ia/xml/xmlgw.phtml",
    "https://evil.example#.intacct.com/",
    "https://evil.example?.intacct.com",
    "https://evil.example%2F.intacct.com/",
    "https://api.intacct.com@evil.example/ia/xml/xmlgw.phtml",
    "https://" + "a" * 3000 + ".intacct.com/ia/xml/xmlgw.phtml",
]


@pytest.mark.parametrize("template", HOSTILE_ENDPOINTS, ids=range(len(HOSTILE_ENDPOINTS)))
def test_a_hostile_session_endpoint_fails_the_login(
    sandbox: SandboxProcess, intruder: LocalServer, template: str
) -> None:
    endpoint = template.format(A=port_of(sandbox), B=intruder.port)
    rule = {"kind": "session_endpoint", "count": None, "body_contains": "<getAPISession"}
    sandbox.set_faults([{**rule, "params": {"endpoint": endpoint}}])
    runtime = TapRuntime(config(sandbox))
    with pytest.raises(errors.FatalError) as refused:
        query_vendor(runtime.connection(""))
    message = refused.value.message
    assert intruder.received == [], "the session id reached another host"
    assert message.startswith("getAPISession (top level): the session endpoint names host")
    assert message.endswith("refused")
    assert "\n" not in message
    assert "xmlgw" not in message  # the host only, never the path


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{A}/na1/ia/xml/xmlgw.phtml",  # what the sandbox names by itself
        "HTTP://127.0.0.1:{A}/ia/xml/xmlgw.phtml",
        "http://127.0.0.1:{A}/na1/ia/xml/xmlgw.phtml?region=na1",
    ],
)
def test_an_endpoint_on_api_urls_origin_is_followed(sandbox: SandboxProcess, template: str) -> None:
    endpoint = template.format(A=port_of(sandbox))
    rule = {"kind": "session_endpoint", "count": None, "body_contains": "<getAPISession"}
    sandbox.set_faults([{**rule, "params": {"endpoint": endpoint}}])
    conn = TapRuntime(config(sandbox)).connection("")
    (result,) = query_vendor(conn)
    assert result.ok
    assert conn.endpoint == endpoint


API_URL = "https://api.intacct.com/ia/xml/xmlgw.phtml"
SANDBOX_API_URL = "http://127.0.0.1:8081/ia/xml/xmlgw.phtml"


@pytest.mark.parametrize(
    ("api_url", "endpoint", "followed"),
    [
        (API_URL, API_URL, True),
        (API_URL, "https://API.INTACCT.COM:443/ia/xml/xmlgw.phtml", True),
        (API_URL, "https://na1.api.intacct.com/ia/xml/xmlgw.phtml", True),
        (SANDBOX_API_URL, API_URL, True),  # Sage's own https hosts are always trusted
        (SANDBOX_API_URL, "http://127.0.0.1:8081/na1/ia/xml/xmlgw.phtml", True),
        (SANDBOX_API_URL, "http://127.0.0.1:80/na1/ia/xml/xmlgw.phtml", False),
        (SANDBOX_API_URL, "http://127.0.0.1/na1/ia/xml/xmlgw.phtml", False),
        ("http://127.0.0.1/ia/xml/xmlgw.phtml", "http://127.0.0.1:80/na1/", True),
        (API_URL, "http://api.intacct.com/ia/xml/xmlgw.phtml", False),
        (API_URL, "https://api.intacct.com:8443/ia/xml/xmlgw.phtml", False),
        # requests drops a port 0 when it prepares the URL: this one goes to port 443.
        (API_URL, "https://api.intacct.com:0/ia/xml/xmlgw.phtml", True),
        (SANDBOX_API_URL, "http://127.0.0.1:0/na1/ia/xml/xmlgw.phtml", False),
        (API_URL, "https://user:pw@api.intacct.com/ia/xml/xmlgw.phtml", False),
        (API_URL, "https://api.intacct.com@evil.example/", False),
        (API_URL, "https://evil.example\\@api.intacct.com/", False),
        (API_URL, "https://api.intacct.com\\@evil.example/", False),
        (API_URL, "https://evil.example#.intacct.com/", False),
        (API_URL, "https://evil.example?.intacct.com/", False),
        (API_URL, "https://evil.example/.intacct.com", False),
        (API_URL, "https://evil.example%2F.intacct.com/", False),
        (API_URL, "https://api.intacct.com.evil.example/", False),
        (API_URL, "https://intacct.com/ia/xml/xmlgw.phtml", False),
        (API_URL, "https://.intacct.com/", False),
        (API_URL, "https://a..intacct.com/", False),
        (API_URL, "https://api.intacct.com./ia/xml/xmlgw.phtml", False),
        (API_URL, "https://\u00e9vil.intacct.com/", False),
        (API_URL, "https://api.intacct.com/ia/\x00", False),
        (API_URL, "https://api.intacct.com\t/ia/xml/xmlgw.phtml", False),
        (API_URL, "https://api.intacct.com/ia/xml/xmlgw.phtml\r\nX: 1", False),
        (API_URL, "ftp://api.intacct.com/ia/xml/xmlgw.phtml", False),
        (API_URL, "//api.intacct.com/ia/xml/xmlgw.phtml", False),
        (API_URL, "/ia/xml/xmlgw.phtml", False),
        (API_URL, "api.intacct.com/ia/xml/xmlgw.phtml", False),
        (API_URL, "https://127.0.0.1/ia/xml/xmlgw.phtml", False),
        (API_URL, "https://[::1]/ia/xml/xmlgw.phtml", False),
        (API_URL, "https://" + "a" * 3000 + ".intacct.com/", False),
    ],
)
def test_which_endpoints_are_followed(api_url: str, endpoint: str, followed: bool) -> None:
    assert connection._allowed_endpoint(api_url, endpoint) is followed


def test_a_refused_redirect_and_endpoint_fail_the_cli_with_one_line(
    sandbox: SandboxProcess, intruder: LocalServer, tmp_path: Path
) -> None:
    """In each mode Meltano uses (sync with a catalog, --discover, --test), at DEBUG level."""
    cfg = write_json(tmp_path, "config.json", config(sandbox))
    catalog = write_json(tmp_path, "catalog.json", select(offline_catalog(), ["vendor"]))
    hostile = f"http://localhost:{intruder.port}\\@127.0.0.1:{port_of(sandbox)}{SESSION_PATH}"
    cases = [
        (
            {
                "kind": "redirect",
                "params": {"status": 307, "location": f"http://localhost:{intruder.port}/x"},
            },
            ["--catalog", catalog],
            "HTTP 307 redirect",
        ),
        (
            {"kind": "session_endpoint", "params": {"endpoint": hostile}},
            ["--discover"],
            "session endpoint",
        ),
        (
            {"kind": "redirect", "params": {"status": 308, "location": "/elsewhere"}},
            ["--test"],
            "HTTP 308 redirect",
        ),
    ]
    for fault, mode, expected in cases:
        sandbox.set_faults([{**fault, "count": None, "body_contains": "<getAPISession"}])
        result = run_cli(["--config", cfg, *mode], env={"LOGLEVEL": "DEBUG"})
        output = result.stdout + result.stderr
        assert result.returncode != 0
        assert "Traceback" not in output
        assert SENDER_PASSWORD not in output
        assert USER_PASSWORD not in output
        error_lines = [line for line in result.stderr.splitlines() if "ERROR" in line]
        assert len(error_lines) == 1, result.stderr[-3000:]
        assert expected in error_lines[0]
        assert "getAPISession" in error_lines[0]
    assert intruder.received == []


# -- plain http ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "api_url",
    [
        "http://api.intacct.com/ia/xml/xmlgw.phtml",
        "http://10.0.0.5/ia/xml/xmlgw.phtml",
        "http://192.168.1.20:8081/ia/xml/xmlgw.phtml",
        "http://[::2]:8081/ia/xml/xmlgw.phtml",
        "http://[::ffff:7f00:1]:8081/ia/xml/xmlgw.phtml",
        "http://localhost.evil.example/ia/xml/xmlgw.phtml",
        "http://127.0.0.1.nip.io/ia/xml/xmlgw.phtml",
        "HTTP://gateway.example/ia/xml/xmlgw.phtml",
    ],
)
def test_plain_http_to_a_host_that_is_not_loopback_is_refused(api_url: str) -> None:
    with pytest.raises(ConfigValidationError) as refused:
        TapSageIntacct(config={**CREDENTIALS, "api_url": api_url}, setup_mapper=False)
    (error,) = refused.value.errors
    assert error.startswith("api_url: plain http is allowed only to a loopback host")


@pytest.mark.parametrize(
    "api_url",
    [
        "http://127.0.0.1:8081/ia/xml/xmlgw.phtml",
        "http://127.10.20.30:8081/ia/xml/xmlgw.phtml",
        "http://localhost:8081/ia/xml/xmlgw.phtml",
        "http://[::1]:8081/ia/xml/xmlgw.phtml",
        "https://api.intacct.com/ia/xml/xmlgw.phtml",
        "https://gateway.example:8443/ia/xml/xmlgw.phtml",
    ],
)
def test_https_and_loopback_http_are_accepted(api_url: str) -> None:
    assert setting_value_errors({"api_url": api_url}) == []


@pytest.mark.parametrize(
    "api_url",
    [
        "https://user:pw-SECRET@api.intacct.com/ia/xml/xmlgw.phtml",
        "https://api.intacct.com\\@evil.example/ia/xml/xmlgw.phtml",
        "https://api.intacct.com /ia/xml/xmlgw.phtml",
        "https://api.intacct.com/ia/xml/xmlgw.phtml\n",
        "ftp://api.intacct.com/ia/xml/xmlgw.phtml",
        "not a url",
    ],
)
def test_an_api_url_that_parsers_could_read_differently_is_refused(api_url: str) -> None:
    (error,) = setting_value_errors({"api_url": api_url})
    assert error.startswith("api_url: not a plain http(s) URL")
    assert "SECRET" not in error


# -- no value in any configuration error --------------------------------------------------------

# Fixed, so that test ids are the same in every xdist worker; distinctive enough not to occur.
MARK = "c0ffee5ec4e7"
NUMBER_MARK = 918273645546
WRONG_BY_TYPE: dict[str, list[object]] = {
    "string": [NUMBER_MARK, [f"lst-{MARK}"], {"obj": f"objv-{MARK}"}],
    "integer": [f"txt-{MARK}", [NUMBER_MARK]],
    "number": [f"txt-{MARK}", {"obj": f"objv-{MARK}"}],
    "boolean": [f"txt-{MARK}", NUMBER_MARK],
    "array": [f"txt-{MARK}", {"obj": f"objv-{MARK}"}],
    "object": [f"txt-{MARK}", [NUMBER_MARK]],
}


def _every_setting() -> list[tuple[str, str]]:
    schema = json.loads(json.dumps(TapSageIntacct.config_jsonschema))
    TapSageIntacct.append_builtin_config(schema)
    settings = []
    for name, prop in schema["properties"].items():
        types = prop.get("type") or [branch.get("type") for branch in prop.get("anyOf", [])]
        first = next(t for t in ([types] if isinstance(types, str) else types) if t != "null")
        settings.append((name, first))
    return settings


@pytest.mark.parametrize(
    ("setting", "value"),
    [(name, value) for name, kind in _every_setting() for value in WRONG_BY_TYPE[kind]],
)
def test_a_wrongly_typed_setting_is_named_never_quoted(setting: str, value: object) -> None:
    with pytest.raises(ConfigValidationError) as refused:
        TapSageIntacct(config={**CREDENTIALS, setting: value}, setup_mapper=False)
    messages = refused.value.errors
    assert any(message.startswith(f"{setting}") for message in messages), messages
    shown = " ".join(messages)
    assert MARK not in shown
    assert str(NUMBER_MARK) not in shown


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("page_size", 5000, "page_size: must be at most 2000"),
        ("page_size", 0, "page_size: must be at least 1"),
        ("retry_wait_seconds", -1, "retry_wait_seconds: must be at least 0"),
        ("request_timeout_seconds", 0, "request_timeout_seconds: must be more than 0"),
        ("timezone_offset", "Europe/Paris", "timezone_offset: must match the pattern"),
        ("start_date", "last tuesday", "start_date: not an ISO-8601 date-time"),
        ("api_url", "https://user:pw@api.intacct.com/x", "api_url: not a plain http(s) URL"),
    ],
)
def test_a_value_out_of_range_is_named_never_quoted(
    setting: str, value: object, expected: str
) -> None:
    error = the_config_error(setting, value)
    assert error.startswith(expected)
    assert str(value) not in error.removeprefix(expected)


def test_missing_settings_are_named_once() -> None:
    with pytest.raises(ConfigValidationError) as refused:
        TapSageIntacct(config={"sender_id": "x", "company_id": "y"}, setup_mapper=False)
    assert refused.value.errors == [
        "sender_password, user_id, user_password: required setting missing"
    ]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_wrongly_typed_secrets_are_never_printed_by_the_cli(tmp_path: Path) -> None:
    """Each secret setting as an integer, a list and an object, in --discover, sync and --test."""
    shapes: list[object] = [NUMBER_MARK, [f"lst-{MARK}"], {"obj": f"objv-{MARK}"}]
    catalog = write_json(tmp_path, "catalog.json", select(offline_catalog(), ["vendor"]))
    runs = []
    for index in range(len(shapes)):
        settings = {
            **CREDENTIALS,
            "api_url": "http://127.0.0.1:9" + GATEWAY_PATH,
            "sender_password": shapes[index],
            "user_password": shapes[(index + 1) % len(shapes)],
        }
        path = write_json(tmp_path, f"config-{index}.json", settings)
        for mode in (["--discover"], ["--catalog", catalog], ["--test"]):
            runs.append(["--config", path, *mode])
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda args: run_cli(args, env={"LOGLEVEL": "DEBUG"}), runs))
    for args, result in zip(runs, results, strict=True):
        output = result.stdout + result.stderr
        where = " ".join(args[2:])
        assert result.returncode != 0, where
        assert "Traceback" not in output, f"{where}: {output[-2000:]}"
        assert MARK not in output, where
        assert str(NUMBER_MARK) not in output, where
        last = result.stderr.strip().splitlines()[-1]
        assert "password: must be of type string" in last, f"{where}: {last}"
        assert "sender_password" in output, where
        assert "user_password" in output, where


# -- sizes --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """A gzip body of a few hundred KB that inflates to twice the answer limit."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    zeros = bytes(MIB)
    parts = [packer.compress(zeros) for _ in range(2 * parsing.MAX_RESPONSE_BYTES // MIB)]
    return b"".join(parts) + packer.flush()


def new_connection(
    api_url: str, *, sleep: Callable[[float], None] = time.sleep, max_tries: int = 2
) -> connection.IntacctConnection:
    """A connection as TapRuntime builds one, with the sandbox's passwords and our own sleep."""
    secrets_ = {"sender_password": SENDER_PASSWORD, "user_password": USER_PASSWORD}
    return connection.IntacctConnection(
        connection.Credentials(**{**CREDENTIALS, **secrets_}),
        api_url,
        http=requests.Session(),
        concurrency=threading.BoundedSemaphore(2),
        retry=connection.RetryPolicy(max_tries=max_tries, initial_wait=0.01),
        stats=connection.CallStats(),
        timeout=60,
        sleep=sleep,
    )


@pytest.mark.timeout(60)
def test_a_gzip_bomb_is_cut_at_the_limit_after_decompression(gzip_bomb: bytes) -> None:
    def bomb(handler: _RecordingHandler) -> None:
        _answer(handler, gzip_bomb, {"Content-Type": "text/xml", "Content-Encoding": "gzip"})

    with local_server(bomb) as server:
        conn = new_connection(f"http://127.0.0.1:{server.port}{GATEWAY_PATH}")
        tracemalloc.start()
        try:
            with pytest.raises(errors.FatalError) as refused:
                conn.ensure_session()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    print(
        f"gzip bomb: {len(gzip_bomb) // 1024} KiB inflating to {2 * parsing.MAX_RESPONSE_BYTES // MIB} MiB;"
        f" peak traced memory {peak / MIB:.1f} MiB"
    )
    assert "exceeds the" in refused.value.message
    assert peak < parsing.MAX_RESPONSE_BYTES + 16 * MIB


@pytest.mark.timeout(20)
def test_an_announced_length_over_the_limit_is_refused_before_reading() -> None:
    def announce(handler: _RecordingHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(parsing.MAX_RESPONSE_BYTES + 1))
        handler.end_headers()
        handler.wfile.flush()
        handler.server.release.wait(60)  # never sends the body

    with local_server(announce) as server:
        conn = new_connection(f"http://127.0.0.1:{server.port}{GATEWAY_PATH}")
        with pytest.raises(errors.FatalError) as refused:
            conn.ensure_session()
    assert "announced more than the" in refused.value.message


@pytest.mark.timeout(30)
def test_an_answer_dripping_in_just_inside_the_timeout_is_cut_at_the_timeout() -> None:
    """A byte every 0.2 s never trips the 1 s read timeout; the whole body's deadline does."""

    def drip(handler: _RecordingHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "10000")
        handler.end_headers()
        for _ in range(10000):
            if handler.server.release.wait(0.2):
                return
            handler.wfile.write(b" ")
            handler.wfile.flush()

    with local_server(drip) as server:
        conn = new_connection(f"http://127.0.0.1:{server.port}{GATEWAY_PATH}", max_tries=1)
        conn.timeout = 1.0
        with pytest.raises(errors.RetryableError) as cut:
            conn.ensure_session()
    assert "took longer than request_timeout_seconds" in cut.value.message


def test_a_large_answer_is_held_once(sandbox: SandboxProcess) -> None:
    conn = TapRuntime(config(sandbox)).connection("")
    rule = {"kind": "hostile", "count": 1, "body_contains": "<query>"}
    sandbox.set_faults([{**rule, "params": {"variant": "huge_text", "megabytes": 40}}])
    tracemalloc.start()
    try:
        fetched = conn.fetch([functions.fn_query("VENDOR", ["RECORDNO"])], "query VENDOR")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size = len(fetched.content)
    print(f"a {size / MIB:.1f} MiB answer: peak traced memory {peak / MIB:.1f} MiB")
    assert size > 40 * MIB
    assert peak < 1.5 * size


@pytest.mark.timeout(120)
def test_the_limit_leaves_four_to_eight_times_the_widest_real_page(
    sandbox_factory: Callable[..., SandboxProcess],
) -> None:
    """A 2000-row `query` page of the widest object (APBILL, 119 fields with `--wide`)."""
    wide = sandbox_factory("--wide")
    entry = next(
        e for e in discover(tap_config(wide))["streams"] if e["tap_stream_id"] == "ap_bill"
    )
    fields = [name for name in entry["schema"]["properties"] if not name.startswith("_sdc")]
    conn = TapRuntime(tap_config(wide)).connection("")
    # The top level reads every entity's bills with showprivate, as the tap does.
    page = functions.fn_query("APBILL", fields, show_private=True)
    size = len(conn.fetch([page], "query APBILL").content)
    print(f"APBILL page: {len(fields)} fields, {size} bytes ({size / MIB:.1f} MiB)")
    assert len(fields) >= 119
    assert 4 * size <= parsing.MAX_RESPONSE_BYTES <= 8 * size


# -- waits --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retry_after", "longest"),
    [
        ("3", 3.0),
        ("999999", 120.0),
        ("99999999999999999999999999999999", 120.0),
        ("1e9", 0.01),  # not delta-seconds: our own backoff
        ("inf", 0.01),
        ("nan", 0.01),
        ("-5", 0.01),
        ("Wed, 21 Oct 2026 07:28:00 GMT", 0.01),
    ],
)
def test_retry_after_is_capped(sandbox: SandboxProcess, retry_after: str, longest: float) -> None:
    waits: list[float] = []
    conn = new_connection(sandbox.url + GATEWAY_PATH, sleep=waits.append, max_tries=3)
    rule = {"kind": "http_429", "count": 1, "body_contains": "<query>"}
    sandbox.set_faults([{**rule, "params": {"retry_after": retry_after}}])
    (result,) = query_vendor(conn)
    assert result.ok
    assert len(waits) == 1
    assert 0 <= waits[0] <= longest
    if longest > 1:
        assert waits[0] == longest


def test_backoff_stays_bounded_for_any_attempt() -> None:
    policy = connection.RetryPolicy(max_tries=10_000, initial_wait=1.0)
    assert 0 <= policy.wait(5000) <= policy.max_wait
    assert policy.wait(0, retry_after=float("inf")) == policy.max_retry_after_seconds


def test_a_netrc_entry_for_the_gateway_host_adds_no_credentials(tmp_path, monkeypatch) -> None:
    """requests adds ~/.netrc credentials to requests of a session without auth; ours has one."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    url = "http://127.0.0.1:9/ia/xml/xmlgw.phtml"
    assert (
        "Authorization" in requests.Session().prepare_request(requests.Request("POST", url)).headers
    )
    prepared = connection.gateway_session().prepare_request(requests.Request("POST", url))
    assert "Authorization" not in prepared.headers
    assert prepared.headers["User-Agent"] == "tap-sage-intacct"

"""The target against hostile answers and careless settings: redirects, plain http, secrets in config
errors, oversized answers, odd Retry-After values and the permissions of the files it writes.

LeanIX misbehaves through the sandbox's faults (`redirect`, `gzip_bomb`, `http_429`); a small loopback
server plays the host a redirect points at, and the answers the sandbox has no fault for. The target runs
as a real subprocess wherever what matters is the one line it ends with.
"""

from __future__ import annotations

import json
import math
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from singer_sdk.exceptions import ConfigValidationError

from sandboxes.common.process import SandboxProcess
from target_leanix.ldif import binding
from target_leanix.leanix import MAX_ANSWER_BYTES, LeanIXClient, LeanIXError, RetryPolicy
from target_leanix.ledger import Ledger
from target_leanix.pipeline import Settings, SettingsError
from target_leanix.target import TargetLeanIX

from .e2e_helpers import DATA, TARGET, TargetRun, run_target

INITIAL = DATA / "intacct_initial.singer"
TOKEN = "/services/mtm/v1/oauth2/token"
RUNS = "/services/integration-api/v1/synchronizationRuns"
CONFIGURATIONS = "/services/integration-api/v1/configurations"
TRACEBACK = "Traceback (most recent call last)"
#: Another loopback address: the "other host" a redirect names (Linux answers on all of 127/8).
ELSEWHERE = "127.0.0.2"


@pytest.fixture(scope="module")
def leanix() -> Iterator[SandboxProcess]:
    with SandboxProcess(
        "leanix-sandbox", ["--db", ":memory:", "--in-progress-hold-seconds", "0.05"]
    ) as sandbox:
        yield sandbox


@pytest.fixture
def faults(leanix: SandboxProcess) -> Iterator[SandboxProcess]:
    leanix.clear_faults()
    leanix.reset_stats()
    yield leanix
    leanix.clear_faults()


def config_for(leanix: SandboxProcess, company: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "company_key": company,
        "base_url": leanix.url,
        "api_token": "sandbox-token",
        "ledger_path": str(tmp_path / f"{company}.sqlite"),
        "cost_window_end": "2025-12-31",
        "poll_interval_seconds": 0.05,
        "backoff_seconds": 0.05,
    }


def last_line(run: TargetRun | subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def target(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The target with its own arguments and no input (for runs that must end at start-up)."""
    return subprocess.run(
        [str(TARGET), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


Responder = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def local_server(host: str, respond: Responder) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback HTTP server that records every request it gets and answers with `respond`."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def handle_any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen.append(
                {"method": self.command, "path": self.path, "body": body, "headers": self.headers}
            )
            respond(self)

        do_GET = do_POST = do_PUT = handle_any  # noqa: N815

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> Responder:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def json_answer(payload: object) -> Responder:
    return answer(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """Processes started inside inherit `mask`."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- redirects ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [(TOKEN, 308), (RUNS, 307)],
    ids=["token-request-308", "ldif-upload-307"],
)
def test_a_redirect_is_refused_and_the_other_host_receives_nothing(faults, tmp_path, path, status):
    """The token request carries the API token, the run upload the LDIF: a 307/308 would re-send
    either to whatever host Location names."""
    with local_server(ELSEWHERE, json_answer({"access_token": "x", "id": "x"})) as (other, seen):
        location = f"{other}/collect?data=do-not-show-this"
        faults.set_faults(
            [
                {
                    "kind": "redirect",
                    "path_prefix": path,
                    "count": 1,
                    "params": {"status": status, "location": location},
                }
            ]
        )
        run = run_target(config_for(faults, f"REDIRECT{status}", tmp_path), INITIAL, tmp_path)
    assert seen == [], f"the other host received {[(r['method'], r['path']) for r in seen]}"
    assert run.returncode == 1, run.stderr[-2000:]
    line = last_line(run)
    assert f"HTTP {status}" in line, line
    assert ELSEWHERE in line, line
    assert "collect" not in run.stderr
    assert "do-not-show-this" not in run.stderr
    assert TRACEBACK not in run.stderr


# -- base_url -------------------------------------------------------------------------------------

REFUSED_BASE_URLS = {
    "plain http to a public host": "http://acme.leanix.net",
    "plain http to a private address": "http://10.1.2.3:8082",
    "plain http to a loopback look-alike": "http://127.0.0.1.example.com",
    "plain http to a localhost look-alike": "http://localhost.example.com",
    "user-info": "https://user:secret-pw@acme.leanix.net",
    "user-info hiding the real host": "https://acme.leanix.net@example.com",
    "backslash": "https://acme.leanix.net\\@example.com",
    "query": "https://acme.leanix.net/?token=1",
    "fragment": "https://acme.leanix.net#x",
    "space inside": "https://acme.leanix.net /x",
    "leading space": " https://acme.leanix.net",
    "trailing newline": "https://acme.leanix.net\n",
    "tab in the host": "https://eu.\tleanix.net",
    "percent-encoded host": "https://%65u.leanix.net",
    "no scheme": "acme.leanix.net",
    "another scheme": "ftp://acme.leanix.net",
    "port zero": "https://acme.leanix.net:0",
    "port not a number": "https://acme.leanix.net:https",
}
ACCEPTED_BASE_URLS = [
    "https://eu.leanix.net",
    "https://acme.leanix.net/",
    "https://eu.leanix.net:443",
    "http://127.0.0.1:8082",
    "http://127.8.9.10",
    "http://localhost:8082",
    "http://[::1]:8082",
]


@pytest.mark.parametrize("url", list(REFUSED_BASE_URLS.values()), ids=list(REFUSED_BASE_URLS))
def test_a_base_url_that_is_not_plainly_one_https_host_is_refused(url):
    with pytest.raises(SettingsError) as refused:
        Settings.from_config({"company_key": "A", "base_url": url, "api_token": "t"})
    message = str(refused.value)
    assert message.startswith("setting base_url "), message
    assert "\n" not in message
    assert url.strip() not in message  # the value itself is never repeated
    with pytest.raises(LeanIXError):
        LeanIXClient(url, "t")


@pytest.mark.parametrize("url", ACCEPTED_BASE_URLS)
def test_https_and_loopback_http_base_urls_are_accepted(url):
    settings = Settings.from_config({"company_key": "A", "base_url": url, "api_token": "t"})
    assert settings.base_url == url.rstrip("/")
    LeanIXClient(url, "t").close()


def test_plain_http_base_url_ends_the_target_with_one_line(tmp_path):
    config = tmp_path / "config.json"
    settings = {
        "company_key": "A",
        "base_url": "http://leanix.invalid",
        "api_token": "t",
        "max_attempts": 1,
    }
    config.write_text(json.dumps({**settings, "ledger_path": str(tmp_path / "l.sqlite")}))
    run = target(["--config", str(config)])
    assert run.returncode == 1
    assert "setting base_url must use https" in last_line(run), run.stderr[-2000:]
    assert TRACEBACK not in run.stderr


# -- configuration errors -------------------------------------------------------------------------


def wrongly_typed_settings() -> dict[str, object]:
    """Every setting of the config schema (the SDK's own included) with a distinctive value of a
    wrong type: a number where text is expected, text everywhere else."""
    schema = TargetLeanIX.config_jsonschema
    TargetLeanIX.append_builtin_config(schema)
    wrong: dict[str, object] = {}
    for index, (name, property_schema) in enumerate(sorted(schema["properties"].items())):
        types = property_schema.get("type") or []
        if not types:
            continue
        wrong[name] = 91_827_364_500 + index if "string" in types else f"lxsecret{index:03d}q"
    return wrong


def test_config_errors_name_every_setting_and_quote_no_value():
    wrong = wrongly_typed_settings()
    assert {"api_token", "ledger_url", "max_attempts", "dry_run", "recognition"} <= set(wrong)
    with pytest.raises(ConfigValidationError) as failed:
        TargetLeanIX(config=wrong)
    problems = failed.value.errors
    text = "; ".join(problems)
    for name in wrong:
        assert f"setting {name} " in text, f"{name} is not named: {text}"
    for name, value in wrong.items():
        assert str(value) not in text, f"the value given for {name} is quoted: {text}"
    assert all("\n" not in problem for problem in problems)
    assert "setting api_token must be a string" in problems


def test_a_secret_of_the_wrong_type_never_reaches_the_output(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "company_key": "A",
                "base_url": "https://eu.leanix.net",
                "api_token": 918_273_645_546_372,
                "ledger_url": ["postgresql://u:lxsecretpw@db/x"],
            }
        )
    )
    run = target(["--config", str(config)])
    assert run.returncode == 1
    line = last_line(run)
    assert "setting api_token must be a string" in line, line
    assert "setting ledger_url must be a string" in line, line
    assert "918273645546372" not in run.stdout + run.stderr
    assert "lxsecretpw" not in run.stdout + run.stderr
    assert TRACEBACK not in run.stderr


@pytest.mark.parametrize(
    ("setting", "value", "unsaid"),
    [
        ("reporting_currency", "LXSECRETCUR", "LXSECRETCUR"),
        ("cost_window_end", "lxsecret-date", "lxsecret"),
        ("intacct_record_url_template", "https://x/{lxsecret_placeholder}", "lxsecret"),
        ("batch_size_rows", -918273, "918273"),
        ("max_items_per_run", -918274, "918274"),
        ("cost_window_months", 918275, "918275"),
        ("max_attempts", 918276, "918276"),
        ("max_attempts", 0, None),
        ("backoff_seconds", -918277.5, "918277"),
        ("backoff_seconds", math.nan, None),
        ("poll_interval_seconds", math.inf, None),
    ],
)
def test_settings_errors_name_the_setting_and_not_its_value(setting, value, unsaid):
    with pytest.raises(SettingsError) as refused:
        Settings.from_config({"company_key": "A", "dry_run": True, setting: value})
    message = str(refused.value)
    assert message.startswith(f"setting {setting} "), message
    assert unsaid is None or unsaid not in message, message


def test_an_environment_setting_that_is_no_number_is_named_not_quoted():
    run = target(
        ["--config", "ENV"],
        env={"TARGET_LEANIX_COMPANY_KEY": "A", "TARGET_LEANIX_MAX_ATTEMPTS": "lxsecret-attempts"},
    )
    assert run.returncode == 1
    assert "setting max_attempts" in last_line(run), run.stderr[-2000:]
    assert "lxsecret-attempts" not in run.stdout + run.stderr
    assert TRACEBACK not in run.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"api_token": "lxsecret-in-broken-json", ', "not valid JSON"),
        ('["lxsecret-in-a-list"]', "one JSON object"),
        (None, "cannot read the config file"),
    ],
    ids=["broken-json", "not-an-object", "missing"],
)
def test_an_unreadable_config_file_is_one_line(tmp_path, content, expected):
    config = tmp_path / "config.json"
    if content is not None:
        config.write_text(content)
    run = target(["--config", str(config)])
    assert run.returncode == 1
    assert expected in last_line(run), run.stderr[-2000:]
    assert "lxsecret" not in run.stdout + run.stderr
    assert TRACEBACK not in run.stderr


# -- answer sizes ---------------------------------------------------------------------------------

MEASURE_BOMB = """
import json, sys
from target_leanix.ldif import binding
from target_leanix.leanix import LeanIXClient, LeanIXError

def status_kib(key):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(key))

client = LeanIXClient(sys.argv[1], "sandbox-token")
client.configurations(binding("BOMB"))  # warm up: token, connection, a normal answer
before = status_kib("VmRSS")
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # the peak (VmHWM) starts again from here
try:
    client.configurations(binding("BOMB"))
    error = None
except LeanIXError as failure:
    error = str(failure)
print(json.dumps({"error": error, "rss_before_kib": before, "peak_kib": status_kib("VmHWM")}))
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux peak-RSS reset")
@pytest.mark.timeout(120)
def test_a_gzip_bomb_stops_at_the_cap_in_bounded_memory(faults):
    """64 KB on the wire inflating to 64 MiB: refused at the 4 MiB cap, memory far below the inflated
    size (without the cap the client held the answer two or three times over)."""
    inflated = 64 * 1024 * 1024
    faults.set_faults(
        [
            {
                "kind": "gzip_bomb",
                "path_prefix": CONFIGURATIONS,
                "skip": 1,
                "count": 1,
                "params": {"inflated_bytes": inflated},
            }
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", MEASURE_BOMB, faults.url],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    growth_mib = (measured["peak_kib"] - measured["rss_before_kib"]) / 1024
    print(f"gzip bomb of {inflated >> 20} MiB: peak RSS grew {growth_mib:.1f} MiB; {measured}")
    assert measured["error"] is not None, "the bomb was read whole"
    assert f"more than {MAX_ANSWER_BYTES >> 20} MiB" in measured["error"]
    assert "\n" not in measured["error"]
    assert growth_mib < 32, f"peak RSS grew {growth_mib:.1f} MiB"


def test_a_gzip_bomb_ends_the_target_with_one_line(faults, tmp_path):
    faults.set_faults(
        [
            {
                "kind": "gzip_bomb",
                "path_prefix": RUNS,
                "skip": 1,  # the upload; the bomb is the first status poll's answer
                "count": 1,
                "params": {"inflated_bytes": 16 * 1024 * 1024},
            }
        ]
    )
    run = run_target(config_for(faults, "BOMB", tmp_path), INITIAL, tmp_path)
    assert faults.stats()["faults"] == {"gzip_bomb": 1}
    assert run.returncode == 1, run.stderr[-2000:]
    assert f"answered more than {MAX_ANSWER_BYTES >> 20} MiB" in last_line(run)
    assert TRACEBACK not in run.stderr
    assert run.states == []


def stalling_leanix(release: threading.Event, declared_length: int, drip_every: float) -> Responder:
    """A LeanIX that hands out a token, then announces `declared_length` bytes of every other
    answer and sends one byte every `drip_every` seconds until `release` is set."""
    token = json.dumps({"access_token": "a.b.c", "expires_in": 3599}).encode()

    def respond(handler: BaseHTTPRequestHandler) -> None:
        if handler.path.startswith(TOKEN):
            answer(200, token, {"Content-Type": "application/json"})(handler)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(declared_length))
        handler.end_headers()
        while not release.wait(drip_every):
            handler.wfile.write(b" ")
            handler.wfile.flush()

    return respond


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("declared_length", "timeout_seconds", "refusal"),
    [
        # Announces 100 MiB and stalls: refused at once, not read.
        (100 * 1024 * 1024, 120, "answered more than"),
        # A byte every 0.2 s never trips the 1 s read timeout; the whole body's deadline does.
        (10_000, 1, "failed after 1 attempts: Timeout"),
    ],
    ids=["declared-over-the-cap", "dripping-past-the-timeout"],
)
def test_an_answer_too_long_or_too_slow_is_refused(declared_length, timeout_seconds, refusal):
    release = threading.Event()
    respond = stalling_leanix(release, declared_length, drip_every=0.2)
    with local_server("127.0.0.1", respond) as (url, _seen):
        client = LeanIXClient(
            url, "t", retry=RetryPolicy(max_tries=1), timeout_seconds=timeout_seconds
        )
        try:
            with pytest.raises(LeanIXError, match=refusal):
                client.configurations(binding("SLOW"))
        finally:
            release.set()
            client.close()


# -- Retry-After and attempts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "retry_after",
    ["nan", "NaN", "-5", "-inf", "inf", "1e999", "99999999", "", "Wed, 21 Oct 2015 07:28:00 GMT"],
)
def test_any_retry_after_gives_a_finite_bounded_pause(faults, retry_after):
    faults.set_faults(
        [
            {
                "kind": "http_429",
                "path_prefix": CONFIGURATIONS,
                "count": 2,
                "params": {"retry_after": retry_after},
            }
        ]
    )
    slept: list[float] = []
    client = LeanIXClient(
        faults.url,
        "sandbox-token",
        retry=RetryPolicy(max_tries=3, initial_wait=0.01),
        sleep=slept.append,
    )
    assert client.configurations(binding("RETRYAFTER")) == []
    client.close()
    assert len(slept) == 2
    assert all(math.isfinite(delay) and 0 <= delay <= 120 for delay in slept), slept


def test_a_call_gives_up_after_max_attempts(faults):
    faults.set_faults(
        [{"kind": "http_429", "path_prefix": CONFIGURATIONS, "count": None, "params": {}}]
    )
    slept: list[float] = []
    client = LeanIXClient(
        faults.url,
        "sandbox-token",
        retry=RetryPolicy(max_tries=4, initial_wait=0.01),
        sleep=slept.append,
    )
    with pytest.raises(LeanIXError, match="HTTP 429"):
        client.configurations(binding("FOREVER"))
    client.close()
    assert faults.stats()["paths"][CONFIGURATIONS] == 4
    assert len(slept) == 3


@pytest.mark.parametrize(
    ("token_answer", "works"),
    [
        ({"access_token": "a.b.c", "expires_in": "soon"}, True),
        ({"access_token": "a.b.c", "expires_in": "NaN"}, True),
        ({"access_token": "a.b.c", "expires_in": -5}, True),
        ({"access_token": 12345}, False),
        (["a.b.c"], False),
        ("not json at all", False),
    ],
    ids=["lifetime-text", "lifetime-nan", "lifetime-negative", "token-number", "list", "not-json"],
)
def test_a_strange_token_answer_is_used_or_refused_in_one_line(token_answer, works):
    body = token_answer if isinstance(token_answer, str) else json.dumps(token_answer)

    def respond(handler: BaseHTTPRequestHandler) -> None:
        if handler.path.startswith(TOKEN):
            answer(200, body.encode(), {"Content-Type": "application/json"})(handler)
        else:
            json_answer([])(handler)

    with local_server("127.0.0.1", respond) as (url, _seen):
        client = LeanIXClient(url, "t", retry=RetryPolicy(max_tries=1))
        if works:
            assert client.configurations(binding("TOKEN")) == []
        else:
            with pytest.raises(LeanIXError, match="without an access_token"):
                client.configurations(binding("TOKEN"))
        client.close()


def test_a_netrc_entry_for_the_host_never_replaces_the_token(tmp_path, monkeypatch):
    """requests puts ~/.netrc credentials in place of a session's own Authorization header."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))

    def respond(handler: BaseHTTPRequestHandler) -> None:
        if handler.path.startswith(TOKEN):
            json_answer({"access_token": "a.b.c", "expires_in": 3600})(handler)
        else:
            json_answer([])(handler)

    with local_server("127.0.0.1", respond) as (url, seen):
        client = LeanIXClient(url, "t", retry=RetryPolicy(max_tries=1))
        assert client.configurations(binding("TOKEN")) == []
        client.close()
    authorizations = [request["headers"]["Authorization"] for request in seen]
    assert authorizations == ["Basic YXBpdG9rZW46dA==", "Bearer a.b.c"]  # base64("apitoken:t")


# -- files ----------------------------------------------------------------------------------------


def test_dry_run_and_ledger_files_are_private_whatever_the_umask(tmp_path):
    base_mode = mode(tmp_path)
    dry_run_path = tmp_path / "out" / "nested" / "leanix.ldif.jsonl"
    ledger_path = tmp_path / "state" / "ledger" / "ledger.sqlite"
    config = {
        "company_key": "FILES",
        "dry_run": True,
        "dry_run_path": str(dry_run_path),
        "ledger_path": str(ledger_path),
        "cost_window_end": "2025-12-31",
    }
    processors = dry_run_path.with_name("leanix.processors.json")
    files = [dry_run_path, processors, ledger_path]
    with umask(0):
        first = run_target(config, INITIAL, tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert {str(path): oct(mode(path)) for path in files} == {str(p): "0o600" for p in files}
    created = [
        tmp_path / "out",
        dry_run_path.parent,
        tmp_path / "state",
        ledger_path.parent,
    ]
    assert {str(path): oct(mode(path)) for path in created} == {str(p): "0o700" for p in created}
    assert mode(tmp_path) == base_mode  # a directory that existed is left alone

    # Files that exist with wider permissions are tightened before anything is written to them.
    for path in files:
        path.chmod(0o666)
    with umask(0):
        second = run_target(config, DATA / "intacct_changes.singer", tmp_path)
    assert "dry-run-1" in second.stderr  # the run wrote again
    assert second.returncode == 0, second.stderr[-2000:]
    assert {str(path): oct(mode(path)) for path in files} == {str(p): "0o600" for p in files}


def test_sqlite_side_files_take_the_ledgers_private_mode(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with umask(0):
        ledger = Ledger(f"sqlite:///{path}")
        ledger.create()
        try:
            with ledger.engine.begin() as connection:
                connection.exec_driver_sql("INSERT INTO lx_meta (key, value) VALUES ('a', 'b')")
                journal = Path(f"{path}-journal")
                assert oct(mode(journal)) == "0o600"
            with ledger.engine.begin() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            with ledger.engine.begin() as connection:
                connection.exec_driver_sql("INSERT INTO lx_meta (key, value) VALUES ('c', 'd')")
                side_files = [Path(f"{path}-wal"), Path(f"{path}-shm")]
                assert [oct(mode(side)) for side in side_files] == ["0o600", "0o600"]
        finally:
            ledger.close()
    assert oct(mode(path)) == "0o600"


def test_a_dry_run_path_that_cannot_be_created_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    config = {
        "company_key": "FILES",
        "dry_run": True,
        "dry_run_path": str(blocker / "sub" / "leanix.ldif.jsonl"),
        "cost_window_end": "2025-12-31",
    }
    run = run_target(config, INITIAL, tmp_path)
    assert run.returncode == 1
    assert "cannot create directory" in last_line(run), run.stderr[-2000:]
    assert TRACEBACK not in run.stderr

"""What an operator reads: true record counts, a quiet `--test`, a named unreachable gateway, one
summary line per stream, over real HTTP to intacct-sandbox processes."""

from __future__ import annotations

import json
import logging
import re
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from sandboxes.common.process import SandboxProcess
from tap_sage_intacct import gateway

from .conftest import GATEWAY_PATH, discover, parse_messages, run_cli, select, tap_config

STREAMS = ["ap_bill", "vendor", "department"]
LEVEL = re.compile(r"^\S+ \S+ \| (\w+)\s*\|")


@pytest.fixture(scope="module")
def sandbox(sandbox_factory: Callable[..., SandboxProcess]) -> SandboxProcess:
    return sandbox_factory("--scale", "0.1")


def write_json(path: Path, value: dict[str, Any]) -> str:
    path.write_text(json.dumps(value))
    return str(path)


def levels(stderr: str) -> Counter[str]:
    return Counter(m.group(1) for line in stderr.splitlines() if (m := LEVEL.match(line)))


def metric_sums(stderr: str, metric: str) -> Counter[str]:
    """The sum of a METRIC counter's points per stream (a counter logs and resets as it goes)."""
    sums: Counter[str] = Counter()
    for line in stderr.splitlines():
        _, marker, payload = line.partition("METRIC: ")
        if marker:
            point = json.loads(payload)
            if point["metric"] == metric:
                sums[point["tags"]["stream"]] += point["value"]
    return sums


# The fast writer (no maps) and the SDK's own record path (flattening on) both count every record.
PATHS = {"fast": {}, "sdk": {"flattening_enabled": True, "flattening_max_depth": 1}}


@pytest.mark.parametrize("path", list(PATHS))
def test_record_count_metric_equals_the_records_written(
    sandbox: SandboxProcess, tmp_path: Path, path: str
) -> None:
    config = tap_config(sandbox, **PATHS[path])
    catalog = select(discover(config), STREAMS)
    done = run_cli(
        [
            "--config",
            write_json(tmp_path / "config.json", config),
            "--catalog",
            write_json(tmp_path / "catalog.json", catalog),
        ]
    )
    assert done.returncode == 0, done.stderr[-2000:]
    written = Counter(
        m["stream"] for m in parse_messages(done.stdout).messages if m["type"] == "RECORD"
    )
    assert set(written) == set(STREAMS)
    assert all(written.values())
    assert metric_sums(done.stderr, "record_count") == written
    # One summary line per stream, naming what it sent, in words that agree with the numbers.
    for stream, count in written.items():
        (summary,) = [
            line for line in done.stderr.splitlines() if f"Stream '{stream}' synced" in line
        ]
        numbers = [
            int(n.replace(",", ""))
            for n in re.findall(r"synced ([\d,]+) records?(?: and ([\d,]+) deletes?)?", summary)[0]
            if n
        ]
        assert sum(numbers) == count, summary
        assert "gateway requests carrying" in summary or "1 gateway request carrying" in summary
        assert not re.search(r"\b1 (queries|requests|records|deletes)\b", summary), summary
    assert levels(done.stderr)["ERROR"] == 0
    assert "never sent" not in "".join(
        line for line in done.stderr.splitlines() if "WARNING" in line
    )


def test_a_successful_connection_test_logs_no_error(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    done = run_cli(
        ["--config", write_json(tmp_path / "config.json", tap_config(sandbox)), "--test"]
    )
    assert done.returncode == 0, done.stderr[-2000:]
    counts = levels(done.stderr)
    assert counts["ERROR"] == 0, done.stderr[-2000:]
    assert "unhandled error" not in done.stderr
    readable = re.findall(r"Stream '(\w+)' is readable: stopped after 1 record", done.stderr)
    records = Counter(
        m["stream"] for m in parse_messages(done.stdout).messages if m["type"] == "RECORD"
    )
    assert set(readable) == set(records)
    assert len(readable) >= 16
    assert set(records.values()) == {1}


def closed_port() -> int:
    """A loopback port nothing listens on: bound by the OS, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_gateway_nobody_listens_at_is_named_and_given_up_on_quickly(tmp_path: Path) -> None:
    port = closed_port()
    config = {
        "sender_id": "sandbox",
        "sender_password": "s3cret-sender",
        "user_id": "admin",
        "user_password": "s3cret-user",
        "company_id": "SANDBOX",
        "api_url": f"http://127.0.0.1:{port}{GATEWAY_PATH}?token=query-secret",
        "retry_wait_seconds": 0.01,
        "max_tries": 8,
    }
    done = run_cli(["--config", write_json(tmp_path / "config.json", config)], timeout=60)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, done.stderr
    assert f"connection refused by http://127.0.0.1:{port}{GATEWAY_PATH}:" in errors[0]
    assert "check api_url" in errors[0]
    assert "gave up after 3 tries" in errors[0]
    # Refused on every try: three quick tries, not the eight of the retry policy.
    assert len(re.findall(r"retry \d of 2 in", done.stderr)) == 2
    for secret in ("query-secret", "token=", "s3cret-sender", "s3cret-user"):
        assert secret not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_the_settings_the_sandbox_prints_are_all_the_tap_needs(tmp_path: Path) -> None:
    sandbox = Path(sys.executable).parent / "intacct-sandbox"
    command = [str(sandbox), "--port", "0", "--scale", "0.01", "--sender-password", "elsewhere"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        try:
            assert process.stdout is not None
            process.stdout.readline()  # "intacct-sandbox listening on ..."
            printed = process.stdout.readline().split(" settings: ", 1)[1]
            config = write_json(tmp_path / "config.json", json.loads(printed))
            done = run_cli(["--config", config, "--test"])
        finally:
            process.terminate()
    assert done.returncode == 0, done.stderr[-2000:]
    assert "is readable" in done.stderr


def connection_with(max_tries: int, waits: list[float]) -> gateway.IntacctConnection:
    return gateway.IntacctConnection(
        gateway.Credentials("s", "p", "u", "p", "C"),
        "http://127.0.0.1:1/ia/xml/xmlgw.phtml",
        http=requests.Session(),
        concurrency=threading.BoundedSemaphore(1),
        retry=gateway.RetryPolicy(max_tries=max_tries, initial_wait=30.0),
        stats=gateway.CallStats(),
        sleep=waits.append,
    )


@pytest.mark.parametrize(
    ("reasons", "tries"),
    [
        (["connection_refused"], 3),  # nothing listens: three quick tries
        (["timeout"], 8),  # a slow gateway keeps the full policy
        (["http_5xx", "connection_refused"], 8),  # it answered once: a restart, not a wrong URL
    ],
    ids=["refused", "timeout", "5xx-then-refused"],
)
def test_only_a_gateway_that_always_refuses_is_given_up_on_early(
    reasons: list[str], tries: int
) -> None:
    waits: list[float] = []
    conn = connection_with(8, waits)
    attempts: list[int] = []

    def attempt() -> None:
        attempts.append(1)
        reason = reasons[min(len(attempts), len(reasons)) - 1]
        raise gateway.RetryableError(f"where: {reason}", reason=reason)

    with pytest.raises(gateway.RetryableError, match=f"gave up after {tries} tries"):
        conn._with_retries(attempt, "where")
    assert len(attempts) == tries
    if tries == 3:
        assert all(wait <= 1.0 for wait in waits)  # quick: never the policy's 30 s first wait


def test_each_cause_of_retries_is_one_warning_and_its_repeats_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    conn = connection_with(6, [])
    causes = iter(["timeout", "http_429", "timeout", "timeout", "http_429"])

    def attempt() -> str:
        reason = next(causes, None)
        if reason is None:
            return "answered"
        raise gateway.RetryableError(f"where: {reason}", reason=reason)

    with caplog.at_level(logging.INFO, logger="tap_sage_intacct.gateway"):
        assert conn._with_retries(attempt, "where") == "answered"
    retries = [r for r in caplog.records if "transient failure" in r.getMessage()]
    assert [r.levelname for r in retries] == ["WARNING", "WARNING", "INFO", "INFO", "INFO"]
    assert "(timeout)" in retries[0].getMessage()
    assert "(http_429)" in retries[1].getMessage()

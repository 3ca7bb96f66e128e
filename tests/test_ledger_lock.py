"""The lock of a ledger shared by partitions, across real processes: a waiting target fails after
ledger_lock_timeout_seconds with one line naming the ledger; a SIGKILLed holder leaves nothing held;
two ledgers in one database never block each other. On PostgreSQL (advisory lock) and SQLite (flock).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from target_leanix.ledger import Ledger
from target_leanix.ledger.locking import LedgerLockTimeoutError

from .partition_helpers import LEDGER_URL, drop_ledger
from .reliability_helpers import TARGET, TRACEBACK

pytestmark = pytest.mark.slow

HOLDER = """
import sys, time
from target_leanix.ledger import Ledger
ledger = Ledger(sys.argv[1], sys.argv[2])
ledger.create()
ledger.bind_company("LOCKCO")
with ledger.lock.hold():
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(URL, table prefix) of a fresh ledger on each backend."""
    prefix = f"lk{uuid.uuid4().hex[:10]}_"
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite'}", prefix
        return
    dsn = request.getfixturevalue("postgres_dsn")
    yield LEDGER_URL, prefix
    drop_ledger(dsn, prefix)


def hold(url: str, prefix: str) -> subprocess.Popen[str]:
    """A process that holds the ledger's lock until it is killed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, prefix], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    return holder


def run_target(url: str, prefix: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    config = {
        "company_key": "LOCKCO",
        "dry_run": True,
        "dry_run_path": str(workdir / "dry.jsonl"),
        "ledger_url": url,
        "ledger_table_prefix": prefix,
        "ledger_lock_timeout_seconds": 1,
    }
    (workdir / "target.json").write_text(json.dumps(config))
    return subprocess.run(
        [str(TARGET), "--config", str(workdir / "target.json")],
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_waiting_target_fails_naming_the_ledger_and_a_killed_holder_frees_it(
    ledger_url: tuple[str, str], tmp_path: Path
) -> None:
    url, prefix = ledger_url
    holder = hold(url, prefix)
    try:
        started = time.monotonic()
        waited = run_target(url, prefix, tmp_path)
        seconds = time.monotonic() - started
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    assert waited.returncode == 1, waited.stderr[-3000:]
    failures = [line for line in waited.stderr.splitlines() if "target-leanix failed:" in line]
    assert len(failures) == 1, waited.stderr[-3000:]
    assert "stayed locked by another target process for more than 1 s" in failures[0]
    assert "ledger_lock_timeout_seconds" in failures[0]
    shown = url.removeprefix("sqlite:///")
    assert shown in failures[0]
    assert TRACEBACK not in waited.stderr
    assert seconds < 60  # bounded: it gave up, it did not wait for the holder
    # The holder died by SIGKILL, holding the lock: nothing of it is left.
    again = run_target(url, prefix, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]


def test_the_lock_is_taken_again_within_a_process_and_its_file_is_private(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}", lock_timeout=0)
    ledger.create()
    with ledger.lock.hold(), ledger.lock.hold():
        ledger.bind_company("LOCKCO")  # a write under the lock its caller holds
    assert (tmp_path / "ledger.sqlite.lock").stat().st_mode & 0o777 == 0o600
    ledger.close()


@pytest.mark.postgres
def test_two_ledgers_in_one_database_never_block_each_other(postgres_dsn: str) -> None:
    held, free = f"lk{uuid.uuid4().hex[:10]}_", f"lk{uuid.uuid4().hex[:10]}_"
    holder = hold(LEDGER_URL, held)
    try:
        other = Ledger(LEDGER_URL, free, lock_timeout=0.5)
        other.create()
        other.bind_company("OTHERCO")
        with other.lock.hold():
            pass
        same = Ledger(LEDGER_URL, held, lock_timeout=0.5)
        with pytest.raises(LedgerLockTimeoutError, match=held):
            same.set_meta("probe", "1")
        other.close()
        same.close()
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        drop_ledger(postgres_dsn, held)
        drop_ledger(postgres_dsn, free)

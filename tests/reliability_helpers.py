"""Shared plumbing of the reliability and security tests.

`PipeRunner` runs `tap-sage-intacct | target-leanix` as two real processes joined by a pipe, in a process
group of their own (so a test can SIGKILL the pair the way a CI runner dies), and hands the target's last
STATE to the next run exactly as Meltano's state backend would. `normalised_workspace` turns a LeanIX
sandbox export into what must not differ between two runs over the same source data.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sandboxes.common.process import SandboxProcess

BIN = Path(sys.executable).parent
TAP = BIN / "tap-sage-intacct"
TARGET = BIN / "target-leanix"
GATEWAY_PATH = "/ia/xml/xmlgw.phtml"
SESSION_GATEWAY_PATH = "/na1/ia/xml/xmlgw.phtml"
RUNS_PATH = "/services/integration-api/v1/synchronizationRuns"
TOKEN_PATH = "/services/mtm/v1/oauth2/token"
TRACEBACK = "Traceback (most recent call last)"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")

#: The streams target-leanix uses (the rest it reads and ignores): enough to exercise every mapping.
STREAMS = (
    "vendor",
    "department",
    "cc_transaction",
    "cc_transaction_entry",
    "expense_report",
    "expense_report_item",
    "employee_payment",
    "ap_bill",
    "ap_payment",
    "po_document",
)
#: A small company: a few hundred records, yet every stream spans several pages. Bulk rows only: the
#: books (fixed size) would outweigh a company this small and double every trial's time.
SMALL_COMPANY = ("--seed", "7", "--scale", "0.01", "--no-books")
#: A LeanIX sandbox shared by a module's trials: in memory, runs held IN_PROGRESS only briefly.
SHARED_LEANIX = ("--db", ":memory:", "--in-progress-hold-seconds", "0.05")

FACT_SHEET_VOLATILE = {"id", "rev", "createdAt", "updatedAt"}
RELATION_VOLATILE = {"id", "createdAt", "updatedAt"}


def tap_config(intacct: SandboxProcess, **overrides: Any) -> dict[str, Any]:
    return {
        "sender_id": "sandbox",
        "sender_password": "sandbox",
        "user_id": "admin",
        "user_password": "admin",
        "company_id": "SANDBOX",
        "api_url": intacct.url + GATEWAY_PATH,
        "start_date": "2020-01-01T00:00:00Z",
        "page_size": 25,
        "retry_wait_seconds": 0.05,
        **overrides,
    }


def target_config(
    leanix: SandboxProcess,
    company_key: str,
    ledger: Path,
    **overrides: Any,
) -> dict[str, Any]:
    return {
        "company_key": company_key,
        "base_url": leanix.url,
        "api_token": "sandbox-token",
        "ledger_path": str(ledger),
        # As meltano.yml's sandbox environment: the sandbox company's books end in June 2025.
        "cost_window_end": "2025-06-30",
        "batch_size_rows": 50,
        "poll_interval_seconds": 0.05,
        "backoff_seconds": 0.05,
        **overrides,
    }


def discover_catalog(config_path: Path, streams: Iterable[str] = STREAMS) -> dict[str, Any]:
    """`--discover`, then select exactly `streams` (every property), as `meltano select` would."""
    done = subprocess.run(
        [str(TAP), "--config", str(config_path), "--discover"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    catalog: dict[str, Any] = json.loads(done.stdout)
    wanted = set(streams)
    for entry in catalog["streams"]:
        for item in entry.get("metadata", []):
            if item.get("breadcrumb") == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in wanted
            else:
                item["metadata"]["selected"] = True
    return catalog


def last_state(stdout: bytes | str) -> dict[str, Any] | None:
    """The last complete state line a target wrote (what Meltano would have saved).

    A Singer target writes each state value as one bare JSON line on stdout.
    """
    text = stdout.decode("utf-8", "replace") if isinstance(stdout, bytes) else stdout
    state = None
    for line in text.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue  # a line cut by SIGKILL: Meltano would not have saved it either
        if isinstance(message, dict) and message.get("type") == "STATE":
            state = message["value"]
        elif isinstance(message, dict) and "bookmarks" in message:
            state = message
    return state


@dataclass
class PipeResult:
    tap_returncode: int | None
    target_returncode: int | None
    state_out: str
    tap_stderr: str
    target_stderr: str
    killed: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.tap_returncode == 0 and self.target_returncode == 0

    def describe(self) -> str:
        return (
            f"tap exit {self.tap_returncode}, target exit {self.target_returncode}\n"
            f"--- tap stderr ---\n{self.tap_stderr[-3000:]}\n"
            f"--- target stderr ---\n{self.target_stderr[-3000:]}"
        )


@dataclass
class PipeRunner:
    """One company's pipeline: configs, catalog, the state carried from run to run."""

    workdir: Path
    tap: dict[str, Any]
    target: dict[str, Any]
    catalog: dict[str, Any]
    state: dict[str, Any] | None = None
    runs: int = 0
    env: dict[str, str] = field(default_factory=dict)

    def _paths(self) -> dict[str, Path]:
        self.workdir.mkdir(parents=True, exist_ok=True)
        n = self.runs
        return {
            "tap": self.workdir / "tap.json",
            "target": self.workdir / "target.json",
            "catalog": self.workdir / "catalog.json",
            "state": self.workdir / f"state-{n}.json",
            "state_out": self.workdir / f"target-stdout-{n}.jsonl",
            "tap_err": self.workdir / f"tap-stderr-{n}.log",
            "target_err": self.workdir / f"target-stderr-{n}.log",
        }

    def start(self) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes], dict[str, Path]]:
        paths = self._paths()
        self.runs += 1
        paths["tap"].write_text(json.dumps(self.tap))
        paths["target"].write_text(json.dumps(self.target))
        paths["catalog"].write_text(json.dumps(self.catalog))
        tap_args = [str(TAP), "--config", str(paths["tap"]), "--catalog", str(paths["catalog"])]
        if self.state is not None:
            paths["state"].write_text(json.dumps(self.state))
            tap_args += ["--state", str(paths["state"])]
        env = {**os.environ, **self.env}
        with (
            paths["tap_err"].open("wb") as tap_err,
            paths["target_err"].open("wb") as target_err,
            paths["state_out"].open("wb") as state_out,
        ):
            # Both in one new process group: os.killpg takes the pair down at once, as a dying
            # runner would.
            tap = subprocess.Popen(
                tap_args, stdout=subprocess.PIPE, stderr=tap_err, env=env, process_group=0
            )
            target = subprocess.Popen(
                [str(TARGET), "--config", str(paths["target"])],
                stdin=tap.stdout,
                stdout=state_out,
                stderr=target_err,
                env=env,
                process_group=tap.pid,
            )
        assert tap.stdout is not None
        tap.stdout.close()  # the target owns the read end now
        return tap, target, paths

    def finish(
        self,
        tap: subprocess.Popen[bytes],
        target: subprocess.Popen[bytes],
        paths: dict[str, Path],
        *,
        killed: bool = False,
        started: float = 0.0,
    ) -> PipeResult:
        tap_code = tap.wait(timeout=300)
        target_code = target.wait(timeout=300)
        out = paths["state_out"].read_text("utf-8", "replace")
        state = last_state(out)
        if state is not None:
            self.state = state
        return PipeResult(
            tap_code,
            target_code,
            out,
            paths["tap_err"].read_text("utf-8", "replace"),
            paths["target_err"].read_text("utf-8", "replace"),
            killed=killed,
            seconds=time.monotonic() - started if started else 0.0,
        )

    def run(self) -> PipeResult:
        started = time.monotonic()
        tap, target, paths = self.start()
        return self.finish(tap, target, paths, started=started)

    def run_and_kill(self, delay: float, *, after_states: int = 0) -> PipeResult:
        """Start the pair; once the target has passed `after_states` states on, wait `delay`
        seconds more and SIGKILL its whole process group (if still alive).

        Counting states rather than seconds from the start keeps the kill points spread over the
        run however fast the pair is and however loaded the machine (start-up dominates a short
        run, so a delay drawn from an uninterrupted run's duration mostly lands before the first
        checkpoint)."""
        started = time.monotonic()
        tap, target, paths = self.start()
        while target.poll() is None and _states_written(paths["state_out"]) < after_states:
            time.sleep(0.005)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and target.poll() is None:
            time.sleep(0.01)
        killed = target.poll() is None or tap.poll() is None
        if killed:
            try:
                os.killpg(tap.pid, signal.SIGKILL)
            except ProcessLookupError:
                killed = False
        return self.finish(tap, target, paths, killed=killed, started=started)


def _states_written(path: Path) -> int:
    """Complete state lines in a target's stdout so far (see `last_state`)."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return 0
    return sum(1 for line in text.split(b"\n")[:-1] if b"bookmarks" in line)


def wait_runs_settled(leanix: SandboxProcess, timeout: float = 60.0) -> None:
    """Wait until LeanIX has no run pending or in progress (a killed target's run still finishes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = leanix.admin("GET", "/admin/export")["runs"]
        if all(r["status"] in ("FINISHED", "FAILED", "STOPPED", "CREATED") for r in runs):
            return
        time.sleep(0.1)
    raise AssertionError("LeanIX runs did not settle")


def _replace_key(value: Any, company_key: str) -> Any:
    if isinstance(value, str):
        return value.replace(company_key, "<CO>")
    if isinstance(value, list | tuple):
        return [_replace_key(v, company_key) for v in value]
    if isinstance(value, dict):
        return {k: _replace_key(v, company_key) for k, v in value.items()}
    return value


def normalised_workspace(export: dict[str, Any], company_key: str) -> dict[str, dict[Any, Any]]:
    """One company's content, keyed by identity, volatile fields dropped, the company key neutral.

    Fact sheets by externalId; relations by (type, from.externalId, to.externalId); documents by
    (fact sheet externalId, name); metrics points by (measurement, time, tags).
    """
    prefix = f"intacct:{company_key}:"

    def ours(ref: dict[str, Any] | None) -> bool:
        return str((ref or {}).get("externalId") or "").startswith(prefix)

    fact_sheets = {}
    for sheet in export["factSheets"]:
        if ours(sheet):
            kept = {k: v for k, v in sheet.items() if k not in FACT_SHEET_VOLATILE}
            fact_sheets[sheet["externalId"]] = kept
    relations = {}
    for rel in export["relations"]:
        if ours(rel["from"]) or ours(rel["to"]):
            key = (rel["type"], rel["from"]["externalId"], rel["to"]["externalId"])
            assert key not in relations, f"duplicate relation {key}"
            relations[key] = {
                k: v for k, v in rel.items() if k not in RELATION_VOLATILE | {"from", "to"}
            }
    documents = {}
    for doc in export["documents"]:
        if ours(doc["factSheet"]):
            key = (doc["factSheet"]["externalId"], doc["name"])
            assert key not in documents, f"duplicate document {key}"
            documents[key] = {
                k: v for k, v in doc.items() if k not in RELATION_VOLATILE | {"factSheet"}
            }
    metrics = {}
    for point in export["metrics"]:
        tags = tuple(sorted((t["key"], t["value"]) for t in point["tags"]))
        if not any(value.startswith(prefix) for _, value in tags):
            continue
        key = (point["measurement"], point["time"], tags)
        assert key not in metrics, f"duplicate metrics point {key}"
        metrics[key] = dict(point.get("fields", {}))
    content = {
        "factSheets": fact_sheets,
        "relations": relations,
        "documents": documents,
        "metrics": metrics,
    }
    return _neutral_keys(content, company_key)


def _neutral_keys(
    content: dict[str, dict[Any, Any]], company_key: str
) -> dict[str, dict[Any, Any]]:
    out: dict[str, dict[Any, Any]] = {}
    for kind, items in content.items():
        out[kind] = {
            _replace_key(
                list(k) if isinstance(k, tuple) else k, company_key
            ).__repr__(): _replace_key(v, company_key)
            for k, v in items.items()
        }
    return out


@dataclass
class Difference:
    missing: list[str]
    extra: list[str]
    changed: list[str]

    @property
    def count(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.changed)

    def __str__(self) -> str:
        return (
            f"missing {len(self.missing)}: {self.missing[:5]}\nextra {len(self.extra)}: "
            f"{self.extra[:5]}\nchanged {len(self.changed)}: {self.changed[:5]}"
        )


def compare(expected: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]]) -> Difference:
    missing, extra, changed = [], [], []
    for kind in expected.keys() | actual.keys():
        want, got = expected.get(kind, {}), actual.get(kind, {})
        missing += [f"{kind} {k}" for k in want.keys() - got.keys()]
        extra += [f"{kind} {k}" for k in got.keys() - want.keys()]
        changed += [
            f"{kind} {k}: {want[k]} != {got[k]}"
            for k in want.keys() & got.keys()
            if want[k] != got[k]
        ]
    return Difference(sorted(missing), sorted(extra), sorted(changed))


def money_totals(content: dict[str, dict[str, Any]]) -> dict[str, Decimal]:
    """Sum of spend points and of costTotalAnnual: a double-counted line shows up here at once."""
    spend = sum(
        (Decimal(str(v.get("amount", "0"))) for v in content["metrics"].values()), Decimal(0)
    )
    cost = sum(
        (
            Decimal(str(v.get("fields", {}).get("costTotalAnnual", "0")))
            for v in content["relations"].values()
        ),
        Decimal(0),
    )
    return {"spend": spend, "costTotalAnnual": cost}


# Linux keeps a process's RSS high-water mark across execve, so a child forked from a large pytest
# worker would report the worker's size. A small interpreter forks the measured command instead and
# reads its peak from os.wait4; it prints "<exit code> <peak KiB>" as its last stdout line.
_RUSAGE_WRAPPER = """
import os, subprocess, sys
with open(sys.argv[1], "wb") as out, open(sys.argv[2], "wb") as err:
    child = subprocess.Popen(sys.argv[3:], stdout=out, stderr=err)
    _, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def run_with_rusage(
    argv: list[str], *, stdout: Path, stderr: Path, timeout: float = 120
) -> tuple[int, int]:
    """Run to the end; return (exit code, peak RSS in MB) from the kernel's own accounting."""
    done = subprocess.run(
        [sys.executable, "-c", _RUSAGE_WRAPPER, str(stdout), str(stderr), *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    code, peak_kib = done.stdout.split()[-2:]
    return int(code), int(peak_kib) // 1024


def files_under(*roots: Path) -> Iterable[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (p for p in root.rglob("*") if p.is_file())

"""Target load: cost lines through target-leanix into the LeanIX sandbox.

`singer_gen` writes card transactions and expense reports (with their headers, vendors, departments
and reimbursements) to a temp file; the target then reads it from stdin as a child process measured
by wait4, against a fresh LeanIX sandbox and a fresh SQLite ledger. Synchronization runs are counted
from the target's own log and cross-checked with the sandbox's `/admin/stats`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

from bench import profile, singer_gen
from bench.common import (
    BIN,
    LEANIX_TOKEN,
    PROFILES,
    BenchResult,
    mb,
    rate,
    workdir,
    write_json,
)
from bench.machine import ChildRun, run_child
from sandboxes.common.process import SandboxProcess

BATCH_SIZE_ROWS = 5000  # the target's default (`batch_size_rows`)
RUN_STARTED = re.compile(r"LeanIX synchronization run \S+ started with (\d+) items")
#: The generated data spans 2023-07 .. 2025-06; the cost window must cover it for costTotalAnnual.
COST_WINDOW_END = "2025-06-30"


def _batches(singer: Path) -> int:
    """Drained batches the SDK makes: each sink drains every `batch_size_rows` records and at the end."""
    per_stream: Counter[str] = Counter()
    with singer.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith('{"type": "RECORD"'):
                per_stream[line.split('"stream": "', 1)[1].split('"', 1)[0]] += 1
    return sum(math.ceil(n / BATCH_SIZE_ROWS) for n in per_stream.values())


def _target(
    url: str, work: Path, singer: Path, tag: str, *, profiled: bool
) -> tuple[ChildRun, Path]:
    ledger = work / f"ledger-{tag}.sqlite"
    ledger.unlink(missing_ok=True)
    config = write_json(
        work / f"target-{tag}.json",
        {
            "base_url": url,
            "api_token": LEANIX_TOKEN,
            "company_key": f"BENCH{tag.upper()}",
            "ledger_path": str(ledger),
            "cost_window_end": COST_WINDOW_END,
            "batch_size_rows": BATCH_SIZE_ROWS,
        },
    )
    argv = [str(BIN / "target-leanix"), "--config", str(config)]
    raw = work / f"target-{tag}.pyspy.raw"
    if profiled:
        argv = profile.record_command(argv, raw)
    return run_child(argv, stdin_path=singer, stderr_path=work / f"target-{tag}.log"), raw


def run(sizes: list[int], *, profile_target: bool) -> BenchResult:
    """Time target-leanix loading `sizes` cost lines each; RSS, runs and calls too."""
    result = BenchResult("target")
    rss: dict[int, float] = {}
    for index, lines in enumerate(sizes):
        work = workdir(f"target-{lines}")
        singer = work / "input.singer"
        records = singer_gen.generate(singer, lines)
        batches = _batches(singer)
        db = work / "leanix.sqlite"
        db.unlink(missing_ok=True)
        with SandboxProcess("leanix-sandbox", ["--db", str(db)]) as box:
            box.reset_stats()
            target, _ = _target(box.url, work, singer, "a", profiled=False)
            stats = box.stats()
            posted = int(stats["calls"].get("ia POST /synchronizationRuns", 0))
            if profile_target and index == 0 and profile.available():
                box.admin("POST", "/admin/reset")
                server_raw = work / "leanix-sandbox.pyspy.raw"
                server = profile.record(box.pid, server_raw, seconds=target.seconds * 1.5 + 2)
                _, raw = _target(box.url, work, singer, "p", profiled=True)
                server.wait()
                case = f"{lines:,} cost lines, py-spy 100 Hz"
                result.profiles += [
                    profile.save(
                        raw, PROFILES / "target-leanix.txt", title=f"target-leanix, {case}", top=30
                    ),
                    profile.save(
                        server_raw,
                        PROFILES / "leanix-sandbox.txt",
                        title=f"leanix-sandbox serving the target, {case}",
                        top=30,
                    ),
                ]
        runs = [int(n) for n in RUN_STARTED.findall(target.stderr)]
        rss[lines] = target.peak_rss_mb
        case = f"{lines:,} cost lines ({records:,} records)"
        result.add(
            f"{case}: lines/s",
            rate(lines, target.seconds),
            f"{target.seconds:.1f}s wall, {target.cpu_seconds:.1f}s CPU",
            "",
            ">= 20,000/s",
            lines / target.seconds >= 20_000,
        )
        result.add(
            f"{case}: synchronization runs",
            f"{len(runs)} ({sum(runs):,} items; sandbox counted {posted})",
            f"{batches} drained batches",
            "",
            "<= 1 per batch",
            len(runs) <= batches,
        )
        result.add(f"{case}: peak RSS", mb(target.peak_rss_mb), "", "", "flat")
        result.note(
            f"{lines:,} lines: {records:,} records in {target.seconds:.1f}s "
            f"({rate(records, target.seconds)} records), {target.cpu_seconds:.1f}s target CPU, "
            f"{target.peak_rss_mb:.0f} MB peak; runs: {runs}"
        )
    result.add_rss_growth(rss, "lines")
    return result

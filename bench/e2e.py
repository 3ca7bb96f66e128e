"""End to end: `meltano run tap-sage-intacct target-leanix`, as `make demo` runs it, at given scales.

Both sandboxes are fresh per scale; Meltano gets its own SQLite system database and the target its
own ledger under `bench/.work/`, so nothing carries over between scales or from the demo.
"""

from __future__ import annotations

import re
import shutil

from bench.common import (
    BIN,
    GATEWAY_PATH,
    REPO,
    BenchResult,
    gateway_calls,
    mb,
    rate,
    records_written,
    workdir,
)
from bench.machine import run_child
from sandboxes.common.meltano import private_sys_dir
from sandboxes.common.process import SandboxProcess

RUNS = re.compile(r"summary: LeanIX synchronization runs: (\d+) \(([\d,]+) items\)")


def run(scales: list[float]) -> BenchResult:
    """Time `meltano run` at each sandbox scale, with fresh sandboxes, state and ledger."""
    result = BenchResult("e2e")
    for scale in scales:
        work = workdir(f"e2e-{scale:g}")
        for stale in ("meltano.db", "ledger.sqlite", "leanix.sqlite"):
            (work / stale).unlink(missing_ok=True)
        shutil.rmtree(work / "state", ignore_errors=True)
        (work / "state").mkdir()
        with (
            SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", str(scale)]) as intacct,
            SandboxProcess("leanix-sandbox", ["--db", str(work / "leanix.sqlite")]) as leanix,
        ):
            rows = sum(intacct.admin("GET", "/admin/objects").values())
            env = {
                "MELTANO_SYS_DIR_ROOT": str(private_sys_dir(work, REPO)),
                "MELTANO_STATE_BACKEND_URI": (work / "state").as_uri(),
                "MELTANO_ENVIRONMENT": "sandbox",
                "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}",
                "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
                "TAP_SAGE_INTACCT_API_URL": intacct.url + GATEWAY_PATH,
                "TARGET_LEANIX_BASE_URL": leanix.url,
                "TARGET_LEANIX_LEDGER_PATH": str(work / "ledger.sqlite"),
            }
            intacct.reset_stats()
            meltano = run_child(
                [str(BIN / "meltano"), "run", "tap-sage-intacct", "target-leanix"],
                env=env,
                cwd=REPO,
                stdout_path=work / "meltano.out",
                stderr_path=work / "meltano.log",
            )
            requests = gateway_calls(intacct.stats())
            export = leanix.admin("GET", "/admin/export")
        log = meltano.stderr + (work / "meltano.out").read_text(errors="replace")
        records = sum(records_written(log).values())
        runs = RUNS.search(log)
        fact_sheets = len(export.get("factSheets", []))
        case = f"scale {scale:g} ({rows:,} sandbox rows)"
        result.add(
            f"{case}: meltano run wall time",
            f"{meltano.seconds:.1f}s",
            f"{records:,} records = {rate(records, meltano.seconds)}",
        )
        result.add(
            f"{case}: Intacct requests, LeanIX runs",
            f"{requests} requests; {runs.group(1) if runs else '?'} runs",
            f"{runs.group(2) if runs else '?'} items, {fact_sheets} fact sheets",
        )
        result.note(
            f"scale {scale:g}: {records:,} records extracted, {meltano.seconds:.1f}s wall, "
            f"{meltano.cpu_seconds:.1f}s CPU of meltano and its plugins, largest process "
            f"{mb(meltano.peak_rss_mb)}; {requests} Intacct requests; workspace now holds "
            f"{fact_sheets} fact sheets, {len(export.get('relations', []))} relations, "
            f"{len(export.get('metrics', []))} metric points, "
            f"{len(export.get('documents', []))} documents"
        )
    return result

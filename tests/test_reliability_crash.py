"""Crash and resume: SIGKILL the whole pipeline at seeded random moments, rerun, compare with LeanIX.

Each trial is one company (its own company key, ledger and state) in a shared LeanIX sandbox. The pair
`tap-sage-intacct | target-leanix` runs as real processes over HTTP in a process group of its own and is
killed with SIGKILL at a point the trial's seed picks: after some number of the target's checkpoints
(none to all but the last of an uninterrupted run's), plus up to 0.3 s. The rerun gets the last STATE
the target had written (what Meltano's state backend would hold). After the rerun the company's
workspace must equal that of the uninterrupted run, field by field: no record lost, no amount counted
twice. Two trials go through `meltano run` itself.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandboxes.common.process import SandboxProcess

from .conftest import MELTANO, REPO, meltano_project
from .reliability_helpers import (
    SHARED_LEANIX,
    SMALL_COMPANY,
    STREAMS,
    PipeRunner,
    compare,
    discover_catalog,
    money_totals,
    normalised_workspace,
    tap_config,
    target_config,
    wait_runs_settled,
)

pytestmark = pytest.mark.slow

PIPE_TRIALS = 20
MELTANO_TRIALS = 2
#: Small batches: the target checkpoints (publishes, then passes STATE on) every 20 records, so many
#: kills land after a checkpoint and the rerun resumes from a saved state.
BATCH_ROWS = 20


@dataclass
class Baseline:
    content: dict[str, dict[str, object]]
    seconds: float
    catalog: dict[str, object]
    states: int  # state lines the uninterrupted target passed on


@pytest.fixture(scope="module")
def intacct() -> Iterator[SandboxProcess]:
    with SandboxProcess("intacct-sandbox", list(SMALL_COMPANY)) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def leanix() -> Iterator[SandboxProcess]:
    with SandboxProcess("leanix-sandbox", list(SHARED_LEANIX)) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def baseline(intacct, leanix, tmp_path_factory) -> Baseline:
    workdir = tmp_path_factory.mktemp("baseline")
    (workdir / "tap.json").write_text(json.dumps(tap_config(intacct)))
    catalog = discover_catalog(workdir / "tap.json")
    runner = PipeRunner(
        workdir,
        tap_config(intacct),
        target_config(leanix, "BASELINE", workdir / "ledger.sqlite", batch_size_rows=BATCH_ROWS),
        catalog,
    )
    result = runner.run()
    assert result.ok, result.describe()
    content = normalised_workspace(leanix.admin("GET", "/admin/export"), "BASELINE")
    assert content["metrics"], "the baseline must publish spend"
    assert content["documents"], "the baseline must publish invoices"
    states = sum(1 for line in result.state_out.splitlines() if "bookmarks" in line)
    assert states >= 4, f"the baseline must checkpoint several times, got {states} states"
    return Baseline(content, result.seconds, catalog, states)


@dataclass
class Trial:
    seed: int
    after_states: int
    delay: float
    killed: bool
    state_before_rerun: bool
    differences: int
    detail: str


def pipe_trial(seed: int, intacct, leanix, baseline: Baseline, root: Path) -> Trial:
    rng = random.Random(seed)  # noqa: S311 - reproducible kill points
    # After 0 .. all-but-the-last checkpoints, then a little later: start-up, mid-batch, mid-publish.
    after_states = rng.randrange(baseline.states)
    delay = rng.uniform(0.0, 0.3)
    company = f"CRASH{seed:02d}X"
    workdir = root / company
    runner = PipeRunner(
        workdir,
        tap_config(intacct),
        target_config(leanix, company, workdir / "ledger.sqlite", batch_size_rows=BATCH_ROWS),
        baseline.catalog,
    )
    killed = runner.run_and_kill(delay, after_states=after_states)
    had_state = runner.state is not None
    rerun = runner.run()
    assert rerun.ok, f"seed {seed}: rerun failed\n{rerun.describe()}"
    wait_runs_settled(leanix)
    content = normalised_workspace(leanix.admin("GET", "/admin/export"), company)
    diff = compare(baseline.content, content)
    return Trial(seed, after_states, delay, killed.killed, had_state, diff.count, str(diff))


def test_sigkill_at_random_points_then_rerun_equals_uninterrupted_run(
    intacct, leanix, baseline, tmp_path
):
    # Two trials at a time: the sandboxes serve both, and the suite's budget is wall time.
    with ThreadPoolExecutor(max_workers=2) as pool:
        trials = list(
            pool.map(
                lambda seed: pipe_trial(seed, intacct, leanix, baseline, tmp_path),
                range(PIPE_TRIALS),
            )
        )
    report = "\n".join(
        f"seed {t.seed:2d}: kill {t.delay:4.2f}s after state {t.after_states:3d} killed={t.killed} resumed_from_state="
        f"{t.state_before_rerun} differences={t.differences}"
        for t in trials
    )
    print(f"uninterrupted run: {baseline.seconds:.2f}s\n{report}")
    broken = [t for t in trials if t.differences]
    assert not broken, "\n".join(f"seed {t.seed}: {t.detail}" for t in broken)
    # The trials must really interrupt runs (a late delay may find the pair already done), and
    # some must resume from a state the killed target had already passed on.
    assert sum(t.killed for t in trials) >= PIPE_TRIALS // 2
    assert any(t.state_before_rerun for t in trials)


def _meltano_env(project, company: str) -> dict[str, str]:
    return {
        **project.env,
        "TARGET_LEANIX_COMPANY_KEY": company,
        "TARGET_LEANIX_BATCH_SIZE_ROWS": "100",
        "TAP_SAGE_INTACCT_PAGE_SIZE": "25",
        "TAP_SAGE_INTACCT__SELECT": json.dumps([f"{s}.*" for s in STREAMS]),
    }


@pytest.mark.parametrize("seed", range(100, 100 + MELTANO_TRIALS))
def test_sigkill_meltano_run_then_rerun_equals_uninterrupted_run(
    intacct, leanix, baseline, tmp_path, seed
):
    company = f"MCRASH{seed}X"
    project = meltano_project(tmp_path, intacct, leanix)
    env = {**os.environ, **_meltano_env(project, company)}
    command = [str(MELTANO), "run", "tap-sage-intacct", "target-leanix"]
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Meltano adds its own start-up (discovery, environment) to the pipe's duration.
    delay = random.Random(seed).uniform(0.3, 1.0) * (baseline.seconds + 8)  # noqa: S311
    while time.monotonic() - started < delay and process.poll() is None:
        time.sleep(0.02)
    killed = process.poll() is None
    if killed:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    # A SIGKILLed `meltano run` leaves its job marked running in the system database, and Meltano
    # refuses a second run of the same job until it turns stale (5 minutes without heartbeat):
    # the rerun after a crash needs --force, as a CI retry would.
    project.run(
        "run",
        "--force",
        "tap-sage-intacct",
        "target-leanix",
        extra_env=_meltano_env(project, company),
    )
    wait_runs_settled(leanix)
    content = normalised_workspace(leanix.admin("GET", "/admin/export"), company)
    diff = compare(baseline.content, content)
    print(f"meltano seed {seed}: kill at {delay:.2f}s killed={killed} differences={diff.count}")
    assert diff.count == 0, str(diff)
    assert money_totals(content) == money_totals(baseline.content)

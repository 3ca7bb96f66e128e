"""Partitions at the same time give the workspace of one run: three entity partitions and a card-stream
partition of one company run concurrently on one shared PostgreSQL ledger, into one LeanIX sandbox.

The single run (every stream, top level, a ledger of its own) is the reference; the partitioned
company's workspace must equal it field by field (fact sheets, relations, documents, metrics points).
Then trials SIGKILL random partitions at seeded points and rerun the killed ones from their last
STATE: still equal. `PARTITION_TRIALS` (default 3) sets how many; `bench/partitions.py` runs 20.
A partition with a ledger of its own (unsupported) is refused once the company is in LeanIX.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess

from .partition_helpers import drop_ledger, new_prefix, partition_runners, run_trial, single_run
from .reliability_helpers import (
    SHARED_LEANIX,
    SMALL_COMPANY,
    TRACEBACK,
    compare,
    discover_catalog,
    money_totals,
    normalised_workspace,
    tap_config,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

TRIALS = int(os.environ.get("PARTITION_TRIALS", "3"))


@pytest.fixture(scope="module")
def intacct() -> Iterator[SandboxProcess]:
    with SandboxProcess("intacct-sandbox", list(SMALL_COMPANY)) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def leanix() -> Iterator[SandboxProcess]:
    with SandboxProcess("leanix-sandbox", list(SHARED_LEANIX)) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def catalog(intacct: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("discover")
    (workdir / "tap.json").write_text(json.dumps(tap_config(intacct)))
    return discover_catalog(workdir / "tap.json")


@pytest.fixture(scope="module")
def single(
    intacct: SandboxProcess,
    leanix: SandboxProcess,
    catalog: dict[str, Any],
    postgres_dsn: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[str, Any]]:
    """The workspace of one unpartitioned run."""
    prefix = new_prefix()
    try:
        result = single_run(
            intacct, leanix, catalog, tmp_path_factory.mktemp("single"), "SINGLE", prefix
        )
    finally:
        drop_ledger(postgres_dsn, prefix)
    assert result.ok, result.describe()
    content = normalised_workspace(leanix.admin("GET", "/admin/export"), "SINGLE")
    assert content["metrics"], "the single run must publish spend"
    assert content["documents"], "the single run must publish invoices"
    return content


def test_partitions_at_the_same_time_equal_one_run(
    intacct, leanix, catalog, single, postgres_dsn, tmp_path
):
    trial = run_trial(None, intacct, leanix, catalog, single, tmp_path, postgres_dsn)
    print(trial.row())
    assert trial.differences == 0, trial.detail
    content = normalised_workspace(leanix.admin("GET", "/admin/export"), "PARTS")
    assert money_totals(content) == money_totals(single)


@pytest.mark.parametrize("seed", range(TRIALS), ids=[f"seed{n}" for n in range(TRIALS)])
def test_partitions_killed_at_random_then_rerun_equal_one_run(
    intacct, leanix, catalog, single, postgres_dsn, tmp_path, seed
):
    trial = run_trial(seed, intacct, leanix, catalog, single, tmp_path, postgres_dsn)
    print(trial.row())
    assert trial.kills >= 1, "a trial must interrupt at least one running partition"
    assert trial.differences == 0, trial.detail


def test_a_partition_with_a_ledger_of_its_own_is_refused(
    intacct, leanix, catalog, single, postgres_dsn, tmp_path
):
    """Separate ledgers per partition are not supported: once the company is in LeanIX, a partition
    whose ledger is new would publish its share as the whole; it is refused, and LeanIX unchanged."""
    before = normalised_workspace(leanix.admin("GET", "/admin/export"), "SINGLE")
    own = new_prefix()
    try:
        runner = partition_runners(intacct, leanix, catalog, tmp_path, "SINGLE", own)[-1][1]
        result = runner.run()
    finally:
        drop_ledger(postgres_dsn, own)
    assert result.target_returncode == 1, result.describe()
    assert "is new, but LeanIX already holds data of company 'SINGLE'" in result.target_stderr
    assert TRACEBACK not in result.target_stderr
    after = normalised_workspace(leanix.admin("GET", "/admin/export"), "SINGLE")
    assert compare(before, after).count == 0

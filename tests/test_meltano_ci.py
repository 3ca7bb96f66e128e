"""`meltano run` as a CI job runs it: a fresh machine each time, state kept outside in a file:// backend.

- Two runs in a row, each with a brand-new Meltano system database, share only the state backend: the
  second run is incremental (reads a fraction of the first) and leaves LeanIX exactly as it was.
- A run that fails part-way exits non-zero and keeps the state of what LeanIX had confirmed; the rerun
  completes and the workspace equals that of an uninterrupted run.
- Nothing secret appears in what the runs print.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess

from .conftest import E2E_SCALE, meltano_project

pytestmark = pytest.mark.slow

# The tap's line per stream: "Stream 'ap_bill' synced 1,998 records and 2 deletes in 0.14 s, ..."
RECORDS_WRITTEN = re.compile(r"Stream '(\w+)' synced ([\d,]+) records?(?: and ([\d,]+) deletes?)?")
SECRETS = ("ci-sender-secret-7731", "ci-user-secret-5512", "ci-leanix-token-9043")


def records_read(output: str) -> int:
    return sum(
        int(rows.replace(",", "")) + int((deletes or "0").replace(",", ""))
        for _, rows, deletes in RECORDS_WRITTEN.findall(output)
    )


def comparable_workspace(export: dict[str, Any]) -> dict[str, Any]:
    """The workspace without what legitimately differs between equal runs (ids, times, revisions)."""
    fact_sheets = sorted(
        (fs["type"], fs.get("externalId"), fs["name"], fs.get("status"), fs.get("category"))
        for fs in export["factSheets"]
    )
    relations = sorted(
        (
            r["type"],
            r["from"]["externalId"],
            r["to"]["externalId"],
            json.dumps(r["fields"], sort_keys=True),
        )
        for r in export["relations"]
    )
    documents = sorted(
        (
            d["factSheet"]["externalId"],
            d["name"],
            d.get("description"),
            d.get("url"),
            d.get("metadata"),
        )
        for d in export["documents"]
    )
    metrics = sorted(json.dumps(point, sort_keys=True) for point in _points(export))
    return {
        "factSheets": fact_sheets,
        "relations": relations,
        "documents": documents,
        "metrics": metrics,
    }


def _points(export: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in point.items() if k != "updatedAt"} for point in export.get("metrics", [])
    ]


def state_files(state_dir: Path) -> list[Path]:
    return [path for path in state_dir.rglob("*") if path.is_file() and path.suffix == ".json"]


@pytest.fixture
def secret_sandboxes(tmp_path: Path):  # type: ignore[no-untyped-def]
    intacct_args = [
        "--seed",
        "7",
        "--scale",
        E2E_SCALE,
        "--sender-password",
        SECRETS[0],
        "--user-password",
        SECRETS[1],
    ]
    with (
        SandboxProcess("intacct-sandbox", intacct_args) as intacct,
        SandboxProcess(
            "leanix-sandbox", ["--db", str(tmp_path / "leanix.sqlite"), "--token", SECRETS[2]]
        ) as leanix,
    ):
        yield intacct, leanix


def ci_env() -> dict[str, str]:
    return {
        "TAP_SAGE_INTACCT_SENDER_PASSWORD": SECRETS[0],
        "TAP_SAGE_INTACCT_USER_PASSWORD": SECRETS[1],
        "TARGET_LEANIX_API_TOKEN": SECRETS[2],
    }


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_second_ci_run_is_incremental(tmp_path: Path, secret_sandboxes) -> None:  # type: ignore[no-untyped-def]
    intacct, leanix = secret_sandboxes
    state_dir = tmp_path / "state"
    ledger = tmp_path / "ledger.sqlite"

    def ci_job(machine: str) -> str:
        """One CI job: a new system database per machine; state and ledger live outside it."""
        home = tmp_path / machine
        home.mkdir()
        project = meltano_project(home, intacct, leanix, state_dir=state_dir)
        result = project.run(
            "run",
            "tap-sage-intacct",
            "target-leanix",
            extra_env={**ci_env(), "TARGET_LEANIX_LEDGER_PATH": str(ledger)},
        )
        assert_no_secret(result.stdout, result.stderr)
        return result.stdout + result.stderr

    first = ci_job("machine-1")
    after_first = comparable_workspace(leanix.admin("GET", "/admin/export"))
    second = ci_job("machine-2")
    after_second = comparable_workspace(leanix.admin("GET", "/admin/export"))

    assert records_read(first) > 3_000
    assert records_read(second) < records_read(first) / 10
    assert after_second == after_first
    assert_no_secret(*(path.read_text() for path in state_files(state_dir)))


def test_failed_ci_run_keeps_confirmed_state_and_rerun_converges(
    tmp_path: Path, secret_sandboxes
) -> None:  # type: ignore[no-untyped-def]
    intacct, leanix = secret_sandboxes
    state_dir = tmp_path / "state"
    small_batches = {
        **ci_env(),
        "TARGET_LEANIX_LEDGER_PATH": str(tmp_path / "ledger.sqlite"),
        "TARGET_LEANIX_BATCH_SIZE_ROWS": "1000",
    }

    def ci_job(machine: str, lx: SandboxProcess, env: dict[str, str], *, check: bool = True):  # type: ignore[no-untyped-def]
        home = tmp_path / machine
        home.mkdir()
        project = meltano_project(
            home, intacct, lx, state_dir=state_dir if lx is leanix else home / "state"
        )
        return project.run("run", "tap-sage-intacct", "target-leanix", extra_env=env, check=check)

    # The third synchronization run fails: what the first two confirmed must survive in state.
    leanix.set_faults(
        [
            {
                "kind": "run_failed",
                "skip": 2,
                "count": 1,
                "path_prefix": "/services/integration-api/v1/synchronizationRuns",
            }
        ]
    )
    failed = ci_job("machine-1", leanix, small_batches, check=False)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "FAILED" in output
    assert_no_secret(output)
    assert state_files(state_dir), (
        "the batches LeanIX confirmed before the failure must have left state"
    )

    leanix.clear_faults()
    rerun = ci_job("machine-2", leanix, small_batches)
    after_rerun = comparable_workspace(leanix.admin("GET", "/admin/export"))

    # An uninterrupted run into a fresh workspace, for comparison.
    clean_args = ["--db", str(tmp_path / "clean.sqlite"), "--token", SECRETS[2]]
    with SandboxProcess("leanix-sandbox", clean_args) as clean:
        clean_env = {**ci_env(), "TARGET_LEANIX_LEDGER_PATH": str(tmp_path / "clean-ledger.sqlite")}
        reference = ci_job("machine-3", clean, clean_env)
        expected = comparable_workspace(clean.admin("GET", "/admin/export"))

    assert after_rerun == expected
    full = records_read(reference.stdout + reference.stderr)
    assert records_read(rerun.stdout + rerun.stderr) < full

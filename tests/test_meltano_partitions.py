"""The README's partitioned recipe through `meltano run` itself: one process per partition (three
entity partitions and a card-stream partition, each with its own `--state-id-suffix`), all at the
same time, sharing one PostgreSQL ledger (`ledger_url`) and Meltano's system database on PostgreSQL,
which holds the state (`state_backend.uri: systemdb`; meltano 4.4 ships no other PostgreSQL state
backend). The workspace must equal that of one unpartitioned run, field by field; each partition
keeps its own state; a second round at once is incremental and changes nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from sandboxes.common.meltano import private_sys_dir
from sandboxes.common.process import SandboxProcess

from .conftest import MELTANO, REPO, MeltanoProject, meltano_project
from .partition_helpers import (
    BATCH_ROWS,
    LEDGER_URL,
    PARTITIONS,
    Partition,
    drop_ledger,
    new_prefix,
    single_run,
)
from .reliability_helpers import (
    SHARED_LEANIX,
    SMALL_COMPANY,
    compare,
    discover_catalog,
    normalised_workspace,
    tap_config,
    wait_runs_settled,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

COMPANY = "MPARTS"
PLUGIN_PYTHON = REPO / ".meltano" / "loaders" / "target-leanix" / "venv" / "bin" / "python"


@pytest.fixture(scope="module")
def intacct() -> Iterator[SandboxProcess]:
    with SandboxProcess("intacct-sandbox", list(SMALL_COMPANY)) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def leanix() -> Iterator[SandboxProcess]:
    with SandboxProcess("leanix-sandbox", list(SHARED_LEANIX)) as sandbox:
        yield sandbox


@pytest.fixture
def system_schema(postgres_dsn: str) -> Iterator[str]:
    """A schema of its own for Meltano's system database (and so the state) in PostgreSQL."""
    schema = f"meltano_{uuid.uuid4().hex[:10]}"
    connection = psycopg2.connect(postgres_dsn)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
        connection.close()


def partition_env(
    project: MeltanoProject, partition: Partition, prefix: str, schema: str
) -> dict[str, str]:
    """What a scheduler sets for one partition's `meltano run`: its own run directory (Meltano writes
    each run's catalog, with the partition's selection, under `.meltano/run/`), entities and streams;
    the shared system database, ledger and company."""
    (project.home / partition.name).mkdir(exist_ok=True)
    return {
        **os.environ,
        **project.env,
        "MELTANO_SYS_DIR_ROOT": str(private_sys_dir(project.home / partition.name, REPO)),
        "MELTANO_DATABASE_URI": f"{LEDGER_URL}?options=-csearch_path%3D{schema}",
        "MELTANO_STATE_BACKEND_URI": "systemdb",
        "TAP_SAGE_INTACCT_ENTITY_IDS": json.dumps(list(partition.entity_ids)),
        # The catalog discovered once: no partition runs discovery (Meltano applies the selection).
        "TAP_SAGE_INTACCT__CATALOG": str(project.home / "catalog.json"),
        "TAP_SAGE_INTACCT__SELECT": json.dumps([f"{s}.*" for s in partition.streams]),
        "TAP_SAGE_INTACCT_PAGE_SIZE": "25",
        "TARGET_LEANIX_COMPANY_KEY": COMPANY,
        "TARGET_LEANIX_LEDGER_URL": LEDGER_URL,
        "TARGET_LEANIX_LEDGER_PATH": "",
        "TARGET_LEANIX_LEDGER_TABLE_PREFIX": prefix,
        "TARGET_LEANIX_BATCH_SIZE_ROWS": str(BATCH_ROWS),
        "TARGET_LEANIX_LEDGER_LOCK_TIMEOUT_SECONDS": "120",
    }


def meltano(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MELTANO), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def run_partitions(
    project: MeltanoProject, prefix: str, schema: str
) -> list[subprocess.CompletedProcess[str]]:
    def one(partition: Partition) -> subprocess.CompletedProcess[str]:
        env = partition_env(project, partition, prefix, schema)
        return meltano(
            env, "run", "--state-id-suffix", partition.name, "tap-sage-intacct", "target-leanix"
        )

    with ThreadPoolExecutor(max_workers=len(PARTITIONS)) as pool:
        return list(pool.map(one, PARTITIONS))


def test_meltano_partitions_at_once_on_postgresql_equal_one_run(
    intacct: SandboxProcess,
    leanix: SandboxProcess,
    postgres_dsn: str,
    system_schema: str,
    tmp_path: Path,
) -> None:
    project = meltano_project(tmp_path, intacct, leanix)
    env = partition_env(project, PARTITIONS[0], "unused_", system_schema)
    driver = subprocess.run(
        [str(PLUGIN_PYTHON), "-c", "import psycopg2"], env=env, capture_output=True, check=False
    )
    if driver.returncode != 0:
        pytest.fail(
            "the installed target-leanix plugin has no PostgreSQL driver: run `make plugins` "
            "(meltano.yml installs it with the postgres extra)"
        )
    # The reference: one unpartitioned run of the same company data, on a ledger of its own.
    (tmp_path / "tap.json").write_text(json.dumps(tap_config(intacct)))
    catalog: dict[str, Any] = discover_catalog(tmp_path / "tap.json")
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    single_prefix, prefix = new_prefix(), new_prefix()
    try:
        single = single_run(intacct, leanix, catalog, tmp_path / "single", "MSINGLE", single_prefix)
        assert single.ok, single.describe()
        expected = normalised_workspace(leanix.admin("GET", "/admin/export"), "MSINGLE")
        # Meltano creates its system tables once, before the partitions start together.
        migrated = meltano(env, "state", "list")
        assert migrated.returncode == 0, migrated.stderr[-4000:]

        for round_number in (1, 2):
            runs = run_partitions(project, prefix, system_schema)
            for partition, done in zip(PARTITIONS, runs, strict=True):
                assert done.returncode == 0, (
                    f"round {round_number}, partition {partition.name}:\n{done.stderr[-6000:]}"
                )
            wait_runs_settled(leanix)
            content = normalised_workspace(leanix.admin("GET", "/admin/export"), COMPANY)
            diff = compare(expected, content)
            print(f"meltano round {round_number}: partitions 4, differences {diff.count}")
            assert diff.count == 0, str(diff)
            if round_number == 2:
                # Incremental: nothing new in Intacct, so no partition started a LeanIX run.
                for partition, done in zip(PARTITIONS, runs, strict=True):
                    assert "LeanIX synchronization runs: 0 (0 items)" in done.stderr, partition.name

        states = meltano(env, "state", "list")
        assert states.returncode == 0, states.stderr[-4000:]
        ids = set(states.stdout.split())
        for partition in PARTITIONS:
            assert f"sandbox:tap-sage-intacct-to-target-leanix:{partition.name}" in ids, ids
    finally:
        drop_ledger(postgres_dsn, single_prefix)
        drop_ledger(postgres_dsn, prefix)

"""Partitioned runs at the same time: three entity partitions and one stream partition of one company.

Every partition is `tap-sage-intacct | target-leanix` (real processes, `PipeRunner`) with its own state
and one shared PostgreSQL ledger (`ledger_url`, one table prefix per company). Together they read what
one unpartitioned run reads: the entity partitions every stream but the card streams, each for one
entity (an entity session also reads the shared top-level rows, so those arrive three times, which the
ledger absorbs), and the card partition both card streams at the top level. A trial may SIGKILL some
partitions at seeded points (the whole pair, as a dying runner would), then reruns those cleanly
from the last STATE each had passed on. `bench/partitions.py` runs the same trials at scale.
"""

from __future__ import annotations

import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2

from sandboxes.common.process import SandboxProcess

from .reliability_helpers import (
    STREAMS,
    PipeResult,
    PipeRunner,
    compare,
    normalised_workspace,
    tap_config,
    target_config,
    wait_runs_settled,
)

LEDGER_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
CARD_STREAMS = ("cc_transaction", "cc_transaction_entry")
ENTITY_STREAMS = tuple(s for s in STREAMS if s not in CARD_STREAMS)
#: Small batches: many checkpoints (publications under the shared ledger's lock) per partition.
BATCH_ROWS = 20


@dataclass(frozen=True)
class Partition:
    """One `meltano run` of a partitioned setup: which entities and streams it reads."""

    name: str
    entity_ids: tuple[str, ...]
    streams: tuple[str, ...]


PARTITIONS = (
    Partition("us01", ("US01",), ENTITY_STREAMS),
    Partition("de01", ("DE01",), ENTITY_STREAMS),
    Partition("uk01", ("UK01",), ENTITY_STREAMS),
    Partition("cards", (), CARD_STREAMS),
)


def selected(catalog: dict[str, Any], streams: tuple[str, ...]) -> dict[str, Any]:
    """The catalog with exactly `streams` selected (every property), as `meltano select` would."""
    wanted = set(streams)
    entries = []
    for entry in catalog["streams"]:
        metadata = []
        for item in entry.get("metadata", []):
            chosen = entry["tap_stream_id"] in wanted if item.get("breadcrumb") == [] else True
            metadata.append({**item, "metadata": {**item["metadata"], "selected": chosen}})
        entries.append({**entry, "metadata": metadata})
    return {**catalog, "streams": entries}


def ledger_target(
    leanix: SandboxProcess, company: str, workdir: Path, prefix: str, **overrides: Any
) -> dict[str, Any]:
    """A target config on the shared PostgreSQL ledger `prefix` instead of a SQLite file."""
    config = target_config(
        leanix,
        company,
        workdir / "unused.sqlite",
        batch_size_rows=BATCH_ROWS,
        ledger_url=LEDGER_URL,
        ledger_table_prefix=prefix,
        # A partition waiting longer than this means a lock was never released: fail, do not hang.
        ledger_lock_timeout_seconds=120,
        **overrides,
    )
    del config["ledger_path"]
    return config


def new_prefix() -> str:
    """A ledger table prefix of its own for one company (tables dropped by `drop_ledger`)."""
    return f"pt{uuid.uuid4().hex[:10]}_"


def drop_ledger(dsn: str, prefix: str) -> None:
    """Drop the tables of one ledger prefix."""
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND starts_with(tablename, %s)",
                (prefix,),
            )
            for (table,) in cursor.fetchall():
                cursor.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    finally:
        connection.close()


def single_run(
    intacct: SandboxProcess,
    leanix: SandboxProcess,
    catalog: dict[str, Any],
    workdir: Path,
    company: str,
    prefix: str,
) -> PipeResult:
    """One unpartitioned run of every stream, on a PostgreSQL ledger of its own."""
    runner = PipeRunner(
        workdir,
        tap_config(intacct),
        ledger_target(leanix, company, workdir, prefix),
        selected(catalog, STREAMS),
    )
    return runner.run()


@dataclass
class PartitionOutcome:
    """What happened to one partition in a trial."""

    partition: str
    killed: bool
    after_states: int
    delay: float
    rerun: bool


@dataclass
class TrialResult:
    """A trial's partitions, kills and differences from the single run."""

    seed: int | None
    outcomes: list[PartitionOutcome]
    differences: int
    detail: str
    seconds: float

    @property
    def kills(self) -> int:
        """Partitions SIGKILLed while still running."""
        return sum(o.killed for o in self.outcomes)

    def row(self) -> str:
        """One line of the trial table."""
        killed = ",".join(
            f"{o.partition}@{o.after_states}+{o.delay:.2f}s" for o in self.outcomes if o.killed
        )
        label = "no kills" if self.seed is None else f"seed {self.seed:2d}"
        return (
            f"{label}: partitions {len(self.outcomes)}, kills {self.kills} ({killed or '-'}), "
            f"differences {self.differences}, {self.seconds:.1f} s"
        )


def partition_runners(
    intacct: SandboxProcess,
    leanix: SandboxProcess,
    catalog: dict[str, Any],
    root: Path,
    company: str,
    prefix: str,
) -> list[tuple[Partition, PipeRunner]]:
    """One runner per partition, all on the same ledger and company, each with its own state."""
    return [
        (
            partition,
            PipeRunner(
                root / partition.name,
                tap_config(intacct, entity_ids=list(partition.entity_ids)),
                ledger_target(leanix, company, root / partition.name, prefix),
                selected(catalog, partition.streams),
            ),
        )
        for partition in PARTITIONS
    ]


def run_trial(
    seed: int | None,
    intacct: SandboxProcess,
    leanix: SandboxProcess,
    catalog: dict[str, Any],
    expected: dict[str, dict[str, Any]],
    root: Path,
    dsn: str,
) -> TrialResult:
    """All partitions at once (seeded SIGKILLs of some), then clean reruns of the killed ones; the
    company's workspace compared with the single run's."""
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - reproducible kill points
    company = "PARTS" if seed is None else f"PART{seed:02d}X"
    prefix = new_prefix()
    runners = partition_runners(intacct, leanix, catalog, root / company, company, prefix)
    plans = []
    for partition, _ in runners:
        kill = seed is not None and rng.random() < 0.5
        plans.append((partition, kill, rng.randrange(4), rng.uniform(0.0, 0.4)))
    if seed is not None and not any(kill for _, kill, _, _ in plans):
        # Every trial kills someone: the partition the seed picks.
        index = rng.randrange(len(plans))
        partition, _, after, delay = plans[index]
        plans[index] = (partition, True, after, delay)

    def first(index: int) -> PipeResult:
        _, kill, after, delay = plans[index]
        runner = runners[index][1]
        return runner.run_and_kill(delay, after_states=after) if kill else runner.run()

    try:
        with ThreadPoolExecutor(max_workers=len(runners)) as pool:
            results = list(pool.map(first, range(len(runners))))
        outcomes = []
        rerun = []
        for (partition, kill, after, delay), result in zip(plans, results, strict=True):
            if not result.killed:
                assert result.ok, f"{partition.name} failed\n{result.describe()}"
            outcomes.append(PartitionOutcome(partition.name, result.killed, after, delay, kill))
            if result.killed:
                rerun.append(runners[PARTITIONS.index(partition)][1])
        wait_runs_settled(leanix)
        with ThreadPoolExecutor(max_workers=max(1, len(rerun))) as pool:
            for again in pool.map(PipeRunner.run, rerun):
                assert again.ok, f"rerun of a killed partition failed\n{again.describe()}"
        wait_runs_settled(leanix)
        content = normalised_workspace(leanix.admin("GET", "/admin/export"), company)
        diff = compare(expected, content)
        return TrialResult(seed, outcomes, diff.count, str(diff), time.monotonic() - started)
    finally:
        drop_ledger(dsn, prefix)

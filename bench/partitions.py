"""Partitions at the same time with seeded SIGKILLs: the trial table (partitions, kills, differences).

.venv/bin/python -m bench.partitions                 # 20 trials on the small company
.venv/bin/python -m bench.partitions --trials 5 --scale 0.05 --first-seed 100

Each trial runs three entity partitions and a card-stream partition of one company at once on one
shared PostgreSQL ledger (127.0.0.1:5432, database `test`), SIGKILLs some at seeded points, reruns the
killed ones from their last STATE, and counts the differences between the company's LeanIX workspace
and that of one unpartitioned run (`tests/partition_helpers.py`; `make test` runs 3 such trials).
Differences must be zero; the exit code is 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import time
from pathlib import Path

from sandboxes.common.process import SandboxProcess
from tests.partition_helpers import drop_ledger, new_prefix, run_trial, single_run
from tests.reliability_helpers import (
    SHARED_LEANIX,
    discover_catalog,
    normalised_workspace,
    tap_config,
)

DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


def main(argv: list[str]) -> int:
    """Run the trials and print one line per trial, then the totals."""
    parser = argparse.ArgumentParser(prog="python -m bench.partitions")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--scale", default="0.01", help="intacct-sandbox --scale")
    args = parser.parse_args(argv)
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        print("bench.partitions: no PostgreSQL answers on 127.0.0.1:5432 (trust, database test)")
        return 2
    company = ["--seed", "7", "--scale", args.scale]
    with (
        tempfile.TemporaryDirectory(prefix="bench-partitions-") as temp,
        SandboxProcess("intacct-sandbox", company) as intacct,
        SandboxProcess("leanix-sandbox", list(SHARED_LEANIX)) as leanix,
    ):
        root = Path(temp)
        (root / "tap.json").write_text(json.dumps(tap_config(intacct)))
        catalog = discover_catalog(root / "tap.json")
        prefix = new_prefix()
        started = time.monotonic()
        try:
            single = single_run(intacct, leanix, catalog, root / "single", "SINGLE", prefix)
        finally:
            drop_ledger(DSN, prefix)
        if not single.ok:
            print(single.describe())
            return 1
        expected = normalised_workspace(leanix.admin("GET", "/admin/export"), "SINGLE")
        print(
            f"single run: {time.monotonic() - started:.1f} s, {len(expected['factSheets'])} fact "
            f"sheets, {len(expected['relations'])} relations, {len(expected['metrics'])} spend "
            f"points, {len(expected['documents'])} documents"
        )
        trials = []
        for seed in range(args.first_seed, args.first_seed + args.trials):
            trial = run_trial(seed, intacct, leanix, catalog, expected, root, DSN)
            print(trial.row(), flush=True)
            trials.append(trial)
    kills = sum(t.kills for t in trials)
    differences = sum(t.differences for t in trials)
    print(
        f"trials {len(trials)}: partitions {4 * len(trials)}, kills {kills}, "
        f"differences {differences}"
    )
    for trial in trials:
        if trial.differences:
            print(f"seed {trial.seed}: {trial.detail}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

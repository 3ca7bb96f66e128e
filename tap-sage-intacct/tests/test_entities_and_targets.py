"""Multi-entity extraction, and a third-party Singer target consuming the tap's output."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess

from .conftest import (
    TAP_CLI,
    assert_unique_keys,
    discover,
    ground_truth,
    run_tap,
    select,
    tap_config,
)

TARGET_JSONL = (
    Path(sys.executable).parent.parent / "plugins" / "target-jsonl" / "bin" / "target-jsonl"
)
STREAMS = {
    "ap_bill": "APBILL",
    "vendor": "VENDOR",
    "department": "DEPARTMENT",
    "location": "LOCATION",
}


@pytest.fixture(scope="module")
def sandbox(sandbox_factory: Callable[..., SandboxProcess]) -> SandboxProcess:
    return sandbox_factory("--scale", "0.1")


@pytest.fixture(scope="module")
def catalog(sandbox: SandboxProcess) -> dict[str, Any]:
    return select(discover(tap_config(sandbox)), list(STREAMS))


@pytest.mark.parametrize(
    ("entity_ids", "entities", "logins"),
    [(["US01", "DE01"], {"US01", "DE01"}, 2), (["*"], {"US01", "DE01", "UK01"}, 4)],
    ids=["two_entities", "every_entity"],
)
def test_entities_each_record_once(
    sandbox: SandboxProcess,
    catalog: dict[str, Any],
    entity_ids: list[str],
    entities: set[str],
    logins: int,
) -> None:
    sandbox.reset_stats()
    run = run_tap(tap_config(sandbox, entity_ids=entity_ids), catalog=catalog)
    stats = sandbox.stats()
    # One session per entity ("*" lists the entities from a top-level session first).
    assert stats["calls"]["getAPISession"] == logins
    for stream, object_name in STREAMS.items():
        records = run.records[stream]
        assert_unique_keys(records, stream)
        truth = ground_truth(sandbox, object_name)
        expected = {int(r["RECORDNO"]) for r in truth if r["MEGAENTITYID"] in entities | {""}}
        assert {r["RECORDNO"] for r in records} == expected, stream
    bills = run.records["ap_bill"]
    assert {b["MEGAENTITYID"] for b in bills} == entities
    # State keeps one keyset position per entity.
    saved = run.final_state["bookmarks"]["ap_bill"]["entities"]
    assert set(saved) == entities
    assert all(v.get("replication_key_value") for v in saved.values())


def test_third_party_target_consumes_the_output(
    sandbox: SandboxProcess, catalog: dict[str, Any], tmp_path: Path
) -> None:
    config = tmp_path / "tap.json"
    config.write_text(json.dumps(tap_config(sandbox)))
    catalog_path = tmp_path / "catalog.json"
    catalog_path.write_text(json.dumps(catalog))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target_config = tmp_path / "target.json"
    target_config.write_text(
        json.dumps({"destination_path": str(out_dir), "do_timestamp_file": False})
    )
    tap = subprocess.Popen(
        [TAP_CLI, "--config", str(config), "--catalog", str(catalog_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    target = subprocess.run(
        [str(TARGET_JSONL), "--config", str(target_config)],
        stdin=tap.stdout,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert tap.stdout is not None
    tap.stdout.close()
    _, tap_err = tap.communicate(timeout=120)
    assert tap.returncode == 0, tap_err.decode()[-2000:]
    assert target.returncode == 0, target.stderr.decode()[-2000:]
    # target-jsonl echoes the last state it saw: the tap's bookmarks.
    assert b"bookmarks" in target.stdout
    for stream, object_name in STREAMS.items():
        (written,) = list(out_dir.glob(f"{stream}*.jsonl"))
        rows = [json.loads(line, parse_float=Decimal) for line in written.read_text().splitlines()]
        live = [r for r in rows if not r.get("_sdc_deleted_at")]
        truth = ground_truth(sandbox, object_name)
        assert sorted(r["RECORDNO"] for r in live) == sorted(int(t["RECORDNO"]) for t in truth), (
            stream
        )
    bills = {
        r["RECORDNO"]: r
        for r in map(json.loads, (out_dir / "ap_bill.jsonl").read_text().splitlines())
    }
    sample = ground_truth(sandbox, "APBILL")[7]
    assert bills[int(sample["RECORDNO"])]["VENDORID"] == sample["VENDORID"]

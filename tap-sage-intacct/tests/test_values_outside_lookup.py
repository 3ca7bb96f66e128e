"""A value Intacct's `lookup` does not list (Intacct adds values over time) flows through a
validating third-party target, and the next incremental run goes on from there."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess

from .conftest import TAP_CLI, discover, select, tap_config
from .test_entities_and_targets import TARGET_JSONL

# What the sandbox's own random mutations write into PODOCUMENT (an object without DESCRIPTION):
# a STATE its lookup does not list.
NEW_STATE = "Complete"


@pytest.fixture(scope="module")
def sandbox(sandbox_factory: Callable[..., SandboxProcess]) -> SandboxProcess:
    return sandbox_factory("--scale", "0.05")


def tap_into_jsonl(
    workdir: Path, catalog: dict[str, Any], config: dict[str, Any], state: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """`tap | target-jsonl` as a user pipes them: the po_document rows written, and the last STATE
    target-jsonl echoed (the tap's bookmarks, which the next run starts from)."""
    workdir.mkdir()
    (workdir / "tap.json").write_text(json.dumps(config))
    (workdir / "catalog.json").write_text(json.dumps(catalog))
    state_args = []
    if state is not None:
        (workdir / "state.json").write_text(json.dumps(state))
        state_args = ["--state", str(workdir / "state.json")]
    out_dir = workdir / "out"
    out_dir.mkdir()
    (workdir / "target.json").write_text(
        json.dumps({"destination_path": str(out_dir), "do_timestamp_file": False})
    )
    tap = subprocess.Popen(
        [
            TAP_CLI,
            "--config",
            str(workdir / "tap.json"),
            "--catalog",
            str(workdir / "catalog.json"),
            *state_args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    target = subprocess.run(
        [str(TARGET_JSONL), "--config", str(workdir / "target.json")],
        stdin=tap.stdout,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert tap.stdout is not None
    tap.stdout.close()
    _, tap_err = tap.communicate(timeout=120)
    assert target.returncode == 0, target.stderr.decode()[-2000:]
    assert tap.returncode == 0, tap_err.decode()[-2000:]
    written = (out_dir / "po_document.jsonl").read_text().splitlines()
    rows = [json.loads(line, parse_float=Decimal) for line in written]
    last_state: dict[str, Any] = json.loads(target.stdout.decode().splitlines()[-1])
    return rows, last_state


def test_new_value_reaches_target_jsonl_and_state_advances(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    config = tap_config(sandbox)
    catalog = select(discover(config), ["po_document"])
    first_rows, first_state = tap_into_jsonl(tmp_path / "first", catalog, config, None)
    assert first_rows
    changed = first_rows[0]["RECORDNO"]
    results = sandbox.admin(
        "POST",
        "/admin/mutate",
        [
            {
                "op": "modify",
                "object": "PODOCUMENT",
                "recordno": changed,
                "fields": {"STATE": NEW_STATE},
            },
            {"op": "insert", "object": "PODOCUMENT", "fields": {"STATE": NEW_STATE}},
        ],
    )["results"]
    inserted = results[1]["recordno"]

    second_rows, second_state = tap_into_jsonl(tmp_path / "second", catalog, config, first_state)
    assert len(second_rows) < len(first_rows)  # incremental: from the first run's bookmarks
    states = {row["RECORDNO"]: row["STATE"] for row in second_rows}
    assert states[changed] == NEW_STATE
    assert states[inserted] == NEW_STATE

    def position(state: dict[str, Any]) -> tuple[str, int]:
        (saved,) = state["bookmarks"]["po_document"]["entities"].values()
        return saved["replication_key_value"], saved["replication_key_value_recordno"]

    assert position(second_state) > position(first_state)
    assert position(second_state)[1] in (changed, inserted)
    # The value really is outside what the lookup lists, which stays documented.
    schema = next(e for e in catalog["streams"] if e["tap_stream_id"] == "po_document")["schema"]
    state_schema = schema["properties"]["STATE"]
    assert "enum" not in state_schema
    listed = state_schema["description"].removeprefix("Valid values: ").split(", ")
    assert "Draft" in listed
    assert NEW_STATE not in listed


def test_a_catalog_saved_with_enum_by_an_earlier_version_does_not_jam_the_target(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    """Earlier versions wrote lookup valid values as `enum`; a catalog saved then still flows."""
    config = tap_config(sandbox)
    catalog = select(discover(config), ["po_document"])
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "po_document")
    state_schema = entry["schema"]["properties"]["STATE"]
    listed = state_schema.pop("description").removeprefix("Valid values: ").split(", ")
    state_schema["enum"] = [*listed, None]  # as the earlier discovery wrote it
    sandbox.admin(
        "POST",
        "/admin/mutate",
        [{"op": "insert", "object": "PODOCUMENT", "fields": {"STATE": NEW_STATE}}],
    )
    rows, _ = tap_into_jsonl(tmp_path / "saved", catalog, config, None)
    assert NEW_STATE in {row["STATE"] for row in rows}

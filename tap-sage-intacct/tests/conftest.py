"""Shared helpers: start the Intacct sandbox as a real process, run the tap in-process or as a CLI."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from singer_sdk.exceptions import ConfigValidationError

from sandboxes.common.process import SandboxProcess
from tap_sage_intacct.objects import STANDARD_OBJECTS
from tap_sage_intacct.schema import fields_from_spec, json_schema
from tap_sage_intacct.tap import TapSageIntacct

GATEWAY_PATH = "/ia/xml/xmlgw.phtml"
TAP_CLI = str(Path(sys.executable).parent / "tap-sage-intacct")
CREDENTIALS = {
    "sender_id": "sandbox",
    "sender_password": "sandbox",
    "user_id": "admin",
    "user_password": "admin",
    "company_id": "SANDBOX",
}


def tap_config(sandbox: SandboxProcess, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        **CREDENTIALS,
        "api_url": sandbox.url + GATEWAY_PATH,
        "retry_wait_seconds": 0.01,
    }
    config.update(overrides)
    return config


@dataclass
class TapRun:
    messages: list[dict[str, Any]]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    tombstones: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    states: list[dict[str, Any]] = field(default_factory=list)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    tap: TapSageIntacct | None = None

    @property
    def final_state(self) -> dict[str, Any]:
        return self.states[-1] if self.states else {}


def parse_messages(text: str) -> TapRun:
    messages = [json.loads(line, parse_float=Decimal) for line in text.splitlines() if line.strip()]
    run = TapRun(messages)
    for message in messages:
        kind = message["type"]
        if kind == "RECORD":
            record = message["record"]
            target = run.tombstones if record.get("_sdc_deleted_at") else run.records
            target[message["stream"]].append(record)
        elif kind == "STATE":
            run.states.append(message["value"])
        elif kind == "SCHEMA":
            run.schemas[message["stream"]] = message["schema"]
    return run


def run_tap(
    config: dict[str, Any],
    *,
    catalog: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
) -> TapRun:
    """Run a full sync in-process (real HTTP to the sandbox) and parse what it wrote to stdout."""
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        tap = TapSageIntacct(config=config, catalog=catalog, state=state)
        tap.sync_all()
    run = parse_messages(buffer.getvalue())
    run.tap = tap
    return run


def the_config_error(setting: str, value: object) -> str:
    """The one error the tap's config validation gives for CREDENTIALS with `setting` = `value`."""
    with pytest.raises(ConfigValidationError) as refused:
        TapSageIntacct(config={**CREDENTIALS, setting: value}, setup_mapper=False)
    (error,) = refused.value.errors
    return str(error)


def run_cli(
    args: list[str], *, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TAP_CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


def discover(config: dict[str, Any]) -> dict[str, Any]:
    return TapSageIntacct(config=config).catalog_dict


def offline_catalog() -> dict[str, Any]:
    """A catalog built from the built-in schemas, so a tap can be built before any server runs."""
    streams = []
    for spec in STANDARD_OBJECTS:
        schema = json_schema(fields_from_spec(spec.fallback_field_types()))
        metadata = [
            {
                "breadcrumb": [],
                "metadata": {
                    "inclusion": "available",
                    "selected": True,
                    "table-key-properties": list(spec.key_properties),
                    "replication-key": spec.replication_key,
                    "valid-replication-keys": [spec.replication_key],
                },
            }
        ]
        streams.append(
            {
                "tap_stream_id": spec.stream_name,
                "stream": spec.stream_name,
                "schema": schema,
                "metadata": metadata,
                "key_properties": list(spec.key_properties),
                "replication_key": spec.replication_key,
                "replication_method": "INCREMENTAL",
            }
        )
    return {"streams": streams}


def select(catalog: dict[str, Any], names: list[str]) -> dict[str, Any]:
    chosen = copy.deepcopy(catalog)
    for entry in chosen["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in names
    return chosen


def ground_truth(
    sandbox: SandboxProcess, object_name: str, entity: str | None = None
) -> list[dict[str, str]]:
    query = "?limit=1000000" + (f"&entity={entity}" if entity else "")
    rows: list[dict[str, str]] = sandbox.admin("GET", f"/admin/objects/{object_name}{query}")[
        "rows"
    ]
    return rows


def assert_unique_keys(records: list[dict[str, Any]], stream: str) -> None:
    counts = Counter(r["RECORDNO"] for r in records)
    duplicated = {k: c for k, c in counts.items() if c > 1}
    assert not duplicated, (
        f"{stream}: RECORDNO emitted more than once: {list(duplicated.items())[:5]}"
    )
    assert None not in counts, f"{stream}: a record without RECORDNO"


@pytest.fixture(scope="module")
def sandbox_factory() -> Iterator[Callable[..., SandboxProcess]]:
    """Start sandboxes for a module; all are stopped when the module ends."""
    started: list[SandboxProcess] = []

    def start(*args: str) -> SandboxProcess:
        process = SandboxProcess("intacct-sandbox", ["--seed", "7", *args]).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()

"""Every object Intacct lists: discovery and its metadata, full and incremental syncs of all of them,
deletes, schema drift and a company with 150+ objects, against real intacct-sandbox processes."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess

from .conftest import discover, ground_truth, run_cli, run_tap, select, tap_config

DEFAULT_STREAMS = {
    "vendor", "department", "location", "gl_account", "cc_transaction", "cc_transaction_entry",
    "expense_report", "expense_report_item", "ap_bill", "ap_bill_item", "ap_payment",
    "ap_payment_detail", "po_document", "po_document_entry", "ap_recurring_bill", "employee_payment",
}  # fmt: skip


def root(entry: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(m["metadata"] for m in entry["metadata"] if m["breadcrumb"] == [])
    return found


def select_all(catalog: dict[str, Any]) -> dict[str, Any]:
    chosen = copy.deepcopy(catalog)
    for entry in chosen["streams"]:
        root(entry)["selected"] = True
    return chosen


def key_of(entry: dict[str, Any]) -> str:
    (key,) = root(entry)["table-key-properties"]
    return str(key)


def truth_keys(sandbox: SandboxProcess, entry: dict[str, Any]) -> list[str]:
    key = key_of(entry)
    if entry["tap_stream_id"] == "supdoc":
        total = sandbox.admin("GET", "/admin/supdoc")["count"]
        return sorted(str(n) for n in range(1, total + 1))
    return sorted(str(r[key]) for r in ground_truth(sandbox, root(entry)["intacct-object"]))


@pytest.fixture(scope="module")
def sandbox(sandbox_factory: Callable[..., SandboxProcess]) -> SandboxProcess:
    return sandbox_factory("--scale", "0.1")


@pytest.fixture(scope="module")
def catalog(sandbox: SandboxProcess) -> dict[str, Any]:
    return discover(tap_config(sandbox))


def test_discovery_lists_every_object_intacct_lists(
    sandbox: SandboxProcess, catalog: dict[str, Any]
) -> None:
    counts = sandbox.admin("GET", "/admin/objects")
    by_object = {root(e)["intacct-object"]: e for e in catalog["streams"]}
    # every object, and the supporting documents (get_list: no lookup, not an object to inspect)
    assert set(by_object) == {*counts, "supdoc"}
    names = {e["tap_stream_id"] for e in catalog["streams"]}
    # existing streams keep their names; every other stream is the object in lower case
    assert names > DEFAULT_STREAMS
    assert {"customer", "arinvoice", "arinvoiceitem", "saas_contract", "costcenter"} < names
    for entry in catalog["streams"]:
        meta = root(entry)
        assert meta["selected-by-default"] is (entry["tap_stream_id"] in DEFAULT_STREAMS)
        assert meta["selected"] is meta["selected-by-default"]


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        ("ap_bill", {"intacct-object": "APBILL", "intacct-read-function": "query"}),
        (
            "arinvoiceitem",
            {"intacct-parent-object": "ARINVOICE", "intacct-parent-key": "RECORDKEY"},
        ),
        ("customer", {"intacct-natural-id": "CUSTOMERID", "replication-key": "WHENMODIFIED"}),
        (
            "saas_contract_seat",
            {
                "intacct-object": "saas_contract_seat",
                "intacct-custom-object": True,
                "intacct-parent-object": "saas_contract",
                "intacct-parent-key": "RSAAS_CONTRACT",
            },
        ),
        ("costcenter", {"intacct-custom-object": True, "table-key-properties": ["RECORDNO"]}),
        (
            "glbudgetheader",
            {
                "forced-replication-method": "FULL_TABLE",
                "intacct-replication": "full table: the lookup has no WHENMODIFIED timestamp",
            },
        ),
        (
            "reportingperiod",
            {"intacct-read-function": "readByQuery", "table-key-properties": ["NAME"]},
        ),
    ],
)
def test_discovery_decides_each_objects_behaviour_from_its_lookup(
    catalog: dict[str, Any], stream: str, expected: dict[str, Any]
) -> None:
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == stream)
    meta = root(entry)
    assert {k: meta.get(k) for k in expected} == expected
    if meta.get("forced-replication-method") == "FULL_TABLE":
        assert "replication-key" not in meta
    else:
        assert meta["replication-key"] == "WHENMODIFIED"


def test_user_defined_dimensions_are_objects_and_typed_on_lines(catalog: dict[str, Any]) -> None:
    entries = {e["tap_stream_id"]: e for e in catalog["streams"]}
    assert {"costcenter", "channel"} <= set(entries)
    props = entries["arinvoiceitem"]["schema"]["properties"]
    for field, dimension in (("GLDIMCOSTCENTER", "costcenter"), ("GLDIMCHANNEL", "channel")):
        assert props[field]["type"] == ["string", "null"]
        assert props[field]["description"].startswith(f"User-defined dimension {dimension} (")


def test_an_object_whose_lookup_is_refused_is_left_out_with_one_info_line(
    sandbox_factory: Callable[..., SandboxProcess], caplog: pytest.LogCaptureFixture
) -> None:
    box = sandbox_factory("--scale", "0.02", "--deny-lookup", "CUSTOMER")
    with caplog.at_level(logging.INFO):
        catalog = discover(tap_config(box))
    assert "customer" not in {e["tap_stream_id"] for e in catalog["streams"]}
    # named as `inspect` lists it (type names in lower case)
    lines = [r for r in caplog.records if "customer" in r.getMessage().lower()]
    assert [(r.levelname, r.getMessage().split(":")[0]) for r in lines] == [
        ("INFO", "Leaving out object customer")
    ]


def test_full_sync_of_every_object_matches_the_sandbox(
    sandbox: SandboxProcess, catalog: dict[str, Any]
) -> None:
    run = run_tap(tap_config(sandbox), catalog=select_all(catalog))
    for entry in catalog["streams"]:
        stream, key = entry["tap_stream_id"], key_of(entry)
        got = sorted(str(r[key]) for r in run.records[stream])
        assert got == truth_keys(sandbox, entry), stream
    # money: an AR invoice's total is the exact sum of its lines
    lines: dict[int, Any] = {}
    for line in run.records["arinvoiceitem"]:
        lines[line["RECORDKEY"]] = lines.get(line["RECORDKEY"], 0) + line["TRX_AMOUNT"]
    for invoice in run.records["arinvoice"]:
        assert invoice["TRX_TOTALENTERED"] == lines[invoice["RECORDNO"]]


def test_second_run_reads_only_changes_and_deletes_arrive_as_tombstones(
    sandbox_factory: Callable[..., SandboxProcess],
) -> None:
    box = sandbox_factory("--scale", "0.05")
    config = tap_config(box, lookback_minutes=0)
    catalog = select_all(discover(config))
    first = run_tap(config, catalog=catalog)
    changed = box.admin(
        "POST",
        "/admin/mutate",
        [
            {"op": "modify", "object": "CUSTOMER", "recordno": 3, "fields": {"NAME": "Renamed"}},
            {"op": "modify", "object": "saas_contract", "recordno": 2, "fields": {"SEATS": "9"}},
            {
                "op": "insert",
                "object": "ARINVOICE",
                "fields": {},
                "lines": [{"TRX_AMOUNT": "10.00"}],
            },
            {"op": "delete", "object": "ARINVOICE", "recordno": 3005},
            {"op": "delete", "object": "CUSTOMER", "recordno": 7},
            {"op": "delete", "object": "costcenter", "recordno": 2},
        ],
    )["results"]
    second = run_tap(config, catalog=catalog, state=first.final_state)
    entries = {e["tap_stream_id"]: e for e in catalog["streams"]}
    assert [r["RECORDNO"] for r in second.records["customer"]] == [3]
    assert second.records["customer"][0]["NAME"] == "Renamed"
    assert [r["RECORDNO"] for r in second.records["saas_contract"]] == [2]
    inserted = changed[2]
    assert [r["RECORDNO"] for r in second.records["arinvoice"]] == [inserted["recordno"]]
    assert [r["RECORDNO"] for r in second.records["arinvoiceitem"]] == inserted["lines"]
    # full-table streams are read whole; unchanged incremental streams read nothing
    assert len(second.records["glbudgetheader"]) == len(first.records["glbudgetheader"])
    for name in ("vendor", "ap_bill", "item", "task", "employee", "channel"):
        assert second.records[name] == [], name
    # readByQuery has no keyset: at most the rows of the bookmark's own second come again
    last = max(r["WHENMODIFIED"] for r in first.records["reportingperiod"])
    assert all(r["WHENMODIFIED"] == last for r in second.records["reportingperiod"])
    # deletes: the key and _sdc_deleted_at, natural ids mapped back to RECORDNO
    assert {t["RECORDNO"] for t in second.tombstones["arinvoice"]} == {3005}
    doomed_lines = set(changed[3]["lines"])
    assert {t["RECORDNO"] for t in second.tombstones["arinvoiceitem"]} == doomed_lines
    assert [(t["RECORDNO"], t["CUSTOMERID"]) for t in second.tombstones["customer"]] == [
        (7, "CUST-0007")
    ]
    assert {t["RECORDNO"] for t in second.tombstones["costcenter"]} == {2}
    assert set(entries) >= {"customer", "arinvoice", "costcenter"}


def test_a_field_dropped_in_intacct_after_discovery_is_dropped_with_one_warning(
    sandbox_factory: Callable[..., SandboxProcess], caplog: pytest.LogCaptureFixture
) -> None:
    box = sandbox_factory("--scale", "0.02")
    config = tap_config(box)
    catalog = discover(config)
    box.admin("POST", "/admin/schema", {"object": "CUSTOMER", "drop": ["TERMNAME"]})
    box.admin("POST", "/admin/schema", {"object": "REPORTINGPERIOD", "drop": ["HEADER2"]})
    chosen = select_all(catalog)
    with caplog.at_level(logging.WARNING):
        run = run_tap(config, catalog=chosen)
    for stream, obj, field in (
        ("customer", "CUSTOMER", "TERMNAME"),
        ("reportingperiod", "REPORTINGPERIOD", "HEADER2"),
    ):
        warnings = [r.getMessage() for r in caplog.records if field in r.getMessage()]
        assert len(warnings) == 1, warnings
        assert f"'{stream}'" in warnings[0]
        assert obj in warnings[0]
        assert len(run.records[stream]) == len(ground_truth(box, obj))
        assert all(field not in r for r in run.records[stream])
    # a new field is picked up at the next discovery, the dropped one is gone
    box.admin("POST", "/admin/schema", {"object": "CUSTOMER", "add": [{"name": "TIER"}]})
    again = {e["tap_stream_id"]: e for e in discover(config)["streams"]}
    assert "TIER" in again["customer"]["schema"]["properties"]
    assert "TERMNAME" not in again["customer"]["schema"]["properties"]


def test_discovery_of_a_company_with_150_objects_stays_one_login_and_few_requests(
    sandbox_factory: Callable[..., SandboxProcess], tmp_path: Path
) -> None:
    box = sandbox_factory("--scale", "0.02", "--extra-objects", "130")
    box.reset_stats()
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(tap_config(box)))
    result = run_cli(["--config", str(config_path), "--discover"])
    assert result.returncode == 0, result.stderr[-2000:]
    streams = json.loads(result.stdout)["streams"]
    assert len(streams) >= 150
    stats = box.stats()
    assert stats["calls"]["getAPISession"] == 1
    batches = math.ceil(len(streams) / 50)
    assert sum(stats["paths"].values()) <= 1 + 1 + 2 * batches + 1
    assert sum(1 for e in streams if e["tap_stream_id"].startswith("x_object_")) == 130


def test_supporting_documents_stream_attachment_metadata_and_content_only_on_request(
    sandbox: SandboxProcess, catalog: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "supdoc")
    assert root(entry)["intacct-read-function"] == "get_list"
    assert root(entry)["forced-replication-method"] == "FULL_TABLE"
    chosen = select(catalog, ["supdoc"])
    total = sandbox.admin("GET", "/admin/supdoc")["count"]
    plain = run_tap(tap_config(sandbox), catalog=chosen).records["supdoc"]
    assert sorted(d["recordno"] for d in plain) == list(range(1, total + 1))
    files = [a for d in plain for a in d["attachments"]]
    assert all(a["attachmentdata"] is None and a["size_bytes"] > 0 for a in files)
    assert {a["attachmenttype"] for a in files} == {"pdf", "xlsx"}
    with caplog.at_level(logging.WARNING):
        capped = run_tap(
            tap_config(sandbox, supdoc_content=True, supdoc_max_bytes=1000), catalog=chosen
        ).records["supdoc"]
    for document in capped:
        for attachment in document["attachments"]:
            small = attachment["size_bytes"] <= 1000
            assert (attachment["attachmentdata"] is not None) is small
            if small:
                content = base64.b64decode(attachment["attachmentdata"])
                assert hashlib.sha256(content).hexdigest() == attachment["sha256"]
    big = [a for d in capped for a in d["attachments"] if a["size_bytes"] > 1000]
    warned = [r for r in caplog.records if "supdoc_max_bytes" in r.getMessage()]
    assert len(warned) == len(big) > 0


def test_entity_sessions_read_every_object_once_custom_objects_included(
    sandbox: SandboxProcess, catalog: dict[str, Any]
) -> None:
    """Custom objects have no MEGAENTITYID: they are read in the first entity's session only."""
    streams = [
        "saas_contract", "costcenter", "customer", "arinvoice", "arinvoiceitem", "reportingperiod",
    ]  # fmt: skip
    config = tap_config(sandbox, entity_ids=["US01", "DE01", "UK01"])
    run = run_tap(config, catalog=select(catalog, streams))
    entries = {e["tap_stream_id"]: e for e in catalog["streams"]}
    for stream in streams:
        key = key_of(entries[stream])
        got = sorted(str(r[key]) for r in run.records[stream])
        assert got == truth_keys(sandbox, entries[stream]), stream


@pytest.mark.parametrize("entity_ids", [[], ["US01", "DE01", "UK01"]], ids=["top", "entities"])
def test_readbyquery_reads_an_entity_object_once_per_record(
    sandbox: SandboxProcess, catalog: dict[str, Any], entity_ids: list[str]
) -> None:
    """The read function comes from the catalog: ARPAYMENT (entity rows) read with readByQuery."""
    chosen = select(catalog, ["arpayment"])
    entry = next(e for e in chosen["streams"] if e["tap_stream_id"] == "arpayment")
    root(entry)["intacct-read-function"] = "readByQuery"
    sandbox.reset_stats()
    run = run_tap(tap_config(sandbox, entity_ids=entity_ids), catalog=chosen)
    assert sorted(str(r["RECORDNO"]) for r in run.records["arpayment"]) == truth_keys(
        sandbox, entry
    )
    calls = sandbox.stats()["calls"]
    # readByQuery has no showprivate: from the top level, one read there and one per entity
    assert calls["readByQuery:ARPAYMENT"] == (len(entity_ids) or 1 + 3)
    assert "query:ARPAYMENT" not in calls

"""Full and incremental extraction against a real sandbox process, checked against its ground truth."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess
from tap_sage_intacct.gateway import errors
from tap_sage_intacct.objects import STANDARD_OBJECTS
from tap_sage_intacct.tap import TapSageIntacct

from .conftest import (
    assert_unique_keys,
    discover,
    ground_truth,
    run_tap,
    select,
    tap_config,
)

OBJECT_OF = {s.stream_name: s.object_name for s in STANDARD_OBJECTS}


@pytest.fixture(scope="module")
def sandbox(sandbox_factory: Callable[..., SandboxProcess]) -> SandboxProcess:
    return sandbox_factory("--scale", "0.25")


@pytest.fixture(scope="module")
def catalog(sandbox: SandboxProcess) -> dict[str, Any]:
    return discover(tap_config(sandbox))


def expected_value(prop: dict[str, Any], text: str, tz: timezone) -> Any:
    """The value a ground-truth text must arrive as, computed independently of the tap's code."""
    if text == "":
        return None
    types = prop["type"]
    if "integer" in types:
        return int(text)
    if "number" in types:
        return Decimal(text)
    if "boolean" in types:
        return {"true": True, "false": False}[text]
    if prop.get("format") == "date":
        return datetime.strptime(text, "%m/%d/%Y").date().isoformat()  # noqa: DTZ007
    if prop.get("format") == "date-time":
        wall = datetime.strptime(text, "%m/%d/%Y %H:%M:%S")  # noqa: DTZ007
        return wall.replace(tzinfo=tz).astimezone(UTC)
    return text


def assert_matches_ground_truth(
    sandbox: SandboxProcess,
    stream: str,
    records: list[dict[str, Any]],
    schema: dict[str, Any],
    tz: timezone,
) -> None:
    truth = ground_truth(sandbox, OBJECT_OF[stream])
    assert_unique_keys(records, stream)
    by_key = {r["RECORDNO"]: r for r in records}
    expected_keys = {int(row["RECORDNO"]) for row in truth}
    assert set(by_key) == expected_keys, (
        f"{stream}: missing {sorted(expected_keys - set(by_key))[:5]}, extra {sorted(set(by_key) - expected_keys)[:5]}"
    )
    props = schema["properties"]
    for row in truth:
        record = by_key[int(row["RECORDNO"])]
        for name, text in row.items():
            if name not in props:
                continue
            want = expected_value(props[name], text, tz)
            got = record[name]
            if isinstance(want, datetime):
                got = datetime.fromisoformat(got)
                assert got.utcoffset() == timedelta(0), (
                    f"{stream}.{name} is not UTC: {record[name]}"
                )
            assert got == want, (
                f"{stream} RECORDNO={row['RECORDNO']} {name}: {got!r} != {want!r} (text {text!r})"
            )


def test_full_run_emits_every_record_once_with_exact_values(
    sandbox: SandboxProcess, catalog: dict[str, Any]
) -> None:
    sandbox.reset_stats()
    run = run_tap(tap_config(sandbox), catalog=catalog)
    stats = sandbox.stats()
    for stream in OBJECT_OF:
        assert_matches_ground_truth(sandbox, stream, run.records[stream], run.schemas[stream], UTC)
    # Deletes that happened before the run arrive as tombstones with the real RECORDNO.
    for stream, object_name in OBJECT_OF.items():
        deleted = sandbox.admin("GET", f"/admin/deleted/{object_name}")["deleted"]
        keys = {t["RECORDNO"] for t in run.tombstones[stream]}
        live = {r["RECORDNO"] for r in run.records[stream]}
        assert not keys & live, f"{stream}: a record is both live and deleted"
        for row in deleted:
            if row["OBJECTKEY"].endswith("--REC"):
                assert int(row["OBJECTKEY"][:-5]) in keys, (
                    f"{stream}: delete {row['OBJECTKEY']} missing"
                )
    # Budget: one login for the run, and ceil(rows/2000) requests per stream (the empty-WHENMODIFIED
    # pass and the deletes ride in the first request).
    assert stats["calls"]["getAPISession"] == 1
    requests = sum(stats["paths"].values())
    allowed = 1 + 2 + sum(max(1, math.ceil(len(run.records[s]) / 2000)) for s in OBJECT_OF)
    assert requests <= allowed, (requests, allowed, stats["calls"])
    # The catalog made discovery unnecessary: no lookup during the sync.
    assert not any(k.startswith("lookup") for k in stats["calls"])


def test_discovery_logs_in_once_and_sends_lookups_in_one_request(sandbox: SandboxProcess) -> None:
    sandbox.reset_stats()
    catalog = discover(tap_config(sandbox))
    stats = sandbox.stats()
    assert stats["calls"]["getAPISession"] == 1
    assert sum(stats["paths"].values()) == 2, stats
    entries = {e["tap_stream_id"]: e for e in catalog["streams"]}
    assert set(entries) == set(OBJECT_OF)
    bill = entries["ap_bill"]
    root = next(m["metadata"] for m in bill["metadata"] if m["breadcrumb"] == [])
    assert root["intacct-object"] == "APBILL"
    props = bill["schema"]["properties"]
    assert props["TOTALENTERED"]["type"] == ["number", "null"]
    assert props["RECORDNO"]["type"] == ["integer", "null"]
    assert props["WHENCREATED"]["format"] == "date"
    assert props["WHENMODIFIED"]["format"] == "date-time"
    # custom ENUM field from lookup: its valid values documented, never an `enum` constraint
    assert props["COST_CENTER_OWNER"]["description"].startswith("Valid values: Engineering, ")
    assert not [name for name, spec in props.items() if "enum" in spec]
    assert "SAAS_CONTRACT_ID" in props


def test_incremental_run_picks_up_modify_insert_and_delete(
    sandbox: SandboxProcess, catalog: dict[str, Any]
) -> None:
    streams = ["ap_bill", "ap_bill_item", "vendor"]
    chosen = select(catalog, streams)
    config = tap_config(sandbox)
    first = run_tap(config, catalog=chosen)
    bill_no = first.records["ap_bill"][10]["RECORDNO"]
    doomed_bill = first.records["ap_bill"][20]["RECORDNO"]
    doomed_lines = {
        r["RECORDNO"] for r in first.records["ap_bill_item"] if r["RECORDKEY"] == doomed_bill
    }
    vendor = first.records["vendor"][3]
    doomed_vendor = first.records["vendor"][5]
    results = sandbox.admin(
        "POST",
        "/admin/mutate",
        {
            "ops": [
                {
                    "op": "modify",
                    "object": "APBILL",
                    "recordno": bill_no,
                    "fields": {"DESCRIPTION": "changed", "TOTALDUE": "12.34"},
                },
                {
                    "op": "insert",
                    "object": "APBILL",
                    "fields": {"DESCRIPTION": "new bill"},
                    "lines": [{"TRX_AMOUNT": "10.01"}, {"TRX_AMOUNT": "0.99"}],
                },
                {"op": "delete", "object": "APBILL", "recordno": doomed_bill},
                {
                    "op": "modify",
                    "object": "VENDOR",
                    "recordno": vendor["RECORDNO"],
                    "fields": {"NAME": "Renamed Inc"},
                },
                {"op": "delete", "object": "VENDOR", "recordno": doomed_vendor["RECORDNO"]},
            ]
        },
    )["results"]
    inserted = results[1]
    second = run_tap(config, catalog=chosen, state=first.final_state)

    bills = {r["RECORDNO"]: r for r in second.records["ap_bill"]}
    assert bills[bill_no]["DESCRIPTION"] == "changed"
    assert bills[bill_no]["TOTALDUE"] == Decimal("12.34")
    assert bills[inserted["recordno"]]["DESCRIPTION"] == "new bill"
    lines = {r["RECORDNO"]: r for r in second.records["ap_bill_item"]}
    assert set(inserted["lines"]) <= set(lines)
    assert sum(lines[n]["TRX_AMOUNT"] for n in inserted["lines"]) == Decimal("11.00")
    assert bills[inserted["recordno"]]["TRX_TOTALENTERED"] == Decimal("11.00")
    tomb_bills = {t["RECORDNO"]: t for t in second.tombstones["ap_bill"]}
    assert doomed_bill in tomb_bills
    assert tomb_bills[doomed_bill]["_sdc_deleted_at"].endswith("+00:00")
    assert tomb_bills[doomed_bill]["TOTALDUE"] is None
    assert doomed_lines <= {t["RECORDNO"] for t in second.tombstones["ap_bill_item"]}
    vendors = {r["RECORDNO"]: r for r in second.records["vendor"]}
    assert vendors[vendor["RECORDNO"]]["NAME"] == "Renamed Inc"
    (vendor_tomb,) = [
        t for t in second.tombstones["vendor"] if t["VENDORID"] == doomed_vendor["VENDORID"]
    ]
    assert vendor_tomb["RECORDNO"] == doomed_vendor["RECORDNO"]
    # Only the changes and the lookback window were re-read, not the whole table.
    assert len(second.records["ap_bill"]) < len(first.records["ap_bill"]) / 4
    # The saved state is per stream and per entity ("" = top level) and holds the keyset position.
    entity_state = second.final_state["bookmarks"]["ap_bill"]["entities"][""]
    assert (
        entity_state["replication_key_value_recordno"] >= inserted["recordno"]
        or entity_state["replication_key_value"]
    )


def _block(sandbox: SandboxProcess) -> tuple[list[dict[str, str]], str]:
    rows = [r for r in ground_truth(sandbox, "APBILL") if r["WHENMODIFIED"]]
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[row["WHENMODIFIED"]].append(row)
    stamp = max(groups, key=lambda k: len(groups[k]))
    return rows, stamp


def _key(row: dict[str, str]) -> tuple[datetime, int]:
    return datetime.strptime(row["WHENMODIFIED"], "%m/%d/%Y %H:%M:%S"), int(row["RECORDNO"])  # noqa: DTZ007


@pytest.mark.parametrize("start", ["before_block", "inside_block"])
def test_equal_second_block_spanning_pages_is_neither_lost_nor_repeated(
    sandbox: SandboxProcess, catalog: dict[str, Any], start: str
) -> None:
    rows, stamp = _block(sandbox)
    block = sorted((r for r in rows if r["WHENMODIFIED"] == stamp), key=_key)
    assert len(block) > 200, "the sandbox should have a bulk-import second spanning pages"
    ordered = sorted(rows, key=_key)
    if start == "before_block":
        resume = ordered[ordered.index(block[0]) - 1]
    else:
        resume = block[len(block) // 2 + 7]
    wall, recordno = _key(resume)
    state = {
        "bookmarks": {
            "ap_bill": {
                "entities": {
                    "": {
                        "replication_key_value": wall.replace(tzinfo=UTC).isoformat(),
                        "replication_key_value_recordno": recordno,
                    }
                }
            }
        }
    }
    sandbox.reset_stats()
    run = run_tap(
        tap_config(sandbox, page_size=100, lookback_minutes=0),
        catalog=select(catalog, ["ap_bill"]),
        state=state,
    )
    expected = [int(r["RECORDNO"]) for r in ordered if _key(r) > (wall, recordno)]
    got = [r["RECORDNO"] for r in run.records["ap_bill"] if r["WHENMODIFIED"] is not None]
    assert got == expected  # same rows, same order, none twice
    queries = sandbox.stats()["calls"]["query:APBILL"]
    assert queries <= math.ceil(len(expected) / 100) + 2  # + the empty-WHENMODIFIED pass
    # Each page left a resumable position inside the block.
    positions = [
        s["bookmarks"]["ap_bill"]["entities"][""].get("replication_key_value_recordno")
        for s in run.states
    ]
    assert len({p for p in positions if p}) >= len(expected) // 100


def test_timestamps_are_utc_when_the_user_is_at_minus_eight(
    sandbox_factory: Callable[..., SandboxProcess],
) -> None:
    pacific_box = sandbox_factory("--scale", "0.05", "--gmt-offset", "-08:00")
    config = tap_config(pacific_box)  # no timezone_offset: read from readUserFormatting
    catalog = select(discover(config), ["vendor", "ap_bill"])
    run = run_tap(config, catalog=catalog)
    pacific = timezone(timedelta(hours=-8))
    for stream in ("vendor", "ap_bill"):
        assert_matches_ground_truth(
            pacific_box, stream, run.records[stream], run.schemas[stream], pacific
        )
    # Filters are converted too: resuming after a bill returns exactly the bills after it.
    truth = sorted((r for r in ground_truth(pacific_box, "APBILL") if r["WHENMODIFIED"]), key=_key)
    pivot = truth[len(truth) // 3]
    wall, recordno = _key(pivot)
    utc = wall.replace(tzinfo=pacific).astimezone(UTC).isoformat()
    state = {
        "bookmarks": {
            "ap_bill": {
                "entities": {
                    "": {"replication_key_value": utc, "replication_key_value_recordno": recordno}
                }
            }
        }
    }
    resumed = run_tap(
        {**config, "lookback_minutes": 0}, catalog=select(catalog, ["ap_bill"]), state=state
    )
    expected = [int(r["RECORDNO"]) for r in truth if _key(r) > (wall, recordno)]
    assert [r["RECORDNO"] for r in resumed.records["ap_bill"] if r["WHENMODIFIED"]] == expected


def test_lookback_rereads_rows_that_became_visible_late(
    sandbox_factory: Callable[..., SandboxProcess],
) -> None:
    box = sandbox_factory("--scale", "0.05", "--frozen", "--clock", "2026-01-01T00:00:00Z")
    config = tap_config(box, lookback_minutes=5)
    catalog = select(discover(config), ["ap_payment"])
    first = run_tap(config, catalog=catalog)
    late, on_time = (r["RECORDNO"] for r in first.records["ap_payment"][:2])
    # `late` is stamped now but only becomes visible in 10 minutes (eventual consistency);
    # `on_time` is stamped a minute later and visible at once, so the bookmark moves past `late`.
    box.admin(
        "POST",
        "/admin/mutate",
        {
            "ops": [
                {
                    "op": "modify",
                    "object": "APPYMT",
                    "recordno": late,
                    "fields": {"DOCNUMBER": "LATE"},
                    "visible_after_seconds": 600,
                }
            ]
        },
    )
    box.admin("POST", "/admin/clock", {"advance_seconds": 60})
    box.admin(
        "POST",
        "/admin/mutate",
        {
            "ops": [
                {
                    "op": "modify",
                    "object": "APPYMT",
                    "recordno": on_time,
                    "fields": {"DOCNUMBER": "ON TIME"},
                }
            ]
        },
    )
    second = run_tap(config, catalog=catalog, state=first.final_state)
    assert [r["DOCNUMBER"] for r in second.records["ap_payment"] if r["RECORDNO"] == on_time] == [
        "ON TIME"
    ]
    assert not [r for r in second.records["ap_payment"] if r["RECORDNO"] == late]
    box.admin("POST", "/admin/clock", {"advance_seconds": 1200})
    without = run_tap({**config, "lookback_minutes": 0}, catalog=catalog, state=second.final_state)
    assert not [
        r for r in without.records["ap_payment"] if r["RECORDNO"] == late
    ]  # why lookback exists
    third = run_tap(config, catalog=catalog, state=second.final_state)
    assert [r["DOCNUMBER"] for r in third.records["ap_payment"] if r["RECORDNO"] == late] == [
        "LATE"
    ]


def test_stream_maps_and_flattening_take_the_sdk_path_with_the_same_values(
    sandbox: SandboxProcess, catalog: dict[str, Any]
) -> None:
    chosen = select(catalog, ["ap_bill", "vendor"])
    fast = run_tap(tap_config(sandbox), catalog=chosen)
    mapped = run_tap(
        tap_config(
            sandbox,
            stream_maps={"vendor": {"NAME_UPPER": "NAME.upper() if NAME else None"}},
            flattening_enabled=True,
            flattening_max_depth=1,
        ),
        catalog=chosen,
    )
    assert mapped.tap is not None
    assert not mapped.tap.streams["ap_bill"].fast_records  # went through the SDK's writer
    assert mapped.records["ap_bill"] == fast.records["ap_bill"]
    assert mapped.tombstones["ap_bill"] == fast.tombstones["ap_bill"]
    for plain, with_map in zip(fast.records["vendor"], mapped.records["vendor"], strict=True):
        assert with_map == {**plain, "NAME_UPPER": plain["NAME"].upper() if plain["NAME"] else None}


def test_start_date_bounds_the_first_run(sandbox: SandboxProcess, catalog: dict[str, Any]) -> None:
    truth = [r for r in ground_truth(sandbox, "APPYMT") if r["WHENMODIFIED"]]
    stamps = sorted(_key(r)[0] for r in truth)
    start = stamps[len(stamps) // 2].replace(tzinfo=UTC)
    run = run_tap(
        tap_config(sandbox, start_date=start.isoformat()), catalog=select(catalog, ["ap_payment"])
    )
    expected = {int(r["RECORDNO"]) for r in truth if _key(r)[0].replace(tzinfo=UTC) >= start}
    assert {r["RECORDNO"] for r in run.records["ap_payment"]} == expected


def test_extra_objects_become_streams_named_in_lower_case(sandbox: SandboxProcess) -> None:
    config = tap_config(sandbox, extra_objects=["class", "PROJECT"])
    catalog = discover(config)
    entries = {e["tap_stream_id"]: e for e in catalog["streams"]}
    assert {"class", "project"} <= set(entries)
    root = next(m["metadata"] for m in entries["project"]["metadata"] if m["breadcrumb"] == [])
    assert root["intacct-object"] == "PROJECT"
    run = run_tap(config, catalog=select(catalog, ["class", "project"]))
    for stream, object_name in (("class", "CLASS"), ("project", "PROJECT")):
        truth = ground_truth(sandbox, object_name)
        assert sorted(r["RECORDNO"] for r in run.records[stream]) == sorted(
            int(t["RECORDNO"]) for t in truth
        )


@pytest.mark.parametrize("recordno", ["12.0", "1e3", "-4", "9" * 19, "१२"])
def test_a_recordno_that_is_no_whole_number_stops_paging_in_one_line(
    sandbox: SandboxProcess, catalog: dict[str, Any], recordno: str
) -> None:
    tap = TapSageIntacct(config=tap_config(sandbox), catalog=select(catalog, ["vendor"]))
    stream = tap.streams["vendor"]
    with pytest.raises(errors.FatalError) as refused:
        stream._position_from(recordno, "01/02/2025 03:04:05", "WHENMODIFIED")
    assert "stream 'vendor'" in refused.value.message
    assert "not a whole number" in refused.value.message

"""Hostile numbers and dates in RECORD lines: each is one bad record under `on_bad_record`, named by
stream, record and field, in both decode paths (msgspec and the SDK's), quickly, and never a
traceback. Amounts that pass stay exact Decimals, never floats."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from target_leanix.mapping import SpendLineItem, to_item
from target_leanix.record_fields import BadRecordError
from target_leanix.target import TargetLeanIX

from .e2e_helpers import DATA, TargetRun, run_target

SCHEMAS = {
    message["stream"]: message
    for message in map(json.loads, (DATA / "intacct_initial.singer").read_text().splitlines())
    if message["type"] == "SCHEMA"
}
# A stream the target reads and drops, with a `date` field as the tap declares APRECURBILL's.
SCHEMAS["ap_recurring_bill"] = {
    "type": "SCHEMA",
    "stream": "ap_recurring_bill",
    "schema": {
        "properties": {
            "RECORDNO": {"type": ["integer", "null"]},
            "STARTDATE": {"type": ["string", "null"], "format": "date"},
        }
    },
    "key_properties": ["RECORDNO"],
}

GOOD = {
    "RECORDNO": 1,
    "RECORDKEY": 10,
    "CURRENCY": "USD",
    "BASECURR": "USD",
    "ENTRY_DATE": "2025-03-01",
    "DEPARTMENTID": "ENG",
    "AMOUNT": 5,
    "TRX_AMOUNT": 5,
}
HUGE = "9" * 5000
# (case, JSON text of AMOUNT and TRX_AMOUNT, what the error must say besides the field)
AMOUNTS = [
    ("huge exponent", "1E1000000", "out of range"),
    ("tiny exponent", "-1e-1000000", "decimal places"),
    ("NaN", "NaN", "not a finite number"),
    ("Infinity", "Infinity", "not a finite number"),
    ("-Infinity", "-Infinity", "not a finite number"),
    ("5000-digit integer", HUGE, "out of range"),
    ("5000-digit integer with a fraction", HUGE + ".25", "out of range"),
    ("string huge exponent", '"1E1000000"', "is not of type"),
    ("string tiny exponent", '"-1e-1000000"', "is not of type"),
    ("string NaN", '"NaN"', "is not of type"),
    ("string sNaN", '"sNaN"', "is not of type"),
    ("string Infinity", '"Infinity"', "is not of type"),
    ("string 5000-digit integer", f'"{HUGE}"', "is not of type"),
]
# (case, JSON text of ENTRY_DATE, which the schema declares a `date`)
DATES = [
    ("latest instant", '"9999-12-31T23:59:59+14:00"'),
    ("earliest instant", '"0001-01-01T00:00:00-12:00"'),
]
# (case, the bad record's JSON text, the field the error names, what it must also say)
CASES = [
    *(
        pytest.param(
            json.dumps({**GOOD, "RECORDNO": 2})[:-1]
            + f', "AMOUNT": {text}, "TRX_AMOUNT": {text}}}',
            "AMOUNT",
            says,
            id=case,
        )
        for case, text, says in AMOUNTS
    ),
    *(
        pytest.param(
            json.dumps({**GOOD, "RECORDNO": 2})[:-1] + f', "ENTRY_DATE": {text}}}',
            "ENTRY_DATE",
            "is not an ISO 8601 date",
            id=case,
        )
        for case, text in DATES
    ),
    pytest.param(
        json.dumps({**GOOD, "RECORDKEY": 2})[:-1] + f', "RECORDNO": {HUGE}}}',
        "RECORDNO",
        "is not of type 'integer'",
        id="5000-digit key",
    ),
]


STATE = {"bookmarks": {"cc_transaction_entry": {}}}


def _input(*records: str, stream: str = "cc_transaction_entry") -> str:
    """The stream's SCHEMA, a RECORD line per record (JSON text), then a STATE."""
    lines = [
        json.dumps(SCHEMAS[stream]),
        *(f'{{"type": "RECORD", "stream": "{stream}", "record": {r}}}' for r in records),
        json.dumps({"type": "STATE", "value": STATE}),
    ]
    return "\n".join(lines) + "\n"


def _target(tmp_path: Path, policy: str, *, fast: bool) -> TargetLeanIX:
    config = {
        "company_key": "HOSTILE",
        "dry_run": True,
        "dry_run_path": str(tmp_path / "out.jsonl"),
        "ledger_path": str(tmp_path / "ledger.sqlite"),
        "on_bad_record": policy,
    }
    target = TargetLeanIX(config=config)
    if not fast:
        # Every RECORD line takes the SDK's path, as when stream maps or flattening are set.
        target.fast_record = lambda stream, line: False  # type: ignore[method-assign]
    return target


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fast", [True, False], ids=["fast_path", "sdk_path"])
@pytest.mark.parametrize(("bad_record", "field", "says"), CASES)
def test_fail_names_stream_record_and_field(
    tmp_path: Path, bad_record: str, field: str, says: str, *, fast: bool
) -> None:
    target = _target(tmp_path, "fail", fast=fast)
    with pytest.raises(BadRecordError) as raised:
        target.listen(io.StringIO(_input(json.dumps(GOOD), bad_record)))
    message = str(raised.value)
    assert message.startswith("stream 'cc_transaction_entry' record RECORDNO="), message
    assert field in raised.value.problem
    assert says in raised.value.problem
    # One short line, however long the hostile value is.
    assert "\n" not in message
    assert len(message) < 300


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fast", [True, False], ids=["fast_path", "sdk_path"])
@pytest.mark.parametrize(("bad_record", "field", "says"), CASES)
def test_skip_leaves_the_record_out_and_keeps_the_good_one(
    tmp_path: Path, bad_record: str, field: str, says: str, *, fast: bool
) -> None:
    target = _target(tmp_path, "skip", fast=fast)
    target.listen(io.StringIO(_input(json.dumps(GOOD), bad_record)))
    pipeline = target.pipeline()
    assert len(pipeline.skipped) == 1
    assert field in pipeline.skipped[0]
    assert says in pipeline.skipped[0]
    # The good record's amount arrived exact, as a Decimal.
    assert dict(pipeline.spend_ingested) == {"USD": Decimal(5)}
    assert all(type(amount) is Decimal for amount in pipeline.spend_ingested.values())


BILL = {"RECORDNO": 7, "VENDORID": "V1", "CURRENCY": "USD", "WHENCREATED": "2025-01-01"}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fast", [True, False], ids=["fast_path", "sdk_path"])
@pytest.mark.parametrize(
    ("stream", "record", "says"),
    [
        (
            "ap_bill",
            json.dumps(BILL)[:-1] + ', "TRX_TOTALENTERED": 1E1000000}',
            "amount TRX_TOTALENTERED is out of range",
        ),
        (
            "po_document",
            json.dumps({**BILL, "CUSTVENDID": "V1"})[:-1] + f', "TRX_TOTAL": -{HUGE}}}',
            "amount TRX_TOTAL is out of range",
        ),
        (
            "ap_bill",
            json.dumps({**BILL, "TRX_TOTALENTERED": 5, "WHENCREATED": "9999-12-31T23:59:59+14:00"}),
            "date WHENCREATED is not an ISO 8601 date",
        ),
        (
            "ap_recurring_bill",
            json.dumps({"RECORDNO": 7, "STARTDATE": "0001-01-01T00:00:00-12:00"}),
            "date STARTDATE is not an ISO 8601 date",
        ),
    ],
    ids=["bill amount", "purchase order amount", "bill date", "ignored stream date"],
)
def test_other_streams_fail_the_same_way(
    tmp_path: Path, stream: str, record: str, says: str, *, fast: bool
) -> None:
    target = _target(tmp_path, "fail", fast=fast)
    with pytest.raises(BadRecordError, match=f"^stream '{stream}' record RECORDNO=7: {says}"):
        target.listen(io.StringIO(_input(record, stream=stream)))


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("12345678901234567.89", "12345678901234567.89"),
        ("999999999999999999.999999", "999999999999999999.999999"),
        ("-0.10", "-0.10"),
        ("1e2", "100"),
        ("5.00000000", "5.000000"),  # zeros past six places are dropped, nothing else
        ("0E-1000000", "0.000000"),
    ],
)
@pytest.mark.parametrize("fast", [True, False], ids=["fast_path", "sdk_path"])
def test_amounts_within_bounds_stay_exact(
    tmp_path: Path, amount: str, expected: str, *, fast: bool
) -> None:
    record = json.dumps(GOOD)[:-1] + f', "AMOUNT": {amount}, "TRX_AMOUNT": {amount}}}'
    target = _target(tmp_path, "fail", fast=fast)
    target.listen(io.StringIO(_input(record)))
    (total,) = target.pipeline().spend_ingested.values()
    assert type(total) is Decimal
    assert format(total, "f") == expected


@pytest.mark.timeout(20)
def test_a_huge_decimal_key_stays_text() -> None:
    # int(Decimal("1E1000000")) alone takes about a minute of CPU.
    record = {**GOOD, "RECORDKEY": Decimal("1E1000000")}
    item = to_item("cc_transaction_entry", record)
    assert isinstance(item, SpendLineItem)
    assert item.header_recordno == "1E+1000000"


def _run_cli(tmp_path: Path, text: str, policy: str, *, fast: bool) -> TargetRun:
    config: dict[str, Any] = {
        "company_key": "HOSTILE",
        "dry_run": True,
        "dry_run_path": str(tmp_path / "out.jsonl"),
        "ledger_path": str(tmp_path / "ledger.sqlite"),
        "on_bad_record": policy,
    }
    if not fast:
        config["flattening_enabled"] = True  # the SDK's path for every record
        config["flattening_max_depth"] = 1
    path = tmp_path / "in.singer"
    path.write_text(text)
    return run_target(config, path, tmp_path)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fast", [True, False], ids=["fast_path", "sdk_path"])
def test_cli_fails_with_one_line(tmp_path: Path, *, fast: bool) -> None:
    bad = json.dumps({**GOOD, "RECORDNO": 2})[:-1] + f', "AMOUNT": {HUGE}}}'
    run = _run_cli(tmp_path, _input(json.dumps(GOOD), bad), "fail", fast=fast)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert (
        "target-leanix failed: stream 'cc_transaction_entry' record RECORDNO=2: amount AMOUNT"
        in last
    )
    assert len(last) < 400
    assert run.states == []


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fast", [True, False], ids=["fast_path", "sdk_path"])
def test_cli_skips_every_hostile_record_and_reports_them(tmp_path: Path, *, fast: bool) -> None:
    bad_records = [str(case.values[0]) for case in CASES]
    run = _run_cli(tmp_path, _input(json.dumps(GOOD), *bad_records), "skip", fast=fast)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert run.states == [STATE]
    summary = [line for line in run.stderr.splitlines() if "skipped bad records" in line]
    assert summary, run.stderr[-2000:]
    assert f"skipped bad records ({len(bad_records)})" in summary[0]
    assert len(summary[0]) < 4000
    assert "spend received this run (all the ledger holds), USD: 5.00 over 1 lines" in run.stderr

"""The fast reader: exact money from the JSON text, unclean records left to the SDK's path, and the
same LDIF as the SDK's own reader."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from singer_sdk.io_base import SingerReader

from target_leanix.mapping import USED_FIELDS
from target_leanix.reader import RecordDecoder
from target_leanix.target import TargetLeanIX

from .e2e_helpers import DATA, run_target

SCHEMA = json.loads((DATA / "intacct_initial.singer").read_text().splitlines()[4])
assert SCHEMA["stream"] == "cc_transaction_entry"

GOOD = {
    "RECORDNO": 1,
    "RECORDKEY": 10,
    "CURRENCY": "USD",
    "BASECURR": "USD",
    "ENTRY_DATE": "2025-03-01",
    "DEPARTMENTID": "ENG",
    "LOCATIONID": "HQ",
}


def _line(record_text: str, stream: str = "cc_transaction_entry", kind: str = "RECORD") -> str:
    return f'{{"type": "{kind}", "stream": "{stream}", "record": {record_text}}}\n'


def _record(amount: str, **fields: object) -> str:
    """A record with AMOUNT and TRX_AMOUNT spliced in as JSON number text."""
    body = json.dumps({**GOOD, **fields})
    return body[:-1] + f', "AMOUNT": {amount}, "TRX_AMOUNT": {amount}}}'


def _decoder() -> RecordDecoder:
    return RecordDecoder(
        SCHEMA["stream"],
        SCHEMA["schema"],
        SCHEMA["key_properties"],
        USED_FIELDS,
        check_types=True,
    )


@pytest.mark.parametrize("amount", ["0.1", "0.2", "12345678901234567.89", "-0.30", "1e2", "7"])
def test_numbers_become_decimal_from_their_text(amount):
    record = _decoder().decode(_line(_record(amount)))
    assert record is not None
    # Same digits and exponent as the text: no float ever held the value.
    assert str(record["AMOUNT"]) == str(Decimal(amount))
    assert record["TRX_AMOUNT"] == Decimal(amount)
    assert "LOCATIONID" not in record  # a field the mapping never reads is not decoded


@pytest.mark.parametrize(
    "line",
    [
        _line(_record('"ten"')),  # the schema says number
        _line(_record('"5.00"')),  # a number as text: the SDK's validator rejects it
        _line(_record("true")),
        _line(_record("5", RECORDNO=None)),  # the key is missing
        _line(_record("5", ENTRY_DATE="03/01/2025")),  # the SDK cannot parse this date
        _line(_record("5"), stream="cc_transaction"),
        _line(_record("5"), kind="STATE"),
        '{"type": "RECORD", "stream": "cc_transaction_entry", "record": {"RECORDNO": 1',
    ],
)
def test_unclean_lines_are_left_to_the_sdk(line):
    assert _decoder().decode(line) is None


def test_exact_sum_through_the_target(tmp_path):
    lines = [json.dumps(SCHEMA)]
    for number, amount in enumerate(["0.1", "0.2", "12345678901234567.89"], start=1):
        lines.append(_line(_record(amount, RECORDNO=number)).strip())
    path = tmp_path / "in.singer"
    path.write_text("\n".join(lines) + "\n")
    config = {"company_key": "EXACT", "dry_run": True, "dry_run_path": str(tmp_path / "o.jsonl")}
    run = run_target(config, path, tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (
        "spend received this run (all the ledger holds), USD: 12,345,678,901,234,568.19 over 3 lines"
        in run.stderr
    )


def _dry_run(tmp_path, name: str, *, fast: bool) -> list[dict[str, object]]:
    out = tmp_path / f"{name}.jsonl"
    config = {
        "company_key": "SAME",
        "dry_run": True,
        "dry_run_path": str(out),
        "cost_window_end": "2025-12-31",
        "batch_size_rows": 7,  # many drains, in both paths
    }
    target = TargetLeanIX(config=config, message_reader=None if fast else SingerReader())
    taken = []
    fast_record = target.fast_record

    def counting(stream: str, line: str) -> bool:
        taken.append(fast_record(stream, line))
        return taken[-1]

    target.fast_record = counting  # type: ignore[method-assign]
    text = "".join(
        (DATA / name).read_text() for name in ("intacct_initial.singer", "intacct_changes.singer")
    )
    target.listen(io.StringIO(text))
    assert any(taken) == fast  # the fast path did read (or, with the SDK's reader, never ran)
    documents = [json.loads(line) for line in out.read_text().splitlines()]
    return sorted(
        (item for document in documents for item in document["content"]),
        key=lambda item: json.dumps(item, sort_keys=True),
    )


def test_fast_reader_writes_what_the_sdk_reader_writes(tmp_path):
    fast = _dry_run(tmp_path, "fast", fast=True)
    assert fast
    assert fast == _dry_run(tmp_path, "sdk", fast=False)

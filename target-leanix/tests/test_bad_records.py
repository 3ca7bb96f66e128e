"""Bad input: one clear line naming stream, record and field (fail), or skipped and reported (skip)."""

from __future__ import annotations

import json

import pytest

from target_leanix.pipeline import Settings, SettingsError
from target_leanix.target import TargetLeanIX, UnknownStreamError

from .e2e_helpers import DATA, run_target

SCHEMA = json.loads(
    (DATA / "intacct_initial.singer").read_text().splitlines()[4]
)  # cc_transaction_entry
assert SCHEMA["stream"] == "cc_transaction_entry"


def lines_file(tmp_path, *records):
    path = tmp_path / "bad.singer"
    messages = [
        SCHEMA,
        {
            "type": "SCHEMA",
            "stream": "my_custom_stream",
            "schema": {"properties": {"id": {"type": "integer"}}},
            "key_properties": ["id"],
        },
        {"type": "RECORD", "stream": "my_custom_stream", "record": {"id": 1}},
        *({"type": "RECORD", "stream": "cc_transaction_entry", "record": r} for r in records),
        {"type": "STATE", "value": {"bookmarks": {}}},
    ]
    path.write_text("\n".join(json.dumps(m) for m in messages) + "\n")
    return path


GOOD = {
    "RECORDNO": 1,
    "RECORDKEY": 10,
    "AMOUNT": 5,
    "TRX_AMOUNT": 5,
    "CURRENCY": "USD",
    "BASECURR": "USD",
    "ENTRY_DATE": "2025-03-01",
    "DEPARTMENTID": "ENG",
}
NOT_A_NUMBER = {**GOOD, "RECORDNO": 2, "AMOUNT": "ten"}
NO_HEADER_KEY = {**GOOD, "RECORDNO": 3, "RECORDKEY": None}


def config(tmp_path, **extra):
    return {
        "company_key": "BAD",
        "dry_run": True,
        "dry_run_path": str(tmp_path / "out.jsonl"),
        **extra,
    }


def test_bad_amount_fails_with_one_line(tmp_path):
    run = run_target(config(tmp_path), lines_file(tmp_path, GOOD, NOT_A_NUMBER), tmp_path)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "stream 'cc_transaction_entry' record RECORDNO=2" in last
    assert "'ten' is not of type" in last
    assert "Traceback" not in run.stderr
    assert run.states == []


def test_skip_policy_leaves_bad_records_out_and_reports_them(tmp_path):
    run = run_target(
        config(tmp_path, on_bad_record="skip"),
        lines_file(tmp_path, GOOD, NOT_A_NUMBER, NO_HEADER_KEY),
        tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.states == [{"bookmarks": {}}]
    summary = [
        line for line in run.stderr.splitlines() if "summary: skipped bad records (2)" in line
    ]
    assert summary, run.stderr[-2000:]
    assert "RECORDNO=2" in summary[0]
    assert "RECORDNO=3: field RECORDKEY is missing" in summary[0]
    assert "skipped unknown streams: my_custom_stream" in run.stderr


def test_unknown_stream_policy_fail(tmp_path):
    target = TargetLeanIX(config=config(tmp_path, on_unknown_stream="fail"))
    with pytest.raises(UnknownStreamError, match="'my_custom_stream' is not a Sage Intacct stream"):
        target.get_sink_class("my_custom_stream")
    assert target.get_sink_class("cc_transaction").__name__ == "IntacctSink"
    assert target.get_sink_class("gl_account").__name__ == "IgnoredStreamSink"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"company_key": "A:B", "dry_run": True}, "company_key"),
        ({"company_key": "A", "base_url": "eu.leanix.net", "api_token": "x"}, "base_url"),
        ({"company_key": "A", "base_url": "https://eu.leanix.net"}, "api_token"),
        ({"company_key": "A", "dry_run": True, "reporting_currency": "EURO"}, "reporting_currency"),
        (
            {"company_key": "A", "dry_run": True, "ledger_url": "sqlite://", "ledger_path": "x"},
            "ledger_url",
        ),
        (
            {"company_key": "A", "dry_run": True, "intacct_record_url_template": "{nope}"},
            "intacct_record_url_template",
        ),
    ],
)
def test_bad_settings_name_the_setting(settings, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_config(settings)

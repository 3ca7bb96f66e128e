"""Writes the inputs of the ledger-upgrade test, and (with the target of ledger schema 1) its ledger.

Schema 1 built external IDs from unencoded parts. These inputs hold the values that collided then: a
department whose ID is `none` beside spend without a department, the vendors `ZQX` and `ZQX:saas` (both
candidate services), and a department `A:B` whose ID contains the separator.

    python target-leanix/tests/data/make_schema1_ledger.py inputs
        writes schema1_phase1.singer, schema1_phase2.singer and schema1_phase3.singer;
    python target-leanix/tests/data/make_schema1_ledger.py ledger
        runs the `target-leanix` on PATH in dry-run mode over the three phases, with one ledger,
        and writes schema1_ledger.sql (`sqlite3` `iterdump`), schema1_sent.ldif.jsonl (the LDIFs it
        sent, in order) and schema1_processors.json (its processor configuration).

The committed files were made by the `ledger` step with the target of commit 8d90714 (the last one
with ledger schema 1) first on PYTHONPATH. Phase 1 publishes without an error (but the `ZQX:saas`
Application shares its external ID with ZQX's IT component). Phase 2 adds spend in department `none`:
its point replaces the one without a department, silently. Phase 3 changes both: that target sent both
points under one ID, then failed on the ledger's unique constraint and left `slack` dirty: the stuck
ledger an upgrade must recover.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from make_intacct_singer import SCHEMAS, STAMP_1, bill, card, card_line, record, schema

HERE = Path(__file__).parent
COMPANY = "UPG"
PHASES = ("schema1_phase1.singer", "schema1_phase2.singer", "schema1_phase3.singer")


def department(recordno, department_id, title):
    return record(
        "department",
        {
            "RECORDNO": recordno,
            "DEPARTMENTID": department_id,
            "TITLE": title,
            "PARENTID": None,
            "STATUS": "active",
            "WHENCREATED": STAMP_1,
            "MEGAENTITYID": None,
        },
    )


def vendor(recordno, vendor_id, name):
    return record(
        "vendor",
        {
            "RECORDNO": recordno,
            "VENDORID": vendor_id,
            "NAME": name,
            "STATUS": "active",
            "VENDTYPE": "Supplier",
            "CURRENCY": "USD",
            "TOTALDUE": 0,
            "DISPLAYCONTACT.URL1": None,
            "SAAS_CATEGORY": None,
            "WHENCREATED": STAMP_1,
            "MEGAENTITYID": None,
        },
    )


def software_bill_line(recordno, bill_recordno, vendor_id, amount):
    """A bill line on account 6250: with software_gl_accounts=["6250"] its vendor is a service."""
    return record(
        "ap_bill_item",
        {
            "RECORDNO": recordno,
            "RECORDKEY": bill_recordno,
            "LINE_NO": 1,
            "ACCOUNTNO": "6250",
            "ACCOUNTTITLE": "Software Subscriptions",
            "DEPARTMENTID": None,
            "VENDORID": vendor_id,
            "AMOUNT": amount,
            "TRX_AMOUNT": amount,
            "CURRENCY": "USD",
            "ENTRY_DATE": "2025-03-01",
        },
    )


def state(value):
    return {"type": "STATE", "value": {"bookmarks": {"cc_transaction_entry": value}}}


def phase1():
    yield from (schema(s) for s in SCHEMAS)
    yield department(1, "ENG", "Engineering")
    yield department(2, "A:B", "Alpha and Beta")
    yield vendor(1, "ZQX", "Zqx Widgets")
    yield vendor(2, "ZQX:saas", "Zqx Hosting")
    yield software_bill_line(11, 401, "ZQX", 100)
    yield software_bill_line(12, 402, "ZQX:saas", 200)
    yield bill(401, "ZQX", "Zqx Widgets", 100)
    yield bill(402, "ZQX:saas", "Zqx Hosting", 200)
    yield card(101, "SLACK T04ABC123 DUBLIN")
    yield card_line(1001, 101, None, 10.00, "2025-03-05")
    yield card_line(1003, 101, "ENG", 7.00, "2025-03-07")
    yield card_line(1004, 101, "A:B", 3.00, "2025-03-08")
    yield state(1)


def phase2():
    yield from (schema(s) for s in ("department", "cc_transaction_entry"))
    yield department(3, "none", "The None Team")
    yield card_line(1002, 101, "none", 5.00, "2025-03-06")
    yield state(2)


def phase3():
    yield schema("cc_transaction_entry")
    yield card_line(1005, 101, None, 2.00, "2025-03-09")
    yield card_line(1006, 101, "none", 1.00, "2025-03-10")
    yield state(3)


def write_inputs():
    for name, messages in zip(PHASES, (phase1(), phase2(), phase3()), strict=True):
        with (HERE / name).open("w", encoding="utf-8") as out:
            for message in messages:
                out.write(json.dumps(message) + "\n")


def config(work: Path) -> dict[str, object]:
    return {
        "company_key": COMPANY,
        "dry_run": True,
        "dry_run_path": str(work / "sent.ldif.jsonl"),
        "ledger_path": str(work / "ledger.sqlite"),
        "cost_window_end": "2025-12-31",
        "cost_window_months": 12,
        "reporting_currency": "USD",
        "recognition": {"software_gl_accounts": ["6250"]},
    }


def write_ledger():
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "config.json").write_text(json.dumps(config(work)))
        for name in PHASES:
            with (HERE / name).open("rb") as stdin:
                done = subprocess.run(
                    ["target-leanix", "--config", str(work / "config.json")],
                    stdin=stdin,
                    capture_output=True,
                    check=False,
                )
            print(name, "exit", done.returncode, done.stderr.decode().strip().splitlines()[-1])
        with sqlite3.connect(work / "ledger.sqlite") as conn:
            dump = "\n".join(conn.iterdump()) + "\n"
        (HERE / "schema1_ledger.sql").write_text(dump)
        (HERE / "schema1_sent.ldif.jsonl").write_text((work / "sent.ldif.jsonl").read_text())
        (HERE / "schema1_processors.json").write_text((work / "sent.processors.json").read_text())


if __name__ == "__main__":
    {"inputs": write_inputs, "ledger": write_ledger}[sys.argv[1]]()

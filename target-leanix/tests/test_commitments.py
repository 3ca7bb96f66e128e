"""Recurring bills and open purchase orders of a service vendor: a document per recurring bill and
committed spend as `intacctCommitted` points in the LeanIX sandbox, never part of spend or
costTotalAnnual. Expected values are computed here from the records."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from decimal import Decimal
from pathlib import Path

from target_leanix.commitments import RecurringRow, cadence, occurrences

from .e2e_helpers import DATA, leanix_sandbox, run_target, target_config

_spec = importlib.util.spec_from_file_location("make_singer", DATA / "make_intacct_singer.py")
assert _spec is not None
assert _spec.loader is not None
singer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(singer)


def row(**changes: object) -> RecurringRow:
    base: dict[str, object] = {
        "recordno": "1",
        "vendor_id": "V-1",
        "description": "",
        "start_date": "2025-01-31",
        "end_date": None,
        "next_date": "2025-01-31",
        "repeat_by": "Months",
        "repeat_interval": 1,
        "amount": Decimal("10"),
        "currency": "USD",
        "status": "active",
    }
    return RecurringRow(**{**base, **changes})  # type: ignore[arg-type]


def test_occurrences_step_by_cadence_up_to_end_and_horizon():
    monthly = occurrences(row())
    assert len(monthly) == 12  # an open-ended schedule commits the next 12 months only
    assert monthly[:3] == [dt.date(2025, 1, 31), dt.date(2025, 2, 28), dt.date(2025, 3, 31)]
    assert occurrences(row(end_date="2025-03-30")) == monthly[:2]
    assert len(occurrences(row(repeat_by="Weeks", repeat_interval=2))) == 27
    assert occurrences(row(repeat_by="Years")) == [dt.date(2025, 1, 31)]
    assert occurrences(row(status="inactive")) == []
    assert occurrences(row(next_date=None)) == []
    assert cadence(row(repeat_interval=3)) == "every 3 months"
    assert cadence(row()) == "every month"


def _vendor(recordno: int, vendor_id: str, name: str) -> dict[str, object]:
    return singer.record(
        "vendor",
        {"RECORDNO": recordno, "VENDORID": vendor_id, "NAME": name, "STATUS": "active"},
    )


def _po(recordno: int, vendor_id: str, state: str, total: float, doc: str = "Purchase Order"):
    return singer.record(
        "po_document",
        {
            "RECORDNO": recordno,
            "DOCNO": f"PO-{recordno}",
            "DOCID": f"{doc}-PO-{recordno}",
            "DOCPARID": doc,
            "STATE": state,
            "CUSTVENDID": vendor_id,
            "WHENCREATED": "2025-04-15",
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "TOTAL": total,
            "TRX_TOTAL": total,
        },
    )


def test_recurring_bills_and_open_orders_are_committed_apart_from_spend(tmp_path: Path):
    messages = [
        singer.schema("vendor"),
        singer.schema("ap_recurring_bill"),
        singer.schema("po_document"),
        _vendor(1, "V-1", "Slack Technologies, LLC"),
        _vendor(2, "V-2", "Market Street Properties LLC"),
        singer.record(
            "ap_recurring_bill",
            {
                "RECORDNO": 77,
                "VENDORID": "V-1",
                "DESCRIPTION": "Slack Business+ seats",
                "STARTDATE": "2025-01-01",
                "ENDDATE": "2025-09-30",
                "REPEATBY": "Months",
                "REPEATINTERVAL": 1,
                "NEXTEXECDATE": "2025-07-01",
                "CURRENCY": "USD",
                "TOTALENTERED": 1250.5,
                "TRX_TOTALENTERED": 1250.5,
                "STATUS": "active",
            },
        ),
        singer.record(  # the landlord's schedule: no service, so nothing in LeanIX
            "ap_recurring_bill",
            {
                "RECORDNO": 78,
                "VENDORID": "V-2",
                "REPEATBY": "Months",
                "REPEATINTERVAL": 1,
                "NEXTEXECDATE": "2025-07-01",
                "CURRENCY": "USD",
                "TOTALENTERED": 9000,
                "STATUS": "active",
            },
        ),
        _po(901, "V-1", "Pending", 5000),
        _po(902, "V-1", "Partially Converted", 700),
        _po(903, "V-1", "Converted", 800),  # fully billed: no longer a commitment
        _po(904, "V-1", "Pending", 900, doc="Purchase Requisition"),
        {"type": "STATE", "value": {"done": True}},
    ]
    source = tmp_path / "commitments.singer"
    source.write_text("\n".join(json.dumps(m) for m in messages) + "\n")
    with leanix_sandbox() as leanix:
        config = target_config(leanix, "COMMIT", tmp_path / "ledger.sqlite")
        run = run_target(config, source, tmp_path)
        assert run.returncode == 0, run.stderr[-3000:]
        export = leanix.admin("GET", "/admin/export")
        report = leanix.admin("GET", "/admin/spend-report")
    committed = {}
    for point in export["metrics"]:
        tags = {t["key"]: t["value"] for t in point["tags"]}
        assert point["measurement"] != "intacctSpend"  # no spend came in
        if point["measurement"] == "intacctCommitted":
            assert tags["service"] == "intacct:COMMIT:service:slack"
            key = (point["time"][:7], tags["source"], tags["currency"])
            committed[key] = Decimal(point["fields"]["amount"])
    assert committed == {
        ("2025-04", "purchase_order", "USD"): Decimal("5700"),
        ("2025-07", "recurring_bill", "USD"): Decimal("1250.5"),
        ("2025-08", "recurring_bill", "USD"): Decimal("1250.5"),
        ("2025-09", "recurring_bill", "USD"): Decimal("1250.5"),
    }
    documents = {d["name"]: d for d in export["documents"]}
    recurring = documents["Intacct APRECURBILL 77"]
    assert recurring["factSheet"]["externalId"] == "intacct:COMMIT:service:slack"
    for part in ("1250.5 USD every month", "next on 2025-07-01", "ends 2025-09-30"):
        assert part in recurring["description"]
    assert "Intacct APRECURBILL 78" not in documents
    costs = [
        Decimal(str(r["fields"]["costTotalAnnual"]))
        for r in export["relations"]
        if "costTotalAnnual" in r["fields"]
    ]
    assert costs == [Decimal(0)]
    # The admin report reads the same points back per service and month.
    slack = report["services"]["intacct:COMMIT:service:slack"]
    assert slack["2025-04"]["committed"] == {"purchase_order": {"USD": "5700"}}
    assert slack["2025-07"]["committed"] == {"recurring_bill": {"USD": "1250.5"}}
    assert slack["2025-07"]["actual"] == {}

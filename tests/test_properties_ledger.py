"""Property: for any interleaving of inserts, updates and deletes of card headers and lines, written in
any batches (and replayed, as at-least-once delivery does), the ledger's aggregates equal the sum of the
live lines under live, spending headers: nothing lost, nothing counted twice.

A small model of the README's card policy is the oracle; the ledger is the real `target_leanix.ledger`
on a SQLite file.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from target_leanix.ledger import CostWindow, Entry, Ledger, ServiceInfo
from target_leanix.mapping import SpendHeaderItem, SpendKind, SpendLineItem

JIRA = ServiceInfo("jira", "Jira", "Project Management", "Atlassian")
ZOOM = ServiceInfo("zoom", "Zoom", "Video Conferencing", "Zoom Video Communications")
HEADER_SERVICE = {"H1": JIRA, "H2": ZOOM, "H3": JIRA}
WINDOW = CostWindow("2025-12", 12)
NON_SPEND = {"voided", "reversed", "declined", "draft"}

AMOUNT = st.builds(
    lambda cents, places: Decimal(cents).scaleb(-places),
    st.integers(-(10**14), 10**14),
    st.sampled_from([0, 2, 2, 4]),
)
LINE = st.fixed_dictionaries(
    {
        "op": st.just("line"),
        "recordno": st.sampled_from(["1", "2", "3", "4", "5", "6"]),
        "header": st.sampled_from(["H1", "H2", "H3"]),
        "amount": AMOUNT,
        "dept": st.sampled_from(["ENG", "OPS", None]),
        "month": st.sampled_from(["2024-11", "2025-01", "2025-12"]),
        "currency": st.sampled_from(["USD", "EUR"]),
        "deleted": st.booleans(),
    }
)
HEADER = st.fixed_dictionaries(
    {
        "op": st.just("header"),
        "recordno": st.sampled_from(["H1", "H2", "H3"]),
        "state": st.sampled_from(["Posted", "Posted", "Voided", "Draft"]),
        "deleted": st.booleans(),
    }
)
BATCHES = st.lists(
    st.lists(st.one_of(LINE, HEADER), min_size=1, max_size=6), min_size=1, max_size=6
)


def _entry(op: dict[str, object]) -> Entry:
    if op["op"] == "header":
        recordno = str(op["recordno"])
        item = SpendHeaderItem(
            SpendKind.CARD, recordno, f"CARD {recordno}", str(op["state"]), bool(op["deleted"])
        )
        return Entry(item, HEADER_SERVICE[recordno])
    amount = op["amount"]
    assert isinstance(amount, Decimal)
    return Entry(
        SpendLineItem(
            SpendKind.CARD,
            str(op["recordno"]),
            str(op["header"]),
            op["dept"],  # type: ignore[arg-type]
            None,
            "memo",
            amount,
            str(op["currency"]),
            amount * 2,  # base amount in USD (any exact value: the rate is the record's own)
            "USD",
            str(op["month"]),
            bool(op["deleted"]),
        )
    )


def _expected(batches: list[list[dict[str, object]]]) -> dict[str, tuple[dict, Decimal]]:
    """The oracle: the latest version of each record wins; sums over what is live and spending."""
    lines: dict[str, dict[str, object]] = {}
    headers: dict[str, dict[str, object]] = {}
    for batch in batches:
        for op in batch:
            (headers if op["op"] == "header" else lines)[str(op["recordno"])] = op
    out: dict[str, tuple[dict, Decimal]] = {}
    for key in ("jira", "zoom"):
        spend: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        cost = Decimal(0)
        for line in lines.values():
            header = headers.get(str(line["header"]))
            if line["deleted"] or header is None or header["deleted"]:
                continue
            if str(header["state"]).lower() in NON_SPEND:
                continue
            if HEADER_SERVICE[str(line["header"])].key != key:
                continue
            amount = line["amount"]
            assert isinstance(amount, Decimal)
            spend[(str(line["dept"] or ""), str(line["month"]), str(line["currency"]))] += amount
            if WINDOW.contains(str(line["month"])):
                cost += amount if line["currency"] == "USD" else amount * 2
        out[key] = ({k: v for k, v in spend.items() if v != 0}, cost)
    return out


def _actual(ledger: Ledger) -> dict[str, tuple[dict, Decimal]]:
    out: dict[str, tuple[dict, Decimal]] = {}
    for key in ("jira", "zoom"):
        snapshot = ledger.service_snapshot(key, WINDOW, "USD")
        if snapshot is None:
            out[key] = ({}, Decimal(0))
            continue
        spend: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for (dept, month, currency, _source), amount in snapshot.spend.items():
            spend[(dept, month, currency)] += amount  # every point here is card spend
        out[key] = ({k: v for k, v in spend.items() if v != 0}, snapshot.cost_total)
    return out


@settings(max_examples=40, deadline=None)
@given(batches=BATCHES, replay=st.booleans())
def test_ledger_aggregates_equal_the_sum_of_live_lines(batches, replay):
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(f"sqlite:///{Path(tmp) / 'ledger.sqlite'}")
        try:
            ledger.create()
            ledger.bind_company("PROP")
            for batch in batches:
                ledger.write([_entry(op) for op in batch])
            if replay:
                # At-least-once: the last batch arrives again (a rerun after a crash re-sends it).
                ledger.write([_entry(op) for op in batches[-1]])
            assert _actual(ledger) == _expected(batches)
        finally:
            ledger.close()

"""Property: whatever sequence of changes the books go through (bills edited after payment, voided
payments, deleted bill lines, credit memos, changed service periods, card transactions that turn out
to be an AP payment by card), written in any batches and replayed, the ledger's spend per (service,
department, month, currency, source) equals a small independent model of the books, on both bases.

The model below restates the README's counting rules with its own arithmetic (Fractions, month
loops); the ledger is the real `target_leanix.ledger` on a SQLite file, recomputed on every read.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from target_leanix.ledger import BooksPolicy, CostWindow, Entry, Ledger

from .ledger_helpers import (
    SLACK,
    ZOOM,
    ap_bill,
    ap_payment,
    bill_line,
    card_line,
    card_tx,
    payment_line,
    vendor,
)

WINDOW = CostWindow("2025-12", 12)
VENDOR_SERVICES = {"V-01": "slack", "V-02": "zoom", "V-03": None}
CARD_SERVICES = {"C1": SLACK, "C2": ZOOM}
PERIODS = [None, ("2025-01-15", "2025-03-14"), ("2025-11-01", "2026-04-30"), ("2024-12-31",) * 2]

CENTS = st.integers(-(10**9), 10**9).map(lambda cents: Decimal(cents).scaleb(-2))
BILL = st.fixed_dictionaries(
    {
        "op": st.just("bill"),
        "key": st.sampled_from(["B1", "B2", "B3"]),
        "vendor": st.sampled_from(sorted(VENDOR_SERVICES)),
        "date": st.sampled_from(["2024-12-20", "2025-03-15", "2025-11-30"]),
        "state": st.sampled_from(["Posted", "Paid", "Draft", "Reversed"]),
        "deleted": st.booleans(),
    }
)
BILL_LINE = st.fixed_dictionaries(
    {
        "op": st.just("bill_line"),
        "key": st.sampled_from(["L1", "L2", "L3", "L4", "L5"]),
        "bill": st.sampled_from(["B1", "B2", "B3"]),
        "vendor": st.sampled_from([None, "V-01", "V-03"]),
        "amount": CENTS,
        "dept": st.sampled_from(["ENG", "OPS", None]),
        "period": st.sampled_from(range(len(PERIODS))),
        "deleted": st.booleans(),
    }
)
PAYMENT = st.fixed_dictionaries(
    {
        "op": st.just("payment"),
        "key": st.sampled_from(["P1", "P2"]),
        "vendor": st.sampled_from(sorted(VENDOR_SERVICES)),
        "paid": st.sampled_from(["2025-01-05", "2025-04-10"]),
        "state": st.sampled_from(["Complete", "Voided", "Draft"]),
        "method": st.sampled_from(["ACH", "Credit Card"]),
        "number": st.sampled_from(["N1", "N2"]),
        "deleted": st.booleans(),
    }
)
PAYMENT_LINE = st.fixed_dictionaries(
    {
        "op": st.just("payment_line"),
        "key": st.sampled_from(["D1", "D2", "D3"]),
        "payment": st.sampled_from(["P1", "P2"]),
        "bill": st.sampled_from(["B1", "B2", None]),
        "line": st.sampled_from(["L1", "L2", None]),
        "amount": CENTS,
        "deleted": st.booleans(),
    }
)
CARD = st.fixed_dictionaries(
    {
        "op": st.just("card"),
        "key": st.sampled_from(["C1", "C2"]),
        "number": st.sampled_from(["N1", "N2", "N3"]),
        "state": st.sampled_from(["Posted", "Reversed"]),
        "deleted": st.booleans(),
    }
)
CARD_LINE = st.fixed_dictionaries(
    {
        "op": st.just("card_line"),
        "key": st.sampled_from(["K1", "K2"]),
        "card": st.sampled_from(["C1", "C2"]),
        "amount": CENTS,
        "dept": st.sampled_from(["ENG", None]),
        "month": st.sampled_from(["2025-02", "2026-01"]),
        "deleted": st.booleans(),
    }
)
CHANGE = st.one_of(BILL, BILL_LINE, PAYMENT, PAYMENT_LINE, CARD, CARD_LINE)
BATCHES = st.lists(st.lists(CHANGE, min_size=1, max_size=8), min_size=1, max_size=6)
POLICY = st.builds(
    BooksPolicy,
    basis=st.sampled_from(["accrual", "cash"]),
    service_terms=st.sampled_from([{}, {"slack": 3}, {"V-02": 2, "slack": 5}]),
)


def _entry(op: dict[str, Any]) -> Entry:
    kind, key, deleted = op["op"], op["key"], op["deleted"]
    if kind == "bill":
        return ap_bill(key, op["vendor"], date=op["date"], state=op["state"], deleted=deleted)
    if kind == "bill_line":
        return bill_line(
            key,
            op["bill"],
            op["amount"],
            vendor_id=op["vendor"],
            dept=op["dept"],
            period=PERIODS[op["period"]],
            deleted=deleted,
        )
    if kind == "payment":
        return ap_payment(
            key,
            op["vendor"],
            paid=op["paid"],
            state=op["state"],
            method=op["method"],
            entity="E1",
            number=op["number"],
            deleted=deleted,
        )
    if kind == "payment_line":
        return payment_line(
            key, op["payment"], op["amount"], bill=op["bill"], line=op["line"], deleted=deleted
        )
    if kind == "card":
        return _card_header(op)
    return card_line(
        key, op["card"], op["amount"], dept=op["dept"], month=op["month"], deleted=deleted
    )


def _card_header(op: dict[str, Any]) -> Entry:
    entry = card_tx(
        op["key"],
        f"CARD {op['key']}",
        CARD_SERVICES[op["key"]],
        entity="E1",
        number=op["number"],
        state=op["state"],
    )
    return Entry(replace(entry.item, deleted=op["deleted"]), entry.service)


# -- the model ----------------------------------------------------------------------------------------


def _months(start: str, end: str) -> list[str]:
    """Months of a service period: from the start day, step whole months until the end is reached."""
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    months = [first.strftime("%Y-%m")]
    step = 1
    while True:
        year, month = divmod(first.month - 1 + step, 12)
        year += first.year
        day = first.day
        while True:
            try:
                reached = dt.date(year, month + 1, day)
                break
            except ValueError:
                day -= 1
        if reached >= last:
            return months
        months.append(reached.strftime("%Y-%m"))
        step += 1


def _split(amount: Decimal, parts: int) -> list[Decimal]:
    cents = int(amount * 100)
    sign, cents = (-1 if cents < 0 else 1), abs(cents)
    return [
        Decimal(sign * (cents // parts + (1 if index < cents % parts else 0))) / 100
        for index in range(parts)
    ]


def _pro_rata(amount: Decimal, weights: list[Decimal]) -> list[Decimal] | None:
    total = sum(weights, Decimal(0))
    if not weights or total == 0:
        return None
    cents = int(amount * 100)
    floors = [(Fraction(cents) * Fraction(w) / Fraction(total)).__floor__() for w in weights]
    left = cents - sum(floors)
    n = len(floors)
    return [Decimal(f + left // n + (1 if i < left % n else 0)) / 100 for i, f in enumerate(floors)]


Spend = dict[tuple[str, str, str, str, str], Decimal]


def _expected(batches: list[list[dict[str, Any]]], policy: BooksPolicy) -> Spend:
    """The model: the latest version of every record, counted by the README's rules."""
    latest: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for batch in batches:
        for op in batch:
            latest[op["op"]][op["key"]] = op
    live = {
        kind: {k: v for k, v in ops.items() if not v["deleted"]} for kind, ops in latest.items()
    }
    out: Spend = defaultdict(Decimal)
    _card_model(live, out)
    if policy.basis == "accrual":
        _accrual_model(live, policy, out)
    else:
        _cash_model(live, out)
    return dict(out)


def _add(
    out: Spend, service: str | None, dept: str | None, month: str, source: str, amount: Decimal
) -> None:
    if service:
        out[(service, dept or "", month, "USD", source)] += amount


def _card_model(live: dict[str, dict[str, dict[str, Any]]], out: Spend) -> None:
    """Card lines, on both bases, unless an AP payment by credit card made the card transaction."""
    card_paid = {
        p["number"] for p in live.get("payment", {}).values() if p["method"] == "Credit Card"
    }
    for line in live.get("card_line", {}).values():
        card = live.get("card", {}).get(line["card"])
        if card is None or card["state"] == "Reversed" or card["number"] in card_paid:
            continue
        _add(
            out, CARD_SERVICES[card["key"]].key, line["dept"], line["month"], "card", line["amount"]
        )


def _accrual_model(
    live: dict[str, dict[str, dict[str, Any]]], policy: BooksPolicy, out: Spend
) -> None:
    bills = live.get("bill", {})
    for line in live.get("bill_line", {}).values():
        bill = bills.get(line["bill"])
        if bill is None or bill["state"] in ("Draft", "Reversed"):
            continue
        service = VENDOR_SERVICES.get(line["vendor"] or "") or VENDOR_SERVICES[bill["vendor"]]
        period = PERIODS[line["period"]]
        if period is not None:
            months = _months(*period)
        else:
            own = line["vendor"] or bill["vendor"]
            term = policy.service_terms.get(own) or policy.service_terms.get(service or "")
            first = dt.date.fromisoformat(bill["date"])
            months = [
                f"{first.year + (first.month - 1 + i) // 12:04d}-{(first.month - 1 + i) % 12 + 1:02d}"
                for i in range(term or 1)
            ]
        for month, share in zip(months, _split(line["amount"], len(months)), strict=True):
            _add(out, service, line["dept"], month, "invoice", share)


def _cash_model(live: dict[str, dict[str, dict[str, Any]]], out: Spend) -> None:
    lines, payments = live.get("bill_line", {}), live.get("payment", {})
    for detail in live.get("payment_line", {}).values():
        payment = payments.get(detail["payment"])
        if payment is None or payment["state"] in ("Voided", "Draft"):
            continue
        service = VENDOR_SERVICES[payment["vendor"]]
        month = payment["paid"][:7]
        paid = lines.get(detail["line"] or "")
        if paid is not None:
            _add(out, service, paid["dept"], month, "payment", detail["amount"])
            continue
        of_bill = sorted(
            (line for line in lines.values() if line["bill"] == detail["bill"]),
            key=lambda line: int(line["key"][1:]),
        )
        shares = _pro_rata(detail["amount"], [line["amount"] for line in of_bill])
        if shares is None:
            _add(out, service, None, month, "payment", detail["amount"])
            continue
        for line, share in zip(of_bill, shares, strict=True):
            _add(out, service, line["dept"], month, "payment", share)


def _actual(ledger: Ledger, policy: BooksPolicy) -> Spend:
    out = {}
    for key in ("slack", "zoom"):
        snapshot = ledger.service_snapshot(key, WINDOW, "USD", books=policy)
        if snapshot is None:
            continue
        total = Decimal(0)
        for (dept, month, currency, source), amount in snapshot.spend.items():
            out[(key, dept, month, currency, source)] = amount
            if WINDOW.contains(month):
                total += amount
        assert snapshot.cost_total == total  # the cost adds every source, nothing else
    return out


def _nonzero(spend: dict[Any, Decimal]) -> dict[Any, Decimal]:
    return {k: v for k, v in spend.items() if v != 0}


@settings(max_examples=40, deadline=None)
@given(batches=BATCHES, policy=POLICY, replay=st.booleans())
def test_books_spend_equals_a_model_of_the_books_after_any_changes(batches, policy, replay):
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(f"sqlite:///{Path(tmp) / 'ledger.sqlite'}")
        try:
            ledger.create()
            ledger.bind_company("PROP")
            ledger.write([vendor(v, v, None) for v in VENDOR_SERVICES])
            ledger.write([vendor("V-01", "Slack", SLACK), vendor("V-02", "Zoom", ZOOM)])
            for batch in batches:
                ledger.write([_entry(op) for op in batch])
            if replay:
                # At-least-once delivery: the last batch arrives again.
                ledger.write([_entry(op) for op in batches[-1]])
            assert _nonzero(_actual(ledger, policy)) == _nonzero(_expected(batches, policy))
        finally:
            ledger.close()

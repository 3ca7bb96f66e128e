"""Committed spend of a service: its vendor's recurring bills and open purchase orders.

A commitment is money a service will cost, not money it cost: it is published as metrics points of
their own measurement (`intacctCommitted`, tag `source` = `recurring_bill` or `purchase_order`),
never added to `intacctSpend` or costTotalAnnual. A separate measurement, rather than a tag on the
spend measurement, keeps every existing reader of `intacctSpend` (dashboards, reports summing it)
right without a filter it does not know it needs.

* A recurring bill (APRECURBILL, https://developer.intacct.com/api/accounts-payable/recurring-bills/)
  that is active commits one bill amount on each date it will still run: from NEXTEXECDATE every
  REPEATINTERVAL days, weeks, months or years, up to ENDDATE, and at most `HORIZON_MONTHS` ahead
  (an open-ended schedule would otherwise commit forever). Each occurrence counts in its month.
* A purchase order (PODOCUMENT with DOCPARID `Purchase Order`) commits its total in the month it was
  created while it is not fully converted to bills (`OPEN_PO_STATES`). PODOCUMENT carries no
  remaining amount, so a partially converted order commits its whole total.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

COMMITTED_MEASUREMENT = "intacctCommitted"
RECURRING_BILL = "recurring_bill"
PURCHASE_ORDER = "purchase_order"
HORIZON_MONTHS = 12
MAX_OCCURRENCES = 400  # a daily schedule over the horizon, with room to spare
PURCHASE_ORDER_TYPE = "purchase order"
#: PODOCUMENT states of an order not (fully) converted to bills
#: (https://developer.intacct.com/api/purchasing/purchasing-transactions/).
OPEN_PO_STATES = frozenset(
    {
        "pending",
        "submitted",
        "approved",
        "in progress",
        "partially converted",
        "partially converted by line",
    }
)
_UNITS = {"day": "days", "days": "days", "week": "weeks", "weeks": "weeks"}
_MONTHS = {"month": 1, "months": 1, "year": 12, "years": 12}


@dataclass(frozen=True)
class RecurringRow:
    """A recurring bill as the ledger keeps it."""

    recordno: str
    vendor_id: str
    description: str
    start_date: str | None
    end_date: str | None
    next_date: str | None
    repeat_by: str
    repeat_interval: int
    amount: Decimal | None
    currency: str
    status: str


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = (following - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def occurrences(bill: RecurringRow) -> list[dt.date]:
    """The dates the schedule will still create a bill on (empty when inactive or unknown)."""
    if bill.status not in ("", "active") or not bill.next_date or bill.amount is None:
        return []
    first = dt.date.fromisoformat(bill.next_date)
    horizon = _add_months(first, HORIZON_MONTHS)
    end = dt.date.fromisoformat(bill.end_date) if bill.end_date else None
    unit = bill.repeat_by.strip().lower()
    found: list[dt.date] = []
    for n in range(MAX_OCCURRENCES):
        if unit in _MONTHS:
            day = _add_months(first, n * bill.repeat_interval * _MONTHS[unit])
        elif unit in _UNITS:
            step = 7 if _UNITS[unit] == "weeks" else 1
            day = first + dt.timedelta(days=n * bill.repeat_interval * step)
        else:
            return [first] if end is None or first <= end else []  # a cadence we cannot step
        if day >= horizon or (end is not None and day > end):
            break
        found.append(day)
    return found


def cadence(bill: RecurringRow) -> str:
    """`every 3 months` / `every month` / `every Quarter` (an unknown REPEATBY as Intacct says)."""
    unit = bill.repeat_by.strip().lower().rstrip("s") or "period"
    if bill.repeat_interval == 1:
        return f"every {unit}"
    return f"every {bill.repeat_interval} {unit}s"


def recurring_committed(bills: list[RecurringRow]) -> dict[tuple[str, str, str], Decimal]:
    """(month, currency, source) -> the amount the active schedules commit in that month."""
    committed: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for bill in bills:
        for day in occurrences(bill):
            assert bill.amount is not None  # noqa: S101 - occurrences() needs an amount
            committed[(f"{day:%Y-%m}", bill.currency, RECURRING_BILL)] += bill.amount
    return dict(committed)


def is_open_purchase_order(doc_type: str | None, status: str) -> bool:
    """A PODOCUMENT that is a purchase order and not (fully) converted to bills."""
    return (doc_type or "").strip().lower() == PURCHASE_ORDER_TYPE and (
        status.strip().lower() in OPEN_PO_STATES
    )

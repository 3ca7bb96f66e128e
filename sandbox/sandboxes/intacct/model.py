"""The demo company's shared vocabulary: the row type, fan-outs, lines and what row builders read.

`company.py` lays the company out and `generators.py` builds its transactional rows from that layout; both
speak these types, so neither needs the other's module to name them. `CompanyView` is the part of the
company a row builder reads (`company.Company` provides it).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple, Protocol

from sandboxes.intacct.formats import TimeFormat
from sandboxes.intacct.reference_data import VendorSpec

Row = dict[str, str]

EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()

#: Transaction currency -> base currency -> rate (many decimals on purpose: floats would corrupt them).
RATES = {
    ("EUR", "USD"): Decimal("1.0834567891"),
    ("GBP", "USD"): Decimal("1.2712345678"),
    ("USD", "EUR"): Decimal("0.9229871234"),
    ("GBP", "EUR"): Decimal("1.1734123456"),
    ("USD", "GBP"): Decimal("0.7866543210"),
    ("EUR", "GBP"): Decimal("0.8521987654"),
}

#: Header index -> entity index (0 US01, 1 DE01, 2 UK01), repeating.
ENTITY_PATTERN = (0, 0, 1, 0, 2, 0, 1, 0, 0, 1)

# The bill with a line beyond 2**53 cents (exact money on the wire). It is a Draft, and its payment
# Voided, so that line stays out of spend and the demo's figures stay those of a real company.
HUGE_LINE_BILL = 8


def cycle_entity(i: int) -> int:
    """The entity index of header `i`."""
    return ENTITY_PATTERN[i % len(ENTITY_PATTERN)]


def paid_report(q: int) -> int:
    """The expense report that payment `q` pays."""
    return (q // 2) * 3 + q % 2


def add_months(ordinal: int, months: int) -> int:
    """The same day `months` later, clamped to the month's last day (Jan 31 + 1 month = Feb 28)."""
    d = date.fromordinal(ordinal)
    year, month = divmod(d.month - 1 + months, 12)
    year += d.year
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last)).toordinal()


def occurrences(  # noqa: PLR0917 - the schedule's own fields, in Intacct's order
    start: int, repeat_by: str, interval: int, end: int | None, until: int, limit: int = 10_000
) -> list[int]:
    """The run dates (ordinals) of a recurring schedule from STARTDATE, every REPEATINTERVAL
    REPEATBY, up to ENDDATE and `until`, at most `limit` of them."""
    out: list[int] = []
    n = 0
    while len(out) < limit:
        if repeat_by in ("Months", "Years"):
            when = add_months(start, n * interval * (12 if repeat_by == "Years" else 1))
        else:
            when = start + n * interval * (7 if repeat_by == "Weeks" else 1)
        if when > until or (end is not None and when > end):
            break
        out.append(when)
        n += 1
    return out


def schedule_key(recordno: int) -> int:
    """The SCHOPKEY of recurring bill `recordno`: its scheduled operation, which the bills it
    creates carry too."""
    return 7000 + recordno


class Fanout:
    """Children per parent follow `pattern[parent % len(pattern)]`; maps both ways in O(1)."""

    def __init__(self, pattern: Sequence[int], parents: int) -> None:
        self.pattern = tuple(pattern)
        self.parents = parents
        self.period = sum(self.pattern)
        self.prefix = [0]
        for size in self.pattern:
            self.prefix.append(self.prefix[-1] + size)
        full, rest = divmod(parents, len(self.pattern))
        self.total = full * self.period + self.prefix[rest]
        # child offset inside one period -> (parent offset, line)
        self._inside = [(p, k) for p, size in enumerate(self.pattern) for k in range(size)]

    def locate(self, child: int) -> tuple[int, int]:
        """(parent index, line number within the parent) of a child index."""
        cycle, inside = divmod(child, self.period)
        parent_offset, line = self._inside[inside]
        return cycle * len(self.pattern) + parent_offset, line

    def first_child(self, parent: int) -> int:
        """The index of a parent's first child."""
        cycle, inside = divmod(parent, len(self.pattern))
        return cycle * self.period + self.prefix[inside]

    def lines(self, parent: int) -> int:
        """How many children (lines) a parent has."""
        return self.pattern[parent % len(self.pattern)]


class Line(NamedTuple):
    """One line of a generated header: cents in transaction and base currency, coding, memo."""

    trx: int  # cents, transaction currency
    amount: int  # cents, base currency
    account: str
    department: str
    location: str
    memo: str


@dataclass
class Source:
    """One object's base rows. `entity(i)` is -1 for top-level rows; `ts(i)` None for empty WHENMODIFIED."""

    name: str
    count: int
    base: int
    row: Callable[[int], Row]
    ts: Callable[[int], int | None]
    entity: Callable[[int], int]
    #: True when ts is non-decreasing in index and never None: the engine may binary-search.
    monotonic: bool
    #: entity(i) == entity_cycle[i % len] (used to count visible rows in O(1)).
    entity_cycle: tuple[int, ...] = ()
    #: When set, `values(i)` is row i as a tuple in `layout` order (and `row(i)` the same values as a
    #: dict): pages of many wide rows render from it without building a dict per row (render.py).
    layout: tuple[str, ...] = ()
    values: Callable[[int], tuple[str, ...]] | None = None
    #: The first `constant_prefix` values are the same in every row (rendered once per template).
    constant_prefix: int = 0

    def recordno(self, index: int) -> int:
        """The RECORDNO of row index (base + index + 1)."""
        return self.base + index + 1

    def index_of(self, recordno: int) -> int | None:
        """The row index of a RECORDNO, or None when the object has no such row."""
        index = recordno - self.base - 1
        return index if 0 <= index < self.count else None


class CompanyView(Protocol):
    """What the row builders read from the company: sizes, timelines, hashes and shared lines."""

    tf: TimeFormat
    wide_fields: list[str]
    headers: dict[str, int]
    vendors: list[VendorSpec]
    vendor_pick: list[int]
    fanouts: dict[str, Fanout]
    bill_ts: Callable[[int], int]
    cc_ts: Callable[[int], int]
    ee_ts: Callable[[int], int]
    po_ts: Callable[[int], int]
    rb_ts: Callable[[int], int]
    #: The instant the base data ends (schedules have run up to it).
    data_end: int
    sources: dict[str, Source]

    def hasher(self, salt: int) -> Callable[[int], int]:
        """i -> h(salt, i), for loops that hash with one salt."""

    def h(self, salt: int, i: int) -> int:
        """The deterministic hash every generated value derives from."""

    def code(self, salt: int, i: int, length: int) -> str:
        """A `length`-character code derived from h(salt, i)."""

    def vendor_index(self, salt: int, i: int) -> int:
        """A vendor index drawn from the weighted vendor pick list by h(salt, i)."""

    def vendor_id(self, index: int) -> str:
        """The VENDORID of a vendor index."""

    def entity_fields(self, entity: int) -> tuple[str, str, str]:
        """(RECORDNO, LOCATIONID, name) of an entity index; all empty for top level (-1)."""

    def stamp(self, epoch: int | None) -> str:
        """Epoch seconds as an Intacct timestamp in the user's time zone ("" for None)."""

    def date_of(self, epoch: int, minus_days: int = 0) -> int:
        """The day ordinal (as date.toordinal) of epoch seconds, minus_days earlier."""

    def lines(self, kind: str, parent: int) -> list[Line]:
        """The lines of a header (kind, index)."""

    def header_currency(self, kind: str, parent: int) -> tuple[str, str, Decimal]:
        """(transaction currency, base currency, rate) of a header; its lines share it."""

    def bill_totals(self, parent: int, price_cents: int, rate: Decimal) -> tuple[int, int]:
        """(transaction, base) cents of a bill: the sums of its lines, without building them."""

    def po_vendor(self, parent: int) -> int:
        """The vendor index of a purchase order header."""

    def sources_base(self, name: str) -> int:
        """The RECORDNO base of an object: its rows are base + 1, base + 2, ..."""

    def account_title(self, account: str) -> str:
        """The GL account's title ("" for an account the chart does not name)."""

    def employee(self, salt: int, i: int) -> str:
        """An EMPLOYEEID (E-0001 to E-0024) drawn by h(salt, i)."""

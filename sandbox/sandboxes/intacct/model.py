"""The demo company's shared vocabulary: the row type, fan-outs, lines and what row builders read.

`company.py` lays the company out and `generators.py` builds its transactional rows from that layout; both
speak these types, so neither needs the other's module to name them. `CompanyView` is the part of the
company a row builder reads (`company.Company` provides it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import NamedTuple, Protocol

from sandboxes.intacct.formats import TimeFormat
from sandboxes.intacct.reference_data import VendorSpec

Row = dict[str, str]

EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()

#: Header index -> entity index (0 US01, 1 DE01, 2 UK01), repeating.
ENTITY_PATTERN = (0, 0, 1, 0, 2, 0, 1, 0, 0, 1)


def cycle_entity(i: int) -> int:
    """The entity index of header `i`."""
    return ENTITY_PATTERN[i % len(ENTITY_PATTERN)]


def paid_report(q: int) -> int:
    """The expense report that payment `q` pays."""
    return (q // 2) * 3 + q % 2


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

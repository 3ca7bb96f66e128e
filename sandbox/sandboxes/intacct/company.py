"""The deterministic demo company: every row is a pure function of (seed, object, index).

Nothing is materialised for the transactional objects: `source.row(i)` builds row `i` on demand, so a
million rows cost no memory. Base data is laid out so that WHENMODIFIED is non-decreasing in RECORDNO order
(RECORDNO = base + index), which lets the query engine binary-search keyset and range filters.

Line objects hang off their header with a periodic fan-out (for example APBILL i has 1, 2, 3 or 4 lines by
i % 4), so header <-> line index mapping is O(1) and header totals are the exact sum of their lines.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sandboxes.intacct.catalog import ObjectDef
from sandboxes.intacct.formats import TimeFormat, convert_cents, day, money, timestamp_key
from sandboxes.intacct.generators import Generators
from sandboxes.intacct.model import EPOCH_ORDINAL, Fanout, Line, Row, cycle_entity, paid_report
from sandboxes.intacct.reference_data import (
    ACCOUNT_TITLES,
    DEPARTMENTS,
    EMPLOYEES,
    ENTITIES,
    ENTITY_LOCATIONS,
    EXPENSE_LINES,
    GL_ACCOUNTS,
    LINE_DEPARTMENTS,
    LOCATIONS,
    VENDORS,
    VendorSpec,
)

#: Base data spans these instants (UTC epoch seconds): 2023-01-01 .. 2025-06-30.
T0 = 1672531200
T1 = 1751241600

#: Demo-scale (scale 1) header counts; lines follow their header.
SCALE1_COUNTS = {
    "APBILL": 2000,
    "CCTRANSACTION": 3000,
    "EEXPENSES": 600,
    "PODOCUMENT": 800,
    "APRECURBILL": 60,
}
LINE_PATTERNS = {
    "APBILLITEM": (1, 2, 3, 4),
    "CCTRANSACTIONENTRY": (1, 1, 2),
    "EEXPENSESITEM": (2, 3, 4, 1, 5),
    "PODOCUMENTENTRY": (1, 2, 3),
    # APPYMT p pays APBILL 2p, which has 1 line when p is even and 3 when p is odd.
    "APPYMTDETAIL": (1, 3),
}
#: The bulk-import second: these header index ranges share one WHENMODIFIED, so paging by offset
#: over a time filter would lose or repeat rows
#: (https://developer.intacct.com/web-services/queries/, "Offset"). 1040 bills carry 2600 lines; 600
#: card transactions.
BULK_BLOCKS = {"APBILL": (400, 1040), "CCTRANSACTION": (1200, 600)}
RECORDNO_BASE = {
    "VENDOR": 0,
    "DEPARTMENT": 0,
    "LOCATION": 0,
    "GLACCOUNT": 0,
    "APBILL": 1000,
    "APBILLITEM": 5000,
    "APPYMT": 300,
    "APPYMTDETAIL": 700,
    "CCTRANSACTION": 2000,
    "CCTRANSACTIONENTRY": 9000,
    "EEXPENSES": 400,
    "EEXPENSESITEM": 1500,
    "EPPAYMENT": 600,
    "PODOCUMENT": 100,
    "PODOCUMENTENTRY": 800,
    "APRECURBILL": 10,
    "AUDITHISTORY": 0,
}
BILL_LINES = LINE_PATTERNS["APBILLITEM"]


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


def _hasher(seed: int, salt: int) -> Callable[[int], int]:
    # (seed, salt) folded into one constant: the hot generators hash several times a row
    key = salt * 0x85EBCA77 + seed * 0xC2B2AE3D + 0x165667B1

    def mix(i: int) -> int:
        x = (i * 0x9E3779B1 + key) & 0xFFFFFFFF
        x ^= x >> 16
        x = (x * 0x7FEB352D) & 0xFFFFFFFF
        x ^= x >> 15
        x = (x * 0x846CA68B) & 0xFFFFFFFF
        return x ^ (x >> 16)

    return mix


_CODE = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

#: Transaction currency -> base currency -> rate (many decimals on purpose: floats would corrupt them).
RATES = {
    ("EUR", "USD"): Decimal("1.0834567891"),
    ("GBP", "USD"): Decimal("1.2712345678"),
    ("USD", "EUR"): Decimal("0.9229871234"),
    ("GBP", "EUR"): Decimal("1.1734123456"),
    ("USD", "GBP"): Decimal("0.7866543210"),
    ("EUR", "GBP"): Decimal("0.8521987654"),
}
_FOREIGN = {"USD": ("EUR", "GBP"), "EUR": ("USD", "GBP"), "GBP": ("USD", "EUR")}
_CURRENCY_SALT = {"APBILL": 12, "CCTRANSACTION": 22, "EEXPENSES": 32}
ONE = Decimal(1)


class Company:
    """The demo company: each object's rows and derived values, from the seed and scale alone."""

    def __init__(
        self,
        *,
        seed: int,
        scale: float,
        rows: dict[str, int],
        catalog: dict[str, ObjectDef],
        timefmt: TimeFormat,
    ) -> None:
        self.seed = seed
        self._hashers: dict[int, Callable[[int], int]] = {}
        self._bill_hash = self.hasher(14)  # bill lines: hashed for every bill header and line
        self.catalog = catalog
        self.tf = timefmt
        self.wide_fields = [
            f.name for f in catalog["APBILL"].fields if f.name.startswith("CUSTOM_FIELD_")
        ]
        self.headers = {name: max(1, round(n * scale)) for name, n in SCALE1_COUNTS.items()}
        vendor_extra = max(0, round(10 * scale) - 10)
        for name, count in rows.items():
            self._apply_override(name, count)
        if "VENDOR" in rows:
            vendor_extra = max(0, rows["VENDOR"] - len(VENDORS))
        self.vendors = list(VENDORS) + [
            VendorSpec(
                f"Northwind Supplier {n:04d} LLC",
                "",
                f"northwind{n:04d}.example",
                "6500",
                f"NORTHWIND {n:04d}",
                "Sundry supplies",
                10000 + n,
                "Supplies",
            )
            for n in range(1, vendor_extra + 1)
        ]
        self.vendor_pick = self._vendor_weights()
        self._line_cache: dict[tuple[str, int], list[Line]] = {}
        self.fanouts = {
            "APBILLITEM": Fanout(LINE_PATTERNS["APBILLITEM"], self.headers["APBILL"]),
            "CCTRANSACTIONENTRY": Fanout(
                LINE_PATTERNS["CCTRANSACTIONENTRY"], self.headers["CCTRANSACTION"]
            ),
            "EEXPENSESITEM": Fanout(LINE_PATTERNS["EEXPENSESITEM"], self.headers["EEXPENSES"]),
            "PODOCUMENTENTRY": Fanout(LINE_PATTERNS["PODOCUMENTENTRY"], self.headers["PODOCUMENT"]),
            "APPYMTDETAIL": Fanout(
                LINE_PATTERNS["APPYMTDETAIL"], (self.headers["APBILL"] + 1) // 2
            ),
        }
        self.sources = self._build_sources()

    # ------------------------------------------------------------------ sizing
    def _apply_override(self, name: str, count: int) -> None:
        if name in self.headers:
            self.headers[name] = max(1, count)
            return
        parent_of = {
            "APBILLITEM": "APBILL",
            "CCTRANSACTIONENTRY": "CCTRANSACTION",
            "EEXPENSESITEM": "EEXPENSES",
            "PODOCUMENTENTRY": "PODOCUMENT",
            "APPYMT": "APBILL",
            "APPYMTDETAIL": "APBILL",
            "EPPAYMENT": "EEXPENSES",
        }
        if name in parent_of:
            pattern = LINE_PATTERNS.get(name, (1,))
            per_parent = {"APPYMT": 0.5, "APPYMTDETAIL": 1.0, "EPPAYMENT": 2 / 3}.get(
                name, sum(pattern) / len(pattern)
            )
            self.headers[parent_of[name]] = max(1, math.ceil(count / per_parent))
        elif name != "VENDOR":
            raise ValueError(f"--rows: object {name} has a fixed size or does not exist")

    def _vendor_weights(self) -> list[int]:
        # SaaS vendors bill more often than the landlord; every vendor appears.
        pick: list[int] = []
        for index, vendor in enumerate(self.vendors):
            pick += [index] * (4 if vendor.category else 2 if index < len(VENDORS) else 1)
        return pick

    # ------------------------------------------------------------------ helpers

    def _timeline(self, n: int, salt: int, block: tuple[int, int] | None) -> Callable[[int], int]:
        """The WHENMODIFIED of header i of n, for one header object: n rows spread over [T0, T1);
        a bulk block counts as one row that many rows share."""
        start, size = block or (n, 1)
        slots = max(n - (size - 1), 1)
        span = T1 - T0
        jitter = span // slots - 1  # a row moves inside its own slot only
        h = self.hasher(salt)

        def ts(i: int) -> int:
            if i >= start + size:
                i -= size - 1
            elif i >= start:
                i = start
            value = T0 + (i * span) // slots
            return value + h(i) % jitter if jitter > 1 else value

        return ts

    def _block(self, name: str, n: int) -> tuple[int, int] | None:
        start, size = BULK_BLOCKS.get(name, (0, 0))
        if not size:
            return None
        size = min(size, n // 2)
        start = min(start, n - size)
        start -= start % 4  # keep the block aligned to whole line-pattern cycles
        return (start, size) if size > 0 else None

    def hasher(self, salt: int) -> Callable[[int], int]:
        """i -> h(salt, i), for loops that hash with one salt."""
        got = self._hashers.get(salt)
        if got is None:
            got = self._hashers[salt] = _hasher(self.seed, salt)
        return got

    def h(self, salt: int, i: int) -> int:
        """The deterministic hash every generated value derives from."""
        return (self._hashers.get(salt) or self.hasher(salt))(i)

    def code(self, salt: int, i: int, length: int) -> str:
        """A `length`-character code over letters (no I, O) and digits, derived from h(salt, i)."""
        value = self.h(salt, i)
        out: list[str] = []
        for _ in range(length):
            value, digit = divmod(value, len(_CODE))
            if value == 0:
                value = self.h(salt + 1, i + len(out))
            out.append(_CODE[digit])
        return "".join(out)

    def vendor_index(self, salt: int, i: int) -> int:
        """A vendor index drawn from the weighted vendor pick list by h(salt, i)."""
        return self.vendor_pick[self.h(salt, i) % len(self.vendor_pick)]

    def vendor_id(self, index: int) -> str:
        """The VENDORID of a vendor index: V-00001 for index 0."""
        return f"V-{index + 1:05d}"

    def entity_fields(self, entity: int) -> tuple[str, str, str]:
        """(RECORDNO, LOCATIONID, name) of an entity index; all empty for top level (-1)."""
        if entity < 0:
            return "", "", ""
        e = ENTITIES[entity]
        return str(e.recordno), e.location_id, e.name

    def currency_pair(self, salt: int, i: int, entity: int) -> tuple[str, str, Decimal]:
        """(transaction currency, base currency, rate): about one row in seven is foreign."""
        base = ENTITIES[entity].currency
        roll = self.h(salt, i) % 100
        if roll < 14:
            foreign = _FOREIGN[base][roll % 2]
            return foreign, base, RATES[(foreign, base)]
        return base, base, ONE

    def stamp(self, epoch: int | None) -> str:
        """Epoch seconds as an Intacct timestamp in the user's time zone ("" for None)."""
        return "" if epoch is None else self.tf.timestamp(epoch)

    @staticmethod
    def date_of(epoch: int, minus_days: int = 0) -> int:
        """The day ordinal (as date.toordinal) of epoch seconds, minus_days earlier."""
        return epoch // 86400 + EPOCH_ORDINAL - minus_days

    # ------------------------------------------------------------------ sources
    def _build_sources(self) -> dict[str, Source]:
        sources: dict[str, Source] = {}
        for name, rows in self._master_rows().items():
            sources[name] = _static_source(name, rows)
        header_entity = cycle_entity
        n_bill = self.headers["APBILL"]
        n_cc = self.headers["CCTRANSACTION"]
        n_ee = self.headers["EEXPENSES"]
        n_po = self.headers["PODOCUMENT"]
        n_rb = self.headers["APRECURBILL"]
        bill_ts = self.bill_ts = self._timeline(n_bill, 11, self._block("APBILL", n_bill))
        cc_ts = self.cc_ts = self._timeline(n_cc, 21, self._block("CCTRANSACTION", n_cc))
        ee_ts = self.ee_ts = self._timeline(n_ee, 31, None)
        po_ts = self.po_ts = self._timeline(n_po, 41, None)
        rb_ts = self.rb_ts = self._timeline(n_rb, 51, None)

        def add(  # noqa: PLR0917 - a local table builder
            name: str,
            count: int,
            row: Callable[[int], Row],
            ts: Callable[[int], int | None],
            entity: Callable[[int], int],
            cycle_len: int,
        ) -> None:
            sources[name] = Source(
                name,
                count,
                RECORDNO_BASE[name],
                row,
                ts,
                entity,
                monotonic=True,
                entity_cycle=tuple(entity(i) for i in range(cycle_len)),
            )

        gen = Generators(self)
        add("APBILL", n_bill, gen.apbill, bill_ts, header_entity, 10)
        sources["APBILL"].layout = gen.apbill_layout
        sources["APBILL"].values = gen.apbill_values
        sources["APBILL"].constant_prefix = len(gen.apbill_constants)
        fan = self.fanouts["APBILLITEM"]
        add(
            "APBILLITEM",
            fan.total,
            gen.apbillitem,
            lambda i: bill_ts(fan.locate(i)[0]),
            lambda i: cycle_entity(fan.locate(i)[0]),
            fan.period * 5,
        )
        n_pay = (n_bill + 1) // 2
        add(
            "APPYMT",
            n_pay,
            gen.appymt,
            lambda p: bill_ts(2 * p) + 20 * 86400,
            lambda p: cycle_entity(2 * p),
            5,
        )
        pfan = self.fanouts["APPYMTDETAIL"]
        add(
            "APPYMTDETAIL",
            pfan.total,
            gen.appymtdetail,
            lambda i: bill_ts(2 * pfan.locate(i)[0]) + 20 * 86400,
            lambda i: cycle_entity(2 * pfan.locate(i)[0]),
            pfan.period * 5,
        )
        add("CCTRANSACTION", n_cc, gen.cctransaction, cc_ts, header_entity, 10)
        cfan = self.fanouts["CCTRANSACTIONENTRY"]
        add(
            "CCTRANSACTIONENTRY",
            cfan.total,
            gen.cctransactionentry,
            lambda i: cc_ts(cfan.locate(i)[0]),
            lambda i: cycle_entity(cfan.locate(i)[0]),
            cfan.period * 10,
        )
        add("EEXPENSES", n_ee, gen.eexpenses, ee_ts, header_entity, 10)
        efan = self.fanouts["EEXPENSESITEM"]
        add(
            "EEXPENSESITEM",
            efan.total,
            gen.eexpensesitem,
            lambda i: ee_ts(efan.locate(i)[0]),
            lambda i: cycle_entity(efan.locate(i)[0]),
            efan.period * 2,
        )
        # EEXPENSES r is reimbursed when r % 3 in (0, 1): EPPAYMENT q <-> r = (q // 2) * 3 + q % 2
        n_ep = (n_ee // 3) * 2 + min(n_ee % 3, 2)
        add(
            "EPPAYMENT",
            n_ep,
            gen.eppayment,
            lambda q: ee_ts(paid_report(q)) + 7 * 86400,
            lambda q: cycle_entity(paid_report(q)),
            20,
        )
        add("PODOCUMENT", n_po, gen.podocument, po_ts, header_entity, 10)
        pofan = self.fanouts["PODOCUMENTENTRY"]
        add(
            "PODOCUMENTENTRY",
            pofan.total,
            gen.podocumententry,
            lambda i: po_ts(pofan.locate(i)[0]),
            lambda i: cycle_entity(pofan.locate(i)[0]),
            pofan.period * 10,
        )
        add("APRECURBILL", n_rb, gen.aprecurbill, rb_ts, header_entity, 10)
        sources["AUDITHISTORY"] = _static_source("AUDITHISTORY", [])
        return sources

    # ------------------------------------------------------------------ lines (shared by headers)
    def lines(self, kind: str, parent: int) -> list[Line]:
        """The lines of a header (kind, index), built once and cached (cache bounded to 20,000)."""
        key = (kind, parent)
        cached = self._line_cache.get(key)
        if cached is None:
            if len(self._line_cache) > 20000:
                self._line_cache.clear()
            cached = self._make_lines(kind, parent)
            self._line_cache[key] = cached
        return cached

    def header_currency(self, kind: str, parent: int) -> tuple[str, str, Decimal]:
        """(transaction currency, base currency, rate) of a header; its lines share it."""
        entity = cycle_entity(parent)
        if kind == "APBILL" and parent in (5, 8):
            base = ENTITIES[entity].currency
            return base, base, ONE
        return self.currency_pair(_CURRENCY_SALT.get(kind, 42), parent, entity)

    def _make_lines(self, kind: str, parent: int) -> list[Line]:
        entity = cycle_entity(parent)
        _, _, rate = self.header_currency(kind, parent)
        locations = ENTITY_LOCATIONS[entity]
        out: list[Line] = []
        if kind == "APBILL":
            count = BILL_LINES[parent % 4]
            vendor = self.vendors[self.vendor_index(13, parent)]
            for k in range(count):
                trx, hv = self._bill_line(parent, k, vendor.price_cents)
                out.append(
                    Line(
                        trx,
                        convert_cents(trx, rate),
                        vendor.account,
                        LINE_DEPARTMENTS[(hv >> 4) % len(LINE_DEPARTMENTS)],
                        locations[(hv >> 12) % len(locations)],
                        vendor.memo if k == 0 else f"{vendor.memo} - add-on {k}",
                    )
                )
        elif kind == "CCTRANSACTION":
            count = LINE_PATTERNS["CCTRANSACTIONENTRY"][parent % 3]
            vendor = self.vendors[self.vendor_index(23, parent)]
            for k in range(count):
                hv = self.h(24, parent * 4 + k)
                trx = max(99, vendor.price_cents // (3 + k) + hv % 997)
                out.append(
                    Line(
                        trx,
                        convert_cents(trx, rate),
                        vendor.account,
                        LINE_DEPARTMENTS[(hv >> 4) % len(LINE_DEPARTMENTS)],
                        locations[(hv >> 12) % len(locations)],
                        vendor.memo if k == 0 else "Sales tax",
                    )
                )
        elif kind == "EEXPENSES":
            count = LINE_PATTERNS["EEXPENSESITEM"][parent % 5]
            for k in range(count):
                hv = self.h(34, parent * 8 + k)
                _, account, memo, typical = EXPENSE_LINES[hv % len(EXPENSE_LINES)]
                trx = typical + (hv >> 8) % 500
                out.append(
                    Line(
                        trx,
                        convert_cents(trx, rate),
                        account,
                        LINE_DEPARTMENTS[(hv >> 4) % len(LINE_DEPARTMENTS)],
                        locations[(hv >> 12) % len(locations)],
                        memo,
                    )
                )
        else:  # PODOCUMENT
            count = LINE_PATTERNS["PODOCUMENTENTRY"][parent % 3]
            vendor = self.vendors[self.po_vendor(parent)]
            for k in range(count):
                hv = self.h(44, parent * 4 + k)
                qty = 1 + hv % 20
                trx = qty * (vendor.price_cents // 10 + 100)
                out.append(
                    Line(
                        trx,
                        convert_cents(trx, rate),
                        vendor.account,
                        LINE_DEPARTMENTS[(hv >> 4) % len(LINE_DEPARTMENTS)],
                        locations[(hv >> 12) % len(locations)],
                        f"{qty}|{vendor.memo}",
                    )
                )
        return out

    def _bill_line(self, parent: int, k: int, price_cents: int) -> tuple[int, int]:
        """Line k of bill `parent`: its transaction cents and the hash its other fields derive from."""
        hv = self._bill_hash(parent * 8 + k)
        if parent == 5:  # 0.10 + 0.20: a float sum would give 0.30000000000000004
            return (10, 20)[k], hv
        if parent == 8:  # beyond 2**53 cents-precision of a double
            return 9007199254740993, hv
        return price_cents * (1 + hv % 3) + (hv >> 8) % 100, hv

    def bill_totals(self, parent: int, price_cents: int, rate: Decimal) -> tuple[int, int]:
        """(transaction, base) cents of bill `parent`: the sums of `lines("APBILL", parent)` without
        building the lines (a header-only walk would otherwise build and cache them all)."""
        line = self._bill_line
        trx = [line(parent, k, price_cents)[0] for k in range(BILL_LINES[parent % 4])]
        total = sum(trx)
        if rate == 1:
            return total, total
        return total, sum(convert_cents(t, rate) for t in trx)

    def po_vendor(self, parent: int) -> int:
        """The vendor index of a purchase order header."""
        return self.vendor_index(43, parent)

    # ------------------------------------------------------------------ masters
    def _master_rows(self) -> dict[str, list[Row]]:
        created = T0 - 400 * 86400
        tail = {"CREATEDBY": "1", "MODIFIEDBY": "1"}
        top = {"MEGAENTITYKEY": "", "MEGAENTITYID": "", "MEGAENTITYNAME": ""}
        locations: list[Row] = []
        for n, (lid, name, parent, currency, is_entity) in enumerate(LOCATIONS):
            stamp = created + n * 3600
            locations.append(
                {
                    "RECORDNO": str(n + 1),
                    "LOCATIONID": lid,
                    "NAME": name,
                    "PARENTID": parent,
                    "CURRENCY": currency,
                    "ENTITY": "true" if is_entity else "false",
                    "STATUS": "active",
                    "WHENCREATED": self.stamp(stamp),
                    "WHENMODIFIED": self.stamp(stamp + 86400),
                    **tail,
                    **top,
                }
            )
        departments: list[Row] = []
        for n, (did, title, parent, owner) in enumerate(DEPARTMENTS):
            stamp = created + 86400 + n * 7200
            entity = next((e for e in range(3) if ENTITIES[e].location_id == owner), -1)
            key, eid, ename = self.entity_fields(entity)
            departments.append(
                {
                    "RECORDNO": str(n + 1),
                    "DEPARTMENTID": did,
                    "TITLE": title,
                    "PARENTKEY": str(
                        next(i + 1 for i, d in enumerate(DEPARTMENTS) if d[0] == parent)
                    )
                    if parent
                    else "",
                    "PARENTID": parent,
                    "SUPERVISORNAME": "",
                    "STATUS": "active",
                    "CUSTTITLE": title,
                    "WHENCREATED": self.stamp(stamp),
                    "WHENMODIFIED": self.stamp(stamp + 3600),
                    **tail,
                    "MEGAENTITYKEY": key,
                    "MEGAENTITYID": eid,
                    "MEGAENTITYNAME": ename,
                }
            )
        accounts: list[Row] = []
        for n, (no, title, atype, normal, category) in enumerate(GL_ACCOUNTS):
            stamp = created + 2 * 86400 + n * 600
            accounts.append(
                {
                    "RECORDNO": str(n + 1),
                    "ACCOUNTNO": no,
                    "TITLE": title,
                    "ACCOUNTTYPE": atype,
                    "NORMALBALANCE": normal,
                    "CLOSINGTYPE": "closed to account"
                    if atype == "incomestatement"
                    else "non-closing account",
                    "CATEGORY": category,
                    "ALTERNATIVEACCOUNT": "None",
                    "STATUS": "active",
                    "WHENCREATED": self.stamp(stamp),
                    "WHENMODIFIED": self.stamp(stamp + 600),
                    **tail,
                    **top,
                }
            )
        vendors: list[Row] = []
        n_vendors = len(self.vendors)
        for n, v in enumerate(self.vendors):
            stamp = T0 - 200 * 86400 + (n * 180 * 86400) // max(n_vendors, 1)
            first, last = ("Accounts", "Receivable") if n % 3 else ("Billing", "Team")
            # A few vendor masters were created by an import that left WHENMODIFIED empty.
            modified = "" if n in (3, 17, 29) else self.stamp(stamp + 3600)
            vendors.append(
                {
                    "RECORDNO": str(n + 1),
                    "VENDORID": self.vendor_id(n),
                    "NAME": v.name,
                    "PARENTKEY": "",
                    "PARENTID": "",
                    "PARENTNAME": "",
                    "DISPLAYCONTACT.CONTACTNAME": f"{v.name} ({self.vendor_id(n)})",
                    "DISPLAYCONTACT.COMPANYNAME": v.name,
                    "DISPLAYCONTACT.FIRSTNAME": first,
                    "DISPLAYCONTACT.LASTNAME": last,
                    "DISPLAYCONTACT.INITIAL": "",
                    "DISPLAYCONTACT.PRINTAS": v.name,
                    "DISPLAYCONTACT.PHONE1": f"+1 415 555 {n % 10000:04d}",
                    "DISPLAYCONTACT.PHONE2": "",
                    "DISPLAYCONTACT.EMAIL1": f"billing@{v.domain}",
                    "DISPLAYCONTACT.EMAIL2": "",
                    "DISPLAYCONTACT.URL1": f"https://www.{v.domain}",
                    "PAYTOCONTACT.CONTACTNAME": f"{last}, {first}",
                    "VENDORACCOUNTNO": f"ACME-{1000 + n}",
                    "VENDTYPE": v.vendtype,
                    "ACCOUNTLABEL": "",
                    "APACCOUNT": "2000",
                    "APACCOUNTTITLE": "Accounts Payable",
                    "STATUS": "inactive" if n % 19 == 18 else "active",
                    "TAXID": f"{10 + n % 89}-{self.h(61, n) % 10000000:07d}",
                    "CURRENCY": "USD",
                    "TOTALDUE": money(self.h(62, n) % 500000),
                    "CREDITLIMIT": money((1 + n % 5) * 1000000),
                    "ONETIME": "false",
                    "ONHOLD": "false",
                    "WHENCREATED": self.stamp(stamp),
                    "WHENMODIFIED": modified,
                    **tail,
                    **top,
                    "SAAS_CATEGORY": v.category,
                }
            )
        classes: list[Row] = []
        for n, (cid, name) in enumerate(
            (("C-SAAS", "SaaS Spend"), ("C-OPEX", "Other Opex"), ("C-CAPEX", "Capital Projects"))
        ):
            stamp = created + 3 * 86400 + n * 60
            classes.append(
                {
                    "RECORDNO": str(n + 1),
                    "CLASSID": cid,
                    "NAME": name,
                    "DESCRIPTION": "",
                    "STATUS": "active",
                    "PARENTKEY": "",
                    "PARENTID": "",
                    "PARENTNAME": "",
                    "WHENCREATED": self.stamp(stamp),
                    "WHENMODIFIED": self.stamp(stamp),
                    **tail,
                    **top,
                }
            )
        projects: list[Row] = []
        for n, (pid, name) in enumerate(
            (
                ("P-ERP", "ERP rollout"),
                ("P-SSO", "SSO everywhere"),
                ("P-DW", "Data warehouse"),
                ("P-OFFICE", "Berlin office fit-out"),
            )
        ):
            stamp = created + 4 * 86400 + n * 60
            projects.append(
                {
                    "RECORDNO": str(n + 1),
                    "PROJECTID": pid,
                    "NAME": name,
                    "DESCRIPTION": "",
                    "STATUS": "active",
                    "WHENCREATED": self.stamp(stamp),
                    "WHENMODIFIED": self.stamp(stamp),
                    **tail,
                    **top,
                }
            )
        # A duplicate vendor master, deleted before start (visible only in AUDITHISTORY).
        duplicate = dict(vendors[0])
        duplicate.update(
            {
                "RECORDNO": str(n_vendors + 1),
                "VENDORID": self.vendor_id(n_vendors),
                "NAME": "Atlassian (duplicate - do not use)",
                "STATUS": "inactive",
                "SAAS_CATEGORY": "",
            }
        )
        vendors.append(duplicate)
        return {
            "LOCATION": locations,
            "DEPARTMENT": departments,
            "GLACCOUNT": accounts,
            "VENDOR": vendors,
            "CLASS": classes,
            "PROJECT": projects,
        }

    @staticmethod
    def sources_base(name: str) -> int:
        """The RECORDNO base of an object: its rows are base + 1, base + 2, ..."""
        return RECORDNO_BASE[name]

    def account_title(self, account: str) -> str:
        """The GL account's title ("" for an account the chart does not name)."""
        return ACCOUNT_TITLES.get(account, "")

    def employee(self, salt: int, i: int) -> str:
        """An EMPLOYEEID (E-0001 to E-0024) drawn by h(salt, i)."""
        return EMPLOYEES[self.h(salt, i) % len(EMPLOYEES)]


def _static_source(name: str, rows: list[Row]) -> Source:
    entity_ids = {e.location_id: n for n, e in enumerate(ENTITIES)}

    def ts(i: int) -> int | None:
        key = timestamp_key(rows[i].get("WHENMODIFIED", ""))
        return None if key is None else int(key)

    return Source(
        name=name,
        count=len(rows),
        base=0,
        row=lambda i: dict(rows[i]),
        ts=ts,
        entity=lambda i: entity_ids.get(rows[i].get("MEGAENTITYID", ""), -1),
        monotonic=False,
    )


__all__ = ["Company", "Fanout", "Line", "Row", "Source", "day", "money"]

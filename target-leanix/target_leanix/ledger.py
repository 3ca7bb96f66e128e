"""The durable ledger: every source record ever seen, the aggregates derived from them, dirty marks.

Why a ledger: the tap is incremental, so a run sees only changed records, yet LeanIX must show totals over
*every* line ever seen. The ledger keeps one row per source record (keyed by stream kind + RECORDNO), so a
re-sent record replaces its previous version and a deleted one stops counting; aggregates are recomputed
from the rows, never incremented.

Dirty marks: writing a record marks the services/departments whose LeanIX items may change, in the same
transaction. The publisher reads them, sends the changed items, and clears them only after LeanIX
confirmed (`confirm`). A crash in between leaves them set, so the next run repairs LeanIX.

`published` remembers what LeanIX holds (a hash per item and owner), so an unchanged item is never sent
again and an item that disappeared (a department that no longer spends, a deleted invoice) is removed.

Money is stored as exact decimal text and summed in Python with Decimal: SQLite has no exact decimal type.
The database groups the lines (and joins each group's texts), so Python sees a row per group, not per line.
SQLAlchemy Core only, so the same code runs on SQLite (default) and PostgreSQL (CI).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import typing as t
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from target_leanix.mapping import (
    BILL_LINE_STREAM,
    CARD_HEADER_STREAM,
    CARD_LINE_STREAM,
    DEPARTMENT_STREAM,
    EXPENSE_HEADER_STREAM,
    EXPENSE_LINE_STREAM,
    REIMBURSEMENT_STREAM,
    VENDOR_STREAM,
    DepartmentItem,
    InvoiceItem,
    InvoiceObject,
    Item,
    ReimbursementItem,
    SpendHeaderItem,
    SpendKind,
    SpendLineItem,
    VendorAccountItem,
    VendorItem,
)
from target_leanix.private_files import prepare_sqlite_file

# 1: external IDs joined their parts as they were. 2: every part is encoded (`ldif.id_part`), so
# values that collided under 1 have new IDs (`Ledger.upgrade`). 3: the slugs in service keys and
# provider IDs keep letters of every script (`normalize.name_slug`), so names without Latin letters
# no longer share `user:unnamed` or `provider:unnamed`.
SCHEMA_VERSION = "3"
# The recognition fingerprint an upgrade to schema 3 leaves behind: it equals no real one, so the next
# run recognises the whole ledger again, which moves vendors to their new keys, and then retires the
# keys they left (`retire_services`).
RECOGNITION_KEYS_CHANGED = "service keys changed"
# The digest of a published item that LeanIX may hold but never confirmed: never equal to a real one,
# so the next publication sends the item again, or removes it.
UNCONFIRMED = "unconfirmed"

# Card transactions in these states never became spend (intacct-xml-api.md: STATE enum).
NON_SPEND_CARD_STATES = frozenset({"reversed", "voided", "declined", "draft"})
# An expense report's lines are spend once the report is reimbursed: an EPPAYMENT that references it
# (RECORDKEY) and is not voided, or the report itself says Paid.
PAID_REPORT_STATES = frozenset({"paid", "partially paid"})
NON_PAYING_REIMBURSEMENT_STATES = frozenset({"voided", "reversed", "declined", "draft"})


class LedgerError(RuntimeError):
    pass


class LedgerRefusedError(LedgerError):
    """The database refused a change (an integrity constraint); the message is one line."""


class _TrialDone(Exception):  # noqa: N818 - not an error: ends a trial write, which rolls back
    pass


@dataclass(frozen=True)
class ServiceInfo:
    """A recognised service, as the ledger stores it (decoupled from the recognition package)."""

    key: str
    name: str
    category: str
    provider: str
    candidate: bool = False


@dataclass(frozen=True)
class Entry:
    """An item to write plus what recognition said about it (vendor, card header or expense line)."""

    item: Item
    service: ServiceInfo | None = None


@dataclass(frozen=True)
class CostWindow:
    """The trailing window of `months` calendar months ending with `end_month` (YYYY-MM), inclusive."""

    end_month: str
    months: int

    @property
    def start_month(self) -> str:
        year, month = (int(part) for part in self.end_month.split("-"))
        index = year * 12 + (month - 1) - (self.months - 1)
        return f"{index // 12:04d}-{index % 12 + 1:02d}"

    def contains(self, month: str) -> bool:
        return self.start_month <= month <= self.end_month

    @classmethod
    def ending(cls, day: dt.date, months: int) -> CostWindow:
        return cls(f"{day.year:04d}-{day.month:02d}", months)


@dataclass(frozen=True)
class InvoiceRow:
    object: str
    recordno: str
    vendor_id: str
    number: str
    date: str | None
    amount: Decimal
    currency: str
    status: str


@dataclass
class ServiceSnapshot:
    """Everything LeanIX should show for one service, recomputed from the ledger."""

    service: ServiceInfo
    vendor_ids: list[str]
    # (department_id or "", month, currency) -> exact sum in that currency
    spend: dict[tuple[str, str, str], Decimal]
    departments: list[str]  # known departments with non-zero spend
    cost_total: Decimal  # trailing window, reporting currency
    cost_currency: str
    window: CostWindow
    unconvertible: dict[
        str, Decimal
    ]  # currency -> window spend that has no rate to the reporting one
    invoices: list[InvoiceRow]


@dataclass(frozen=True)
class PublishedItem:
    owner: str
    item_key: str
    digest: str
    payload: dict[str, Any]


@dataclass
class WriteStats:
    written: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    deleted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Vendors whose set of GL accounts changed: recognition should look at them again.
    vendors_to_recognize: set[str] = field(default_factory=set)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _exact_sum(amounts: str) -> Decimal:
    """The exact sum of comma-separated decimal texts (as the ledger stores money)."""
    return sum((Decimal(amount) for amount in amounts.split(",")), Decimal(0))


def digest(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Ledger:
    def __init__(self, url: str, table_prefix: str = "lx_") -> None:
        self.url = url
        # Vendor names and amounts: the SQLite file (and so its side files) for the owner only.
        prepare_sqlite_file(url)
        self.engine: Engine = sa.create_engine(url, future=True)
        if url.startswith("sqlite"):
            # One writer; give a concurrent reader time instead of failing at once.
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.metadata = sa.MetaData()
        p = table_prefix
        md = self.metadata
        self.meta = sa.Table(
            f"{p}meta",
            md,
            sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        )
        self.services = sa.Table(
            f"{p}services",
            md,
            sa.Column("service_key", sa.String(200), primary_key=True),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("category", sa.Text, nullable=False),
            sa.Column("provider", sa.Text, nullable=False),
            sa.Column("candidate", sa.Boolean, nullable=False),
        )
        self.vendors = sa.Table(
            f"{p}vendors",
            md,
            sa.Column("vendor_id", sa.String(200), primary_key=True),
            sa.Column("recordno", sa.String(64), nullable=False),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("website", sa.Text),
            sa.Column("deleted", sa.Boolean, nullable=False),
            sa.Column("service_key", sa.String(200)),
        )
        self.vendor_accounts_table = sa.Table(
            f"{p}vendor_accounts",
            md,
            sa.Column("recordno", sa.String(64), primary_key=True),  # the AP bill line
            sa.Column("vendor_id", sa.String(200), index=True),
            sa.Column("accountno", sa.String(64)),
            sa.Column("deleted", sa.Boolean, nullable=False),
        )
        self.departments = sa.Table(
            f"{p}departments",
            md,
            sa.Column("department_id", sa.String(200), primary_key=True),
            sa.Column("recordno", sa.String(64), nullable=False),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("parent_id", sa.String(200)),
            sa.Column("deleted", sa.Boolean, nullable=False),
        )
        self.headers = sa.Table(
            f"{p}spend_headers",
            md,
            sa.Column("kind", sa.String(16), primary_key=True),
            sa.Column("recordno", sa.String(64), primary_key=True),
            sa.Column("descriptor", sa.Text, nullable=False),
            sa.Column("state", sa.String(64), nullable=False),
            sa.Column("deleted", sa.Boolean, nullable=False),
            sa.Column("service_key", sa.String(200)),
        )
        self.lines = sa.Table(
            f"{p}spend_lines",
            md,
            sa.Column("kind", sa.String(16), primary_key=True),
            sa.Column("recordno", sa.String(64), primary_key=True),
            sa.Column("header_recordno", sa.String(64), nullable=False, index=True),
            sa.Column("department_id", sa.String(200)),
            sa.Column("vendor_id", sa.String(200), index=True),
            sa.Column("description", sa.Text, nullable=False),
            sa.Column("amount", sa.String(64), nullable=False),
            sa.Column("currency", sa.String(3), nullable=False),
            sa.Column("base_amount", sa.String(64), nullable=False),
            sa.Column("base_currency", sa.String(3), nullable=False),
            sa.Column("month", sa.String(7), nullable=False),
            sa.Column("deleted", sa.Boolean, nullable=False),
            sa.Column("own_service_key", sa.String(200)),  # from the line's own text (expenses)
            sa.Column("service_key", sa.String(200), index=True),  # resolved attribution
            # The run that last wrote the line: the run summary's unattributed lines are the ones
            # this run received, found without keeping a key per line in memory.
            sa.Column("seen_run", sa.String(32), index=True),
        )
        self.reimbursements = sa.Table(
            f"{p}reimbursements",
            md,
            sa.Column("recordno", sa.String(64), primary_key=True),
            sa.Column("report_recordno", sa.String(64), index=True),
            sa.Column("state", sa.String(64), nullable=False),
            sa.Column("amount", sa.String(64)),
            sa.Column("currency", sa.String(3), nullable=False),
            sa.Column("deleted", sa.Boolean, nullable=False),
        )
        self.invoices = sa.Table(
            f"{p}invoices",
            md,
            sa.Column("object", sa.String(16), primary_key=True),
            sa.Column("recordno", sa.String(64), primary_key=True),
            sa.Column("vendor_id", sa.String(200), index=True),
            sa.Column("number", sa.Text, nullable=False),
            sa.Column("date", sa.String(10)),
            sa.Column("amount", sa.String(64)),
            sa.Column("currency", sa.String(3), nullable=False),
            sa.Column("status", sa.String(64), nullable=False),
            sa.Column("deleted", sa.Boolean, nullable=False),
        )
        self.published_items = sa.Table(
            f"{p}published",
            md,
            sa.Column("owner", sa.String(300), primary_key=True),
            sa.Column("item_key", sa.String(500), primary_key=True),
            sa.Column("digest", sa.String(64), nullable=False),
            sa.Column("payload", sa.Text, nullable=False),
        )
        self.dirty = sa.Table(
            f"{p}dirty",
            md,
            sa.Column("kind", sa.String(16), primary_key=True),
            sa.Column("key", sa.String(300), primary_key=True),
        )

        # Statements are built once and reused with bound parameters: building and hashing a
        # SQLAlchemy construct per row cost more than running it.
        self._statements: dict[tuple[Any, ...], Any] = {}
        self._services_this_batch: dict[str, ServiceInfo] = {}
        self.run_marker = uuid.uuid4().hex

    def _statement(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:  # noqa: ANN401
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = build()
        return statement

    def _row(self, conn: _Session, table: sa.Table, keys: dict[str, Any]) -> Any:  # noqa: ANN401
        """The current row of `table` by its primary key (a `_CachedRow`), or None."""
        cache = conn.rows(table.name)
        cache_key = tuple(keys.items())
        if cache_key in cache:
            return cache[cache_key]
        statement = self._statement(
            ("select", table.name, tuple(keys)),
            lambda: sa.select(table).where(*[table.c[k] == sa.bindparam(f"k_{k}") for k in keys]),
        )
        found = conn.execute(statement, {f"k_{k}": v for k, v in keys.items()}).one_or_none()
        row = None if found is None else _CachedRow(found._mapping)
        cache[cache_key] = row
        return row

    def _insert(self, conn: _Session, table: sa.Table, row: dict[str, Any]) -> None:
        conn.insert(table, row)

    def _update(
        self, conn: _Session, table: sa.Table, keys: dict[str, Any], values: dict[str, Any]
    ) -> None:
        self._update_many(conn, table, [(keys, values)])

    def _update_many(
        self,
        conn: _Session,
        table: sa.Table,
        changes: Sequence[tuple[dict[str, Any], dict[str, Any]]],
    ) -> None:
        """Update rows by primary key (one executemany); every change names the same columns."""
        if not changes:
            return
        keys, values = changes[0]
        statement = self._statement(
            ("update", table.name, tuple(keys), tuple(values)),
            lambda: (
                table.update()
                .where(*[table.c[k] == sa.bindparam(f"k_{k}") for k in keys])
                .values({c: sa.bindparam(f"v_{c}") for c in values})
            ),
        )
        conn.update(table, changes, statement)

    def _prefetch(
        self, conn: _Session, table: sa.Table, keys: Iterable[tuple[tuple[str, Any], ...]]
    ) -> None:
        """Load the rows of many primary keys with a few `IN` queries, for `_row` to find."""
        cache = conn.rows(table.name)
        groups: dict[tuple[tuple[str, Any], ...], list[Any]] = defaultdict(list)
        for key in keys:
            if key not in cache:
                # All but the last key column are equal within a group; the last goes into IN.
                groups[key[:-1]].append(key[-1][1])
        for fixed, values in groups.items():
            last = table.primary_key.columns.values()[len(fixed)].name
            unique = sorted(set(values))
            for start in range(0, len(unique), _IN_CHUNK):
                chunk = unique[start : start + _IN_CHUNK]
                for value in chunk:
                    cache[(*fixed, (last, value))] = None
                query = sa.select(table).where(
                    *[table.c[name] == value for name, value in fixed], table.c[last].in_(chunk)
                )
                for found in conn.execute(query):
                    row = _CachedRow(found._mapping)
                    key = (*fixed, (last, row[last]))
                    cache[key] = row

    # -- lifecycle ---------------------------------------------------------------------------------

    def create(self) -> None:
        self.metadata.create_all(self.engine)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """A ledger made by an earlier version lacks the nullable columns added since: add them."""
        inspector = sa.inspect(self.engine)
        with self.engine.begin() as conn:
            for table in self.metadata.tables.values():
                present = {column["name"] for column in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name in present or not column.nullable:
                        continue
                    kind = column.type.compile(dialect=self.engine.dialect)
                    conn.execute(
                        sa.text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
                    )
                    for index in table.indexes:
                        if column.name in index.columns:
                            index.create(conn, checkfirst=True)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[_Session]:
        try:
            with self.engine.begin() as conn:
                session = _Session(conn)
                yield session
                session.flush()
        except sa.exc.IntegrityError as error:
            raise LedgerRefusedError(
                f"the ledger at {self.describe()} refused a change: {_first_line(error.orig)}"
            ) from None

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(self.meta.c.value).where(self.meta.c.key == key)
            ).scalar_one_or_none()

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as conn:
            self._set_meta(conn, key, value)

    def _set_meta(self, conn: _Session, key: str, value: str) -> None:
        conn.execute(sa.delete(self.meta).where(self.meta.c.key == key))
        conn.execute(sa.insert(self.meta).values(key=key, value=value))

    def bind_company(self, company_key: str) -> bool:
        """Bind a fresh ledger to the company, or check the binding. True when the ledger was fresh."""
        bound = self.get_meta("company_key")
        if bound is None:
            with self._tx() as conn:
                self._set_meta(conn, "company_key", company_key)
                self._set_meta(conn, "schema_version", SCHEMA_VERSION)
            return True
        if bound != company_key:
            raise LedgerError(
                f"the ledger at {self.describe()} belongs to company_key {bound!r}, "
                f"not {company_key!r}; use one ledger per company"
            )
        return False

    def describe(self) -> str:
        """The ledger location without credentials."""
        return sa.make_url(self.url).render_as_string(hide_password=True)

    # -- writes --------------------------------------------------------------------------------------

    def write(self, entries: Sequence[Entry]) -> WriteStats:
        """Write a batch in one transaction: replace each record, mark what it touches dirty.

        When the database refuses the batch, nothing of it is kept and the error names the first
        record it cannot take (found by trial writes that roll back), so a fixed input goes through."""
        try:
            return self._write(entries)
        except LedgerRefusedError as error:
            refused = self._first_refused(entries)
            if refused is None:
                raise
            raise LedgerRefusedError(f"{record_name(refused.item)}: {error}") from None

    def _first_refused(self, entries: Sequence[Entry]) -> Entry | None:
        """The entry that makes the shortest refused prefix of the batch (None: none is refused)."""
        low, high = 1, len(entries)
        if not self._refuses(entries):
            return None
        while low < high:
            middle = (low + high) // 2
            if self._refuses(entries[:middle]):
                high = middle
            else:
                low = middle + 1
        return entries[high - 1]

    def _refuses(self, entries: Sequence[Entry]) -> bool:
        try:
            self._write(entries, trial=True)
        except LedgerRefusedError:
            return True
        except _TrialDone:
            return False
        return False

    def _write(self, entries: Sequence[Entry], *, trial: bool = False) -> WriteStats:
        stats = WriteStats()
        self._services_this_batch = {}
        with self._tx() as conn:
            dirty_services: set[str | None] = set()
            dirty_departments: set[str | None] = set()
            fresh = self._write_fresh_lines(
                conn, entries, stats, dirty_services
            ) or self._write_fresh_headers(conn, entries, stats)
            if not fresh:
                self._prefetch_batch(conn, entries)
            for entry in () if fresh else entries:
                item = entry.item
                if entry.service is not None:
                    self._save_service(conn, entry.service)
                name = type(item).__name__
                (stats.deleted if item.deleted else stats.written)[name] += 1
                if isinstance(item, VendorItem):
                    self._write_vendor(conn, item, entry.service, dirty_services)
                elif isinstance(item, DepartmentItem):
                    self._write_department(conn, item, dirty_services, dirty_departments)
                elif isinstance(item, SpendHeaderItem):
                    self._write_header(conn, item, entry.service, dirty_services)
                elif isinstance(item, SpendLineItem):
                    self._write_line(conn, item, entry.service, dirty_services)
                elif isinstance(item, ReimbursementItem):
                    self._write_reimbursement(conn, item, dirty_services)
                elif isinstance(item, VendorAccountItem):
                    self._write_vendor_account(conn, item, stats.vendors_to_recognize)
                else:
                    self._write_invoice(conn, item, dirty_services)
            dirty_services.update(self._revisit_headers(conn))
            self._mark_paid_reports(conn, dirty_services)
            self._mark(conn, "service", dirty_services)
            self._mark(conn, "department", dirty_departments)
            if trial:
                conn.flush()
                raise _TrialDone
        return stats

    def _write_fresh_lines(
        self,
        conn: _Session,
        entries: Sequence[Entry],
        stats: WriteStats,
        dirty: set[str | None],
    ) -> bool:
        """The usual batch, spend lines the ledger has never seen, in bulk: a few `IN` queries for
        their vendors and card headers, one executemany. It writes what `_write_line` would, line by
        line. False (nothing written) for any other batch, which takes the general path."""
        items: list[SpendLineItem] = []
        keys: set[tuple[str, str]] = set()
        for entry in entries:
            item = entry.item
            if not isinstance(item, SpendLineItem) or item.deleted:
                return False
            keys.add((item.kind.value, item.recordno))
            items.append(item)
        if not items or len(keys) != len(items):
            return False  # a line twice in one batch: the general path keeps the order of events
        if self._any_exists(conn, self.lines, keys):
            return False  # re-sent lines replace earlier versions: the general path
        vendors = self._vendor_services(conn, {item.vendor_id for item in items if item.vendor_id})
        header_services = self._card_header_services(
            conn, {item.header_recordno for item in items if item.kind is SpendKind.CARD}
        )
        rows = []
        for entry, item in zip(entries, items, strict=True):
            own = entry.service.key if entry.service is not None else None
            if entry.service is not None:
                self._save_service(conn, entry.service)
            # `_resolve`: the line's vendor if it is a service, else its card's descriptor, else
            # (expense lines) its own text.
            resolved = vendors.get(item.vendor_id or "")
            if resolved is None:
                if item.kind is SpendKind.CARD:
                    resolved = header_services.get(item.header_recordno)
                else:
                    resolved = own
            dirty.add(resolved)
            rows.append(
                {
                    "kind": item.kind.value,
                    "recordno": item.recordno,
                    **self._line_values(item, own, resolved),
                }
            )
        conn.flush()
        conn.insert_many(self.lines, rows)
        stats.written[SpendLineItem.__name__] += len(rows)
        return True

    def _write_fresh_headers(
        self, conn: _Session, entries: Sequence[Entry], stats: WriteStats
    ) -> bool:
        """A batch of card transactions or expense reports the ledger has never seen, in bulk, as
        `_write_header` would write them; their lines (if any came first) are revisited at the end
        of the batch as usual. False (nothing written) for any other batch."""
        keys: set[tuple[str, str]] = set()
        for entry in entries:
            item = entry.item
            if not isinstance(item, SpendHeaderItem) or item.deleted:
                return False
            keys.add((item.kind.value, item.recordno))
        if not keys or len(keys) != len(entries):
            return False
        if self._any_exists(conn, self.headers, keys):
            return False
        rows = []
        for entry in entries:
            item = t.cast("SpendHeaderItem", entry.item)
            if entry.service is not None:
                self._save_service(conn, entry.service)
            rows.append(
                {
                    "kind": item.kind.value,
                    "recordno": item.recordno,
                    "descriptor": item.descriptor,
                    "state": item.state,
                    "deleted": False,
                    "service_key": entry.service.key if entry.service is not None else None,
                }
            )
        self._check_headers_have_lines(conn, keys)
        conn.headers_to_revisit.update(keys)
        conn.flush()
        conn.insert_many(self.headers, rows)
        stats.written[SpendHeaderItem.__name__] += len(rows)
        return True

    def _any_exists(self, conn: _Session, table: sa.Table, keys: Iterable[tuple[str, str]]) -> bool:
        """Whether `table` (keyed by kind and recordno) holds any of these keys."""
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, recordno in keys:
            by_kind[kind].append(recordno)
        for kind, recordnos in by_kind.items():
            for chunk in _chunks(sorted(recordnos)):
                if conn.select_in(table, ["recordno"], {"kind": kind}, "recordno", chunk):
                    return True
        return False

    def _vendor_services(self, conn: _Session, vendor_ids: Iterable[str]) -> dict[str, str]:
        """vendor_id -> service of the live vendors among these that are a service."""
        table = self.vendors
        found: dict[str, str] = {}
        for chunk in _chunks(sorted(vendor_ids)):
            for row in conn.execute(
                sa.select(table.c.vendor_id, table.c.service_key).where(
                    table.c.vendor_id.in_(chunk),
                    table.c.deleted.is_(False),
                )
            ):
                if row.service_key:
                    found[row.vendor_id] = str(row.service_key)
        return found

    def _card_header_services(
        self, conn: _Session, recordnos: Iterable[str]
    ) -> dict[str, str | None]:
        """recordno -> service of the card transactions among these that the ledger holds."""
        table = self.headers
        found: dict[str, str | None] = {}
        for chunk in _chunks(sorted(recordnos)):
            for recordno, service_key in conn.select_in(
                table,
                ["recordno", "service_key"],
                {"kind": SpendKind.CARD.value},
                "recordno",
                chunk,
            ):
                found[recordno] = str(service_key) if service_key else None
        return found

    def _prefetch_batch(self, conn: _Session, entries: Sequence[Entry]) -> None:
        """Load every row the batch will look up by key with a few `IN` queries per table."""
        wanted: dict[str, set[tuple[tuple[str, Any], ...]]] = defaultdict(set)
        for entry in entries:
            if entry.service is not None:
                wanted[self.services.name].add((("service_key", entry.service.key),))
            for table, key in self._lookups(entry.item):
                wanted[table.name].add(key)
        tables = {t.name: t for t in self.metadata.tables.values()}
        for name, keys in wanted.items():
            self._prefetch(conn, tables[name], sorted(keys))
        self._check_headers_have_lines(
            conn,
            [
                (entry.item.kind.value, entry.item.recordno)
                for entry in entries
                if isinstance(entry.item, SpendHeaderItem)
            ],
        )

    def _check_headers_have_lines(self, conn: _Session, keys: Iterable[tuple[str, str]]) -> None:
        """Which of the batch's headers already have lines: only those need their lines revisited."""
        lines = self.lines
        wanted = set(keys)
        conn.headers_checked.update(wanted)
        for chunk in _chunks(sorted({recordno for _kind, recordno in wanted})):
            # Any kind (see `_by_header`): the kind is checked here.
            for kind, header_recordno in conn.select_in(
                lines, ["kind", "header_recordno"], {}, "header_recordno", chunk, distinct=True
            ):
                key = (kind, str(header_recordno))
                if key in wanted:
                    conn.headers_with_lines.add(key)

    def _by_header(self, recordnos: Sequence[str]) -> sa.ColumnElement[bool]:
        """Lines under these header recordnos, of any kind: callers keep the kind they want.

        With `kind = ?` beside a long `IN`, SQLite prefers the primary key (kind, recordno) to the
        header_recordno index and reads every line of the kind, per query: a batch then cost time
        in proportion to the whole ledger."""
        return self.lines.c.header_recordno.in_(recordnos)

    def _lookups(self, item: Item) -> list[tuple[sa.Table, tuple[tuple[str, Any], ...]]]:
        """The rows (table, primary key) that writing `item` reads by key."""
        found: list[tuple[sa.Table, tuple[tuple[str, Any], ...]]] = []
        vendor_id: str | None = None
        if isinstance(item, SpendLineItem):
            kind = item.kind.value
            found.append((self.lines, (("kind", kind), ("recordno", item.recordno))))
            found.append((self.headers, (("kind", kind), ("recordno", item.header_recordno))))
            vendor_id = item.vendor_id
        elif isinstance(item, SpendHeaderItem):
            found.append((self.headers, (("kind", item.kind.value), ("recordno", item.recordno))))
        elif isinstance(item, VendorItem):
            vendor_id = item.vendor_id
        elif isinstance(item, DepartmentItem) and item.department_id:
            found.append((self.departments, (("department_id", item.department_id),)))
        elif isinstance(item, ReimbursementItem):
            found.append((self.reimbursements, (("recordno", item.recordno),)))
        elif isinstance(item, VendorAccountItem):
            found.append((self.vendor_accounts_table, (("recordno", item.recordno),)))
        elif isinstance(item, InvoiceItem):
            found.append(
                (self.invoices, (("object", item.object.value), ("recordno", item.recordno)))
            )
            vendor_id = item.vendor_id
        if vendor_id:
            found.append((self.vendors, (("vendor_id", vendor_id),)))
        return found

    def _mark(self, conn: _Session, kind: str, keys: Iterable[str | None]) -> None:
        wanted = {key for key in keys if key}
        if not wanted:
            return
        present = set(
            conn.execute(
                sa.select(self.dirty.c.key).where(
                    self.dirty.c.kind == kind, self.dirty.c.key.in_(wanted)
                )
            ).scalars()
        )
        rows = [{"kind": kind, "key": key} for key in sorted(wanted - present)]
        if rows:
            conn.execute(sa.insert(self.dirty), rows)

    def _save_service(self, conn: _Session, service: ServiceInfo) -> None:
        if self._services_this_batch.get(service.key) == service:
            return
        self._services_this_batch[service.key] = service
        values = {
            "name": service.name,
            "category": service.category,
            "provider": service.provider,
            "candidate": service.candidate,
        }
        table = self.services
        current = self._row(conn, table, {"service_key": service.key})
        if current is None:
            self._insert(conn, table, {"service_key": service.key, **values})
        elif any(getattr(current, k) != v for k, v in values.items()):
            self._update(conn, table, {"service_key": service.key}, values)
            self._mark(conn, "service", [service.key])

    def _upsert(
        self, conn: _Session, table: sa.Table, keys: dict[str, Any], values: dict[str, Any]
    ) -> Any:  # noqa: ANN401
        """Replace a row by its key; return the previous version (a `_CachedRow`) or None."""
        previous = self._row(conn, table, keys)
        if previous is None:
            self._insert(conn, table, {**keys, **values})
        else:
            self._update(conn, table, keys, values)
        return previous

    def _write_vendor(
        self,
        conn: _Session,
        item: VendorItem,
        service: ServiceInfo | None,
        dirty: set[str | None],
    ) -> None:
        table = self.vendors
        vendor_id = item.vendor_id
        if not vendor_id:  # a delete that only names RECORDNO
            vendor_id = (
                conn.execute(
                    sa.select(table.c.vendor_id).where(table.c.recordno == item.recordno)
                ).scalar_one_or_none()
                or ""
            )
            if not vendor_id:
                return
        if item.deleted:
            previous = conn.execute(
                sa.select(table).where(table.c.vendor_id == vendor_id)
            ).one_or_none()
            if previous is None:
                return
            conn.execute(
                sa.update(table)
                .where(table.c.vendor_id == vendor_id)
                .values(deleted=True, service_key=None)
            )
            old_key = previous.service_key
            new_key = None
        else:
            previous = self._upsert(
                conn,
                table,
                {"vendor_id": vendor_id},
                {
                    "recordno": item.recordno,
                    "name": item.name,
                    "status": item.status,
                    "website": item.website,
                    "deleted": False,
                    "service_key": service.key if service else None,
                },
            )
            old_key = previous.service_key if previous is not None else None
            new_key = service.key if service else None
            if previous is None or previous.name != item.name or old_key != new_key:
                dirty.update({old_key, new_key})
        if old_key != new_key:
            dirty.update(self._reattribute(conn, self.lines.c.vendor_id == vendor_id))
            dirty.update({old_key, new_key})

    def _write_vendor_account(
        self, conn: _Session, item: VendorAccountItem, changed: set[str]
    ) -> None:
        table = self.vendor_accounts_table
        keys = {"recordno": item.recordno}
        previous = self._row(conn, table, keys)
        old = None
        if previous is not None and not previous.deleted:
            old = (previous.vendor_id, previous.accountno)
        new = None if item.deleted else (item.vendor_id, item.accountno)
        if old == new:
            return
        # A vendor's account set changes when a line brings an account it did not have yet, or
        # takes away the last line on an account.
        new_vendor, new_account = new if new is not None else (None, None)
        if (
            new_vendor
            and new_account
            and not self._has_account(conn, new_vendor, new_account, item.recordno)
        ):
            changed.add(new_vendor)
        if item.deleted:
            if previous is not None:
                self._update(conn, table, keys, {"deleted": True})
        else:
            self._upsert(
                conn,
                table,
                keys,
                {"vendor_id": item.vendor_id, "accountno": item.accountno, "deleted": False},
            )
        old_vendor, old_account = old if old is not None else (None, None)
        if (
            old_vendor
            and old_account
            and not self._has_account(conn, old_vendor, old_account, None)
        ):
            changed.add(old_vendor)

    def _has_account(
        self, conn: _Session, vendor_id: str, accountno: str, except_recordno: str | None
    ) -> bool:
        table = self.vendor_accounts_table
        statement = self._statement(
            ("has account",),
            lambda: (
                sa.select(table.c.recordno)
                .where(
                    table.c.vendor_id == sa.bindparam("vendor"),
                    table.c.accountno == sa.bindparam("account"),
                    table.c.deleted.is_(False),
                    table.c.recordno != sa.bindparam("except"),
                )
                .limit(1)
            ),
        )
        params = {"vendor": vendor_id, "account": accountno, "except": except_recordno or ""}
        return conn.execute(statement, params).first() is not None

    def _accounts(self, conn: Connection | _Session, vendor_id: str) -> set[str]:
        table = self.vendor_accounts_table
        return {
            str(a)
            for a in conn.execute(
                sa.select(table.c.accountno)
                .where(table.c.vendor_id == vendor_id, table.c.deleted.is_(False))
                .distinct()
            ).scalars()
            if a
        }

    def vendor_accounts(self, vendor_id: str) -> list[str]:
        """The GL accounts a vendor's live AP bill lines post to."""
        with self.engine.connect() as conn:
            return sorted(self._accounts(conn, vendor_id))

    def vendor_for_recognition(self, vendor_id: str) -> tuple[str, str | None] | None:
        """(name, website) of a live vendor."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(self.vendors.c.name, self.vendors.c.website).where(
                    self.vendors.c.vendor_id == vendor_id, self.vendors.c.deleted.is_(False)
                )
            ).one_or_none()
        return None if row is None else (row.name, row.website)

    def set_vendor_service(self, vendor_id: str, service: ServiceInfo | None) -> bool:
        """Recognition changed its mind about a vendor: move its lines and invoices. True if changed."""
        with self._tx() as conn:
            current = conn.execute(
                sa.select(self.vendors.c.service_key).where(self.vendors.c.vendor_id == vendor_id)
            ).one_or_none()
            new_key = service.key if service else None
            if current is None:
                return False
            if service is not None:
                # Also when the key stays: two names that shared a key under an earlier scheme
                # left the name of either on it.
                self._save_service(conn, service)
            if current.service_key == new_key:
                return False
            conn.execute(
                sa.update(self.vendors)
                .where(self.vendors.c.vendor_id == vendor_id)
                .values(service_key=new_key)
            )
            dirty = self._reattribute(conn, self.lines.c.vendor_id == vendor_id)
            self._mark(conn, "service", dirty | {current.service_key, new_key})
        return True

    # -- re-recognition (the rules or the catalog changed) ---------------------------------------

    def live_vendors(self) -> list[tuple[str, str, str | None]]:
        with self.engine.connect() as conn:
            return [
                (row.vendor_id, row.name, row.website)
                for row in conn.execute(
                    sa.select(self.vendors.c.vendor_id, self.vendors.c.name, self.vendors.c.website)
                    .where(self.vendors.c.deleted.is_(False))
                    .order_by(self.vendors.c.vendor_id)
                )
            ]

    def card_descriptors(self) -> list[str]:
        headers = self.headers
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(headers.c.descriptor)
                    .where(headers.c.kind == SpendKind.CARD.value, headers.c.deleted.is_(False))
                    .distinct()
                    .order_by(headers.c.descriptor)
                ).scalars()
            )

    def expense_texts(self) -> list[str]:
        lines = self.lines
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(lines.c.description)
                    .where(lines.c.kind == SpendKind.EXPENSE.value, lines.c.deleted.is_(False))
                    .distinct()
                    .order_by(lines.c.description)
                ).scalars()
            )

    def set_descriptor_service(self, descriptor: str, service: ServiceInfo | None) -> bool:
        """Every card transaction with this descriptor now belongs to `service`. True if any moved."""
        headers = self.headers
        new_key = service.key if service else None
        with self._tx() as conn:
            moved = [
                row
                for row in conn.execute(
                    sa.select(headers.c.recordno, headers.c.service_key).where(
                        headers.c.kind == SpendKind.CARD.value, headers.c.descriptor == descriptor
                    )
                )
                if row.service_key != new_key
            ]
            if not moved:
                return False
            if service is not None:
                self._save_service(conn, service)
            dirty: set[str | None] = {new_key}
            for row in moved:
                self._update(
                    conn,
                    headers,
                    {"kind": SpendKind.CARD.value, "recordno": row.recordno},
                    {"service_key": new_key},
                )
                dirty.add(row.service_key)
                dirty.update(self._reattribute_header(conn, SpendKind.CARD.value, row.recordno))
            self._mark(conn, "service", dirty)
        return True

    def set_text_service(self, text: str, service: ServiceInfo | None) -> bool:
        """Every expense line with this memo now belongs to `service`. True if any moved."""
        lines = self.lines
        new_key = service.key if service else None
        where = sa.and_(
            lines.c.kind == SpendKind.EXPENSE.value,
            lines.c.description == text,
            sa.or_(lines.c.own_service_key.is_(None), lines.c.own_service_key != new_key)
            if new_key
            else lines.c.own_service_key.is_not(None),
        )
        with self._tx() as conn:
            if conn.execute(sa.select(lines.c.recordno).where(where).limit(1)).first() is None:
                return False
            if service is not None:
                self._save_service(conn, service)
            selected = conn.execute(sa.select(lines.c.recordno).where(where)).scalars().all()
            conn.execute(sa.update(lines).where(where).values(own_service_key=new_key))
            dirty = self._reattribute(
                conn,
                sa.and_(lines.c.kind == SpendKind.EXPENSE.value, lines.c.recordno.in_(selected)),
            )
            self._mark(conn, "service", dirty | {new_key})
        return True

    def _write_department(
        self,
        conn: _Session,
        item: DepartmentItem,
        dirty_services: set[str | None],
        dirty_departments: set[str | None],
    ) -> None:
        table = self.departments
        department_id = item.department_id or (
            conn.execute(
                sa.select(table.c.department_id).where(table.c.recordno == item.recordno)
            ).scalar_one_or_none()
            or ""
        )
        if not department_id:
            return
        if item.deleted:
            conn.execute(
                sa.update(table).where(table.c.department_id == department_id).values(deleted=True)
            )
        else:
            previous = self._upsert(
                conn,
                table,
                {"department_id": department_id},
                {
                    "recordno": item.recordno,
                    "title": item.title,
                    "parent_id": item.parent_id,
                    "deleted": False,
                },
            )
            if previous is not None and previous.title == item.title and not previous.deleted:
                return
            dirty_departments.add(department_id)
        # Services spending in this department may now gain or lose their link to it.
        dirty_services.update(
            conn.execute(
                sa.select(self.lines.c.service_key)
                .where(self.lines.c.department_id == department_id)
                .distinct()
            ).scalars()
        )

    def _write_header(
        self,
        conn: _Session,
        item: SpendHeaderItem,
        service: ServiceInfo | None,
        dirty: set[str | None],
    ) -> None:
        table = self.headers
        keys = {"kind": item.kind.value, "recordno": item.recordno}
        if item.deleted:
            previous = self._row(conn, table, keys)
            if previous is None:
                self._insert(
                    conn,
                    table,
                    {**keys, "descriptor": "", "state": "", "deleted": True, "service_key": None},
                )
            else:
                self._update(conn, table, keys, {"deleted": True})
        else:
            self._upsert(
                conn,
                table,
                keys,
                {
                    "descriptor": item.descriptor,
                    "state": item.state,
                    "deleted": False,
                    "service_key": service.key if service else None,
                },
            )
        # Header changes (state, descriptor, deletion) change every line under it: revisited
        # for the whole batch at its end (`_revisit_headers`), with the batch's final rows.
        conn.headers_to_revisit.add((item.kind.value, item.recordno))

    def _write_line(
        self,
        conn: _Session,
        item: SpendLineItem,
        service: ServiceInfo | None,
        dirty: set[str | None],
    ) -> None:
        table = self.lines
        keys = {"kind": item.kind.value, "recordno": item.recordno}
        previous = self._row(conn, table, keys)
        if previous is not None:
            dirty.add(previous.service_key)
        if item.deleted:
            if previous is not None:
                self._update(conn, table, keys, {"deleted": True})
            return
        own = service.key if service else None
        resolved = self._resolve(conn, item.kind.value, item.header_recordno, item.vendor_id, own)
        values = self._line_values(item, own, resolved)
        if previous is None:
            self._insert(conn, table, {**keys, **values})
        else:
            self._update(conn, table, keys, values)
        conn.headers_with_lines.add((item.kind.value, item.header_recordno))
        dirty.add(resolved)

    def _line_values(
        self, item: SpendLineItem, own: str | None, resolved: str | None
    ) -> dict[str, Any]:
        """A live line's columns besides its key, as the bulk and the general path both write them."""
        return {
            "header_recordno": item.header_recordno,
            "department_id": item.department_id,
            "vendor_id": item.vendor_id,
            "description": item.description,
            "amount": _money(item.amount),
            "currency": item.currency,
            "base_amount": _money(item.base_amount),
            "base_currency": item.base_currency,
            "month": item.month,
            "deleted": False,
            "own_service_key": own,
            "service_key": resolved,
            "seen_run": self.run_marker,
        }

    def _resolve(
        self,
        conn: _Session,
        kind: str,
        header_recordno: str,
        vendor_id: str | None,
        own_service_key: str | None,
    ) -> str | None:
        """Attribution order: the line's vendor if it is a service, else the card's merchant
        descriptor (card lines) or the line's own text (expense lines)."""
        if vendor_id:
            vendor = self._row(conn, self.vendors, {"vendor_id": vendor_id})
            if vendor is not None and not vendor.deleted and vendor.service_key:
                return str(vendor.service_key)
        if kind == SpendKind.CARD.value:
            header = self._row(conn, self.headers, {"kind": kind, "recordno": header_recordno})
            return str(header.service_key) if header is not None and header.service_key else None
        return own_service_key

    def _reattribute(
        self, conn: _Session, where: sa.ColumnElement[bool], kind: str | None = None
    ) -> set[str | None]:
        """Recompute the attribution of the selected lines (of `kind`, when given: see
        `_by_header`); return old and new service keys."""
        touched: set[str | None] = set()
        rows = [
            row
            for row in conn.execute(
                sa.select(
                    self.lines.c.kind,
                    self.lines.c.recordno,
                    self.lines.c.header_recordno,
                    self.lines.c.vendor_id,
                    self.lines.c.own_service_key,
                    self.lines.c.service_key,
                ).where(where)
            )
            if kind is None or row.kind == kind
        ]
        # `_resolve` reads the lines' vendors and card headers: load them in bulk first.
        self._prefetch(
            conn, self.vendors, sorted({(("vendor_id", r.vendor_id),) for r in rows if r.vendor_id})
        )
        self._prefetch(
            conn,
            self.headers,
            sorted(
                {
                    (("kind", r.kind), ("recordno", r.header_recordno))
                    for r in rows
                    if r.kind == SpendKind.CARD.value
                }
            ),
        )
        changes: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for row in rows:
            resolved = self._resolve(
                conn, row.kind, row.header_recordno, row.vendor_id, row.own_service_key
            )
            touched.update({row.service_key, resolved})
            if resolved != row.service_key:
                changes.append(
                    ({"kind": row.kind, "recordno": row.recordno}, {"service_key": resolved})
                )
        self._update_many(conn, self.lines, changes)
        return touched

    def _revisit_headers(self, conn: _Session) -> set[str | None]:
        """Re-attribute the lines under the headers this batch wrote, a few queries for all."""
        wanted: dict[str, list[str]] = defaultdict(list)
        for kind, recordno in sorted(conn.headers_to_revisit):
            if (kind, recordno) not in conn.headers_checked or (
                kind,
                recordno,
            ) in conn.headers_with_lines:
                wanted[kind].append(recordno)
        conn.headers_to_revisit.clear()
        touched: set[str | None] = set()
        for kind, recordnos in wanted.items():
            for start in range(0, len(recordnos), _IN_CHUNK):
                chunk = recordnos[start : start + _IN_CHUNK]
                touched.update(self._reattribute(conn, self._by_header(chunk), kind))
        return touched

    def _reattribute_header(self, conn: _Session, kind: str, recordno: str) -> set[str | None]:
        lines = self.lines
        statement = self._statement(
            ("lines of header",),
            lambda: sa.select(lines.c.recordno).where(
                lines.c.kind == sa.bindparam("kind"),
                lines.c.header_recordno == sa.bindparam("header"),
            ),
        )
        if (kind, recordno) in conn.headers_checked:
            if (kind, recordno) not in conn.headers_with_lines:
                return set()  # the usual case: a header written before (or without) its lines
        elif conn.execute(statement, {"kind": kind, "header": recordno}).first() is None:
            return set()  # the usual case: a header written before (or without) its lines
        return self._reattribute(
            conn, sa.and_(lines.c.kind == kind, lines.c.header_recordno == recordno)
        )

    def _write_reimbursement(
        self, conn: _Session, item: ReimbursementItem, dirty: set[str | None]
    ) -> None:
        table = self.reimbursements
        keys = {"recordno": item.recordno}
        previous = self._row(conn, table, keys)
        reports = {previous.report_recordno if previous is not None else None}
        if item.deleted:
            if previous is not None:
                self._update(conn, table, keys, {"deleted": True})
        else:
            self._upsert(
                conn,
                table,
                keys,
                {
                    "report_recordno": item.report_recordno,
                    "state": item.state,
                    "amount": _money(item.amount),
                    "currency": item.currency,
                    "deleted": False,
                },
            )
            reports.add(item.report_recordno)
        # The services of these reports' lines are marked once per batch (`_mark_paid_reports`).
        conn.reports_paid_or_unpaid.update(report for report in reports if report)

    def _mark_paid_reports(self, conn: _Session, dirty: set[str | None]) -> None:
        """Reports a reimbursement started or stopped paying: their lines' services change."""
        wanted = sorted(conn.reports_paid_or_unpaid)
        conn.reports_paid_or_unpaid.clear()
        for start in range(0, len(wanted), _IN_CHUNK):
            dirty.update(
                row.service_key
                for row in conn.execute(
                    sa.select(self.lines.c.kind, self.lines.c.service_key)
                    .where(self._by_header(wanted[start : start + _IN_CHUNK]))
                    .distinct()
                )
                if row.kind == SpendKind.EXPENSE.value
            )

    def _write_invoice(self, conn: _Session, item: InvoiceItem, dirty: set[str | None]) -> None:
        table = self.invoices
        keys = {"object": item.object.value, "recordno": item.recordno}
        previous = self._row(conn, table, keys)
        vendors = {previous.vendor_id if previous is not None else None}
        if item.deleted:
            if previous is not None:
                self._update(conn, table, keys, {"deleted": True})
        else:
            self._upsert(
                conn,
                table,
                {"object": item.object.value, "recordno": item.recordno},
                {
                    "vendor_id": item.vendor_id,
                    "number": item.number,
                    "date": item.date,
                    "amount": _money(item.amount),
                    "currency": item.currency,
                    "status": item.status,
                    "deleted": False,
                },
            )
            vendors.add(item.vendor_id)
        for vendor_id in vendors:
            if vendor_id:
                vendor = self._row(conn, self.vendors, {"vendor_id": vendor_id})
                if vendor is not None:
                    dirty.add(vendor.service_key)

    # -- reads ---------------------------------------------------------------------------------------

    def dirty_keys(self, kind: str) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(
                conn.execute(sa.select(self.dirty.c.key).where(self.dirty.c.kind == kind)).scalars()
            )

    def mark_all_services_dirty(self) -> None:
        with self._tx() as conn:
            self._mark(
                conn, "service", conn.execute(sa.select(self.services.c.service_key)).scalars()
            )

    def vendor_names(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {
                row.vendor_id: row.name
                for row in conn.execute(sa.select(self.vendors.c.vendor_id, self.vendors.c.name))
            }

    def department(self, department_id: str) -> tuple[str, bool] | None:
        """(title, deleted) of a known department."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(self.departments.c.title, self.departments.c.deleted).where(
                    self.departments.c.department_id == department_id
                )
            ).one_or_none()
        return None if row is None else (row.title, bool(row.deleted))

    def service_snapshot(
        self, service_key: str, window: CostWindow, reporting_currency: str
    ) -> ServiceSnapshot | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(self.services).where(self.services.c.service_key == service_key)
            ).one_or_none()
            if row is None:
                return None
            service = ServiceInfo(
                row.service_key, row.name, row.category, row.provider, row.candidate
            )
            vendor_ids = sorted(
                conn.execute(
                    sa.select(self.vendors.c.vendor_id).where(
                        self.vendors.c.service_key == service_key,
                        self.vendors.c.deleted.is_(False),
                    )
                ).scalars()
            )
            spend: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
            cost_total = Decimal(0)
            unconvertible: dict[str, Decimal] = defaultdict(Decimal)
            start, end = window.start_month, window.end_month
            for group in self._counting_groups(conn, service_key):
                amount = _exact_sum(group.amounts)
                spend[(group.department_id or "", group.month, group.currency)] += amount
                if not start <= group.month <= end:
                    continue
                if group.currency == reporting_currency:
                    cost_total += amount
                elif group.base_currency == reporting_currency:
                    cost_total += _exact_sum(group.base_amounts)
                else:
                    unconvertible[group.currency] += amount
            known = set(
                conn.execute(
                    sa.select(self.departments.c.department_id).where(
                        self.departments.c.deleted.is_(False)
                    )
                ).scalars()
            )
            spending: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
            for (department_id, _month, currency), amount in spend.items():
                spending[(department_id, currency)] += amount
            departments = sorted(
                {d for (d, _c), total in spending.items() if d in known and total != 0}
            )
            invoices = [
                InvoiceRow(
                    inv.object,
                    inv.recordno,
                    inv.vendor_id,
                    inv.number,
                    inv.date,
                    Decimal(inv.amount),
                    inv.currency,
                    inv.status,
                )
                for inv in conn.execute(
                    sa.select(self.invoices)
                    .where(
                        self.invoices.c.deleted.is_(False),
                        self.invoices.c.vendor_id.in_(vendor_ids),
                    )
                    .order_by(self.invoices.c.object, self.invoices.c.recordno)
                )
            ]
        return ServiceSnapshot(
            service=service,
            vendor_ids=vendor_ids,
            spend=dict(spend),
            departments=departments,
            cost_total=cost_total,
            cost_currency=reporting_currency,
            window=window,
            unconvertible=dict(unconvertible),
            invoices=invoices,
        )

    @property
    def _line_under_header(self) -> sa.ColumnElement[bool]:
        """Join condition of a spend line and its header (lines name their header by kind + key)."""
        return sa.and_(
            self.headers.c.kind == self.lines.c.kind,
            self.headers.c.recordno == self.lines.c.header_recordno,
        )

    def _counting_groups(self, conn: Connection, service_key: str) -> list[sa.Row[Any]]:
        """Spend of the service per (department, month, currency, base currency): lines that are
        alive, under a live header that made them spend.

        The database groups the lines and joins each group's exact decimal texts (`amounts`,
        `base_amounts`, comma-separated); Python adds them as Decimal (`_exact_sum`). Neither
        SQLite nor SQLAlchemy's SUM over text is exact, and Python then handles a row per group
        instead of one per line. Expense lines keep their report in the group key, because a
        report counts only once reimbursed."""
        lines, headers = self.lines, self.headers
        report = sa.case(
            (lines.c.kind == SpendKind.EXPENSE.value, lines.c.header_recordno), else_=""
        ).label("report")
        if self.engine.dialect.name == "postgresql":
            amounts = sa.func.string_agg(lines.c.amount, ",")
            base_amounts = sa.func.string_agg(lines.c.base_amount, ",")
        else:
            amounts = sa.func.group_concat(lines.c.amount, ",")
            base_amounts = sa.func.group_concat(lines.c.base_amount, ",")
        keys = [
            lines.c.kind,
            report,
            headers.c.state,
            lines.c.department_id,
            lines.c.month,
            lines.c.currency,
            lines.c.base_currency,
        ]
        rows = conn.execute(
            sa.select(*keys, amounts.label("amounts"), base_amounts.label("base_amounts"))
            .join(headers, self._line_under_header)
            .where(
                lines.c.service_key == service_key,
                lines.c.deleted.is_(False),
                headers.c.deleted.is_(False),
            )
            .group_by(*keys)
        ).all()
        reimbursed = self._reimbursed_reports(
            conn, {r.report for r in rows if r.kind == SpendKind.EXPENSE.value}
        )
        counting = []
        for row in rows:
            state = (row.state or "").strip().lower()
            if row.kind == SpendKind.CARD.value:
                if state in NON_SPEND_CARD_STATES:
                    continue
            elif state not in PAID_REPORT_STATES and row.report not in reimbursed:
                continue
            counting.append(row)
        return counting

    def _reimbursed_reports(self, conn: Connection, reports: set[str]) -> set[str]:
        if not reports:
            return set()
        table = self.reimbursements
        found = set()
        for row in conn.execute(
            sa.select(table.c.report_recordno, table.c.state).where(
                table.c.report_recordno.in_(sorted(reports)), table.c.deleted.is_(False)
            )
        ):
            if (row.state or "").strip().lower() not in NON_PAYING_REIMBURSEMENT_STATES:
                found.add(row.report_recordno)
        return found

    def pending_summary(self) -> dict[str, Any]:
        """What the ledger holds but cannot count yet (lines waiting for a header or a reimbursement,
        unattributed lines): for the run summary, so nothing is dropped silently."""
        lines, headers = self.lines, self.headers
        with self.engine.connect() as conn:
            orphan = conn.execute(
                sa.select(sa.func.count())
                .select_from(
                    lines.outerjoin(
                        headers,
                        self._line_under_header,
                    )
                )
                .where(lines.c.deleted.is_(False), headers.c.recordno.is_(None))
            ).scalar_one()
            unattributed: dict[str, Decimal] = defaultdict(Decimal)
            count = 0
            for row in conn.execute(
                sa.select(lines.c.amount, lines.c.currency).where(
                    lines.c.deleted.is_(False), lines.c.service_key.is_(None)
                )
            ):
                unattributed[row.currency] += Decimal(row.amount)
                count += 1
            invoices, vendors = self.invoices, self.vendors
            not_services = conn.execute(
                sa.select(sa.func.count())
                .select_from(
                    invoices.outerjoin(vendors, vendors.c.vendor_id == invoices.c.vendor_id)
                )
                .where(
                    invoices.c.deleted.is_(False),
                    sa.or_(vendors.c.vendor_id.is_(None), vendors.c.service_key.is_(None)),
                )
            ).scalar_one()
        return {
            "invoices_without_service": int(not_services),
            "lines_waiting_for_header": int(orphan),
            "unattributed_lines": count,
            "unattributed_by_currency": {
                k: format(v, "f") for k, v in sorted(unattributed.items())
            },
        }

    def unattributed_this_run(self) -> Iterator[tuple[str, Decimal, str]]:
        """(descriptor or memo, amount, currency) of the lines this run wrote that no service
        claims, as `unattributed` gives them; streamed, so memory does not grow with the run."""
        lines, headers = self.lines, self.headers
        with self.engine.connect() as conn:
            rows = conn.execution_options(stream_results=True, yield_per=2000).execute(
                sa.select(
                    lines.c.kind,
                    lines.c.description,
                    lines.c.amount,
                    lines.c.currency,
                    headers.c.descriptor,
                )
                .join(headers, self._line_under_header)
                .where(
                    lines.c.seen_run == self.run_marker,
                    lines.c.deleted.is_(False),
                    headers.c.deleted.is_(False),
                    lines.c.service_key.is_(None),
                )
                .order_by(lines.c.kind, lines.c.recordno)
            )
            for row in rows:
                text = row.descriptor if row.kind == SpendKind.CARD.value else row.description
                yield text or row.description or "(no text)", Decimal(row.amount), row.currency

    def unattributed(self, keys: Iterable[tuple[str, str]]) -> list[tuple[str, Decimal, str]]:
        """(descriptor or memo, amount, currency) of the given lines that no service claims.

        Lines under a deleted header, or not yet under any header, are left out: they are not spend
        (the summary counts lines waiting for a header separately)."""
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, recordno in keys:
            by_kind[kind].append(recordno)
        lines, headers = self.lines, self.headers
        found: list[tuple[str, Decimal, str]] = []
        with self.engine.connect() as conn:
            for kind, recordnos in by_kind.items():
                for start in range(0, len(recordnos), 500):
                    chunk = recordnos[start : start + 500]
                    rows = conn.execute(
                        sa.select(
                            lines.c.description,
                            lines.c.amount,
                            lines.c.currency,
                            headers.c.descriptor,
                        )
                        .join(
                            headers,
                            self._line_under_header,
                        )
                        .where(
                            lines.c.kind == kind,
                            lines.c.recordno.in_(chunk),
                            lines.c.deleted.is_(False),
                            headers.c.deleted.is_(False),
                            lines.c.service_key.is_(None),
                        )
                    )
                    for row in rows:
                        text = row.descriptor if kind == SpendKind.CARD.value else row.description
                        found.append(
                            (
                                text or row.description or "(no text)",
                                Decimal(row.amount),
                                row.currency,
                            )
                        )
        return found

    # -- publication bookkeeping ------------------------------------------------------------------

    def published(self, owner: str) -> dict[str, PublishedItem]:
        with self.engine.connect() as conn:
            return {
                row.item_key: PublishedItem(
                    row.owner, row.item_key, row.digest, json.loads(row.payload)
                )
                for row in conn.execute(
                    sa.select(self.published_items).where(self.published_items.c.owner == owner)
                )
            }

    def published_with_keys(self, item_keys: Iterable[str]) -> list[PublishedItem]:
        """The published items, of any owner, under these item keys."""
        table = self.published_items
        found: list[PublishedItem] = []
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(item_keys))):
                found.extend(
                    PublishedItem(row.owner, row.item_key, row.digest, json.loads(row.payload))
                    for row in conn.execute(sa.select(table).where(table.c.item_key.in_(chunk)))
                )
        return found

    def count_published(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(self.published_items)
                ).scalar_one()
            )

    def begin_publication(self, sending: Sequence[PublishedItem]) -> None:
        """Before items go to LeanIX, remember them as unconfirmed: when LeanIX takes them but the
        publication fails before `confirm`, the next one still replaces or removes them."""
        self._replace_published(
            [PublishedItem(i.owner, i.item_key, UNCONFIRMED, i.payload) for i in sending], []
        )

    def confirm(
        self,
        *,
        sent: Sequence[PublishedItem],
        removed: Sequence[tuple[str, str]],
        cleared: Sequence[tuple[str, str]],
    ) -> None:
        """LeanIX confirmed: remember what it now holds and clear the dirty marks, atomically."""
        self._replace_published(sent, removed, cleared)

    def _replace_published(
        self,
        sent: Sequence[PublishedItem],
        removed: Sequence[tuple[str, str]],
        cleared: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Replace the published items `sent`, forget `removed` and clear dirty marks, atomically."""
        seen: dict[tuple[str, str], PublishedItem] = {}
        for item in sent:
            twin = seen.setdefault((item.owner, item.item_key), item)
            if twin is not item:
                raise LedgerRefusedError(
                    f"{item.owner} publishes item {item.item_key} twice: "
                    f"{_payload_text(twin.payload)} and {_payload_text(item.payload)}"
                )
        table = self.published_items
        with self._tx() as conn:
            gone = [
                {"b_owner": owner, "b_key": item_key}
                for owner, item_key in [*removed, *((i.owner, i.item_key) for i in sent)]
            ]
            if gone:
                conn.execute(
                    sa.delete(table).where(
                        table.c.owner == sa.bindparam("b_owner"),
                        table.c.item_key == sa.bindparam("b_key"),
                    ),
                    gone,
                )
            if sent:
                conn.execute(
                    sa.insert(table),
                    [
                        {
                            "owner": item.owner,
                            "item_key": item.item_key,
                            "digest": item.digest,
                            "payload": json.dumps(item.payload, sort_keys=True, default=str),
                        }
                        for item in sent
                    ],
                )
            if cleared:
                conn.execute(
                    sa.delete(self.dirty).where(
                        self.dirty.c.kind == sa.bindparam("b_kind"),
                        self.dirty.c.key == sa.bindparam("b_key"),
                    ),
                    [{"b_kind": kind, "b_key": key} for kind, key in cleared],
                )

    # -- upgrades ------------------------------------------------------------------------------------

    def upgrade(self, previous_items: Callable[[str], list[dict[str, Any]]]) -> None:
        """Bring a ledger of schema 1 or 2 to this version; a no-op on a fresh or current ledger.

        Every owner LeanIX holds items of is marked dirty: the next publication sends them under the
        new IDs, and the usual diff with `published` removes the items under old IDs (a fact sheet
        whose ID changed is archived, `ldif.removal_item`). Service keys may have moved too (schema
        3): the recognition fingerprint is set to `RECOGNITION_KEYS_CHANGED`, so the next run
        recognises the ledger again and retires the keys nothing is left on.

        From schema 1 (external IDs of raw parts), an owner still dirty may have had items sent that
        LeanIX took but never confirmed (a run that failed, e.g. on two items with one ID):
        `previous_items(owner)` are the items schema 1 sent for it (`owner` as in `published`),
        recorded as unconfirmed so that they too are replaced or removed. Schema 2 recorded such
        items itself (`begin_publication`)."""
        version = self.get_meta("schema_version")
        if version not in ("1", "2"):
            return
        table = self.published_items
        with self.engine.connect() as conn:
            dirty = [f"{r.kind}:{r.key}" for r in conn.execute(sa.select(self.dirty))]
            held = {(r.owner, r.item_key) for r in conn.execute(sa.select(table))}
        if version != "1":
            dirty = []
        unconfirmed: dict[tuple[str, str], dict[str, Any]] = {}
        for owner in dirty:
            for payload in previous_items(owner):
                key = (owner, f"{payload['type']}|{payload['id']}")
                if key not in held:
                    unconfirmed.setdefault(key, payload)
        with self._tx() as conn:
            # What LeanIX confirmed of a dirty owner may since have been overwritten by a send it
            # never confirmed: send it again.
            for chunk in _chunks(dirty):
                conn.execute(
                    sa.update(table).where(table.c.owner.in_(chunk)).values(digest=UNCONFIRMED)
                )
            if unconfirmed:
                conn.execute(
                    sa.insert(table),
                    [
                        {
                            "owner": owner,
                            "item_key": item_key,
                            "digest": UNCONFIRMED,
                            "payload": json.dumps(payload, sort_keys=True, default=str),
                        }
                        for (owner, item_key), payload in unconfirmed.items()
                    ],
                )
            owners = {owner for owner, _key in held}
            for kind in ("service", "department"):
                self._mark(
                    conn,
                    kind,
                    [o.removeprefix(f"{kind}:") for o in owners if o.startswith(f"{kind}:")],
                )
            self._set_meta(conn, "recognition", RECOGNITION_KEYS_CHANGED)
            self._set_meta(conn, "schema_version", SCHEMA_VERSION)

    def retire_services(self, moved: Callable[[str, str], bool]) -> list[str]:
        """Forget the services whose key moved (`moved(key, name)`) and on which nothing live is left,
        and mark them dirty: the next publication removes their items and archives their fact sheets
        (`Publisher`), as for any ID that changed. Returns the keys retired."""
        vendors, headers, lines = self.vendors, self.headers, self.lines
        in_use = sa.union(
            sa.select(vendors.c.service_key).where(vendors.c.deleted.is_(False)),
            sa.select(headers.c.service_key).where(headers.c.deleted.is_(False)),
            sa.select(lines.c.service_key).where(lines.c.deleted.is_(False)),
            sa.select(lines.c.own_service_key).where(lines.c.deleted.is_(False)),
        )
        with self._tx() as conn:
            used = set(conn.execute(in_use).scalars())
            retired = [
                row.service_key
                for row in conn.execute(
                    sa.select(self.services.c.service_key, self.services.c.name)
                )
                if row.service_key not in used and moved(row.service_key, row.name)
            ]
            for chunk in _chunks(retired):
                conn.execute(sa.delete(self.services).where(self.services.c.service_key.in_(chunk)))
            self._mark(conn, "service", retired)
        for key in retired:
            self._services_this_batch.pop(key, None)
        return retired


_IN_CHUNK = 500  # keys per `IN (...)`: well below SQLite's and PostgreSQL's parameter limits

_STREAMS: dict[tuple[type[Any], str], str] = {
    (VendorItem, ""): VENDOR_STREAM,
    (DepartmentItem, ""): DEPARTMENT_STREAM,
    (SpendHeaderItem, SpendKind.CARD.value): CARD_HEADER_STREAM,
    (SpendHeaderItem, SpendKind.EXPENSE.value): EXPENSE_HEADER_STREAM,
    (SpendLineItem, SpendKind.CARD.value): CARD_LINE_STREAM,
    (SpendLineItem, SpendKind.EXPENSE.value): EXPENSE_LINE_STREAM,
    (ReimbursementItem, ""): REIMBURSEMENT_STREAM,
    (VendorAccountItem, ""): BILL_LINE_STREAM,
}
_INVOICE_STREAMS = {
    InvoiceObject.BILL: "ap_bill",
    InvoiceObject.PAYMENT: "ap_payment",
    InvoiceObject.PURCHASE_ORDER: "po_document",
}


def record_name(item: Item) -> str:
    """`stream 'vendor' record VENDORID=ZQX`: the record an item came from, as errors name it."""
    if isinstance(item, InvoiceItem):
        stream = _INVOICE_STREAMS[item.object]
    else:
        kind = item.kind.value if isinstance(item, SpendHeaderItem | SpendLineItem) else ""
        stream = _STREAMS[(type(item), kind)]
    if isinstance(item, VendorItem) and item.vendor_id:
        key = f"VENDORID={item.vendor_id}"
    elif isinstance(item, DepartmentItem) and item.department_id:
        key = f"DEPARTMENTID={item.department_id}"
    else:
        key = f"RECORDNO={item.recordno}"
    return f"stream {stream!r} record {key}"


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


def _payload_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload.get("data", payload), sort_keys=True, default=str)[:200]


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


class _CachedRow(dict[str, Any]):
    """A row as a dict whose columns read as attributes, like `sa.Row`."""

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class _Session:
    """One write transaction: rows read by primary key are cached, inserts are buffered and sent
    as one executemany per table.

    Every other statement goes through `execute`, which first sends the buffered inserts (so any
    query sees them) and forgets the cached rows of a table it writes to. Per-record SELECT and
    INSERT round trips through SQLAlchemy were most of the target's ledger time."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # table name -> primary key as ((column, value), ...) -> row, or None for "no such row"
        self._cache: dict[str, dict[tuple[tuple[str, Any], ...], _CachedRow | None]] = {}
        self._pending: dict[str, tuple[sa.Table, list[dict[str, Any]]]] = {}
        # (kind, header recordno) of headers known to have lines, for the headers in `checked`.
        self.headers_with_lines: set[tuple[str, str]] = set()
        self.headers_checked: set[tuple[str, str]] = set()
        self.headers_to_revisit: set[tuple[str, str]] = set()
        # Expense reports whose reimbursements changed in this batch.
        self.reports_paid_or_unpaid: set[str] = set()

    def execute(self, statement: Any, parameters: Any = None) -> sa.CursorResult[Any]:  # noqa: ANN401
        self.flush()
        if isinstance(statement, sa.Insert | sa.Update | sa.Delete):
            self._forget(getattr(statement.table, "name", ""))
        if parameters is None:
            return self.conn.execute(statement)
        return self.conn.execute(statement, parameters)

    def select_in(
        self,
        table: sa.Table,
        columns: Sequence[str],
        equal: dict[str, str],
        column: str,
        values: Sequence[str],
        *,
        distinct: bool = False,
    ) -> list[tuple[Any, ...]]:
        """`SELECT columns FROM table WHERE equal AND column IN values` on text columns, as plain
        SQL to the driver: SQLAlchemy's per-execution expansion of a long `IN` cost more than the
        query. Drivers with other parameter styles take the SQLAlchemy path."""
        self.flush()
        dialect = self.conn.dialect
        mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
        if mark is None:
            c = table.c
            query = sa.select(*[c[name] for name in columns]).where(
                *[c[name] == value for name, value in equal.items()], c[column].in_(values)
            )
            return [
                tuple(row) for row in self.conn.execute(query.distinct() if distinct else query)
            ]
        quote = dialect.identifier_preparer.quote
        conditions = [f"{quote(name)} = {mark}" for name in equal]
        conditions.append(f"{quote(column)} IN ({', '.join([mark] * len(values))})")
        selected = ("DISTINCT " if distinct else "") + ", ".join(map(quote, columns))
        source = dialect.identifier_preparer.format_table(table)
        # Names are quoted by the dialect; every value is a bound parameter.
        sql = f"SELECT {selected} FROM {source} WHERE {' AND '.join(conditions)}"  # noqa: S608
        parameters = (*equal.values(), *values)
        return [tuple(row) for row in self.conn.exec_driver_sql(sql, parameters)]

    def insert(self, table: sa.Table, row: dict[str, Any]) -> None:
        key = tuple((column.name, row[column.name]) for column in table.primary_key.columns)
        self.rows(table.name)[key] = _CachedRow(row)
        self._pending.setdefault(table.name, (table, []))[1].append(row)

    def update(
        self,
        table: sa.Table,
        changes: Sequence[tuple[dict[str, Any], dict[str, Any]]],
        statement: Any,  # noqa: ANN401
    ) -> None:
        self.flush()
        parameters = [
            {**{f"k_{k}": v for k, v in keys.items()}, **{f"v_{c}": v for c, v in values.items()}}
            for keys, values in changes
        ]
        self.conn.execute(statement, parameters[0] if len(parameters) == 1 else parameters)
        cache = self.rows(table.name)
        for keys, values in changes:
            key = tuple(keys.items())
            cached = cache.get(key)
            if cached is not None:
                # A new object: callers keep the previous version to compare against.
                cache[key] = _CachedRow({**cached, **values})

    def flush(self) -> None:
        pending, self._pending = self._pending, {}
        for table, rows in pending.values():
            by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
            for row in rows:
                by_columns[tuple(row)].append(row)
            for columns, same in by_columns.items():
                self.insert_many(table, same, columns)

    def insert_many(
        self, table: sa.Table, rows: list[dict[str, Any]], columns: Sequence[str] | None = None
    ) -> None:
        """One executemany straight to the driver: SQLAlchemy's per-row parameter processing cost
        more than SQLite's insert itself. Named-parameter drivers (psycopg2) take the dicts."""
        if not rows:
            return
        dialect = self.conn.dialect
        columns = list(rows[0]) if columns is None else list(columns)
        compiled = table.insert().compile(dialect=dialect, column_keys=columns)
        if not compiled.positional or compiled.positiontup is None:
            self.conn.execute(table.insert(), rows)
            return
        order = list(compiled.positiontup)
        processors = [
            (index, process)
            for index, name in enumerate(order)
            if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
        ]
        parameters = []
        for row in rows:
            values = [row[name] for name in order]
            for index, process in processors:
                values[index] = process(values[index])
            parameters.append(tuple(values))
        self.conn.exec_driver_sql(str(compiled), parameters)

    def rows(self, table_name: str) -> dict[tuple[tuple[str, Any], ...], _CachedRow | None]:
        return self._cache.setdefault(table_name, {})

    def _forget(self, table_name: str) -> None:
        self._cache.pop(table_name, None)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:  # noqa: ANN401 - DB-API objects
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()

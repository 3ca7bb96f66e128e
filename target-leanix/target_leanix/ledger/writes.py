"""Batch writes: one transaction per batch, bulk paths, prefetching, naming a refused record."""

from __future__ import annotations

import typing as t
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from target_leanix.ledger.cache import WriteSession
from target_leanix.ledger.model import (
    Entry,
    LedgerRefusedError,
    TrialDone,
    WriteStats,
    chunks,
    record_name,
)
from target_leanix.ledger.owners import OwnersMixin
from target_leanix.ledger.records import RecordWritesMixin
from target_leanix.mapping import (
    DepartmentItem,
    EmployeeItem,
    InvoiceItem,
    Item,
    RateEntryItem,
    RateTableItem,
    RecurringBillItem,
    ReimbursementItem,
    SpendHeaderItem,
    SpendKind,
    SpendLineItem,
    VendorAccountItem,
    VendorItem,
)

# Line kinds the bulk path writes: their attribution needs no header vendor, nor vendor accounts.
_BULK_KINDS = frozenset({SpendKind.CARD, SpendKind.EXPENSE, SpendKind.JOURNAL})


class WritesMixin(RecordWritesMixin, OwnersMixin):
    """A batch of entries in one transaction, with bulk paths for records the ledger has never seen."""

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
        except TrialDone:
            return False
        return False

    def _write(self, entries: Sequence[Entry], *, trial: bool = False) -> WriteStats:
        stats = WriteStats()
        self._services_this_batch = {}
        with self._tx() as conn:
            dirty_services: set[str | None] = set()
            dirty_departments: set[str | None] = set()
            rates_changed = False
            fresh = self._write_fresh_lines(
                conn, entries, stats, dirty_services
            ) or self._write_fresh_headers(conn, entries, stats)
            if not fresh:
                self._prefetch_batch(conn, entries)
            for entry in () if fresh else entries:
                changed = self._write_entry(conn, entry, stats, dirty_services, dirty_departments)
                rates_changed = changed or rates_changed
            stats.vendors_to_recognize.update(conn.vendors_to_recognize)
            if rates_changed:
                # Any service may have spend the changed rates convert.
                self._rate_entries_read = None
                dirty_services.update(
                    conn.execute(sa.select(self.services.c.service_key)).scalars()
                )
            dirty_services.update(self._revisit_headers(conn))
            self._mark_paid_reports(conn, dirty_services)
            self._mark(conn, "service", dirty_services)
            self._mark(conn, "department", dirty_departments)
            if trial:
                conn.flush()
                raise TrialDone
        return stats

    def _write_entry(
        self,
        conn: WriteSession,
        entry: Entry,
        stats: WriteStats,
        dirty_services: set[str | None],
        dirty_departments: set[str | None],
    ) -> bool:
        """Write one record on the general path; True when it changed an exchange rate."""
        item = entry.item
        if entry.service is not None:
            self._save_service(conn, entry.service)
        name = type(item).__name__
        (stats.deleted if item.deleted else stats.written)[name] += 1
        if item.deleted and not self._holds(conn, item):
            stats.deleted_unknown[name] += 1
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
        elif isinstance(item, RateTableItem | RateEntryItem):
            return self._write_rate(conn, item)
        elif isinstance(item, RecurringBillItem):
            self._write_recurring_bill(conn, item, dirty_services)
        elif isinstance(item, EmployeeItem):
            self._write_employee(conn, item, dirty_services)
        else:
            self._write_invoice(conn, item, dirty_services)
        return False

    def _holds(self, conn: WriteSession, item: Item) -> bool:
        """True when the ledger holds `item`'s record alive (read before a delete is written)."""
        table: sa.Table
        if isinstance(item, VendorItem | DepartmentItem):
            # A delete may name only RECORDNO (records.py looks the ID up the same way).
            table = self.vendors if isinstance(item, VendorItem) else self.departments
            named = (
                table.c.vendor_id == item.vendor_id
                if isinstance(item, VendorItem)
                else table.c.department_id == item.department_id
            )
            found = conn.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(sa.or_(named, table.c.recordno == item.recordno), table.c.deleted.is_(False))
            ).scalar_one()
            return bool(found)
        if isinstance(item, SpendHeaderItem):
            table, keys = self.headers, {"kind": item.kind.value, "recordno": item.recordno}
        elif isinstance(item, SpendLineItem):
            table, keys = self.lines, {"kind": item.kind.value, "recordno": item.recordno}
        elif isinstance(item, ReimbursementItem):
            table, keys = self.reimbursements, {"recordno": item.recordno}
        elif isinstance(item, VendorAccountItem):
            table, keys = self.vendor_accounts_table, {"recordno": item.recordno}
        elif isinstance(item, InvoiceItem):
            table, keys = self.invoices, {"object": item.object.value, "recordno": item.recordno}
        elif isinstance(item, RateTableItem | RateEntryItem):
            table = self.rate_tables if isinstance(item, RateTableItem) else self.rate_entries
            keys = {"recordno": item.recordno}
        elif isinstance(item, RecurringBillItem):
            table, keys = self.recurring_bills, {"recordno": item.recordno}
        else:
            return True  # a kind this check does not know: never called unknown
        row = self._row(conn, table, keys)
        return row is not None and not row.deleted

    def _write_fresh_lines(
        self,
        conn: WriteSession,
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
            if not isinstance(item, SpendLineItem) or item.deleted or item.kind not in _BULK_KINDS:
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
        self, conn: WriteSession, entries: Sequence[Entry], stats: WriteStats
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
                    **self._header_values(item, entry.service),
                }
            )
        self._check_headers_have_lines(conn, keys)
        conn.headers_to_revisit.update(keys)
        conn.flush()
        conn.insert_many(self.headers, rows)
        stats.written[SpendHeaderItem.__name__] += len(rows)
        return True

    def _any_exists(
        self, conn: WriteSession, table: sa.Table, keys: Iterable[tuple[str, str]]
    ) -> bool:
        """Whether `table` (keyed by kind and recordno) holds any of these keys."""
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, recordno in keys:
            by_kind[kind].append(recordno)
        for kind, recordnos in by_kind.items():
            for chunk in chunks(sorted(recordnos)):
                if conn.select_in(table, ["recordno"], {"kind": kind}, "recordno", chunk):
                    return True
        return False

    def _vendor_services(self, conn: WriteSession, vendor_ids: Iterable[str]) -> dict[str, str]:
        """vendor_id -> service of the live vendors among these that are a service."""
        table = self.vendors
        found: dict[str, str] = {}
        for chunk in chunks(sorted(vendor_ids)):
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
        self, conn: WriteSession, recordnos: Iterable[str]
    ) -> dict[str, str | None]:
        """recordno -> service of the card transactions among these that the ledger holds."""
        table = self.headers
        found: dict[str, str | None] = {}
        for chunk in chunks(sorted(recordnos)):
            for recordno, service_key in conn.select_in(
                table,
                ["recordno", "service_key"],
                {"kind": SpendKind.CARD.value},
                "recordno",
                chunk,
            ):
                found[recordno] = str(service_key) if service_key else None
        return found

    def _prefetch_batch(self, conn: WriteSession, entries: Sequence[Entry]) -> None:
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

    def _check_headers_have_lines(
        self, conn: WriteSession, keys: Iterable[tuple[str, str]]
    ) -> None:
        """Which of the batch's headers already have lines: only those need their lines revisited."""
        lines = self.lines
        wanted = set(keys)
        conn.headers_checked.update(wanted)
        for chunk in chunks(sorted({recordno for _kind, recordno in wanted})):
            # Any kind (see `_by_header`): the kind is checked here.
            for kind, header_recordno in conn.select_in(
                lines, ["kind", "header_recordno"], {}, "header_recordno", chunk, distinct=True
            ):
                key = (kind, str(header_recordno))
                if key in wanted:
                    conn.headers_with_lines.add(key)

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

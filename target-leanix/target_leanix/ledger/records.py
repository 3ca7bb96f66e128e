"""Writing one record of each kind: replace its row, keep attribution, collect dirty marks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from target_leanix.ledger.attribution import AttributionMixin
from target_leanix.ledger.cache import WriteSession
from target_leanix.ledger.model import (
    CARD_PAYMENT_METHOD,
    IN_CHUNK,
    ServiceInfo,
    money,
)
from target_leanix.mapping import (
    DepartmentItem,
    InvoiceItem,
    InvoiceObject,
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

_SPEND_KIND_OF_INVOICE = {
    InvoiceObject.BILL: SpendKind.BILL,
    InvoiceObject.PAYMENT: SpendKind.PAYMENT,
}


class RecordWritesMixin(AttributionMixin):
    """How each kind of record replaces its row, and which services and departments it marks dirty."""

    def _write_vendor(
        self,
        conn: WriteSession,
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
            dirty.update(self._reattribute(conn, self._vendor_lines(vendor_id)))
            dirty.update({old_key, new_key})

    def _write_vendor_account(
        self, conn: WriteSession, item: VendorAccountItem, changed: set[str]
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
        self, conn: WriteSession, vendor_id: str, accountno: str, except_recordno: str | None
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

    def _write_department(
        self,
        conn: WriteSession,
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
        conn: WriteSession,
        item: SpendHeaderItem,
        service: ServiceInfo | None,
        dirty: set[str | None],
    ) -> None:
        table = self.headers
        keys = {"kind": item.kind.value, "recordno": item.recordno}
        if item.deleted:
            previous = self._row(conn, table, keys)
            if previous is None:
                self._insert(conn, table, {**keys, **self._header_values(item, None)})
            else:
                self._update(conn, table, keys, {"deleted": True})
        else:
            self._upsert(conn, table, keys, self._header_values(item, service))
        # Header changes (state, descriptor, deletion) change every line under it: revisited
        # for the whole batch at its end (`_revisit_headers`), with the batch's final rows.
        conn.headers_to_revisit.add((item.kind.value, item.recordno))

    def _header_values(self, item: SpendHeaderItem, service: ServiceInfo | None) -> dict[str, Any]:
        """A header's columns besides its key, as the bulk and the general path both write them."""
        return {
            "descriptor": item.descriptor,
            "state": item.state,
            "deleted": item.deleted,
            "service_key": service.key if service else None,
            "vendor_id": None,
            "doc_date": item.date,
            "base_currency": None,
            "entity": item.entity,
            "document": item.document,
            "method": None,
            "module": item.module,
            "schedule": None,
            "buyer": item.buyer or None,  # expense reports: the submitter (owners, insights.py)
        }

    def _mark_settlements(
        self,
        conn: WriteSession,
        previous: Any,  # noqa: ANN401 - the previous row (a `CachedRow`) or None
        entity: str | None,
        document: str | None,
        dirty: set[str | None],
    ) -> None:
        """A card transaction or AP payment whose (entity, document) pair changed may start or stop
        settling the other: the services of the card lines with either pair change."""
        pairs = {(entity, document)}
        if previous is not None:
            pairs.add((previous.entity, previous.document))
        headers, lines = self.headers, self.lines
        for pair_entity, pair_document in pairs:
            if not pair_document:
                continue
            dirty.update(
                conn.execute(
                    sa.select(lines.c.service_key)
                    .join(
                        headers,
                        sa.and_(
                            headers.c.kind == lines.c.kind,
                            headers.c.recordno == lines.c.header_recordno,
                        ),
                    )
                    .where(
                        headers.c.kind == SpendKind.CARD.value,
                        headers.c.document == pair_document,
                        headers.c.entity.is_(None)
                        if pair_entity is None
                        else headers.c.entity == pair_entity,
                    )
                    .distinct()
                ).scalars()
            )

    def _write_line(
        self,
        conn: WriteSession,
        item: SpendLineItem,
        service: ServiceInfo | None,
        dirty: set[str | None],
    ) -> None:
        table = self.lines
        keys = {"kind": item.kind.value, "recordno": item.recordno}
        previous = self._row(conn, table, keys)
        if previous is not None:
            dirty.add(previous.service_key)
        if item.kind is SpendKind.BILL:
            # A bill line also says which GL accounts its vendor bills to (recognition's signal).
            self._write_vendor_account(
                conn,
                VendorAccountItem(item.recordno, item.vendor_id, item.accountno, item.deleted),
                conn.vendors_to_recognize,
            )
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
            "amount": money(item.amount),
            "currency": item.currency,
            "base_amount": money(item.base_amount),
            "base_currency": item.base_currency,
            "month": item.month,
            "entry_date": item.date or None,
            "deleted": False,
            "own_service_key": own,
            "service_key": resolved,
            "seen_run": self.run_marker,
            "accountno": item.accountno,
            "period_start": item.period_start,
            "period_end": item.period_end,
            "paid_header": item.paid_header,
            "paid_line": item.paid_line,
        }

    def _write_rate(self, conn: WriteSession, item: RateTableItem | RateEntryItem) -> bool:
        """Store a rate table or entry; True when it changed what the ledger held (then every
        service's costTotalAnnual may change)."""
        if isinstance(item, RateTableItem):
            table = self.rate_tables
            values: dict[str, Any] = {
                "type_name": item.type_name,
                "from_currency": item.from_currency,
                "to_currency": item.to_currency,
            }
        else:
            table = self.rate_entries
            values = {
                "table_recordno": item.table_recordno,
                "effective_date": item.effective_date,
                "rate": money(item.rate),
                "reciprocal": money(item.reciprocal),
            }
        keys = {"recordno": item.recordno}
        previous = self._row(conn, table, keys)
        if item.deleted:
            if previous is None or previous.deleted:
                return False
            self._update(conn, table, keys, {"deleted": True})
            return True
        values["deleted"] = False
        if previous is not None and all(previous[k] == v for k, v in values.items()):
            return False
        self._upsert(conn, table, keys, values)
        return True

    def _store(
        self,
        conn: WriteSession,
        table: sa.Table,
        keys: dict[str, Any],
        *,
        deleted: bool,
        values: dict[str, Any],
    ) -> Any:  # noqa: ANN401 - the previous row (a `CachedRow`) or None
        """Write a record's row, or mark it deleted (a delete of a row never held writes nothing);
        the row held before, whose references (vendor, report) may need marking too."""
        previous = self._row(conn, table, keys)
        if deleted:
            if previous is not None:
                self._update(conn, table, keys, {"deleted": True})
        else:
            self._upsert(conn, table, keys, {**values, "deleted": False})
        return previous

    def _write_reimbursement(
        self, conn: WriteSession, item: ReimbursementItem, dirty: set[str | None]
    ) -> None:
        values = {
            "report_recordno": item.report_recordno,
            "state": item.state,
            "amount": money(item.amount),
            "currency": item.currency,
        }
        keys = {"recordno": item.recordno}
        previous = self._store(conn, self.reimbursements, keys, deleted=item.deleted, values=values)
        reports = {previous.report_recordno if previous is not None else None}
        if not item.deleted:
            reports.add(item.report_recordno)
        # The services of these reports' lines are marked once per batch (`_mark_paid_reports`).
        conn.reports_paid_or_unpaid.update(report for report in reports if report)

    def _mark_paid_reports(self, conn: WriteSession, dirty: set[str | None]) -> None:
        """Reports a reimbursement started or stopped paying: their lines' services change."""
        wanted = sorted(conn.reports_paid_or_unpaid)
        conn.reports_paid_or_unpaid.clear()
        for start in range(0, len(wanted), IN_CHUNK):
            dirty.update(
                row.service_key
                for row in conn.execute(
                    sa.select(self.lines.c.kind, self.lines.c.service_key)
                    .where(self._by_header(wanted[start : start + IN_CHUNK]))
                    .distinct()
                )
                if row.kind == SpendKind.EXPENSE.value
            )

    def _write_invoice(self, conn: WriteSession, item: InvoiceItem, dirty: set[str | None]) -> None:
        values = {
            "vendor_id": item.vendor_id,
            "number": item.number,
            "date": item.date,
            "amount": money(item.amount),
            "currency": item.currency,
            "status": item.status,
            "doc_type": item.doc_type or None,
        }
        keys = {"object": item.object.value, "recordno": item.recordno}
        previous = self._store(conn, self.invoices, keys, deleted=item.deleted, values=values)
        self._mark_vendor_services(conn, _vendors(previous, item), dirty)
        kind = _SPEND_KIND_OF_INVOICE.get(item.object)
        if kind is not None:
            self._write_invoice_header(conn, item, kind, dirty)

    def _write_recurring_bill(
        self, conn: WriteSession, item: RecurringBillItem, dirty: set[str | None]
    ) -> None:
        values = {
            "vendor_id": item.vendor_id,
            "description": item.description,
            "start_date": item.start_date,
            "end_date": item.end_date,
            "next_date": item.next_date,
            "repeat_by": item.repeat_by,
            "repeat_interval": item.repeat_interval,
            "schedule": item.schedule,
            "amount": money(item.amount),
            "currency": item.currency,
            "status": item.status,
        }
        keys = {"recordno": item.recordno}
        previous = self._store(
            conn, self.recurring_bills, keys, deleted=item.deleted, values=values
        )
        self._mark_vendor_services(conn, _vendors(previous, item), dirty)

    def _mark_vendor_services(
        self, conn: WriteSession, vendors: set[str | None], dirty: set[str | None]
    ) -> None:
        """The services of these vendors show the record that changed: mark them."""
        for vendor_id in vendors:
            if vendor_id:
                vendor = self._row(conn, self.vendors, {"vendor_id": vendor_id})
                if vendor is not None:
                    dirty.add(vendor.service_key)

    def _write_invoice_header(
        self, conn: WriteSession, item: InvoiceItem, kind: SpendKind, dirty: set[str | None]
    ) -> None:
        """A bill or AP payment is also the header of its lines' spend: state, date, vendor."""
        table = self.headers
        keys = {"kind": kind.value, "recordno": item.recordno}
        previous = self._row(conn, table, keys)
        if item.deleted:
            if previous is not None:
                self._update(conn, table, keys, {"deleted": True})
        else:
            paid = kind is SpendKind.PAYMENT
            settles = paid and (item.method or "").strip().lower() == CARD_PAYMENT_METHOD
            self._upsert(
                conn,
                table,
                keys,
                {
                    "descriptor": "",
                    "state": item.status,
                    "deleted": False,
                    "service_key": None,
                    "vendor_id": item.vendor_id,
                    # Cash basis counts a payment when paid (WHENPAID, else WHENCREATED).
                    "doc_date": (item.paid_date or item.date) if paid else item.date,
                    "base_currency": item.base_currency,
                    "entity": item.entity,
                    "document": item.number if settles else None,
                    "method": item.method,
                    "module": None,
                    "schedule": item.schedule,
                },
            )
        if kind is SpendKind.PAYMENT:
            current = self._row(conn, table, keys)
            entity, document = (None, None)
            if current is not None and not current.deleted:
                entity, document = current.entity, current.document
            self._mark_settlements(conn, previous, entity, document, dirty)
        conn.headers_to_revisit.add((kind.value, item.recordno))


def _vendors(previous: Any, item: InvoiceItem | RecurringBillItem) -> set[str | None]:  # noqa: ANN401
    """The vendors a document's write touches: the one it named before, and the one it names now."""
    vendors = {previous.vendor_id if previous is not None else None}
    if not item.deleted:
        vendors.add(item.vendor_id)
    return vendors

"""Attribution: vendor, card descriptor or expense text -> service, and the reruns that move lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from target_leanix.ledger.base import LedgerBase
from target_leanix.ledger.cache import WriteSession
from target_leanix.ledger.model import (
    IN_CHUNK,
    ServiceInfo,
)
from target_leanix.mapping import (
    SpendKind,
)

# Lines whose service is their header's vendor's (when the line names no service vendor itself).
VENDOR_HEADER_KINDS = (SpendKind.BILL.value, SpendKind.PAYMENT.value)
# Lines whose service their own text names (memos).
TEXT_KINDS = (SpendKind.EXPENSE.value, SpendKind.JOURNAL.value)


class AttributionMixin(LedgerBase):
    """Which service each spend line counts for, and moving lines when recognition changes its mind."""

    def _resolve(
        self,
        conn: WriteSession,
        kind: str,
        header_recordno: str,
        vendor_id: str | None,
        own_service_key: str | None,
    ) -> str | None:
        """Attribution order: the line's vendor if it is a service, else the card's merchant
        descriptor (card lines), the vendor of the bill or payment (bill and payment lines), or the
        line's own text (expense and journal lines)."""
        if vendor_id:
            service = self._vendor_service(conn, vendor_id)
            if service is not None:
                return service
        if kind == SpendKind.CARD.value:
            header = self._row(conn, self.headers, {"kind": kind, "recordno": header_recordno})
            return str(header.service_key) if header is not None and header.service_key else None
        if kind in VENDOR_HEADER_KINDS:
            header = self._row(conn, self.headers, {"kind": kind, "recordno": header_recordno})
            if header is None or header.deleted or not header.vendor_id:
                return None
            return self._vendor_service(conn, str(header.vendor_id))
        return own_service_key

    def _vendor_service(self, conn: WriteSession, vendor_id: str) -> str | None:
        vendor = self._row(conn, self.vendors, {"vendor_id": vendor_id})
        if vendor is not None and not vendor.deleted and vendor.service_key:
            return str(vendor.service_key)
        return None

    def _vendor_lines(self, vendor_id: str) -> sa.ColumnElement[bool]:
        """The lines a vendor's service decides: its own, and those of its bills and payments."""
        lines, headers = self.lines, self.headers
        return sa.or_(
            lines.c.vendor_id == vendor_id,
            sa.and_(
                lines.c.kind.in_(VENDOR_HEADER_KINDS),
                sa.tuple_(lines.c.kind, lines.c.header_recordno).in_(
                    sa.select(headers.c.kind, headers.c.recordno).where(
                        headers.c.vendor_id == vendor_id
                    )
                ),
            ),
        )

    def _reattribute(
        self, conn: WriteSession, where: sa.ColumnElement[bool], kind: str | None = None
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
                    if r.kind == SpendKind.CARD.value or r.kind in VENDOR_HEADER_KINDS
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

    def _revisit_headers(self, conn: WriteSession) -> set[str | None]:
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
            for start in range(0, len(recordnos), IN_CHUNK):
                chunk = recordnos[start : start + IN_CHUNK]
                touched.update(self._reattribute(conn, self._by_header(chunk), kind))
        return touched

    def _reattribute_header(self, conn: WriteSession, kind: str, recordno: str) -> set[str | None]:
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

    def _by_header(self, recordnos: Sequence[str]) -> sa.ColumnElement[bool]:
        """Lines under these header recordnos, of any kind: callers keep the kind they want.

        With `kind = ?` beside a long `IN`, SQLite prefers the primary key (kind, recordno) to the
        header_recordno index and reads every line of the kind, per query: a batch then cost time
        in proportion to the whole ledger."""
        return self.lines.c.header_recordno.in_(recordnos)

    def _accounts(self, conn: Connection | WriteSession, vendor_id: str) -> set[str]:
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
            dirty = self._reattribute(conn, self._vendor_lines(vendor_id))
            self._mark(conn, "service", dirty | {current.service_key, new_key})
        return True

    # -- re-recognition (the rules or the catalog changed) ---------------------------------------

    def live_vendors(self) -> list[tuple[str, str, str | None]]:
        """(VENDORID, name, website) of every vendor not deleted, for recognising them again."""
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
        """Distinct merchant descriptors of live card transactions, to recognise again."""
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
        """Distinct descriptions of live expense lines, to recognise again."""
        lines = self.lines
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(lines.c.description)
                    .where(lines.c.kind.in_(TEXT_KINDS), lines.c.deleted.is_(False))
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
        """Every expense or journal line with this memo now belongs to `service`. True if any
        moved."""
        lines = self.lines
        new_key = service.key if service else None
        where = sa.and_(
            lines.c.kind.in_(TEXT_KINDS),
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
                conn, sa.and_(lines.c.kind.in_(TEXT_KINDS), lines.c.recordno.in_(selected))
            )
            self._mark(conn, "service", dirty | {new_key})
        return True

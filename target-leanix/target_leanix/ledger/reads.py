"""Reads for publication and the run summary, recomputed from the rows (never incremented)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from target_leanix.commitments import (
    PURCHASE_ORDER,
    RecurringRow,
    is_open_purchase_order,
    recurring_committed,
)
from target_leanix.currency import Converter, FallbackRates, RateBook
from target_leanix.ledger.books import BooksMixin
from target_leanix.ledger.model import (
    NON_PAYING_REIMBURSEMENT_STATES,
    NON_SPEND_CARD_STATES,
    PAID_REPORT_STATES,
    SOURCE_CARD,
    SOURCE_REIMBURSEMENT,
    BooksPolicy,
    CostWindow,
    InvoiceRow,
    ServiceInfo,
    ServiceSnapshot,
    SpendGroup,
    exact_sum,
)
from target_leanix.mapping import (
    SpendKind,
)

# The kinds `_counting_groups` sums in the database; bills, payments and journals: `BooksMixin`.
_COUNTED_KINDS = (SpendKind.CARD.value, SpendKind.EXPENSE.value)
# The kinds whose lines without a service are unattributed spend. A bill or payment line without one
# is a vendor that is no service (its invoices are counted apart).
_ATTRIBUTED_KINDS = (SpendKind.CARD.value, SpendKind.EXPENSE.value, SpendKind.JOURNAL.value)


class ReadsMixin(BooksMixin):
    """What publication and the run summary read: snapshots per service, departments, pending lines."""

    def vendor_names(self) -> dict[str, str]:
        """Vendor name by VENDORID, deleted vendors included."""
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
        self,
        service_key: str,
        window: CostWindow,
        reporting_currency: str,
        *,
        converter: Converter | None = None,
        books: BooksPolicy | None = None,
    ) -> ServiceSnapshot | None:
        """Everything LeanIX should show of a service. costTotalAnnual adds, per line of the window:
        its TRX_AMOUNT when that is in the reporting currency; else its AMOUNT when its base
        currency is; else its AMOUNT converted by `converter` (`currency.py`); a line no rate
        converts is left out and named in `unconvertible`. `books` says how bills, payments and
        journals count."""
        converter = converter or Converter(reporting_currency, RateBook(), FallbackRates())
        policy = books if books is not None else BooksPolicy()
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
            spend: dict[tuple[str, str, str, str], Decimal] = defaultdict(Decimal)
            cost_total = Decimal(0)
            unconvertible: dict[str, Decimal] = defaultdict(Decimal)
            converted: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
            start, end = window.start_month, window.end_month
            # (source, department, month, currency, line amounts, base currency, their base
            # amounts, the date whose rate converts them)
            parts: list[tuple[str, str, str, str, list[Decimal], str, list[Decimal], str]] = [
                (
                    SOURCE_CARD if group.kind == SpendKind.CARD.value else SOURCE_REIMBURSEMENT,
                    group.department_id or "",
                    group.month,
                    group.currency,
                    [Decimal(text) for text in group.amounts.split(",")],
                    group.base_currency,
                    [Decimal(text) for text in group.base_amounts.split(",")],
                    group.rate_date,
                )
                for group in self._counting_groups(conn, service_key, reporting_currency)
            ]
            parts.extend(
                (
                    part.source,
                    part.department_id,
                    part.month,
                    part.currency,
                    [part.amount],
                    part.base_currency,
                    [part.base_amount],
                    f"{part.month}-01",  # a spread line's month: its rate is the month's first
                )
                for part in self._books_slices(conn, service_key, policy)
            )
            for (
                source,
                department_id,
                month,
                currency,
                trx,
                base_currency,
                base,
                rate_date,
            ) in parts:
                amount = sum(trx, Decimal(0))
                spend[(department_id, month, currency, source)] += amount
                if not start <= month <= end:
                    continue
                if currency == reporting_currency:
                    cost_total += amount
                elif base_currency == reporting_currency:
                    cost_total += sum(base, Decimal(0))
                else:
                    candidates = [(base_currency, base), (currency, trx)]
                    result = converter.convert_lines(candidates, rate_date)
                    if result is None:
                        unconvertible[currency] += amount
                    else:
                        cost_total += result[0]
                        converted[(result[2], result[1])] += result[0]
            known = set(
                conn.execute(
                    sa.select(self.departments.c.department_id).where(
                        self.departments.c.deleted.is_(False)
                    )
                ).scalars()
            )
            spending: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
            for (department_id, _month, currency, _source), amount in spend.items():
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
            recurring, committed = self._commitments(conn, vendor_ids)
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
            sources=policy.counted(),
            converted=dict(converted),
            recurring=recurring,
            committed=committed,
        )

    def _commitments(
        self, conn: Connection, vendor_ids: list[str]
    ) -> tuple[list[RecurringRow], dict[tuple[str, str, str], Decimal]]:
        """The vendors' live recurring bills, and what they and the open purchase orders commit."""
        table = self.recurring_bills
        recurring = [
            RecurringRow(
                row.recordno,
                row.vendor_id or "",
                row.description,
                row.start_date,
                row.end_date,
                row.next_date,
                row.repeat_by,
                int(row.repeat_interval),
                Decimal(row.amount) if row.amount is not None else None,
                row.currency,
                row.status,
            )
            for row in conn.execute(
                sa.select(table)
                .where(table.c.deleted.is_(False), table.c.vendor_id.in_(vendor_ids))
                .order_by(table.c.recordno)
            )
        ]
        committed: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for key, amount in recurring_committed(recurring).items():
            committed[key] += amount
        invoices = self.invoices
        for row in conn.execute(
            sa.select(
                invoices.c.date,
                invoices.c.amount,
                invoices.c.currency,
                invoices.c.status,
                invoices.c.doc_type,
            ).where(
                invoices.c.object == "PODOCUMENT",
                invoices.c.deleted.is_(False),
                invoices.c.vendor_id.in_(vendor_ids),
            )
        ):
            if row.date and row.amount and is_open_purchase_order(row.doc_type, row.status):
                committed[(row.date[:7], row.currency, PURCHASE_ORDER)] += Decimal(row.amount)
        return recurring, dict(committed)

    @property
    def _line_under_header(self) -> sa.ColumnElement[bool]:
        """Join condition of a spend line and its header (lines name their header by kind + key)."""
        return sa.and_(
            self.headers.c.kind == self.lines.c.kind,
            self.headers.c.recordno == self.lines.c.header_recordno,
        )

    def spend_groups(
        self, service_key: str | None, *, by_text: bool = False, books: BooksPolicy | None = None
    ) -> list[SpendGroup]:
        """The counting spend of one service (None: of the lines no service claims) per source,
        department, month and currency, bills, payments and journals as `books` counts them;
        `by_text`: card and expense lines per kind, currency, vendor and card descriptor or memo
        instead (department and month are then empty)."""
        with self.engine.connect() as conn:
            rows = self._counting_groups(conn, service_key, by_text=by_text)
            slices = (
                []
                if by_text or service_key is None
                else list(self._books_slices(conn, service_key, books or BooksPolicy()))
            )
        groups = []
        for row in rows:
            text = ""
            if by_text:
                text = row.descriptor if row.kind == SpendKind.CARD.value else row.description
            groups.append(
                SpendGroup(
                    kind=row.kind,
                    department_id="" if by_text else row.department_id or "",
                    month="" if by_text else row.month,
                    currency=row.currency,
                    amount=exact_sum(row.amounts),
                    lines=int(row.lines),
                    text=text or "",
                    vendor_id=(row.vendor_id or "") if by_text else "",
                    source=SOURCE_CARD
                    if row.kind == SpendKind.CARD.value
                    else SOURCE_REIMBURSEMENT,
                )
            )
        groups.extend(
            SpendGroup(
                kind=part.source,
                department_id=part.department_id,
                month=part.month,
                currency=part.currency,
                amount=part.amount,
                lines=1,
                source=part.source,
            )
            for part in slices
        )
        return groups

    def _counting_groups(
        self,
        conn: Connection,
        service_key: str | None,
        reporting_currency: str = "",
        *,
        by_text: bool = False,
    ) -> list[sa.Row[Any]]:
        """Spend of the service (None: unattributed lines) per (department, month, currency, base
        currency; with `by_text` vendor, descriptor and memo instead of department and month): lines
        that are alive, under a live header that made them spend.

        The database groups the lines and joins each group's exact decimal texts (`amounts`,
        `base_amounts`, comma-separated); Python adds them as Decimal (`exact_sum`). Neither
        SQLite nor SQLAlchemy's SUM over text is exact, and Python then handles a row per group
        instead of one per line. Expense lines keep their report in the group key, because a
        report counts only once reimbursed. Lines neither in nor based in `reporting_currency` are
        grouped by date too (`rate_date`), as each date may have its own exchange rate; an older
        line without its date takes its month's first day."""
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
        keys = [lines.c.kind, report, headers.c.state, lines.c.currency, lines.c.base_currency]
        if by_text:
            keys += [lines.c.vendor_id, headers.c.descriptor, lines.c.description]
        else:
            rate_date = sa.case(
                (
                    sa.or_(
                        lines.c.currency == reporting_currency,
                        lines.c.base_currency == reporting_currency,
                    ),
                    "",
                ),
                else_=sa.func.coalesce(lines.c.entry_date, lines.c.month + "-01"),
            ).label("rate_date")
            keys += [lines.c.department_id, lines.c.month, rate_date]
        settled = self._settled_by_card_payment()
        rows = conn.execute(
            sa.select(
                *keys,
                amounts.label("amounts"),
                base_amounts.label("base_amounts"),
                sa.func.count().label("lines"),
            )
            .join(headers, self._line_under_header)
            .where(
                lines.c.service_key == service_key,
                lines.c.kind.in_(_COUNTED_KINDS),
                lines.c.deleted.is_(False),
                headers.c.deleted.is_(False),
                sa.or_(
                    lines.c.kind != SpendKind.CARD.value, headers.c.document.is_(None), ~settled
                ),
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
                    lines.c.deleted.is_(False),
                    lines.c.service_key.is_(None),
                    lines.c.kind.in_(_ATTRIBUTED_KINDS),
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
                    lines.c.kind.in_(_ATTRIBUTED_KINDS),
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

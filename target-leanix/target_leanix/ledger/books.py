"""Spend as the books show it: bill lines (accrual), AP payment details (cash) and GL journal lines.

Recomputed from the stored rows on every read, never incremented, so an edited bill, a voided payment,
a deleted line or a changed service period moves every month it touches to its new value. Each
`Slice` is one part of one line in one month: the database selects the lines of a service, Python
spreads and allocates them exactly (`spread.split`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from target_leanix.ledger.base import LedgerBase
from target_leanix.ledger.model import (
    CASH,
    GL_MODULE,
    NON_PAYING_PAYMENT_STATES,
    NON_SPEND_BILL_STATES,
    POSTED_BATCH_STATE,
    SOURCE_INVOICE,
    SOURCE_JOURNAL,
    SOURCE_PAYMENT,
    BooksPolicy,
    chunks,
)
from target_leanix.ledger.spread import months_from, period_months, places, split
from target_leanix.mapping import SpendKind


@dataclass(frozen=True)
class Slice:
    """The part of one line that counts in one month, in its currency and its base currency."""

    source: str
    department_id: str
    month: str
    currency: str
    amount: Decimal
    base_currency: str
    base_amount: Decimal


def _state(value: object) -> str:
    return str(value or "").strip().lower()


def books_line_counts(
    kind: str, state: object, module: object, accountno: object, policy: BooksPolicy
) -> bool:
    """Whether a bill, payment or journal line counts as spend under `policy` (before spreading):
    bills on accrual unless Draft/Reversed/Voided, payments on cash unless Voided/Draft, posted GL
    journal lines on a spend account. The one home of these rules (slices and run summary)."""
    if kind == SpendKind.BILL.value:
        return policy.basis != CASH and _state(state) not in NON_SPEND_BILL_STATES
    if kind == SpendKind.PAYMENT.value:
        return policy.basis == CASH and _state(state) not in NON_PAYING_PAYMENT_STATES
    if kind == SpendKind.JOURNAL.value:
        return (
            str(module or "").strip() == GL_MODULE
            and _state(state) == POSTED_BATCH_STATE
            and accountno in policy.gl_spend_accounts
        )
    return False


def _month(date: object) -> str:
    return str(date or "")[:7]


class BooksMixin(LedgerBase):
    """The books' spend of one service: invoice (accrual) or payment (cash), and journals."""

    def _books_slices(
        self, conn: Connection, service_key: str, policy: BooksPolicy
    ) -> Iterator[Slice]:
        if policy.basis == CASH:
            yield from self._payment_slices(conn, service_key, policy)
        else:
            yield from self._invoice_slices(conn, service_key, policy)
        if policy.gl_spend_accounts:
            yield from self._journal_slices(conn, service_key, policy)

    def _settled_by_card_payment(self) -> sa.ColumnElement[bool]:
        """True for a card transaction that an AP payment by credit card settles: that payment, not
        card spend (README "Policies"). Intacct records the payment as a card transaction whose
        (FINANCIALENTITY, RECORDID) is the payment's (FINANCIALENTITY, DOCNUMBER)."""
        headers = self.headers
        settling = headers.alias("settling")
        return (
            sa.exists()
            .where(
                settling.c.kind == SpendKind.PAYMENT.value,
                settling.c.deleted.is_(False),
                settling.c.document == headers.c.document,
                settling.c.entity.is_not_distinct_from(headers.c.entity),
            )
            .correlate(headers)
        )

    def _lines_with_headers(
        self, conn: Connection, service_key: str, kind: SpendKind
    ) -> list[sa.Row[Any]]:
        """The live lines of one kind that count for the service, under a live header."""
        lines, headers = self.lines, self.headers
        return list(
            conn.execute(
                sa.select(
                    lines,
                    headers.c.state.label("header_state"),
                    headers.c.doc_date.label("header_date"),
                    headers.c.vendor_id.label("header_vendor"),
                    headers.c.base_currency.label("header_base_currency"),
                    headers.c.module.label("header_module"),
                    headers.c.schedule.label("header_schedule"),
                )
                .join(
                    headers,
                    sa.and_(
                        headers.c.kind == lines.c.kind,
                        headers.c.recordno == lines.c.header_recordno,
                    ),
                )
                .where(
                    lines.c.kind == kind.value,
                    lines.c.service_key == service_key,
                    lines.c.deleted.is_(False),
                    headers.c.deleted.is_(False),
                )
                .order_by(lines.c.recordno)
            )
        )

    def _invoice_slices(
        self, conn: Connection, service_key: str, policy: BooksPolicy
    ) -> Iterator[Slice]:
        """Bill lines in the month of the bill date, or spread over their service period: the
        line's own dates, else a `service_terms` rule, else one interval of the recurring bill that
        created the bill (their shared SCHOPKEY)."""
        intervals: dict[str, int | None] = {}
        for line in self._lines_with_headers(conn, service_key, SpendKind.BILL):
            if not books_line_counts(SpendKind.BILL.value, line.header_state, None, None, policy):
                continue
            bill_month = _month(line.header_date) or line.month
            if not bill_month:
                continue
            if line.period_start and line.period_end:
                months = period_months(line.period_start, line.period_end)
            else:
                vendor = line.vendor_id or line.header_vendor or ""
                term = policy.service_terms.get(vendor) or policy.service_terms.get(service_key)
                if term is None and line.header_schedule:
                    term = self._schedule_months(conn, line.header_schedule, intervals)
                months = months_from(bill_month, term or 1)
            yield from _spread(SOURCE_INVOICE, line, months)

    def _schedule_months(
        self, conn: Connection, schedule: str, known: dict[str, int | None]
    ) -> int | None:
        """Months one interval of the recurring bill with this SCHOPKEY covers: REPEATINTERVAL
        months, or 12 per year; a schedule of days or weeks covers its own month (None)."""
        if schedule not in known:
            table = self.recurring_bills
            row = conn.execute(
                sa.select(table.c.repeat_by, table.c.repeat_interval).where(
                    table.c.schedule == schedule, table.c.deleted.is_(False)
                )
            ).first()
            per = (
                {"months": 1, "years": 12}.get(str(row.repeat_by).strip().lower()) if row else None
            )
            known[schedule] = min(per * int(row.repeat_interval), 120) if row and per else None
        return known[schedule]

    def _payment_slices(
        self, conn: Connection, service_key: str, policy: BooksPolicy
    ) -> Iterator[Slice]:
        """Payment details in the month paid, in the department of the bill line they pay (or
        pro rata over the bill's lines)."""
        payments = [
            line
            for line in self._lines_with_headers(conn, service_key, SpendKind.PAYMENT)
            if books_line_counts(SpendKind.PAYMENT.value, line.header_state, None, None, policy)
        ]
        by_recordno, by_bill = self._bill_lines(
            conn,
            sorted({p.paid_line for p in payments if p.paid_line}),
            sorted({p.paid_header for p in payments if p.paid_header}),
        )
        for payment in payments:
            month = _month(payment.header_date) or payment.month
            if not month:
                continue
            base_currency = (
                payment.base_currency or payment.header_base_currency or payment.currency
            )
            paid = by_recordno.get(payment.paid_line or "")
            if paid is not None:
                targets = [(paid.department_id or "", Decimal(1))]
            else:
                targets = [
                    (line.department_id or "", Decimal(line.amount))
                    for line in by_bill.get(payment.paid_header or "", [])
                ]
            amount, base = Decimal(payment.amount), Decimal(payment.base_amount)
            shares = _pro_rata(amount, [w for _d, w in targets], places(amount, payment.currency))
            bases = _pro_rata(base, [w for _d, w in targets], places(base, base_currency))
            departments = [d for d, _w in targets] if shares is not None else [""]
            shares = shares or [amount]
            bases = bases or [base]
            for department_id, share, base_share in zip(departments, shares, bases, strict=True):
                yield Slice(
                    SOURCE_PAYMENT,
                    department_id,
                    month,
                    payment.currency,
                    share,
                    base_currency,
                    base_share,
                )

    def _bill_lines(
        self, conn: Connection, recordnos: Sequence[str], bills: Sequence[str]
    ) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """Live bill lines by their recordno, and by their bill, of the given keys."""
        lines = self.lines
        columns = (lines.c.recordno, lines.c.header_recordno, lines.c.department_id, lines.c.amount)
        live = sa.and_(lines.c.kind == SpendKind.BILL.value, lines.c.deleted.is_(False))
        by_recordno: dict[str, Any] = {}
        for chunk in chunks(recordnos):
            for row in conn.execute(sa.select(*columns).where(live, lines.c.recordno.in_(chunk))):
                by_recordno[row.recordno] = row
        by_bill: dict[str, list[Any]] = defaultdict(list)
        for chunk in chunks(bills):
            for row in conn.execute(
                sa.select(*columns)
                .where(live, lines.c.header_recordno.in_(chunk))
                .order_by(lines.c.recordno)
            ):
                by_bill[row.header_recordno].append(row)
        for rows in by_bill.values():
            rows.sort(key=lambda row: _numeric_key(row.recordno))
        return by_recordno, by_bill

    def _journal_slices(
        self, conn: Connection, service_key: str, policy: BooksPolicy
    ) -> Iterator[Slice]:
        """Posted General Ledger journal lines on a spend account (debits add, credits subtract)."""
        for line in self._lines_with_headers(conn, service_key, SpendKind.JOURNAL):
            kind, module = SpendKind.JOURNAL.value, line.header_module
            if not books_line_counts(kind, line.header_state, module, line.accountno, policy):
                continue
            month = line.month or _month(line.header_date)
            if month:
                yield from _spread(SOURCE_JOURNAL, line, [month])


def _spread(source: str, line: Any, months: list[str]) -> Iterator[Slice]:  # noqa: ANN401 - a row
    amount, base = Decimal(line.amount), Decimal(line.base_amount)
    base_currency = line.base_currency or line.header_base_currency or line.currency
    shares = split(amount, len(months), places(amount, line.currency))
    base_shares = split(base, len(months), places(base, base_currency))
    for month, share, base_share in zip(months, shares, base_shares, strict=True):
        yield Slice(
            source,
            line.department_id or "",
            month,
            line.currency,
            share,
            base_currency,
            base_share,
        )


def _pro_rata(amount: Decimal, weights: list[Decimal], decimal_places: int) -> list[Decimal] | None:
    """`amount` shared in proportion to `weights`, in units of `decimal_places`: each share rounded
    down, the units left over one each to the first shares, so the shares sum to `amount`. None when
    the weights give no proportion (none, or summing to zero)."""
    total = sum(weights, Decimal(0))
    if not weights or total == 0:
        return None
    unit = Decimal(1).scaleb(-decimal_places)
    units = int((amount / unit).to_integral_value())
    with localcontext() as exact:
        exact.prec = 100  # 24-digit amounts times 24-digit weights: no rounding before the floor
        floors = [
            int((Decimal(units) * weight / total).to_integral_value(rounding=ROUND_FLOOR))
            for weight in weights
        ]
    left = units - sum(floors)
    shares = []
    for index, floor in enumerate(floors):
        extra = 1 if index < left % len(floors) else 0
        shares.append(((floor + extra + left // len(floors)) * unit).quantize(unit))
    return shares


def _numeric_key(recordno: str) -> tuple[int, str]:
    return (int(recordno), "") if recordno.isdigit() else (1 << 62, recordno)

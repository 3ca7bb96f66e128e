"""Where every spend line stands, for a run summary whose totals add up (and match LeanIX).

Every live spend line is in exactly one class (`SpendClass`): counted for a service (so in a LeanIX
spend point), counted but unattributed (the caller splits those into "not software" and "not
recognised" by asking recognition about their text), not spend (yet), or waiting for its header.
The classes of one currency therefore add up to all lines of that currency, in the ledger as a whole
and among the lines this run received.
"""

from __future__ import annotations

import enum
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from target_leanix.ledger.books import BooksMixin, books_line_counts
from target_leanix.ledger.model import (
    NON_PAYING_REIMBURSEMENT_STATES,
    NON_SPEND_CARD_STATES,
    PAID_REPORT_STATES,
    UNCONFIRMED,
    BooksPolicy,
    exact_sum,
)
from target_leanix.mapping import SpendKind


class SpendClass(enum.Enum):
    """Where one spend line stands."""

    SERVICE = "counted for a service"
    UNATTRIBUTED = "counted, no service"
    NOT_SPEND = "not spend"  # report not reimbursed, card transaction reversed, header deleted
    WAITING = "waiting for its header"


@dataclass(frozen=True)
class ClassifiedSpend:
    """Lines of one class, currency and (for unattributed lines) text and vendor, summed exactly."""

    spend_class: SpendClass
    kind: str
    currency: str
    text: str  # card descriptor or expense memo of unattributed lines; "" otherwise
    vendor_id: str  # the line's own vendor of unattributed lines; "" otherwise
    amount: Decimal
    lines: int


class BreakdownMixin(BooksMixin):
    """Spend lines by class (`spend_breakdown`) and what LeanIX holds of them (`published_spend`)."""

    def spend_breakdown(
        self, *, this_run: bool, books: BooksPolicy | None = None
    ) -> list[ClassifiedSpend]:
        """Every live line (or only those this run wrote) summed per class, currency and, when
        unattributed, text and vendor. The SQL mirrors `_counting_groups`: a card line counts unless
        its transaction is reversed/voided/declined/draft or an AP card payment settles it; an
        expense line once its report is reimbursed or Paid; bills, payments and journals as `books`
        counts them (`books_line_counts`)."""
        policy = books if books is not None else BooksPolicy()
        lines, headers = self.lines, self.headers
        unattributed = lines.c.service_key.is_(None)
        text = sa.case(
            (
                unattributed,
                sa.case(
                    (lines.c.kind == SpendKind.CARD.value, headers.c.descriptor),
                    else_=lines.c.description,
                ),
            ),
            else_="",
        )
        vendor = sa.case((unattributed, lines.c.vendor_id), else_="")
        report = sa.case(
            (lines.c.kind == SpendKind.EXPENSE.value, lines.c.header_recordno), else_=""
        )
        concat = sa.func.string_agg if self.engine.dialect.name == "postgresql" else None
        amounts = (
            concat(lines.c.amount, ",")
            if concat is not None
            else sa.func.group_concat(lines.c.amount, ",")
        )
        keys = [
            lines.c.kind.label("kind"),
            report.label("report"),
            headers.c.state.label("state"),
            headers.c.deleted.label("header_deleted"),
            headers.c.recordno.is_(None).label("orphan"),
            unattributed.label("unattributed"),
            text.label("text"),
            vendor.label("vendor"),
            lines.c.currency.label("currency"),
            headers.c.module.label("module"),
            lines.c.accountno.label("accountno"),
            sa.and_(lines.c.kind == SpendKind.CARD.value, self._settled_by_card_payment()).label(
                "settled"
            ),
        ]
        query = (
            sa.select(*keys, amounts.label("amounts"), sa.func.count().label("n"))
            .select_from(
                lines.outerjoin(
                    headers,
                    sa.and_(
                        headers.c.kind == lines.c.kind,
                        headers.c.recordno == lines.c.header_recordno,
                    ),
                )
            )
            .where(lines.c.deleted.is_(False))
            .group_by(*keys)
        )
        if this_run:
            query = query.where(lines.c.seen_run == self.run_marker)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            reimbursed = self._reimbursed(
                conn, {r.report for r in rows if r.kind == SpendKind.EXPENSE.value}
            )
        merged: dict[tuple[SpendClass, str, str, str, str], list[Decimal | int]] = {}
        for row in rows:
            state = (row.state or "").strip().lower()
            if row.orphan:
                spend_class = SpendClass.WAITING
            elif (
                row.header_deleted
                or row.settled
                or not _counts(row, state, policy, reimbursed=row.report in reimbursed)
            ):
                spend_class = SpendClass.NOT_SPEND
            elif row.unattributed:
                spend_class = SpendClass.UNATTRIBUTED
            else:
                spend_class = SpendClass.SERVICE
            counted = spend_class is SpendClass.UNATTRIBUTED
            key = (
                spend_class,
                row.kind,
                row.currency,
                (row.text or "") if counted else "",
                (row.vendor or "") if counted else "",
            )
            total = merged.setdefault(key, [Decimal(0), 0])
            total[0] = Decimal(total[0]) + exact_sum(row.amounts)
            total[1] = int(total[1]) + int(row.n)
        return [
            ClassifiedSpend(
                spend_class, kind, currency, text, vendor_id, Decimal(amount), int(count)
            )
            for (spend_class, kind, currency, text, vendor_id), (amount, count) in sorted(
                merged.items(), key=lambda item: (item[0][0].value, *item[0][1:])
            )
        ]

    def _reimbursed(self, conn: sa.Connection, reports: set[str]) -> set[str]:
        table = self.reimbursements
        found: set[str] = set()
        ordered = sorted(reports)
        for start in range(0, len(ordered), 500):
            for row in conn.execute(
                sa.select(table.c.report_recordno, table.c.state).where(
                    table.c.report_recordno.in_(ordered[start : start + 500]),
                    table.c.deleted.is_(False),
                )
            ):
                if (row.state or "").strip().lower() not in NON_PAYING_REIMBURSEMENT_STATES:
                    found.add(row.report_recordno)
        return found

    def published_totals(self, item_type: str, field: str) -> dict[str, tuple[Decimal, int]]:
        """What LeanIX confirmed holding of one item type: per currency tag (or `""` when the items
        carry none), the exact sum of `field` (0 when `field` is "") and the number of items."""
        table = self.published_items
        totals: dict[str, list[Decimal | int]] = defaultdict(lambda: [Decimal(0), 0])
        with self.engine.connect() as conn:
            rows = conn.execution_options(stream_results=True, yield_per=5000).execute(
                sa.select(table.c.payload).where(
                    table.c.item_key.startswith(f"{item_type}|", autoescape=True),
                    table.c.digest != UNCONFIRMED,
                )
            )
            for (payload,) in rows:
                data = json.loads(payload).get("data", {})
                total = totals[str(data.get("currency") or "")]
                if field:
                    total[0] = Decimal(total[0]) + Decimal(str(data.get(field) or 0))
                total[1] = int(total[1]) + 1
        return {c: (Decimal(v[0]), int(v[1])) for c, v in sorted(totals.items())}


def _counts(row: sa.Row[Any], state: str, policy: BooksPolicy, *, reimbursed: bool) -> bool:
    """Whether a live header's lines are spend (the README's "Spend sources")."""
    if row.kind == SpendKind.CARD.value:
        return state not in NON_SPEND_CARD_STATES
    if row.kind == SpendKind.EXPENSE.value:
        return state in PAID_REPORT_STATES or reimbursed
    return books_line_counts(row.kind, state, row.module, row.accountno, policy)

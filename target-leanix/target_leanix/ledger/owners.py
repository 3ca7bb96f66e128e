"""Who buys a service most often: expense-report submitters and their e-mail (only with insight_owners)."""

from __future__ import annotations

import sqlalchemy as sa

from target_leanix.ledger.attribution import AttributionMixin
from target_leanix.ledger.cache import WriteSession
from target_leanix.ledger.model import CostWindow
from target_leanix.mapping import EmployeeItem, SpendKind


class OwnersMixin(AttributionMixin):
    """Employees (their e-mail) and the buyer of a service: who submitted most of its expense lines."""

    def _write_employee(
        self, conn: WriteSession, item: EmployeeItem, dirty: set[str | None]
    ) -> None:
        """Replace an employee's row; the services they buy are published again (their e-mail may
        have changed, or gone)."""
        table = self.employees
        employee_id = item.employee_id or (
            conn.execute(
                sa.select(table.c.employee_id).where(table.c.recordno == item.recordno)
            ).scalar_one_or_none()
            or ""
        )
        if not employee_id:
            return
        self._upsert(
            conn,
            table,
            {"employee_id": employee_id},
            {
                "recordno": item.recordno or None,
                "email": item.email,
                "name": item.name,
                "deleted": item.deleted,
            },
        )
        conn.flush()
        lines, headers = self.lines, self.headers
        dirty.update(
            conn.execute(
                sa.select(lines.c.service_key)
                .distinct()
                .join(
                    headers,
                    sa.and_(
                        headers.c.kind == lines.c.kind,
                        headers.c.recordno == lines.c.header_recordno,
                    ),
                )
                .where(headers.c.buyer == employee_id, lines.c.service_key.is_not(None))
            ).scalars()
        )

    def forget_employees(self) -> int:
        """Delete every employee row (insight_owners switched off); how many there were."""
        with self._tx() as conn:
            result = conn.execute(sa.delete(self.employees))
        return int(result.rowcount or 0)

    def top_buyer(self, service_key: str, window: CostWindow) -> tuple[str, str] | None:
        """(EMPLOYEEID, e-mail or "") of the employee who submitted most of the service's expense
        lines in the window (ties: the smaller ID); None when no report names a submitter."""
        lines, headers, employees = self.lines, self.headers, self.employees
        count = sa.func.count()
        query = (
            sa.select(headers.c.buyer, count)
            .join(
                headers,
                sa.and_(
                    headers.c.kind == lines.c.kind,
                    headers.c.recordno == lines.c.header_recordno,
                ),
            )
            .where(
                lines.c.kind == SpendKind.EXPENSE.value,
                lines.c.service_key == service_key,
                lines.c.deleted.is_(False),
                headers.c.deleted.is_(False),
                headers.c.buyer.is_not(None),
                lines.c.month >= window.start_month,
                lines.c.month <= window.end_month,
            )
            .group_by(headers.c.buyer)
            .order_by(count.desc(), headers.c.buyer)
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
            if row is None:
                return None
            email = conn.execute(
                sa.select(employees.c.email).where(
                    employees.c.employee_id == row.buyer, employees.c.deleted.is_(False)
                )
            ).scalar_one_or_none()
        return str(row.buyer), email or ""

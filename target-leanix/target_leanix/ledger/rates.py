"""Intacct's exchange-rate tables as the ledger holds them, read once per change for conversion."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from target_leanix.currency import RateEntry
from target_leanix.ledger.base import LedgerBase


class RatesMixin(LedgerBase):
    """The live rate entries with their table's currencies and rate type (`currency.rate_book`)."""

    def live_rates(self) -> list[RateEntry]:
        """Every live entry of every live table; cached until a write changes a rate."""
        if self._rate_entries_read is None:
            tables, entries = self.rate_tables, self.rate_entries
            with self.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(
                        tables.c.type_name,
                        tables.c.from_currency,
                        tables.c.to_currency,
                        entries.c.effective_date,
                        entries.c.rate,
                        entries.c.reciprocal,
                    )
                    .join(tables, tables.c.recordno == entries.c.table_recordno)
                    .where(tables.c.deleted.is_(False), entries.c.deleted.is_(False))
                    .order_by(entries.c.recordno)
                ).all()
            self._rate_entries_read = [
                RateEntry(
                    row.type_name,
                    row.from_currency,
                    row.to_currency,
                    row.effective_date,
                    Decimal(row.rate) if row.rate else None,
                    Decimal(row.reciprocal) if row.reciprocal else None,
                )
                for row in rows
            ]
        return list(self._rate_entries_read)

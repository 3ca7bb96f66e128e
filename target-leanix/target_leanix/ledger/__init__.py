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

`Ledger` is assembled here from one part per concern (see the module map in the README): `tables`,
`cache` (the write-behind session), `base` (shared state), `attribution`, `records` and `writes`,
`books` (bills, payments, journals) and `reads`, `spread` (service periods), `breakdown` (spend lines
by class, for the run summary), `rates` (Intacct's exchange-rate tables), `publication` and `upgrade`;
`model` holds the types callers pass in and get back.
"""

from __future__ import annotations

from target_leanix.ledger.breakdown import BreakdownMixin, ClassifiedSpend, SpendClass
from target_leanix.ledger.model import (
    ACCRUAL,
    CASH,
    NON_PAYING_REIMBURSEMENT_STATES,
    NON_SPEND_CARD_STATES,
    PAID_REPORT_STATES,
    SPEND_BASES,
    UNCONFIRMED,
    BooksPolicy,
    CostWindow,
    Entry,
    InvoiceRow,
    LedgerError,
    LedgerRefusedError,
    PublishedItem,
    ServiceInfo,
    ServiceSnapshot,
    SpendGroup,
    WriteStats,
    digest,
    record_name,
)
from target_leanix.ledger.publication import PublicationMixin
from target_leanix.ledger.rates import RatesMixin
from target_leanix.ledger.reads import ReadsMixin
from target_leanix.ledger.tables import RECOGNITION_KEYS_CHANGED, SCHEMA_VERSION
from target_leanix.ledger.upgrade import UpgradeMixin
from target_leanix.ledger.writes import WritesMixin

__all__ = [
    "ACCRUAL",
    "CASH",
    "NON_PAYING_REIMBURSEMENT_STATES",
    "NON_SPEND_CARD_STATES",
    "PAID_REPORT_STATES",
    "RECOGNITION_KEYS_CHANGED",
    "SCHEMA_VERSION",
    "SPEND_BASES",
    "UNCONFIRMED",
    "BooksPolicy",
    "ClassifiedSpend",
    "CostWindow",
    "Entry",
    "InvoiceRow",
    "Ledger",
    "LedgerError",
    "LedgerRefusedError",
    "PublishedItem",
    "ServiceInfo",
    "ServiceSnapshot",
    "SpendClass",
    "SpendGroup",
    "WriteStats",
    "digest",
    "record_name",
]


class Ledger(WritesMixin, ReadsMixin, PublicationMixin, UpgradeMixin, BreakdownMixin, RatesMixin):
    """The durable ledger of one company: writes, attribution, reads, publication state, upgrades."""

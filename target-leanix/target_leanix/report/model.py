"""What the review report shows: its data types, exact amounts per currency, and cut lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from target_leanix.ledger import CostWindow
from target_leanix.publisher import Change

TOP = 10  # rows per list; the rest is counted and totalled

Amounts = dict[str, Decimal]  # currency -> exact amount


@dataclass
class Cut:
    """The first rows of a ranked list, and the count and totals of the rest."""

    rows: list[Any]
    rest_count: int = 0
    rest_amounts: Amounts = field(default_factory=dict)


@dataclass
class TextMatch:
    """A vendor, card descriptor or memo and what recognition decided about it."""

    kind: str  # "vendor", "card" or "expense"
    key: str  # vendor ID, or the first spelling of a descriptor/memo group
    text: str
    lines: int
    amounts: Amounts
    service_key: str | None
    service_name: str
    confidence: float
    reason: str
    vendor_id: str = ""  # the vendor on the lines of a descriptor or memo, if any
    rule: str | None = None  # a `recognition` fragment that would change the decision
    rule_effect: str = ""


@dataclass
class InvoiceView:
    """An invoice of a service as the page lists it."""

    object: str
    recordno: str
    number: str
    date: str
    amount: Decimal
    currency: str
    status: str


@dataclass
class ServiceView:
    """One service's section: recognition, spend, invoices and what LeanIX holds."""

    key: str
    name: str
    category: str
    provider: str
    candidate: bool
    cost_total: Decimal  # trailing window, reporting currency (costTotalAnnual)
    spend: Amounts  # all counting spend per currency
    vendors: list[TextMatch]
    texts: Cut  # card descriptors and memos that named it, by lines
    departments: Cut  # (department title, currency, amount)
    months: dict[str, Amounts]
    invoices: Cut  # InvoiceView, largest first
    invoice_count: int
    published: dict[str, int]  # LDIF item type -> items LeanIX holds
    published_cost: str | None  # costTotalAnnual LeanIX holds


@dataclass
class ReportData:
    """Everything the page shows."""

    company: str
    generated: str
    ledger: str
    dry_run: bool
    window: CostWindow
    reporting_currency: str
    recognition_stale: bool
    spend: Amounts
    unattributed: Amounts
    monthly: dict[str, dict[str, Amounts]]  # currency -> month -> source -> amount
    services: list[ServiceView]
    other_services: Cut  # beyond TOP_SERVICES: count and spend totals
    low_confidence: Cut
    unattributed_texts: dict[str, Cut]  # currency -> TextMatch rows by amount
    not_services: Cut
    changes: list[Change]
    changes_pending: bool  # True: changes LeanIX has not taken yet; False: what this run sent


def add(amounts: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    """Add an exact amount to its currency's total."""
    amounts[currency] = amounts.get(currency, Decimal(0)) + amount


def cut(rows: list[Any], amount_of: Any, top: int = TOP) -> Cut:  # noqa: ANN401 - a row accessor
    """The first `top` rows, and the count and per-currency totals of the others."""
    rest: Amounts = {}
    for row in rows[top:]:
        for currency, amount in amount_of(row).items():
            add(rest, currency, amount)
    return Cut(rows[:top], max(len(rows) - top, 0), rest)

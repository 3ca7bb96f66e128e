"""The ledger's vocabulary: what callers pass in and get back, its errors, and small shared helpers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from target_leanix.commitments import RecurringRow
from target_leanix.mapping import (
    BILL_LINE_STREAM,
    CARD_HEADER_STREAM,
    CARD_LINE_STREAM,
    DEPARTMENT_STREAM,
    EMPLOYEE_STREAM,
    EXPENSE_HEADER_STREAM,
    EXPENSE_LINE_STREAM,
    RATE_ENTRY_STREAM,
    RATE_TABLE_STREAM,
    RECURRING_BILL_STREAM,
    REIMBURSEMENT_STREAM,
    VENDOR_STREAM,
    DepartmentItem,
    EmployeeItem,
    InvoiceItem,
    InvoiceObject,
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

# The digest of a published item that LeanIX may hold but never confirmed: never equal to a real one,
# so the next publication sends the item again, or removes it.
UNCONFIRMED = "unconfirmed"

# Card transactions in these states never became spend (the STATE values of
# https://developer.intacct.com/api/cash-management/charge-card-transactions/).
NON_SPEND_CARD_STATES = frozenset({"reversed", "voided", "declined", "draft"})

# An expense report's lines are spend once the report is reimbursed: an EPPAYMENT that references it
# (RECORDKEY) and is not voided, or the report itself says Paid.
PAID_REPORT_STATES = frozenset({"paid", "partially paid"})
NON_PAYING_REIMBURSEMENT_STATES = frozenset({"voided", "reversed", "declined", "draft"})

# AP bills in these states are no spend (the STATE values of APBILL,
# https://developer.intacct.com/api/accounts-payable/bills/): not yet booked, or taken back.
NON_SPEND_BILL_STATES = frozenset({"draft", "reversed", "reversal", "voided"})
# AP payments in these states paid nothing (the STATE values of APPYMT,
# https://developer.intacct.com/api/accounts-payable/ap-payments/).
NON_PAYING_PAYMENT_STATES = frozenset({"draft", "voided", "reversed", "declined"})
# An AP payment with this PAYMENTMETHOD is recorded by Intacct as a credit card transaction
# (https://www.intacct.com/ia/docs/en_GB/help_action/Cash_Management/Payment_Methods/Credit_card/Transactions/about-credit-card-txns.htm).
CARD_PAYMENT_METHOD = "credit card"
# The batches of the General Ledger's own module; any other (3.AP, card, expenses...) is a subledger's
# posting of spend the target already counts from its source.
GL_MODULE = "2.GL"
POSTED_BATCH_STATE = "posted"

# The source of a spend point: a tag and part of the point's identity.
SOURCE_INVOICE = "invoice"
SOURCE_PAYMENT = "payment"
SOURCE_CARD = "card"
SOURCE_REIMBURSEMENT = "reimbursement"
SOURCE_JOURNAL = "journal"
ACCRUAL = "accrual"
CASH = "cash"
SPEND_BASES = (ACCRUAL, CASH)

IN_CHUNK = 500  # keys per `IN (...)`: well below SQLite's and PostgreSQL's parameter limits


class LedgerError(RuntimeError):
    """The ledger cannot be used or written as asked; the message is one line."""


class LedgerRefusedError(LedgerError):
    """The database refused a change (an integrity constraint); the message is one line."""


class TrialDone(Exception):  # noqa: N818 - not an error: ends a trial write, which rolls back
    """Ends a trial write (finding the record the database refuses) so that it rolls back."""


@dataclass(frozen=True)
class ServiceInfo:
    """A recognised service, as the ledger stores it (decoupled from the recognition package)."""

    key: str
    name: str
    category: str
    provider: str
    candidate: bool = False


@dataclass(frozen=True)
class Entry:
    """An item to write plus what recognition said about it (vendor, card header or expense line)."""

    item: Item
    service: ServiceInfo | None = None


@dataclass(frozen=True)
class CostWindow:
    """The trailing window of `months` calendar months ending with `end_month` (YYYY-MM), inclusive."""

    end_month: str
    months: int

    @property
    def start_month(self) -> str:
        """First month (YYYY-MM) of the window, `months - 1` calendar months before its end."""
        year, month = (int(part) for part in self.end_month.split("-"))
        index = year * 12 + (month - 1) - (self.months - 1)
        return f"{index // 12:04d}-{index % 12 + 1:02d}"

    def contains(self, month: str) -> bool:
        """True when a YYYY-MM month lies within the window."""
        return self.start_month <= month <= self.end_month

    @classmethod
    def ending(cls, day: dt.date, months: int) -> CostWindow:
        """The window of `months` calendar months ending with the month of `day`."""
        return cls(f"{day.year:04d}-{day.month:02d}", months)


@dataclass(frozen=True)
class BooksPolicy:
    """How bills, AP payments and journals count (the settings `spend_basis`, `service_terms`,
    `gl_spend_accounts`): read when spend is recomputed, so a change needs no resync."""

    basis: str = ACCRUAL
    # service key or vendor ID -> months a bill line without its own service period covers
    service_terms: dict[str, int] = field(default_factory=dict)
    gl_spend_accounts: frozenset[str] = frozenset()

    def counted(self) -> list[str]:
        """What spend counts under this policy, in words."""
        books = "AP bills (accrual basis)" if self.basis == ACCRUAL else "AP payments (cash basis)"
        counted = [books, "card transactions", "reimbursed expenses"]
        if self.gl_spend_accounts:
            accounts = [clip_text(a) for a in sorted(self.gl_spend_accounts)]
            shown = ", ".join(accounts[:5]) + (
                f" and {len(accounts) - 5} more" if len(accounts) > 5 else ""
            )
            counted.append(f"GL journals to {shown}")
        return counted

    def fingerprint(self) -> str:
        """Equal for equal policies: a change makes every service's spend change."""
        return json.dumps(
            [self.basis, sorted(self.service_terms.items()), sorted(self.gl_spend_accounts)]
        )


@dataclass(frozen=True)
class InvoiceRow:
    """One AP bill, AP payment or purchase order of a service's vendor, as its document shows it."""

    object: str
    recordno: str
    vendor_id: str
    number: str
    date: str | None
    amount: Decimal
    currency: str
    status: str


@dataclass
class ServiceSnapshot:
    """Everything LeanIX should show for one service, recomputed from the ledger."""

    service: ServiceInfo
    vendor_ids: list[str]
    # (department_id or "", month, currency, source) -> exact sum in that currency
    spend: dict[tuple[str, str, str, str], Decimal]
    departments: list[str]  # known departments with non-zero spend
    cost_total: Decimal  # trailing window, reporting currency
    cost_currency: str
    window: CostWindow
    unconvertible: dict[
        str, Decimal
    ]  # currency -> window spend that has no rate to the reporting one
    invoices: list[InvoiceRow]
    # What the spend counts, for the cost description (`BooksPolicy.counted`).
    sources: list[str] = field(default_factory=list)
    # (currency, rate source) -> window spend converted from that currency, in the reporting one
    converted: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    recurring: list[RecurringRow] = field(default_factory=list)  # the vendors' recurring bills
    # (month, currency, source) -> committed amount (`commitments.py`), never part of spend
    committed: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class SpendGroup:
    """Counting spend of a group of lines (`Ledger.spend_groups`); `text` and `vendor_id` only by text."""

    kind: str
    department_id: str  # "" without a department
    month: str
    currency: str
    amount: Decimal
    lines: int
    text: str = ""
    vendor_id: str = ""
    source: str = ""  # invoice, payment, card, reimbursement or journal


@dataclass(frozen=True)
class PublishedItem:
    """An item LeanIX holds: its owner (service or department), key, digest and payload."""

    owner: str
    item_key: str
    digest: str
    payload: dict[str, Any]


@dataclass
class WriteStats:
    """Records written and deleted per kind by one batch, and vendors to recognise again."""

    written: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    deleted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Of `deleted`: deletes of records the ledger never held (alive), e.g. deleted in Intacct before a
    # first run read them; they change nothing.
    deleted_unknown: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Vendors whose set of GL accounts changed: recognition should look at them again.
    vendors_to_recognize: set[str] = field(default_factory=set)


def clip_text(text: str, limit: int = 20) -> str:
    """`text` cut to `limit` characters for a description (an account number can be any text)."""
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def money(value: Decimal | None) -> str | None:
    """A Decimal as exact plain text (no exponent) for a ledger column; None stays None."""
    return None if value is None else format(value, "f")


def exact_sum(amounts: str) -> Decimal:
    """The exact sum of comma-separated decimal texts (as the ledger stores money)."""
    return sum((Decimal(amount) for amount in amounts.split(",")), Decimal(0))


def digest(payload: dict[str, Any]) -> str:
    """SHA-256 of the payload's canonical JSON: equal digests mean LeanIX needs nothing sent."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_STREAMS: dict[tuple[type[Any], str], str] = {
    (VendorItem, ""): VENDOR_STREAM,
    (DepartmentItem, ""): DEPARTMENT_STREAM,
    (SpendHeaderItem, SpendKind.CARD.value): CARD_HEADER_STREAM,
    (SpendHeaderItem, SpendKind.EXPENSE.value): EXPENSE_HEADER_STREAM,
    (SpendLineItem, SpendKind.CARD.value): CARD_LINE_STREAM,
    (SpendLineItem, SpendKind.EXPENSE.value): EXPENSE_LINE_STREAM,
    (ReimbursementItem, ""): REIMBURSEMENT_STREAM,
    (VendorAccountItem, ""): BILL_LINE_STREAM,
    (RateTableItem, ""): RATE_TABLE_STREAM,
    (RateEntryItem, ""): RATE_ENTRY_STREAM,
    (RecurringBillItem, ""): RECURRING_BILL_STREAM,
    (EmployeeItem, ""): EMPLOYEE_STREAM,
}


_INVOICE_STREAMS = {
    InvoiceObject.BILL: "ap_bill",
    InvoiceObject.PAYMENT: "ap_payment",
    InvoiceObject.PURCHASE_ORDER: "po_document",
}


def record_name(item: Item) -> str:
    """`stream 'vendor' record VENDORID=ZQX`: the record an item came from, as errors name it."""
    if isinstance(item, InvoiceItem):
        stream = _INVOICE_STREAMS[item.object]
    else:
        kind = item.kind.value if isinstance(item, SpendHeaderItem | SpendLineItem) else ""
        stream = _STREAMS[(type(item), kind)]
    if isinstance(item, VendorItem) and item.vendor_id:
        key = f"VENDORID={item.vendor_id}"
    elif isinstance(item, DepartmentItem) and item.department_id:
        key = f"DEPARTMENTID={item.department_id}"
    elif isinstance(item, EmployeeItem) and item.employee_id:
        key = f"EMPLOYEEID={item.employee_id}"
    else:
        key = f"RECORDNO={item.recordno}"
    return f"stream {stream!r} record {key}"


def first_line(error: BaseException | None) -> str:
    """The first line of an error's text (or its type), at most 300 characters."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


def payload_text(payload: dict[str, Any]) -> str:
    """An item's data as short sorted JSON (200 characters), for naming it in an error."""
    return json.dumps(payload.get("data", payload), sort_keys=True, default=str)[:200]


def chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    """The values in slices of IN_CHUNK, so an `IN (...)` stays within parameter limits."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]

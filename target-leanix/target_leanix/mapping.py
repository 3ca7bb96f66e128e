"""Singer records from tap-sage-intacct -> domain items (vendors, departments, spend, invoices).

Pure functions: no I/O, no LeanIX, no ledger. Field names are Intacct's own, as its object reference
names them (https://developer.intacct.com/api/). Each stream maps to exactly one item kind; the
ledger decides what an item means for the aggregates, `ldif.py` what it becomes in LeanIX.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from target_leanix.recognition.normalize import name_slug
from target_leanix.record_fields import DELETED_AT, EMAIL, MAX_EMAIL_CHARS, FieldReader, clipped


class SpendKind(Enum):
    """The kinds of spend record; each has a header stream and a line stream."""

    CARD = "card"
    EXPENSE = "expense"
    BILL = "bill"  # APBILL + APBILLITEM: invoice spend (accrual basis)
    PAYMENT = "payment"  # APPYMT + APPYMTDETAIL: payment spend (cash basis)
    JOURNAL = "journal"  # GLBATCH + GLENTRY: journal spend (opt-in, `gl_spend_accounts`)


# The fields of a bill line's own service period, named once here: an AP bill line's amortization
# dates (APBILLITEM; AR invoice lines call theirs REVRECSTARTDATE/REVRECENDDATE).
SERVICE_PERIOD_FIELDS = ("AMORTIZATIONSTARTDATE", "AMORTIZATIONENDDATE")
# A longer service period is a bad record: each of its months becomes a spend point.
MAX_SERVICE_PERIOD_MONTHS = 120


@dataclass(frozen=True)
class VendorItem:
    """One Intacct VENDOR: what recognition reads and whether it was deleted."""

    vendor_id: str
    recordno: str
    name: str
    status: str
    website: str | None
    saas_category: str | None
    deleted: bool


@dataclass(frozen=True)
class EmployeeItem:
    """One Intacct EMPLOYEE: the e-mail an owner subscription names (read only with insight_owners)."""

    employee_id: str
    recordno: str
    email: str
    name: str
    deleted: bool


@dataclass(frozen=True)
class DepartmentItem:
    """One Intacct DEPARTMENT: the UserGroup (Organization) it becomes in LeanIX."""

    department_id: str
    recordno: str
    title: str
    parent_id: str | None
    deleted: bool


@dataclass(frozen=True)
class SpendHeaderItem:
    """A card transaction or expense report header: what its lines have in common."""

    kind: SpendKind
    recordno: str
    descriptor: str  # card: the merchant descriptor as printed on the statement
    state: str
    deleted: bool
    # Card: FINANCIALENTITY and RECORDID, which an AP payment by credit card settles (see README).
    entity: str | None = None
    document: str | None = None
    module: str | None = None  # journal batches: MODULE (`2.GL` is the General Ledger's own)
    date: str | None = None  # journal batches: BATCH_DATE (ISO)
    buyer: str = ""  # expense report: the submitting employee (EMPLOYEEID)


@dataclass(frozen=True)
class SpendLineItem:
    """One line of spend in its transaction currency, plus Intacct's own base-currency amount."""

    kind: SpendKind
    recordno: str
    header_recordno: str
    department_id: str | None
    vendor_id: str | None
    description: str
    amount: Decimal  # TRX_AMOUNT, in `currency`
    currency: str
    base_amount: Decimal  # AMOUNT, in `base_currency` (Intacct converted it with the record's rate)
    base_currency: str
    month: str  # YYYY-MM of ENTRY_DATE ("" when a bill or payment line has none: its header's date)
    deleted: bool
    accountno: str | None = None  # GL account (bill and journal lines)
    period_start: str | None = None  # bill lines: the service period (ISO dates), both or neither
    period_end: str | None = None
    paid_header: str | None = None  # payment lines: the bill they pay (RECORDKEY)
    paid_line: str | None = None  # payment lines: the bill line they pay (ENTRYKEY)
    date: str = ""  # ISO ENTRY_DATE: the date whose exchange rate converts the line


@dataclass(frozen=True)
class ReimbursementItem:
    """EPPAYMENT: the payment of an expense report. It carries no spend of its own (see README)."""

    recordno: str
    report_recordno: str | None
    state: str
    amount: Decimal | None
    currency: str
    deleted: bool


@dataclass(frozen=True)
class VendorAccountItem:
    """An AP bill line: which GL account a vendor's bills post to (recognition's software signal)."""

    recordno: str
    vendor_id: str | None
    accountno: str | None
    deleted: bool


@dataclass(frozen=True)
class RateTableItem:
    """EXCHANGERATE: a table of rates of one rate type from one currency to another."""

    recordno: str
    type_name: str
    from_currency: str
    to_currency: str
    deleted: bool


@dataclass(frozen=True)
class RateEntryItem:
    """EXCHANGERATEENTRY: its table's rate from EFFECTIVE_START_DATE on, and the reciprocal."""

    recordno: str
    table_recordno: str
    effective_date: str  # ISO date
    rate: Decimal | None
    reciprocal: Decimal | None
    deleted: bool


class InvoiceObject(Enum):
    """The Intacct objects that become Invoice documents, by their object name."""

    BILL = "APBILL"
    PAYMENT = "APPYMT"
    PURCHASE_ORDER = "PODOCUMENT"


@dataclass(frozen=True)
class InvoiceItem:
    """One AP bill, AP payment or purchase order header; amount None when the record has none."""

    object: InvoiceObject
    recordno: str
    vendor_id: str | None
    number: str
    date: str | None  # ISO date
    amount: Decimal | None
    currency: str
    status: str
    deleted: bool
    # AP payments: how and from where they were paid (card-paid bills, see README), when they were
    # paid (cash basis), and the entity's base currency.
    entity: str | None = None
    method: str | None = None
    paid_date: str | None = None
    base_currency: str | None = None
    doc_type: str = ""  # PODOCUMENT's DOCPARID, the transaction definition ("Purchase Order")
    schedule: str | None = None  # a bill a recurring bill created: their shared SCHOPKEY


@dataclass(frozen=True)
class RecurringBillItem:
    """APRECURBILL: a schedule that creates a vendor's bill every interval (a commitment)."""

    recordno: str
    vendor_id: str | None
    description: str
    start_date: str | None  # ISO dates
    end_date: str | None
    next_date: str | None
    repeat_by: str  # Days, Weeks, Months, Years
    repeat_interval: int
    amount: Decimal | None  # of one bill
    currency: str
    status: str
    deleted: bool
    schedule: str | None = None  # SCHOPKEY: the scheduled operation its bills carry too


Item = (
    VendorItem
    | DepartmentItem
    | SpendHeaderItem
    | SpendLineItem
    | ReimbursementItem
    | InvoiceItem
    | VendorAccountItem
    | RateTableItem
    | RateEntryItem
    | RecurringBillItem
    | EmployeeItem
)

# Streams the target reads; every other stream of the tap is accepted and ignored (see README).
VENDOR_STREAM = "vendor"
DEPARTMENT_STREAM = "department"
CARD_HEADER_STREAM = "cc_transaction"
CARD_LINE_STREAM = "cc_transaction_entry"
EXPENSE_HEADER_STREAM = "expense_report"
EXPENSE_LINE_STREAM = "expense_report_item"
REIMBURSEMENT_STREAM = "employee_payment"
BILL_STREAM = "ap_bill"
PAYMENT_STREAM = "ap_payment"
PURCHASE_ORDER_STREAM = "po_document"
BILL_LINE_STREAM = "ap_bill_item"
PAYMENT_LINE_STREAM = "ap_payment_detail"
JOURNAL_HEADER_STREAM = "gl_batch"
JOURNAL_LINE_STREAM = "gl_entry"
RECURRING_BILL_STREAM = "ap_recurring_bill"
RATE_TABLE_STREAM = "exchange_rate"
RATE_ENTRY_STREAM = "exchange_rate_entry"
EMPLOYEE_STREAM = "employee"

USED_STREAMS = frozenset(
    {
        VENDOR_STREAM,
        DEPARTMENT_STREAM,
        CARD_HEADER_STREAM,
        CARD_LINE_STREAM,
        EXPENSE_HEADER_STREAM,
        EXPENSE_LINE_STREAM,
        REIMBURSEMENT_STREAM,
        BILL_STREAM,
        PAYMENT_STREAM,
        PURCHASE_ORDER_STREAM,
        BILL_LINE_STREAM,
        PAYMENT_LINE_STREAM,
        JOURNAL_HEADER_STREAM,
        JOURNAL_LINE_STREAM,
        RATE_TABLE_STREAM,
        RATE_ENTRY_STREAM,
        RECURRING_BILL_STREAM,
        EMPLOYEE_STREAM,
    }
)
# The order the target writes a drained batch of each stream in: what others refer to first.
DRAIN_ORDER = {
    stream: index
    for index, stream in enumerate(
        (
            RATE_TABLE_STREAM,
            RATE_ENTRY_STREAM,
            VENDOR_STREAM,
            DEPARTMENT_STREAM,
            EMPLOYEE_STREAM,
            BILL_LINE_STREAM,
            CARD_HEADER_STREAM,
            EXPENSE_HEADER_STREAM,
            REIMBURSEMENT_STREAM,
            JOURNAL_HEADER_STREAM,
            CARD_LINE_STREAM,
            EXPENSE_LINE_STREAM,
            JOURNAL_LINE_STREAM,
            BILL_STREAM,
            PAYMENT_STREAM,
            PAYMENT_LINE_STREAM,
            PURCHASE_ORDER_STREAM,
            RECURRING_BILL_STREAM,
        )
    )
}
# Streams of the tap that carry nothing the LeanIX model needs: accepted silently.
IGNORED_TAP_STREAMS = frozenset(
    {
        "location",
        "gl_account",
        "po_document_entry",
        "audit_history",
        "ap_recurring_bill_entry",
    }
)

# Every field the mappers below read. Records are validated on these only: a wrong type in a field
# the target never reads must not stop a sync, and validating 80-field bills in full is the main cost.
USED_FIELDS = frozenset(
    {
        DELETED_AT,
        "RECORDNO",
        "RECORDKEY",
        "RECORDID",
        "VENDORID",
        "CUSTVENDID",
        "NAME",
        "STATUS",
        "DISPLAYCONTACT.URL1",
        "SAAS_CATEGORY",
        "DEPARTMENTID",
        "TITLE",
        "PARENTID",
        "DESCRIPTION",
        "PAYEE",
        "STATE",
        "RAWSTATE",
        "ACCOUNTNO",
        "AMOUNT",
        "TRX_AMOUNT",
        "TOTALENTERED",
        "TRX_TOTALENTERED",
        "TOTAL",
        "TRX_TOTAL",
        "CURRENCY",
        "BASECURR",
        "ENTRY_DATE",
        "WHENCREATED",
        "DOCNUMBER",
        "DOCID",
        "DOCNO",
        "FINANCIALENTITY",
        "PAYMENTMETHOD",
        "WHENPAID",
        "PAYMENTKEY",
        "ENTRYKEY",
        "PAYMENTAMOUNT",
        "TRX_PAYMENTAMOUNT",
        "BATCHNO",
        "BATCH_DATE",
        "JOURNAL",
        "MODULE",
        "TR_TYPE",
        "DEPARTMENT",
        *SERVICE_PERIOD_FIELDS,
        "TYPENAME",
        "FROM_CURRENCY",
        "TO_CURRENCY",
        "EXCHANGERATEKEY",
        "EFFECTIVE_START_DATE",
        "EXCHANGE_RATE",
        "RATE",
        "RECIPROCAL_RATE",
        "DOCPARID",
        "SCHOPKEY",
        "STARTDATE",
        "ENDDATE",
        "NEXTEXECDATE",
        "REPEATBY",
        "REPEATINTERVAL",
        "EMPLOYEEID",
        "PERSONALINFO.EMAIL1",
        "PERSONALINFO.CONTACTNAME",
    }
)


def to_item(stream: str, record: Mapping[str, Any]) -> Item | None:
    """Map one record of a used stream to its domain item (None for a stream the target ignores)."""
    mapper = _MAPPERS.get(stream)
    return mapper(stream, record) if mapper else None


def _vendor(stream: str, record: Mapping[str, Any]) -> VendorItem:
    r = FieldReader(stream, record, "VENDORID" if record.get("VENDORID") else "RECORDNO")
    if r.deleted:
        # A delete from AUDITHISTORY names VENDOR by its natural id; RECORDNO may be all we get.
        vendor_id = r.key_text("VENDORID", required=False)
        recordno = r.key_text("RECORDNO", required=not vendor_id)
        return VendorItem(vendor_id, recordno, r.text("NAME"), "", None, None, deleted=True)
    return VendorItem(
        vendor_id=r.key_text("VENDORID"),
        recordno=r.key_text("RECORDNO", required=False),
        name=r.text("NAME", required=True),
        status=r.text("STATUS").lower() or "active",
        website=r.text("DISPLAYCONTACT.URL1") or None,
        saas_category=r.text("SAAS_CATEGORY") or None,
        deleted=False,
    )


def _department(stream: str, record: Mapping[str, Any]) -> DepartmentItem:
    r = FieldReader(stream, record, "DEPARTMENTID" if record.get("DEPARTMENTID") else "RECORDNO")
    if r.deleted:
        department_id = r.key_text("DEPARTMENTID", required=False)
        recordno = r.key_text("RECORDNO", required=not department_id)
        return DepartmentItem(department_id, recordno, "", None, deleted=True)
    return DepartmentItem(
        department_id=r.key_text("DEPARTMENTID"),
        recordno=r.key_text("RECORDNO", required=False),
        title=r.text("TITLE") or r.key_text("DEPARTMENTID"),
        parent_id=r.text("PARENTID") or None,
        deleted=False,
    )


def _employee(stream: str, record: Mapping[str, Any]) -> EmployeeItem:
    r = FieldReader(stream, record, "RECORDNO")
    if r.deleted:
        employee_id = r.key_text("EMPLOYEEID", required=False)
        recordno = r.key_text("RECORDNO", required=not employee_id)
        return EmployeeItem(employee_id, recordno, "", "", deleted=True)
    email = r.text("PERSONALINFO.EMAIL1")
    # An address that is not one is no address: the target never writes what it cannot vouch for.
    # An inactive employee (left the company) is nobody's owner any more.
    if (
        len(email) > MAX_EMAIL_CHARS
        or not EMAIL.match(email)
        or r.text("STATUS").lower() == "inactive"
    ):
        email = ""
    return EmployeeItem(
        employee_id=r.key_text("EMPLOYEEID"),
        recordno=r.key_text("RECORDNO", required=False),
        email=email,
        name=r.text("PERSONALINFO.CONTACTNAME"),
        deleted=False,
    )


def _spend_header(kind: SpendKind) -> Any:  # noqa: ANN401 - a mapper closure
    def mapper(stream: str, record: Mapping[str, Any]) -> SpendHeaderItem:
        r = FieldReader(stream, record, "RECORDNO")
        recordno = r.key_text("RECORDNO")
        if r.deleted:
            return SpendHeaderItem(kind, recordno, "", "", deleted=True)
        descriptor = r.text("DESCRIPTION") or r.text("PAYEE")
        if kind is SpendKind.CARD and not descriptor:
            raise r.fail("field DESCRIPTION (the merchant descriptor) is missing")
        if kind is SpendKind.CARD:
            return SpendHeaderItem(
                kind,
                recordno,
                descriptor,
                r.text("STATE"),
                deleted=False,
                entity=r.text("FINANCIALENTITY") or None,
                document=r.text("RECORDID") or None,
            )
        buyer = r.text("EMPLOYEEID") if kind is SpendKind.EXPENSE else ""
        return SpendHeaderItem(
            kind, recordno, descriptor, r.text("STATE"), deleted=False, buyer=buyer
        )

    return mapper


def _spend_line(kind: SpendKind) -> Any:  # noqa: ANN401 - a mapper closure
    def mapper(stream: str, record: Mapping[str, Any]) -> SpendLineItem:
        r = FieldReader(stream, record, "RECORDNO")
        recordno = r.key_text("RECORDNO")
        if r.deleted:
            zero = Decimal(0)
            header = r.key_text("RECORDKEY", required=False)
            return SpendLineItem(
                kind, recordno, header, None, None, "", zero, "", zero, "", "", deleted=True
            )
        base_currency = r.currency("BASECURR", fallback=r.text("CURRENCY"))
        currency = r.currency("CURRENCY", fallback=base_currency)
        base_amount = r.money("AMOUNT")
        amount = r.money("TRX_AMOUNT", required=False)
        assert base_amount is not None  # noqa: S101 - required=True above
        if amount is None:
            if currency != base_currency:
                raise r.fail("amount TRX_AMOUNT is missing and CURRENCY differs from BASECURR")
            amount = base_amount
        entry_date = r.date("ENTRY_DATE", required=False) or r.date("WHENCREATED")
        assert entry_date is not None  # noqa: S101 - required=True above
        return SpendLineItem(
            kind=kind,
            recordno=recordno,
            header_recordno=r.key_text("RECORDKEY"),
            department_id=r.text("DEPARTMENTID") or None,
            vendor_id=r.text("VENDORID") or None,
            description=r.text("DESCRIPTION"),
            amount=amount,
            currency=currency,
            base_amount=base_amount,
            base_currency=base_currency,
            month=f"{entry_date.year:04d}-{entry_date.month:02d}",
            deleted=False,
            date=entry_date.isoformat(),
        )

    return mapper


def _month(day: dt.date | None) -> str:
    return "" if day is None else f"{day.year:04d}-{day.month:02d}"


def _amounts(r: FieldReader, trx_field: str, base_field: str) -> tuple[Decimal, str, Decimal, str]:
    """(amount, currency, base amount, base currency) of a line: the transaction amount in its
    currency, and Intacct's own conversion to the entity's base currency ("" when not given)."""
    currency = r.currency("CURRENCY", fallback=r.text("BASECURR"))
    base_amount = r.money(base_field)
    assert base_amount is not None  # noqa: S101 - required=True above
    amount = r.money(trx_field, required=False)
    base_currency = r.currency("BASECURR") if r.text("BASECURR") else ""
    if amount is None:
        if base_currency and currency != base_currency:
            raise r.fail(f"amount {trx_field} is missing and CURRENCY differs from BASECURR")
        amount = base_amount
    return amount, currency, base_amount, base_currency


def _service_period(r: FieldReader) -> tuple[str | None, str | None]:
    """The line's own service period (ISO dates): both dates or neither, end not before start."""
    start_field, end_field = SERVICE_PERIOD_FIELDS
    start, end = r.date(start_field, required=False), r.date(end_field, required=False)
    if start is None and end is None:
        return None, None
    if start is None or end is None:
        missing = start_field if start is None else end_field
        raise r.fail(f"date {missing} is missing (a service period needs both dates)")
    if end < start:
        raise r.fail(f"date {end_field} {end.isoformat()} is before {start_field}")
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months > MAX_SERVICE_PERIOD_MONTHS:
        raise r.fail(
            f"service period {start.isoformat()}..{end.isoformat()} is longer than "
            f"{MAX_SERVICE_PERIOD_MONTHS} months"
        )
    return start.isoformat(), end.isoformat()


def _deleted_line(kind: SpendKind, recordno: str, header: str) -> SpendLineItem:
    zero = Decimal(0)
    return SpendLineItem(
        kind, recordno, header, None, None, "", zero, "", zero, "", "", deleted=True
    )


def _bill_line(stream: str, record: Mapping[str, Any]) -> SpendLineItem:
    """An AP bill line: invoice spend of the bill's vendor, in its own department and GL account."""
    r = FieldReader(stream, record, "RECORDNO")
    recordno = r.key_text("RECORDNO")
    if r.deleted:
        return _deleted_line(SpendKind.BILL, recordno, r.key_text("RECORDKEY", required=False))
    amount, currency, base_amount, base_currency = _amounts(r, "TRX_AMOUNT", "AMOUNT")
    period_start, period_end = _service_period(r)
    return SpendLineItem(
        kind=SpendKind.BILL,
        recordno=recordno,
        header_recordno=r.key_text("RECORDKEY"),
        department_id=r.text("DEPARTMENTID") or None,
        vendor_id=r.text("VENDORID") or None,
        description=r.text("ENTRYDESCRIPTION") or r.text("DESCRIPTION"),
        amount=amount,
        currency=currency,
        base_amount=base_amount,
        base_currency=base_currency,
        month=_month(r.date("ENTRY_DATE", required=False)),
        deleted=False,
        accountno=r.key_text("ACCOUNTNO", required=False) or None,
        period_start=period_start,
        period_end=period_end,
    )


def _payment_line(stream: str, record: Mapping[str, Any]) -> SpendLineItem:
    """An AP payment detail: the part of a payment applied to one bill (and bill line)."""
    r = FieldReader(stream, record, "RECORDNO")
    recordno = r.key_text("RECORDNO")
    if r.deleted:
        return _deleted_line(SpendKind.PAYMENT, recordno, r.key_text("PAYMENTKEY", required=False))
    amount, currency, base_amount, base_currency = _amounts(r, "TRX_PAYMENTAMOUNT", "PAYMENTAMOUNT")
    return SpendLineItem(
        kind=SpendKind.PAYMENT,
        recordno=recordno,
        header_recordno=r.key_text("PAYMENTKEY"),
        department_id=None,
        vendor_id=r.text("VENDORID") or None,
        description="",
        amount=amount,
        currency=currency,
        base_amount=base_amount,
        base_currency=base_currency,
        month=_month(r.date("WHENCREATED", required=False)),
        deleted=False,
        paid_header=r.key_text("RECORDKEY", required=False) or None,
        paid_line=r.key_text("ENTRYKEY", required=False) or None,
    )


def _journal_batch(stream: str, record: Mapping[str, Any]) -> SpendHeaderItem:
    r = FieldReader(stream, record, "RECORDNO")
    recordno = r.key_text("RECORDNO")
    if r.deleted:
        return SpendHeaderItem(SpendKind.JOURNAL, recordno, "", "", deleted=True)
    day = r.date("BATCH_DATE", required=False)
    return SpendHeaderItem(
        SpendKind.JOURNAL,
        recordno,
        r.text("JOURNAL"),
        r.text("STATE"),
        deleted=False,
        module=r.text("MODULE") or None,
        date=day.isoformat() if day else None,
    )


def _journal_line(stream: str, record: Mapping[str, Any]) -> SpendLineItem:
    """A GL journal entry line; a debit (TR_TYPE 1) adds, a credit (TR_TYPE -1) takes away."""
    r = FieldReader(stream, record, "RECORDNO")
    recordno = r.key_text("RECORDNO")
    if r.deleted:
        return _deleted_line(SpendKind.JOURNAL, recordno, r.key_text("BATCHNO", required=False))
    direction = r.key_text("TR_TYPE")
    if direction not in {"1", "-1"}:
        raise r.fail(f"field TR_TYPE should be 1 (debit) or -1 (credit): {clipped(direction)}")
    sign = Decimal(direction)
    amount, currency, base_amount, base_currency = _amounts(r, "TRX_AMOUNT", "AMOUNT")
    return SpendLineItem(
        kind=SpendKind.JOURNAL,
        recordno=recordno,
        header_recordno=r.key_text("BATCHNO"),
        department_id=r.text("DEPARTMENTID") or r.text("DEPARTMENT") or None,
        vendor_id=None,
        description=r.text("DESCRIPTION"),
        amount=sign * amount,
        currency=currency,
        base_amount=sign * base_amount,
        base_currency=base_currency,
        month=_month(r.date("ENTRY_DATE", required=False)),
        deleted=False,
        accountno=r.key_text("ACCOUNTNO", required=False) or None,
    )


def _reimbursement(stream: str, record: Mapping[str, Any]) -> ReimbursementItem:
    r = FieldReader(stream, record, "RECORDNO")
    recordno = r.key_text("RECORDNO")
    if r.deleted:
        return ReimbursementItem(recordno, None, "", None, "", deleted=True)
    amount = r.money("TRX_TOTALENTERED", required=False)
    if amount is None:
        amount = r.money("TOTALENTERED", required=False)
    return ReimbursementItem(
        recordno=recordno,
        report_recordno=r.key_text("RECORDKEY", required=False) or None,
        state=r.text("STATE"),
        amount=amount,
        currency=r.currency("CURRENCY", fallback=r.text("BASECURR")),
        deleted=False,
    )


def _invoice(obj: InvoiceObject) -> Any:  # noqa: ANN401 - a mapper closure
    vendor_field, number_fields, date_field, amount_fields, rate_currency = {
        InvoiceObject.BILL: (
            "VENDORID",
            ("RECORDID", "DOCNUMBER"),
            "WHENCREATED",
            ("TRX_TOTALENTERED", "TOTALENTERED"),
            "CURRENCY",
        ),
        InvoiceObject.PAYMENT: (
            "VENDORID",
            ("DOCNUMBER",),
            "WHENCREATED",
            ("TRX_TOTALENTERED", "TOTALENTERED"),
            "CURRENCY",
        ),
        InvoiceObject.PURCHASE_ORDER: (
            "CUSTVENDID",
            ("DOCID", "DOCNO"),
            "WHENCREATED",
            ("TRX_TOTAL", "TOTAL"),
            "CURRENCY",
        ),
    }[obj]

    def mapper(stream: str, record: Mapping[str, Any]) -> InvoiceItem:
        r = FieldReader(stream, record, "RECORDNO")
        recordno = r.key_text("RECORDNO")
        if r.deleted:
            return InvoiceItem(obj, recordno, None, "", None, None, "", "", deleted=True)
        amount = None
        currency = r.currency(rate_currency, fallback=r.text("BASECURR"))
        for field in amount_fields:
            amount = r.money(field, required=False)
            if amount is not None:
                if field in {"TOTALENTERED", "TOTAL"}:
                    currency = r.currency("BASECURR", fallback=currency)
                break
        if amount is None:
            raise r.fail(f"amount {amount_fields[0]} is missing")
        number = next((r.text(f) for f in number_fields if r.text(f)), "") or recordno
        when = r.date(date_field, required=False)
        paid = r.date("WHENPAID", required=False) if obj is InvoiceObject.PAYMENT else None
        return InvoiceItem(
            object=obj,
            recordno=recordno,
            vendor_id=r.text(vendor_field) or None,
            number=number,
            date=when.isoformat() if when else None,
            amount=amount,
            currency=currency,
            status=r.text("STATE") or r.text("RAWSTATE"),
            deleted=False,
            entity=r.text("FINANCIALENTITY") or None,
            method=r.text("PAYMENTMETHOD") or None,
            paid_date=paid.isoformat() if paid else None,
            base_currency=r.currency("BASECURR") if r.text("BASECURR") else None,
            doc_type=r.text("DOCPARID") if obj is InvoiceObject.PURCHASE_ORDER else "",
            schedule=(r.text("SCHOPKEY") or None) if obj is InvoiceObject.BILL else None,
        )

    return mapper


def _recurring_bill(stream: str, record: Mapping[str, Any]) -> RecurringBillItem:
    r = FieldReader(stream, record, "RECORDNO")
    recordno = r.key_text("RECORDNO")
    if r.deleted:
        return RecurringBillItem(
            recordno, None, "", None, None, None, "", 0, None, "", "", deleted=True
        )
    amount = r.money("TRX_TOTALENTERED", required=False)
    currency = r.currency("CURRENCY", fallback=r.text("BASECURR"))
    if amount is None:
        amount = r.money("TOTALENTERED", required=False)
        currency = r.currency("BASECURR", fallback=currency)
    interval = r.key_text("REPEATINTERVAL", required=False) or "1"
    if not interval.isdigit() or not 0 < int(interval) <= 1000:
        raise r.fail(f"field REPEATINTERVAL is not a whole number from 1 to 1000: {interval!r}")

    def iso(field: str) -> str | None:
        when = r.date(field, required=False)
        return when.isoformat() if when else None

    return RecurringBillItem(
        recordno=recordno,
        vendor_id=r.text("VENDORID") or None,
        description=r.text("DESCRIPTION"),
        start_date=iso("STARTDATE"),
        end_date=iso("ENDDATE"),
        next_date=iso("NEXTEXECDATE"),
        repeat_by=r.text("REPEATBY"),
        repeat_interval=int(interval),
        amount=amount,
        currency=currency,
        status=r.text("STATUS").lower(),
        deleted=False,
        schedule=r.text("SCHOPKEY") or None,
    )


def _rate_table(stream: str, record: Mapping[str, Any]) -> RateTableItem:
    r = FieldReader(stream, record, "RECORDNO")
    recordno = r.key_text("RECORDNO")
    if r.deleted:
        return RateTableItem(recordno, "", "", "", deleted=True)
    return RateTableItem(
        recordno=recordno,
        type_name=r.text("TYPENAME"),
        from_currency=r.currency("FROM_CURRENCY"),
        to_currency=r.currency("TO_CURRENCY"),
        deleted=False,
    )


def _rate_entry(stream: str, record: Mapping[str, Any]) -> RateEntryItem:
    r = FieldReader(stream, record, "RECORDNO")
    recordno = r.key_text("RECORDNO")
    if r.deleted:
        return RateEntryItem(recordno, "", "", None, None, deleted=True)
    # Intacct calls the rate EXCHANGE_RATE in EXCHANGERATEENTRY; RATE is accepted as well.
    rate_field = "EXCHANGE_RATE" if record.get("EXCHANGE_RATE") not in (None, "") else "RATE"
    rate, reciprocal = r.rate(rate_field), r.rate("RECIPROCAL_RATE")
    if rate is None and reciprocal is None:
        raise r.fail("field EXCHANGE_RATE (or RECIPROCAL_RATE) is missing")
    effective = r.date("EFFECTIVE_START_DATE")
    assert effective is not None  # noqa: S101 - required=True above
    return RateEntryItem(
        recordno=recordno,
        table_recordno=r.key_text("EXCHANGERATEKEY"),
        effective_date=effective.isoformat(),
        rate=rate,
        reciprocal=reciprocal,
        deleted=False,
    )


_MAPPERS: dict[str, Any] = {
    VENDOR_STREAM: _vendor,
    DEPARTMENT_STREAM: _department,
    CARD_HEADER_STREAM: _spend_header(SpendKind.CARD),
    CARD_LINE_STREAM: _spend_line(SpendKind.CARD),
    EXPENSE_HEADER_STREAM: _spend_header(SpendKind.EXPENSE),
    EXPENSE_LINE_STREAM: _spend_line(SpendKind.EXPENSE),
    REIMBURSEMENT_STREAM: _reimbursement,
    BILL_STREAM: _invoice(InvoiceObject.BILL),
    PAYMENT_STREAM: _invoice(InvoiceObject.PAYMENT),
    PURCHASE_ORDER_STREAM: _invoice(InvoiceObject.PURCHASE_ORDER),
    BILL_LINE_STREAM: _bill_line,
    PAYMENT_LINE_STREAM: _payment_line,
    JOURNAL_HEADER_STREAM: _journal_batch,
    JOURNAL_LINE_STREAM: _journal_line,
    RATE_TABLE_STREAM: _rate_table,
    RATE_ENTRY_STREAM: _rate_entry,
    RECURRING_BILL_STREAM: _recurring_bill,
    EMPLOYEE_STREAM: _employee,
}


def slug(text: str) -> str:
    """A stable, readable id fragment: `Atlassian Pty Ltd` -> `atlassian-pty-ltd`, `サイボウズ株式会社`
    -> `サイボウズ`.

    A name with an ASCII letter or digit keeps the slug of its ASCII letters and digits (the IDs of
    existing Provider fact sheets); any other name gets `name_slug`, which keeps letters of every
    script, so names without Latin letters no longer share one fragment."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return cleaned or name_slug(text)

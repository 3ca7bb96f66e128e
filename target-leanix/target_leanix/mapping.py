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
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from target_leanix.recognition.normalize import name_slug

DELETED_AT = "_sdc_deleted_at"


class BadRecordError(ValueError):
    """A record the target cannot use; the message names the stream, the record and the field."""

    def __init__(self, stream: str, record_key: str, problem: str) -> None:
        super().__init__(f"stream {stream!r} record {record_key}: {problem}")
        self.stream = stream
        self.record_key = record_key
        self.problem = problem


class SpendKind(Enum):
    """The spend sources; each has a header stream and a line stream."""

    CARD = "card"
    EXPENSE = "expense"


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
    month: str  # YYYY-MM of ENTRY_DATE
    deleted: bool


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


Item = (
    VendorItem
    | DepartmentItem
    | SpendHeaderItem
    | SpendLineItem
    | ReimbursementItem
    | InvoiceItem
    | VendorAccountItem
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
        EMPLOYEE_STREAM,
    }
)
# The order the target writes a drained batch of each stream in: what others refer to first.
DRAIN_ORDER = {
    stream: index
    for index, stream in enumerate(
        (
            VENDOR_STREAM,
            DEPARTMENT_STREAM,
            EMPLOYEE_STREAM,
            BILL_LINE_STREAM,
            CARD_HEADER_STREAM,
            EXPENSE_HEADER_STREAM,
            REIMBURSEMENT_STREAM,
            CARD_LINE_STREAM,
            EXPENSE_LINE_STREAM,
            BILL_STREAM,
            PAYMENT_STREAM,
            PURCHASE_ORDER_STREAM,
        )
    )
}
# Streams of the tap that carry nothing the LeanIX model needs: accepted silently.
IGNORED_TAP_STREAMS = frozenset(
    {
        "location",
        "gl_account",
        "ap_payment_detail",
        "po_document_entry",
        "ap_recurring_bill",
        "audit_history",
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
        "EMPLOYEEID",
        "PERSONALINFO.EMAIL1",
        "PERSONALINFO.CONTACTNAME",
    }
)

_CURRENCY = re.compile(r"^[A-Z]{3}$")
# One `@`, no spaces, a dot in the domain: a plausible address, checked without backtracking.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")
MAX_EMAIL_CHARS = 254

# Bounds of an amount. Within them the ledger's sums stay exact in Decimal's default 28 digits (with
# 10,000 maximal amounts to spare), and no arithmetic meets a hostile exponent such as 1E1000000 (an
# Overflow) or -1e-1000000 (a million digits of text).
MAX_AMOUNT_INTEGER_DIGITS = 18
MAX_AMOUNT_DECIMAL_PLACES = 6
_SMALLEST_AMOUNT = Decimal(1).scaleb(-MAX_AMOUNT_DECIMAL_PLACES)
# A Decimal key beyond this many digits stays text: int() of Decimal("1E1000000") takes a minute.
_MAX_KEY_DIGITS = 40
# A bad value is quoted in its one-line error only this far (it can be megabytes long).
_SHOWN_CHARS = 60


def clipped(text: str) -> str:
    """`text` cut to a length an error line can quote, saying how long it was."""
    if len(text) <= _SHOWN_CHARS:
        return text
    return f"{text[:_SHOWN_CHARS]}... ({len(text)} characters)"


class _Reader:
    """Typed access to one record, raising BadRecordError that names the stream, key and field."""

    # The fast paths below (exact str, int and Decimal) give what the general path would; they
    # exist because every spend line reads about a dozen fields through here.

    def __init__(self, stream: str, record: Mapping[str, Any], key_field: str) -> None:
        self.stream = stream
        self.record = record
        self.key_field = key_field
        self.deleted = record.get(DELETED_AT) not in (None, "")

    @property
    def key(self) -> str:
        raw_key = self.record.get(self.key_field)
        if raw_key in (None, ""):
            return f"{self.key_field}=<missing>"
        return f"{self.key_field}={clipped(str(raw_key))}"

    def fail(self, problem: str) -> BadRecordError:
        return BadRecordError(self.stream, self.key, problem)

    def text(self, field: str, *, required: bool = False) -> str:
        value = self.record.get(field)
        if type(value) is str and value:
            return value.strip()
        if value is None or value == "":
            if required:
                raise self.fail(f"field {field} is missing")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise self.fail(f"field {field} should be text, got {type(value).__name__}")
        return str(value).strip()

    def key_text(self, field: str, *, required: bool = True) -> str:
        """A key (RECORDNO, VENDORID...): text or integer; Intacct renders both as text."""
        value = self.record.get(field)
        if type(value) is int:
            return str(value)
        if (
            isinstance(value, Decimal)
            and value.is_finite()
            and value.adjusted() < _MAX_KEY_DIGITS
            and value == value.to_integral_value()
        ):
            return str(int(value))
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return self.text(field, required=required)

    def money(self, field: str, *, required: bool = True) -> Decimal | None:
        value = self.record.get(field)
        if type(value) is Decimal and value.is_finite():
            return self._bounded(field, value)
        if value is None or value == "":
            if required:
                raise self.fail(f"amount {field} is missing")
            return None
        if isinstance(value, bool):
            raise self.fail(f"amount {field} is not a number: {value!r}")
        if isinstance(value, float):
            # JSON readers in singer-sdk give Decimal; a float here already lost digits upstream.
            value = repr(value)
        try:
            amount = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise self.fail(f"amount {field} is not a number: {clipped(repr(value))}") from None
        if not amount.is_finite():
            raise self.fail(f"amount {field} is not a finite number: {clipped(repr(value))}")
        return self._bounded(field, amount)

    def _bounded(self, field: str, amount: Decimal) -> Decimal:
        """A finite amount within the amount bounds (decimal places past them must be zeros, and are
        dropped), else a bad record. No arithmetic before the magnitude is known to be bounded."""
        if amount.adjusted() >= MAX_AMOUNT_INTEGER_DIGITS:
            raise self.fail(
                f"amount {field} is out of range (more than {MAX_AMOUNT_INTEGER_DIGITS} digits "
                f"before the decimal point): {clipped(str(amount))}"
            )
        exponent = amount.as_tuple().exponent  # an int: the amount is finite
        if isinstance(exponent, int) and exponent < -MAX_AMOUNT_DECIMAL_PLACES:
            rounded = amount.quantize(_SMALLEST_AMOUNT)  # at most 24 digits: exact and quick
            if rounded != amount:
                raise self.fail(
                    f"amount {field} has more than {MAX_AMOUNT_DECIMAL_PLACES} decimal places: "
                    f"{clipped(str(amount))}"
                )
            return rounded
        return amount

    def currency(self, field: str, *, fallback: str = "") -> str:
        code = self.text(field).upper() or fallback.upper()
        if not code:
            raise self.fail(f"currency {field} is missing")
        if not _CURRENCY.match(code):
            raise self.fail(f"currency {field} is not an ISO code: {clipped(repr(code))}")
        return code

    def date(self, field: str, *, required: bool = True) -> dt.date | None:
        value = self.record.get(field)
        if value is None or value == "":
            if required:
                raise self.fail(f"date {field} is missing")
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            text = value.strip()
            for parse in (_iso_date, _us_date):
                parsed = parse(text)
                if parsed is not None:
                    return parsed
        raise self.fail(f"date {field} is not a date: {clipped(repr(value))}")


def _iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _us_date(text: str) -> dt.date | None:
    # Intacct renders DATE as MM/DD/YYYY (https://developer.intacct.com/web-services/queries/); the
    # tap normally converts, but be lenient.
    try:
        return dt.datetime.strptime(text[:10], "%m/%d/%Y").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        return None


def to_item(stream: str, record: Mapping[str, Any]) -> Item | None:
    """Map one record of a used stream to its domain item (None for a stream the target ignores)."""
    mapper = _MAPPERS.get(stream)
    return mapper(stream, record) if mapper else None


def _vendor(stream: str, record: Mapping[str, Any]) -> VendorItem:
    r = _Reader(stream, record, "VENDORID" if record.get("VENDORID") else "RECORDNO")
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
    r = _Reader(stream, record, "DEPARTMENTID" if record.get("DEPARTMENTID") else "RECORDNO")
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
    r = _Reader(stream, record, "RECORDNO")
    if r.deleted:
        employee_id = r.key_text("EMPLOYEEID", required=False)
        recordno = r.key_text("RECORDNO", required=not employee_id)
        return EmployeeItem(employee_id, recordno, "", "", deleted=True)
    email = r.text("PERSONALINFO.EMAIL1")
    # An address that is not one is no address: the target never writes what it cannot vouch for.
    # An inactive employee (left the company) is nobody's owner any more.
    if (
        len(email) > MAX_EMAIL_CHARS
        or not _EMAIL.match(email)
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
        r = _Reader(stream, record, "RECORDNO")
        recordno = r.key_text("RECORDNO")
        if r.deleted:
            return SpendHeaderItem(kind, recordno, "", "", deleted=True)
        descriptor = r.text("DESCRIPTION") or r.text("PAYEE")
        if kind is SpendKind.CARD and not descriptor:
            raise r.fail("field DESCRIPTION (the merchant descriptor) is missing")
        buyer = r.text("EMPLOYEEID") if kind is SpendKind.EXPENSE else ""
        return SpendHeaderItem(
            kind, recordno, descriptor, r.text("STATE"), deleted=False, buyer=buyer
        )

    return mapper


def _spend_line(kind: SpendKind) -> Any:  # noqa: ANN401 - a mapper closure
    def mapper(stream: str, record: Mapping[str, Any]) -> SpendLineItem:
        r = _Reader(stream, record, "RECORDNO")
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
        )

    return mapper


def _reimbursement(stream: str, record: Mapping[str, Any]) -> ReimbursementItem:
    r = _Reader(stream, record, "RECORDNO")
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


def _vendor_account(stream: str, record: Mapping[str, Any]) -> VendorAccountItem:
    r = _Reader(stream, record, "RECORDNO")
    recordno = r.key_text("RECORDNO")
    if r.deleted:
        return VendorAccountItem(recordno, None, None, deleted=True)
    return VendorAccountItem(
        recordno=recordno,
        vendor_id=r.text("VENDORID") or None,
        accountno=r.key_text("ACCOUNTNO", required=False) or None,
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
        r = _Reader(stream, record, "RECORDNO")
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
        )

    return mapper


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
    BILL_LINE_STREAM: _vendor_account,
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

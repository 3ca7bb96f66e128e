"""Builders for ledger tests (items as the mapping produces them)."""

from decimal import Decimal

from target_leanix.ledger import Entry, ServiceInfo
from target_leanix.mapping import (
    DepartmentItem,
    InvoiceItem,
    InvoiceObject,
    ReimbursementItem,
    SpendHeaderItem,
    SpendKind,
    SpendLineItem,
    VendorItem,
)

JIRA = ServiceInfo("jira", "Jira", "Project Management", "Atlassian")
ZOOM = ServiceInfo("zoom", "Zoom", "Video Conferencing", "Zoom Video Communications")
SLACK = ServiceInfo("slack", "Slack", "Collaboration", "Salesforce")


def vendor(vendor_id, name, service=None, deleted=False):
    return Entry(
        VendorItem(vendor_id, "1" + vendor_id[-2:], name, "active", None, None, deleted), service
    )


def department(department_id, title="", deleted=False):
    return Entry(DepartmentItem(department_id, "9", title or department_id, None, deleted))


def card(recordno, descriptor, service, state="Posted", deleted=False):
    return Entry(SpendHeaderItem(SpendKind.CARD, recordno, descriptor, state, deleted), service)


def card_line(
    recordno,
    header,
    amount,
    *,
    dept="ENG",
    month="2025-03",
    currency="USD",
    base=None,
    base_currency=None,
    vendor_id=None,
    deleted=False,
):
    return Entry(
        SpendLineItem(
            SpendKind.CARD,
            recordno,
            header,
            dept,
            vendor_id,
            "memo",
            Decimal(amount),
            currency,
            Decimal(base if base is not None else amount),
            base_currency or currency,
            month,
            deleted,
        )
    )


def report(recordno, state="Submitted", deleted=False):
    return Entry(SpendHeaderItem(SpendKind.EXPENSE, recordno, "Expenses", state, deleted))


def expense_line(
    recordno, header, amount, text, service, *, dept="OPS", month="2025-02", currency="USD"
):
    return Entry(
        SpendLineItem(
            SpendKind.EXPENSE,
            recordno,
            header,
            dept,
            None,
            text,
            Decimal(amount),
            currency,
            Decimal(amount),
            currency,
            month,
            False,
        ),
        service,
    )


def reimbursement(recordno, report_recordno, state="Paid", deleted=False):
    return Entry(ReimbursementItem(recordno, report_recordno, state, Decimal("1"), "USD", deleted))


def bill(recordno, vendor_id, amount, deleted=False):
    return Entry(
        InvoiceItem(
            InvoiceObject.BILL,
            recordno,
            vendor_id,
            f"B-{recordno}",
            "2025-03-01",
            Decimal(amount),
            "USD",
            "Posted",
            deleted,
        )
    )


# -- the books: bills, AP payments, GL journals (as the mapping produces them) ----------------------


def ap_bill(recordno, vendor_id, *, date="2025-03-01", state="Posted", deleted=False):
    """An APBILL: a document, and the header of its lines' invoice spend."""
    return Entry(
        InvoiceItem(
            InvoiceObject.BILL,
            recordno,
            vendor_id,
            f"INV-{recordno}",
            date,
            Decimal(0),
            "USD",
            state,
            deleted,
            base_currency="USD",
        )
    )


def bill_line(
    recordno,
    bill_recordno,
    amount,
    *,
    vendor_id=None,
    dept="ENG",
    account="6250",
    currency="USD",
    period=None,
    deleted=False,
):
    """An APBILLITEM; `period` is (start, end) ISO dates of its own service period."""
    start, end = period or (None, None)
    return Entry(
        SpendLineItem(
            SpendKind.BILL,
            recordno,
            bill_recordno,
            dept,
            vendor_id,
            "",
            Decimal(amount),
            currency,
            Decimal(amount),
            "USD",
            "",
            deleted,
            accountno=account,
            period_start=start,
            period_end=end,
        )
    )


def ap_payment(
    recordno,
    vendor_id,
    *,
    paid="2025-04-10",
    state="Complete",
    method="ACH",
    entity="BOA-1",
    number=None,
    deleted=False,
):
    """An APPYMT: a document, and the header of its details' payment spend (cash basis)."""
    return Entry(
        InvoiceItem(
            InvoiceObject.PAYMENT,
            recordno,
            vendor_id,
            number or f"PAY-{recordno}",
            "2025-04-01",
            Decimal(0),
            "USD",
            state,
            deleted,
            entity=entity,
            method=method,
            paid_date=paid,
            base_currency="USD",
        )
    )


def payment_line(recordno, payment, amount, *, bill=None, line=None, deleted=False):
    """An APPYMTDETAIL: `amount` of payment `payment` applied to bill `bill` (line `line`)."""
    return Entry(
        SpendLineItem(
            SpendKind.PAYMENT,
            recordno,
            payment,
            None,
            None,
            "",
            Decimal(amount),
            "USD",
            Decimal(amount),
            "USD",
            "",
            deleted,
            paid_header=bill,
            paid_line=line,
        )
    )


def card_tx(recordno, descriptor, service, *, entity="AMEX-1", number=None, state="Posted"):
    """A CCTRANSACTION with its card account (FINANCIALENTITY) and RECORDID."""
    return Entry(
        SpendHeaderItem(
            SpendKind.CARD,
            recordno,
            descriptor,
            state,
            False,
            entity=entity,
            document=number or f"CC-{recordno}",
        ),
        service,
    )


def gl_batch(recordno, *, module="2.GL", state="Posted", date="2025-05-31", deleted=False):
    return Entry(
        SpendHeaderItem(SpendKind.JOURNAL, recordno, "GJ", state, deleted, module=module, date=date)
    )


def gl_line(recordno, batch, amount, text, service, *, account="6250", dept="ENG", month="2025-05"):
    """A GLENTRY as mapped: `amount` already signed by TR_TYPE."""
    return Entry(
        SpendLineItem(
            SpendKind.JOURNAL,
            recordno,
            batch,
            dept,
            None,
            text,
            Decimal(amount),
            "USD",
            Decimal(amount),
            "USD",
            month,
            False,
            accountno=account,
        ),
        service,
    )

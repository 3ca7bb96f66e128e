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

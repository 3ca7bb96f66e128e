"""Singer records -> domain items: field names, exact money, deletes, bad records named precisely."""

import datetime as dt
from decimal import Decimal

import pytest

from target_leanix.mapping import (
    InvoiceObject,
    SpendKind,
    slug,
    to_item,
)
from target_leanix.record_fields import BadRecordError


def test_card_line_keeps_both_amounts_exact_and_the_month():
    item = to_item(
        "cc_transaction_entry",
        {
            "RECORDNO": 901,
            "RECORDKEY": "77",
            "DEPARTMENTID": "ENG",
            "AMOUNT": Decimal("108.70"),
            "TRX_AMOUNT": "100.10",
            "CURRENCY": "EUR",
            "BASECURR": "USD",
            "ENTRY_DATE": dt.date(2025, 3, 31),
        },
    )
    assert item is not None
    assert item.kind is SpendKind.CARD
    assert item.recordno == "901"
    assert item.header_recordno == "77"
    assert item.amount == Decimal("100.10")
    assert item.base_amount == Decimal("108.70")
    assert (item.currency, item.base_currency, item.month) == ("EUR", "USD", "2025-03")
    assert item.deleted is False


def test_line_without_trx_amount_in_base_currency_uses_amount():
    item = to_item(
        "expense_report_item",
        {
            "RECORDNO": "5",
            "RECORDKEY": "2",
            "AMOUNT": "12.10",
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "ENTRY_DATE": "2025-01-02",
            "DESCRIPTION": "Zoom Pro monthly",
        },
    )
    assert item is not None
    assert item.kind is SpendKind.EXPENSE
    assert item.amount == Decimal("12.10")
    assert item.description == "Zoom Pro monthly"


def test_deleted_record_needs_only_its_key():
    item = to_item("cc_transaction", {"RECORDNO": 77, "_sdc_deleted_at": "2025-05-01T00:00:00Z"})
    assert item is not None
    assert item.deleted is True
    assert item.recordno == "77"


def test_vendor_delete_by_natural_id():
    item = to_item("vendor", {"VENDORID": "V-1", "_sdc_deleted_at": "2025-05-01T00:00:00Z"})
    assert item is not None
    assert item.deleted
    assert item.vendor_id == "V-1"


def test_invoice_from_bill_uses_transaction_currency():
    item = to_item(
        "ap_bill",
        {
            "RECORDNO": "4711",
            "RECORDID": "B-2025-001",
            "VENDORID": "V-00012",
            "WHENCREATED": "03/01/2025",
            "CURRENCY": "EUR",
            "BASECURR": "USD",
            "TRX_TOTALENTERED": "1000.00",
            "TOTALENTERED": "1087.00",
            "STATE": "Posted",
        },
    )
    assert item is not None
    assert item.object is InvoiceObject.BILL
    assert (item.number, item.date, item.amount, item.currency) == (
        "B-2025-001",
        "2025-03-01",
        Decimal("1000.00"),
        "EUR",
    )


def test_po_document_fields():
    item = to_item(
        "po_document",
        {
            "RECORDNO": "42",
            "DOCID": "Purchase Order-PO-00042",
            "CUSTVENDID": "V-1",
            "WHENCREATED": "2025-02-03",
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "TRX_TOTAL": "5900",
            "STATE": "Pending",
        },
    )
    assert item is not None
    assert item.vendor_id == "V-1"
    assert item.amount == Decimal("5900")


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        (
            {
                "RECORDNO": "1",
                "RECORDKEY": "2",
                "AMOUNT": "ten",
                "CURRENCY": "USD",
                "ENTRY_DATE": "2025-01-01",
            },
            "amount AMOUNT is not a number: 'ten'",
        ),
        (
            {
                "RECORDNO": "1",
                "RECORDKEY": "2",
                "AMOUNT": True,
                "CURRENCY": "USD",
                "ENTRY_DATE": "2025-01-01",
            },
            "amount AMOUNT is not a number",
        ),
        (
            {"RECORDNO": "1", "AMOUNT": "1", "CURRENCY": "USD", "ENTRY_DATE": "2025-01-01"},
            "field RECORDKEY is missing",
        ),
        (
            {"RECORDKEY": "2", "AMOUNT": "1", "CURRENCY": "USD", "ENTRY_DATE": "2025-01-01"},
            "field RECORDNO is missing",
        ),
        (
            {
                "RECORDNO": "1",
                "RECORDKEY": "2",
                "AMOUNT": "1",
                "CURRENCY": "US",
                "ENTRY_DATE": "2025-01-01",
            },
            "not an ISO code",
        ),
        (
            {
                "RECORDNO": "1",
                "RECORDKEY": "2",
                "AMOUNT": "1",
                "CURRENCY": "USD",
                "ENTRY_DATE": "soon",
            },
            "date ENTRY_DATE is not a date",
        ),
    ],
)
def test_bad_line_names_stream_record_and_field(record, problem):
    with pytest.raises(BadRecordError) as caught:
        to_item("cc_transaction_entry", record)
    message = str(caught.value)
    assert message.startswith("stream 'cc_transaction_entry' record RECORDNO=")
    assert problem in message


def test_card_header_without_descriptor_is_bad():
    with pytest.raises(BadRecordError, match="DESCRIPTION"):
        to_item("cc_transaction", {"RECORDNO": "1", "STATE": "Posted"})


def test_unused_stream_maps_to_nothing():
    assert to_item("gl_account", {"RECORDNO": "1"}) is None


def test_slug():
    assert slug("Atlassian Pty Ltd.") == "atlassian-pty-ltd"
    assert slug("サイボウズ株式会社") == "サイボウズ"
    assert slug("***") == "-%2A%2A%2A"  # no letter: its own fragment, never another name's


def test_decoded_values_map_as_their_text_would():
    """The reader hands over int keys, Decimal amounts and padded strings; each maps exactly as the
    same record in text form does (the mapper's fast paths must not change a digit or a key)."""
    decoded = {
        "RECORDNO": 300000001,
        "RECORDKEY": 100000001,
        "DEPARTMENTID": " ENG ",
        "DESCRIPTION": "  ZOOM.US 888-799-9666 CA ",
        "AMOUNT": Decimal("108.70"),
        "TRX_AMOUNT": Decimal("-0.10"),
        "CURRENCY": " eur",
        "BASECURR": "USD",
        "ENTRY_DATE": dt.date(2025, 3, 31),
    }
    as_text = {
        **decoded,
        "RECORDNO": "300000001",
        "RECORDKEY": "100000001",
        "AMOUNT": "108.70",
        "TRX_AMOUNT": "-0.10",
    }
    fast, general = to_item("expense_report_item", decoded), to_item("expense_report_item", as_text)
    assert fast == general
    assert fast is not None
    assert (str(fast.amount), str(fast.base_amount)) == ("-0.10", "108.70")
    assert (fast.recordno, fast.header_recordno, fast.department_id) == (
        "300000001",
        "100000001",
        "ENG",
    )
    assert (fast.currency, fast.description) == ("EUR", "ZOOM.US 888-799-9666 CA")


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), Decimal("-sNaN")])
def test_a_decoded_amount_that_is_no_finite_number_is_bad_and_named(amount):
    record = {
        "RECORDNO": 7,
        "RECORDKEY": 8,
        "AMOUNT": amount,
        "CURRENCY": "USD",
        "ENTRY_DATE": dt.date(2025, 1, 1),
    }
    with pytest.raises(BadRecordError) as caught:
        to_item("cc_transaction_entry", record)
    message = str(caught.value)
    assert message.startswith("stream 'cc_transaction_entry' record RECORDNO=7: amount AMOUNT")
    assert "finite" in message

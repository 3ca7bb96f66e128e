"""Writes intacct_initial.singer and intacct_changes.singer: hand-made Singer messages in the shape of
tap-sage-intacct's output (Intacct field names, the tap's JSON types, `_sdc_deleted_at` tombstones).

Run `python target-leanix/tests/data/make_intacct_singer.py` after changing it; the tests read the files.
"""

import json
from pathlib import Path

HERE = Path(__file__).parent

TEXT = {"type": ["string", "null"]}
INT = {"type": ["integer", "null"]}
NUM = {"type": ["number", "null"]}
DATE = {"type": ["string", "null"], "format": "date"}
STAMP = {"type": ["string", "null"], "format": "date-time"}

COMMON = {"RECORDNO": INT, "WHENMODIFIED": STAMP, "MEGAENTITYID": TEXT, "_sdc_deleted_at": STAMP}
SCHEMAS = {
    "vendor": {
        "VENDORID": TEXT,
        "NAME": TEXT,
        "STATUS": TEXT,
        "VENDTYPE": TEXT,
        "CURRENCY": TEXT,
        "TOTALDUE": NUM,
        "DISPLAYCONTACT.URL1": TEXT,
        "SAAS_CATEGORY": TEXT,
        "WHENCREATED": STAMP,
    },
    "department": {
        "DEPARTMENTID": TEXT,
        "TITLE": TEXT,
        "PARENTID": TEXT,
        "STATUS": TEXT,
        "WHENCREATED": STAMP,
    },
    "gl_account": {"ACCOUNTNO": TEXT, "TITLE": TEXT, "ACCOUNTTYPE": TEXT},
    "cc_transaction": {
        "RECORDID": TEXT,
        "FINANCIALENTITY": TEXT,
        "DESCRIPTION": TEXT,
        "PAYEE": TEXT,
        "STATE": TEXT,
        "WHENCREATED": DATE,
        "CURRENCY": TEXT,
        "BASECURR": TEXT,
        "EXCHANGE_RATE": NUM,
        "TOTALENTERED": NUM,
        "TRX_TOTALENTERED": NUM,
    },
    "cc_transaction_entry": {
        "RECORDKEY": INT,
        "LINE_NO": INT,
        "ACCOUNTNO": TEXT,
        "DEPARTMENTID": TEXT,
        "LOCATIONID": TEXT,
        "DESCRIPTION": TEXT,
        "VENDORID": TEXT,
        "AMOUNT": NUM,
        "TRX_AMOUNT": NUM,
        "CURRENCY": TEXT,
        "BASECURR": TEXT,
        "EXCHANGE_RATE": NUM,
        "ENTRY_DATE": DATE,
    },
    "expense_report": {
        "RECORDID": TEXT,
        "EMPLOYEEID": TEXT,
        "DESCRIPTION": TEXT,
        "STATE": TEXT,
        "WHENCREATED": DATE,
        "CURRENCY": TEXT,
        "BASECURR": TEXT,
        "TOTALENTERED": NUM,
        "TRX_TOTALENTERED": NUM,
    },
    "expense_report_item": {
        "RECORDKEY": INT,
        "LINE_NO": INT,
        "EXPENSETYPE": TEXT,
        "ACCOUNTNO": TEXT,
        "DEPARTMENTID": TEXT,
        "DESCRIPTION": TEXT,
        "VENDORID": TEXT,
        "AMOUNT": NUM,
        "TRX_AMOUNT": NUM,
        "CURRENCY": TEXT,
        "BASECURR": TEXT,
        "EXCHANGE_RATE": NUM,
        "ENTRY_DATE": DATE,
    },
    "employee_payment": {
        "EMPLOYEEID": TEXT,
        "STATE": TEXT,
        "WHENCREATED": DATE,
        "CURRENCY": TEXT,
        "BASECURR": TEXT,
        "TOTALENTERED": NUM,
        "TRX_TOTALENTERED": NUM,
        "RECORDKEY": INT,
        "DESCRIPTION": TEXT,
    },
    "ap_bill": {
        "RECORDID": TEXT,
        "VENDORID": TEXT,
        "VENDORNAME": TEXT,
        "STATE": TEXT,
        "WHENCREATED": DATE,
        "WHENDUE": DATE,
        "CURRENCY": TEXT,
        "BASECURR": TEXT,
        "EXCHANGE_RATE": NUM,
        "TOTALENTERED": NUM,
        "TRX_TOTALENTERED": NUM,
        "SAAS_CONTRACT_ID": TEXT,
    },
    "ap_payment": {
        "DOCNUMBER": TEXT,
        "VENDORID": TEXT,
        "VENDORNAME": TEXT,
        "PAYMENTMETHOD": TEXT,
        "STATE": TEXT,
        "WHENCREATED": DATE,
        "CURRENCY": TEXT,
        "BASECURR": TEXT,
        "TOTALENTERED": NUM,
        "TRX_TOTALENTERED": NUM,
    },
    "ap_bill_item": {
        "RECORDKEY": INT,
        "LINE_NO": INT,
        "ACCOUNTNO": TEXT,
        "ACCOUNTTITLE": TEXT,
        "DEPARTMENTID": TEXT,
        "VENDORID": TEXT,
        "AMOUNT": NUM,
        "TRX_AMOUNT": NUM,
        "CURRENCY": TEXT,
        "ENTRY_DATE": DATE,
    },
    "po_document": {
        "DOCNO": TEXT,
        "DOCID": TEXT,
        "DOCPARID": TEXT,
        "STATE": TEXT,
        "CUSTVENDID": TEXT,
        "CUSTVENDNAME": TEXT,
        "WHENCREATED": DATE,
        "CURRENCY": TEXT,
        "BASECURR": TEXT,
        "TOTAL": NUM,
        "TRX_TOTAL": NUM,
    },
    "ap_recurring_bill": {
        "VENDORID": TEXT,
        "VENDORNAME": TEXT,
        "DESCRIPTION": TEXT,
        "STARTDATE": DATE,
        "ENDDATE": DATE,
        "REPEATBY": TEXT,
        "REPEATINTERVAL": INT,
        "NEXTEXECDATE": DATE,
        "CURRENCY": TEXT,
        "TOTALENTERED": NUM,
        "TRX_TOTALENTERED": NUM,
        "STATUS": TEXT,
    },
    # Intacct's exchange-rate tables (https://developer.intacct.com/api/company-console/exchange-rates/).
    "exchange_rate": {"TYPENAME": TEXT, "FROM_CURRENCY": TEXT, "TO_CURRENCY": TEXT},
    "exchange_rate_entry": {
        "EXCHANGERATEKEY": INT,
        "EFFECTIVE_START_DATE": DATE,
        "EXCHANGE_RATE": NUM,
        "RECIPROCAL_RATE": NUM,
    },
}
STAMP_1 = "2025-06-01T08:00:00+00:00"
STAMP_2 = "2025-06-02T08:00:00+00:00"


def schema(stream):
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": {**COMMON, **SCHEMAS[stream]}},
        "key_properties": ["RECORDNO"],
    }


def record(stream, values, stamp=STAMP_1):
    row = {"WHENMODIFIED": stamp, "MEGAENTITYID": "US01", **values}
    return {"type": "RECORD", "stream": stream, "record": row, "time_extracted": stamp}


def tombstone(stream, recordno, stamp=STAMP_2, **keys):
    return {
        "type": "RECORD",
        "stream": stream,
        "record": {"RECORDNO": recordno, **keys, "_sdc_deleted_at": stamp},
    }


def card(recordno, descriptor, *, state="Posted", currency="USD", base="USD", entity="US01"):
    return record(
        "cc_transaction",
        {
            "RECORDNO": recordno,
            "RECORDID": f"CC-{recordno}",
            "FINANCIALENTITY": "AMEX-1",
            "DESCRIPTION": descriptor,
            "PAYEE": descriptor,
            "STATE": state,
            "WHENCREATED": "2025-03-05",
            "CURRENCY": currency,
            "BASECURR": base,
            "MEGAENTITYID": entity,
        },
    )


def card_line(
    recordno,
    header,
    dept,
    trx,
    day,
    *,
    currency="USD",
    base="USD",
    amount=None,
    rate=1,
    stamp=STAMP_1,
    entity="US01",
):
    return record(
        "cc_transaction_entry",
        {
            "RECORDNO": recordno,
            "RECORDKEY": header,
            "LINE_NO": 1,
            "ACCOUNTNO": "6250",
            "DEPARTMENTID": dept,
            "LOCATIONID": "HQ",
            "DESCRIPTION": "card line",
            "VENDORID": None,
            "AMOUNT": amount if amount is not None else trx,
            "TRX_AMOUNT": trx,
            "CURRENCY": currency,
            "BASECURR": base,
            "EXCHANGE_RATE": rate,
            "ENTRY_DATE": day,
            "MEGAENTITYID": entity,
        },
        stamp,
    )


def rate_table(recordno, from_currency, to_currency, type_name="Month-End Rate"):
    return record(
        "exchange_rate",
        {
            "RECORDNO": recordno,
            "TYPENAME": type_name,
            "FROM_CURRENCY": from_currency,
            "TO_CURRENCY": to_currency,
        },
    )


def rate_entry(recordno, table, effective, rate, reciprocal=None):
    return record(
        "exchange_rate_entry",
        {
            "RECORDNO": recordno,
            "EXCHANGERATEKEY": table,
            "EFFECTIVE_START_DATE": effective,
            "EXCHANGE_RATE": rate,
            "RECIPROCAL_RATE": reciprocal,
        },
    )


def expense_line(recordno, header, dept, amount, text, *, day):
    return record(
        "expense_report_item",
        {
            "RECORDNO": recordno,
            "RECORDKEY": header,
            "LINE_NO": 1,
            "EXPENSETYPE": "Software",
            "ACCOUNTNO": "6250",
            "DEPARTMENTID": dept,
            "DESCRIPTION": text,
            "VENDORID": None,
            "AMOUNT": amount,
            "TRX_AMOUNT": amount,
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "EXCHANGE_RATE": 1,
            "ENTRY_DATE": day,
        },
    )


def bill(recordno, vendor_id, name, amount, *, stamp=STAMP_1):
    return record(
        "ap_bill",
        {
            "RECORDNO": recordno,
            "RECORDID": f"INV-{recordno}",
            "VENDORID": vendor_id,
            "VENDORNAME": name,
            "STATE": "Posted",
            "WHENCREATED": "2025-03-01",
            "WHENDUE": "2025-03-31",
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "EXCHANGE_RATE": 1,
            "TOTALENTERED": amount,
            "TRX_TOTALENTERED": amount,
            "SAAS_CONTRACT_ID": f"C-{recordno}",
        },
        stamp,
    )


def initial():
    yield from (schema(s) for s in SCHEMAS)
    for n, (dept, title) in enumerate(
        [("ENG", "Engineering"), ("SALES", "Sales"), ("OPS", "Operations"), ("FIN", "Finance")],
        start=1,
    ):
        yield record(
            "department",
            {
                "RECORDNO": n,
                "DEPARTMENTID": dept,
                "TITLE": title,
                "PARENTID": None,
                "STATUS": "active",
                "WHENCREATED": STAMP_1,
                "MEGAENTITYID": None,
            },
        )
    for n, (vendor_id, name, url) in enumerate(
        [
            ("V-00001", "Slack Technologies, LLC", "https://slack.com"),
            ("V-00002", "Atlassian Pty Ltd", "https://www.atlassian.com"),
            ("V-00003", "Office Depot", "https://www.officedepot.com"),
            ("V-00004", "Figma, Inc.", "https://figma.com"),
            # Not in the catalog: its bill lines post to software account 6250, so with the test's
            # recognition rule software_gl_accounts=["6250"] it becomes a candidate service.
            ("V-00005", "Acme Analytics GmbH", "https://acme-analytics.example"),
        ],
        start=1,
    ):
        yield record(
            "vendor",
            {
                "RECORDNO": n,
                "VENDORID": vendor_id,
                "NAME": name,
                "STATUS": "active",
                "VENDTYPE": "Supplier",
                "CURRENCY": "USD",
                "TOTALDUE": 0,
                "DISPLAYCONTACT.URL1": url,
                "SAAS_CATEGORY": None,
                "WHENCREATED": STAMP_1,
                "MEGAENTITYID": None,
            },
        )
    yield record(
        "gl_account",
        {
            "RECORDNO": 1,
            "ACCOUNTNO": "6250",
            "TITLE": "Software Subscriptions",
            "ACCOUNTTYPE": "incomestatement",
            "MEGAENTITYID": None,
        },
    )
    # Lines before their header, as a tap may emit them: the ledger must wait for the header.
    yield card_line(1001, 101, "ENG", 100.10, "2025-03-05")
    yield card_line(1002, 101, "OPS", 45.55, "2025-03-05")
    yield card(101, "ATLASSIAN* JIRA SYDNEY AU")
    yield card(102, "ZOOM.US 888-799-9666 CA")
    yield card_line(1003, 102, "SALES", 14.99, "2025-03-10")
    yield card_line(1004, 102, "SALES", 14.99, "2025-04-10")
    yield card(103, "GITHUB, INC. SAN FRANCISCO", currency="EUR")
    yield card_line(
        1005, 103, "ENG", 21.00, "2025-04-02", currency="EUR", amount=22.83, rate=1.0871
    )
    yield card(104, "UBER *TRIP HELP.UBER.COM")
    yield card_line(1006, 104, "OPS", 23.40, "2025-04-03")
    yield card(105, "SLACK T04ABC123 DUBLIN")
    yield card_line(1007, 105, "ENG", 8.75, "2025-05-01")
    yield card(106, "FIGMA MONTHLY SAN FRANCISCO", state="Reversed")
    yield card_line(1008, 106, "ENG", 15.00, "2025-05-02")
    yield card(107, "NOTION LABS INC", currency="EUR", base="EUR", entity="DE01")
    yield card_line(1009, 107, "ENG", 8.00, "2025-05-03", currency="EUR", base="EUR", entity="DE01")
    yield record(
        "expense_report",
        {
            "RECORDNO": 201,
            "RECORDID": "EXP-201",
            "EMPLOYEEID": "E-7",
            "DESCRIPTION": "February",
            "STATE": "Approved",
            "WHENCREATED": "2025-02-28",
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "TOTALENTERED": 169.87,
            "TRX_TOTALENTERED": 169.87,
        },
    )
    yield expense_line(2001, 201, "FIN", 14.99, "Zoom Pro monthly", day="2025-02-14")
    yield expense_line(2002, 201, "FIN", 35.00, "Uber to airport", day="2025-02-20")
    yield expense_line(2004, 201, "FIN", 119.88, "Dropbox Business annual", day="2025-02-21")
    yield record(
        "expense_report",
        {
            "RECORDNO": 202,
            "RECORDID": "EXP-202",
            "EMPLOYEEID": "E-8",
            "DESCRIPTION": "March",
            "STATE": "Submitted",
            "WHENCREATED": "2025-03-28",
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "TOTALENTERED": 15,
            "TRX_TOTALENTERED": 15,
        },
    )
    yield expense_line(2003, 202, "ENG", 15.00, "Figma professional seat", day="2025-03-20")
    yield record(
        "employee_payment",
        {
            "RECORDNO": 301,
            "EMPLOYEEID": "E-7",
            "STATE": "Paid",
            "WHENCREATED": "2025-03-03",
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "TOTALENTERED": 169.87,
            "TRX_TOTALENTERED": 169.87,
            "RECORDKEY": 201,
            "DESCRIPTION": "Reimbursement EXP-201",
        },
    )
    yield bill(401, "V-00001", "Slack Technologies, LLC", 1200.00)
    yield bill(402, "V-00002", "Atlassian Pty Ltd", 3400.50)
    yield bill(403, "V-00003", "Office Depot", 99.00)
    yield bill(404, "V-00005", "Acme Analytics GmbH", 640.00)
    yield record(
        "ap_bill_item",
        {
            "RECORDNO": 4041,
            "RECORDKEY": 404,
            "LINE_NO": 1,
            "ACCOUNTNO": "6250",
            "ACCOUNTTITLE": "Software Subscriptions",
            "DEPARTMENTID": "FIN",
            "VENDORID": "V-00005",
            "AMOUNT": 640.00,
            "TRX_AMOUNT": 640.00,
            "CURRENCY": "USD",
            "ENTRY_DATE": "2025-03-01",
        },
    )
    yield record(
        "ap_payment",
        {
            "RECORDNO": 501,
            "DOCNUMBER": "ACH-501",
            "VENDORID": "V-00001",
            "VENDORNAME": "Slack Technologies, LLC",
            "PAYMENTMETHOD": "ACH",
            "STATE": "Complete",
            "WHENCREATED": "2025-03-20",
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "TOTALENTERED": 1200.00,
            "TRX_TOTALENTERED": 1200.00,
        },
    )
    yield record(
        "po_document",
        {
            "RECORDNO": 601,
            "DOCNO": "PO-00042",
            "DOCID": "Purchase Order-PO-00042",
            "DOCPARID": "Purchase Order",
            "STATE": "Pending",
            "CUSTVENDID": "V-00004",
            "CUSTVENDNAME": "Figma, Inc.",
            "WHENCREATED": "2025-02-03",
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "TOTAL": 5900,
            "TRX_TOTAL": 5900,
        },
    )
    yield {
        "type": "STATE",
        "value": {"bookmarks": {"cc_transaction_entry": {"replication_key_value": STAMP_1}}},
    }


def changes():
    yield from (
        schema(s) for s in ("cc_transaction", "cc_transaction_entry", "employee_payment", "ap_bill")
    )
    yield card_line(1001, 101, "ENG", 80.10, "2025-03-05", stamp=STAMP_2)  # modified amount
    yield tombstone("cc_transaction_entry", 1002)  # deleted line
    yield tombstone("cc_transaction", 102)  # deleted header: lines 1003 and 1004 go with it
    yield card_line(
        1010, 101, "SALES", 12.34, "2025-05-07", stamp=STAMP_2
    )  # new line, new department link
    yield tombstone("employee_payment", 301)  # reimbursement voided: report 201 no longer spend
    yield tombstone("ap_bill", 402)
    yield bill(401, "V-00001", "Slack Technologies, LLC", 1250.00, stamp=STAMP_2)
    yield {
        "type": "STATE",
        "value": {"bookmarks": {"cc_transaction_entry": {"replication_key_value": STAMP_2}}},
    }


# The books: bills with service periods, payments (one by credit card, one voided), card transactions
# (one made by that payment), a charge payoff bill to the card issuer, GL journals.
BOOKS_SCHEMAS = {
    "vendor": SCHEMAS["vendor"],
    "department": SCHEMAS["department"],
    "ap_bill": {**SCHEMAS["ap_bill"], "FINANCIALENTITY": TEXT},
    "ap_bill_item": {
        **SCHEMAS["ap_bill_item"],
        "BASECURR": TEXT,
        "AMORTIZATIONSTARTDATE": DATE,
        "AMORTIZATIONENDDATE": DATE,
    },
    "ap_payment": {**SCHEMAS["ap_payment"], "FINANCIALENTITY": TEXT, "WHENPAID": DATE},
    "ap_payment_detail": {
        "PAYMENTKEY": INT,
        "RECORDKEY": INT,
        "ENTRYKEY": INT,
        "PAYMENTAMOUNT": NUM,
        "TRX_PAYMENTAMOUNT": NUM,
        "CURRENCY": TEXT,
        "WHENCREATED": DATE,
    },
    "cc_transaction": SCHEMAS["cc_transaction"],
    "cc_transaction_entry": SCHEMAS["cc_transaction_entry"],
    "gl_batch": {
        "BATCHNO": INT,
        "BATCH_DATE": DATE,
        "JOURNAL": TEXT,
        "MODULE": TEXT,
        "STATE": TEXT,
    },
    "gl_entry": {
        "BATCHNO": INT,
        "ACCOUNTNO": TEXT,
        "DEPARTMENTID": TEXT,
        "AMOUNT": NUM,
        "TRX_AMOUNT": NUM,
        "TR_TYPE": INT,
        "CURRENCY": TEXT,
        "BASECURR": TEXT,
        "EXCHANGE_RATE": NUM,
        "DESCRIPTION": TEXT,
        "ENTRY_DATE": DATE,
    },
}


def books_schema(stream):
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": {**COMMON, **BOOKS_SCHEMAS[stream]}},
        "key_properties": ["RECORDNO"],
    }


def books_bill(recordno, vendor_id, day, state="Posted"):
    return record(
        "ap_bill",
        {
            "RECORDNO": recordno,
            "RECORDID": f"INV-{recordno}",
            "VENDORID": vendor_id,
            "STATE": state,
            "WHENCREATED": day,
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "TOTALENTERED": 0,
            "TRX_TOTALENTERED": 0,
        },
    )


def books_bill_line(recordno, bill, vendor_id, dept, account, amount, period=(None, None)):
    return record(
        "ap_bill_item",
        {
            "RECORDNO": recordno,
            "RECORDKEY": bill,
            "ACCOUNTNO": account,
            "DEPARTMENTID": dept,
            "VENDORID": vendor_id,
            "AMOUNT": amount,
            "TRX_AMOUNT": amount,
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "AMORTIZATIONSTARTDATE": period[0],
            "AMORTIZATIONENDDATE": period[1],
        },
    )


def books_payment(recordno, method, paid, *, state="Complete", entity="BANK-1", number=None):
    return record(
        "ap_payment",
        {
            "RECORDNO": recordno,
            "DOCNUMBER": number or f"ACH-{recordno}",
            "VENDORID": "V-00001",
            "PAYMENTMETHOD": method,
            "FINANCIALENTITY": entity,
            "STATE": state,
            "WHENCREATED": paid,
            "WHENPAID": paid,
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "TOTALENTERED": 0,
            "TRX_TOTALENTERED": 0,
        },
    )


def books_detail(recordno, payment, bill, line, amount):
    return record(
        "ap_payment_detail",
        {
            "RECORDNO": recordno,
            "PAYMENTKEY": payment,
            "RECORDKEY": bill,
            "ENTRYKEY": line,
            "PAYMENTAMOUNT": amount,
            "TRX_PAYMENTAMOUNT": amount,
            "CURRENCY": "USD",
        },
    )


def books_gl_entry(recordno, batch, account, amount, direction, text):
    return record(
        "gl_entry",
        {
            "RECORDNO": recordno,
            "BATCHNO": batch,
            "ACCOUNTNO": account,
            "DEPARTMENTID": "ENG",
            "AMOUNT": amount,
            "TRX_AMOUNT": amount,
            "TR_TYPE": direction,
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "EXCHANGE_RATE": 1,
            "DESCRIPTION": text,
            "ENTRY_DATE": "2025-05-31",
        },
    )


def books():
    yield from (books_schema(s) for s in BOOKS_SCHEMAS)
    for n, dept in enumerate(["ENG", "OPS"], start=1):
        yield record(
            "department", {"RECORDNO": n, "DEPARTMENTID": dept, "TITLE": dept, "STATUS": "active"}
        )
    for n, (vendor_id, name) in enumerate(
        [("V-00001", "Slack Technologies, LLC"), ("V-00010", "American Express")], start=1
    ):
        yield record("vendor", {"RECORDNO": n, "VENDORID": vendor_id, "NAME": name})
    yield books_bill(701, "V-00001", "2025-03-15")
    # An annual subscription with its own service period, and a line without one.
    period = ("2025-03-15", "2026-03-14")
    yield books_bill_line(7011, 701, "V-00001", "ENG", "6250", 1000.00, period)
    yield books_bill_line(7012, 701, "V-00001", "OPS", "6260", 120.00)
    yield books_bill(702, "V-00001", "2025-04-02", state="Draft")
    yield books_bill_line(7021, 702, "V-00001", "ENG", "6250", 500.00)
    yield books_bill(703, "V-00001", "2025-05-10")  # a credit memo
    yield books_bill_line(7031, 703, "V-00001", "ENG", "6250", -20.00)
    # The card issuer's bill paying off card charges.
    yield books_bill(704, "V-00010", "2025-06-30")
    yield books_bill_line(7041, 704, "V-00010", "ENG", "2100", 308.75)
    yield books_payment(801, "ACH", "2025-04-20")
    yield books_detail(8011, 801, 701, 7012, 120.00)
    yield books_detail(8012, 801, 701, None, 500.00)  # the bill as a whole: pro rata
    yield books_payment(802, "Credit Card", "2025-06-05", entity="AMEX-1", number="CC-901")
    yield books_detail(8021, 802, 701, 7011, 300.00)
    yield books_payment(803, "ACH", "2025-07-01", state="Voided")
    yield books_detail(8031, 803, 701, 7011, 100.00)
    # CC-901 is the card transaction Intacct recorded for payment 802; CC-902 is card spend.
    for recordno, dept, amount, day in (
        (901, "ENG", 300.00, "2025-06-05"),
        (902, "OPS", 8.75, "2025-05-01"),
    ):
        yield record(
            "cc_transaction",
            {
                "RECORDNO": recordno,
                "RECORDID": f"CC-{recordno}",
                "FINANCIALENTITY": "AMEX-1",
                "DESCRIPTION": "SLACK T04ABC123 DUBLIN",
                "STATE": "Posted",
                "WHENCREATED": day,
                "CURRENCY": "USD",
                "BASECURR": "USD",
            },
        )
        yield card_line(recordno * 10 + 1, recordno, dept, amount, day)
    yield record(
        "gl_batch",
        {
            "RECORDNO": 1001,
            "BATCH_DATE": "2025-05-31",
            "JOURNAL": "GJ",
            "MODULE": "2.GL",
            "STATE": "Posted",
        },
    )
    yield books_gl_entry(10011, 1001, "6250", 200.00, 1, "Slack annual true-up")
    yield books_gl_entry(10012, 1001, "6250", 50.00, -1, "Slack credit")
    yield books_gl_entry(10013, 1001, "7000", 70.00, 1, "Slack seats")
    yield record(
        "gl_batch",
        {
            "RECORDNO": 1002,
            "BATCH_DATE": "2025-05-31",
            "JOURNAL": "APJ",
            "MODULE": "3.AP",
            "STATE": "Posted",
        },
    )
    yield books_gl_entry(10021, 1002, "6250", 999.00, 1, "Slack bill posting")


def write(name, messages):
    with (HERE / name).open("w", encoding="utf-8") as out:
        for message in messages:
            out.write(json.dumps(message) + "\n")


if __name__ == "__main__":
    write("intacct_initial.singer", initial())
    write("intacct_changes.singer", changes())
    write("intacct_books.singer", books())

"""Singer input for the target benchmark: card transactions and expense reports in tap-sage-intacct's shape.

`lines` is the number of cost lines (CCTRANSACTIONENTRY + EEXPENSESITEM records); headers, vendors,
departments and reimbursements come on top, as a real extraction would send them. Descriptors read like
card statements (a merchant, a store or reference number, a city), so the recognizer sees the repetition
and the noise of a real feed. Amounts are written as exact JSON number text, never through float.

Run alone: .venv/bin/python -m bench.singer_gen --lines 100000 --out costs.singer
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TEXT = {"type": ["string", "null"]}
INT = {"type": ["integer", "null"]}
NUM = {"type": ["number", "null"]}
DATE = {"type": ["string", "null"], "format": "date"}
STAMP = {"type": ["string", "null"], "format": "date-time"}

COMMON = {"RECORDNO": INT, "WHENMODIFIED": STAMP, "MEGAENTITYID": TEXT, "_sdc_deleted_at": STAMP}
MONEY_FIELDS = {"CURRENCY": TEXT, "BASECURR": TEXT, "EXCHANGE_RATE": NUM}
LINE_FIELDS = {
    "RECORDKEY": INT,
    "LINE_NO": INT,
    "ACCOUNTNO": TEXT,
    "DEPARTMENTID": TEXT,
    "LOCATIONID": TEXT,
    "DESCRIPTION": TEXT,
    "VENDORID": TEXT,
    "AMOUNT": NUM,
    "TRX_AMOUNT": NUM,
    "ENTRY_DATE": DATE,
    **MONEY_FIELDS,
}
HEADER_FIELDS = {
    "RECORDID": TEXT,
    "DESCRIPTION": TEXT,
    "STATE": TEXT,
    "WHENCREATED": DATE,
    "TOTALENTERED": NUM,
    "TRX_TOTALENTERED": NUM,
    **MONEY_FIELDS,
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "vendor": {
        "VENDORID": TEXT,
        "NAME": TEXT,
        "STATUS": TEXT,
        "VENDTYPE": TEXT,
        "CURRENCY": TEXT,
        "DISPLAYCONTACT.URL1": TEXT,
        "WHENCREATED": STAMP,
    },
    "department": {"DEPARTMENTID": TEXT, "TITLE": TEXT, "PARENTID": TEXT, "STATUS": TEXT},
    "cc_transaction": {**HEADER_FIELDS, "FINANCIALENTITY": TEXT, "PAYEE": TEXT},
    "cc_transaction_entry": LINE_FIELDS,
    "expense_report": {**HEADER_FIELDS, "EMPLOYEEID": TEXT},
    "expense_report_item": {**LINE_FIELDS, "EXPENSETYPE": TEXT},
    "employee_payment": {**HEADER_FIELDS, "EMPLOYEEID": TEXT, "RECORDKEY": INT},
}

# (vendor legal name, website, card descriptor stem): what statements and vendor masters look like.
SAAS = [
    ("Slack Technologies, LLC", "https://slack.com", "SLACK T0{ref} DUBLIN IE"),
    ("Atlassian Pty Ltd", "https://www.atlassian.com", "ATLASSIAN* JIRA SYDNEY AU"),
    ("Zoom Video Communications, Inc.", "https://zoom.us", "ZOOM.US 888-799-9666 CA"),
    ("GitHub, Inc.", "https://github.com", "GITHUB, INC. SAN FRANCISCO CA"),
    ("Figma, Inc.", "https://figma.com", "FIGMA MONTHLY SAN FRANCISCO"),
    ("Notion Labs, Inc.", "https://notion.so", "NOTION LABS INC {ref}"),
    ("Amazon Web Services, Inc.", "https://aws.amazon.com", "AWS EMEA aws.amazon.co {ref}"),
    ("Dropbox, Inc.", "https://dropbox.com", "DROPBOX*{ref} DB.TT/CCHELP"),
    ("Google LLC", "https://workspace.google.com", "GOOGLE *GSUITE_{ref} CC@GOOGLE.COM"),
    ("Microsoft Corporation", "https://microsoft.com", "MSFT *AZURE {ref} MSBILL.INFO"),
    ("Salesforce, Inc.", "https://salesforce.com", "SALESFORCE.COM {ref} SAN FRANCISCO"),
    ("HubSpot, Inc.", "https://hubspot.com", "HUBSPOT INC {ref} CAMBRIDGE MA"),
    ("Datadog, Inc.", "https://datadoghq.com", "DATADOG INC {ref} NEW YORK NY"),
    ("Miro Inc", "https://miro.com", "MIRO.COM {ref} AMSTERDAM NL"),
    ("Asana, Inc.", "https://asana.com", "ASANA.COM {ref}"),
    ("DocuSign, Inc.", "https://docusign.com", "DOCUSIGN INC {ref} SEATTLE WA"),
    ("Canva Pty Ltd", "https://canva.com", "CANVA* {ref} SYDNEY AU"),
    ("1Password", "https://1password.com", "1PASSWORD {ref} TORONTO ON"),
    ("Twilio Inc.", "https://twilio.com", "TWILIO {ref} SAN FRANCISCO CA"),
    ("OpenAI, L.L.C.", "https://openai.com", "OPENAI *CHATGPT SUBSCR {ref}"),
]
OTHER = [
    ("Market Street Properties LLC", "", "MARKET STREET PROPERTIES {ref}"),
    ("FedEx", "https://fedex.com", "FEDEX {ref} MEMPHIS TN"),
    ("Uber Technologies", "https://uber.com", "UBER *TRIP HELP.UBER.COM"),
    ("Blue Bottle Coffee", "", "SQ *BLUE BOTTLE COFFEE {ref}"),
    ("Office Depot", "https://officedepot.com", "OFFICE DEPOT #{ref} BOCA RATON FL"),
    ("Delta Air Lines", "https://delta.com", "DELTA AIR {ref} ATLANTA GA"),
    ("Marriott", "https://marriott.com", "MARRIOTT {ref} NEW YORK NY"),
    ("Amazon Marketplace", "https://amazon.com", "AMZN Mktp US*{ref} AMZN.COM/BILL WA"),
]
DEPARTMENTS = [
    ("ENG", "Engineering"),
    ("PLAT", "Platform"),
    ("DATA", "Data"),
    ("SALES", "Sales"),
    ("SALES-DACH", "Sales DACH"),
    ("MKT", "Marketing"),
    ("OPS", "Operations"),
    ("FIN", "Finance"),
    ("HR", "People"),
    ("LEGAL", "Legal"),
    ("SUPPORT", "Customer Support"),
    ("IT", "IT"),
]
# (entity, currency, base currency, rate to base): ~14% foreign, like the sandbox company.
ENTITIES = [("US01", "USD", "USD", "1"), ("DE01", "EUR", "EUR", "1"), ("UK01", "GBP", "GBP", "1")]
FOREIGN = [("US01", "EUR", "USD", "1.0834567891"), ("UK01", "USD", "GBP", "0.7912345678")]
STAMP_VALUE = "2025-06-30T12:00:00+00:00"


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def _convert(cents: int, rate: str) -> str:
    # Exact: integer cents times a decimal rate string, rounded half up, without float.
    whole, _, frac = rate.partition(".")
    scale = 10 ** len(frac)
    product = cents * int(whole + frac)
    rounded = (2 * product + scale) // (2 * scale)
    return _cents(rounded)


class _Writer:
    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.records = 0

    def schema(self, stream: str) -> None:
        message = {
            "type": "SCHEMA",
            "stream": stream,
            "schema": {"type": "object", "properties": {**COMMON, **SCHEMAS[stream]}},
            "key_properties": ["RECORDNO"],
        }
        self.handle.write(json.dumps(message) + "\n")

    def record(self, stream: str, fields: dict[str, object], numbers: dict[str, str]) -> None:
        """`numbers` are exact decimal texts spliced in as JSON numbers."""
        body = json.dumps({"WHENMODIFIED": STAMP_VALUE, **fields})
        if numbers:
            body = body[:-1] + "".join(f', "{k}": {v}' for k, v in numbers.items()) + "}"
        self.handle.write(
            f'{{"type": "RECORD", "stream": "{stream}", "record": {body}, '
            f'"time_extracted": "{STAMP_VALUE}"}}\n'
        )
        self.records += 1


def _months(count: int) -> Iterator[str]:
    year, month = 2023, 7
    for _ in range(count):
        yield f"{year}-{month:02d}"
        month += 1
        if month == 13:
            year, month = year + 1, 1


def generate(path: Path, lines: int, *, seed: int = 7, expense_share: float = 0.2) -> int:
    """Write the Singer stream; return the number of RECORD messages written."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    months = list(_months(24))
    merchants = SAAS + OTHER
    with path.open("w", encoding="utf-8") as handle:
        out = _Writer(handle)
        for stream in SCHEMAS:
            out.schema(stream)
        for number, (dept, title) in enumerate(DEPARTMENTS, start=1):
            out.record(
                "department",
                {
                    "RECORDNO": number,
                    "DEPARTMENTID": dept,
                    "TITLE": title,
                    "PARENTID": None,
                    "STATUS": "active",
                    "MEGAENTITYID": None,
                },
                {},
            )
        vendor_ids = []
        for number, (name, url, _) in enumerate(merchants, start=1):
            vendor_id = f"V-{number:05d}"
            vendor_ids.append(vendor_id)
            out.record(
                "vendor",
                {
                    "RECORDNO": number,
                    "VENDORID": vendor_id,
                    "NAME": name,
                    "STATUS": "active",
                    "VENDTYPE": "Supplier",
                    "CURRENCY": "USD",
                    "DISPLAYCONTACT.URL1": url or None,
                    "WHENCREATED": "2023-01-02T09:00:00+00:00",
                    "MEGAENTITYID": None,
                },
                {},
            )
        written = header = line_no = 0
        expense_lines = int(lines * expense_share)
        card_lines = lines - expense_lines
        for kind, stream, header_stream, count in (
            ("card", "cc_transaction_entry", "cc_transaction", card_lines),
            ("expense", "expense_report_item", "expense_report", expense_lines),
        ):
            produced = 0
            while produced < count:
                header += 1
                header_no = 100_000_000 + header
                merchant = rng.randrange(len(merchants))
                descriptor = merchants[merchant][2].format(ref=rng.randint(10_000, 99_999_999))
                entity, currency, base, rate = (
                    rng.choice(FOREIGN) if rng.random() < 0.14 else rng.choice(ENTITIES)
                )
                month = rng.choice(months)
                day = f"{month}-{rng.randint(1, 28):02d}"
                size = min(count - produced, rng.choice((1, 1, 2, 3)))
                amounts = [rng.randint(500, 250_000) for _ in range(size)]
                total = sum(amounts)
                money = {"CURRENCY": currency, "BASECURR": base, "MEGAENTITYID": entity}
                header_numbers = {
                    "EXCHANGE_RATE": rate,
                    "TRX_TOTALENTERED": _cents(total),
                    "TOTALENTERED": _convert(total, rate),
                }
                if kind == "card":
                    out.record(
                        header_stream,
                        {
                            "RECORDNO": header_no,
                            "RECORDID": f"CC-{header_no}",
                            "FINANCIALENTITY": "AMEX-1",
                            "DESCRIPTION": descriptor,
                            "PAYEE": descriptor,
                            "STATE": "Posted",
                            "WHENCREATED": day,
                            **money,
                        },
                        header_numbers,
                    )
                else:
                    out.record(
                        header_stream,
                        {
                            "RECORDNO": header_no,
                            "RECORDID": f"EXP-{header_no}",
                            "EMPLOYEEID": f"E-{rng.randint(1, 400)}",
                            "DESCRIPTION": f"Expenses {month}",
                            "STATE": "Approved",
                            "WHENCREATED": day,
                            **money,
                        },
                        header_numbers,
                    )
                    out.record(
                        "employee_payment",
                        {
                            "RECORDNO": 200_000_000 + header,
                            "RECORDID": f"EP-{header_no}",
                            "EMPLOYEEID": "E-1",
                            "DESCRIPTION": "Reimbursement",
                            "STATE": "Paid",
                            "WHENCREATED": day,
                            "RECORDKEY": header_no,
                            **money,
                        },
                        header_numbers,
                    )
                for index, cents in enumerate(amounts, start=1):
                    line_no += 1
                    dept = rng.choice(DEPARTMENTS)[0]
                    fields: dict[str, object] = {
                        "RECORDNO": 300_000_000 + line_no,
                        "RECORDKEY": header_no,
                        "LINE_NO": index,
                        "ACCOUNTNO": "6250",
                        "DEPARTMENTID": dept,
                        "LOCATIONID": "HQ",
                        "DESCRIPTION": descriptor if kind == "card" else descriptor.title(),
                        # One line in ten names its vendor, as coded card lines do.
                        "VENDORID": vendor_ids[merchant] if rng.random() < 0.1 else None,
                        "ENTRY_DATE": day,
                        **money,
                    }
                    if kind == "expense":
                        fields["EXPENSETYPE"] = "Software"
                    out.record(
                        stream,
                        fields,
                        {
                            "EXCHANGE_RATE": rate,
                            "TRX_AMOUNT": _cents(cents),
                            "AMOUNT": _convert(cents, rate),
                        },
                    )
                    written += 1
                produced += size
        return out.records


def main() -> None:
    """Write --lines cost lines of Singer input to --out and print the record count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    records = generate(args.out, args.lines, seed=args.seed)
    print(f"{records} records ({args.lines} cost lines) -> {args.out}")


if __name__ == "__main__":
    main()

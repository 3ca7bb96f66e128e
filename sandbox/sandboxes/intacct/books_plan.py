"""What happened in the demo company's books (2024-01 .. 2025-06): the AP stories, as a plan.

Amounts are transaction-currency cents. Entities: 0 US01 (USD), 1 DE01 (EUR), 2 UK01 (GBP). The SaaS
contracts of CRM, ERP, cloud and collaboration vendors are sized to be the biggest services by spend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sandboxes.intacct.books_ap import Bill, BooksAP, LineSpec, ordinal_of
from sandboxes.intacct.books_docs import card_charges, card_payment, purchase_order, recurring
from sandboxes.intacct.model import add_months

US, DE, UK = 0, 1, 2
SALESFORCE = "Salesforce, Inc."
NETSUITE = "Oracle America, Inc. (NetSuite)"
AWS = "Amazon Web Services, Inc."
MICROSOFT = "Microsoft Corporation"
ATLASSIAN = "Atlassian Pty Ltd"
FIGMA = "Figma, Inc."
AMEX = "American Express Travel Related Services Company, Inc."
#: The last day the books' schedules have run to (the end of the base data).
BOOKS_END = date(2025, 6, 29).toordinal()


def d(year: int, month: int, mday: int = 1) -> int:
    """A date as an ordinal."""
    return date(year, month, mday).toordinal()


def year_from(start: int) -> tuple[int, int]:
    """The service period of an annual contract starting on `start`."""
    return start, add_months(start, 12) - 1


def quarter_from(start: int) -> tuple[int, int]:
    """The service period of a quarter starting on `start`."""
    return start, add_months(start, 3) - 1


@dataclass
class Stories:
    """The books bills the GL side and the tests refer to."""

    prepaid: list[tuple[Bill, str, str, str, str]]  # bill, expense account, dept, location, memo
    renewal_with_deleted_line: Bill


def plan(ap: BooksAP) -> Stories:
    """Write every AP story into `ap`."""
    # CRM, annual in advance; 2025 renewal paid in two partial payments, a credit memo in between.
    for year in (2024, 2025):
        start = d(year, 2)
        period = year_from(start)
        bill = ap.bill(
            SALESFORCE,
            US,
            start,
            [
                LineSpec(
                    "Sales Cloud Enterprise - 150 licences",
                    29700000,
                    "6250",
                    "SALES",
                    "US-SF",
                    period,
                ),
                LineSpec(
                    "Service Cloud Enterprise - 40 licences", 7920000, "6250", "CS", "US-SF", period
                ),
                LineSpec("Premier Success Plan", 5643000, "6250", "SALES", "US-NYC", period),
            ],
            f"Salesforce annual subscription {year}-{year + 1}",
        )
        if year == 2024:
            ap.pay(bill, start + 28, method="Wire")
        else:
            ap.pay(bill, d(2025, 3, 3), 21631500)  # half
            ap.pay(bill, d(2025, 5, 2), 10815750)  # a quarter; the rest is still due
    ap.bill(
        SALESFORCE,
        US,
        d(2024, 8, 15),
        [
            LineSpec(
                "Credit - 10 unused Service Cloud licences",
                -1155000,
                "6250",
                "CS",
                "US-SF",
                (d(2024, 8, 15), d(2025, 1, 31)),
            )
        ],
        "Credit memo - unused Service Cloud licences",
    )
    # ERP, quarterly in advance; the Q3 2024 payment was voided and paid again.
    for quarter in range(6):
        start = add_months(d(2024, 1), 3 * quarter)
        period = quarter_from(start)
        bill = ap.bill(
            NETSUITE,
            US,
            start,
            [
                LineSpec(
                    "NetSuite ERP - quarterly subscription",
                    22500000,
                    "6250",
                    "FIN",
                    "US-SF",
                    period,
                ),
                LineSpec(
                    "NetSuite OneWorld - 3 subsidiaries", 4500000, "6250", "FIN", "US-SF", period
                ),
            ],
            f"NetSuite ERP Q{quarter % 4 + 1} {2024 + quarter // 4}",
        )
        if quarter == 2:
            ap.pay(bill, start + 20, method="EFT", state="Voided")
        ap.pay(bill, start + 25, method="EFT")
    # Cloud: quarterly Savings Plan upfront in the US, and AWS EMEA in GBP in the UK.
    for quarter in range(6):
        start = add_months(d(2024, 1), 3 * quarter)
        period = quarter_from(start)
        bill = ap.bill(
            AWS,
            US,
            start + 2,
            [
                LineSpec(
                    "Compute Savings Plan - quarterly upfront",
                    28500000,
                    "6260",
                    "ENG-PLAT",
                    "US-SF",
                    period,
                ),
                LineSpec("AWS Enterprise Support", 2850000, "6260", "ENG-PLAT", "US-SF", period),
            ],
            f"AWS Savings Plan {date.fromordinal(start).isoformat()[:7]}",
        )
        ap.pay(bill, start + 30)
        uk = ap.bill(
            AWS,
            UK,
            start + 3,
            [LineSpec("AWS EMEA - Savings Plan", 9600000, "6260", "ENG-DATA", "UK-LON", period)],
            f"AWS EMEA Savings Plan {date.fromordinal(start).isoformat()[:7]}",
        )
        ap.pay(uk, start + 33, method="Wire")
    # Collaboration suite in the EUR entity, with a service credit line.
    start = d(2024, 7)
    m365 = ap.bill(
        MICROSOFT,
        DE,
        start,
        [
            LineSpec(
                "Microsoft 365 E5 - 220 seats", 14916000, "6250", "IT", "DE-BER", year_from(start)
            ),
            LineSpec("Teams Premium add-on", 1980000, "6250", "IT", "DE-BER", year_from(start)),
            LineSpec(
                "Service credit - Exchange Online outage",
                -250000,
                "6250",
                "IT",
                "DE-BER",
                year_from(start),
            ),
        ],
        "Microsoft 365 E5 annual 2024-2025",
    )
    ap.pay(m365, start + 30, method="EFT")
    # Collaboration in the GBP entity, billed in USD; the renewal lost a line after entry.
    start = d(2024, 4, 15)
    atlassian = ap.bill(
        ATLASSIAN,
        UK,
        start,
        [
            LineSpec(
                "Jira Software Cloud Premium - 500 users",
                34200000,
                "6250",
                "ENG",
                "UK-LON",
                year_from(start),
            ),
            LineSpec(
                "Confluence Cloud Premium - 500 users",
                17550000,
                "6250",
                "ENG",
                "UK-LON",
                year_from(start),
            ),
        ],
        "Atlassian Cloud annual 2024-2025",
        "USD",
    )
    ap.pay(atlassian, start + 21, method="Wire")
    start = d(2025, 4, 15)
    renewal = ap.bill(
        ATLASSIAN,
        UK,
        start,
        [
            LineSpec(
                "Jira Software Cloud Premium - 500 users",
                37620000,
                "6250",
                "ENG",
                "UK-LON",
                year_from(start),
            ),
            LineSpec(
                "Confluence Cloud Premium - 500 users",
                19305000,
                "6250",
                "ENG",
                "UK-LON",
                year_from(start),
            ),
        ],
        "Atlassian Cloud annual 2025-2026",
        "USD",
        deleted_line=LineSpec(
            "Jira Service Management - 25 agents (entered twice)",
            4125000,
            "6250",
            "CS",
            "UK-LON",
            year_from(start),
        ),
    )
    # A bill paid by corporate card, and the card issuer's payoff of that month's statement.
    start = d(2024, 9, 3)
    figma = ap.bill(
        FIGMA,
        US,
        start,
        [
            LineSpec(
                "Figma Organization - 60 editors", 3240000, "6250", "DES", "US-SF", year_from(start)
            )
        ],
        "Figma Organization annual 2024-2025",
    )
    card_payment(ap, figma, start + 4)
    statement = card_charges(ap, US, d(2024, 9, 1), d(2024, 9, 30))
    payoff = ap.bill(
        AMEX,
        US,
        d(2024, 10, 5),
        [LineSpec("AMEX-US-1004 statement 09/2024", statement, "2100", "FIN", "US01")],
        "Charge card payoff AMEX-US-1004 09/2024",
    )
    ap.pay(payoff, d(2024, 10, 12))
    # Recurring bills: one running, one ended, one yearly in EUR.
    slack = recurring(
        ap,
        "Slack Technologies, LLC",
        US,
        d(2024, 1),
        ("Months", 3),
        d(2025, 12, 31),
        [
            LineSpec("Slack Enterprise Grid - quarterly", 14640000, "6250", "ENG", "US-SF"),
            LineSpec("Slack Huddles add-on", 360000, "6250", "SALES", "US-NYC"),
        ],
        BOOKS_END,
    )
    google = recurring(
        ap,
        "Google LLC",
        US,
        d(2024, 1),
        ("Months", 1),
        d(2024, 12, 31),
        [LineSpec("Google Workspace Business Plus - 120 users", 264000, "6250", "IT", "US-SF")],
        BOOKS_END,
    )
    zoom = recurring(
        ap,
        "Zoom Video Communications Inc",
        DE,
        d(2024, 3),
        ("Years", 1),
        None,
        [LineSpec("Zoom Business - 90 licences", 1899000, "6250", "SALES-DACH", "DE-BER")],
        BOOKS_END,
    )
    for bill in slack + google + zoom:
        ap.pay(bill, ordinal_of(bill.row["WHENCREATED"]) + 14)
    # Open purchase orders for service vendors.
    purchase_order(
        ap,
        "Snowflake Inc.",
        US,
        d(2025, 2, 3),
        "Partially Converted",
        [
            ("Snowflake capacity credits", 120000, 300, "ENG-DATA"),
            ("Snowflake Business Critical support", 1, 4200000, "ENG-DATA"),
        ],
    )
    purchase_order(
        ap,
        "Datadog, Inc.",
        US,
        d(2025, 3, 10),
        "Pending",
        [("Datadog Infrastructure Enterprise - 400 hosts (renewal)", 400, 41400, "ENG-PLAT")],
    )
    purchase_order(
        ap,
        ATLASSIAN,
        UK,
        d(2025, 5, 20),
        "Pending",
        [("Atlassian Guard Enterprise - 500 users", 500, 24000, "IT")],
        "USD",
    )
    # Prepaid annual contracts coded to Prepaid Expenses, amortised by monthly journals (books_gl.py).
    prepaid = []
    for vendor, entity, start, cents, expense, dept, location, memo, currency in (
        (
            "Datadog, Inc.",
            US,
            d(2024, 3),
            13800000,
            "6260",
            "ENG-PLAT",
            "US-SF",
            "Datadog Infrastructure Enterprise",
            None,
        ),
        (
            "Miro (RealtimeBoard, Inc.)",
            DE,
            d(2024, 6),
            3600000,
            "6250",
            "DES",
            "DE-BER",
            "Miro Enterprise",
            None,
        ),
        (
            "Okta, Inc.",
            UK,
            d(2024, 10),
            6000000,
            "6250",
            "IT",
            "UK-LON",
            "Okta Workforce Identity",
            "USD",
        ),
    ):
        bill = ap.bill(
            vendor,
            entity,
            start,
            [LineSpec(f"{memo} - annual prepaid", cents, "1400", dept, location)],
            f"{memo} annual prepaid contract",
            currency,
        )
        ap.pay(bill, start + 20, method="Wire" if entity else "ACH")
        prepaid.append((bill, expense, dept, location, memo))
    return Stories(prepaid, renewal)

"""Hand-written master data of the demo company: entities, departments, GL accounts, vendors, merchants.

Names are the legal names vendor masters hold; card descriptors look like real statement lines. A few
entries carry the hard cases on purpose: XML special characters and non-Latin text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entity:
    """One demo entity: LOCATIONID, name, base currency, RECORDNO, card and bank accounts."""

    location_id: str
    name: str
    currency: str
    recordno: int
    card_account: str
    bank_account: str


ENTITIES = (
    Entity("US01", "Acme Cloud Inc.", "USD", 1, "AMEX-US-1004", "SVB-OPERATING-USD"),
    Entity("DE01", "Acme Cloud GmbH", "EUR", 2, "AMEX-DE-2001", "DEUTSCHE-BANK-EUR"),
    Entity("UK01", "Acme Cloud Ltd", "GBP", 3, "BARCLAYCARD-UK-3001", "BARCLAYS-GBP"),
)

#: (LOCATIONID, NAME, PARENTID, CURRENCY, is entity)
LOCATIONS = (
    ("US01", "Acme Cloud Inc.", "", "USD", True),
    ("DE01", "Acme Cloud GmbH", "", "EUR", True),
    ("UK01", "Acme Cloud Ltd", "", "GBP", True),
    ("US-SF", "San Francisco HQ", "US01", "USD", False),
    ("US-NYC", "New York Office", "US01", "USD", False),
    ("DE-BER", "Berlin Office", "DE01", "EUR", False),
    ("UK-LON", "London Office", "UK01", "GBP", False),
)
#: entity index -> LOCATIONIDs its lines use
ENTITY_LOCATIONS = (("US-SF", "US-NYC", "US01"), ("DE-BER", "DE01"), ("UK-LON", "UK01"))

#: (DEPARTMENTID, TITLE, PARENTID, owning entity LOCATIONID or "" for top level)
DEPARTMENTS = (
    ("ENG", "Engineering", "", ""),
    ("ENG-PLAT", "Platform Engineering", "ENG", ""),
    ("ENG-DATA", "Data Engineering", "ENG", ""),
    ("PROD", "Product Management", "", ""),
    ("DES", "Design", "PROD", ""),
    ("SALES", "Sales", "", ""),
    ("MKT", "Marketing", "", ""),
    ("CS", "Customer Success", "", ""),
    ("FIN", "Finance", "", ""),
    ("HR", "People & Talent", "", ""),
    ("IT", "IT & Security", "", ""),
    ("LEGAL", "Legal", "", ""),
    ("G&A", "General & Administrative", "", ""),
    ("SALES-DACH", "Vertrieb DACH", "SALES", "DE01"),
    ("TEMP-2023", "Temporary Project 2023", "", ""),  # deleted before start (AUDITHISTORY only)
)
LINE_DEPARTMENTS = tuple(d[0] for d in DEPARTMENTS if d[0] not in ("SALES-DACH", "TEMP-2023"))

#: (ACCOUNTNO, TITLE, ACCOUNTTYPE, NORMALBALANCE, CATEGORY)
GL_ACCOUNTS = (
    ("1000", "Cash - Operating", "balancesheet", "debit", "Cash and Cash Equivalents"),
    ("1010", "Cash - EUR Account", "balancesheet", "debit", "Cash and Cash Equivalents"),
    ("1200", "Accounts Receivable", "balancesheet", "debit", "Accounts Receivable"),
    ("1400", "Prepaid Expenses", "balancesheet", "debit", "Other Current Assets"),
    ("2000", "Accounts Payable", "balancesheet", "credit", "Accounts Payable"),
    ("2100", "Corporate Card Payable", "balancesheet", "credit", "Other Current Liabilities"),
    (
        "2150",
        "Employee Reimbursements Payable",
        "balancesheet",
        "credit",
        "Other Current Liabilities",
    ),
    ("4000", "Subscription Revenue", "incomestatement", "credit", "Revenue"),
    ("5000", "Cloud Hosting - COGS", "incomestatement", "debit", "Cost of Revenue"),
    ("6100", "Rent & Facilities", "incomestatement", "debit", "Operating Expenses"),
    ("6150", "Utilities", "incomestatement", "debit", "Operating Expenses"),
    ("6200", "Telecommunications", "incomestatement", "debit", "Operating Expenses"),
    ("6250", "Software Subscriptions", "incomestatement", "debit", "Operating Expenses"),
    ("6260", "Cloud Infrastructure", "incomestatement", "debit", "Operating Expenses"),
    ("6300", "Travel - Airfare", "incomestatement", "debit", "Operating Expenses"),
    ("6310", "Travel - Lodging", "incomestatement", "debit", "Operating Expenses"),
    ("6320", "Travel - Ground Transportation", "incomestatement", "debit", "Operating Expenses"),
    ("6350", "Meals & Entertainment", "incomestatement", "debit", "Operating Expenses"),
    ("6400", "Legal Fees", "incomestatement", "debit", "Operating Expenses"),
    ("6410", "Accounting & Audit Fees", "incomestatement", "debit", "Operating Expenses"),
    ("6500", "Office Supplies", "incomestatement", "debit", "Operating Expenses"),
    ("6550", "Postage & Shipping", "incomestatement", "debit", "Operating Expenses"),
    ("6600", "Marketing Programs", "incomestatement", "debit", "Operating Expenses"),
    ("6700", "Recruiting", "incomestatement", "debit", "Operating Expenses"),
    ("6800", "Training & Education", "incomestatement", "debit", "Operating Expenses"),
    ("6900", "Bank Fees", "incomestatement", "debit", "Operating Expenses"),
    (
        "6999",
        "Suspense - legacy",
        "incomestatement",
        "debit",
        "Operating Expenses",
    ),  # deleted before start
)
ACCOUNT_TITLES = {a[0]: a[1] for a in GL_ACCOUNTS}


@dataclass(frozen=True)
class VendorSpec:
    """One demo vendor: name, SaaS category, domain, GL account, card descriptor and memo."""

    name: str
    category: str  # SAAS_CATEGORY; empty for non-SaaS vendors
    domain: str
    account: str
    descriptor: str  # card statement line; {c} = random code chars, {d} = random digits
    memo: str  # bill/card line memo
    price_cents: int
    vendtype: str = "Software"
    payee: str = ""


def _v(  # noqa: PLR0917 - a compact table row constructor
    name: str,
    category: str,
    domain: str,
    account: str,
    descriptor: str,
    memo: str,
    price_cents: int,
    vendtype: str = "Software",
    payee: str = "",
) -> VendorSpec:
    return VendorSpec(
        name, category, domain, account, descriptor, memo, price_cents, vendtype, payee
    )


VENDORS = (
    _v(
        "Atlassian Pty Ltd",
        "Collaboration",
        "atlassian.com",
        "6250",
        "ATLASSIAN* JIRA SYDNEY AU",
        "Jira Software Cloud Standard",
        81500,
        payee="Atlassian",
    ),
    _v(
        "Slack Technologies, LLC",
        "Collaboration",
        "slack.com",
        "6250",
        "SLACK T0{c}",
        "Slack Business+ annual seats",
        125000,
        payee="Slack",
    ),
    _v(
        "Zoom Video Communications Inc",
        "Collaboration",
        "zoom.us",
        "6250",
        "ZOOM.US 888-799-9666 CA",
        "Zoom Business plan",
        19990,
        payee="Zoom",
    ),
    _v(
        "Salesforce, Inc.",
        "CRM",
        "salesforce.com",
        "6250",
        "SALESFORCE.COM SAN FRANCISCO",
        "Sales Cloud Enterprise licences",
        990000,
        payee="Salesforce",
    ),
    _v(
        "GitHub, Inc.",
        "Developer Tools",
        "github.com",
        "6250",
        "GITHUB, INC. SAN FRANCISCO",
        "GitHub Enterprise Cloud",
        210000,
        payee="GitHub",
    ),
    _v(
        "Amazon Web Services, Inc.",
        "Cloud Infrastructure",
        "aws.amazon.com",
        "6260",
        "AWS EMEA aws.amazon.co",
        "AWS usage - consolidated billing",
        1845037,
        payee="Amazon Web Services",
    ),
    _v(
        "Google LLC",
        "Productivity",
        "workspace.google.com",
        "6250",
        "GOOGLE *GSUITE_acme.co",
        "Google Workspace Business Standard",
        42000,
        payee="Google Workspace",
    ),
    _v(
        "Microsoft Corporation",
        "Productivity",
        "microsoft.com",
        "6250",
        "MSFT * E0{c}",
        "Microsoft 365 E3",
        36000,
        payee="Microsoft",
    ),
    _v(
        "Notion Labs, Inc.",
        "Productivity",
        "notion.so",
        "6250",
        "NOTION LABS INC",
        "Notion Plus workspace",
        16000,
        payee="Notion",
    ),
    _v(
        "Figma, Inc.",
        "Design",
        "figma.com",
        "6250",
        "FIGMA MONTHLY",
        "Figma Professional seats",
        4500,
        payee="Figma",
    ),
    _v(
        "Dropbox, Inc.",
        "Storage",
        "dropbox.com",
        "6250",
        "DROPBOX*{c}",
        "Dropbox Business Advanced",
        7500,
        payee="Dropbox",
    ),
    _v(
        "DocuSign, Inc.",
        "Legal Tech",
        "docusign.com",
        "6250",
        "DOCUSIGN INC 866-219-4318",
        "DocuSign Business Pro envelopes",
        6500,
        payee="DocuSign",
    ),
    _v(
        "HubSpot, Inc.",
        "Marketing",
        "hubspot.com",
        "6250",
        "HUBSPOT INC 888-482-7768",
        "Marketing Hub Professional",
        80000,
        payee="HubSpot",
    ),
    _v(
        "Zendesk, Inc.",
        "Customer Support",
        "zendesk.com",
        "6250",
        "ZENDESK INC. 415-418-7506",
        "Zendesk Suite Growth agents",
        11500,
        payee="Zendesk",
    ),
    _v(
        "Datadog, Inc.",
        "Observability",
        "datadoghq.com",
        "6260",
        "DATADOG INC NEW YORK",
        "Datadog Infrastructure Pro hosts",
        345000,
        payee="Datadog",
    ),
    _v(
        "Adobe Inc.",
        "Design",
        "adobe.com",
        "6250",
        "ADOBE *CREATIVE CLD",
        "Creative Cloud All Apps",
        8999,
        payee="Adobe",
    ),
    _v(
        "Asana, Inc.",
        "Project Management",
        "asana.com",
        "6250",
        "ASANA.COM SAN FRANCISCO",
        "Asana Business annual",
        29900,
        payee="Asana",
    ),
    _v(
        "Miro (RealtimeBoard, Inc.)",
        "Collaboration",
        "miro.com",
        "6250",
        "MIRO.COM AMSTERDAM",
        "Miro Business seats",
        8000,
        payee="Miro",
    ),
    _v(
        "1Password (AgileBits Inc.)",
        "Security",
        "1password.com",
        "6250",
        "1PASSWORD TORONTO CA",
        "1Password Business",
        7990,
        payee="1Password",
    ),
    _v(
        "サイボウズ株式会社",
        "Collaboration",
        "cybozu.co.jp",
        "6250",
        "CYBOZU INC TOKYO JP",
        "kintone スタンダードコース",
        18000,
        payee="Cybozu",
    ),
    _v(
        "Okta, Inc.",
        "Security",
        "okta.com",
        "6250",
        "OKTA INC SAN FRANCISCO",
        "Okta Workforce Identity SSO + MFA",
        96000,
        payee="Okta",
    ),
    _v(
        "Snowflake Inc.",
        "Data Platform",
        "snowflake.com",
        "6260",
        "SNOWFLAKE INC BOZEMAN",
        "Snowflake credits on demand",
        420000,
        payee="Snowflake",
    ),
    _v(
        "Linear Orbit, Inc.",
        "Developer Tools",
        "linear.app",
        "6250",
        "LINEAR.APP",
        "Linear Standard seats",
        4000,
        payee="Linear",
    ),
    _v(
        "Loom, Inc.",
        "Collaboration",
        "loom.com",
        "6250",
        "LOOM INC",
        "Loom Business",
        2250,
        payee="Loom",
    ),
    _v(
        "Calendly LLC",
        "Productivity",
        "calendly.com",
        "6250",
        "CALENDLY",
        "Calendly Teams",
        1600,
        payee="Calendly",
    ),
    _v(
        "Intercom, Inc.",
        "Customer Support",
        "intercom.com",
        "6250",
        "INTERCOM INC",
        "Intercom Advanced seats",
        39500,
        payee="Intercom",
    ),
    _v(
        "Twilio Inc.",
        "Communications",
        "twilio.com",
        "6200",
        "TWILIO SENDGRID",
        "Twilio SMS + SendGrid email",
        15230,
        payee="Twilio",
    ),
    _v(
        "Market Street Properties LLC",
        "",
        "marketstreetprops.com",
        "6100",
        "MARKET STREET PROPERTIES",
        "Office rent - 525 Market St, Suite 1200",
        4850000,
        "Landlord",
    ),
    _v(
        "Baker McKenzie LLP",
        "",
        "bakermckenzie.com",
        "6400",
        "BAKER MCKENZIE LLP",
        "Legal services - commercial contracts",
        1275000,
        "Professional Services",
    ),
    _v(
        "Pacific Gas & Electric Co",
        "",
        "pge.com",
        "6150",
        "PGANDE WEB ONLINE",
        "Electricity - SF HQ",
        184320,
        "Utility",
    ),
    _v(
        "Staples Business Advantage",
        "",
        "staplesadvantage.com",
        "6500",
        "STAPLES 00123 SAN FRANCISCO",
        "Office supplies order",
        32145,
        "Supplies",
    ),
    _v(
        "FedEx",
        "",
        "fedex.com",
        "6550",
        "FEDEX 78912345",
        "Courier - contracts to customers",
        4512,
        "Courier",
    ),
    _v(
        "Blue Bottle Coffee, Inc.",
        "",
        "bluebottlecoffee.com",
        "6350",
        "SQ *BLUE BOTTLE COFFEE",
        "Team coffee",
        6420,
        "Catering",
    ),
    _v(
        "ezCater, Inc.",
        "",
        "ezcater.com",
        "6350",
        "EZCATER* ACME ALL HANDS",
        "All-hands lunch catering",
        124500,
        "Catering",
    ),
    _v(
        "Uber Technologies, Inc.",
        "",
        "uber.com",
        "6320",
        "UBER *TRIP",
        "Ground transportation",
        3875,
        "Travel",
    ),
    _v(
        "Delta Air Lines, Inc.",
        "",
        "delta.com",
        "6300",
        "DELTA AIR 006{d}",
        "Flight SFO-JFK",
        48760,
        "Travel",
    ),
    _v(
        "Marriott International, Inc.",
        "",
        "marriott.com",
        "6310",
        "MARRIOTT SF",
        "Hotel - customer visit",
        61200,
        "Travel",
    ),
    _v(
        "Amazon.com Services LLC",
        "",
        "amazon.com",
        "6500",
        "AMZN Mktp US*2K4{c}",
        "Amazon Business - peripherals",
        15999,
        "Supplies",
    ),
    _v(
        "Comcast Business",
        "",
        "business.comcast.com",
        "6200",
        "COMCAST BUSINESS 800-391-3000",
        "Internet - SF HQ",
        29995,
        "Utility",
    ),
    _v(
        "Ernst & Young LLP",
        "",
        "ey.com",
        "6410",
        "ERNST & YOUNG LLP",
        "Annual audit fees",
        4500000,
        "Professional Services",
    ),
    _v(
        "O'Reilly & Sons <Media>",
        "Training",
        "oreilly-sons.example",
        "6800",
        "O'REILLY & SONS MEDIA",
        "Learning platform seats <team>",
        49900,
        "Training",
    ),
    _v(
        "Müller Büroservice GmbH",
        "",
        "mueller-bueroservice.de",
        "6500",
        "MUELLER BUEROSERVICE BERLIN",
        "Büromaterial Lieferung",
        23450,
        "Supplies",
    ),
    _v(
        "Παπαδόπουλος Μεταφράσεις Α.Ε.",  # noqa: RUF001 - Greek on purpose
        "",
        "papadopoulos-translations.gr",
        "6400",
        "PAPADOPOULOS ATHENS GR",
        "Μετάφραση συμβάσεων",
        87000,
        "Professional Services",
    ),
    _v(
        "WeWork Companies LLC",
        "",
        "wework.com",
        "6100",
        "WEWORK 2345 LONDON",
        "Hot desks - London",
        265000,
        "Landlord",
    ),
    _v(
        "LinkedIn Corporation",
        "Recruiting",
        "linkedin.com",
        "6700",
        "LINKEDIN-{d}",
        "LinkedIn Recruiter Lite",
        17000,
        payee="LinkedIn",
    ),
)

EMPLOYEES = tuple(f"E-{n:04d}" for n in range(1, 25))

#: (EXPENSETYPE, ACCOUNTNO, employee memo, typical cents)
EXPENSE_LINES = (
    ("Software", "6250", "Zoom Pro monthly", 1599),
    ("Ground Transportation", "6320", "Uber to airport", 5430),
    ("Meals", "6350", "Team lunch - Blue Bottle", 8720),
    ("Lodging", "6310", "Marriott SF 2 nights", 58900),
    ("Airfare", "6300", "Delta SFO-JFK economy", 41250),
    ("Software", "6250", "Notion Plus - paid on personal card", 1000),
    ("Software", "6250", "Figma seat (reimbursement)", 1500),
    ("Ground Transportation", "6320", "Parking downtown", 2800),
    ("Meals", "6350", "Client dinner", 21475),
    ("Office Supplies", "6500", "USB-C adapters", 3499),
    ("Training", "6800", "Conference ticket", 89900),
    ("Meals", "6350", "Café & croissants — Berlin offsite", 4560),
)

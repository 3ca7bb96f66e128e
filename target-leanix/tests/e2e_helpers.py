"""Run the target as a real subprocess, read the LeanIX sandbox's export, and compute expected figures
from the Singer input independently of the target's code (a small reference model of the README policy)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sandboxes.common.process import SandboxProcess

DATA = Path(__file__).parent / "data"
TARGET = Path(sys.executable).parent / "target-leanix"

# What recognition must say about the test data (the catalog keys of target_leanix/recognition).
EXPECTED_CARD_SERVICES = {
    "ATLASSIAN* JIRA SYDNEY AU": "atlassian",
    "ZOOM.US 888-799-9666 CA": "zoom",
    "GITHUB, INC. SAN FRANCISCO": "github",
    "UBER *TRIP HELP.UBER.COM": None,
    "SLACK T04ABC123 DUBLIN": "slack",
    "FIGMA MONTHLY SAN FRANCISCO": "figma",
    "NOTION LABS INC": "notion",
}
EXPECTED_TEXT_SERVICES = {
    # Zoom is a common word; followed by plan words only, a memo still names the service.
    "Zoom Pro monthly": "zoom",
    "Dropbox Business annual": "dropbox",
    "Uber to airport": None,
    "Figma professional seat": "figma",
}
EXPECTED_VENDOR_SERVICES = {
    "V-00001": "slack",
    "V-00002": "atlassian",
    "V-00003": None,
    "V-00004": "figma",
    "V-00005": "candidate:V-00005",  # with software_gl_accounts=["6250"] (see make_intacct_singer)
}


@contextmanager
def leanix_sandbox() -> Iterator[SandboxProcess]:
    """A fresh in-memory LeanIX sandbox that finishes synchronization runs quickly."""
    with SandboxProcess(
        "leanix-sandbox", ["--db", ":memory:", "--in-progress-hold-seconds", "0.05"]
    ) as sandbox:
        yield sandbox


def target_config(
    leanix: SandboxProcess, company: str, ledger_path: Path, **extra: object
) -> dict[str, object]:
    """The target's config against `leanix`, a 2025 cost window in USD; `extra` overrides."""
    return {
        "company_key": company,
        "base_url": leanix.url,
        "api_token": "sandbox-token",
        "ledger_path": str(ledger_path),
        "cost_window_end": "2025-12-31",
        "cost_window_months": 12,
        "reporting_currency": "USD",
        "poll_interval_seconds": 0.05,
        "recognition": {"software_gl_accounts": ["6250"]},
        **extra,
    }


@dataclass
class TargetRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def states(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def run_target(config: dict[str, object], input_path: Path, tmp_path: Path) -> TargetRun:
    config_path = tmp_path / f"config-{len(list(tmp_path.glob('config-*')))}.json"
    config_path.write_text(json.dumps(config))
    with input_path.open("rb") as stdin:
        done = subprocess.run(
            [str(TARGET), "--config", str(config_path)],
            stdin=stdin,
            capture_output=True,
            timeout=120,
            check=False,
        )
    return TargetRun(done.returncode, done.stdout.decode(), done.stderr.decode())


def read_messages(*paths: Path) -> list[dict[str, object]]:
    messages = []
    for path in paths:
        for line in path.read_text().splitlines():
            if line.strip():
                messages.append(json.loads(line, parse_float=Decimal))
    return messages


def latest_records(messages: list[dict[str, object]]) -> dict[str, dict[str, dict[str, object]]]:
    """stream -> RECORDNO -> the latest version (tombstones included)."""
    latest: dict[str, dict[str, dict[str, object]]] = defaultdict(dict)
    for message in messages:
        if message["type"] == "RECORD":
            record = message["record"]
            assert isinstance(record, dict)
            latest[str(message["stream"])][str(record["RECORDNO"])] = record
    return latest


def _alive(record: dict[str, object] | None) -> bool:
    return record is not None and not record.get("_sdc_deleted_at")


# The README's spend policy, restated independently of the target's code.
NON_SPEND_CARD_STATES = {"reversed", "voided", "declined", "draft"}
PAID_REPORT_STATES = {"paid", "partially paid"}
NON_PAYING_REIMBURSEMENTS = {"voided", "reversed", "declined", "draft"}
NON_SPEND_BILL_STATES = {"draft", "reversed", "reversal", "voided"}


@dataclass
class Expected:
    spend: dict[tuple[str, str, str, str], Decimal]  # (service, dept, month, currency)
    cost_usd: dict[str, Decimal]
    invoices: dict[str, dict[str, Decimal]]  # service -> document name -> amount
    departments: dict[str, set[str]]  # service -> departments spending


def _table(mapping: dict[str, str | None]) -> Callable[[str], str | None]:
    return lambda text: mapping[text]


CARD_TABLE = _table(EXPECTED_CARD_SERVICES)
TEXT_TABLE = _table(EXPECTED_TEXT_SERVICES)


def expected_figures(  # noqa: PLR0912 - one reference model, read top to bottom
    messages: list[dict[str, object]],
    window: tuple[str, str],
    *,
    card_service: Callable[[str], str | None] = CARD_TABLE,
    text_service: Callable[[str], str | None] = TEXT_TABLE,
    vendor_service: Callable[[str], str | None] = EXPECTED_VENDOR_SERVICES.get,
) -> Expected:
    latest = latest_records(messages)
    vendors = {
        str(v["VENDORID"]): vendor_service(str(v["VENDORID"]))
        for v in latest["vendor"].values()
        if _alive(v)
    }
    known_departments = {str(d["DEPARTMENTID"]) for d in latest["department"].values() if _alive(d)}
    spend: dict[tuple[str, str, str, str], Decimal] = defaultdict(Decimal)
    cost: dict[str, Decimal] = defaultdict(Decimal)
    rates = _rates(latest)
    headers = latest["cc_transaction"]
    # A card transaction that an AP payment by credit card made is that payment, not card spend.
    card_paid = {
        (p.get("FINANCIALENTITY"), str(p.get("DOCNUMBER")))
        for p in latest["ap_payment"].values()
        if _alive(p) and str(p.get("PAYMENTMETHOD") or "").lower() == "credit card"
    }
    for line in latest["cc_transaction_entry"].values():
        header = headers.get(str(line.get("RECORDKEY")))
        if not _alive(line) or not _alive(header):
            continue
        if str(header["STATE"] or "").lower() in NON_SPEND_CARD_STATES:
            continue
        if (header.get("FINANCIALENTITY"), str(header.get("RECORDID"))) in card_paid:
            continue
        service = vendors.get(str(line.get("VENDORID"))) or card_service(str(header["DESCRIPTION"]))
        if service:
            _add(spend, cost, service, line, window, rates)
    reports = latest["expense_report"]
    reimbursed = {
        str(p["RECORDKEY"])
        for p in latest["employee_payment"].values()
        if _alive(p) and str(p.get("STATE") or "").lower() not in NON_PAYING_REIMBURSEMENTS
    }
    for line in latest["expense_report_item"].values():
        report_key = str(line.get("RECORDKEY"))
        report = reports.get(report_key)
        if not _alive(line) or not _alive(report):
            continue
        paid = str(report["STATE"] or "").lower() in PAID_REPORT_STATES
        if report_key not in reimbursed and not paid:
            continue
        service = vendors.get(str(line.get("VENDORID"))) or text_service(str(line["DESCRIPTION"]))
        if service:
            _add(spend, cost, service, line, window, rates)
    # Accrual basis: a bill line of a service vendor counts in the month of the bill.
    bills = latest["ap_bill"]
    schedules = {
        str(r["SCHOPKEY"]): int(r["REPEATINTERVAL"]) * (12 if r["REPEATBY"] == "Years" else 1)
        for r in latest.get("ap_recurring_bill", {}).values()
        if _alive(r) and r.get("SCHOPKEY") and r.get("REPEATBY") in ("Months", "Years")
    }
    for line in latest["ap_bill_item"].values():
        bill = bills.get(str(line.get("RECORDKEY")))
        if not _alive(line) or not _alive(bill):
            continue
        if str(bill.get("STATE") or "").lower() in NON_SPEND_BILL_STATES:
            continue
        service = vendors.get(str(line.get("VENDORID"))) or vendors.get(str(bill.get("VENDORID")))
        if not service:
            continue
        start, end = line.get("AMORTIZATIONSTARTDATE"), line.get("AMORTIZATIONENDDATE")
        bill_month = str(bill["WHENCREATED"])[:7]
        if start and end:
            months = _period(str(start), str(end))
        else:  # a bill a recurring bill created covers one interval of its schedule
            every = schedules.get(str(bill.get("SCHOPKEY") or ""), 1)
            year, month = int(bill_month[:4]), int(bill_month[5:7])
            months = [
                f"{year + (month - 1 + n) // 12:04d}-{(month - 1 + n) % 12 + 1:02d}"
                for n in range(every)
            ]
        trx_shares = _shares(Decimal(str(line["TRX_AMOUNT"])), len(months))
        base_shares = _shares(Decimal(str(line["AMOUNT"])), len(months))
        for month, trx, base in zip(months, trx_shares, base_shares, strict=True):
            share = {**line, "TRX_AMOUNT": trx, "AMOUNT": base, "ENTRY_DATE": f"{month}-01"}
            _add(spend, cost, service, share, window, rates, month=month)
    invoices: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for stream, obj, vendor_field, amount_field in (
        ("ap_bill", "APBILL", "VENDORID", "TRX_TOTALENTERED"),
        ("ap_payment", "APPYMT", "VENDORID", "TRX_TOTALENTERED"),
        ("po_document", "PODOCUMENT", "CUSTVENDID", "TRX_TOTAL"),
    ):
        for recordno, record in latest[stream].items():
            service = vendors.get(str(record.get(vendor_field)))
            if _alive(record) and service:
                invoices[service][f"Intacct {obj} {recordno}"] = Decimal(str(record[amount_field]))
    departments: dict[str, set[str]] = defaultdict(set)
    for (service, dept, _month, _currency), amount in spend.items():
        if amount and dept in known_departments:
            departments[service].add(dept)
    return Expected(dict(spend), dict(cost), dict(invoices), dict(departments))


def _add(spend, cost, service, line, window, rates, month=None) -> None:
    month = month or str(line["ENTRY_DATE"])[:7]
    trx = Decimal(str(line["TRX_AMOUNT"]))
    department = str(line.get("DEPARTMENTID") or "none")
    spend[(service, department, month, str(line["CURRENCY"]))] += trx
    if window[0] <= month <= window[1]:
        if line["CURRENCY"] == "USD":
            cost[service] += trx
        elif line.get("BASECURR") == "USD":
            cost[service] += Decimal(str(line["AMOUNT"]))
        else:
            # Intacct's table from the base currency to USD, the entry in force on the line's date;
            # each line rounded half up to the cent.
            in_force = [
                (start, rate)
                for start, rate in rates.get((str(line.get("BASECURR")), "USD"), [])
                if start <= str(line["ENTRY_DATE"])[:10]
            ]
            if in_force:
                amount = Decimal(str(line["AMOUNT"])) * max(in_force)[1]
                cost[service] += amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _rates(latest) -> dict[tuple[str, str], list[tuple[str, Decimal]]]:
    """(from, to) currency -> [(effective start date, rate)] of Intacct's exchange-rate tables."""
    tables = {
        key: (str(t["FROM_CURRENCY"]), str(t["TO_CURRENCY"]))
        for key, t in latest.get("exchange_rate", {}).items()
        if _alive(t)
    }
    rates: dict[tuple[str, str], list[tuple[str, Decimal]]] = defaultdict(list)
    for entry in latest.get("exchange_rate_entry", {}).values():
        pair = tables.get(str(entry.get("EXCHANGERATEKEY")))
        if _alive(entry) and pair and entry.get("EXCHANGE_RATE"):
            rates[pair].append(
                (str(entry["EFFECTIVE_START_DATE"])[:10], Decimal(str(entry["EXCHANGE_RATE"])))
            )
    return rates


def _period(start: str, end: str) -> list[str]:
    """The months of a service period: from the start month, as many months as it takes for the
    start day, moved on month by month, to pass the end day (a part month counts as one)."""
    first, last = dt.date.fromisoformat(start[:10]), dt.date.fromisoformat(end[:10])
    count = 1
    while True:
        index = first.month - 1 + count
        year, month = first.year + index // 12, index % 12 + 1
        days = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        if dt.date(year, month, min(first.day, days)) > last:
            break
        count += 1
    return [
        f"{first.year + (first.month - 1 + n) // 12:04d}-{(first.month - 1 + n) % 12 + 1:02d}"
        for n in range(count)
    ]


def _shares(amount: Decimal, parts: int) -> list[Decimal]:
    """`amount` in `parts` equal cents, the remainder cents one each to the first parts."""
    cents = int(abs(amount) * 100)
    share, remainder = divmod(cents, parts)
    sign = -1 if amount < 0 else 1
    return [Decimal(sign * (share + (1 if n < remainder else 0))) / 100 for n in range(parts)]


class Workspace:
    """The part of a sandbox export that belongs to one company."""

    def __init__(self, export: dict[str, object], company: str) -> None:
        prefix = f"intacct:{company}:"
        self.prefix = prefix

        def ours(ref: dict[str, object]) -> bool:
            return str(ref.get("externalId") or "").startswith(prefix)

        self.fact_sheets = [f for f in export["factSheets"] if ours(f)]  # type: ignore[union-attr]
        self.relations = [r for r in export["relations"] if ours(r["from"])]  # type: ignore[union-attr,index]
        self.documents = [d for d in export["documents"] if ours(d["factSheet"])]  # type: ignore[union-attr,index]
        self.metrics = [
            m
            for m in export["metrics"]  # type: ignore[union-attr]
            if any(t["key"] == "service" and t["value"].startswith(prefix) for t in m["tags"])
        ]
        self.runs = [
            r
            for r in export["runs"]
            if r["binding"]["connectorId"] == company  # type: ignore[union-attr,index]
        ]

    def sheets(self, fs_type: str) -> dict[str, dict[str, object]]:
        return {str(f["externalId"]): f for f in self.fact_sheets if f["type"] == fs_type}

    def service_key(self, external_id: str) -> str:
        return external_id.removeprefix(f"{self.prefix}service:")

    def spend(self) -> dict[tuple[str, str, str, str], Decimal]:
        """(service, department, month, currency) -> amount, the sources added up."""
        out: dict[tuple[str, str, str, str], Decimal] = defaultdict(Decimal)
        for (
            service,
            department,
            month,
            currency,
            _source,
        ), amount in self.spend_by_source().items():
            out[(service, department, month, currency)] += amount
        return dict(out)

    def spend_by_source(self) -> dict[tuple[str, str, str, str, str], Decimal]:
        """(service, department, month, currency, source) -> amount of each metrics point."""
        out = {}
        for point in self.metrics:
            if point["measurement"] != "intacctSpend":
                continue  # committed spend is a measurement of its own, never spend
            tags = {t["key"]: t["value"] for t in point["tags"]}
            key = (
                self.service_key(tags["service"]),
                tags["department"],
                point["time"][:7],
                tags["currency"],
                tags.get("source", ""),
            )
            assert key not in out, f"two points for {key}"
            out[key] = Decimal(point["fields"]["amount"])
        return out

    def costs(self) -> dict[str, Decimal]:
        return {
            self.service_key(r["from"]["externalId"]): Decimal(r["fields"]["costTotalAnnual"])
            for r in self.relations
            if r["type"] == "relApplicationToITComponent" and "costTotalAnnual" in r["fields"]
        }

    def invoices(self) -> dict[str, dict[str, Decimal]]:
        out: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for document in self.documents:
            if document["name"].startswith("Intacct APRECURBILL "):
                continue  # a recurring bill is a commitment, not an invoice
            metadata = json.loads(document["metadata"])
            service = self.service_key(document["factSheet"]["externalId"])
            out[service][document["name"]] = Decimal(metadata["amount"])
        return dict(out)

    def department_links(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for r in self.relations:
            if r["type"] == "relApplicationToUserGroup":
                out[self.service_key(r["from"]["externalId"])].add(
                    r["to"]["externalId"].removeprefix(f"{self.prefix}department:")
                )
        return dict(out)

    def content(self) -> dict[str, object]:
        """Everything but runs: what a rerun with the same input must leave untouched."""
        return {
            "factSheets": self.fact_sheets,
            "relations": self.relations,
            "documents": self.documents,
            "metrics": self.metrics,
        }

"""The demo company's books are realistic and consistent, checked on the raw rows the sandbox serves.

Every expectation is computed here from the rows (and the calendar), not taken from the sandbox's code.
"""

from __future__ import annotations

import calendar
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from sandboxes.common.process import SandboxProcess
from sandboxes.intacct.client import GatewayClient

Row = dict[str, str]
CENT = Decimal("0.01")
BASE = {"US01": "USD", "DE01": "EUR", "UK01": "GBP"}
CARDS = {"US01": "AMEX-US-1004", "DE01": "AMEX-DE-2001", "UK01": "BARCLAYCARD-UK-3001"}
BIG_SERVICE_CATEGORIES = {"CRM", "ERP", "Cloud Infrastructure", "Collaboration"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", "1"]) as process:
        yield process


@pytest.fixture(scope="module")
def company(sandbox: SandboxProcess) -> dict[str, list[Row]]:
    names = sandbox.admin("GET", "/admin/objects")
    rows = {name: sandbox.admin("GET", f"/admin/objects/{name}")["rows"] for name in names}
    rows["_DELETED_APBILLITEM"] = sandbox.admin("GET", "/admin/deleted/APBILLITEM")["deleted"]
    return rows


def test_new_objects_speak_the_gateway_functions(
    sandbox: SandboxProcess, company: dict[str, list[Row]]
) -> None:
    client = GatewayClient(sandbox.url)
    client.login()
    fields = {
        f.findtext("ID"): f.findtext("DATATYPE")
        for f in client.call("<lookup><object>GLENTRY</object></lookup>")
        .data()
        .findall("Type/Fields/Field")
    }
    assert fields["TR_TYPE"] == "INTEGER"
    assert fields["AMOUNT"] == "CURRENCY"
    table = company["EXCHANGERATE"][0]["RECORDNO"]
    entries = client.call(
        "<readByQuery><object>EXCHANGERATEENTRY</object><fields>RECORDNO,EXCHANGE_RATE</fields>"
        f"<query>EXCHANGERATEKEY = {table}</query><pagesize>1000</pagesize></readByQuery>"
    ).records()
    want = {r["RECORDNO"] for r in company["EXCHANGERATEENTRY"] if r["EXCHANGERATEKEY"] == table}
    assert {r["RECORDNO"] for r in entries} == want
    batch = next(b for b in company["GLBATCH"] if b["JOURNAL"] == "GJ")
    lines = client.call(
        "<query><object>GLENTRY</object><select><field>RECORDNO</field><field>TR_TYPE</field>"
        "</select><filter><equalto><field>BATCHNO</field>"
        f"<value>{batch['RECORDNO']}</value></equalto></filter>"
        "<options><showprivate>true</showprivate></options></query>"
    ).records()
    assert sorted(r["TR_TYPE"] for r in lines) == ["-1", "1"]


def day(value: str) -> date:
    month, mday, year = (int(part) for part in value.split("/"))
    return date(year, month, mday)


def money(value: str) -> Decimal:
    return Decimal(value or "0")


def plus_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    last = calendar.monthrange(start.year + year, month + 1)[1]
    return date(start.year + year, month + 1, min(start.day, last))


def by(rows: list[Row], key: str) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out


def test_every_journal_entry_balances(company: dict[str, list[Row]]) -> None:
    batches = {r["RECORDNO"]: r for r in company["GLBATCH"]}
    lines = by(company["GLENTRY"], "BATCHNO")
    assert set(lines) == set(batches)
    for recordno, entries in lines.items():
        assert len(entries) >= 2, recordno
        for field in ("AMOUNT", "TRX_AMOUNT"):
            debit = sum(money(e[field]) for e in entries if e["TR_TYPE"] == "1")
            credit = sum(money(e[field]) for e in entries if e["TR_TYPE"] == "-1")
            assert debit == credit > 0, (recordno, field)
        assert {e["TR_TYPE"] for e in entries} == {"1", "-1"}
        assert all(money(e["AMOUNT"]) > 0 for e in entries)
        assert sorted(int(e["LINE_NO"]) for e in entries) == list(range(1, len(entries) + 1))
        header = batches[recordno]
        assert {e["ENTRY_DATE"] for e in entries} == {header["BATCH_DATE"]}
        assert {e["MEGAENTITYID"] for e in entries} == {header["MEGAENTITYID"]}


def test_amounts_are_transaction_amounts_times_the_rate(company: dict[str, list[Row]]) -> None:
    for name in ("GLENTRY", "APBILLITEM", "CCTRANSACTIONENTRY", "APRECURBILLENTRY"):
        foreign = 0
        for row in company[name]:
            assert row["BASECURR"] == BASE[row["MEGAENTITYID"]], (name, row["RECORDNO"])
            rate = Decimal(row.get("EXCHANGE_RATE") or "1")
            want = (money(row["TRX_AMOUNT"]) * rate).quantize(CENT, rounding=ROUND_HALF_UP)
            assert money(row["AMOUNT"]) == want, (name, row["RECORDNO"])
            if row["CURRENCY"] == row["BASECURR"]:
                assert rate == 1, (name, row["RECORDNO"])
            else:
                foreign += 1
        assert foreign or name == "APRECURBILLENTRY", name
    eur_gbp = {r["MEGAENTITYID"] for r in company["GLENTRY"]}
    assert {"DE01", "UK01"} <= eur_gbp


def test_manual_journals_amortise_prepaid_contracts(company: dict[str, list[Row]]) -> None:
    accounts = {r["ACCOUNTNO"]: r for r in company["GLACCOUNT"]}
    vendors = {r["VENDORID"]: r for r in company["VENDOR"]}
    lines = by(company["GLENTRY"], "BATCHNO")
    manual = [b for b in company["GLBATCH"] if b["MODULE"] == "2.GL"]
    assert len(manual) >= 24
    assert {b["JOURNAL"] for b in manual} == {"GJ"}
    assert {b["STATE"] for b in manual} == {"Posted", "Draft"}
    credited: dict[str, Decimal] = defaultdict(Decimal)
    for batch in manual:
        entries = lines[batch["RECORDNO"]]
        (debit,) = [e for e in entries if e["TR_TYPE"] == "1"]
        (credit,) = [e for e in entries if e["TR_TYPE"] == "-1"]
        assert accounts[debit["ACCOUNTNO"]]["ACCOUNTTYPE"] == "incomestatement"
        assert credit["ACCOUNTNO"] == "1400"
        vendor = vendors[debit["VENDORID"]]
        assert batch["BATCH_TITLE"].startswith(vendor["NAME"]), batch["BATCH_TITLE"]
        assert vendor["SAAS_CATEGORY"]
        assert "amortisation" in debit["DESCRIPTION"]
        if batch["STATE"] == "Posted":
            credited[debit["VENDORID"]] += money(credit["TRX_AMOUNT"])
    # What was amortised never exceeds what was prepaid to the vendor's Prepaid Expenses line.
    prepaid: dict[str, Decimal] = defaultdict(Decimal)
    for line in company["APBILLITEM"]:
        if line["ACCOUNTNO"] == "1400":
            prepaid[line["VENDORID"]] += money(line["TRX_AMOUNT"])
    assert set(credited) == set(prepaid)
    assert all(0 < credited[v] <= prepaid[v] for v in prepaid)
    assert any(credited[v] == prepaid[v] for v in prepaid)  # one contract fully amortised


def test_subledger_batches_repeat_ap_documents(company: dict[str, list[Row]]) -> None:
    bills = {r["RECORDID"]: r for r in company["APBILL"]}
    lines = by(company["GLENTRY"], "BATCHNO")
    subledger = [b for b in company["GLBATCH"] if b["MODULE"] == "3.AP"]
    assert {b["JOURNAL"] for b in subledger} == {"APJ", "CDJ"}
    for batch in subledger:
        bill = bills[batch["REFERENCENO"]]
        entries = lines[batch["RECORDNO"]]
        assert {e["VENDORID"] for e in entries} == {bill["VENDORID"]}
        assert any(e["ACCOUNTNO"] == "2000" for e in entries)
        if batch["JOURNAL"] == "APJ":
            net = sum(
                money(e["TRX_AMOUNT"]) * int(e["TR_TYPE"])
                for e in entries
                if e["ACCOUNTNO"] != "2000"
            )
            assert net == money(bill["TRX_TOTALENTERED"]), batch["REFERENCENO"]


def schedule(template: Row, until: date) -> list[date]:
    start = day(template["STARTDATE"])
    end = day(template["ENDDATE"]) if template["ENDDATE"] else None
    interval = int(template["REPEATINTERVAL"])
    out: list[date] = []
    while True:
        n = len(out)
        if template["REPEATBY"] in ("Months", "Years"):
            step = 12 if template["REPEATBY"] == "Years" else 1
            when = plus_months(start, n * interval * step)
        else:
            when = start + timedelta(
                days=n * interval * (7 if template["REPEATBY"] == "Weeks" else 1)
            )
        if when > until or (end is not None and when > end):
            return out
        out.append(when)


def test_recurring_bills_follow_their_schedule(company: dict[str, list[Row]]) -> None:
    data_end = date(2025, 6, 30)
    entries = by(company["APRECURBILLENTRY"], "RECORDKEY")
    bills_of = by([b for b in company["APBILL"] if b["SCHOPKEY"]], "SCHOPKEY")
    items = by(company["APBILLITEM"], "RECORDKEY")
    with_bills = ended = running = 0
    for template in company["APRECURBILL"]:
        runs = schedule(template, data_end)
        assert int(template["EXECCOUNT"]) == len(runs)
        assert template["LASTEXECDATE"] == (runs[-1].strftime("%m/%d/%Y") if runs else "")
        upcoming = schedule(template, date(2100, 1, 1))[len(runs) : len(runs) + 1]
        if template["STATUS"] == "active" and upcoming:
            assert day(template["NEXTEXECDATE"]) == upcoming[0]
        else:
            assert template["NEXTEXECDATE"] == ""
        lines = entries[template["RECORDNO"]]
        assert money(template["TOTALENTERED"]) == sum(money(e["AMOUNT"]) for e in lines)
        bills = bills_of.get(template["SCHOPKEY"], [])
        if not bills:
            continue
        with_bills += 1
        ended += template["STATUS"] == "inactive"
        running += template["STATUS"] == "active"
        assert sorted(day(b["WHENCREATED"]) for b in bills) == runs
        for bill in bills:
            assert bill["VENDORID"] == template["VENDORID"]
            assert bill["DESCRIPTION"] == template["DESCRIPTION"]
            amounts = sorted(money(i["TRX_AMOUNT"]) for i in items[bill["RECORDNO"]])
            assert amounts == sorted(money(e["TRX_AMOUNT"]) for e in lines)
    assert with_bills >= 3
    assert ended
    assert running


def test_a_bill_paid_by_card_is_linked_to_its_card_transaction(
    company: dict[str, list[Row]],
) -> None:
    card_payments = [p for p in company["APPYMT"] if p["PAYMENTMETHOD"] == "Credit Card"]
    assert len(card_payments) == 1
    (payment,) = card_payments
    assert payment["FINANCIALENTITY"] == CARDS[payment["MEGAENTITYID"]]
    cards = {(t["FINANCIALENTITY"], t["RECORDID"]): t for t in company["CCTRANSACTION"]}
    payments = {(p["FINANCIALENTITY"], p["DOCNUMBER"]) for p in company["APPYMT"]}
    assert set(cards) & payments == {(payment["FINANCIALENTITY"], payment["DOCNUMBER"])}
    card = cards[(payment["FINANCIALENTITY"], payment["DOCNUMBER"])]
    assert card["TOTALENTERED"] == payment["TOTALENTERED"]
    assert card["WHENCREATED"] == payment["WHENCREATED"]
    assert card["MEGAENTITYID"] == payment["MEGAENTITYID"]
    (line,) = [e for e in company["CCTRANSACTIONENTRY"] if e["RECORDKEY"] == card["RECORDNO"]]
    assert line["ACCOUNTNO"] == "2000"
    assert line["VENDORID"] == payment["VENDORID"]
    details = [d for d in company["APPYMTDETAIL"] if d["PAYMENTKEY"] == payment["RECORDNO"]]
    (bill_no,) = {d["RECORDKEY"] for d in details}
    (bill,) = [b for b in company["APBILL"] if b["RECORDNO"] == bill_no]
    assert bill["STATE"] == "Paid"
    assert bill["TOTALPAID"] == payment["TOTALENTERED"] == bill["TOTALENTERED"]


def test_the_charge_payoff_is_a_bill_of_the_card_issuer(company: dict[str, list[Row]]) -> None:
    issuers = {v["VENDORID"] for v in company["VENDOR"] if v["VENDTYPE"] == "Credit Card Issuer"}
    assert issuers
    assert not [v for v in company["VENDOR"] if v["VENDORID"] in issuers and v["SAAS_CATEGORY"]]
    (payoff,) = [b for b in company["APBILL"] if b["VENDORID"] in issuers]
    (line,) = [i for i in company["APBILLITEM"] if i["RECORDKEY"] == payoff["RECORDNO"]]
    assert line["ACCOUNTNO"] == "2100"
    card = CARDS[payoff["MEGAENTITYID"]]
    assert card in line["ENTRYDESCRIPTION"]
    statement = sum(
        money(t["TOTALENTERED"])
        for t in company["CCTRANSACTION"]
        if t["FINANCIALENTITY"] == card
        and (day(t["WHENCREATED"]).year, day(t["WHENCREATED"]).month) == (2024, 9)
    )
    assert money(payoff["TOTALENTERED"]) == statement > 0


def test_payments_partial_voided_and_credits(company: dict[str, list[Row]]) -> None:
    payments = {p["RECORDNO"]: p for p in company["APPYMT"]}
    paid: dict[str, Decimal] = defaultdict(Decimal)
    paid_by: dict[str, set[str]] = defaultdict(set)
    for detail in company["APPYMTDETAIL"]:
        if payments[detail["PAYMENTKEY"]]["STATE"] == "Complete":
            paid[detail["RECORDKEY"]] += money(detail["PAYMENTAMOUNT"])
            paid_by[detail["RECORDKEY"]].add(detail["PAYMENTKEY"])
    for bill in company["APBILL"]:
        total, done = money(bill["TOTALENTERED"]), money(bill["TOTALPAID"])
        assert done == paid[bill["RECORDNO"]], bill["RECORDNO"]
        assert money(bill["TOTALDUE"]) == total - done, bill["RECORDNO"]
        state = "Paid" if done and done == total else "Partially Paid" if done else None
        assert state is None or bill["STATE"] == state, bill["RECORDNO"]
    partial = [b for b in company["APBILL"] if b["STATE"] == "Partially Paid"]
    assert partial
    assert all(len(paid_by[b["RECORDNO"]]) >= 2 for b in partial)
    voided = [p for p in company["APPYMT"] if p["STATE"] == "Voided"]
    assert voided
    drafts = {b["RECORDNO"]: b["STATE"] for b in company["APBILL"]}
    for payment in voided:
        bills = {
            d["RECORDKEY"]
            for d in company["APPYMTDETAIL"]
            if d["PAYMENTKEY"] == payment["RECORDNO"]
        }
        # paid again by another payment, unless the bill is a Draft (the bill with a line beyond
        # 2**53 cents, whose payment is voided so that it stays out of spend)
        assert all(paid_by[b] for b in bills if drafts.get(b) != "Draft")
    lines = by(company["APBILLITEM"], "RECORDKEY")
    memos = [b for b in company["APBILL"] if money(b["TOTALENTERED"]) < 0]
    assert memos
    assert all(money(i["AMOUNT"]) < 0 for b in memos for i in lines[b["RECORDNO"]])
    mixed = [
        b
        for b in company["APBILL"]
        if money(b["TOTALENTERED"]) > 0
        and any(money(i["AMOUNT"]) < 0 for i in lines[b["RECORDNO"]])
    ]
    assert mixed


def test_a_deleted_bill_line_is_gone_and_in_the_audit_trail(company: dict[str, list[Row]]) -> None:
    live = {r["RECORDNO"] for r in company["APBILLITEM"]}
    deleted = [r["OBJECTKEY"].removesuffix("--REC") for r in company["_DELETED_APBILLITEM"]]
    assert deleted
    assert not set(deleted) & live


def test_saas_lines_carry_service_periods(company: dict[str, list[Row]]) -> None:
    vendors = {v["VENDORID"]: v for v in company["VENDOR"]}
    spans = []
    for line in company["APBILLITEM"]:
        if line["AMORTIZATIONSTARTDATE"]:
            start, end = day(line["AMORTIZATIONSTARTDATE"]), day(line["AMORTIZATIONENDDATE"])
            assert start <= end
            assert vendors[line["VENDORID"]]["SAAS_CATEGORY"], line["RECORDNO"]
            spans.append((end - start).days + 1)
        else:
            assert not line["AMORTIZATIONENDDATE"]
    assert {365, 366} & set(spans)  # annual
    assert {90, 91, 92} & set(spans)  # quarterly


def test_crm_erp_cloud_and_collaboration_are_the_biggest_services(
    company: dict[str, list[Row]],
) -> None:
    vendors = {v["VENDORID"]: v for v in company["VENDOR"]}
    usd = rate_tables(company)
    spend: dict[str, Decimal] = defaultdict(Decimal)
    for bill in company["APBILL"]:
        when = day(bill["WHENCREATED"])
        category = vendors[bill["VENDORID"]]["SAAS_CATEGORY"]
        if when >= date(2024, 1, 1) and category:
            spend[bill["VENDORID"]] += money(bill["TOTALENTERED"]) * usd(bill["BASECURR"], when)
    top = sorted(spend, key=spend.__getitem__, reverse=True)[:5]
    assert {vendors[v]["SAAS_CATEGORY"] for v in top} <= BIG_SERVICE_CATEGORIES, [
        (vendors[v]["NAME"], spend[v]) for v in top
    ]


def rate_tables(company: dict[str, list[Row]]) -> Callable[[str, date], Decimal]:
    """USD per unit of a currency on a day, from the Intacct rate tables."""
    tables = {r["RECORDNO"]: r for r in company["EXCHANGERATE"]}
    entries = by(company["EXCHANGERATEENTRY"], "EXCHANGERATEKEY")

    def rate(currency: str, when: date) -> Decimal:
        if currency == "USD":
            return Decimal(1)
        (table,) = [
            t
            for t in tables.values()
            if (t["FROM_CURRENCY"], t["TO_CURRENCY"]) == (currency, "USD")
        ]
        effective = [
            e for e in entries[table["RECORDNO"]] if day(e["EFFECTIVE_START_DATE"]) <= when
        ]
        return Decimal(
            max(effective, key=lambda e: day(e["EFFECTIVE_START_DATE"]))["EXCHANGE_RATE"]
        )

    return rate


def test_exchange_rate_tables(company: dict[str, list[Row]]) -> None:
    tables = company["EXCHANGERATE"]
    assert {(t["FROM_CURRENCY"], t["TO_CURRENCY"]) for t in tables} == {
        ("EUR", "USD"),
        ("GBP", "USD"),
    }
    entries = by(company["EXCHANGERATEENTRY"], "EXCHANGERATEKEY")
    assert set(entries) == {t["RECORDNO"] for t in tables}
    for table in tables:
        assert table["TYPENAME"]
        starts = sorted(day(e["EFFECTIVE_START_DATE"]) for e in entries[table["RECORDNO"]])
        assert starts[0] <= date(2023, 1, 1)
        assert starts[-1] >= date(2025, 6, 1)
        assert all(plus_months(a, 1) == b for a, b in itertools.pairwise(starts))
        for entry in entries[table["RECORDNO"]]:
            product = Decimal(entry["EXCHANGE_RATE"]) * Decimal(entry["RECIPROCAL_RATE"])
            assert abs(product - 1) < Decimal("0.00001"), entry


def test_open_purchase_orders_of_service_vendors(company: dict[str, list[Row]]) -> None:
    vendors = {v["VENDORID"]: v for v in company["VENDOR"]}
    lines = by(company["PODOCUMENTENTRY"], "DOCHDRNO")
    open_orders = [
        d
        for d in company["PODOCUMENT"]
        if d["DOCPARID"] == "Purchase Order"
        and d["STATE"] in ("Pending", "Partially Converted")
        and vendors[d["CUSTVENDID"]]["SAAS_CATEGORY"]
        and money(d["TRX_TOTAL"]) >= 100000
    ]
    assert len(open_orders) >= 3
    for order in open_orders:
        assert money(order["TOTAL"]) == sum(money(e["TOTAL"]) for e in lines[order["RECORDNO"]])

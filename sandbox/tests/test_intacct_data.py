"""The demo company keeps its relations (lines add up to their headers) and is reproducible from its
seed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

import pytest

from sandboxes.common.process import SandboxProcess

Row = dict[str, str]
LINES = {
    "APBILLITEM": (
        "APBILL",
        "RECORDKEY",
        "AMOUNT",
        "TRX_AMOUNT",
        "TOTALENTERED",
        "TRX_TOTALENTERED",
    ),
    "CCTRANSACTIONENTRY": (
        "CCTRANSACTION",
        "RECORDKEY",
        "AMOUNT",
        "TRX_AMOUNT",
        "TOTALENTERED",
        "TRX_TOTALENTERED",
    ),
    "EEXPENSESITEM": (
        "EEXPENSES",
        "RECORDKEY",
        "AMOUNT",
        "TRX_AMOUNT",
        "TOTALENTERED",
        "TRX_TOTALENTERED",
    ),
    "PODOCUMENTENTRY": ("PODOCUMENT", "DOCHDRNO", "TOTAL", "TRX_TOTAL", "TOTAL", "TRX_TOTAL"),
    "APRECURBILLENTRY": (
        "APRECURBILL",
        "RECORDKEY",
        "AMOUNT",
        "TRX_AMOUNT",
        "TOTALENTERED",
        "TRX_TOTALENTERED",
    ),
    "APPYMTDETAIL": (
        "APPYMT",
        "PAYMENTKEY",
        "PAYMENTAMOUNT",
        "TRX_PAYMENTAMOUNT",
        "TOTALENTERED",
        "TRX_TOTALENTERED",
    ),
}
BASE = {"US01": "USD", "DE01": "EUR", "UK01": "GBP"}


@pytest.fixture(scope="module")
def company() -> Iterator[dict[str, list[Row]]]:
    with SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", "1"]) as process:
        names = process.admin("GET", "/admin/objects")
        yield {name: process.admin("GET", f"/admin/objects/{name}")["rows"] for name in names}


def test_header_totals_are_the_exact_sums_of_their_lines(company: dict[str, list[Row]]) -> None:
    for line_object, (header, key, amount, trx, total, trx_total) in LINES.items():
        sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for line in company[line_object]:
            sums[line[key]][0] += Decimal(line[amount])
            sums[line[key]][1] += Decimal(line[trx])
        headers = {r["RECORDNO"]: r for r in company[header]}
        assert set(sums) <= set(headers), line_object
        for recordno, (base_sum, trx_sum) in sums.items():
            assert Decimal(headers[recordno][total]) == base_sum, (line_object, recordno)
            assert Decimal(headers[recordno][trx_total]) == trx_sum, (line_object, recordno)


def test_references_exist(company: dict[str, list[Row]]) -> None:
    departments = {r["DEPARTMENTID"] for r in company["DEPARTMENT"]}
    locations = {r["LOCATIONID"] for r in company["LOCATION"]}
    accounts = {r["ACCOUNTNO"] for r in company["GLACCOUNT"]}
    vendors = {r["VENDORID"] for r in company["VENDOR"]}
    for name, rows in company.items():
        for row in rows:
            assert row.get("DEPARTMENTID", "") in departments | {""}, (name, row["RECORDNO"])
            assert row.get("LOCATIONID", "") in locations | {""}, (name, row["RECORDNO"])
            assert row.get("ACCOUNTNO", "") in accounts | {""}, (name, row["RECORDNO"])
            assert row.get("VENDORID", row.get("CUSTVENDID", "")) in vendors | {""}, (
                name,
                row["RECORDNO"],
            )
    bills = {r["RECORDNO"] for r in company["APBILL"]}
    lines = {r["RECORDNO"] for r in company["APBILLITEM"]}
    for detail in company["APPYMTDETAIL"]:
        assert detail["RECORDKEY"] in bills
        assert detail["ENTRYKEY"] in lines
    reports = {r["RECORDNO"] for r in company["EEXPENSES"]}
    assert all(p["RECORDKEY"] in reports for p in company["EPPAYMENT"])


def test_currencies_and_rates(company: dict[str, list[Row]]) -> None:
    foreign = 0
    for line in company["APBILLITEM"] + company["CCTRANSACTIONENTRY"]:
        assert line["BASECURR"] == BASE[line["MEGAENTITYID"]]
        rate = Decimal(line["EXCHANGE_RATE"])
        expected = (Decimal(line["TRX_AMOUNT"]) * rate).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        assert Decimal(line["AMOUNT"]) == expected
        if line["CURRENCY"] != line["BASECURR"]:
            foreign += 1
            assert len(line["EXCHANGE_RATE"].split(".")[1]) >= 8
    assert foreign > 100
    assert {r["CURRENCY"] for r in company["APBILL"]} >= {"USD", "EUR", "GBP"}


def test_hard_cases_are_present(company: dict[str, list[Row]]) -> None:
    amounts = {r["AMOUNT"] for r in company["APBILLITEM"]}
    assert {"0.10", "0.20", "90071992547409.93"} <= amounts
    names = {r["NAME"] for r in company["VENDOR"]}
    assert {
        "Atlassian Pty Ltd",
        "Slack Technologies, LLC",
        "Amazon Web Services, Inc.",
        "Zoom Video Communications Inc",
        "サイボウズ株式会社",
        "Market Street Properties LLC",
        "Baker McKenzie LLP",
        "Pacific Gas & Electric Co",
        "Staples Business Advantage",
        "FedEx",
        "O'Reilly & Sons <Media>",
        "Müller Büroservice GmbH",
    } <= names
    descriptors = [r["DESCRIPTION"] for r in company["CCTRANSACTION"]]
    for prefix in (
        "ATLASSIAN* JIRA SYDNEY AU",
        "SLACK T0",
        "AMZN Mktp US*2K4",
        "ZOOM.US 888-799-9666 CA",
        "GOOGLE *GSUITE_acme.co",
        "MSFT * E0",
        "DROPBOX*",
        "SQ *BLUE BOTTLE COFFEE",
        "UBER *TRIP",
        "DELTA AIR 006",
        "MARRIOTT SF",
    ):
        assert any(d.startswith(prefix) for d in descriptors), prefix
    assert sum(1 for r in company["VENDOR"] if r["WHENMODIFIED"] == "") >= 3
    assert {r["MEGAENTITYID"] for r in company["APBILL"]} == {"US01", "DE01", "UK01"}
    assert all(r["MEGAENTITYID"] == "" for r in company["VENDOR"] + company["GLACCOUNT"])


def test_same_seed_same_company_other_seed_differs(company: dict[str, list[Row]]) -> None:
    with SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", "1"]) as again:
        assert (
            again.admin("GET", "/admin/objects/CCTRANSACTION?offset=100&limit=50")["rows"]
            == company["CCTRANSACTION"][100:150]
        )
    with SandboxProcess("intacct-sandbox", ["--seed", "8", "--scale", "1"]) as other:
        assert (
            other.admin("GET", "/admin/objects/CCTRANSACTION?offset=100&limit=50")["rows"]
            != company["CCTRANSACTION"][100:150]
        )

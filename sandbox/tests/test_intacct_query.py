"""query and readByQuery/readMore against the ground truth of /admin/objects (demo scale)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess
from sandboxes.intacct.client import GatewayClient

Row = dict[str, str]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", "1"]) as process:
        yield process


@pytest.fixture(scope="module")
def client(sandbox: SandboxProcess) -> GatewayClient:
    c = GatewayClient(sandbox.url)
    c.login()
    return c


@pytest.fixture(scope="module")
def truth(sandbox: SandboxProcess) -> dict[str, list[Row]]:
    cache: dict[str, list[Row]] = {}

    class Lazy(dict[str, list[Row]]):
        def __missing__(self, name: str) -> list[Row]:
            cache[name] = sandbox.admin("GET", f"/admin/objects/{name}")["rows"]
            self[name] = cache[name]
            return cache[name]

    return Lazy()


def ts_key(value: str) -> str:
    return value[6:10] + value[0:2] + value[3:5] + value[11:]


def query_all(
    client: GatewayClient,
    obj: str,
    fields: list[str],
    extra: str = "",
    *,
    pagesize: int = 2000,
    private: bool = True,
) -> tuple[list[Row], list[Any]]:
    select = "".join(f"<field>{f}</field>" for f in fields)
    options = "<options><showprivate>true</showprivate></options>" if private else ""
    rows: list[Row] = []
    metas = []
    offset = 0
    while True:
        reply = client.call(
            f"<query><object>{obj}</object><select>{select}</select>{extra}{options}"
            f"<pagesize>{pagesize}</pagesize><offset>{offset}</offset></query>"
        )
        data = reply.data()
        metas.append(dict(data.attrib))
        page = [{c.tag: (c.text or "") for c in rec} for rec in data]
        rows += page
        offset += len(page)
        if data.get("numremaining") == "0" or not page:
            return rows, metas


def recordnos(rows: list[Row]) -> list[int]:
    return [int(r["RECORDNO"]) for r in rows]


def cond(op: str, field: str, *values: str) -> str:
    return (
        f"<{op}><field>{field}</field>"
        + "".join(f"<value>{v}</value>" for v in values)
        + f"</{op}>"
    )


def test_every_filter_operator(client: GatewayClient, truth: dict[str, list[Row]]) -> None:
    bills = truth["APBILL"]
    amount = lambda r: Decimal(r["TOTALENTERED"])  # noqa: E731
    cases: list[tuple[str, Any]] = [
        (cond("equalto", "VENDORID", "V-00001"), lambda r: r["VENDORID"] == "V-00001"),
        (cond("notequalto", "STATE", "Paid"), lambda r: r["STATE"] != "Paid"),
        (cond("lessthan", "TOTALENTERED", "100"), lambda r: amount(r) < 100),
        (cond("lessthanorequalto", "TOTALENTERED", "0.30"), lambda r: amount(r) <= Decimal("0.30")),
        (cond("greaterthan", "TOTALENTERED", "50000"), lambda r: amount(r) > 50000),
        (
            cond("greaterthanorequalto", "WHENCREATED", "06/01/2024"),
            lambda r: ts_key(r["WHENCREATED"]) >= "20240601",
        ),
        (
            cond("between", "WHENCREATED", "01/01/2024", "03/31/2024"),
            lambda r: "20240101" <= ts_key(r["WHENCREATED"]) <= "20240331",
        ),
        (cond("in", "CURRENCY", "EUR", "GBP"), lambda r: r["CURRENCY"] in ("EUR", "GBP")),
        (
            cond("notin", "MEGAENTITYID", "US01", "DE01"),
            lambda r: r["MEGAENTITYID"] not in ("US01", "DE01"),
        ),
        (cond("like", "VENDORNAME", "%Inc%"), lambda r: "Inc" in r["VENDORNAME"]),
        (
            cond("notlike", "DESCRIPTION", "Slack%"),
            lambda r: not r["DESCRIPTION"].startswith("Slack"),
        ),
        (cond("isnull", "WHENPAID"), lambda r: r["WHENPAID"] == ""),
        (cond("isnotnull", "SUPDOCID"), lambda r: r["SUPDOCID"] != ""),
        (
            "<or>"
            + cond("equalto", "VENDORID", "V-00002")
            + "<and>"
            + cond("equalto", "CURRENCY", "GBP")
            + cond("greaterthan", "TOTALENTERED", "1000")
            + "</and></or>",
            lambda r: r["VENDORID"] == "V-00002" or (r["CURRENCY"] == "GBP" and amount(r) > 1000),
        ),
    ]
    for xml, predicate in cases:
        rows, metas = query_all(client, "APBILL", ["RECORDNO"], f"<filter>{xml}</filter>")
        expected = [int(r["RECORDNO"]) for r in bills if predicate(r)]
        assert recordnos(rows) == expected, xml
        assert expected, f"filter selects nothing, test is weak: {xml}"
        assert int(metas[0]["totalcount"]) == len(expected)


def test_case_insensitive_option(client: GatewayClient) -> None:
    xml = "<filter>" + cond("equalto", "NAME", "atlassian pty ltd") + "</filter>"
    sensitive, _ = query_all(client, "VENDOR", ["NAME"], xml)
    insensitive, _ = query_all(
        client,
        "VENDOR",
        ["NAME"],
        xml + "<options><caseinsensitive>true</caseinsensitive></options>",
        private=False,
    )
    assert sensitive == []
    assert insensitive == [{"NAME": "Atlassian Pty Ltd"}]


def test_orderby_several_fields(client: GatewayClient, truth: dict[str, list[Row]]) -> None:
    order = "<orderby><order><field>VENDORID</field><ascending/></order><order><field>TOTALENTERED</field><descending/></order></orderby>"
    rows, _ = query_all(
        client, "APBILL", ["RECORDNO", "VENDORID", "TOTALENTERED"], order, pagesize=700
    )
    expected = sorted(truth["APBILL"], key=lambda r: int(r["RECORDNO"]))
    expected.sort(key=lambda r: Decimal(r["TOTALENTERED"]), reverse=True)
    expected.sort(key=lambda r: r["VENDORID"])
    assert recordnos(rows) == recordnos(expected)


def test_offset_paging_attributes(client: GatewayClient, truth: dict[str, list[Row]]) -> None:
    total = len(truth["CCTRANSACTION"])
    reply = client.call(
        "<query><object>CCTRANSACTION</object><select><field>RECORDNO</field></select>"
        "<options><showprivate>true</showprivate></options><pagesize>7</pagesize><offset>20</offset></query>"
    )
    data = reply.data()
    assert dict(data.attrib) == {
        "listtype": "CCTRANSACTION",
        "totalcount": str(total),
        "offset": "20",
        "count": "7",
        "numremaining": str(total - 27),
    }
    assert [r["RECORDNO"] for r in reply.records()] == [
        r["RECORDNO"] for r in truth["CCTRANSACTION"][20:27]
    ]
    default = client.call(
        "<query><object>CCTRANSACTION</object><select><field>RECORDNO</field></select><options><showprivate>true</showprivate></options></query>"
    )
    assert default.data().get("count") == "100"


@pytest.mark.parametrize(
    ("function", "size"), [("query", 2001), ("query", 0), ("readByQuery", 1001)]
)
def test_pagesize_limits(client: GatewayClient, function: str, size: int) -> None:
    if function == "query":
        body = f"<query><object>VENDOR</object><select><field>RECORDNO</field></select><pagesize>{size}</pagesize></query>"
    else:
        body = f"<readByQuery><object>VENDOR</object><fields>*</fields><query/><pagesize>{size}</pagesize></readByQuery>"
    result = client.call(body).result()
    assert result.findtext("status") == "failure"
    assert "pagesize" in (result.findtext("errormessage/error/description2") or "")


def test_invalid_fields_list(client: GatewayClient) -> None:
    result = client.call(
        "<query><object>APBILL</object><select><field>RECORDNO</field><field>NOPE</field></select></query>"
    ).result()
    assert result.findtext("status") == "failure"
    assert (result.findtext("errormessage/error/description2") or "").startswith(
        "Invalid fields list"
    )
    assert "NOPE" in (result.findtext("errormessage/error/description2") or "")


def shared_second(rows: list[Row]) -> tuple[str, int]:
    stamp, count = Counter(r["WHENMODIFIED"] for r in rows).most_common(1)[0]
    return stamp, count


@pytest.mark.parametrize(("obj", "minimum"), [("APBILLITEM", 2500), ("CCTRANSACTION", 500)])
def test_keyset_paging_over_the_bulk_second(
    client: GatewayClient, truth: dict[str, list[Row]], obj: str, minimum: int
) -> None:
    rows = truth[obj]
    stamp, count = shared_second(rows)
    assert count >= minimum
    # start just before the block, page by (WHENMODIFIED, RECORDNO) keyset with a small page
    before = [r for r in rows if r["WHENMODIFIED"] and ts_key(r["WHENMODIFIED"]) < ts_key(stamp)]
    last_ts, last_no = before[-1]["WHENMODIFIED"], before[-1]["RECORDNO"]
    got: list[Row] = []
    order = "<orderby><order><field>WHENMODIFIED</field><ascending/></order><order><field>RECORDNO</field><ascending/></order></orderby>"
    while True:
        keyset = (
            "<filter><or>"
            + cond("greaterthan", "WHENMODIFIED", last_ts)
            + "<and>"
            + cond("equalto", "WHENMODIFIED", last_ts)
            + cond("greaterthan", "RECORDNO", last_no)
            + "</and></or></filter>"
        )
        reply = client.call(
            f"<query><object>{obj}</object><select><field>RECORDNO</field><field>WHENMODIFIED</field></select>"
            f"{keyset}{order}<options><showprivate>true</showprivate></options><pagesize>900</pagesize></query>"
        )
        page = reply.records()
        got += page
        if reply.data().get("numremaining") == "0":
            break
        last_ts, last_no = page[-1]["WHENMODIFIED"], page[-1]["RECORDNO"]
    expected = sorted(
        (
            r
            for r in rows
            if r["WHENMODIFIED"]
            and ts_key(r["WHENMODIFIED"]) >= ts_key(before[-1]["WHENMODIFIED"])
            and r not in before
        ),
        key=lambda r: (ts_key(r["WHENMODIFIED"]), int(r["RECORDNO"])),
    )
    assert [(r["WHENMODIFIED"], r["RECORDNO"]) for r in got] == [
        (r["WHENMODIFIED"], r["RECORDNO"]) for r in expected
    ]
    assert len({r["RECORDNO"] for r in got}) == len(got)


def test_read_by_query_and_read_more(client: GatewayClient, truth: dict[str, list[Row]]) -> None:
    us = GatewayClient(client.base_url)
    us.login(locationid="US01")
    query = (
        "(VENDORID = 'V-00001' OR VENDORID IN ('V-00002', 'V-00003')) AND NOT STATE = 'Paid' "
        "AND TOTALENTERED &gt;= 10 AND DESCRIPTION LIKE '%a%' AND SUPDOCID IS NULL"
    )
    reply = us.call(
        f"<readByQuery><object>APBILL</object><fields>RECORDNO,VENDORID</fields><query>{query}</query><pagesize>5</pagesize></readByQuery>"
    )
    data = reply.data()
    got = reply.records()
    while data.get("numremaining") != "0":
        more = us.call(f"<readMore><resultId>{data.get('resultId')}</resultId></readMore>")
        data = more.data()
        assert int(data.get("count", "0")) <= 5
        got += more.records()
    assert data.get("resultId") == ""
    expected = [
        {"RECORDNO": r["RECORDNO"], "VENDORID": r["VENDORID"]}
        for r in truth["APBILL"]
        if r["MEGAENTITYID"] == "US01"
        and r["VENDORID"] in ("V-00001", "V-00002", "V-00003")
        and r["STATE"] != "Paid"
        and Decimal(r["TOTALENTERED"]) >= 10
        and "a" in r["DESCRIPTION"]
        and not r["SUPDOCID"]
    ]
    assert got == expected
    assert len(expected) > 5


def test_read_by_query_string_syntax(client: GatewayClient) -> None:
    cases = {
        "NAME = 'O\\'Reilly &amp; Sons &lt;Media&gt;'": ["O'Reilly & Sons <Media>"],
        "NAME like 'M_ller%'": ["Müller Büroservice GmbH"],
        "NAME not like '%a%' AND NAME != 'Okta, Inc.' AND NAME &lt;&gt; 'FedEx' AND WHENMODIFIED IS NOT NULL": None,
        "VENDORID not in ('V-00001') AND VENDORID &lt;= 'V-00002'": ["Slack Technologies, LLC"],
        "WHENMODIFIED IS NULL": None,
    }
    for query, names in cases.items():
        reply = client.call(
            f"<readByQuery><object>VENDOR</object><fields>NAME,WHENMODIFIED</fields><query>{query}</query><pagesize>1000</pagesize></readByQuery>"
        )
        got = reply.records()
        if names is not None:
            assert [r["NAME"] for r in got] == names, query
        elif "IS NULL" in query:
            assert len(got) >= 3
            assert all(r["WHENMODIFIED"] == "" for r in got)
        else:
            assert got
            assert all("a" not in r["NAME"] and r["WHENMODIFIED"] for r in got)
    bad = client.call(
        "<readByQuery><object>VENDOR</object><fields>*</fields><query>NAME = = 'x'</query></readByQuery>"
    ).result()
    assert bad.findtext("status") == "failure"


def test_entity_visibility(
    sandbox: SandboxProcess, client: GatewayClient, truth: dict[str, list[Row]]
) -> None:
    top = lambda rows: [r for r in rows if not r["MEGAENTITYID"]]  # noqa: E731
    private_off, _ = query_all(client, "APBILL", ["RECORDNO"], private=False)
    assert private_off == []
    departments, _ = query_all(client, "DEPARTMENT", ["RECORDNO"], private=False)
    assert recordnos(departments) == recordnos(top(truth["DEPARTMENT"]))
    de = GatewayClient(sandbox.url)
    de.login(locationid="DE01")
    de_bills, _ = query_all(de, "APBILL", ["RECORDNO", "BASECURR", "MEGAENTITYID"], private=False)
    assert recordnos(de_bills) == recordnos(
        [r for r in truth["APBILL"] if r["MEGAENTITYID"] == "DE01"]
    )
    assert {r["BASECURR"] for r in de_bills} == {"EUR"}
    de_departments, _ = query_all(de, "DEPARTMENT", ["DEPARTMENTID"])
    assert "SALES-DACH" in {r["DEPARTMENTID"] for r in de_departments}
    entities = de.call("<readEntityDetails/>").data()
    assert [e.findtext("id") for e in entities] == ["DE01"]
    truth_count = sandbox.admin("GET", "/admin/objects/APBILL/count?entity=DE01")["count"]
    assert truth_count == len(de_bills)


def test_docparid_and_several_functions_in_order(
    client: GatewayClient, truth: dict[str, list[Row]]
) -> None:
    reply = client.call(
        "<query><object>PODOCUMENT</object><select><field>DOCPARID</field></select><docparid>Vendor Invoice</docparid><options><showprivate>true</showprivate></options><pagesize>2000</pagesize></query>",
        "<readByQuery><object>NOPE</object><fields>*</fields><query/></readByQuery>",
        "<lookup><object>VENDOR</object></lookup>",
    )
    results = reply.results()
    assert [r.findtext("function") for r in results] == ["query", "readByQuery", "lookup"]
    assert [r.findtext("status") for r in results] == ["success", "failure", "success"]
    docs = [{c.tag: c.text for c in rec} for rec in results[0].find("data")]  # type: ignore[union-attr]
    expected = [r for r in truth["PODOCUMENT"] if r["DOCPARID"] == "Vendor Invoice"]
    assert len(docs) == len(expected) > 0
    assert {d["DOCPARID"] for d in docs} == {"Vendor Invoice"}


def test_entity_conditions_in_the_filter(
    client: GatewayClient, truth: dict[str, list[Row]]
) -> None:
    """Taps narrow to one entity in the filter; the answer must match, page by page."""
    keyset_start = truth["CCTRANSACTION"][100]
    xml = (
        "<filter><and>"
        + cond("greaterthan", "RECORDNO", keyset_start["RECORDNO"])
        + "<or>"
        + cond("equalto", "MEGAENTITYID", "UK01")
        + cond("isnull", "MEGAENTITYID")
        + "</or></and></filter>"
    )
    order = "<orderby><order><field>WHENMODIFIED</field><ascending/></order><order><field>RECORDNO</field><ascending/></order></orderby>"
    rows, metas = query_all(
        client, "CCTRANSACTION", ["RECORDNO", "MEGAENTITYID"], xml + order, pagesize=113
    )
    expected = [
        r
        for r in truth["CCTRANSACTION"]
        if int(r["RECORDNO"]) > int(keyset_start["RECORDNO"]) and r["MEGAENTITYID"] in ("UK01", "")
    ]
    assert recordnos(rows) == recordnos(expected)
    assert {r["MEGAENTITYID"] for r in rows} == {"UK01"}
    assert int(metas[0]["totalcount"]) == len(expected)
    by_key, _ = query_all(
        client,
        "CCTRANSACTION",
        ["RECORDNO"],
        "<filter>" + cond("notin", "MEGAENTITYKEY", "1", "2") + "</filter>",
    )
    assert recordnos(by_key) == recordnos(
        [r for r in truth["CCTRANSACTION"] if r["MEGAENTITYKEY"] == "3"]
    )

"""Sessions, the clock, mutations + AUDITHISTORY, late visibility, faults and permissions."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from lxml import etree

from sandboxes.common.process import SandboxProcess
from sandboxes.intacct.catalog import build_catalog
from sandboxes.intacct.client import GatewayClient
from sandboxes.intacct.company import Company
from sandboxes.intacct.formats import TimeFormat

START = "2026-01-15T12:00:00+00:00"
ARGS = [
    "--seed",
    "7",
    "--scale",
    "0.2",
    "--clock",
    START,
    "--frozen",
    "--gmt-offset",
    "-08:00",
    "--session-ttl",
    "600",
]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess("intacct-sandbox", ARGS) as process:
        yield process


@pytest.fixture(autouse=True)
def reset(sandbox: SandboxProcess) -> Iterator[None]:
    sandbox.admin("POST", "/admin/clock", {"set": START, "frozen": True})
    yield
    sandbox.clear_faults()
    sandbox.admin("POST", "/admin/permissions", {"deny": [], "deny_lookup": []})


@pytest.fixture
def client(sandbox: SandboxProcess) -> GatewayClient:
    c = GatewayClient(sandbox.url, company_id="SANDBOX")
    c.login(locationid="US01")
    return c


def bill(
    client: GatewayClient, recordno: str, fields: str = "RECORDNO,DESCRIPTION,WHENMODIFIED"
) -> list[dict[str, str]]:
    return client.call(
        f"<readByQuery><object>APBILL</object><fields>{fields}</fields><query>RECORDNO = {recordno}</query></readByQuery>"
    ).records()


def us_bills(sandbox: SandboxProcess) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = sandbox.admin("GET", "/admin/objects/APBILL?entity=US01")["rows"]
    return rows


def mutate(sandbox: SandboxProcess, *ops: dict[str, object]) -> list[dict[str, object]]:
    results: list[dict[str, object]] = sandbox.admin("POST", "/admin/mutate", list(ops))["results"]
    return results


def audit(client: GatewayClient, objecttype: str) -> list[dict[str, str]]:
    return client.call(
        "<query><object>AUDITHISTORY</object><select><field>OBJECTTYPE</field><field>OBJECTKEY</field>"
        "<field>ACCESSMODE</field><field>ACCESSTIME</field></select><filter><equalto><field>OBJECTTYPE</field>"
        f"<value>{objecttype}</value></equalto></filter><pagesize>2000</pagesize></query>"
    ).records()


def test_session_expires_on_the_sandbox_clock(
    sandbox: SandboxProcess, client: GatewayClient
) -> None:
    reply = client.call("<readEntityDetails/>")
    auth = reply.xml.find("operation/authentication")
    assert auth is not None
    assert auth.findtext("sessiontimestamp") == "2026-01-15T04:00:00-08:00"
    assert auth.findtext("sessiontimeout") == "2026-01-15T04:10:00-08:00"
    sandbox.admin("POST", "/admin/clock", {"advance_seconds": 599})
    assert (
        client.call("<readEntityDetails/>").result().findtext("status") == "success"
    )  # resets the timeout
    sandbox.admin("POST", "/admin/clock", {"advance_seconds": 601})
    expired = client.call("<readEntityDetails/>")
    assert expired.xml.findtext("operation/authentication/status") == "failure"
    assert (expired.xml.findtext("operation/errormessage/error/description2") or "").startswith(
        "Invalid session"
    )
    assert expired.xml.find("operation/result") is None


def test_user_formatting_reports_the_offset(client: GatewayClient) -> None:
    user = client.call(
        "<readByName><object>USERINFO</object><keys>admin</keys><fields>RECORDNO</fields></readByName>"
    ).records()
    formatting = client.call(
        f"<readUserFormatting><key>{user[0]['RECORDNO']}</key></readUserFormatting>"
    ).data()
    assert formatting.findtext("userformatting/gmtoffset") == "-08:00"
    assert formatting.findtext("userformatting/dateformat") == "/mdY"


def test_modify_stamps_local_time_and_audits(
    sandbox: SandboxProcess, client: GatewayClient
) -> None:
    target = us_bills(sandbox)[3]["RECORDNO"]
    (result,) = mutate(
        sandbox,
        {
            "op": "modify",
            "object": "APBILL",
            "recordno": int(target),
            "fields": {"DESCRIPTION": "Müller & <Co> renewal"},
        },
    )
    assert result["whenmodified"] == "01/15/2026 04:00:00"
    assert bill(client, target) == [
        {
            "RECORDNO": target,
            "DESCRIPTION": "Müller & <Co> renewal",
            "WHENMODIFIED": "01/15/2026 04:00:00",
        }
    ]
    # filter values are wall time in the user's offset (-08:00)
    since_local = client.call(
        "<query><object>APBILL</object><select><field>RECORDNO</field></select><filter><greaterthanorequalto>"
        "<field>WHENMODIFIED</field><value>01/15/2026 04:00:00</value></greaterthanorequalto></filter></query>"
    ).records()
    since_gmt = client.call(
        "<query><object>APBILL</object><select><field>RECORDNO</field></select><filter><greaterthanorequalto>"
        "<field>WHENMODIFIED</field><value>01/15/2026 12:00:00</value></greaterthanorequalto></filter></query>"
    ).records()
    assert target in [r["RECORDNO"] for r in since_local]
    assert since_gmt == []
    rows = [r for r in audit(client, "apbill") if r["OBJECTKEY"] == f"{target}--REC"]
    assert rows[-1]["ACCESSMODE"] == "M"
    assert rows[-1]["ACCESSTIME"] == "01/15/2026 12:00:00"  # AUDITHISTORY.ACCESSTIME is GMT


def test_insert_header_with_lines_keeps_totals(
    sandbox: SandboxProcess, client: GatewayClient
) -> None:
    (result,) = mutate(
        sandbox,
        {
            "op": "insert",
            "object": "APBILL",
            "fields": {
                "VENDORID": "V-00002",
                "VENDORNAME": "Slack Technologies, LLC",
                "MEGAENTITYID": "US01",
                "CURRENCY": "USD",
                "BASECURR": "USD",
                "EXCHANGE_RATE": "1",
            },
            "lines": [{"TRX_AMOUNT": "0.10"}, {"TRX_AMOUNT": "0.20"}, {"TRX_AMOUNT": "1234.56"}],
        },
    )
    recordno = str(result["recordno"])
    header = bill(client, recordno, "RECORDNO,TOTALENTERED,TRX_TOTALENTERED,VENDORID,MEGAENTITYID")
    assert header == [
        {
            "RECORDNO": recordno,
            "TOTALENTERED": "1234.86",
            "TRX_TOTALENTERED": "1234.86",
            "VENDORID": "V-00002",
            "MEGAENTITYID": "US01",
        }
    ]
    lines = client.call(
        f"<readByQuery><object>APBILLITEM</object><fields>RECORDNO,RECORDKEY,AMOUNT</fields><query>RECORDKEY = {recordno}</query></readByQuery>"
    ).records()
    assert [int(r["RECORDNO"]) for r in lines] == result["lines"]
    assert sum(Decimal(r["AMOUNT"]) for r in lines) == Decimal("1234.86")
    modes = {(r["OBJECTKEY"], r["ACCESSMODE"]) for r in audit(client, "apbillitem")}
    assert {(f"{n}--REC", "C") for n in result["lines"]} <= modes  # type: ignore[union-attr]


def test_delete_header_deletes_lines_and_audits_each(
    sandbox: SandboxProcess, client: GatewayClient
) -> None:
    target = us_bills(sandbox)[5]["RECORDNO"]
    lines_before = client.call(
        f"<readByQuery><object>APBILLITEM</object><fields>RECORDNO</fields><query>RECORDKEY = {target}</query></readByQuery>"
    ).records()
    assert lines_before
    (result,) = mutate(sandbox, {"op": "delete", "object": "APBILL", "recordno": int(target)})
    assert result["lines"] == [int(r["RECORDNO"]) for r in lines_before]
    assert bill(client, target) == []
    keys = {r["OBJECTKEY"] for r in audit(client, "apbillitem") if r["ACCESSMODE"] == "D"}
    assert {f"{r['RECORDNO']}--REC" for r in lines_before} <= keys
    deleted = sandbox.admin("GET", "/admin/deleted/APBILL")["deleted"]
    assert f"{target}--REC" in {d["OBJECTKEY"] for d in deleted}
    assert sandbox.admin("GET", "/admin/objects/APBILL/count")["count"] == len(
        sandbox.admin("GET", "/admin/objects/APBILL")["rows"]
    )


def test_deletes_before_start_and_master_keys(
    sandbox: SandboxProcess, client: GatewayClient
) -> None:
    vendors = {r["OBJECTKEY"] for r in audit(client, "vendor") if r["ACCESSMODE"] == "D"}
    assert vendors
    assert all(key.startswith("V-") for key in vendors)  # natural id for masters
    assert {r["OBJECTKEY"] for r in audit(client, "department")} >= {"TEMP-2023"}
    cc = sandbox.admin("GET", "/admin/deleted/CCTRANSACTION")["deleted"]
    assert cc
    assert all(d["OBJECTKEY"].endswith("--REC") for d in cc)


def test_late_visibility(sandbox: SandboxProcess, client: GatewayClient) -> None:
    target = us_bills(sandbox)[7]["RECORDNO"]
    before = bill(client, target)
    mutate(
        sandbox,
        {
            "op": "modify",
            "object": "APBILL",
            "recordno": int(target),
            "fields": {"DESCRIPTION": "late"},
            "visible_after_seconds": 30,
        },
    )
    assert bill(client, target) == before
    sandbox.admin("POST", "/admin/clock", {"advance_seconds": 31})
    client.login(locationid="US01")
    assert bill(client, target) == [
        {"RECORDNO": target, "DESCRIPTION": "late", "WHENMODIFIED": "01/15/2026 04:00:00"}
    ]


def test_random_changes_are_reproducible(sandbox: SandboxProcess) -> None:
    runs = []
    for _ in range(2):
        with SandboxProcess("intacct-sandbox", ARGS) as fresh:
            runs.append(mutate(fresh, {"op": "random", "count": 25, "seed": 11})[0]["done"])
    assert runs[0] == runs[1]
    assert {op["op"] for op in runs[0]} == {"modify", "insert", "delete"}  # type: ignore[index]


def test_transaction_aborts_the_other_functions(client: GatewayClient) -> None:
    reply = client.call(
        "<readEntityDetails/>",
        "<query><object>APBILL</object><select><field>NOPE</field></select></query>",
        transaction=True,
    )
    first, second = reply.results()
    assert (first.findtext("status"), first.findtext("errormessage/error/errorno")) == (
        "aborted",
        "XL03000009",
    )
    assert second.findtext("status") == "failure"


def test_permission_denial_and_lookup_denial(
    sandbox: SandboxProcess, client: GatewayClient
) -> None:
    sandbox.admin("POST", "/admin/permissions", {"deny": ["APBILL"], "deny_lookup": ["VENDOR"]})
    denied = client.call(
        "<query><object>APBILL</object><select><field>RECORDNO</field></select></query>"
    ).result()
    assert denied.findtext("errormessage/error/errorno") == "PL04000005"
    assert "You do not have permission for API" in (
        denied.findtext("errormessage/error/description2") or ""
    )
    assert (
        client.call("<lookup><object>VENDOR</object></lookup>").result().findtext("status")
        == "failure"
    )
    assert (
        client.call("<lookup><object>APBILL</object></lookup>").result().findtext("status")
        == "success"
    )
    assert (
        client.call("<readByQuery><object>VENDOR</object><fields>*</fields><query/></readByQuery>")
        .result()
        .findtext("status")
        == "success"
    )


def test_deny_flag(sandbox: SandboxProcess) -> None:
    with SandboxProcess(
        "intacct-sandbox", ["--scale", "0.05", "--deny", "AUDITHISTORY"]
    ) as process:
        c = GatewayClient(process.url)
        c.login()
        result = c.call(
            "<query><object>AUDITHISTORY</object><select><field>ID</field></select></query>"
        ).result()
        assert result.findtext("errormessage/error/errorno") == "PL04000005"


QUERY = "<query><object>VENDOR</object><select><field>RECORDNO</field></select></query>"


def fault(sandbox: SandboxProcess, kind: str, **params: object) -> None:
    sandbox.set_faults(
        [{"kind": kind, "count": 1, "path_prefix": "/na1/", "params": params}], seed=3
    )


@pytest.mark.parametrize("code", [502, 503, 524])
def test_http_5xx_without_xml(sandbox: SandboxProcess, client: GatewayClient, code: int) -> None:
    fault(sandbox, f"http_{code}")
    reply = client.call(QUERY)
    assert reply.status == code
    assert not reply.body.startswith(b"<")
    assert client.call(QUERY).status == 200


def test_http_429_gw_0010(sandbox: SandboxProcess, client: GatewayClient) -> None:
    fault(sandbox, "http_429")
    reply = client.call(QUERY)
    assert reply.status == 429
    assert reply.xml.findtext("errormessage/error/errorno") == "GW-0010"
    assert sandbox.stats()["faults"]["http_429"] >= 1


def test_html_page(sandbox: SandboxProcess, client: GatewayClient) -> None:
    fault(sandbox, "html", status=200)
    reply = client.call(QUERY)
    assert reply.status == 200
    assert reply.content_type.startswith("text/html")
    assert b"cf-error-details" in reply.body


def test_truncated_body(sandbox: SandboxProcess, client: GatewayClient) -> None:
    fault(sandbox, "truncate", fraction=0.5)
    reply = client.call(QUERY)
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(reply.body)


def test_try_again_later(sandbox: SandboxProcess, client: GatewayClient) -> None:
    fault(sandbox, "try_again")
    result = client.call(QUERY).result()
    assert result.findtext("status") == "failure"
    assert "Please Try Again Later" in (result.findtext("errormessage/error/correction") or "")
    assert client.call(QUERY).result().findtext("status") == "success"


def test_session_expired_fault_invalidates_the_session(
    sandbox: SandboxProcess, client: GatewayClient
) -> None:
    fault(sandbox, "session_expired")
    first = client.call(QUERY)
    assert first.xml.findtext("operation/authentication/status") == "failure"
    again = client.call(QUERY)  # the session is gone for good
    assert again.xml.findtext("operation/authentication/status") == "failure"
    client.login()
    assert client.call(QUERY).result().findtext("status") == "success"


def test_slow_and_latency_still_answer(sandbox: SandboxProcess, client: GatewayClient) -> None:
    fault(sandbox, "slow", seconds=0.05)
    sandbox.admin("POST", "/admin/latency", {"seconds": 0.01})
    try:
        assert client.call(QUERY).result().findtext("status") == "success"
    finally:
        sandbox.admin("POST", "/admin/latency", {"seconds": 0})
    assert sandbox.stats()["faults"].get("slow", 0) >= 1


def test_stats_per_path_and_function(sandbox: SandboxProcess, client: GatewayClient) -> None:
    sandbox.reset_stats()
    client.call(
        QUERY, "<readByQuery><object>APBILL</object><fields>RECORDNO</fields><query/></readByQuery>"
    )
    stats = sandbox.stats()
    assert stats["paths"] == {"/na1/ia/xml/xmlgw.phtml": 1}
    assert stats["calls"] == {"query:VENDOR": 1, "readByQuery:APBILL": 1}


def test_audit_history_read_by_query_takes_words(client: GatewayClient) -> None:
    words = client.call(
        "<readByQuery><object>AUDITHISTORY</object><fields>OBJECTKEY,ACCESSMODE</fields>"
        "<query>OBJECTTYPE = 'vendor' AND ACCESSMODE = 'Delete'</query></readByQuery>"
    ).records()
    assert words
    assert {r["ACCESSMODE"] for r in words} == {"D"}


def test_wide_flag_and_row_overrides() -> None:
    with SandboxProcess(
        "intacct-sandbox", ["--scale", "0.05", "--wide", "--rows", "APBILL=300"]
    ) as process:
        c = GatewayClient(process.url)
        c.login()
        fields = (
            c.call("<lookup><object>APBILL</object></lookup>").data().findall("Type/Fields/Field")
        )
        assert 115 <= len(fields) <= 125
        assert sum(1 for f in fields if f.findtext("ISCUSTOM") == "true") == 43
        deleted = process.admin("GET", "/admin/deleted/APBILL")["count"]
        # the books' bills come on top of the 300 bulk bills
        books = Company(
            seed=7,
            scale=0.05,
            rows={"APBILL": 300},
            catalog=build_catalog(wide=True),
            timefmt=TimeFormat(0),
        ).books.rows["APBILL"]
        count = process.admin("GET", "/admin/objects/APBILL/count")["count"]
        assert count == 300 + len(books) - deleted
        lines = process.admin("GET", "/admin/objects/APBILLITEM")["rows"]
        bills = {r["RECORDNO"]: r for r in process.admin("GET", "/admin/objects/APBILL")["rows"]}
        sums: dict[str, Decimal] = {}
        for line in lines:
            sums[line["RECORDKEY"]] = sums.get(line["RECORDKEY"], Decimal(0)) + Decimal(
                line["AMOUNT"]
            )
        assert set(sums) == set(bills)
        assert all(Decimal(bills[k]["TOTALENTERED"]) == total for k, total in sums.items())


def ts_key(value: str) -> str:
    return value[6:10] + value[0:2] + value[3:5] + value[11:]


def test_keyset_and_offset_paging_see_mutations_exactly_once(
    sandbox: SandboxProcess, client: GatewayClient
) -> None:
    mutate(sandbox, {"op": "random", "count": 60, "seed": 4})
    sandbox.admin("POST", "/admin/clock", {"advance_seconds": 5})
    mutate(sandbox, {"op": "random", "count": 30, "seed": 5})
    lines = sandbox.admin("GET", "/admin/objects/APBILLITEM?entity=US01&limit=400")["rows"]
    for line in lines[::40]:  # modified lines move to the end of the WHENMODIFIED order
        mutate(
            sandbox,
            {
                "op": "modify",
                "object": "APBILLITEM",
                "recordno": int(line["RECORDNO"]),
                "fields": {"ENTRYDESCRIPTION": "moved"},
            },
        )
    sandbox.admin("POST", "/admin/clock", {"advance_seconds": 5})
    mutate(
        sandbox,
        {
            "op": "modify",
            "object": "APBILLITEM",
            "recordno": int(lines[1]["RECORDNO"]),
            "fields": {"ENTRYDESCRIPTION": "again"},
        },
    )
    truth = sandbox.admin("GET", "/admin/objects/APBILLITEM?entity=US01")["rows"]
    expected = sorted(
        ((r["WHENMODIFIED"], int(r["RECORDNO"])) for r in truth),
        key=lambda item: (ts_key(item[0]), item[1]),
    )
    order = (
        "<orderby><order><field>WHENMODIFIED</field><ascending/></order>"
        "<order><field>RECORDNO</field><ascending/></order></orderby>"
    )
    select = "<select><field>RECORDNO</field><field>WHENMODIFIED</field></select>"
    got: list[tuple[str, int]] = []
    last = ("01/01/2000 00:00:00", 0)
    while True:
        keyset = (
            f"<filter><or><greaterthan><field>WHENMODIFIED</field><value>{last[0]}</value></greaterthan>"
            f"<and><equalto><field>WHENMODIFIED</field><value>{last[0]}</value></equalto>"
            f"<greaterthan><field>RECORDNO</field><value>{last[1]}</value></greaterthan></and></or></filter>"
        )
        reply = client.call(
            f"<query><object>APBILLITEM</object>{select}{keyset}{order}<pagesize>97</pagesize></query>"
        )
        page = [(r["WHENMODIFIED"], int(r["RECORDNO"])) for r in reply.records()]
        got += page
        if reply.data().get("numremaining") == "0":
            break
        last = page[-1]
    assert got == expected
    # offset paging in the same order, through the fast path and through a scan (an extra non-range
    # condition forces the scan); both must agree with the truth
    for extra in ("", "<filter><isnotnull><field>AMOUNT</field></isnotnull></filter>"):
        offset_rows: list[tuple[str, int]] = []
        offset = 0
        while True:
            reply = client.call(
                f"<query><object>APBILLITEM</object>{select}{extra}{order}<pagesize>89</pagesize><offset>{offset}</offset></query>"
            )
            page = [(r["WHENMODIFIED"], int(r["RECORDNO"])) for r in reply.records()]
            offset_rows += page
            offset += len(page)
            if reply.data().get("numremaining") == "0":
                break
        assert offset_rows == expected, extra


def test_insert_master_gets_its_own_natural_id(
    sandbox: SandboxProcess, client: GatewayClient
) -> None:
    (result,) = mutate(
        sandbox, {"op": "insert", "object": "VENDOR", "fields": {"NAME": "Linear Orbit (EU)"}}
    )
    vendors = sandbox.admin("GET", "/admin/objects/VENDOR")["rows"]
    ids = [v["VENDORID"] for v in vendors]
    assert len(ids) == len(set(ids))
    (new,) = [v for v in vendors if v["RECORDNO"] == str(result["recordno"])]
    assert new["NAME"] == "Linear Orbit (EU)"
    assert (new["VENDORID"], "C") in {
        (r["OBJECTKEY"], r["ACCESSMODE"]) for r in audit(client, "vendor")
    }

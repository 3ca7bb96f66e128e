"""Every Intacct sample answer in tests/fixtures/intacct/ against the sandbox's answer to the same call.

The comparison is structural: the set of element paths with their attribute names (values ignored,
repeated records collapsed). Two documented tolerances: samples 04 and 05 omit `authentication/locationid`
or `sessiontimeout`, which the sandbox always sends (as samples 01-03, 06, 07 do).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from sandboxes.common.process import SandboxProcess
from sandboxes.intacct.client import GatewayClient, Reply

# The repository's vendor sample answers; tests/fixtures/SOURCES.md says where each comes from.
SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "intacct"
AUTH = "response/operation/authentication"
OPTIONAL = {f"{AUTH}/locationid", f"{AUTH}/sessiontimeout"}
PARSER = etree.XMLParser(remove_comments=True, resolve_entities=False, no_network=True)


def signature(root: etree._Element, prefix: str = "") -> set[str]:
    path = f"{prefix}/{root.tag}" if prefix else str(root.tag)
    attrs = ",".join(sorted(root.attrib))
    out = {f"{path}[{attrs}]" if attrs else path}
    for child in root:
        if isinstance(child.tag, str):
            out |= signature(child, path)
    return out


def sample(name: str) -> etree._Element:
    (path,) = SAMPLES.glob(f"{name}_*.xml")
    return etree.fromstring(path.read_bytes(), PARSER)


def assert_same_structure(reply: Reply, sample_name: str) -> None:
    ours = signature(reply.xml) - OPTIONAL
    theirs = signature(sample(sample_name)) - OPTIONAL
    assert ours == theirs, (
        f"only ours: {sorted(ours - theirs)}; only sample: {sorted(theirs - ours)}"
    )


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", "0.2"]) as process:
        yield process


@pytest.fixture
def client(sandbox: SandboxProcess) -> GatewayClient:
    c = GatewayClient(sandbox.url)
    c.login()
    return c


def test_01_get_api_session(sandbox: SandboxProcess) -> None:
    c = GatewayClient(sandbox.url)
    reply = c.login()
    assert reply.content_type == "text/xml; charset=UTF-8"
    assert_same_structure(reply, "01")
    assert c.sessionid.endswith("..")
    assert c.endpoint == f"{sandbox.url}/na1/ia/xml/xmlgw.phtml"


def test_02_get_api_session_entity(sandbox: SandboxProcess) -> None:
    c = GatewayClient(sandbox.url)
    reply = c.login(locationid="DE01")
    assert_same_structure(reply, "02")
    assert reply.xml.findtext("operation/authentication/locationid") == "DE01"
    assert reply.data().findtext("api/locationid") == "DE01"


def test_03_read_by_query_apbill(sandbox: SandboxProcess) -> None:
    c = GatewayClient(sandbox.url)
    c.login(locationid="US01")
    sample_record = sample("03").find("operation/result/data/apbill")
    assert sample_record is not None
    sample_fields = [child.tag for child in sample_record]
    reply = c.call(
        f"<readByQuery><object>APBILL</object><fields>{','.join(sample_fields)}</fields>"
        "<query></query><pagesize>1</pagesize></readByQuery>"
    )
    assert_same_structure(reply, "03")
    data = reply.data()
    assert int(data.get("numremaining", "")) == int(data.get("totalcount", "")) - 1 > 0
    assert data.get("resultId")
    # `*` returns the sample's fields in the sample's order, then the contract's custom fields
    star = c.call(
        "<readByQuery><object>APBILL</object><fields>*</fields><query/><pagesize>1</pagesize></readByQuery>"
    )
    assert [child.tag for child in star.data()[0]] == [
        *sample_fields,
        "SAAS_CONTRACT_ID",
        "RENEWAL_DATE",
        "COST_CENTER_OWNER",
    ]


def test_04_read_by_query_class(client: GatewayClient) -> None:
    sample_record = sample("04").find("operation/result/data/class")
    assert sample_record is not None
    reply = client.call(
        "<readByQuery><object>CLASS</object><fields>*</fields><query/><pagesize>1</pagesize></readByQuery>"
    )
    assert_same_structure(reply, "04")
    assert reply.data().get("numremaining") == "2"


def test_05_read_more_last_page(client: GatewayClient) -> None:
    first = client.call(
        "<readByQuery><object>PROJECT</object><fields>PROJECTID,NAME</fields><query/><pagesize>2</pagesize></readByQuery>"
    )
    result_id = first.data().get("resultId")
    last = client.call(f"<readMore><resultId>{result_id}</resultId></readMore>")
    assert_same_structure(last, "05")
    assert last.data().get("numremaining") == "0"
    assert last.data().get("resultId") == ""


def test_06_read_by_query_empty(client: GatewayClient) -> None:
    reply = client.call(
        "<readByQuery><object>DEPARTMENT</object><fields>*</fields><query>DEPARTMENTID = 'NOPE'</query></readByQuery>"
    )
    assert_same_structure(reply, "06")
    assert dict(reply.data().attrib) == {
        "listtype": "department",
        "count": "0",
        "totalcount": "0",
        "numremaining": "0",
        "resultId": "",
    }


def test_07_query_vendor(client: GatewayClient) -> None:
    reply = client.call(
        "<query><object>VENDOR</object><select><field>RECORDNO</field><field>PAYTOCONTACT.CONTACTNAME</field>"
        "<field>TOTALDUE</field></select><pagesize>2</pagesize></query>"
    )
    assert_same_structure(reply, "07")


def test_08_lookup_type_subtree(client: GatewayClient) -> None:
    reply = client.call("<lookup><object>APBILL</object></lookup>")
    (ours,) = reply.data()
    assert signature(ours) == signature(sample("08"))


def test_09_get_list_supdoc(client: GatewayClient) -> None:
    reply = client.call('<get_list object="supdoc" maxitems="2" start="0"/>')
    assert_same_structure(reply, "09")
    listtype = reply.result().find("listtype")
    assert listtype is not None
    assert listtype.text == "supdoc"


def test_10_bad_sender_credentials(sandbox: SandboxProcess) -> None:
    c = GatewayClient(sandbox.url, sender_password="wrong")
    reply = c.post(c.envelope(["<getAPISession/>"], login=True))
    assert_same_structure(reply, "10")
    assert reply.xml.findtext("errormessage/error/errorno") == "XL03000006"
    assert "wrong" not in reply.body.decode()


def test_11_bad_user_credentials(sandbox: SandboxProcess) -> None:
    c = GatewayClient(sandbox.url, user_password="wrong")
    reply = c.post(c.envelope(["<getAPISession/>"], login=True))
    assert_same_structure(reply, "11")
    assert (
        reply.xml.findtext("operation/errormessage/error/description2")
        == "Sign-in information is incorrect"
    )


def test_12_invalid_session(sandbox: SandboxProcess) -> None:
    c = GatewayClient(sandbox.url)
    c.sessionid = "not-a-session.."
    reply = c.call("<readEntityDetails/>")
    assert_same_structure(reply, "12")
    assert (reply.xml.findtext("operation/errormessage/error/description2") or "").startswith(
        "Invalid session"
    )


def test_13_object_not_found(client: GatewayClient) -> None:
    reply = client.call("<read><object>VENDOR2</object><keys>1</keys><fields>*</fields></read>")
    assert_same_structure(reply, "13")
    assert (
        reply.result().findtext("errormessage/error/description2")
        == "Object definition VENDOR2 not found"
    )


def test_14_malformed_xml(sandbox: SandboxProcess) -> None:
    c = GatewayClient(sandbox.url)
    reply = c.post(b"<request><control><senderid>sandbox</senderid></contrl></request>")
    assert reply.status == 200
    assert_same_structure(reply, "14")
    assert reply.xml.findtext("errormessage/error/errorno") == "XL03000003"


def test_15_garbage_is_gw_0011(sandbox: SandboxProcess) -> None:
    c = GatewayClient(sandbox.url)
    reply = c.post(b"this is not xml at all")
    assert reply.status == 400
    assert_same_structure(reply, "15")
    assert reply.xml.findtext("errormessage/error/errorno") == "GW-0011"

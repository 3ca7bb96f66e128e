"""The objects beyond AP: listing (inspect, getDimensions), custom objects, the object `query`
refuses, schema drift and generated objects, over HTTP against a real intacct-sandbox."""

from __future__ import annotations

import urllib.error
from collections.abc import Iterator
from decimal import Decimal

import pytest

from sandboxes.common.process import SandboxProcess
from sandboxes.intacct.client import GatewayClient


@pytest.fixture(scope="module")
def box() -> Iterator[SandboxProcess]:
    with SandboxProcess(
        "intacct-sandbox", ["--seed", "7", "--scale", "0.05", "--extra-objects", "4"]
    ) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def client(box: SandboxProcess) -> GatewayClient:
    return GatewayClient(box.url)


def test_inspect_lists_every_object_in_lower_case_as_the_sample(
    box: SandboxProcess, client: GatewayClient
) -> None:
    data = client.call("<inspect><object>*</object></inspect>").result().find("data")
    assert data is not None
    assert (data.get("listtype"), data.get("count")) == ("All", "1")
    names = [t.get("typename") for t in data.findall("type")]
    assert names == [name.lower() for name in box.admin("GET", "/admin/objects")]
    assert {"saas_contract", "costcenter", "x_object_004", "arinvoice"} <= set(names)


def test_get_dimensions_lists_the_user_defined_dimensions(client: GatewayClient) -> None:
    data = client.call("<getDimensions/>").result().find("data")
    assert data is not None
    dims = {
        d.findtext("objectName"): d.findtext("userDefinedDimension")
        for d in data.iterfind("dimensions/dimension")
    }
    assert dims["DEPARTMENT"] == "false"
    assert (dims["costcenter"], dims["channel"]) == ("true", "true")


def test_custom_objects_answer_under_their_lower_case_names(client: GatewayClient) -> None:
    lookup = client.call("<lookup><object>saas_contract_seat</object></lookup>").result()
    type_el = lookup.find("data/Type")
    assert type_el is not None
    assert type_el.get("Name") == "saas_contract_seat"
    related = [r.findtext("RELATEDBY") for r in type_el.iterfind("Relationships/Relationship")]
    assert "RSAAS_CONTRACT" in related
    query = client.call(
        "<query><object>saas_contract</object><select><field>RECORDNO</field></select>"
        "<pagesize>1</pagesize></query>"
    ).result()
    data = query.find("data")
    assert data is not None
    assert data.get("listtype") == "saas_contract"
    assert [child.tag for child in data] == ["saas_contract"]


def test_query_refuses_reportingperiod_and_readbyquery_reads_it(client: GatewayClient) -> None:
    refused = client.call(
        "<query><object>REPORTINGPERIOD</object><select><field>NAME</field></select></query>"
    ).result()
    assert refused.findtext("status") == "failure"
    error = refused.find("errormessage/error")
    assert error is not None
    assert [child.tag for child in error] == [
        "errorno",
        "description",
        "description2",
        "correction",
    ]
    assert "not supported by the query function" in (error.findtext("description2") or "")
    read = client.call(
        "<readByQuery><object>REPORTINGPERIOD</object><fields>*</fields><query></query>"
        "<pagesize>100</pagesize></readByQuery>"
    ).result()
    data = read.find("data")
    assert data is not None
    assert data.get("totalcount") == "30"
    assert "RECORDNO" not in [child.tag for child in data[0]]


def test_ar_invoice_totals_are_the_exact_sums_of_their_lines(box: SandboxProcess) -> None:
    invoices = box.admin("GET", "/admin/objects/ARINVOICE?limit=100000")["rows"]
    lines = box.admin("GET", "/admin/objects/ARINVOICEITEM?limit=100000")["rows"]
    sums: dict[str, Decimal] = {}
    for line in lines:
        sums[line["RECORDKEY"]] = sums.get(line["RECORDKEY"], Decimal(0)) + Decimal(line["AMOUNT"])
    assert {i["RECORDNO"]: Decimal(i["TOTALENTERED"]) for i in invoices} == sums
    dims = {r["ID"] for r in box.admin("GET", "/admin/objects/costcenter")["rows"]}
    assert {line["GLDIMCOSTCENTER"] for line in lines} <= dims
    budgets = box.admin("GET", "/admin/objects/GLBUDGETHEADER")["rows"]
    assert budgets
    assert all("WHENMODIFIED" not in row for row in budgets)


def test_schema_drift_drops_a_field_from_lookup_select_and_answers(
    box: SandboxProcess, client: GatewayClient
) -> None:
    box.admin("POST", "/admin/schema", {"object": "ITEM", "drop": ["STANDARD_COST"]})
    lookup = client.call("<lookup><object>ITEM</object></lookup>").result()
    assert "STANDARD_COST" not in [
        f.findtext("ID") for f in lookup.iterfind("data/Type/Fields/Field")
    ]
    refused = client.call(
        "<query><object>ITEM</object><select><field>STANDARD_COST</field></select></query>"
    ).result()
    assert "Invalid fields list STANDARD_COST" in (
        refused.findtext("errormessage/error/description2") or ""
    )
    row = (
        client.call(
            "<readByQuery><object>ITEM</object><fields>*</fields><query></query><pagesize>1</pagesize>"
            "</readByQuery>"
        )
        .result()
        .find("data/item")
    )
    assert row is not None
    assert row.find("STANDARD_COST") is None
    added = box.admin("POST", "/admin/schema", {"object": "item", "add": [{"name": "TIER"}]})
    assert added["fields"][-1] == "TIER"
    with pytest.raises(urllib.error.HTTPError) as refused_drop:
        box.admin("POST", "/admin/schema", {"object": "ITEM", "drop": ["NOPE"]})
    assert refused_drop.value.code == 400

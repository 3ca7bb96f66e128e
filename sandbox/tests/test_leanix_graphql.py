"""Pathfinder GraphQL of the LeanIX sandbox: queries, forward pagination, errors and patch mutations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess
from sandboxes.leanix.client import LeanIXClient

# Example payloads from the SAP LeanIX documentation; tests/fixtures/SOURCES.md cites each page.
SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "leanix"
GRAPHQL = "/services/pathfinder/v1/graphql"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess("leanix-sandbox", ["--db", ":memory:"]) as process:
        yield process


@pytest.fixture
def client(sandbox: SandboxProcess) -> LeanIXClient:
    sandbox.admin("POST", "/admin/reset")
    return LeanIXClient(sandbox.url)


CREATE = """mutation ($input: BaseFactSheetInput!, $patches: [Patch]!) {
  createFactSheet(input: $input, patches: $patches) { factSheet { id name type } } }"""


def create(client: LeanIXClient, name: str, fs_type: str, external_id: str | None = None) -> str:
    patches = []
    if external_id:
        value = json.dumps({"type": "ExternalId", "externalId": external_id})
        patches.append({"op": "add", "path": "/externalId", "value": value})
    answer = client.graphql(CREATE, {"input": {"name": name, "type": fs_type}, "patches": patches})
    assert "errors" not in answer, answer
    fact_sheet_id: str = answer["data"]["createFactSheet"]["factSheet"]["id"]
    return fact_sheet_id


def test_documented_create_request_gives_the_documented_response_shape(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    answer = client.graphql(**_body(sample("graphql_create_factsheet_request.json")))
    expected = sample("graphql_create_factsheet_response.json")
    created = answer["data"]["createFactSheet"]["factSheet"]
    assert set(created) == set(expected["data"]["createFactSheet"]["factSheet"])
    assert {k: v for k, v in created.items() if k != "id"} == {
        k: v for k, v in expected["data"]["createFactSheet"]["factSheet"].items() if k != "id"
    }
    [stored] = sandbox.admin("GET", "/admin/export")["factSheets"]
    assert (stored["id"], stored["externalId"], stored["alias"]) == (
        created["id"],
        "1234567890",
        "AC App",
    )


def _body(request: dict[str, Any]) -> dict[str, Any]:
    return {"query": request["query"], "variables": request["variables"]}


def test_relation_patches_duplicates_and_updates(client: LeanIXClient) -> None:
    app = create(client, "AC Management Cloud", "Application", "app-1")
    itc_a = create(client, "App Maintenance & Support Service", "ITComponent")
    itc_b = create(client, "Hosting", "ITComponent")
    request = sample("graphql_create_relations_request.json")
    query = request["query"].replace("4d121f64-116b-4ccc-a292-eb4e4f8d1b24", app)
    patches = request["variables"]["patches"]
    patches[0]["value"] = json.dumps({"factSheetId": itc_a, "costTotalAnnual": 1200})
    patches[1]["value"] = json.dumps({"factSheetId": itc_b})
    answer = client.graphql(query, {"patches": patches})
    edges = answer["data"]["updateFactSheet"]["factSheet"]["relApplicationToITComponent"]["edges"]
    assert len(edges) == 2
    duplicate = client.graphql(query, {"patches": patches[:1]})
    assert duplicate["data"] == {"updateFactSheet": None}
    [error] = duplicate["errors"]
    assert error["message"].startswith("[FS_VALIDATION_RELATION_NOT_UNIQUE_OUTGOING]")
    assert error["extensions"]["errorType"] == "MODEL_COMPLIANT"
    assert error["extensions"]["objectId"] == app
    relation_id = edges[0]["node"]["id"]
    update = sample("graphql_update_relation_patches.json")["patches"]
    update[0]["path"] = f"/relApplicationToITComponent/{relation_id}"
    update[0]["value"] = json.dumps(
        {
            "factSheetId": itc_a,
            "description": "Update related Fact Sheet",
            "costTotalAnnual": "1234567890123.45",
        }
    )
    client.graphql(query, {"patches": update})
    read = client.graphql(
        """query ($id: ID!) { factSheet(id: $id) { ... on Application {
             relApplicationToITComponent { totalCount edges { node { id description costTotalAnnual
               factSheet { name } } } } } } }""",
        {"id": app},
    )["data"]["factSheet"]["relApplicationToITComponent"]
    assert read["totalCount"] == 2
    node = next(edge["node"] for edge in read["edges"] if edge["node"]["id"] == relation_id)
    assert node["description"] == "Update related Fact Sheet"
    assert node["costTotalAnnual"] == Decimal("1234567890123.45")
    # Archive with a status patch; archived fact sheets leave the default result.
    archive = """mutation ($id: ID!) { updateFactSheet(id: $id, comment: "gone",
        patches: [{op: add, path: "/status", value: "ARCHIVED"}]) { factSheet { status } } }"""
    assert client.graphql(archive, {"id": itc_b})["data"]["updateFactSheet"]["factSheet"] == {
        "status": "ARCHIVED"
    }
    remaining = client.graphql(
        '{ allFactSheets(filter: {facetFilters: [{facetKey: "FactSheetTypes", keys: ["ITComponent"]}]}) '
        "{ totalCount } }"
    )
    assert remaining["data"]["allFactSheets"]["totalCount"] == 1


def test_forward_pagination_and_filters(client: LeanIXClient) -> None:
    names = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    ids = {name: create(client, name, "Application", f"ext-{name}") for name in names}
    create(client, "Zulu Provider", "Provider", "ext-Zulu")
    page_query = """query ($after: String) { allFactSheets(first: 2, after: $after,
        filter: {facetFilters: [{facetKey: "FactSheetTypes", keys: ["Application"]}]}) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }"""
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = client.graphql(page_query, {"after": after})["data"]["allFactSheets"]
        assert page["totalCount"] == 5
        seen += [edge["node"]["name"] for edge in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == names
    assert pages == 3
    backwards = """query ($after: String) { allFactSheets(first: 3, after: $after, factSheetType: Application,
        sort: [{key: "name", order: desc}]) { pageInfo { endCursor } edges { node { name } } } }"""
    first_page = client.graphql(backwards)["data"]["allFactSheets"]
    second_page = client.graphql(backwards, {"after": first_page["pageInfo"]["endCursor"]})
    assert [e["node"]["name"] for e in first_page["edges"]] == ["Echo", "Delta", "Charlie"]
    assert [e["node"]["name"] for e in second_page["data"]["allFactSheets"]["edges"]] == [
        "Bravo",
        "Alpha",
    ]
    by_ids = client.graphql(
        "query ($ids: [ID]) { allFactSheets(filter: {ids: $ids}) { edges { node { name } } } }",
        {"ids": [ids["Bravo"], ids["Echo"]]},
    )
    assert [e["node"]["name"] for e in by_ids["data"]["allFactSheets"]["edges"]] == [
        "Bravo",
        "Echo",
    ]
    by_type = client.graphql("{ allFactSheets(factSheetType: Provider) { totalCount } }")
    assert by_type["data"]["allFactSheets"]["totalCount"] == 1
    excluded = client.graphql(
        '{ allFactSheets(filter: {facetFilters: [{facetKey: "FactSheetTypes", operator: NOR, '
        'keys: ["Application"]}]}) { edges { node { name __typename } } } }'
    )
    assert excluded["data"]["allFactSheets"]["edges"] == [
        {"node": {"name": "Zulu Provider", "__typename": "Provider"}}
    ]
    several = client.graphql(
        '{ allFactSheets(filter: {externalIds: ["externalId/ext-Alpha", "externalId/ext-Zulu"]}) '
        "{ totalCount } }"
    )
    assert several["data"]["allFactSheets"]["totalCount"] == 2


def test_errors_come_back_as_http_200_with_an_errors_array(client: LeanIXClient) -> None:
    for query in (
        "{ allFactSheets { nope } }",
        "{ allFactSheets(",
        '{ allFactSheets(filter: {facetFilters: [{facetKey: "Nope", keys: ["x"]}]}) { totalCount } }',
        '{ allFactSheets(filter: {externalIds: ["1234"]}) { totalCount } }',
    ):
        reply = client.request("POST", GRAPHQL, {"query": query})
        assert reply.status == 200
        assert reply.json()["errors"][0]["message"], query
    missing = client.graphql(
        'mutation { updateFactSheet(id: "nope", patches: []) { factSheet { id } } }'
    )
    assert missing["data"] == {"updateFactSheet": None}
    assert "FS_NOT_FOUND" in missing["errors"][0]["message"]
    assert client.request("POST", GRAPHQL, body=b"not json").status == 400


def test_public_scripts_cost_flow_from_the_it_component_side(client: LeanIXClient) -> None:
    # LeanIX's public scripts: importCosts.py writes from the ITC, exportCosts.py reads from the app
    # (https://github.com/leanix-public/scripts/blob/HEAD/importCosts/importCosts.py,
    # https://github.com/leanix-public/scripts/blob/HEAD/exportCosts/exportCosts.py).
    app = create(client, "Payroll", "Application")
    itc = create(client, "Payroll SaaS", "ITComponent")
    value = '{"factSheetId": "' + app + '","costTotalAnnual": 1200.10}'
    mutation = (
        'mutation { updateFactSheet(id: "' + itc + '", patches: [{op: add, '
        'path: "/relITComponentToApplication/new_1", value: ' + json.dumps(value) + "}]) "
        "{ factSheet { id } } }"
    )
    assert "errors" not in client.graphql(mutation)
    exported = client.graphql(
        """{ allFactSheets(factSheetType: Application) { edges { node { id
             ... on Application { relApplicationToITComponent { edges { node { id costTotalAnnual
               activeFrom activeUntil factSheet { id displayName } } } } } } } } }"""
    )
    [edge] = exported["data"]["allFactSheets"]["edges"][0]["node"]["relApplicationToITComponent"][
        "edges"
    ]
    assert edge["node"]["costTotalAnnual"] == Decimal("1200.10")
    assert edge["node"]["factSheet"] == {"id": itc, "displayName": "Payroll SaaS"}

"""The LeanIX sandbox over real HTTP: MTM tokens, processor configurations, runs and the processor engine.

One sandbox process serves the module; every test starts from an empty workspace (`/admin/reset`).
The sandbox holds a finished run at IN_PROGRESS until a status poll has seen it (30 s cap here), so the
asynchronous middle state is observable without any timing assumption.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess
from sandboxes.leanix.client import IA, LeanIXClient

# Example payloads from the SAP LeanIX documentation; tests/fixtures/SOURCES.md cites each page.
SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "leanix"
BINDING = {
    "connectorType": "intacct-saas",
    "connectorId": "ACME",
    "connectorVersion": "1.0.0",
    "processingDirection": "inbound",
    "processingMode": "partial",
}


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def ext(expr: str) -> dict[str, Any]:
    return {"external": {"id": {"expr": expr}, "type": {"expr": "externalId"}}}


def upd(key: str, expr: str, **extra: Any) -> dict[str, Any]:
    return {"key": {"expr": key}, "values": [{"expr": expr}], **extra}


def ldif(*items: dict[str, Any], **header: Any) -> dict[str, Any]:
    return {
        **BINDING,
        "lxVersion": "1.0.0",
        "description": "test",
        "content": list(items),
        **header,
    }


def config(*processors: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**BINDING, "processors": list(processors), **extra}


VENDOR_PROCESSORS = [
    {
        "processorType": "inboundFactSheet",
        "processorName": "Provider from Vendor",
        "type": "Provider",
        "run": 0,
        "filter": {"exactType": "Vendor"},
        "identifier": ext("${content.id}"),
        "updates": [upd("name", "${data.name}")],
    },
    {
        "processorType": "inboundFactSheet",
        "processorName": "Service from Vendor",
        "type": "Application",
        "run": 0,
        "filter": {"exactType": "Vendor"},
        "identifier": ext("${content.id}:service"),
        "updates": [
            upd("name", "${data.name}"),
            upd("description", "Discovered from Sage Intacct vendor ${data.vendorId}"),
        ],
    },
    {
        "processorType": "inboundFactSheet",
        "processorName": "SaaS ITC from Vendor",
        "type": "ITComponent",
        "run": 0,
        "filter": {"exactType": "Vendor"},
        "identifier": ext("${content.id}:saas"),
        "updates": [upd("name", "${data.name}"), upd("category", "saas")],
    },
    {
        "processorType": "inboundFactSheet",
        "processorName": "Org from Department",
        "type": "UserGroup",
        "run": 0,
        "filter": {"exactType": "Department"},
        "identifier": ext("${content.id}"),
        "updates": [upd("name", "${data.title}")],
    },
    {
        "processorType": "inboundRelation",
        "processorName": "ITC to Provider",
        "type": "relITComponentToProvider",
        "run": 1,
        "filter": {"exactType": "Vendor"},
        "from": ext("${content.id}:saas"),
        "to": ext("${content.id}"),
    },
    {
        "processorType": "inboundRelation",
        "processorName": "Service cost",
        "type": "relApplicationToITComponent",
        "run": 1,
        "filter": {"exactType": "ServiceCost"},
        "from": ext("${data.vendorKey}:service"),
        "to": ext("${data.vendorKey}:saas"),
        "updates": [upd("costTotalAnnual", "${data.costTotalAnnual}")],
    },
    {
        "processorType": "inboundRelation",
        "processorName": "Service used by department",
        "type": "relApplicationToUserGroup",
        "run": 1,
        "filter": {"exactType": "DepartmentSpend"},
        "mode": "createOrUpdate",
        "from": ext("${data.vendorKey}:service"),
        "to": ext("${data.departmentKey}"),
    },
    {
        "processorType": "inboundDocument",
        "processorName": "Invoice link",
        "run": 1,
        "filter": {"exactType": "Invoice"},
        "identifier": ext("${data.vendorKey}:service"),
        "updates": [
            upd("name", "${data.name}"),
            upd("url", "${data.url}"),
            upd("description", "${data.summary}"),
            upd("documentType", "website"),
            upd("origin", "CUSTOM_LINK"),
            upd("metadata", "${data.meta}", optional=True),
        ],
    },
]

VENDOR = {
    "type": "Vendor",
    "id": "intacct:ACME:vendor:V100",
    "data": {"name": "Slack Technologies", "vendorId": "V100"},
}
DEPARTMENT = {
    "type": "Department",
    "id": "intacct:ACME:department:D20",
    "data": {"title": "Engineering"},
}


def cost(amount: Decimal | str) -> dict[str, Any]:
    return {
        "type": "ServiceCost",
        "id": "intacct:ACME:vendor:V100:cost",
        "data": {"vendorKey": "intacct:ACME:vendor:V100", "costTotalAnnual": amount},
    }


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(
        "leanix-sandbox",
        ["--db", ":memory:", "--workspace-name", "acme-test", "--in-progress-hold-seconds", "30"],
    ) as process:
        yield process


@pytest.fixture
def client(sandbox: SandboxProcess) -> LeanIXClient:
    sandbox.admin("POST", "/admin/reset")
    sandbox.clear_faults()
    return LeanIXClient(sandbox.url)


def export(sandbox: SandboxProcess) -> dict[str, Any]:
    result: dict[str, Any] = sandbox.admin("GET", "/admin/export")
    return result


def sheets_by_external_id(sandbox: SandboxProcess) -> dict[str, dict[str, Any]]:
    return {sheet["externalId"]: sheet for sheet in export(sandbox)["factSheets"]}


def run_ok(client: LeanIXClient, document: dict[str, Any]) -> str:
    run_id, status = client.run(document)
    assert status == "FINISHED", client.warnings(run_id)
    return run_id


# -- MTM ---------------------------------------------------------------------------------------


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_token_has_the_documented_five_fields_and_jwt_claims(client: LeanIXClient) -> None:
    reply = client.token_reply()
    assert reply.status == 200
    body = reply.json()
    assert set(body) == set(sample("mtm_token_response.json"))
    assert body["scope"] == ""
    assert body["expired"] is False
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3599
    header = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[0] + "=="))
    assert header["alg"] == "HS256"
    claims = _claims(body["access_token"])
    assert claims["exp"] - claims["iat"] == 3600
    assert {"jti", "sub", "principal"} <= set(claims)
    permission = claims["principal"]["permission"]
    assert permission["workspaceName"] == "acme-test"
    assert permission["workspaceId"]
    assert claims["principal"]["account"]["id"]
    # grant_type is also accepted as a query parameter (leanix-reporting-cli).
    assert client.token_reply(form=False).status == 200


def test_bad_api_token_and_bad_bearer_are_refused(client: LeanIXClient) -> None:
    reply = client.token_reply("not-the-token")
    assert reply.status == 401
    assert reply.json()["error"] == "unauthorized"
    assert b"not-the-token" not in reply.body
    assert client.request("GET", f"{IA}/configurations", auth=False).status == 401
    client.authenticate()
    tampered = client.access_token[:-2] + ("AA" if not client.access_token.endswith("AA") else "BB")
    reply = client.request(
        "GET", f"{IA}/configurations", auth=False, headers={"Authorization": f"Bearer {tampered}"}
    )
    assert reply.status == 401
    assert "errors" in reply.json()


def test_token_expires_by_the_sandbox_clock_and_renews(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    client.authenticate()
    assert client.request("GET", f"{IA}/configurations").status == 200
    sandbox.admin("POST", "/admin/clock", {"advance_seconds": 3599})
    assert client.request("GET", f"{IA}/configurations").status == 200
    sandbox.admin("POST", "/admin/clock", {"advance_seconds": 2})
    expired = client.request("GET", f"{IA}/configurations")
    assert expired.status == 401
    assert expired.json() == {"errors": ["Access token expired"]}
    client.authenticate()
    assert client.request("GET", f"{IA}/configurations").status == 200


# -- configurations ----------------------------------------------------------------------------


def test_configuration_put_get_delete(client: LeanIXClient) -> None:
    stored = config(*VENDOR_PROCESSORS, sequentialExecution=True)
    assert client.put_configuration(stored).status == 204
    assert client.put_configuration(stored).status == 204  # an idempotent upsert
    found = client.request("GET", f"{IA}/configurations", query={"connectorId": "ACME"}).json()
    assert found == [stored]
    assert client.request("GET", f"{IA}/configurations", query={"connectorId": "X"}).json() == []
    missing = client.request(
        "DELETE", f"{IA}/configurations", query={"connectorType": "intacct-saas"}
    )
    assert missing.status == 400
    assert "connectorId" in missing.json()["errors"][0]
    unknown = client.request(
        "DELETE", f"{IA}/configurations", query={**BINDING, "connectorId": "X"}
    )
    assert unknown.status == 404
    assert client.request("DELETE", f"{IA}/configurations", query=BINDING).status == 204
    assert client.request("GET", f"{IA}/configurations").json() == []


def test_invalid_configuration_is_refused(client: LeanIXClient) -> None:
    bad_type = config({"processorType": "inboundSomething", "processorName": "odd"})
    reply = client.put_configuration(bad_type)
    assert reply.status == 400
    assert "inboundSomething" in reply.json()["errors"][0]
    no_identifier = config({"processorType": "inboundFactSheet", "type": "Application"})
    assert "identifier" in client.put_configuration(no_identifier).json()["errors"][0]
    bad_expression = config(
        {
            "processorType": "inboundFactSheet",
            "type": "Application",
            "identifier": ext("${content.id"),
        }
    )
    assert client.put_configuration(bad_expression).status == 400
    missing_key = {key: value for key, value in config().items() if key != "connectorVersion"}
    assert "connectorVersion" in client.put_configuration(missing_key).json()["errors"][0]


# -- runs --------------------------------------------------------------------------------------


def test_reference_sample_ldif_lands_exactly_and_is_idempotent(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    document = sample("ia_ldif_basic_applications.json")
    stored = sample("ia_processor_config_basic_applications.json")
    stored.update({key: document[key] for key in BINDING})
    assert client.put_configuration(stored).status == 204
    run_ok(client, document)
    first = export(sandbox)
    assert [
        (s["type"], s["externalId"], s["name"], s["description"], s["fields"], s["status"])
        for s in first["factSheets"]
    ] == [
        (
            "Application",
            "APP-0001",
            "AC Management",
            "AC Management description",
            {"businessCriticality": "missionCritical"},
            "ACTIVE",
        ),
        (
            "Application",
            "APP-0002",
            "AC Management Cloud",
            "AC Management Cloud description",
            {"businessCriticality": "businessCritical"},
            "ACTIVE",
        ),
    ]
    run_id = run_ok(client, document)
    second = export(sandbox)
    assert second["factSheets"] == first["factSheets"]  # same ids, revisions and timestamps
    assert client.warnings(run_id) == []
    assert second["runs"][-1]["progress"]["unchanged"] == 2

    # The documented GraphQL lookup by external id (graphql_filter_by_externalid_*).
    query = (SAMPLES / "graphql_filter_by_externalid_query.graphql.txt").read_text()
    answer = client.graphql(query.replace("externalId/1234", "externalId/APP-0001"))
    expected = sample("graphql_filter_by_externalid_response.json")
    node = answer["data"]["allFactSheets"]["edges"][0]["node"]
    assert answer["data"]["allFactSheets"]["totalCount"] == 1
    assert set(node) == set(expected["data"]["allFactSheets"]["edges"][0]["node"])
    assert node == {
        "id": first["factSheets"][0]["id"],
        "name": "AC Management",
        "externalId": {"externalId": "APP-0001"},
    }


def test_run_status_progression_is_observed_by_polling(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    client.put_configuration(config(*VENDOR_PROCESSORS))
    created = client.create_run(ldif(VENDOR), start=False)
    run_id = created.json()["id"]
    assert set(created.json()) == {"id"}
    assert client.status(run_id) == "CREATED"
    assert client.request("POST", f"{IA}/synchronizationRuns/{run_id}/start").status == 200
    assert client.wait(run_id) == "FINISHED"
    assert "IN_PROGRESS" in client.polls
    order = ["CREATED", "PENDING", "IN_PROGRESS", "FINISHED"]
    assert [order.index(status) for status in client.polls] == sorted(
        order.index(status) for status in client.polls
    )
    history = sandbox.admin("GET", f"/admin/runs/{run_id}")["history"]
    assert [step["status"] for step in history] == order
    again = client.request("POST", f"{IA}/synchronizationRuns/{run_id}/start")
    assert again.status == 400
    assert "already started" in again.json()["errors"][0]
    unknown = "00000000-0000-0000-0000-000000000000"
    assert client.request("POST", f"{IA}/synchronizationRuns/{unknown}/start").status == 404
    assert client.request("GET", f"{IA}/synchronizationRuns/{unknown}/status").status == 404
    assert client.request("GET", f"{IA}/synchronizationRuns/{run_id}/results").status == 204
    progress = client.request("GET", f"{IA}/synchronizationRuns/{run_id}/progress").json()
    assert progress["processedContentCount"] == 1
    assert progress["status"] == "FINISHED"
    listed = client.request("GET", f"{IA}/synchronizationRuns").json()
    assert {"id": run_id, "status": "FINISHED", "description": "test"} in listed


def test_bad_ldif_is_refused_with_errors(client: LeanIXClient) -> None:
    document = ldif(VENDOR)
    del document["lxVersion"]
    reply = client.create_run(document)
    assert reply.status == 400
    assert any("lxVersion" in message for message in reply.json()["errors"])
    broken = client.request(
        "POST", f"{IA}/synchronizationRuns", body=b"{not json", query={"start": "true"}
    )
    assert broken.status == 400
    assert "errors" in broken.json()
    no_id = ldif({"type": "Vendor", "data": {}})
    assert any("'id'" in message for message in client.create_run(no_id).json()["errors"])


def test_run_without_configuration_fails_with_a_clear_message(client: LeanIXClient) -> None:
    run_id, status = client.run(ldif(VENDOR))
    assert status == "FAILED"
    warnings = client.warnings(run_id)
    assert warnings[0]["status"] == "ERROR"
    assert "No processor configuration found" in warnings[0]["message"]
    assert "connectorId='ACME'" in warnings[0]["message"]


def test_relations_documents_and_exact_costs(sandbox: SandboxProcess, client: LeanIXClient) -> None:
    client.put_configuration(config(*VENDOR_PROCESSORS))
    invoice = {
        "type": "Invoice",
        "id": "intacct:ACME:APBILL:4711",
        "data": {
            "vendorKey": "intacct:ACME:vendor:V100",
            "name": "Intacct APBILL 4711",
            "url": "https://example.intacct.com/bill/4711",
            "summary": "2025-03-01 1200.00 USD dept D20",
            "meta": {"recordNo": "4711", "amount": Decimal("1200.00")},
        },
    }
    spend = {
        "type": "DepartmentSpend",
        "id": "intacct:ACME:vendor:V100:dept:D20",
        "data": {
            "vendorKey": "intacct:ACME:vendor:V100",
            "departmentKey": "intacct:ACME:department:D20",
        },
    }
    document = ldif(VENDOR, DEPARTMENT, cost(Decimal("1234567890123.45")), spend, invoice)
    run_ok(client, document)
    state = export(sandbox)
    assert [(s["type"], s["externalId"]) for s in state["factSheets"]] == [
        ("Application", "intacct:ACME:vendor:V100:service"),
        ("ITComponent", "intacct:ACME:vendor:V100:saas"),
        ("Provider", "intacct:ACME:vendor:V100"),
        ("UserGroup", "intacct:ACME:department:D20"),
    ]
    assert state["factSheets"][1]["category"] == "saas"
    relations = {r["type"]: r for r in state["relations"]}
    assert set(relations) == {
        "relApplicationToITComponent",
        "relApplicationToUserGroup",
        "relITComponentToProvider",
    }
    app_itc = relations["relApplicationToITComponent"]
    assert app_itc["fields"] == {"costTotalAnnual": "1234567890123.45"}
    assert app_itc["from"]["externalId"] == "intacct:ACME:vendor:V100:service"
    assert app_itc["to"]["externalId"] == "intacct:ACME:vendor:V100:saas"
    [doc] = state["documents"]
    assert doc["name"] == "Intacct APBILL 4711"
    assert doc["factSheet"]["externalId"] == "intacct:ACME:vendor:V100:service"
    assert (doc["url"], doc["documentType"], doc["origin"]) == (
        "https://example.intacct.com/bill/4711",
        "website",
        "CUSTOM_LINK",
    )
    assert json.loads(doc["metadata"]) == {"amount": "1200.00", "recordNo": "4711"}

    # Same LDIF again: nothing changes. A new amount replaces the old one on the same relation.
    run_ok(client, document)
    assert export(sandbox)["relations"] == state["relations"]
    run_ok(client, ldif(cost("48210.55")))
    [updated] = [r for r in export(sandbox)["relations"] if r["id"] == app_itc["id"]]
    assert updated["fields"]["costTotalAnnual"] == "48210.55"

    # Read back through GraphQL, from both ends, with the amount exact to the cent.
    app_id = state["factSheets"][0]["id"]
    query = """query ($id: ID!) { factSheet(id: $id) { id name displayName type
        ... on Application {
          externalId { externalId }
          relApplicationToITComponent { totalCount edges { node { id costTotalAnnual
            factSheet { id name displayName type externalId { externalId } } } } }
          relApplicationToUserGroup { totalCount edges { node { factSheet { name } } } }
          documents { edges { node { id name url description documentType origin metadata } } }
        } } }"""
    reply = client.request(
        "POST", "/services/pathfinder/v1/graphql", {"query": query, "variables": {"id": app_id}}
    )
    assert b'"costTotalAnnual":48210.55' in reply.body
    sheet = reply.json()["data"]["factSheet"]
    edge = sheet["relApplicationToITComponent"]["edges"][0]["node"]
    assert edge["costTotalAnnual"] == Decimal("48210.55")
    assert edge["factSheet"]["externalId"] == {"externalId": "intacct:ACME:vendor:V100:saas"}
    assert edge["factSheet"]["type"] == "ITComponent"
    assert (
        sheet["relApplicationToUserGroup"]["edges"][0]["node"]["factSheet"]["name"] == "Engineering"
    )
    assert sheet["documents"]["edges"][0]["node"]["name"] == "Intacct APBILL 4711"
    itc_id = state["factSheets"][1]["id"]
    reverse = client.graphql(
        """query ($id: ID!) { factSheet(id: $id) { ... on ITComponent {
             relITComponentToApplication { edges { node { id factSheet { id } } } }
             relITComponentToProvider { edges { node { factSheet { name } } } } } } }""",
        {"id": itc_id},
    )["data"]["factSheet"]
    assert reverse["relITComponentToApplication"]["edges"][0]["node"] == {
        "id": app_itc["id"],
        "factSheet": {"id": app_id},
    }
    assert reverse["relITComponentToProvider"]["edges"][0]["node"]["factSheet"]["name"] == (
        "Slack Technologies"
    )


def test_relation_to_a_missing_fact_sheet_is_a_warning_not_a_failure(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    client.put_configuration(config(*VENDOR_PROCESSORS))
    orphan = cost("10.00")
    orphan["data"]["vendorKey"] = "intacct:ACME:vendor:NOPE"
    run_id = run_ok(client, ldif(VENDOR, orphan))
    [warning] = client.warnings(run_id)
    assert warning["processor"] == {"name": "Service cost", "index": 5}
    assert warning["content"] == {"type": "ServiceCost", "id": "intacct:ACME:vendor:V100:cost"}
    assert warning["status"] == "WARNING"
    assert "intacct:ACME:vendor:NOPE:service" in warning["message"]
    assert export(sandbox)["relations"][0]["type"] == "relITComponentToProvider"


def test_delete_modes_for_relations_documents_and_fact_sheets(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    processors = copy.deepcopy(VENDOR_PROCESSORS)
    client.put_configuration(config(*processors))
    invoice = {
        "type": "Invoice",
        "id": "bill-1",
        "data": {"vendorKey": VENDOR["id"], "name": "Bill 1", "url": "u", "summary": "s"},
    }
    run_ok(client, ldif(VENDOR, cost("1.00"), invoice))
    before = export(sandbox)
    assert len(before["relations"]) == 2
    assert len(before["documents"]) == 1
    for processor in processors:
        processor["mode"] = "delete"
    client.put_configuration(config(*processors))
    run_ok(client, ldif(cost("1.00"), invoice))
    after = export(sandbox)
    assert [r["type"] for r in after["relations"]] == ["relITComponentToProvider"]
    assert after["documents"] == []
    # Archiving: the fact sheet stays (ARCHIVED) and is never revived by the same externalId.
    run_ok(client, ldif(VENDOR))
    archived = [s for s in export(sandbox)["factSheets"] if s["status"] == "ARCHIVED"]
    assert len(archived) == 3
    client.put_configuration(config(*VENDOR_PROCESSORS))
    run_ok(client, ldif(VENDOR))
    sheets = export(sandbox)["factSheets"]
    provider = [s for s in sheets if s["externalId"] == VENDOR["id"]]
    assert sorted(s["status"] for s in provider) == ["ACTIVE", "ARCHIVED"]
    assert provider[0]["id"] != provider[1]["id"]
    visible = client.graphql(
        '{ allFactSheets(filter: {externalIds: ["externalId/intacct:ACME:vendor:V100"]}) '
        "{ totalCount edges { node { id status } } } }"
    )["data"]["allFactSheets"]
    assert visible["totalCount"] == 1
    assert visible["edges"][0]["node"]["status"] == "ACTIVE"
    trash = client.graphql(
        '{ allFactSheets(filter: {facetFilters: [{facetKey: "TrashBin", keys: ["archived"]}]}) '
        "{ totalCount } }"
    )
    assert trash["data"]["allFactSheets"]["totalCount"] == 3


def test_reference_document_processor(sandbox: SandboxProcess, client: LeanIXClient) -> None:
    processors = [
        {
            "processorType": "inboundFactSheet",
            "processorName": "ITC",
            "type": "ITComponent",
            "filter": {"exactType": "ITComponent"},
            "identifier": ext("${content.id}"),
            "updates": [upd("name", "${data.name}")],
        },
        sample("ia_processor_inbound_document.json"),
    ]
    client.put_configuration(config(*processors))
    item = {"type": "ITComponent", "id": "itc-1", "data": {"name": "Kubernetes"}}
    run_ok(client, ldif(item))
    [doc] = export(sandbox)["documents"]
    assert doc["name"] == "Integration API Document"
    assert doc["url"] == "https://docs-eam.leanix.net/reference/integration-api"
    assert doc["factSheet"]["externalId"] == "itc-1"


def test_fact_sheet_without_name_is_an_error_warning(client: LeanIXClient) -> None:
    client.put_configuration(config(*VENDOR_PROCESSORS))
    nameless = {"type": "Department", "id": "dept-x", "data": {}}
    run_id = run_ok(client, ldif(nameless))
    messages = [(w["status"], w["message"]) for w in client.warnings(run_id)]
    assert ("WARNING", "Missing value for key 'name'") in messages
    assert any(status == "ERROR" and "'name' is mandatory" in text for status, text in messages)


def test_warnings_paging_rule(client: LeanIXClient) -> None:
    client.put_configuration(config(*VENDOR_PROCESSORS))
    nameless = [
        {"type": "Department", "id": f"d{i:03d}", "data": {"title": ""}} for i in range(120)
    ]
    run_id = run_ok(client, ldif(*nameless))
    path = f"{IA}/synchronizationRuns/{run_id}/warnings"
    first = client.request("GET", path, query={"offset": "0", "limit": "100"}).json()
    second = client.request("GET", path, query={"offset": "100", "limit": "100"}).json()
    assert len(first) == 100
    assert len(second) == 20
    assert [w["content"]["id"] for w in first + second] == [f"d{i:03d}" for i in range(120)]
    assert client.request("GET", path, query={"offset": "50", "limit": "100"}).status == 400
    assert client.request("GET", path, query={"offset": "0", "limit": "101"}).status == 400
    assert len(client.request("GET", path, query={"offset": "10", "limit": "5"}).json()) == 5


def test_metrics_points_overwrite_and_delete(sandbox: SandboxProcess, client: LeanIXClient) -> None:
    processor = sample("ia_processor_inbound_metrics.json")
    deleter = {**copy.deepcopy(processor), "processorName": "delete", "mode": "delete"}
    deleter["filter"] = {"exactType": "MetricsDelete"}
    client.put_configuration(config(processor, deleter))

    def point(value: str, tag_value: str = "fs-1", kind: str = "Metrics") -> dict[str, Any]:
        return {
            "type": kind,
            "id": f"p-{tag_value}",
            "data": {
                "measurement": "measurement",
                "time": "2025-03-01T00:00:00.000000Z",
                "fieldKey": "amount",
                "fieldValueNumber": Decimal(value),
                "tagKey": "factSheetId",
                "tagValue": tag_value,
            },
        }

    other = point("5")
    other["data"]["measurement"] = "ignored-by-advanced-filter"
    run_ok(client, ldif(point("1234567890123.45"), point("7.00", "fs-2"), other))
    run_ok(client, ldif(point("1.10")))
    points = export(sandbox)["metrics"]
    assert [(p["tags"][0]["value"], p["fields"]) for p in points] == [
        ("fs-1", {"amount": "1.10"}),
        ("fs-2", {"amount": "7.00"}),
    ]
    assert points[0]["time"] == "2025-03-01T00:00:00Z"
    assert {"key": "factSheetId_1", "value": "fs-1_1"} in points[0]["tags"]
    read = client.request(
        "GET", "/services/metrics/v2/points", query={"measurement": "measurement"}
    ).json()
    assert [p["fields"]["amount"] for p in read["data"]] == ["1.10", "7.00"]
    run_ok(client, ldif(point("0", "fs-2", kind="MetricsDelete")))
    assert [p["tags"][0]["value"] for p in export(sandbox)["metrics"]] == ["fs-1"]


def test_repeated_targets_within_one_run_see_each_other(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    """A point or document named twice in one LDIF: the second item updates what the first wrote.

    More items than one transaction chunk, so the repeats also straddle a chunk boundary.
    """
    metrics = sample("ia_processor_inbound_metrics.json")
    client.put_configuration(config(*VENDOR_PROCESSORS, metrics))

    def point(index: int, value: str) -> dict[str, Any]:
        return {
            "type": "Metrics",
            "id": f"p-{index}",
            "data": {
                "measurement": "measurement",
                "time": "2025-03-01T00:00:00Z",
                "fieldKey": "amount",
                "fieldValueNumber": Decimal(value),
                "tagKey": "factSheetId",
                "tagValue": f"fs-{index}",
            },
        }

    def invoice(number: int, summary: str) -> dict[str, Any]:
        return {
            "type": "Invoice",
            "id": f"inv-{number}",
            "data": {
                "vendorKey": "intacct:ACME:vendor:V100",
                "name": f"Intacct APBILL {number}",
                "url": f"https://example.intacct.com/bill/{number}",
                "summary": summary,
            },
        }

    points = [point(index, f"{index}.50") for index in range(1500)]
    items = [VENDOR, *points, invoice(1, "first"), point(7, "99.99"), point(8, "8.50")]
    run_id = run_ok(client, ldif(*items, invoice(1, "second"), invoice(2, "other")))
    stats = client.request("GET", f"{IA}/synchronizationRuns/{run_id}/stats").json()
    # 3 fact sheets + 1 relation; 1500 points + point 7 updated + point 8 unchanged; 2 documents
    # created, the first one updated once.
    assert (stats["created"], stats["updated"], stats["unchanged"]) == (3 + 1 + 1500 + 2, 2, 1)
    state = export(sandbox)
    amounts = {p["tags"][0]["value"]: p["fields"]["amount"] for p in state["metrics"]}
    assert len(amounts) == 1500
    assert (amounts["fs-7"], amounts["fs-8"], amounts["fs-1499"]) == ("99.99", "8.50", "1499.50")
    assert [(d["name"], d["description"]) for d in state["documents"]] == [
        ("Intacct APBILL 1", "second"),
        ("Intacct APBILL 2", "other"),
    ]


def test_sequential_execution_stop_and_dry_run(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    client.put_configuration(config(*VENDOR_PROCESSORS, sequentialExecution=True))
    first = client.create_run(ldif(VENDOR)).json()["id"]
    second = client.create_run(ldif(DEPARTMENT)).json()["id"]
    third = client.create_run(ldif(DEPARTMENT)).json()["id"]
    assert client.status(second) == "SEQUENTIALIZED"
    assert client.request("POST", f"{IA}/synchronizationRuns/{third}/stop").status == 200
    assert client.wait(first) == "FINISHED"
    assert client.wait(second) == "FINISHED"
    assert client.status(third) == "STOPPED"
    assert client.request("POST", f"{IA}/synchronizationRuns/{first}/stop").status == 400
    before = export(sandbox)["factSheets"]
    dry = {**DEPARTMENT, "id": "intacct:ACME:department:D99"}
    run_id, status = client.run(ldif(dry, {"type": "Department", "id": "x", "data": {}}), test=True)
    assert status == "FINISHED"
    assert export(sandbox)["factSheets"] == before
    assert any("mandatory" in w["message"] for w in client.warnings(run_id))
    fast = client.request("POST", f"{IA}/fastSynchronizationRuns", ldif(dry)).json()
    assert fast["status"] == "FINISHED"
    assert fast["warnings"] == []
    assert fast["stats"]["processedContentCount"] == 1
    assert "intacct:ACME:department:D99" in sheets_by_external_id(sandbox)


def test_for_each_custom_fields_regex_filters_and_internal_ids(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    processors = [
        {
            "processorType": "inboundFactSheet",
            "processorName": "one app per module",
            "type": "Application",
            "filter": {"type": "^Sys.*$", "id": "s-\\d+", "advanced": "${data.active != null}"},
            "forEach": "${data.modules}",
            "identifier": ext("${content.id}/${integration.valueOfForEach}"),
            "updates": [
                upd("name", "${header.customFields.prefix} ${integration.valueOfForEach}"),
                {
                    "key": {"expr": "lifecycle"},
                    "values": [
                        {
                            "map": [
                                {"key": "phase", "value": "active"},
                                {"key": "startDate", "value": "${data.since}"},
                            ]
                        }
                    ],
                },
                upd("nope", "${data.unknown}", optional=True),
            ],
        },
        {
            "processorType": "inboundFactSheet",
            "processorName": "rename by internal id",
            "type": "Application",
            "filter": {"exactType": "Rename"},
            "identifier": {"internal": "${data.lxId}"},
            "updates": [upd("name", "${data.name}"), upd("alias", "${data.name.toLowerCase()}")],
        },
        {
            "processorType": "inboundFactSheet",
            "processorName": "unknown type",
            "type": "Contract",
            "filter": {"exactType": "Contract"},
            "identifier": ext("${content.id}"),
            "updates": [upd("name", "c")],
        },
    ]
    client.put_configuration(config(*processors))
    system = {
        "type": "System",
        "id": "s-1",
        "data": {"modules": ["GL", "AP"], "active": True, "since": "2024-01-01"},
    }
    skipped = [
        {"type": "System", "id": "x-2", "data": {"modules": ["XX"], "active": True}},
        {"type": "Other", "id": "s-3", "data": {"modules": ["YY"], "active": True}},
        {"type": "System", "id": "s-4", "data": {"modules": ["ZZ"]}},
    ]
    contract = {"type": "Contract", "id": "k-1", "data": {}}
    run_id = run_ok(client, ldif(system, *skipped, contract, customFields={"prefix": "ERP"}))
    sheets = sheets_by_external_id(sandbox)
    assert sorted(sheets) == ["s-1/AP", "s-1/GL"]
    assert sheets["s-1/GL"]["name"] == "ERP GL"
    assert sheets["s-1/GL"]["lifecycle"] == {
        "phases": [{"phase": "active", "startDate": "2024-01-01"}]
    }
    [warning] = client.warnings(run_id)
    assert warning["processor"]["name"] == "unknown type"
    assert "Contract" in warning["message"]
    rename = {
        "type": "Rename",
        "id": "r",
        "data": {"lxId": sheets["s-1/AP"]["id"], "name": "Payables"},
    }
    missing = {"type": "Rename", "id": "r2", "data": {"lxId": "no-such-id", "name": "X"}}
    run_id = run_ok(client, ldif(rename, missing))
    renamed = sheets_by_external_id(sandbox)["s-1/AP"]
    assert (renamed["name"], renamed["alias"], renamed["rev"]) == ("Payables", "payables", 2)
    [warning] = client.warnings(run_id)
    assert warning["content"]["id"] == "r2"
    assert "no-such-id" in warning["message"]


def test_full_mode_deletion_scope_archives_untouched_within_the_ratio(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    stored = sample("ia_processor_config_full_mode_deletion_scope.json")
    stored.update({**BINDING, "processingMode": "full"})
    stored["processors"].append(
        {
            "processorType": "inboundDocument",
            "processorName": "project docs",
            "run": 1,
            "filter": {"exactType": "prj"},
            "identifier": ext("${content.id}"),
            "updates": [upd("name", "MyDocs_${content.id}")],
        }
    )
    assert client.put_configuration(stored).status == 204

    def projects(*numbers: int) -> dict[str, Any]:
        items = [{"type": "prj", "id": f"P{n}", "data": {"name": f"Project {n}"}} for n in numbers]
        return ldif(*items, processingMode="full")

    run_ok(client, projects(1, 2, 3, 4))
    run_ok(client, projects(1, 2, 3))
    state = export(sandbox)
    statuses = {s["externalId"]: s["status"] for s in state["factSheets"]}
    assert statuses == {"P1": "ACTIVE", "P2": "ACTIVE", "P3": "ACTIVE", "P4": "ARCHIVED"}
    assert sorted(d["name"] for d in state["documents"]) == ["MyDocs_P1", "MyDocs_P2", "MyDocs_P3"]
    # Archiving 2 of 3 (66 %) exceeds maximumDeletionRatio.factSheets = 30: nothing is archived.
    run_id = run_ok(client, projects(1))
    assert [s["status"] for s in export(sandbox)["factSheets"]].count("ACTIVE") == 3
    assert any("maximumDeletionRatio" in w["message"] for w in client.warnings(run_id))


def test_inbound_tags_groups_and_assignment(sandbox: SandboxProcess, client: LeanIXClient) -> None:
    # Shapes from "Inbound Tag" (https://docs-eam.leanix.net/reference/inbound-processors):
    # factSheets.external.ids, forEach over data.tags.
    def tag_processor(name: str, **extra: Any) -> dict[str, Any]:
        return {
            "processorType": "inboundTag",
            "processorName": name,
            "factSheets": {"external": {"ids": "${content.id}", "type": {"expr": "externalId"}}},
            "filter": {"exactType": "App"},
            "run": 1,
            "forEach": "${data.tags}",
            "updates": [upd("name", "${integration.valueOfForEach}")],
            **extra,
        }

    radar = tag_processor("radar ring", filter={"exactType": "Ring"})
    radar["forEach"] = "${data.rings}"
    radar["updates"] += [
        upd("group.name", "Technology radar - Ring"),
        upd("group.mode", "SINGLE"),
        upd("color", "#ff0000"),
    ]
    untag = tag_processor("untag", mode="delete", filter={"exactType": "Untag"})
    processors = [
        {
            "processorType": "inboundFactSheet",
            "processorName": "apps",
            "type": "Application",
            "filter": {"type": "App|Ring|Untag"},
            "identifier": ext("${content.id}"),
            "updates": [upd("name", "${content.id}")],
        },
        tag_processor("other tags"),
        radar,
        untag,
    ]
    client.put_configuration(config(*processors))
    run_ok(client, ldif({"type": "App", "id": "a1", "data": {"tags": ["Important", "Legacy"]}}))
    run_ok(client, ldif({"type": "Ring", "id": "a1", "data": {"rings": ["Hold", "Mature"]}}))
    run_ok(client, ldif({"type": "Untag", "id": "a1", "data": {"tags": ["Legacy"]}}))
    state = export(sandbox)
    [sheet] = state["factSheets"]
    # SINGLE mode: the later "Mature" replaced "Hold" in that group.
    assert sheet["tags"] == [
        {"group": None, "name": "Important"},
        {"group": "Technology radar - Ring", "name": "Mature"},
    ]
    assert state["tagGroups"] == [{"name": "Technology radar - Ring", "mode": "SINGLE"}]
    assert {"group": None, "name": "Legacy"} in state["tags"]
    tags = client.graphql(
        "query ($id: ID!) { factSheet(id: $id) { tags { name color tagGroup { name } } } }",
        {"id": sheet["id"]},
    )["data"]["factSheet"]["tags"]
    assert tags == [
        {"name": "Important", "color": None, "tagGroup": None},
        {"name": "Mature", "color": "#ff0000", "tagGroup": {"name": "Technology radar - Ring"}},
    ]

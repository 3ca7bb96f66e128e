"""The LeanIX sandbox's lifecycle phase keys and inboundSubscription, over HTTP, in the documented shapes.

Processor shapes are the examples of "Inbound Processors" (https://help.sap.com/docs/leanix/ea/inbound-processors):
"Lifecycle Management" (`lifecycle.<phase>` keys, `yyyy-mm-dd`) and "Inbound Subscription" (`user`,
`newUser.*`, `subscriptionType`, `subscriptionRoles` maps `{roleName, comment}`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess
from sandboxes.leanix.client import LeanIXClient

BINDING = {
    "connectorType": "intacct-saas",
    "connectorId": "ACME",
    "connectorVersion": "1.0.0",
    "processingDirection": "inbound",
    "processingMode": "partial",
}


def ext(expr: str) -> dict[str, Any]:
    return {"external": {"id": {"expr": expr}, "type": {"expr": "externalId"}}}


def upd(key: str, expr: str, **extra: Any) -> dict[str, Any]:
    return {"key": {"expr": key}, "values": [{"expr": expr}], **extra}


def ldif(*items: dict[str, Any]) -> dict[str, Any]:
    return {**BINDING, "lxVersion": "1.0.0", "description": "test", "content": list(items)}


APP = {
    "processorType": "inboundFactSheet",
    "processorName": "apps",
    "type": "Application",
    "run": 0,
    "filter": {"exactType": "App"},
    "identifier": ext("${content.id}"),
    "updates": [upd("name", "${data.name}")],
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(
        "leanix-sandbox", ["--db", ":memory:", "--in-progress-hold-seconds", "0.05"]
    ) as process:
        yield process


@pytest.fixture
def client(sandbox: SandboxProcess) -> LeanIXClient:
    sandbox.admin("POST", "/admin/reset")
    return LeanIXClient(sandbox.url)


def run(client: LeanIXClient, *items: dict[str, Any]) -> list[dict[str, Any]]:
    run_id, status = client.run(ldif(*items))
    assert status == "FINISHED", client.warnings(run_id)
    return client.warnings(run_id)


def app_sheet(sandbox: SandboxProcess, external_id: str) -> dict[str, Any]:
    [sheet] = [
        s
        for s in sandbox.admin("GET", "/admin/export")["factSheets"]
        if s["externalId"] == external_id
    ]
    return sheet  # type: ignore[no-any-return]


def test_lifecycle_phase_keys_set_keep_other_phases_and_null_resets(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    lifecycle = {
        "processorType": "inboundFactSheet",
        "processorName": "Lifecycle Example",
        "type": "Application",
        "run": 1,
        "filter": {"exactType": "Phase"},
        "identifier": ext("${content.id}"),
        "updates": [upd("lifecycle.${data.phase}", "${data.date}")],
    }
    client.put_configuration({**BINDING, "processors": [APP, lifecycle]})
    run(
        client,
        {"type": "App", "id": "a1", "data": {"name": "Slack"}},
        {"type": "Phase", "id": "a1", "data": {"phase": "active", "date": "2025-03-01"}},
    )
    run(client, {"type": "Phase", "id": "a1", "data": {"phase": "plan", "date": "2024-11-01"}})
    sheet = app_sheet(sandbox, "a1")
    # Each write sets one phase; the others stay, in the meta model's order.
    assert sheet["lifecycle"]["phases"] == [
        {"phase": "plan", "startDate": "2024-11-01"},
        {"phase": "active", "startDate": "2025-03-01"},
    ]
    read = client.graphql(
        "query ($id: ID!) { factSheet(id: $id) { ... on Application "
        "{ lifecycle { asString phases { phase startDate } } } } }",
        {"id": sheet["id"]},
    )["data"]["factSheet"]["lifecycle"]
    assert read == {"asString": "active", "phases": sheet["lifecycle"]["phases"]}

    # A null value resets the phase; a date in another format or an unknown phase is refused.
    run(client, {"type": "Phase", "id": "a1", "data": {"phase": "plan", "date": None}})
    assert app_sheet(sandbox, "a1")["lifecycle"]["phases"] == [
        {"phase": "active", "startDate": "2025-03-01"}
    ]
    warnings = run(
        client, {"type": "Phase", "id": "a1", "data": {"phase": "active", "date": "01.03.2025"}}
    )
    assert any("yyyy-mm-dd" in w["message"] for w in warnings)
    run_id, _status = client.run(
        ldif({"type": "Phase", "id": "a1", "data": {"phase": "sunset", "date": "2025-03-01"}})
    )
    assert any("sunset" in w["message"] for w in client.warnings(run_id))
    run(client, {"type": "Phase", "id": "a1", "data": {"phase": "active", "date": None}})
    assert "lifecycle" not in app_sheet(sandbox, "a1")


def subscription(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "processorType": "inboundSubscription",
        "processorName": name,
        "filter": {"exactType": "Owner"},
        "identifier": ext("${content.id}"),
        "run": 1,
        "updates": [
            upd("newUser.email", "${data.email}"),
            upd("newUser.userName", "${data.email}"),
            upd("newUser.firstName", "${data.first}"),
            upd("newUser.lastName", "${data.last}"),
            upd("subscriptionType", "${data.type}"),
            {
                "key": {"expr": "subscriptionRoles"},
                "values": [
                    {
                        "map": [
                            {"key": "roleName", "value": "Business Owner"},
                            {"key": "comment", "value": "Buys it most often"},
                        ]
                    }
                ],
            },
        ],
        **extra,
    }


def test_subscriptions_new_users_types_roles_and_removal(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    existing_only = {
        "processorType": "inboundSubscription",
        "processorName": "existing users only",
        "filter": {"exactType": "Existing"},
        "identifier": ext("${content.id}"),
        "run": 1,
        "updates": [upd("user", "${data.email}"), upd("subscriptionType", "OBSERVER")],
    }
    remove = subscription("remove", mode="delete", filter={"exactType": "NoOwner"})
    client.put_configuration(
        {**BINDING, "processors": [APP, subscription("owners"), existing_only, remove]}
    )
    owner = {"email": "Jane.Doe@example.com", "first": "Jane", "last": "Doe", "type": "RESPONSIBLE"}
    run(
        client,
        {"type": "App", "id": "a1", "data": {"name": "Figma"}},
        {"type": "Owner", "id": "a1", "data": owner},
    )
    state = sandbox.admin("GET", "/admin/export")
    assert app_sheet(sandbox, "a1")["subscriptions"] == [
        {
            "user": "jane.doe@example.com",
            "type": "RESPONSIBLE",
            "roles": [{"name": "Business Owner", "comment": "Buys it most often"}],
        }
    ]
    # newUser creates a contact that was not invited.
    assert state["users"] == [
        {
            "email": "jane.doe@example.com",
            "userName": "Jane.Doe@example.com",
            "firstName": "Jane",
            "lastName": "Doe",
            "status": "NOT_INVITED",
        }
    ]
    # The same subscription again changes nothing; `user` alone needs an existing user.
    warnings = run(
        client,
        {"type": "Owner", "id": "a1", "data": owner},
        {"type": "Existing", "id": "a1", "data": {"email": "nobody@example.com"}},
    )
    assert any("nobody@example.com" in w["message"] for w in warnings)
    assert len(app_sheet(sandbox, "a1")["subscriptions"]) == 1

    # Accountable: a second user's Accountable subscription does not replace the first.
    accountable = {**owner, "type": "ACCOUNTABLE"}
    other = {**accountable, "email": "max@example.com", "first": "Max", "last": "M"}
    warnings = run(
        client,
        {"type": "Owner", "id": "a1", "data": accountable},
        {"type": "Owner", "id": "a1", "data": other},
    )
    assert any("Accountable" in w["message"] for w in warnings)
    subs = {s["user"]: s["type"] for s in app_sheet(sandbox, "a1")["subscriptions"]}
    assert subs == {"jane.doe@example.com": "ACCOUNTABLE"}

    read = client.graphql(
        "query ($id: ID!) { factSheet(id: $id) { subscriptions { edges { node "
        "{ type user { email firstName } roles { name comment } } } } } }",
        {"id": app_sheet(sandbox, "a1")["id"]},
    )["data"]["factSheet"]["subscriptions"]["edges"]
    assert read == [
        {
            "node": {
                "type": "ACCOUNTABLE",
                "user": {"email": "jane.doe@example.com", "firstName": "Jane"},
                "roles": [{"name": "Business Owner", "comment": "Buys it most often"}],
            }
        }
    ]

    run(client, {"type": "NoOwner", "id": "a1", "data": owner})
    assert app_sheet(sandbox, "a1")["subscriptions"] == []
    # An unknown subscription type is an error of the item.
    run_id, _status = client.run(
        ldif({"type": "Owner", "id": "a1", "data": {**owner, "type": "X"}})
    )
    assert any("RESPONSIBLE" in w["message"] for w in client.warnings(run_id))

"""The LeanIX sandbox's faults on demand, and its workspace surviving a restart."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandboxes.common.process import SandboxError, SandboxProcess
from sandboxes.leanix.client import IA, LeanIXClient

BINDING = {
    "connectorType": "faults",
    "connectorId": "c1",
    "connectorVersion": "1.0.0",
    "processingDirection": "inbound",
    "processingMode": "partial",
}
CONFIG = {
    **BINDING,
    "processors": [
        {
            "processorType": "inboundFactSheet",
            "processorName": "apps",
            "type": "Application",
            "filter": {"exactType": "App"},
            "identifier": {
                "external": {"id": {"expr": "${content.id}"}, "type": {"expr": "externalId"}}
            },
            "updates": [{"key": {"expr": "name"}, "values": [{"expr": "${data.name}"}]}],
        },
        {
            "processorType": "inboundRelation",
            "processorName": "app to itc",
            "type": "relApplicationToITComponent",
            "filter": {"exactType": "App"},
            "run": 1,
            "from": {"external": {"id": {"expr": "${content.id}"}, "type": {"expr": "externalId"}}},
            "to": {"external": {"id": {"expr": "itc-1"}, "type": {"expr": "externalId"}}},
            "updates": [{"key": {"expr": "costTotalAnnual"}, "values": [{"expr": "${data.cost}"}]}],
        },
        {
            "processorType": "inboundFactSheet",
            "processorName": "itc",
            "type": "ITComponent",
            "filter": {"exactType": "App"},
            "identifier": {"external": {"id": {"expr": "itc-1"}, "type": {"expr": "externalId"}}},
            "updates": [{"key": {"expr": "name"}, "values": [{"expr": "Shared ITC"}]}],
        },
    ],
}


def ldif(name: str = "App One", cost: str = "99.99") -> dict[str, Any]:
    return {
        **BINDING,
        "lxVersion": "1.0.0",
        "content": [{"type": "App", "id": "app-1", "data": {"name": name, "cost": cost}}],
    }


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess("leanix-sandbox", ["--db", ":memory:"]) as process:
        yield process


@pytest.fixture
def client(sandbox: SandboxProcess) -> Iterator[LeanIXClient]:
    sandbox.admin("POST", "/admin/reset")
    sandbox.clear_faults()
    sandbox.reset_stats()
    client = LeanIXClient(sandbox.url)
    client.authenticate()
    yield client
    sandbox.clear_faults()


def test_http_429_carries_retry_after(sandbox: SandboxProcess, client: LeanIXClient) -> None:
    sandbox.set_faults([{"kind": "http_429", "path_prefix": IA, "params": {"retry_after": 7}}])
    limited = client.request("GET", f"{IA}/configurations")
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "7"
    assert "USER_INTERVAL_REQUEST_LIMIT_EXCEEDED" in limited.json()["errors"][0]
    assert client.request("GET", f"{IA}/configurations").status == 200
    sandbox.set_faults([{"kind": "http_429"}])
    assert client.request("GET", f"{IA}/configurations").headers["Retry-After"] == "1"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_on_demand(
    sandbox: SandboxProcess, client: LeanIXClient, status: int
) -> None:
    sandbox.set_faults([{"kind": f"http_{status}", "path_prefix": "/services/pathfinder"}])
    assert client.request("GET", f"{IA}/configurations").status == 200
    reply = client.request(
        "POST", "/services/pathfinder/v1/graphql", {"query": "{ allFactSheets { totalCount } }"}
    )
    assert reply.status == status
    assert client.graphql("{ allFactSheets { totalCount } }")["data"]["allFactSheets"] == {
        "totalCount": 0
    }
    assert sandbox.stats()["faults"] == {f"http_{status}": 1}


def test_token_expired_fault_then_same_token_works(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    sandbox.set_faults([{"kind": "token_expired", "count": 2}])
    assert client.request("GET", f"{IA}/configurations").status == 401
    assert client.request("GET", f"{IA}/synchronizationRuns").json() == {
        "errors": ["Access token expired"]
    }
    assert client.request("GET", f"{IA}/configurations").status == 200


def test_run_failed_fault_fails_the_started_run(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    client.put_configuration(CONFIG)
    sandbox.set_faults(
        [
            {
                "kind": "run_failed",
                "path_prefix": f"{IA}/synchronizationRuns",
                "body_contains": "App One",
            }
        ]
    )
    run_id, status = client.run(ldif())
    assert status == "FAILED"
    [warning] = client.warnings(run_id)
    assert warning["status"] == "ERROR"
    assert "run_failed" in warning["message"]
    assert sandbox.admin("GET", "/admin/export")["factSheets"] == []
    _, status = client.run(ldif())
    assert status == "FINISHED"


def test_truncate_slow_and_latency_from_the_common_layer(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    sandbox.set_faults(
        [{"kind": "truncate", "path_prefix": "/services/pathfinder", "params": {"fraction": 0.5}}]
    )
    query = {"query": "{ allFactSheets { totalCount edges { node { id } } } }"}
    cut = client.request("POST", "/services/pathfinder/v1/graphql", query)
    assert cut.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.body)
    whole = client.request("POST", "/services/pathfinder/v1/graphql", query)
    assert json.loads(whole.body)["data"]["allFactSheets"]["totalCount"] == 0
    sandbox.set_faults([{"kind": "slow", "params": {"seconds": 0.05}}])
    assert client.request("GET", f"{IA}/configurations").json() == []
    assert sandbox.stats()["faults"]["slow"] == 1


def test_workspace_tokens_and_interrupted_runs_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "workspace.sqlite"
    args = ["--db", str(db), "--in-progress-hold-seconds", "60"]
    with SandboxProcess("leanix-sandbox", args) as first:
        client = LeanIXClient(first.url)
        client.put_configuration(CONFIG)
        run_id, status = client.run(ldif(cost="1234567890123.45"))
        assert status == "FINISHED"
        before = first.admin("GET", "/admin/export")
        token = client.access_token
        # A run cut short by the shutdown: started, never polled, so it is still IN_PROGRESS.
        interrupted = client.create_run(ldif(cost="1234567890123.45")).json()["id"]
        while first.admin("GET", f"/admin/runs/{interrupted}")["status"] != "IN_PROGRESS":
            pass
    assert before["relations"][0]["fields"] == {"costTotalAnnual": "1234567890123.45"}
    with SandboxProcess("leanix-sandbox", args) as second:
        client = LeanIXClient(second.url, access_token=token)
        assert client.wait(interrupted) == "FINISHED"
        history = [
            step["status"] for step in second.admin("GET", f"/admin/runs/{interrupted}")["history"]
        ]
        assert history[-3:] == ["PENDING", "IN_PROGRESS", "FINISHED"]
        after = second.admin("GET", "/admin/export")
        for part in ("workspace", "factSheets", "relations", "configurations"):
            assert after[part] == before[part], part
        assert client.status(run_id) == "FINISHED"
        assert client.request("GET", f"{IA}/configurations").json() == [CONFIG]
        _, status = client.run(ldif(name="App One renamed"))
        assert status == "FINISHED"
        sheets = {s["externalId"]: s for s in second.admin("GET", "/admin/export")["factSheets"]}
        assert sheets["app-1"]["name"] == "App One renamed"
        assert sheets["app-1"]["id"] == before["factSheets"][0]["id"]
        assert sheets["app-1"]["rev"] == 2


def test_a_workspace_file_of_another_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as old:  # the first layout had no schema version
        old.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    box = SandboxProcess("leanix-sandbox", ["--db", str(db)])
    with pytest.raises(SandboxError):
        box.start()
    assert "another leanix-sandbox version" in box.output
    assert "delete it or pass another --db" in box.output


def test_rate_limit_answers_429_with_retry_after(
    sandbox: SandboxProcess, client: LeanIXClient
) -> None:
    sandbox.admin("POST", "/admin/rate-limit", {"per_second": 3})
    try:
        replies = [client.request("GET", f"{IA}/configurations") for _ in range(12)]
    finally:
        sandbox.admin("POST", "/admin/rate-limit", {"per_second": 0})
    refused = [reply for reply in replies if reply.status == 429]
    assert refused, [reply.status for reply in replies]
    assert all(int(reply.headers["Retry-After"]) >= 1 for reply in refused)
    assert "USER_INTERVAL_REQUEST_LIMIT_EXCEEDED" in refused[0].json()["reason"]
    assert replies[0].status == 200
    assert client.request("GET", f"{IA}/configurations").status == 200

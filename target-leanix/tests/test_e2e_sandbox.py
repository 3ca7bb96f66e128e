"""Singer messages -> target-leanix (a real subprocess) -> the LeanIX sandbox (a real server).

The input files are hand-written in tap-sage-intacct's output shape (see data/make_intacct_singer.py);
expected figures come from a reference model of the README policy in e2e_helpers, not from the target.
"""

from __future__ import annotations

import json

import pytest

from target_leanix.leanix import LeanIXClient

from .e2e_helpers import (
    DATA,
    EXPECTED_VENDOR_SERVICES,
    Workspace,
    expected_figures,
    leanix_sandbox,
    read_messages,
    run_target,
    target_config,
)

INITIAL = DATA / "intacct_initial.singer"
CHANGES = DATA / "intacct_changes.singer"
WINDOW = ("2025-01", "2025-12")


@pytest.fixture(scope="module")
def leanix():
    with leanix_sandbox() as sandbox:
        yield sandbox


def workspace(leanix, company):
    return Workspace(leanix.admin("GET", "/admin/export"), company)


def assert_matches(ws, expected):
    assert ws.spend() == expected.spend
    services = {s for (s, *_rest) in expected.spend} | set(expected.invoices)
    costs = ws.costs()
    for service in services:
        assert costs.get(service) == expected.cost_usd.get(service, 0), service
    assert ws.invoices() == expected.invoices
    assert ws.department_links() == expected.departments


def test_initial_rerun_and_changes_land_exactly(leanix, tmp_path):
    company = "E2E"
    ledger = tmp_path / "ledger.sqlite"
    config = target_config(leanix, company, ledger)

    first = run_target(config, INITIAL, tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    # Exactly one STATE, the tap's last, after LeanIX confirmed.
    assert first.states == [read_messages(INITIAL)[-1]["value"]]
    ws = workspace(leanix, company)

    apps = ws.sheets("Application")
    assert {ws.service_key(k) for k in apps} == {
        "slack",
        "atlassian",
        "figma",
        "zoom",
        "github",
        "notion",
        "dropbox",
        "candidate:V-00005",
    }
    assert all(app["status"] == "ACTIVE" for app in apps.values())
    components = ws.sheets("ITComponent")
    assert {c["category"] for c in components.values()} == {"saas"}
    providers = ws.sheets("Provider")
    chains = {
        (r["from"]["externalId"], r["to"]["externalId"])
        for r in ws.relations
        if r["type"] == "relITComponentToProvider"
    }
    for external_id in apps:
        assert any(src == f"{external_id}:saas" and dst in providers for src, dst in chains)
    groups = ws.sheets("UserGroup")
    assert {g["name"] for g in groups.values()} == {"Engineering", "Sales", "Operations", "Finance"}
    # Card spend and the vendor's bills land on one Application per service.
    slack = f"intacct:{company}:service:slack"
    assert {s for (s, *_rest) in ws.spend()} >= {"slack"}
    assert set(ws.invoices()["slack"]) == {"Intacct APBILL 401", "Intacct APPYMT 501"}
    assert len([k for k in apps if k == slack]) == 1
    assert "Intacct APBILL 403" not in json.dumps(ws.documents)  # Office Depot is no service
    assert EXPECTED_VENDOR_SERVICES["V-00003"] is None

    expected = expected_figures(read_messages(INITIAL), WINDOW)
    assert_matches(ws, expected)
    # Unattributed spend is reported, not dropped.
    assert "unattributed" in first.stderr
    assert "UBER" in first.stderr
    assert "sandbox-token" not in first.stderr
    assert "Bearer" not in first.stderr

    # Same input again: nothing changes in LeanIX and no new fact sheet appears.
    before = ws.content()
    again = run_target(config, INITIAL, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    after = workspace(leanix, company)
    assert after.content() == before
    assert len(after.runs) == len(ws.runs)  # nothing to send, so not even a run

    # Modified and deleted records: every aggregate moves to its exact new value.
    changed = run_target(config, CHANGES, tmp_path)
    assert changed.returncode == 0, changed.stderr[-3000:]
    final = workspace(leanix, company)
    expected_after = expected_figures(read_messages(INITIAL, CHANGES), WINDOW)
    assert expected_after.spend != expected.spend
    assert_matches(final, expected_after)
    assert set(final.sheets("Application")) == set(apps)  # no fact sheet lost or duplicated


def test_fresh_ledger_over_existing_workspace_is_refused_then_rebuilt(leanix, tmp_path):
    company = "LOST"
    first = run_target(target_config(leanix, company, tmp_path / "a.sqlite"), INITIAL, tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    before = workspace(leanix, company).content()

    lost = run_target(target_config(leanix, company, tmp_path / "b.sqlite"), CHANGES, tmp_path)
    assert lost.returncode == 1
    last_line = lost.stderr.strip().splitlines()[-1]
    assert "ledger" in last_line
    assert "ledger_rebuild=true" in last_line
    assert lost.states == []
    assert workspace(leanix, company).content() == before

    rebuilt = run_target(
        target_config(leanix, company, tmp_path / "c.sqlite", ledger_rebuild=True),
        INITIAL,
        tmp_path,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
    assert_matches(workspace(leanix, company), expected_figures(read_messages(INITIAL), WINDOW))


def test_small_batches_and_runs_give_the_same_figures(leanix, tmp_path):
    """Records drained mid-stream (sink full) publish per batch; LDIFs are split into small runs."""
    company = "BATCH"
    config = target_config(
        leanix, company, tmp_path / "ledger.sqlite", batch_size_rows=3, max_items_per_run=7
    )
    run = run_target(config, INITIAL, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    ws = workspace(leanix, company)
    assert_matches(ws, expected_figures(read_messages(INITIAL), WINDOW))
    assert len(ws.runs) > 3
    assert all(r["contentCount"] <= 7 for r in ws.runs)
    assert all(r["status"] == "FINISHED" for r in ws.runs)
    # Read back through Pathfinder GraphQL, as a user of the workspace would.
    client = LeanIXClient(leanix.url, "sandbox-token")
    found = client.fact_sheets_by_external_ids(
        [f"intacct:{company}:service:slack", f"intacct:{company}:department:ENG", "nope"]
    )
    assert {node["type"] for node in found.values()} == {"Application", "UserGroup"}
    client.close()

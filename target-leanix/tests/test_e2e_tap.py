"""The real pipeline: intacct-sandbox -> tap-sage-intacct -> target-leanix -> leanix-sandbox.

Every part is a real process over real HTTP. The expected figures come from the tap's own output through
the reference model in e2e_helpers; attribution is asked from recognition (not under test here), so the
test checks what the target does with it: aggregation, currencies, deletes, incremental runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sandboxes.common.process import SandboxProcess
from target_leanix.recognition import Recognizer

from .e2e_helpers import Workspace, expected_figures, latest_records, read_messages, run_target

TAP = Path(sys.executable).parent / "tap-sage-intacct"
WINDOW_END, WINDOW_MONTHS, WINDOW = "2025-06-30", 24, ("2023-07", "2025-06")


@pytest.fixture(scope="module")
def intacct():
    with SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", "0.01"]) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def leanix():
    with SandboxProcess(
        "leanix-sandbox", ["--db", ":memory:", "--in-progress-hold-seconds", "0.05"]
    ) as sandbox:
        yield sandbox


def run_tap(intacct, tmp_path, name, state=None):
    config = {
        "sender_id": "sandbox",
        "sender_password": "sandbox",
        "user_id": "admin",
        "user_password": "admin",
        "company_id": "SANDBOX",
        "api_url": intacct.url + "/ia/xml/xmlgw.phtml",
        "entity_ids": ["US01", "DE01"],
        "retry_wait_seconds": 0.01,
    }
    (tmp_path / "tap.json").write_text(json.dumps(config))
    argv = [str(TAP), "--config", str(tmp_path / "tap.json")]
    if state is not None:
        (tmp_path / "state.json").write_text(json.dumps(state))
        argv += ["--state", str(tmp_path / "state.json")]
    output = tmp_path / f"{name}.singer"
    with output.open("wb") as out:
        done = subprocess.run(argv, stdout=out, stderr=subprocess.PIPE, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return output


def attribution(messages):
    recognizer = Recognizer()

    def key(match):
        return match.service.key if match.service else None

    vendors = {
        str(v["VENDORID"]): key(
            recognizer.match_vendor(
                str(v["VENDORID"]), str(v["NAME"]), website=v.get("DISPLAYCONTACT.URL1") or None
            )
        )
        for v in latest_records(messages)["vendor"].values()
        if not v.get("_sdc_deleted_at")
    }
    return {
        "card_service": lambda text: key(recognizer.match_descriptor(text)),
        "text_service": lambda text: key(recognizer.match_text(text)) if text else None,
        "vendor_service": vendors.get,
    }


def assert_workspace(leanix, company, messages):
    ws = Workspace(leanix.admin("GET", "/admin/export"), company)
    expected = expected_figures(messages, WINDOW, **attribution(messages))
    assert expected.spend, "the test data should produce spend"
    assert ws.spend() == expected.spend
    services = {s for (s, *_rest) in expected.spend} | set(expected.invoices)
    costs = ws.costs()
    assert {s: costs.get(s) for s in services} == {s: expected.cost_usd.get(s, 0) for s in services}
    assert ws.invoices() == expected.invoices
    assert ws.department_links() == expected.departments
    apps = ws.sheets("Application")
    assert services <= {ws.service_key(k) for k in apps}
    providers = ws.sheets("Provider")
    linked = {
        r["from"]["externalId"]
        for r in ws.relations
        if r["type"] == "relITComponentToProvider" and r["to"]["externalId"] in providers
    }
    assert linked == {f"{k}:saas" for k in apps}
    departments = {
        d["DEPARTMENTID"]
        for d in latest_records(messages)["department"].values()
        if not d.get("_sdc_deleted_at")
    }
    assert {
        g["externalId"].rsplit(":", 1)[1] for g in ws.sheets("UserGroup").values()
    } == departments
    return ws


def test_tap_to_target_initial_then_incremental(intacct, leanix, tmp_path):
    company = "TAP"
    config = {
        "company_key": company,
        "base_url": leanix.url,
        "api_token": "sandbox-token",
        "ledger_path": str(tmp_path / "ledger.sqlite"),
        "cost_window_end": WINDOW_END,
        "cost_window_months": WINDOW_MONTHS,
        "poll_interval_seconds": 0.05,
    }
    first_output = run_tap(intacct, tmp_path, "first")
    first = run_target(config, first_output, tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    tap_states = [m["value"] for m in read_messages(first_output) if m["type"] == "STATE"]
    assert first.states == [tap_states[-1]]
    before = assert_workspace(leanix, company, read_messages(first_output))

    # Change Intacct: a reproducible mix of inserts, modifies and deletes, and one card header delete.
    headers = intacct.admin("GET", "/admin/objects/CCTRANSACTION?limit=5")["rows"]
    intacct.admin(
        "POST",
        "/admin/mutate",
        [
            {"op": "random", "count": 25, "seed": 11},
            {"op": "delete", "object": "CCTRANSACTION", "recordno": int(headers[0]["RECORDNO"])},
        ],
    )
    second_output = run_tap(intacct, tmp_path, "second", state=first.states[-1])
    second = run_target(config, second_output, tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    after = assert_workspace(leanix, company, read_messages(first_output, second_output))
    assert after.spend() != before.spend()

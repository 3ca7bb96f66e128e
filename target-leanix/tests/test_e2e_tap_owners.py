"""Owners through the real pipeline: intacct-sandbox -> tap-sage-intacct (employee selected) ->
target-leanix (insight_owners) -> leanix-sandbox, every part a process over HTTP.

The expected owner of each service is computed from the tap's own output by a small reference model
(expense lines per report submitter in the cost window; recognition is asked for attribution, as in
test_e2e_tap), independently of the ledger's query.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter, defaultdict
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess
from tap_sage_intacct.objects import STANDARD_OBJECTS

from .e2e_helpers import Workspace, latest_records, read_messages, run_target
from .test_e2e_tap import TAP, WINDOW, WINDOW_END, WINDOW_MONTHS, attribution


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


def run_tap_with_employees(intacct, tmp_path):
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
    base = [str(TAP), "--config", str(tmp_path / "tap.json")]
    found = subprocess.run(
        [*base, "--discover"], capture_output=True, timeout=120, check=True
    ).stdout
    catalog = json.loads(found)
    wanted = {spec.stream_name for spec in STANDARD_OBJECTS} | {"employee"}
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in wanted
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    output = tmp_path / "tap.singer"
    with output.open("wb") as out:
        done = subprocess.run(
            [*base, "--catalog", str(tmp_path / "catalog.json")],
            stdout=out,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return output


def expected_owners(messages: list[dict[str, Any]]) -> tuple[dict[str, str], set[str]]:
    """service -> owner e-mail, and the services whose top buyer has no e-mail."""
    latest = latest_records(messages)
    attribute = attribution(messages)

    def alive(record: dict[str, Any] | None) -> bool:
        return record is not None and not record.get("_sdc_deleted_at")

    reports = {k: r for k, r in latest["expense_report"].items() if alive(r)}
    emails = {
        str(e["EMPLOYEEID"]): (e.get("PERSONALINFO.EMAIL1") or "")
        for e in latest["employee"].values()
        if alive(e) and e.get("STATUS") != "inactive"
    }
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for line in latest["expense_report_item"].values():
        report = reports.get(str(line.get("RECORDKEY")))
        if not alive(line) or report is None or not report.get("EMPLOYEEID"):
            continue
        month = str(line.get("ENTRY_DATE") or report.get("WHENCREATED"))[:7]
        if not WINDOW[0] <= month <= WINDOW[1]:
            continue
        service = attribute["vendor_service"](str(line.get("VENDORID") or "")) or attribute[
            "text_service"
        ](str(line.get("DESCRIPTION") or ""))
        if service:
            counts[service][str(report["EMPLOYEEID"])] += 1
    owners: dict[str, str] = {}
    without: set[str] = set()
    for service, by_employee in counts.items():
        top = min(by_employee, key=lambda e: (-by_employee[e], e))
        if emails.get(top):
            owners[service] = emails[top]
        else:
            without.add(service)
    return owners, without


def test_owners_from_the_tap_land_as_subscriptions(intacct, leanix, tmp_path):
    singer = run_tap_with_employees(intacct, tmp_path)
    messages = read_messages(singer)
    employees = latest_records(messages)["employee"]
    assert employees, "the tap should emit the selected employee stream"
    assert any(not e.get("PERSONALINFO.EMAIL1") for e in employees.values())  # contractors

    company = "TAPOWN"
    config = {
        "company_key": company,
        "base_url": leanix.url,
        "api_token": "sandbox-token",
        "ledger_path": str(tmp_path / "ledger.sqlite"),
        "cost_window_end": WINDOW_END,
        "cost_window_months": WINDOW_MONTHS,
        "poll_interval_seconds": 0.05,
        "insight_owners": True,
        "owner_subscription_type": "OBSERVER",
    }
    run = run_target(config, singer, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]

    owners, without = expected_owners(messages)
    assert owners, "the demo data should give some service an owner"
    ws = Workspace(leanix.admin("GET", "/admin/export"), company)
    landed = {
        ws.service_key(external_id): [(s["user"], s["type"]) for s in app["subscriptions"]]
        for external_id, app in ws.sheets("Application").items()
    }
    assert {s: subs for s, subs in landed.items() if subs} == {
        service: [(email.lower(), "OBSERVER")] for service, email in owners.items()
    }
    for service in without:
        assert landed.get(service, []) == []

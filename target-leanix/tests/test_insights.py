"""Insights in LeanIX, end to end: target-leanix (a real subprocess) -> the LeanIX sandbox (a real server).

Lifecycle dates and tags land as the README's insight table says; a rerun sends nothing; a lifecycle
date a person set in LeanIX survives; tags go when their condition ends; every insight can be switched
off. Expected values are written out by hand from the small input below, not computed by the target.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from target_leanix.leanix import LeanIXClient

from .e2e_helpers import Workspace, leanix_sandbox, run_target, target_config

DATA = Path(__file__).parent / "data"
CARD = ("Payment channel", "Card")
INVOICE = ("Payment channel", "Invoice")
SHADOW = ("Spend signals", "Shadow IT")
DUPLICATE = ("Spend signals", "Duplicate spend")


def singer_helpers() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_intacct_singer", DATA / "make_intacct_singer.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


M = singer_helpers()
SLACK_CARD = "SLACK T04ABC123 DUBLIN"
FIGMA_CARD = "FIGMA MONTHLY SAN FRANCISCO"
ZOOM_CARD = "ZOOM.US 888-799-9666 CA"


def first_input() -> list[dict[str, Any]]:
    """Slack: billed in March and carded in March and May (two channels in one month). Figma: carded
    only, by ENG and SALES (Shadow IT, two departments). Zoom: carded once in January (phase-out)."""
    messages: list[dict[str, Any]] = [M.schema(s) for s in M.SCHEMAS]
    for n, (dept, title) in enumerate([("ENG", "Engineering"), ("SALES", "Sales")], start=1):
        messages.append(
            M.record(
                "department",
                {
                    "RECORDNO": n,
                    "DEPARTMENTID": dept,
                    "TITLE": title,
                    "PARENTID": None,
                    "STATUS": "active",
                    "WHENCREATED": M.STAMP_1,
                    "MEGAENTITYID": None,
                },
            )
        )
    messages.append(
        M.record(
            "vendor",
            {
                "RECORDNO": 1,
                "VENDORID": "V-1",
                "NAME": "Slack Technologies, LLC",
                "STATUS": "active",
                "VENDTYPE": "Supplier",
                "CURRENCY": "USD",
                "TOTALDUE": 0,
                "DISPLAYCONTACT.URL1": "https://slack.com",
                "SAAS_CATEGORY": None,
                "WHENCREATED": M.STAMP_1,
                "MEGAENTITYID": None,
            },
        )
    )
    messages.append(M.bill(401, "V-1", "Slack Technologies, LLC", 120))  # dated 2025-03-01
    messages += [
        M.card(10, SLACK_CARD),
        M.card_line(101, 10, "ENG", 15, "2025-03-14"),
        M.card_line(102, 10, "ENG", 15, "2025-05-14"),
        M.card(20, FIGMA_CARD),
        M.card_line(201, 20, "ENG", 45, "2025-02-03"),
        M.card_line(202, 20, "SALES", 45, "2025-05-03"),
        M.card(30, ZOOM_CARD),
        M.card_line(301, 30, "ENG", 16, "2025-01-20"),
    ]
    return messages


def second_input() -> list[dict[str, Any]]:
    """Figma's SALES line is deleted (one department left); Zoom is paid again in June; Slack gets
    an earlier card line (January), which would move its active date."""
    return [
        *(M.schema(s) for s in ("cc_transaction", "cc_transaction_entry")),
        M.tombstone("cc_transaction_entry", 202),
        M.card_line(302, 30, "ENG", 16, "2025-06-20", stamp=M.STAMP_2),
        M.card_line(103, 10, "ENG", 15, "2025-01-14", stamp=M.STAMP_2),
    ]


def write(path: Path, messages: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(m) + "\n" for m in messages))
    return path


@pytest.fixture(scope="module")
def leanix():
    with leanix_sandbox() as sandbox:
        yield sandbox


def config(leanix, company: str, ledger: Path, **extra: object) -> dict[str, object]:
    # The books end in June 2025: three months without spend are enough for phaseOut.
    return target_config(
        leanix,
        company,
        ledger,
        cost_window_end="2025-06-30",
        phase_out_after_months=3,
        **extra,
    )


def export(leanix) -> dict[str, Any]:
    return leanix.admin("GET", "/admin/export")  # type: ignore[no-any-return]


def applications(leanix, company: str) -> dict[str, dict[str, Any]]:
    """Service key -> its Application in the export (tags, lifecycle)."""
    ws = Workspace(export(leanix), company)
    return {ws.service_key(k): v for k, v in ws.sheets("Application").items()}


def tags_of(app: dict[str, Any]) -> set[tuple[str, str]]:
    return {(t["group"], t["name"]) for t in app["tags"]}


def phases_of(app: dict[str, Any]) -> dict[str, str]:
    lifecycle = app.get("lifecycle") or {}
    return {p["phase"]: p["startDate"] for p in lifecycle.get("phases", [])}


def runs_of(leanix, company: str) -> int:
    return len(Workspace(export(leanix), company).runs)


def set_lifecycle_as_a_person(leanix, sheet_id: str, phases: dict[str, str]) -> None:
    """What a LeanIX user does in the UI: a GraphQL `/lifecycle` patch on the fact sheet."""
    client = LeanIXClient(leanix.url, "sandbox-token")
    value = {"phases": [{"phase": p, "startDate": d} for p, d in phases.items()]}
    client.graphql(
        "mutation($id: ID!, $patches: [Patch]!) { updateFactSheet(id: $id, patches: $patches) "
        "{ factSheet { id } } }",
        {
            "id": sheet_id,
            "patches": [{"op": "replace", "path": "/lifecycle", "value": json.dumps(value)}],
        },
    )


def test_insights_land_rerun_converges_person_dates_survive_tags_go(leanix, tmp_path):
    company = "INS"
    ledger = tmp_path / "ledger.sqlite"
    settings = config(leanix, company, ledger)
    first = run_target(settings, write(tmp_path / "first.singer", first_input()), tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]

    apps = applications(leanix, company)
    assert tags_of(apps["slack"]) == {INVOICE, CARD, DUPLICATE}  # two channels in March
    assert tags_of(apps["figma"]) == {CARD, SHADOW, DUPLICATE}  # two departments
    assert tags_of(apps["zoom"]) == {CARD, SHADOW}
    assert phases_of(apps["slack"]) == {"active": "2025-03-01"}
    assert phases_of(apps["figma"]) == {"active": "2025-02-01"}
    # Last paid in January; February..June without spend (>= 3 months): phase-out from February.
    assert phases_of(apps["zoom"]) == {"active": "2025-01-01", "phaseOut": "2025-02-01"}
    groups = {g["name"]: g for g in export(leanix)["tagGroups"]}
    for name in ("Payment channel", "Spend signals"):
        assert groups[name]["mode"] == "MULTIPLE"
        assert groups[name]["restrictToFactSheetTypes"] == ["Application"]

    # The same input again: no LDIF item is sent, so no run starts, and nothing changes.
    runs = runs_of(leanix, company)
    before = Workspace(export(leanix), company).content()
    again = run_target(settings, write(tmp_path / "again.singer", first_input()), tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert runs_of(leanix, company) == runs
    assert Workspace(export(leanix), company).content() == before

    # A person sets Slack's active date in LeanIX; new spend would move it, but theirs stays.
    set_lifecycle_as_a_person(leanix, apps["slack"]["id"], {"active": "2024-12-01"})
    second = run_target(settings, write(tmp_path / "second.singer", second_input()), tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    apps = applications(leanix, company)
    assert phases_of(apps["slack"]) == {"active": "2024-12-01"}
    # Figma: one department left and one channel per month: Duplicate spend goes.
    assert tags_of(apps["figma"]) == {CARD, SHADOW}
    # Zoom is paid again in June: the phase-out the target set is withdrawn, active stays.
    assert phases_of(apps["zoom"]) == {"active": "2025-01-01"}
    assert tags_of(apps["zoom"]) == {CARD, SHADOW}
    # Figma: last paid in February now (its May line went): phase-out from March.
    assert phases_of(apps["figma"]) == {"active": "2025-02-01", "phaseOut": "2025-03-01"}
    assert tags_of(apps["slack"]) == {INVOICE, CARD, DUPLICATE}
    # Figma (new phase-out), Zoom (phase-out withdrawn), Slack (its active phase left alone).
    assert (
        "insights: lifecycle sent for 3 services (1 phases left as a person set them); "
        "tags added: 0, removed: 1; owner subscriptions added: 0, removed: 0" in second.stderr
    )

    # And again: the person's date is still not touched, and nothing is sent.
    runs = runs_of(leanix, company)
    third = run_target(settings, write(tmp_path / "third.singer", second_input()), tmp_path)
    assert third.returncode == 0, third.stderr[-3000:]
    assert runs_of(leanix, company) == runs
    assert phases_of(applications(leanix, company)["slack"]) == {"active": "2024-12-01"}


def test_each_insight_switches_off(leanix, tmp_path):
    company = "OFF"
    ledger = tmp_path / "ledger.sqlite"
    on = config(leanix, company, ledger)
    first = run_target(on, write(tmp_path / "first.singer", first_input()), tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert tags_of(applications(leanix, company)["figma"]) == {CARD, SHADOW, DUPLICATE}

    # Tags switched off are taken off again; lifecycle dates already written stay in LeanIX.
    off = config(
        leanix,
        company,
        ledger,
        insight_payment_channel_tags=False,
        insight_shadow_it_tags=False,
        insight_lifecycle=False,
    )
    # No input at all: the changed settings alone take the switched-off tags away.
    second = run_target(off, write(tmp_path / "nothing.singer", []), tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    apps = applications(leanix, company)
    assert tags_of(apps["figma"]) == {DUPLICATE}
    assert tags_of(apps["slack"]) == {DUPLICATE}
    assert tags_of(apps["zoom"]) == set()
    # Zoom is paid again, but the lifecycle insight is off: its dates are left as they were.
    resumed = run_target(off, write(tmp_path / "second.singer", second_input()), tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    apps = applications(leanix, company)
    assert phases_of(apps["zoom"]) == {"active": "2025-01-01", "phaseOut": "2025-02-01"}
    assert tags_of(apps["figma"]) == set()  # its second department went: no Duplicate spend

    fresh = config(
        leanix,
        "NONE",
        tmp_path / "none.sqlite",
        insight_payment_channel_tags=False,
        insight_shadow_it_tags=False,
        insight_duplicate_spend_tags=False,
        insight_lifecycle=False,
    )
    run = run_target(fresh, write(tmp_path / "none.singer", first_input()), tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    for app in applications(leanix, "NONE").values():
        assert app["tags"] == []
        assert "lifecycle" not in app


EMPLOYEE_SCHEMA = {
    "type": "SCHEMA",
    "stream": "employee",
    "schema": {
        "type": "object",
        "properties": {
            **M.COMMON,
            "EMPLOYEEID": M.TEXT,
            "PERSONALINFO.CONTACTNAME": M.TEXT,
            "PERSONALINFO.EMAIL1": M.TEXT,
            "STATUS": M.TEXT,
        },
    },
    "key_properties": ["RECORDNO"],
}


def employee(recordno: int, employee_id: str, name: str, email: str | None) -> dict[str, Any]:
    return M.record(
        "employee",
        {
            "RECORDNO": recordno,
            "EMPLOYEEID": employee_id,
            "PERSONALINFO.CONTACTNAME": name,
            "PERSONALINFO.EMAIL1": email,
            "STATUS": "active",
        },
    )


def report(recordno: int, employee_id: str) -> dict[str, Any]:
    return M.record(
        "expense_report",
        {
            "RECORDNO": recordno,
            "RECORDID": f"EXP-{recordno}",
            "EMPLOYEEID": employee_id,
            "DESCRIPTION": "Software",
            "STATE": "Paid",
            "WHENCREATED": "2025-04-02",
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "TOTALENTERED": 30,
            "TRX_TOTALENTERED": 30,
        },
    )


def owners_input() -> list[dict[str, Any]]:
    """Zoom: E-1 (with an address) submits two lines, E-2 (none) one. Dropbox: only E-2.
    Figma: E-3, whose EMAIL1 is no address."""
    return [
        *(M.schema(s) for s in ("expense_report", "expense_report_item")),
        EMPLOYEE_SCHEMA,
        employee(1, "E-1", "Jane Doe", "jane.doe@example.com"),
        employee(2, "E-2", "Max Muster", None),
        employee(3, "E-3", "Ann Other", "ann at example"),
        report(50, "E-1"),
        M.expense_line(501, 50, "ENG", 10, "Zoom Pro monthly", day="2025-04-02"),
        M.expense_line(502, 50, "ENG", 10, "Zoom Pro monthly", day="2025-05-02"),
        report(60, "E-2"),
        M.expense_line(601, 60, "ENG", 10, "Zoom Pro monthly", day="2025-04-03"),
        M.expense_line(602, 60, "ENG", 10, "Dropbox Business annual", day="2025-04-03"),
        report(70, "E-3"),
        M.expense_line(701, 70, "ENG", 10, "Figma professional seat", day="2025-04-04"),
    ]


def subscriptions(leanix, company: str) -> dict[str, list[dict[str, Any]]]:
    return {key: app["subscriptions"] for key, app in applications(leanix, company).items()}


def test_owners_are_off_by_default_then_subscribe_the_most_frequent_buyer(leanix, tmp_path):
    company = "OWN"
    ledger = tmp_path / "ledger.sqlite"
    singer = write(tmp_path / "owners.singer", owners_input())
    default = run_target(config(leanix, company, ledger), singer, tmp_path)
    assert default.returncode == 0, default.stderr[-3000:]
    assert set(subscriptions(leanix, company)) == {"zoom", "dropbox", "figma"}
    assert all(subs == [] for subs in subscriptions(leanix, company).values())
    assert all(u["email"] != "jane.doe@example.com" for u in export(leanix)["users"])
    # Off: no employee record is kept in the ledger.
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT COUNT(*) FROM lx_employees").fetchone() == (0,)

    on = config(
        leanix, company, ledger, insight_owners=True, owner_subscription_role="Business Owner"
    )
    first = run_target(on, singer, tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    subs = subscriptions(leanix, company)
    assert subs["zoom"] == [
        {
            "user": "jane.doe@example.com",
            "type": "RESPONSIBLE",
            "roles": [
                {
                    "name": "Business Owner",
                    "comment": "Buys this service most often (Sage Intacct expense reports)",
                }
            ],
        }
    ]
    # No address, or none that is one: no subscription, said once per employee.
    assert subs["dropbox"] == []
    assert subs["figma"] == []
    assert first.stderr.count("EMPLOYEEID=E-2 buys service") == 1
    assert "EMPLOYEEID=E-3 buys service" in first.stderr
    assert "ann at example" not in json.dumps(export(leanix))

    runs = runs_of(leanix, company)
    again = run_target(on, singer, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert runs_of(leanix, company) == runs

    # E-2 now submits most Zoom lines, and has no address: Jane's subscription is withdrawn.
    more = [
        *(M.schema(s) for s in ("expense_report", "expense_report_item")),
        report(61, "E-2"),
        M.expense_line(611, 61, "ENG", 10, "Zoom Pro monthly", day="2025-05-03"),
        M.expense_line(612, 61, "ENG", 10, "Zoom Pro monthly", day="2025-05-04"),
    ]
    moved = run_target(on, write(tmp_path / "more.singer", more), tmp_path)
    assert moved.returncode == 0, moved.stderr[-3000:]
    assert subscriptions(leanix, company)["zoom"] == []
    assert "owner subscriptions added: 0, removed: 1" in moved.stderr

    # Back to E-1 (a new report), then owners switched off: the subscription goes, and so do the
    # employees' names and addresses in the ledger.
    back = [
        *(M.schema(s) for s in ("expense_report", "expense_report_item")),
        report(52, "E-1"),
        *(
            M.expense_line(520 + n, 52, "ENG", 10, "Zoom Pro monthly", day="2025-06-02")
            for n in range(3)
        ),
    ]
    returned = run_target(on, write(tmp_path / "back.singer", back), tmp_path)
    assert returned.returncode == 0, returned.stderr[-3000:]
    assert [s["user"] for s in subscriptions(leanix, company)["zoom"]] == ["jane.doe@example.com"]
    off = run_target(config(leanix, company, ledger), write(tmp_path / "none.singer", []), tmp_path)
    assert off.returncode == 0, off.stderr[-3000:]
    assert subscriptions(leanix, company)["zoom"] == []
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT COUNT(*) FROM lx_employees").fetchone() == (0,)


def test_owner_subscription_type_without_a_role(leanix, tmp_path):
    settings = config(
        leanix,
        "OWN2",
        tmp_path / "ledger.sqlite",
        insight_owners=True,
        owner_subscription_type="OBSERVER",
    )
    run = run_target(settings, write(tmp_path / "owners.singer", owners_input()), tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert subscriptions(leanix, "OWN2")["zoom"] == [
        {"user": "jane.doe@example.com", "type": "OBSERVER", "roles": []}
    ]

"""`meltano run tap-sage-intacct target-leanix` in the `sandbox` environment, as `make demo` runs it.

The LeanIX workspace is checked against figures computed from Intacct's own data: the tap's messages
(taken separately with `meltano invoke`) run through the target README's policy, restated in the target's
reference model (target-leanix/tests/e2e_helpers.py). Spend per service, department, month and currency
and every invoice amount must match to the cent; services come with their SaaS IT component and
provider; every department becomes an organization; non-SaaS vendors never become services.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from sandboxes.common.process import SandboxProcess
from target_leanix.recognition import Match, Recognizer

from .conftest import REPO, meltano_project

pytestmark = pytest.mark.slow
COMPANY = "SANDBOX"  # the sandbox environment's company_key


def reference_model() -> ModuleType:
    path = REPO / "target-leanix" / "tests" / "e2e_helpers.py"
    spec = importlib.util.spec_from_file_location("target_leanix_e2e_helpers", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def months_back(end: datetime, count: int) -> str:
    month_index = end.year * 12 + end.month - 1 - (count - 1)
    return f"{month_index // 12:04d}-{month_index % 12 + 1:02d}"


def service_key(match: Match) -> str | None:
    return match.service.key if match.service else None


def test_meltano_run_lands_the_expected_workspace(
    tmp_path: Path, intacct: SandboxProcess, leanix: SandboxProcess
) -> None:
    model = reference_model()
    today = datetime.now(UTC)
    project = meltano_project(tmp_path, intacct, leanix)
    window_env = {"TARGET_LEANIX_COST_WINDOW_END": today.date().isoformat()}
    project.run("run", "tap-sage-intacct", "target-leanix", extra_env=window_env)

    extraction = project.run("invoke", "tap-sage-intacct")
    messages_path = tmp_path / "tap.singer"
    messages_path.write_text(extraction.stdout)
    messages = model.read_messages(messages_path)
    latest = model.latest_records(messages)

    recognizer = Recognizer()
    vendors = {
        str(v["VENDORID"]): service_key(
            recognizer.match_vendor(
                str(v["VENDORID"]), str(v["NAME"]), website=v.get("DISPLAYCONTACT.URL1") or None
            )
        )
        for v in latest["vendor"].values()
        if not v.get("_sdc_deleted_at")
    }
    expected = model.expected_figures(
        messages,
        (months_back(today, 12), f"{today.year:04d}-{today.month:02d}"),
        card_service=lambda text: service_key(recognizer.match_descriptor(text)),
        text_service=lambda text: service_key(recognizer.match_text(text)) if text else None,
        vendor_service=vendors.get,
    )
    workspace = model.Workspace(leanix.admin("GET", "/admin/export"), COMPANY)

    assert len(expected.spend) > 100
    assert workspace.spend() == expected.spend
    assert workspace.invoices() == expected.invoices
    assert workspace.department_links() == expected.departments
    costs = workspace.costs()
    assert {s: costs.get(s) for s in expected.cost_usd} == expected.cost_usd

    applications = workspace.sheets("Application")
    providers = workspace.sheets("Provider")
    to_provider = {
        r["from"]["externalId"]
        for r in workspace.relations
        if r["type"] == "relITComponentToProvider" and r["to"]["externalId"] in providers
    }
    assert to_provider == {f"{key}:saas" for key in applications}
    services = {workspace.service_key(key) for key in applications}
    assert {key for key in vendors.values() if key} <= services
    names = {str(sheet["name"]) for sheet in applications.values()}
    assert {"Slack", "Amazon Web Services"} <= names
    for not_a_service in ("Market Street Properties", "Baker McKenzie", "Pacific Gas", "FedEx"):
        assert not any(not_a_service.lower() in name.lower() for name in names)

    departments = {
        str(d["DEPARTMENTID"])
        for d in latest["department"].values()
        if not d.get("_sdc_deleted_at")
    }
    organizations = workspace.sheets("UserGroup")
    assert {key.rsplit(":", 1)[1] for key in organizations} == departments

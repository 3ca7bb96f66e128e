"""Changed recognition rules re-recognise what the ledger holds: no full resync needed."""

from __future__ import annotations

import json

from .e2e_helpers import DATA, run_target

INITIAL = DATA / "intacct_initial.singer"


def test_new_rules_move_vendors_to_services_without_new_records(tmp_path):
    out = tmp_path / "out.jsonl"
    config = {
        "company_key": "RULES",
        "dry_run": True,
        "dry_run_path": str(out),
        "ledger_path": str(tmp_path / "ledger.sqlite"),
        "cost_window_end": "2025-12-31",
    }
    first = run_target(config, INITIAL, tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    services = {
        item["id"]
        for line in out.read_text().splitlines()
        for item in json.loads(line)["content"]
        if item["type"] == "Service"
    }
    assert "intacct:RULES:service:candidate:V-00005" not in services
    out.unlink()

    state_only = tmp_path / "state.singer"
    state_only.write_text(INITIAL.read_text().splitlines()[-1] + "\n")
    rules = {
        "software_gl_accounts": ["6250"],
        "vendor_services": {"V-00003": "Office Depot Online"},
    }
    second = run_target({**config, "recognition": rules}, state_only, tmp_path)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "recognised the ledger again, 2 moved" in second.stderr
    items = [item for line in out.read_text().splitlines() for item in json.loads(line)["content"]]
    new_services = {i["id"] for i in items if i["type"] == "Service"}
    assert new_services == {
        "intacct:RULES:service:candidate:V-00005",
        "intacct:RULES:service:user:office-depot-online",
    }
    invoices = {
        (i["data"]["serviceId"], i["data"]["name"]) for i in items if i["type"] == "Invoice"
    }
    assert invoices == {
        ("intacct:RULES:service:candidate:V-00005", "Intacct APBILL 404"),
        ("intacct:RULES:service:user:office-depot-online", "Intacct APBILL 403"),
    }

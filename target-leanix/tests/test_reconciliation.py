"""LeanIX's spend plus what stays unattributed equals the spend lines Intacct counts, to the cent.

The whole pipeline runs as real processes (intacct-sandbox -> tap -> target -> leanix-sandbox) with
every stream the target reads, the books included (bills with service periods, a bill paid by card,
partial and voided payments, credits, journals, rate tables). Intacct's side is the reference model
of e2e_helpers with every line attributed, so it counts each line the README's rules make spend;
the target's side is the sum of the spend points LeanIX holds plus the ledger's unattributed lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from sandboxes.common.process import SandboxProcess
from tap_sage_intacct.objects import STANDARD_OBJECTS
from target_leanix.ledger import BooksPolicy, Ledger, SpendClass

from .e2e_helpers import Workspace, expected_figures, read_messages, run_target, target_config

TAP = Path(sys.executable).parent / "tap-sage-intacct"
COMPANY = "recon"
# The demo company at a small scale by default; RECONCILE_SCALE=1 reconciles the demo's own size.
SCALE = os.environ.get("RECONCILE_SCALE", "0.05")


def tap_output(intacct: SandboxProcess, tmp_path: Path) -> Path:
    """The tap's messages for every standard object, the books' streams included."""
    config = tmp_path / "tap.json"
    config.write_text(
        json.dumps(
            {
                "sender_id": "sandbox",
                "sender_password": "sandbox",
                "user_id": "admin",
                "user_password": "admin",
                "company_id": "SANDBOX",
                "api_url": intacct.url + "/ia/xml/xmlgw.phtml",
            }
        )
    )
    found = subprocess.run(
        [str(TAP), "--config", str(config), "--discover"],
        capture_output=True,
        timeout=120,
        check=True,
    )
    catalog = json.loads(found.stdout)
    standard = {spec.stream_name for spec in STANDARD_OBJECTS}
    for entry in catalog["streams"]:
        root = next(m["metadata"] for m in entry["metadata"] if m["breadcrumb"] == [])
        root["selected"] = entry["tap_stream_id"] in standard
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    output = tmp_path / "tap.singer"
    with output.open("wb") as out:
        subprocess.run(
            [str(TAP), "--config", str(config), "--catalog", str(tmp_path / "catalog.json")],
            stdout=out,
            stderr=subprocess.DEVNULL,
            timeout=300,
            check=True,
        )
    return output


def reconciliation(
    messages_path: Path, workspace: Workspace, ledger_path: Path
) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """Currency -> (Intacct's counted lines, LeanIX's spend points, the ledger's unattributed)."""
    everything = expected_figures(
        read_messages(messages_path),
        ("0000-00", "9999-99"),
        card_service=lambda _text: "any",
        text_service=lambda _text: "any",
        vendor_service=lambda _vendor: "any",
    )
    intacct: dict[str, Decimal] = defaultdict(Decimal)
    for (_service, _department, _month, currency), amount in everything.spend.items():
        intacct[currency] += amount
    leanix: dict[str, Decimal] = defaultdict(Decimal)
    for (_service, _department, _month, currency), amount in workspace.spend().items():
        leanix[currency] += amount
    unattributed: dict[str, Decimal] = defaultdict(Decimal)
    ledger = Ledger(f"sqlite:///{ledger_path}")
    try:
        for group in ledger.spend_breakdown(this_run=False, books=BooksPolicy()):
            if group.spend_class is SpendClass.UNATTRIBUTED:
                unattributed[group.currency] += group.amount
    finally:
        ledger.close()
    return {
        currency: (intacct[currency], leanix[currency], unattributed[currency])
        for currency in sorted(set(intacct) | set(leanix) | set(unattributed))
    }


@pytest.mark.slow
def test_leanix_plus_unattributed_equals_the_lines_intacct_counts(tmp_path: Path) -> None:
    with (
        SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", SCALE]) as intacct,
        SandboxProcess("leanix-sandbox", ["--db", ":memory:"]) as leanix,
    ):
        messages = tap_output(intacct, tmp_path)
        ledger_path = tmp_path / "ledger.sqlite"
        run = run_target(target_config(leanix, COMPANY, ledger_path), messages, tmp_path)
        assert run.returncode == 0, run.stderr[-3000:]
        workspace = Workspace(leanix.admin("GET", "/admin/export"), COMPANY)
        table = reconciliation(messages, workspace, ledger_path)
    print("currency | Intacct counted lines | LeanIX points | unattributed | difference")
    for currency, (counted, points, unattributed) in table.items():
        difference = counted - points - unattributed
        print(f"{currency} | {counted} | {points} | {unattributed} | {difference}")
        assert difference == 0, currency
    assert {"EUR", "GBP", "USD"} <= set(table)
    assert all(points > 0 for _counted, points, _u in table.values())

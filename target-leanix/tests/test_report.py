"""The review report: written after a dry run (with the plan logged), hostile names escaped, figures
exact and equal to the ledger's, the rules it suggests verified, and `target-leanix-report` on a ledger."""

from __future__ import annotations

import importlib.util
import json
import stat
import subprocess
import sys
from decimal import Decimal
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

from target_leanix import ldif
from target_leanix.ledger import CostWindow, Ledger
from target_leanix.publisher import Change, DryRunWriter, Publisher, PublishSettings
from target_leanix.recognition import RecognitionRules, Recognizer
from target_leanix.report.build import build_report, write_report
from target_leanix.report.plan import plan_lines
from target_leanix.report.rules import RuleAdvisor, exact_pattern

from .e2e_helpers import run_target

DATA = Path(__file__).parent / "data"
HOSTILE_VENDOR = "<script>alert('v')</script> Cloud Software"
HOSTILE_DESCRIPTOR = '"><img src=x onerror=alert(1)> STORE 42'


def singer_helpers() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_intacct_singer", DATA / "make_intacct_singer.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Page(HTMLParser):
    """The page's tags, script count and figures (data-figure/data-currency/data-amount)."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.tags: list[str] = []
        self.figures: list[dict[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "script":
            self.scripts += 1
        values = {k: v or "" for k, v in attrs}
        if "data-amount" in values:
            self.figures.append(values)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def amounts(self, figure: str) -> dict[str, Decimal]:
        found: dict[str, Decimal] = {}
        for values in self.figures:
            if values.get("data-figure") == figure:
                currency = values["data-currency"]
                found[currency] = found.get(currency, Decimal(0)) + Decimal(values["data-amount"])
        return found


def hostile_input(tmp_path: Path) -> Path:
    helpers = singer_helpers()
    extra = [
        helpers.record(
            "vendor",
            {"RECORDNO": 900, "VENDORID": "V-EVIL", "NAME": HOSTILE_VENDOR, "STATUS": "active"},
        ),
        helpers.card(901, HOSTILE_DESCRIPTOR),
        helpers.card_line(902, 901, "ENG", 12.34, "2025-03-05"),
    ]
    path = tmp_path / "input.singer"
    text = (DATA / "intacct_initial.singer").read_text()
    path.write_text(text + "".join(json.dumps(m) + "\n" for m in extra))
    return path


def dry_run_config(tmp_path: Path, **extra: object) -> dict[str, object]:
    return {
        "company_key": "ACME",
        "dry_run": True,
        "dry_run_path": str(tmp_path / "dry.ldif.jsonl"),
        "ledger_path": str(tmp_path / "ledger.sqlite"),
        "cost_window_end": "2025-12-31",
        "report_path": str(tmp_path / "out" / "report.html"),
        "recognition": {"software_gl_accounts": ["6250"]},
        **extra,
    }


def ledger_spend(path: Path) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """(all counting spend, cost totals per service) per the ledger's own reads."""
    ledger = Ledger(f"sqlite:///{path}")
    try:
        total: dict[str, Decimal] = {}
        costs: dict[str, Decimal] = {}
        for group in ledger.spend_groups(None):
            total[group.currency] = total.get(group.currency, Decimal(0)) + group.amount
        keys = [
            row.service_key for row in ledger.engine.connect().execute(ledger.services.select())
        ]
        for key in keys:
            snapshot = ledger.service_snapshot(key, CostWindow("2025-12", 12), "USD")
            assert snapshot is not None
            costs[key] = snapshot.cost_total
            for (_d, _m, currency, _s), amount in snapshot.spend.items():
                total[currency] = total.get(currency, Decimal(0)) + amount
        return total, costs
    finally:
        ledger.close()


def test_dry_run_writes_the_report_and_logs_the_plan(tmp_path: Path) -> None:
    config = dry_run_config(tmp_path)
    run = run_target(config, hostile_input(tmp_path), tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "plan: Plan: " in run.stderr
    assert "to create" in run.stderr
    report = tmp_path / "out" / "report.html"
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    html = report.read_text()
    page = Page()
    page.feed(html)
    assert page.scripts == 1  # ours; the vendor's <script> is text
    assert "img" not in page.tags
    assert "&lt;script&gt;alert(&#x27;v&#x27;)&lt;/script&gt;" in html
    assert "http://" not in html.replace("http-equiv", "")
    assert "https://" not in html
    total, costs = ledger_spend(tmp_path / "ledger.sqlite")
    assert page.amounts("spend-total") == total
    assert Decimal("12.34") <= page.amounts("unattributed")["USD"]
    for values in page.figures:
        if values.get("data-figure") == "service-cost":
            assert values["data-currency"] == "USD"
    assert sum(costs.values()) == sum(
        (Decimal(v["data-amount"]) for v in page.figures if v.get("data-figure") == "service-cost"),
        Decimal(0),
    )
    # The plan in the page is the one the log shows.
    logged = [line.split("plan: ", 1)[1] for line in run.stderr.splitlines() if "plan: " in line]
    assert logged[0].startswith("Plan: ")
    for line in logged:
        assert escape(line) in html


def test_a_report_that_cannot_be_written_is_one_error_line_and_the_run_stands(
    tmp_path: Path,
) -> None:
    (tmp_path / "blocker").write_text("a file where the report's directory should be")
    config = dry_run_config(tmp_path, report_path=str(tmp_path / "blocker" / "report.html"))
    run = run_target(config, hostile_input(tmp_path), tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    errors = [line for line in run.stderr.splitlines() if "setting report_path" in line]
    assert len(errors) == 1
    assert "cannot write the review report" in errors[0]
    assert "Traceback" not in run.stderr
    assert run.states  # STATE went out before the report was tried


def test_report_command_shows_what_leanix_has_not_taken_yet(tmp_path: Path) -> None:
    config = dry_run_config(tmp_path)
    assert run_target(config, hostile_input(tmp_path), tmp_path).returncode == 0
    # A later cost window changes every costTotalAnnual: LeanIX has not taken that yet.
    later = {
        **config,
        "cost_window_end": "2026-02-28",
        "report_path": str(tmp_path / "later.html"),
        "recognition": {"exclude_vendor_ids": ["V-EVIL"]},
    }
    config_path = tmp_path / "report-config.json"
    config_path.write_text(json.dumps(later))
    done = subprocess.run(
        [sys.executable, "-m", "target_leanix.report", "--config", str(config_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "to update" in done.stdout
    assert "costTotalAnnual" in done.stdout
    page = (tmp_path / "later.html").read_text()
    assert "Changes LeanIX has not taken yet" in page
    # Confidences and reasons come from today's rules; the page says they are not the ledger's.
    assert "differ from those the ledger was last recognised with" in page


def test_an_empty_ledger_gives_a_page_that_says_so(tmp_path: Path) -> None:
    ledger = Ledger("sqlite://")
    ledger.create()
    ledger.bind_company("ACME")
    window = CostWindow("2025-12", 12)
    publisher = Publisher(
        ledger,
        DryRunWriter(tmp_path / "dry.jsonl", "ACME"),
        PublishSettings("ACME", window, "USD", ldif.DEFAULT_RECORD_URL_TEMPLATE),
    )
    data = build_report(
        ledger,
        publisher,
        company="ACME",
        window=window,
        reporting_currency="USD",
        recognizer=Recognizer(),
        recognition=None,
        recognition_fingerprint="",
        dry_run=True,
        run_changes=[],
    )
    size = write_report(tmp_path / "r.html", data)
    page = (tmp_path / "r.html").read_text()
    assert size == len(page.encode())
    assert "No changes. LeanIX matches the ledger." in page
    assert 'data-figure="service-count">0<' in page
    ledger.close()


def test_report_command_names_a_missing_ledger_in_one_line(tmp_path: Path) -> None:
    config_path = tmp_path / "c.json"
    config_path.write_text(json.dumps({"company_key": "ACME", "ledger_path": str(tmp_path / "x")}))
    done = subprocess.run(
        [sys.executable, "-m", "target_leanix.report", "--config", str(config_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "no ledger at" in done.stderr


def test_suggested_rules_change_the_decision_and_are_valid() -> None:
    configured = {"exclude_vendor_ids": ["V-OTHER"]}
    recognizer = Recognizer(RecognitionRules.from_config(configured))
    advisor = RuleAdvisor(configured, recognizer)
    stop = advisor.stop_vendor("V-1", "Slack Technologies, LLC")
    assert stop == '{"exclude_vendor_ids": ["V-1"]}'
    assert advisor.make_vendor("V-2", "Market Street Properties LLC") == (
        '{"include_vendor_ids": ["V-2"]}'
    )
    memo = "Zoom Pro monthly (x3)"
    rule = advisor.stop_memo(memo)
    assert rule is not None
    pattern = json.loads(rule)["exclude_patterns"][0]
    assert pattern == exact_pattern(memo) == r"^Zoom Pro monthly \(x3\)$"
    # A descriptor cannot be made a service by a rule: nothing is offered rather than a dud.
    assert advisor.for_unattributed("card", "WEWORK 2345 LONDON", "", "") is None
    assert advisor.for_unattributed("expense", "Conference ticket", "", "") is not None


def test_plan_counts_per_kind_and_ranks_by_money_moved() -> None:
    def spend(item_id: str, value: str) -> dict[str, object]:
        return {"type": "ServiceSpend", "id": item_id, "data": {"value": value, "currency": "EUR"}}

    changes = [
        Change("create", "service:a", "ServiceSpend", "p1", None, spend("p1", "10.00")),
        Change(
            "update", "service:a", "ServiceSpend", "p2", spend("p2", "5"), spend("p2", "905.10")
        ),
        Change(
            "remove",
            "service:a",
            "Invoice",
            "i1",
            {
                "type": "Invoice",
                "id": "i1",
                "data": {"amount": "1.5", "currency": "EUR", "name": "Intacct APBILL 1"},
            },
            None,
        ),
    ]
    lines = plan_lines(changes, "USD")
    assert lines[0] == "Plan: 1 to create, 1 to update, 1 to remove in LeanIX."
    assert lines[1] == "  spend point: +1, ~1"
    assert lines[2] == "  invoice: -1"
    assert lines[4].endswith("+900.10 EUR")
    assert lines[6] == "  - invoice Intacct APBILL 1 -1.5 EUR"
    assert plan_lines([], "USD") == ["No changes. LeanIX matches the ledger."]

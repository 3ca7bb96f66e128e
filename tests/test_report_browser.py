"""The review report in a real browser: the real pipeline against both sandboxes writes it (the tap through
`meltano invoke`, the target as a process with `report_path`, as target-leanix's e2e tests run it), and
headless chromium opens it at 1280 and 390 px.

The page must load without console errors, show the ledger's figures to the cent (read back through the
data attributes on the elements), draw its charts, and keep the body from overflowing sideways. Chromium
and chromedriver come from Debian (`make browser`, which `make test` runs); selenium is told where
chromedriver is, so nothing is downloaded at run time. Screenshots go to output/report-browser/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess
from target_leanix.currency import Converter, FallbackRates, rate_book
from target_leanix.ledger import CostWindow, Ledger

from .conftest import REPO, meltano_project
from .test_meltano_e2e import COMPANY, reference_model

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SHOTS = REPO / "output" / "report-browser"
WINDOW_END = "2025-06-30"
SECTIONS = ("overview", "changes", "review", "services")


@pytest.fixture
def browser() -> Iterator[Any]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} missing: run `make browser` (part of `make test`'s set-up), "
            "or apt-get install -y chromium chromium-driver"
        )
    try:
        # Imported here so that a venv without it fails with the set-up to run, not a traceback.
        from selenium import webdriver  # noqa: PLC0415
        from selenium.webdriver.chrome.service import Service  # noqa: PLC0415
    except ImportError:
        pytest.fail("selenium is missing: install requirements-dev.txt (make venv)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def ledger_figures(
    path: Path,
) -> tuple[dict[str, Decimal], dict[str, Decimal], dict[str, dict[str, Decimal]]]:
    """(all counting spend per currency, costTotalAnnual per service, spend per service and
    currency) from the ledger's own reads."""
    ledger = Ledger(f"sqlite:///{path}")
    try:
        total: dict[str, Decimal] = {}
        for group in ledger.spend_groups(None):
            total[group.currency] = total.get(group.currency, Decimal(0)) + group.amount
        with ledger.engine.connect() as conn:
            keys = list(conn.execute(ledger.services.select()).scalars())
        costs: dict[str, Decimal] = {}
        spend: dict[str, dict[str, Decimal]] = {}
        for key in keys:
            # costTotalAnnual converts with Intacct's rates as the ledger holds them.
            converter = Converter("USD", rate_book(ledger.live_rates()), FallbackRates())
            snapshot = ledger.service_snapshot(
                key, CostWindow(WINDOW_END[:7], 12), "USD", converter=converter
            )
            assert snapshot is not None
            costs[key] = snapshot.cost_total
            own = spend.setdefault(key, {})
            for (_department, _month, currency, _source), amount in snapshot.spend.items():
                total[currency] = total.get(currency, Decimal(0)) + amount
                own[currency] = own.get(currency, Decimal(0)) + amount
        return total, costs, {k: v for k, v in spend.items() if v}
    finally:
        ledger.close()


FIGURES_JS = """
return Array.from(document.querySelectorAll('[data-amount]')).map(function (e) {
  var owner = e.closest('[data-service]');
  return {figure: e.dataset.figure || '', chart: e.closest('svg') ? e.closest('svg').dataset.chart : '',
          currency: e.dataset.currency, amount: e.dataset.amount,
          service: owner ? owner.dataset.service : ''};
});
"""

LAYOUT_JS = """
var doc = document.documentElement, out = {scroll: doc.scrollWidth, client: doc.clientWidth,
  body: document.body.scrollWidth, sections: {}, charts: []};
arguments[0].forEach(function (id) { var r = document.getElementById(id).getBoundingClientRect();
  out.sections[id] = [r.left, r.right, r.width, r.height]; });
document.querySelectorAll('#overview svg.chart').forEach(function (s) {
  var r = s.getBoundingClientRect(); out.charts.push([r.width, r.height, s.querySelectorAll('rect').length]); });
return out;
"""

TIMING_JS = """
var n = performance.getEntriesByType('navigation')[0];
return {domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd, size: n.decodedBodySize};
"""


def by_currency(rows: list[dict[str, str]], **match: str) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for row in rows:
        if all(row.get(k) == v for k, v in match.items()):
            found[row["currency"]] = found.get(row["currency"], Decimal(0)) + Decimal(row["amount"])
    return found


def test_report_opens_in_chromium_with_the_ledgers_figures(
    tmp_path: Path, intacct: SandboxProcess, leanix: SandboxProcess, browser: Any
) -> None:
    model = reference_model()
    report = tmp_path / "report.html"
    extraction = meltano_project(tmp_path, intacct, leanix).run("invoke", "tap-sage-intacct")
    messages = tmp_path / "tap.singer"
    messages.write_text(extraction.stdout)
    config = model.target_config(
        leanix,
        COMPANY,
        tmp_path / "ledger.sqlite",
        report_path=str(report),
        cost_window_end=WINDOW_END,
    )
    run = model.run_target(config, messages, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert report.is_file()
    total, costs, service_spend = ledger_figures(tmp_path / "ledger.sqlite")

    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    print(f"\nreport: {report} ({report.stat().st_size} bytes); screenshots: {SHOTS}")
    for width in (1280, 390):
        browser.set_window_size(width, 900)
        browser.get(report.as_uri())
        timing = browser.execute_script(TIMING_JS)
        print(
            f"{width} px: DOMContentLoaded {timing['domContentLoaded']:.0f} ms, "
            f"load {timing['load']:.0f} ms, {timing['size']} bytes"
        )
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors

        rows = browser.execute_script(FIGURES_JS)
        assert by_currency(rows, figure="spend-total") == total
        # The monthly charts draw every counting line once: their bars add up to the same totals.
        assert by_currency(rows, chart="months") == total
        shown_costs = {
            row["service"]: Decimal(row["amount"])
            for row in rows
            if row["figure"] == "service-cost"
        }
        assert shown_costs
        for key, amount in shown_costs.items():
            assert amount == costs[key], key
            shown = by_currency(rows, figure="service-spend", service=key)
            assert shown == service_spend.get(key, {}), key

        layout = browser.execute_script(LAYOUT_JS, list(SECTIONS))
        assert layout["scroll"] <= layout["client"], f"body overflows sideways at {width} px"
        for section, (left, right, box_width, height) in layout["sections"].items():
            assert box_width > 0, section
            assert height > 0, section
            assert left >= 0, (section, left)
            assert right <= layout["client"] + 0.5, (section, right)
        assert layout["charts"], "no chart in the overview"
        for chart_width, chart_height, bars in layout["charts"]:
            assert chart_width > 0
            assert chart_height > 0
            assert bars > 0
        # Opened, the per-service sections (tables, sparklines) must fit as well.
        opened = browser.execute_script(
            "document.querySelectorAll('details').forEach(function (d) { d.open = true; });"
            "var doc = document.documentElement; return [doc.scrollWidth, doc.clientWidth,"
            " document.querySelectorAll('details[open] svg.spark').length];"
        )
        assert opened[0] <= opened[1], f"an opened service overflows sideways at {width} px"
        assert opened[2] > 0
        height = browser.execute_script("return document.body.scrollHeight")
        browser.set_window_size(width, min(height, 3000))
        shot = SHOTS / f"report-{width}px.png"
        browser.save_screenshot(str(shot))
        print(f"screenshot: {shot}")

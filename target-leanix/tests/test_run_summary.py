"""The run summary adds up: every spend figure is the sum of its parts, and each equals what the
LeanIX sandbox holds afterwards (read from its export, not from the target)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from .e2e_helpers import DATA, leanix_sandbox, run_target, target_config

INITIAL = DATA / "intacct_initial.singer"
CHANGES = DATA / "intacct_changes.singer"
SPEND_LINE = re.compile(
    r"^(spend received this run(?: \(all the ledger holds\))?|spend in the ledger \(every run so far\)),"
    r" (\w{3}): ([\d,.]+) over ([\d,]+) lines = (.*)$"
)
PART = re.compile(r"([\d,.]+) (.+)")


@pytest.fixture(scope="module")
def leanix():
    with leanix_sandbox() as sandbox:
        yield sandbox


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def summary(stderr: str) -> list[str]:
    return [line.split("summary: ", 1)[1] for line in stderr.splitlines() if "summary: " in line]


def spend_figures(lines: list[str]) -> dict[tuple[str, str], dict[str, Decimal]]:
    """(scope, currency) -> part -> amount, each checked to add up to the line's total."""
    figures = {}
    for line in lines:
        found = SPEND_LINE.match(line)
        if found is None:
            continue
        scope, currency, total, _count, rest = found.groups()
        parts = {}
        for part in rest.split(" + "):
            value, name = PART.match(part).groups()  # type: ignore[union-attr]
            parts[name] = amount(value)
        assert sum(parts.values()) == amount(total), line
        figures[(scope, currency)] = parts
    return figures


def leanix_spend(export: dict[str, object], company: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for point in export["metrics"]:  # type: ignore[attr-defined]
        tags = {t["key"]: t["value"] for t in point["tags"]}
        if point["measurement"] == "intacctSpend" and tags["service"].startswith(
            f"intacct:{company}:"
        ):
            totals[tags["currency"]] += Decimal(point["fields"]["amount"])
    return dict(totals)


def leanix_costs(export: dict[str, object], company: str) -> tuple[Decimal, int]:
    costs = [
        Decimal(r["fields"]["costTotalAnnual"])
        for r in export["relations"]  # type: ignore[attr-defined]
        if r["type"] == "relApplicationToITComponent"
        and str(r["from"]["externalId"]).startswith(f"intacct:{company}:")
        and "costTotalAnnual" in r["fields"]
    ]
    return sum(costs, Decimal(0)), len(costs)


def with_checkpoints(source: Path, target: Path, every: int) -> Path:
    """The same messages with a STATE after every `every` records: a run of several checkpoints."""
    out, seen = [], 0
    for line in source.read_text().splitlines():
        out.append(line)
        if json.loads(line)["type"] == "RECORD":
            seen += 1
            if seen % every == 0:
                out.append(json.dumps({"type": "STATE", "value": {"seen": seen}}))
    target.write_text("\n".join(out) + "\n")
    return target


def check_reconciles(lines: list[str], export: dict[str, object], company: str) -> None:
    figures = spend_figures(lines)
    ledger_scope = next(
        scope for scope, _c in figures if "ledger" in scope or "all the ledger" in scope
    )
    in_leanix = leanix_spend(export, company)
    for (scope, currency), parts in figures.items():
        if scope == ledger_scope:
            assert parts["for services"] == in_leanix.get(currency, Decimal(0)), currency
    held = next(line for line in lines if line.startswith("spend in LeanIX"))
    for currency, total in in_leanix.items():
        assert f"{total:,.2f} {currency} in " in held
    cost_line = next(line for line in lines if line.startswith("costTotalAnnual ("))
    total, services = leanix_costs(export, company)
    assert f": {total:,.2f} USD over {services:,} services in LeanIX" in cost_line


def test_summary_adds_up_and_matches_leanix(leanix, tmp_path):
    company = "SUMMARY"
    config = target_config(leanix, company, tmp_path / "ledger.sqlite", batch_size_rows=5)
    source = with_checkpoints(INITIAL, tmp_path / "initial.singer", every=5)
    first = run_target(config, source, tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    lines = summary(first.stderr)
    export = leanix.admin("GET", "/admin/export")
    check_reconciles(lines, export, company)
    applications = [
        f
        for f in export["factSheets"]
        if f["type"] == "Application" and f["externalId"].startswith(f"intacct:{company}:")
    ]
    # Several checkpoints published the same services: on an empty workspace they are all created,
    # none "updated".
    expected = (
        f"services in LeanIX: {len(applications)} (created by this run: {len(applications)}; "
        "held before and changed by this run: 0)"
    )
    assert any(line.startswith(expected) for line in lines), lines
    # On an empty workspace, what this run left written is what LeanIX holds.
    changed = next(line for line in lines if line.startswith("LeanIX items this run changed"))
    points = [
        p
        for p in export["metrics"]
        if p["measurement"] == "intacctSpend"
        and any(t["value"].startswith(f"intacct:{company}:") for t in p["tags"])
    ]
    documents = [
        d
        for d in export["documents"]
        if d["factSheet"]["externalId"].startswith(f"intacct:{company}:")
    ]
    assert f"spend points {len(points):,} written" in changed, changed
    assert f"invoices {len(documents):,} written, 0 removed" in changed, changed
    # Unattributed spend is split: Uber is known not to be software.
    not_software = [line for line in lines if line.startswith("unattributed, not software this")]
    assert any("UBER" in line for line in not_software), lines
    assert not any("UBER" in line for line in lines if "not recognised this run" in line)
    # The sandbox's spend report sums the same points per service and month.
    report = leanix.admin("GET", "/admin/spend-report")
    from_report: dict[str, Decimal] = defaultdict(Decimal)
    for service, months in report["services"].items():
        if service.startswith(f"intacct:{company}:"):
            for entry in months.values():
                for by_currency in entry["actual"].values():
                    for currency, value in by_currency.items():
                        from_report[currency] += Decimal(value)
    assert dict(from_report) == leanix_spend(export, company)
    assert len(re.findall(r"published checkpoint \d+", first.stderr)) > 1
    assert "batch_processing_time" not in first.stderr
    assert "left out of costTotalAnnual" not in first.stderr.replace(
        "summary: left out of costTotalAnnual", ""
    )

    second = run_target(config, CHANGES, tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    lines = summary(second.stderr)
    check_reconciles(lines, leanix.admin("GET", "/admin/export"), company)
    scopes = {scope for scope, _c in spend_figures(lines)}
    assert scopes == {"spend received this run", "spend in the ledger (every run so far)"}

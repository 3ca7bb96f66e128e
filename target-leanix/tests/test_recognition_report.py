"""The run report: services, ignored vendors and unattributed spend (card descriptors and expense memos) per currency."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from target_leanix.recognition import RecognitionReport, RecognitionRules, Recognizer


def _report() -> RecognitionReport:
    recognizer = Recognizer(RecognitionRules(software_gl_accounts=frozenset({"6010"})))
    report = RecognitionReport()
    vendors = [
        ("V-1", "Slack Technologies, LLC", ()),
        ("V-2", "Slack Technologies Limited", ()),
        ("V-3", "Northwind Traders LLC", ()),
        ("V-4", "Amazon.com Services LLC", ()),
        ("V-5", "Acme Analytics LLC", ("6010",)),
    ]
    for vendor_id, name, accounts in vendors:
        match = recognizer.match_vendor(vendor_id, name, gl_accounts=accounts)
        if match.service is not None:
            report.add_service(vendor_id, name, match)
        else:
            report.add_ignored(vendor_id, name, match)
    report.add_unattributed("ACME WIDGETS #1234 SEATTLE WA", Decimal("100.10"), "USD")
    report.add_unattributed("ACME WIDGETS #9876 SEATTLE WA", Decimal("0.05"), "usd")
    report.add_unattributed("BOLT CLOUD TOOLS 555-0100 CA", Decimal("250.00"), "USD")
    report.add_unattributed("HOSTING GMBH BERLIN DE", Decimal("19.99"), "EUR")
    return report


def test_as_dict_groups_services_and_sums_spend_exactly() -> None:
    data = _report().as_dict(top=10)
    assert data["service_count"] == 2
    assert data["candidate_count"] == 1
    slack = next(s for s in data["services"] if s["key"] == "slack")
    assert [v["vendor_id"] for v in slack["vendors"]] == ["V-1", "V-2"]
    assert all(v["reason"] and 0 < v["confidence"] <= 1 for v in slack["vendors"])
    candidate = next(s for s in data["services"] if s["candidate"])
    assert candidate["key"] == "candidate:V-5"
    assert data["ignored_count"] == 2
    assert data["ignored_by_reason"] == {"known non-service": 1, "no catalog match": 1}
    usd = data["unattributed"]["USD"]
    assert usd["total"] == Decimal("350.15")
    assert usd["lines"] == 3
    assert usd["descriptors"] == 2  # the two ACME lines differ only by store number
    assert usd["top"][0] == {
        "descriptor": "BOLT CLOUD TOOLS 555-0100 CA",
        "amount": Decimal("250.00"),
        "lines": 1,
    }
    assert usd["top"][1]["amount"] == Decimal("100.15")
    assert isinstance(usd["top"][1]["amount"], Decimal)
    assert data["unattributed"]["EUR"]["total"] == Decimal("19.99")
    json.dumps(data, default=str)  # serialisable with a Decimal-aware encoder


def test_top_limits_the_unattributed_list() -> None:
    data = _report().as_dict(top=1)
    assert len(data["unattributed"]["USD"]["top"]) == 1
    assert data["unattributed"]["USD"]["total"] == Decimal("350.15")


def test_lines_for_logs() -> None:
    lines = _report().lines(top=10)
    assert lines[0] == "2 services (1 candidates) from 3 vendors; 2 vendors ignored"
    assert any(line.startswith("service slack (Slack, Collaboration): V-1 ") for line in lines)
    assert any("[candidate]" in line for line in lines)
    assert any(
        "ignored vendor V-4 'Amazon.com Services LLC': known non-service" in line for line in lines
    )
    assert "unattributed spend USD: 350.15 over 3 lines (2 descriptors)" in lines
    assert "  USD 250.00 'BOLT CLOUD TOOLS 555-0100 CA' (1 lines)" in lines
    assert all("\n" not in line for line in lines)


def test_money_never_goes_through_float() -> None:
    report = RecognitionReport()
    with pytest.raises(TypeError, match="must be Decimal"):
        report.add_unattributed("ACME", 1.1, "USD")  # type: ignore[arg-type]


def test_add_service_needs_a_service() -> None:
    match = Recognizer().match_vendor("V-3", "Brookfield Properties LLC")
    with pytest.raises(ValueError, match="V-3"):
        RecognitionReport().add_service("V-3", "Brookfield Properties LLC", match)

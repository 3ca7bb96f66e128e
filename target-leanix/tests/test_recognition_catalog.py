"""The built-in catalog: its size, its decisions on generic merchants, and its validation errors."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from target_leanix.recognition import Catalog, CatalogError, Recognizer


def _minimal() -> dict[str, Any]:
    return {
        "version": "1",
        "services": [
            {
                "key": "slack",
                "name": "Slack",
                "category": "Collaboration",
                "provider": "Salesforce, Inc.",
                "domains": ["slack.com"],
                "aliases": ["Slack Technologies"],
                "legal_names": ["Slack Technologies, LLC"],
                "descriptors": ["SLACK T*"],
                "common_word_name": True,
            },
            {
                "key": "zendesk",
                "name": "Zendesk",
                "category": "Customer Support",
                "provider": "Zendesk, Inc.",
                "domains": ["zendesk.com"],
                "descriptors": ["ZENDESK*"],
            },
        ],
    }


def test_builtin_catalog_is_large_versioned_and_valid() -> None:
    catalog = Catalog.builtin()
    assert len(catalog) >= 300
    assert catalog.version
    categories = {service.category for service in catalog.services.values()}
    assert {
        "Collaboration",
        "Developer Tools",
        "Cloud & Infrastructure",
        "Security & Identity",
        "HR & Payroll",
        "Finance & Accounting",
        "Marketing",
        "Sales",
        "Design",
        "AI",
        "Data & Analytics",
        "Communication",
    } <= categories
    assert Catalog.builtin() is catalog  # loaded once per process


def test_builtin_catalog_file_has_header_comment_and_version() -> None:
    text = resources.files("target_leanix.recognition").joinpath("catalog.json").read_text("utf-8")
    raw = json.loads(text)
    assert "pull request" in " ".join(raw["_comment"])
    assert raw["version"] == Catalog.builtin().version


@pytest.mark.parametrize(
    ("descriptor", "expected_reason"),
    [
        ("AMZN Mktp US*2K4AB1CD2 Amzn.com/bill WA", "retail"),
        ("AMAZON.COM*MK1234567 AMZN.COM/BILL WA", "retail"),
        ("APPLE.COM/BILL 866-712-7753 CA", "ambiguous"),
        ("GOOGLE *ADS1234567890 cc@google.com CA", "advertising"),
        ("SQ *SLACK JAW BBQ Austin TX", "Square"),
    ],
)
def test_generic_merchants_are_documented_non_services(
    descriptor: str, expected_reason: str
) -> None:
    match = Recognizer().match_descriptor(descriptor)
    assert match.service is None
    assert expected_reason in match.reason
    assert match.confidence > 0  # decided, not merely unmatched


def test_aws_is_not_amazon_retail() -> None:
    recognizer = Recognizer()
    aws = recognizer.match_descriptor("AMZN WEB SERVICES AWS.AMAZON.CO WA")
    assert aws.service is not None
    assert aws.service.key == "aws"
    assert recognizer.match_descriptor("AMZN Mktp US*2K4AB1CD2").service is None


def _error(raw: dict[str, Any]) -> str:
    with pytest.raises(CatalogError) as caught:
        Catalog(raw, source="test.json")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_minimal_catalog_loads() -> None:
    catalog = Catalog(_minimal())
    assert len(catalog) == 2
    assert Recognizer(catalog=catalog).match_descriptor("SLACK T01AB2CD3E DUBLIN IE").service


def test_duplicate_alias_across_services_is_an_error() -> None:
    raw = _minimal()
    raw["services"][1]["aliases"] = ["Slack Technologies Inc."]
    message = _error(raw)
    assert "zendesk" in message
    assert "Slack Technologies" in message
    assert "collides" in message


def test_alias_colliding_without_spaces_is_an_error() -> None:
    raw = _minimal()
    raw["services"][1]["aliases"] = ["Zen Desk", "Slack Tech Nologies"]
    assert "without spaces" in _error(raw)


def test_bad_regex_is_an_error_naming_the_entry() -> None:
    raw = _minimal()
    raw["services"][1]["descriptors"] = ["re:ZENDESK[("]
    message = _error(raw)
    assert "services[1]" in message
    assert "'zendesk'" in message
    assert "bad regular expression" in message


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda raw: raw["services"][1].update(key="Zendesk Inc"), "lower-case slug"),
        (lambda raw: raw["services"][1].update(key="slack"), "duplicate service key"),
        (lambda raw: raw["services"][1].update(domains=["slack.com"]), "already claimed"),
        (lambda raw: raw["services"][1].update(domains=["not a domain"]), "not a domain"),
        (lambda raw: raw["services"][1].update(colour="green"), "unknown field 'colour'"),
        (lambda raw: raw["services"][1].update(descriptors=["SLACK T*"]), "claimed by both"),
        (lambda raw: raw["services"][1].update(descriptors=["*"]), "at least two letters"),
        (lambda raw: raw["services"][1].pop("provider"), "'provider'"),
        (lambda raw: raw["services"][1].update(aliases="Zendesk"), "list of non-empty strings"),
        (lambda raw: raw.pop("version"), "'version'"),
        (lambda raw: raw.update(services=[]), "non-empty list"),
        (lambda raw: raw.update(not_services=[{"pattern": "X"}]), "needs 'pattern' and 'reason'"),
    ],
)
def test_structural_errors(mutate: Any, fragment: str) -> None:
    raw = copy.deepcopy(_minimal())
    mutate(raw)
    assert fragment in _error(raw)


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        Catalog.from_file(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid JSON"):
        Catalog.from_file(broken)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_minimal()), encoding="utf-8")
    assert len(Catalog.from_file(good)) == 2

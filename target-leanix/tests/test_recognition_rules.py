"""User rules from the ``recognition`` config beat the catalog, and bad config names its key."""

from __future__ import annotations

from typing import Any

import pytest

from target_leanix.recognition import (
    RECOGNITION_CONFIG_SCHEMA,
    RecognitionConfigError,
    RecognitionRules,
    Recognizer,
)


def _recognizer(**config: Any) -> Recognizer:
    return Recognizer(RecognitionRules.from_config(config))


def test_defaults_without_config() -> None:
    rules = RecognitionRules.from_config(None)
    assert rules == RecognitionRules()
    assert rules.fuzzy_threshold == 0.90
    assert RecognitionRules.from_config({}) == rules


def test_exclude_vendor_id_beats_an_exact_catalog_match() -> None:
    recognizer = _recognizer(exclude_vendor_ids=["V-1"])
    match = recognizer.match_vendor("V-1", "Slack Technologies, LLC")
    assert match.service is None
    assert match.reason == "user rule: exclude_vendor_ids V-1"
    assert match.confidence == 1.0
    # Other vendors with the same name are untouched.
    other = recognizer.match_vendor("V-2", "Slack Technologies, LLC")
    assert other.service is not None
    assert other.service.key == "slack"


def test_exclude_pattern_beats_the_catalog_for_vendors_and_descriptors() -> None:
    recognizer = _recognizer(exclude_patterns=["^zoom video"])
    vendor = recognizer.match_vendor("V-1", "Zoom Video Communications, Inc.")
    assert vendor.service is None
    assert vendor.reason == 'user rule: exclude_patterns "^zoom video"'
    descriptor = recognizer.match_descriptor("ZOOM VIDEO COMMUNICA SAN JOSE CA")
    assert descriptor.service is None
    assert "exclude_patterns" in descriptor.reason
    assert recognizer.match_descriptor("ZOOM.US 888-799-9666 CA").service is not None


def test_include_vendor_id_makes_an_unknown_vendor_a_candidate() -> None:
    recognizer = _recognizer(include_vendor_ids=["V-9"])
    assert recognizer.match_vendor("V-8", "Acme Analytics LLC").service is None
    match = recognizer.match_vendor(
        "V-9", "Acme Analytics LLC", website="https://www.acme-analytics.io/"
    )
    assert match.service is not None
    assert match.service.key == "candidate:V-9"
    assert match.service.candidate
    assert match.service.name == "Acme Analytics LLC"
    assert match.service.domains == ("www.acme-analytics.io",)
    assert match.reason.startswith("user rule: include_vendor_ids V-9")


def test_include_rule_keeps_a_catalog_match_and_overrides_known_non_services() -> None:
    recognizer = _recognizer(include_vendor_ids=["V-1", "V-2"])
    slack = recognizer.match_vendor("V-1", "Slack Technologies, LLC")
    assert slack.service is not None
    assert slack.service.key == "slack"
    assert not slack.service.candidate
    assert "exact alias" in slack.reason
    # Amazon retail is a known non-service, but the user said this vendor is a service.
    retail = recognizer.match_vendor("V-2", "Amazon.com Services LLC")
    assert retail.service is not None
    assert retail.service.candidate


def test_include_pattern_forces_a_service() -> None:
    recognizer = _recognizer(include_patterns=[r"\bsoftware\b"])
    match = recognizer.match_vendor("V-3", "Smith Custom Software LLC")
    assert match.service is not None
    assert match.service.key == "candidate:V-3"
    assert 'include_patterns "\\bsoftware\\b"' in match.reason


def test_vendor_services_maps_to_catalog_key_name_or_a_new_service() -> None:
    recognizer = _recognizer(
        vendor_services={
            "V-12": "google-workspace",
            "V-13": "Microsoft Azure",
            "V-14": "Acme Internal Wiki",
        }
    )
    google = recognizer.match_vendor("V-12", "Google LLC")
    assert google.service is not None
    assert google.service.key == "google-workspace"
    assert google.reason == "user rule: vendor_services V-12 -> google-workspace"
    assert recognizer.match_vendor("V-13", "Microsoft Corporation").service.key == "azure"  # type: ignore[union-attr]
    custom = recognizer.match_vendor("V-14", "Acme Holdings")
    assert custom.service is not None
    assert custom.service.key == "user:acme-internal-wiki"
    assert custom.service.name == "Acme Internal Wiki"
    assert not custom.service.candidate
    # Without the rule Google LLC is deliberately not a service (Ads and Workspace share the entity).
    assert recognizer.match_vendor("V-15", "Google LLC").service is None


def test_vendor_services_beats_a_different_catalog_match() -> None:
    recognizer = _recognizer(vendor_services={"V-1": "zoom"})
    match = recognizer.match_vendor("V-1", "Slack Technologies, LLC")
    assert match.service is not None
    assert match.service.key == "zoom"


def test_software_gl_account_makes_an_unknown_vendor_a_candidate() -> None:
    recognizer = _recognizer(software_gl_accounts=["6010", "6015"])
    unknown = recognizer.match_vendor("V-20", "Acme Analytics LLC", gl_accounts=["6010", "7000"])
    assert unknown.service is not None
    assert unknown.service.key == "candidate:V-20"
    assert unknown.service.candidate
    assert unknown.confidence == pytest.approx(0.6)
    assert "software GL account 6010" in unknown.reason
    # Not on a software account: ignored.
    assert (
        recognizer.match_vendor("V-21", "Acme Analytics LLC", gl_accounts=["7000"]).service is None
    )
    # Known to the catalog: the catalog service, not a candidate.
    known = recognizer.match_vendor("V-22", "Zendesk, Inc.", gl_accounts=["6010"])
    assert known.service is not None
    assert known.service.key == "zendesk"
    # An exclusion still wins over the GL account.
    excluded = _recognizer(software_gl_accounts=["6010"], exclude_vendor_ids=["V-23"])
    assert excluded.match_vendor("V-23", "Acme Analytics LLC", gl_accounts=["6010"]).service is None


def test_fuzzy_threshold_is_honoured() -> None:
    strict = _recognizer(fuzzy_threshold=0.99)
    loose = _recognizer(fuzzy_threshold=0.85)
    assert strict.match_vendor("V-1", "Zendsk Inc.").service is None
    match = loose.match_vendor("V-1", "Zendsk Inc.")
    assert match.service is not None
    assert match.service.key == "zendesk"
    assert match.reason.startswith("fuzzy 0.92 to ")
    assert match.confidence == pytest.approx(0.923, abs=0.001)


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"colour": "green"}, "recognition.colour: unknown setting"),
        ({"include_vendor_ids": "V-1"}, "recognition.include_vendor_ids: must be a list"),
        ({"exclude_vendor_ids": [""]}, "recognition.exclude_vendor_ids[0]"),
        ({"software_gl_accounts": [6010]}, "recognition.software_gl_accounts[0]"),
        ({"include_patterns": ["ok", "(unclosed"]}, "recognition.include_patterns[1]: bad regular"),
        ({"exclude_patterns": ["[z-a]"]}, "recognition.exclude_patterns[0]: bad regular"),
        ({"vendor_services": ["slack"]}, "recognition.vendor_services: must be an object"),
        ({"vendor_services": {"V-1": ""}}, "recognition.vendor_services.V-1"),
        ({"fuzzy_threshold": 1.5}, "recognition.fuzzy_threshold"),
        ({"fuzzy_threshold": "high"}, "recognition.fuzzy_threshold"),
        (
            {"include_vendor_ids": ["V-1"], "exclude_vendor_ids": ["V-1"]},
            "also in include_vendor_ids",
        ),
        (
            {"vendor_services": {"V-1": "slack"}, "exclude_vendor_ids": ["V-1"]},
            "also in vendor_services",
        ),
    ],
)
def test_bad_config_names_the_key(config: dict[str, Any], fragment: str) -> None:
    with pytest.raises(RecognitionConfigError) as caught:
        RecognitionRules.from_config(config)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_config_that_is_not_an_object() -> None:
    with pytest.raises(RecognitionConfigError, match="recognition: must be a JSON object"):
        RecognitionRules.from_config(["slack"])  # type: ignore[arg-type]


def test_schema_describes_every_setting() -> None:
    properties = RECOGNITION_CONFIG_SCHEMA["properties"]
    assert set(properties) == {
        "include_vendor_ids",
        "exclude_vendor_ids",
        "include_patterns",
        "exclude_patterns",
        "vendor_services",
        "software_gl_accounts",
        "fuzzy_threshold",
    }
    assert RECOGNITION_CONFIG_SCHEMA["additionalProperties"] is False
    assert all(p.get("description") for p in properties.values())

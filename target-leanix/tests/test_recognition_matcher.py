"""Matching vendors and card descriptors against the built-in catalog."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from target_leanix.recognition import Match, Recognizer


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer()


def _key(match: Match) -> str | None:
    return match.service.key if match.service else None


@pytest.mark.parametrize(
    ("name", "key", "reason_start", "confidence"),
    [
        ("Slack Technologies, LLC", "slack", 'exact alias "Slack Technologies, LLC"', 1.0),
        ("SLACK TECHNOLOGIES LTD.", "slack", "normalised alias", 0.97),
        ("Drop Box Inc", "dropbox", 'alias "Dropbox" written without spaces', 0.95),
        (
            "Sales Cloud Enterprise Edition",
            "salesforce",
            'name "sales cloud enterprise edition" opens with alias "Sales Cloud"',
            0.9,
        ),
        ("Asana Ireland Unlimited Company", "asana", 'name "asana ireland" is alias "Asana"', 0.9),
        ("Atlasian Pty Ltd", "atlassian", "fuzzy 0.94 to ", 0.941),
        ("Mango Technologies, Inc. dba ClickUp", "clickup", "exact alias", 1.0),
    ],
)
def test_vendor_matches_carry_confidence_and_reason(
    recognizer: Recognizer, name: str, key: str, reason_start: str, confidence: float
) -> None:
    match = recognizer.match_vendor("V-1", name)
    assert _key(match) == key
    assert match.reason.startswith(reason_start), match.reason
    assert match.confidence == pytest.approx(confidence, abs=0.001)
    assert 0 <= match.confidence <= 1
    assert "\n" not in match.reason


def test_vendor_website_identifies_the_service(recognizer: Recognizer) -> None:
    match = recognizer.match_vendor(
        "V-1", "Formerly Known As Ltd", website="https://app.datadoghq.com/"
    )
    assert _key(match) == "datadog"
    assert match.reason == 'domain "datadoghq.com"'


@pytest.mark.parametrize(
    ("descriptor", "key", "reason_fragment"),
    [
        ("ATLASSIAN* JIRA SYDNEY AU", "atlassian", 'descriptor pattern "ATLASSIAN*"'),
        ("SLACK T01AB2CD3E DUBLIN IE", "slack", 'descriptor pattern "SLACK T*"'),
        ("ZOOM.US 888-799-9666 CA", "zoom", 'descriptor pattern "ZOOM.US*"'),
        ("GOOGLE *GSUITE_acme.com CC@GOOGLE.COM CA", "google-workspace", "GSUITE"),
        ("MSFT * E0400ABCDE MSBILL.INFO WA", "microsoft-365", 'descriptor pattern "MSFT *"'),
        ("MSFT * AZURE 800-642-7676 WA", "azure", "AZURE"),
        ("AMZN WEB SERVICES AWS.AMAZON.CO WA", "aws", "AMZN WEB SERVICES"),
        ("AWS EMEA aws.amazon.com LU", "aws", "AWS EMEA"),
        ("PAYPAL *ATLASSIAN 4029357733 CA", "atlassian", "(sold through PayPal)"),
        ("PAYPAL *SLACKTECHNO 4029357733 CA", "slack", "cut short"),
        ("CHATGPT SUBSCRIPTION OPENAI.COM CA", "openai", ""),
        ("INTERCOM SAN FRANCISCO CA", "intercom", 'normalised alias "Intercom"'),
        ("SMART SHEET INC 844-324-2360 WA", "smartsheet", "without spaces"),
    ],
)
def test_descriptor_matches(
    recognizer: Recognizer, descriptor: str, key: str, reason_fragment: str
) -> None:
    match = recognizer.match_descriptor(descriptor)
    assert _key(match) == key
    assert reason_fragment in match.reason
    assert match.confidence >= 0.85


@pytest.mark.parametrize(
    "text",
    [
        "SLACK JAW BBQ AUSTIN TX",
        "ZOOM CAR RENTAL LOS ANGELES CA",
        "NOTION HOTEL SEOUL KR",
        "BOX LUNCH CATERING BOSTON MA",
        "MONDAY BAKERY BROOKLYN NY",
        "ASANA YOGA STUDIO BOULDER CO",
        "CANVAS ART SUPPLY PORTLAND OR",
        "ADOBE GRILL SANTA FE NM",
        "TABLEAU RESTAURANT NEW YORK NY",
        "PILOT 00012345 KNOXVILLE TN",
        "SQ *SLACK JAW BBQ Austin TX",
        "TST* GUSTO TRATTORIA NEW YORK NY",
        "AMZN Mktp US*2K4AB1CD2 Amzn.com/bill WA",
        "MICROSOFT*XBOX GAME PASS MSBILL.INFO WA",
        "PAYPAL *UBER 4029357733",
        "Brookfield Properties LLC",
        "Lattice Semiconductor Corporation",
        "Sentry Insurance, a Mutual Company",
    ],
)
def test_near_misses_and_negatives_are_not_services(recognizer: Recognizer, text: str) -> None:
    for match in (recognizer.match_descriptor(text), recognizer.match_vendor("V-1", text)):
        assert match.service is None, match.reason
        assert match.reason


def test_unmatched_reports_what_it_looked_for(recognizer: Recognizer) -> None:
    match = recognizer.match_descriptor("ACME WIDGETS #1234 SEATTLE WA")
    assert match == Match(None, 0.0, 'no catalog match for "acme widgets"')


def test_match_text_takes_the_better_reading(recognizer: Recognizer) -> None:
    # Only descriptor matching strips the PayPal prefix.
    via_paypal = recognizer.match_text("PAYPAL *DIGITALOCEA 4029357733 CA")
    assert _key(via_paypal) == "digitalocean"
    assert _key(recognizer.match_text("Slack Technologies, LLC")) == "slack"
    assert recognizer.match_text("SLACK JAW BBQ AUSTIN TX").service is None


def test_descriptor_results_are_memoised(recognizer: Recognizer) -> None:
    first = recognizer.match_descriptor("GITHUB 877-448-4820 CA")
    assert recognizer.match_descriptor("GITHUB 877-448-4820 CA") is first
    # A different spelling that cleans to the same text shares the cached result.
    assert recognizer.match_descriptor("github   877-448-4820   ca") is first


def test_services_carry_catalog_metadata(recognizer: Recognizer) -> None:
    service = recognizer.match_vendor("V-1", "Slack Technologies, LLC").service
    assert service is not None
    assert service.name == "Slack"
    assert service.category == "Collaboration"
    assert service.provider == "Salesforce, Inc."
    assert "slack.com" in service.domains
    assert service.candidate is False


def test_empty_inputs_match_nothing(recognizer: Recognizer) -> None:
    assert recognizer.match_descriptor("").service is None
    assert recognizer.match_vendor("V-1", "").service is None
    assert recognizer.match_descriptor("   *  ").service is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_a_well_formed_match(text: str) -> None:
    recognizer = Recognizer()
    for match in (recognizer.match_descriptor(text), recognizer.match_vendor("V-1", text)):
        assert 0.0 <= match.confidence <= 1.0
        assert match.reason
        assert "\n" not in match.reason

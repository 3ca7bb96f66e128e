"""Expense-report memos through ``Recognizer.match_text``: plan words, products, memo noise, meal veto."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from target_leanix.recognition import (
    Catalog,
    CatalogError,
    Match,
    RecognitionRules,
    Recognizer,
)
from target_leanix.recognition.memo import TRAVEL_AND_MEALS, MemoReader, memo_segments
from target_leanix.recognition.normalize import fold, normalize_name


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer()


def _key(match: Match) -> str | None:
    return match.service.key if match.service else None


@pytest.mark.parametrize(
    ("memo", "key"),
    [
        ("Zoom Pro monthly", "zoom"),
        ("Notion Plus - paid on personal card", "notion"),
        ("kintone スタンダードコース", "cybozu"),
        ("LinkedIn Recruiter Lite", "linkedin-recruiter"),
        ("CYBOZU INC TOKYO JP", "cybozu"),
        ("Slack Pro seats", "slack"),
        ("Notion Plus plan", "notion"),
        ("Figma professional seat", "figma"),
        ("Dropbox Business annual", "dropbox"),
        ("Monday Enterprise licences", "monday"),
        ("Box Teams subscription", "box"),
        ("Asana Business workspace renewal", "asana"),
    ],
)
def test_the_sandbox_companys_memos_are_attributed(
    recognizer: Recognizer, memo: str, key: str
) -> None:
    assert _key(recognizer.match_text(memo)) == key


@pytest.mark.parametrize(
    "memo",
    [
        "SLACK JAW BBQ",
        "ZOOM CAR RENTAL",
        "NOTION HOTEL",
        "BOX LUNCH CATERING",
        "MONDAY BAKERY",
        "Slack Jaw BBQ Pro",  # a plan word further on does not rescue an unrelated noun
        "Zoom car share monthly",
        "Asana yoga retreat",
        "Monday standup donuts",
        "Team offsite Monday",
    ],
)
def test_a_common_word_followed_by_another_noun_is_not_the_service(
    recognizer: Recognizer, memo: str
) -> None:
    match = recognizer.match_text(memo)
    assert match.service is None, match.reason


@pytest.mark.parametrize(
    ("memo", "key", "reason_part"),
    [
        ("Slack Pro - paid with my personal credit card", "slack", 'plan words "pro"'),
        ("Zoom Pro (Mar) reimbursement", "zoom", 'plan words "pro"'),
        ("Notion Plus x3 USD 30.00", "notion", 'plan words "plus"'),
        ("Slack Pro for the growth marketing team", "slack", 'plan words "pro"'),
        ("Quarterly Notion", "notion", 'billing word "quarterly"'),
        ("Zoom - September 2025 - out of pocket", "zoom", 'memo names only "Zoom"'),
        ("Annual fee for Slack", "slack", 'billing word "fee"'),
        ("Zoom webinar licence", "zoom", 'plan words "webinar licence"'),
    ],
)
def test_memo_noise_does_not_hide_the_service(
    recognizer: Recognizer, memo: str, key: str, reason_part: str
) -> None:
    match = recognizer.match_text(memo)
    assert _key(match) == key, match.reason
    assert reason_part in match.reason


def test_a_generic_name_needs_a_plan_word_next_to_it(recognizer: Recognizer) -> None:
    assert recognizer.match_text("Box - April").service is None
    assert _key(recognizer.match_text("Box Starter - April")) == "box"
    # The bare name alone is still the vendor's exact name, as before.
    assert _key(recognizer.match_text("Box")) == "box"


def test_products_name_their_service(recognizer: Recognizer) -> None:
    assert _key(recognizer.match_text("Confluence Premium renewal")) == "atlassian"
    assert _key(recognizer.match_text("Garoon 年間ライセンス")) == "cybozu"
    assert _key(recognizer.match_text("Recruiter Lite - sourcing")) == "linkedin-recruiter"
    assert _key(recognizer.match_text("Photoshop monthly")) == "adobe"
    match = recognizer.match_text("Confluence seats")
    assert 'product "Confluence"' in match.reason


def test_a_one_word_product_does_not_open_another_companys_name(recognizer: Recognizer) -> None:
    # Confluence Health is a hospital group; "Acrobat Staffing" an agency.
    assert recognizer.match_vendor("V-1", "Confluence Health").service is None
    assert recognizer.match_vendor("V-2", "Acrobat Staffing Group").service is None
    assert recognizer.match_text("Confluence Health copay").service is None


def test_meals_and_travel_overrule_weaker_evidence(recognizer: Recognizer) -> None:
    dinner = recognizer.match_text("Datadog dinner with the account team")
    assert dinner.service is None
    assert '("dinner")' in dinner.reason
    assert "not Datadog" in dinner.reason
    assert recognizer.match_text("Zoom call with client - lunch").service is None
    assert recognizer.match_text("ランチ Zoom 打合せ").service is None
    # An exact vendor name is never overruled; nothing in it is about a meal.
    assert _key(recognizer.match_text("Datadog, Inc.")) == "datadog"


def test_card_lines_and_vendor_names_do_not_use_memo_reading(recognizer: Recognizer) -> None:
    assert recognizer.match_descriptor("SLACK PRO SEATS").service is None
    assert recognizer.match_vendor("V-3", "Zoom Pro monthly").service is None
    assert _key(recognizer.match_text("SLACK PRO SEATS")) == "slack"


def test_travel_and_meal_memos_are_known_non_services(recognizer: Recognizer) -> None:
    # A memo about a meal is known not to be software (the run summary reports it as such), while
    # a memo that names nothing at all keeps the "no match" confidence.
    match = recognizer.match_text("Team lunch Monday")
    assert match.service is None
    assert match.confidence > 0
    assert "meals" in match.reason
    unknown = recognizer.match_text("Quarterly widgets")
    assert unknown.service is None
    assert unknown.confidence == 0.0


def test_user_exclude_rules_still_win_over_memo_reading() -> None:
    rules = RecognitionRules.from_config({"exclude_patterns": ["ZOOM*"]})
    match = Recognizer(rules).match_text("Zoom Pro monthly")
    assert match.service is None
    assert match.reason.startswith("user rule: exclude_patterns")


def test_memo_segments_split_parts_and_drop_payment_phrases() -> None:
    assert memo_segments("Notion Plus - paid on personal card") == [["notion", "plus"]]
    assert memo_segments("monday.com Pro: 5 seats (Q3)") == [
        ["monday", "pro"],
        ["5", "seats"],
        ["q3"],
    ]
    assert memo_segments("kintone利用料4月分") == [["kintone", "利用料", "4", "月分"]]


def test_kana_voicing_marks_survive_folding() -> None:
    assert fold("スタンダード") == "スタンダード"
    assert normalize_name("サイボウズ株式会社") == "サイボウズ"
    assert fold("Zürich") == "zurich"


def test_cybozu_is_in_the_builtin_catalog() -> None:
    catalog = Catalog.builtin()
    cybozu = catalog.get("cybozu")
    assert cybozu is not None
    recognizer = Recognizer()
    assert _key(recognizer.match_vendor("V-4", "サイボウズ株式会社")) == "cybozu"
    assert _key(recognizer.match_vendor("V-5", "Cybozu, Inc.")) == "cybozu"
    assert _key(recognizer.match_descriptor("CYBOZU INC 03-4306-0808 TOKYO JP")) == "cybozu"
    assert _key(recognizer.match_descriptor("KINTONE.COM SAN FRANCISCO CA")) == "cybozu"


def _catalog_with(products: Any, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "version": "1",
        "services": [
            {
                "key": "widget",
                "name": "Widget",
                "category": "Collaboration",
                "provider": "Widget Corp",
                "domains": ["widget.example.com"],
                "common_word_name": True,
                "products": products,
            },
            {
                "key": "gizmo",
                "name": "Gizmo Cloud",
                "category": "Collaboration",
                "provider": "Gizmo Corp",
            },
        ],
    }
    if extra:
        raw["services"].append(extra)
    return raw


def test_products_are_validated_and_indexed() -> None:
    catalog = Catalog(_catalog_with(["Sprocket", "Widget Flow"]))
    assert catalog.products == {"sprocket": "Sprocket", "widget flow": "Widget Flow"}
    assert "flow" in catalog.service_words["widget"]
    recognizer = Recognizer(catalog=catalog)
    assert _key(recognizer.match_text("Widget Flow seats")) == "widget"
    assert _key(recognizer.match_text("Widget flow")) == "widget"
    assert _key(recognizer.match_text("Sprocket annual")) == "widget"
    assert recognizer.match_text("Widget repair kit").service is None

    with pytest.raises(CatalogError, match=r"'products' must be a list of non-empty strings"):
        Catalog(_catalog_with("Sprocket"))
    clash = {
        "key": "other",
        "name": "Other",
        "category": "Collaboration",
        "provider": "Other Inc",
        "products": ["Gizmo Cloud"],
    }
    with pytest.raises(CatalogError, match=r"collides with 'Gizmo Cloud' of service 'gizmo'"):
        Catalog(_catalog_with([], extra=clash))


def test_builtin_catalog_lists_products() -> None:
    catalog = Catalog.builtin()
    assert {"kintone", "garoon", "confluence", "recruiter lite"} <= set(catalog.products)
    assert catalog.service_words["zoom"] >= {"webinars", "rooms"}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_memo_reading_never_raises_and_names_only_catalog_services(text: str) -> None:
    catalog = Catalog.builtin()
    reading = MemoReader(catalog).read(text)
    if reading.hit is not None:
        assert reading.hit.key in catalog.services
    match = Recognizer(catalog=catalog).match_text(text)
    assert 0.0 <= match.confidence <= 1.0
    assert match.reason


def test_no_catalog_name_contains_a_meal_or_travel_word() -> None:
    # The veto overrules catalog matches short of an exact name only because of this.
    catalog = Catalog.builtin()
    clashing = sorted(name for name in catalog.names if set(name.split()) & TRAVEL_AND_MEALS)
    assert clashing == []

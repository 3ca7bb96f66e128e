"""The insight rules one by one: payment channels, lifecycle dates, tags, and who owns a lifecycle phase."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from target_leanix import insights
from target_leanix.insights import Activity, InsightSettings
from target_leanix.ldif import ExternalIds
from target_leanix.ledger import (
    UNCONFIRMED,
    CostWindow,
    InvoiceRow,
    PublishedItem,
    ServiceInfo,
    ServiceSnapshot,
    SpendGroup,
)
from target_leanix.pipeline import Settings, SettingsError
from target_leanix.settings import SETTINGS_SCHEMA

WINDOW = CostWindow("2025-06", 12)
ON = InsightSettings(
    lifecycle=True,
    phase_out_after_months=6,
    channel_tags=True,
    shadow_it_tags=True,
    duplicate_spend_tags=True,
    owners=False,
    owner_subscription_type="RESPONSIBLE",
    owner_subscription_role="",
)


@pytest.mark.parametrize(
    ("origin", "channel"),
    [
        ("card", "card"),
        ("expense", "reimbursement"),
        ("APBILL", "invoice"),
        ("APPYMT", "invoice"),
        ("PODOCUMENT", None),
        ("journal", "journal"),
        ("invoice", "invoice"),
        ("reimbursement", "reimbursement"),
        (" Card ", "card"),
        ("", None),
    ],
    ids=repr,
)
def test_payment_channel(origin: str, channel: str | None) -> None:
    assert insights.payment_channel(origin) == channel


def activity(month: str, channel: str = "card", department: str = "ENG") -> Activity:
    return Activity(month, f"{month}-01", channel, department)


def test_lifecycle_dates_phase_out_threshold_is_inclusive() -> None:
    found = [activity("2025-01"), Activity("2025-03", "2025-03-17", "invoice", "")]
    # Last payment in March: April, May, June without any is 3 months up to June.
    assert insights.lifecycle_dates(found, "2025-06", 3) == {
        "active": "2025-01-01",
        "phaseOut": "2025-04-01",
    }
    assert insights.lifecycle_dates(found, "2025-06", 4) == {
        "active": "2025-01-01",
        "phaseOut": None,
    }
    # Across a year end.
    assert insights.lifecycle_dates([activity("2024-12")], "2025-06", 6) == {
        "active": "2024-12-01",
        "phaseOut": "2025-01-01",
    }
    assert insights.lifecycle_dates([], "2025-06", 3) is None


def snapshot(
    *, vendor_ids: list[str] | None = None, invoices: list[InvoiceRow] | None = None
) -> ServiceSnapshot:
    return ServiceSnapshot(
        service=ServiceInfo("figma", "Figma", "design", "Figma, Inc."),
        vendor_ids=vendor_ids or [],
        spend={},
        departments=[],
        cost_total=Decimal(0),
        cost_currency="USD",
        window=WINDOW,
        unconvertible={},
        invoices=invoices or [],
    )


def invoice(obj: str, date: str) -> InvoiceRow:
    return InvoiceRow(obj, "1", "V-1", "N-1", date, Decimal(10), "USD", "Posted")


def names(tags: list[tuple[insights.TagGroup, str, str]]) -> set[str]:
    return {name for _group, name, _description in tags}


def test_tags_follow_the_window_and_each_rule() -> None:
    on = ON
    # Card only, one department: Card + Shadow IT.
    assert names(insights.tags(snapshot(), [activity("2025-02")], on)) == {"Card", "Shadow IT"}
    # A vendor in AP, or a purchase order: no Shadow IT.
    assert names(insights.tags(snapshot(vendor_ids=["V-1"]), [activity("2025-02")], on)) == {"Card"}
    ordered = snapshot(invoices=[invoice("PODOCUMENT", "2025-02-01")])
    assert names(insights.tags(ordered, [activity("2025-02")], on)) == {"Card"}
    # Two departments (any months), or two channels in one month: Duplicate spend.
    two = [activity("2025-02", department="ENG"), activity("2025-05", department="SALES")]
    assert "Duplicate spend" in names(insights.tags(snapshot(), two, on))
    mixed = [activity("2025-02"), activity("2025-02", "reimbursement")]
    assert names(insights.tags(snapshot(), mixed, on)) == {
        "Card",
        "Reimbursement",
        "Shadow IT",
        "Duplicate spend",
    }
    # Two channels in different months are no duplicate.
    apart = [activity("2025-02"), activity("2025-03", "reimbursement")]
    assert "Duplicate spend" not in names(insights.tags(snapshot(), apart, on))
    # Only the cost window counts (2024-07..2025-06).
    assert insights.tags(snapshot(), [activity("2024-06")], on) == []
    off = InsightSettings.none()
    assert insights.tags(snapshot(), two, off) == []


def test_activities_take_spend_groups_with_an_amount_and_ap_documents() -> None:
    groups = [
        SpendGroup("card", "ENG", "2025-02", "USD", Decimal("9.99"), 1),
        SpendGroup("expense", "", "2025-03", "USD", Decimal(0), 2),  # refunded to zero
    ]
    docs = snapshot(invoices=[invoice("APBILL", "2025-01-15"), invoice("PODOCUMENT", "2024-12-01")])
    assert insights.activities(docs, groups) == [
        Activity("2025-02", "2025-02-01", "card", "ENG"),
        Activity("2025-01", "2025-01-15", "invoice", ""),
    ]


def lifecycle(**data: Any) -> dict[str, Any]:
    base = {"serviceId": "app", "active": "2025-01-01", "phaseOut": None}
    base.update({"activeOwned": True, "phaseOutOwned": True})
    return {"type": insights.SERVICE_LIFECYCLE, "id": "app:lifecycle", "data": {**base, **data}}


def published(digest: str = "d", **data: Any) -> PublishedItem:
    item = lifecycle(**data)
    return PublishedItem("service:x", "ServiceLifecycle|app:lifecycle", digest, item)


def owned(item: dict[str, Any]) -> tuple[bool, bool]:
    return item["data"]["activeOwned"], item["data"]["phaseOutOwned"]


def test_settle_lifecycle_keeps_what_a_person_changed() -> None:
    # Never written, nothing in LeanIX: the target's.
    item = lifecycle()
    insights.settle_lifecycle(item, None, {})
    assert owned(item) == (True, True)
    # Never written, but a person set active: theirs.
    item = lifecycle()
    insights.settle_lifecycle(item, None, {"active": "2020-01-01"})
    assert owned(item) == (False, True)
    # Written and unchanged: the target's, also for a new value.
    item = lifecycle(active="2024-12-01")
    insights.settle_lifecycle(item, published(), {"active": "2025-01-01"})
    assert owned(item) == (True, True)
    # Written, then changed or emptied by a person: theirs, and it stays theirs.
    for held in ({"active": "2025-02-02"}, {}):
        item = lifecycle()
        insights.settle_lifecycle(item, published(), held)
        assert owned(item) == (False, True)
    item = lifecycle()
    insights.settle_lifecycle(item, published(activeOwned=False), {"active": "2025-01-01"})
    assert owned(item) == (False, True)
    # A person set phaseOut where the target wrote none.
    item = lifecycle()
    insights.settle_lifecycle(item, published(), {"active": "2025-01-01", "phaseOut": "2025-05-01"})
    assert owned(item) == (True, False)
    # A dry run cannot read LeanIX: it takes LeanIX to hold what was written.
    item = lifecycle()
    insights.settle_lifecycle(item, published(), None)
    assert owned(item) == (True, True)
    # A send LeanIX may never have taken: an empty phase is still the target's.
    item = lifecycle()
    insights.settle_lifecycle(item, published(UNCONFIRMED), {})
    assert owned(item) == (True, True)
    # A crash after sending a new date: LeanIX holds the date written before (published then
    # recorded the new one, unconfirmed): still the target's, so the rerun writes the new date.
    item = lifecycle()
    insights.settle_lifecycle(item, published(UNCONFIRMED), {"active": "2024-11-05"})
    assert owned(item) == (True, True)


def test_insight_items_ids_are_distinct_and_switch_off() -> None:
    ids = ExternalIds("ACME")
    groups = [
        SpendGroup("card", "ENG", "2025-02", "USD", Decimal(5), 1),
        SpendGroup("card", "OPS", "2025-02", "USD", Decimal(5), 1),
    ]
    items = insights.service_insight_items(snapshot(), groups, ids, ON)
    assert [i["type"] for i in items] == ["ServiceLifecycle"] + ["ServiceTag"] * 3
    assert len({i["id"] for i in items}) == len(items)
    assert all(i["data"]["serviceId"] == ids.service("figma") for i in items)
    assert insights.service_insight_items(snapshot(), groups, ids, InsightSettings.none()) == []


@pytest.mark.parametrize("value", [0, 121, 2.5, "six"], ids=repr)
def test_phase_out_after_months_is_bounded(value: object) -> None:
    with pytest.raises(
        SettingsError, match="setting phase_out_after_months must be a whole number"
    ):
        Settings.from_config(
            {"company_key": "ACME", "dry_run": True, "phase_out_after_months": value}
        )


def test_insight_settings_defaults_come_from_the_settings_schema() -> None:
    settings = Settings.from_config({"company_key": "ACME", "dry_run": True})
    defaults = {k: v.get("default") for k, v in SETTINGS_SCHEMA["properties"].items()}
    assert settings.insights == InsightSettings(
        lifecycle=defaults["insight_lifecycle"],
        phase_out_after_months=defaults["phase_out_after_months"],
        channel_tags=defaults["insight_payment_channel_tags"],
        shadow_it_tags=defaults["insight_shadow_it_tags"],
        duplicate_spend_tags=defaults["insight_duplicate_spend_tags"],
        owners=defaults["insight_owners"],
        owner_subscription_type=defaults["owner_subscription_type"],
        owner_subscription_role=defaults["owner_subscription_role"],
    )
    assert settings.insights.owners is False  # opt-in
    assert settings.insights.lifecycle is True
    assert settings.insights.phase_out_after_months == 6

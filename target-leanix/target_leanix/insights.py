"""Insights in LeanIX: a service's lifecycle dates and its payment-channel and spend-signal tags.

Everything here is derived from the ledger alone (spend groups and documents of one service), so a
rerun with the same ledger produces the same items and the publisher sends nothing. Items are LDIF
content items like the others (`ldif.service_items`): published, diffed and removed the same way.

* Lifecycle (`ServiceLifecycle`): `lifecycle.active` = the first day with spend or an invoice;
  `lifecycle.phaseOut` = the first month without spend once `phase_out_after_months` months passed
  without any. Written with one update per phase key, as LeanIX documents for the Integration API
  ("Lifecycle Management", https://help.sap.com/docs/leanix/ea/inbound-processors). A phase is only
  written while LeanIX holds what the target wrote there last (`settle_lifecycle`): a date a person
  set or cleared stays theirs.
* Tags (`ServiceTag`) in two tag groups the target creates (the group metadata travels with every
  tag, "Inbound Tag", https://help.sap.com/docs/leanix/ea/inbound-processors): "Payment channel"
  (invoice, card, reimbursement, journal) and "Spend signals" (Shadow IT, Duplicate spend), judged
  on the cost window, so a tag goes away once its condition no longer holds there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from target_leanix.ledger import UNCONFIRMED

if TYPE_CHECKING:
    from target_leanix.ledger import PublishedItem, ServiceSnapshot, SpendGroup

# Content item types (processors filter on them with exactType).
SERVICE_LIFECYCLE = "ServiceLifecycle"
SERVICE_TAG = "ServiceTag"
SERVICE_TAG_REMOVED = "ServiceTagRemoved"
SERVICE_OWNER = "ServiceOwner"
SERVICE_OWNER_REMOVED = "ServiceOwnerRemoved"
#: Subscription types of the standard meta model ("Inbound Subscription" names RESPONSIBLE).
SUBSCRIPTION_TYPES = ("RESPONSIBLE", "ACCOUNTABLE", "OBSERVER")

# The lifecycle phases the target writes, in LeanIX's standard meta model order.
PHASES = ("active", "phaseOut")

# Payment channels, in the order their tags are listed.
INVOICE, CARD, REIMBURSEMENT, JOURNAL = "invoice", "card", "reimbursement", "journal"
CHANNELS = (INVOICE, CARD, REIMBURSEMENT, JOURNAL)
# Intacct documents that are a payment through AP (a purchase order is an intent, not a payment).
INVOICE_OBJECTS = frozenset({"APBILL", "APPYMT"})


class ServiceIds(Protocol):
    """The external IDs of a company's services (`ldif.ExternalIds` provides them)."""

    def service(self, service_key: str) -> str:
        """The external ID of the service's Application."""


@dataclass(frozen=True)
class TagGroup:
    """A tag group the target creates and maintains: name, short name, description (mode MULTIPLE)."""

    name: str
    short_name: str
    description: str


CHANNEL_GROUP = TagGroup(
    "Payment channel",
    "PayCh",
    "How a service is paid according to Sage Intacct: AP invoice, card, reimbursed expense or "
    "journal entry (trailing cost window). Maintained by target-leanix.",
)
SIGNALS_GROUP = TagGroup(
    "Spend signals",
    "Spend",
    "Spend patterns in Sage Intacct worth a look (trailing cost window). Maintained by "
    "target-leanix.",
)
CHANNEL_TAGS = {
    INVOICE: ("Invoice", "Paid through Accounts Payable (vendor bills or payments)."),
    CARD: ("Card", "Paid with a company charge card."),
    REIMBURSEMENT: ("Reimbursement", "Paid by an employee and reimbursed as an expense."),
    JOURNAL: ("Journal", "Booked through a journal entry."),
}
SHADOW_IT = ("Shadow IT", "Paid only by card or expense: no AP vendor and no purchase order.")
DUPLICATE_SPEND = (
    "Duplicate spend",
    "Paid by several departments, or through several channels in one month.",
)


@dataclass(frozen=True)
class InsightSettings:
    """Which insights a run writes (each can be switched off) and the phase-out threshold.

    No defaults here: the settings schema (`settings.py`) is their one home."""

    lifecycle: bool
    phase_out_after_months: int
    channel_tags: bool
    shadow_it_tags: bool
    duplicate_spend_tags: bool
    owners: bool  # opt-in: see the README's privacy note
    owner_subscription_type: str
    owner_subscription_role: str

    @classmethod
    def none(cls) -> InsightSettings:
        """Every insight switched off."""
        return cls(
            lifecycle=False,
            phase_out_after_months=1,
            channel_tags=False,
            shadow_it_tags=False,
            duplicate_spend_tags=False,
            owners=False,
            owner_subscription_type="RESPONSIBLE",
            owner_subscription_role="",
        )


def payment_channel(origin: str) -> str | None:
    """The payment channel of a piece of spend: THE place that says how a source pays.

    `origin` is a spend group's source (`invoice`, `payment`, `card`, `reimbursement`, `journal`),
    a spend line's kind (`expense`), or an Intacct document (`APBILL`, `APPYMT`); anything else
    (a purchase order) is no payment. An AP payment (cash basis) pays through the invoice channel."""
    value = origin.strip()
    if value.upper() in INVOICE_OBJECTS or value.lower() == "payment":
        return INVOICE
    lowered = value.lower()
    if lowered == "expense":
        return REIMBURSEMENT
    return lowered if lowered in CHANNELS else None


@dataclass(frozen=True)
class Activity:
    """One month of payment of a service through one channel (and department, when known)."""

    month: str  # YYYY-MM
    day: str  # YYYY-MM-DD: the document's date, or the month's first day for spend lines
    channel: str
    department_id: str


def activities(snapshot: ServiceSnapshot, groups: Iterable[SpendGroup]) -> list[Activity]:
    """Every payment of a service the ledger knows: spend groups with an amount, and AP documents."""
    found = [
        Activity(group.month, f"{group.month}-01", channel, group.department_id)
        for group in groups
        if group.amount != 0
        and group.month
        and (channel := payment_channel(group.source or group.kind))
    ]
    for invoice in snapshot.invoices:
        channel = payment_channel(invoice.object)
        if channel and invoice.date and len(invoice.date) >= 10:
            found.append(Activity(invoice.date[:7], invoice.date[:10], channel, ""))
    return found


def _month_index(month: str) -> int:
    year, _, number = month.partition("-")
    return int(year) * 12 + int(number) - 1


def _month_of_index(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def lifecycle_dates(
    found: list[Activity], reference_month: str, phase_out_after_months: int
) -> dict[str, str | None] | None:
    """`active` (first payment day) and `phaseOut` (first month without payment, once
    `phase_out_after_months` months up to `reference_month` passed without any); None: no payment."""
    if not found:
        return None
    last = max(_month_index(a.month) for a in found)
    phase_out = None
    if _month_index(reference_month) - last >= phase_out_after_months:
        phase_out = f"{_month_of_index(last + 1)}-01"
    return {"active": min(a.day for a in found), "phaseOut": phase_out}


def tags(
    snapshot: ServiceSnapshot, found: list[Activity], settings: InsightSettings
) -> list[tuple[TagGroup, str, str]]:
    """The tags a service carries now, judged on the payments inside the cost window."""
    window = snapshot.window
    recent = [a for a in found if window.start_month <= a.month <= window.end_month]
    channels = {a.channel for a in recent}
    result: list[tuple[TagGroup, str, str]] = []
    if settings.channel_tags:
        result += [(CHANNEL_GROUP, *CHANNEL_TAGS[c]) for c in CHANNELS if c in channels]
    ordered = any(invoice.object == "PODOCUMENT" for invoice in snapshot.invoices)
    if (
        settings.shadow_it_tags
        and channels
        and channels <= {CARD, REIMBURSEMENT}
        and not snapshot.vendor_ids
        and not ordered
    ):
        result.append((SIGNALS_GROUP, *SHADOW_IT))
    if settings.duplicate_spend_tags:
        departments = {a.department_id for a in recent if a.department_id}
        per_month: dict[str, set[str]] = defaultdict(set)
        for a in recent:
            per_month[a.month].add(a.channel)
        if len(departments) > 1 or any(len(c) > 1 for c in per_month.values()):
            result.append((SIGNALS_GROUP, *DUPLICATE_SPEND))
    return result


def service_insight_items(
    snapshot: ServiceSnapshot,
    groups: Iterable[SpendGroup],
    ids: ServiceIds,
    settings: InsightSettings,
    *,
    owner_email: str = "",
) -> list[dict[str, Any]]:
    """The lifecycle, tag and owner content items of one service (none for a switched-off insight);
    `owner_email`: the address of the employee who buys it most often, "" for none."""
    app_id = ids.service(snapshot.service.key)
    found = activities(snapshot, groups)
    items: list[dict[str, Any]] = []
    dates = lifecycle_dates(found, snapshot.window.end_month, settings.phase_out_after_months)
    if settings.lifecycle and dates is not None:
        data: dict[str, Any] = {"serviceId": app_id, **dates}
        data.update({f"{phase}Owned": True for phase in PHASES})
        items.append({"type": SERVICE_LIFECYCLE, "id": f"{app_id}:lifecycle", "data": data})
    if settings.owners and owner_email:
        items.append(
            {
                "type": SERVICE_OWNER,
                "id": f"{app_id}:owner:{_part(owner_email.lower())}",
                "data": {
                    "serviceId": app_id,
                    "email": owner_email,
                    "subscriptionType": settings.owner_subscription_type,
                    "roleName": settings.owner_subscription_role,
                    "comment": "Buys this service most often (Sage Intacct expense reports)",
                },
            }
        )
    for group, name, description in tags(snapshot, found, settings):
        items.append(
            {
                "type": SERVICE_TAG,
                "id": f"{app_id}:tag:{_part(group.short_name)}:{_part(name)}",
                "data": {
                    "serviceId": app_id,
                    "group": group.name,
                    "groupShortName": group.short_name,
                    "groupDescription": group.description,
                    "tag": name,
                    "description": description,
                },
            }
        )
    return items


def _part(text: str) -> str:
    return text.replace("%", "%25").replace(":", "%3A")


@dataclass
class InsightTally:
    """What a run sent of the insights, for its summary line."""

    lifecycles_written: int = 0
    phases_kept: int = 0  # lifecycle phases a person set in LeanIX, left alone
    tags_added: int = 0
    tags_removed: int = 0
    owners_added: int = 0
    owners_removed: int = 0

    def count(self, item: dict[str, Any]) -> None:
        """Count one sent content item (items of other kinds are ignored)."""
        if item["type"] == SERVICE_LIFECYCLE:
            self.lifecycles_written += 1
            self.phases_kept += sum(item["data"][f"{p}Owned"] is False for p in PHASES)
        elif item["type"] == SERVICE_TAG:
            self.tags_added += 1
        elif item["type"] == SERVICE_TAG_REMOVED:
            self.tags_removed += 1
        elif item["type"] == SERVICE_OWNER:
            self.owners_added += 1
        elif item["type"] == SERVICE_OWNER_REMOVED:
            self.owners_removed += 1

    def line(self) -> str:
        """The `summary:` line of the insights."""
        return (
            f"insights: lifecycle sent for {self.lifecycles_written} services "
            f"({self.phases_kept} phases left as a person set them); "
            f"tags added: {self.tags_added}, removed: {self.tags_removed}; "
            f"owner subscriptions added: {self.owners_added}, removed: {self.owners_removed}"
        )


# -- what LeanIX holds: a person's lifecycle dates win ----------------------------------------------

#: Reads the lifecycle phases LeanIX holds: Application external ID -> {phase: date} (None: unknown,
#: a dry run).
LifecycleReader = Callable[[list[str]], Mapping[str, Mapping[str, str]]]


def settle_lifecycle(
    item: dict[str, Any],
    published: PublishedItem | None,
    held: Mapping[str, str] | None,
) -> None:
    """Mark each phase of a lifecycle item owned by the target or by a person (in place).

    A phase stays the target's while LeanIX holds what the target wrote there last (nothing, for a
    phase it never wrote); a different date, or none where the target wrote one, means a person
    changed it, and from then on the target leaves that phase alone. `held` None (a dry run) takes
    LeanIX to hold what the ledger says was written."""
    data = item["data"]
    before = published.payload["data"] if published is not None else {}
    unconfirmed = published is not None and published.digest == UNCONFIRMED
    for phase in PHASES:
        owned_key = f"{phase}Owned"
        if before.get(owned_key) is False and not unconfirmed:
            data[owned_key] = False
            continue
        wrote = before.get(phase) if before.get(owned_key, True) else None
        in_leanix = wrote if held is None else held.get(phase)
        # After a send LeanIX may or may not have taken (a crash before confirmation), LeanIX holds
        # what the target wrote then or before: either is the target's, never a person's doing.
        data[owned_key] = unconfirmed or in_leanix == wrote


def settle_lifecycles(
    desired_by_owner: Mapping[str, list[dict[str, Any]]],
    published_of: Callable[[str], Mapping[str, PublishedItem]],
    reader: LifecycleReader | None,
) -> None:
    """Settle every lifecycle item about to be published against what LeanIX holds, with one read."""
    wanted = [
        (owner, item)
        for owner, items in desired_by_owner.items()
        for item in items
        if item["type"] == SERVICE_LIFECYCLE
    ]
    if not wanted:
        return
    held: Mapping[str, Mapping[str, str]] | None = None
    if reader is not None:
        held = reader([item["data"]["serviceId"] for _, item in wanted])
    for owner, item in wanted:
        published = published_of(owner).get(f"{item['type']}|{item['id']}")
        phases = None if held is None else held.get(item["data"]["serviceId"], {})
        settle_lifecycle(item, published, phases)


def removal_item(published_payload: dict[str, Any]) -> dict[str, Any] | None:
    """The item that takes a published tag off its service; None for other insight items (a
    lifecycle date stays in LeanIX when the insight is switched off)."""
    removed = {SERVICE_TAG: SERVICE_TAG_REMOVED, SERVICE_OWNER: SERVICE_OWNER_REMOVED}
    kind = removed.get(published_payload["type"])
    if kind is None:
        return None
    return {"type": kind, "id": published_payload["id"], "data": dict(published_payload["data"])}


# -- processors ----------------------------------------------------------------------------------


def _update(key: str, expr: str) -> dict[str, Any]:
    return {"key": {"expr": key}, "values": [{"expr": expr}]}


def _lifecycle_processor(phase: str, description: str) -> dict[str, Any]:
    # One update per phase key ("Lifecycle Management"); `${data.<phase>}` null resets the phase
    # ("Remove content from fields", https://help.sap.com/docs/leanix/ea/advanced-use-cases-for-integration-api).
    # The filter skips a phase a person owns, so their date is never touched.
    return {
        "processorType": "inboundFactSheet",
        "processorName": f"Lifecycle {phase} of a service",
        "processorDescription": description,
        "type": "Application",
        "filter": {"exactType": SERVICE_LIFECYCLE, "advanced": f"${{data.{phase}Owned}}"},
        "identifier": {
            "external": {"id": {"expr": "${data.serviceId}"}, "type": {"expr": "externalId"}}
        },
        "run": 1,
        "updates": [_update(f"lifecycle.{phase}", f"${{data.{phase}}}")],
        "logLevel": "warning",
    }


def _tag_processor(*, delete: bool) -> dict[str, Any]:
    updates = [_update("name", "${data.tag}"), _update("group.name", "${data.group}")]
    if not delete:
        updates += [
            _update("description", "${data.description}"),
            _update("group.shortName", "${data.groupShortName}"),
            _update("group.description", "${data.groupDescription}"),
            _update("group.mode", "MULTIPLE"),
            _update("group.restrictToFactSheetTypes", "Application"),
        ]
    processor: dict[str, Any] = {
        "processorType": "inboundTag",
        "processorName": "Tag removed from a service" if delete else "Tag on a service",
        "processorDescription": (
            "Takes an insight tag off a service whose condition no longer holds"
            if delete
            else "Creates the insight tag groups and tags and assigns them to the service"
        ),
        "filter": {"exactType": SERVICE_TAG_REMOVED if delete else SERVICE_TAG},
        "identifier": {
            "external": {"id": {"expr": "${data.serviceId}"}, "type": {"expr": "externalId"}}
        },
        "run": 1,
        "updates": updates,
        "logLevel": "warning",
    }
    if delete:
        processor["mode"] = "delete"
    return processor


def _owner_processor(name: str, condition: str | None, *, delete: bool = False) -> dict[str, Any]:
    # "Inbound Subscription" (https://help.sap.com/docs/leanix/ea/inbound-processors): `newUser`
    # "creates a new user if not existing" (a contact, not invited), so an owner need not have a
    # LeanIX login; roles are maps {roleName, comment}.
    updates = [
        _update("newUser.email", "${data.email}"),
        _update("newUser.userName", "${data.email}"),
        _update("subscriptionType", "${data.subscriptionType}"),
    ]
    if condition == "role":
        role = [{"key": "roleName", "value": "${data.roleName}"}]
        role.append({"key": "comment", "value": "${data.comment}"})
        updates.append({"key": {"expr": "subscriptionRoles"}, "values": [{"map": role}]})
    advanced = {"role": "${not empty data.roleName}", "plain": "${empty data.roleName}"}
    processor: dict[str, Any] = {
        "processorType": "inboundSubscription",
        "processorName": name,
        "processorDescription": "The employee who buys the service most often, per Sage Intacct",
        "filter": {
            "exactType": SERVICE_OWNER_REMOVED if delete else SERVICE_OWNER,
            **({"advanced": advanced[condition]} if condition else {}),
        },
        "identifier": {
            "external": {"id": {"expr": "${data.serviceId}"}, "type": {"expr": "externalId"}}
        },
        "run": 1,
        "updates": updates,
        "logLevel": "warning",
    }
    if delete:
        processor["mode"] = "delete"
    return processor


def processors() -> list[dict[str, Any]]:
    """The inbound processors of the insight items (https://help.sap.com/docs/leanix/ea/inbound-processors)."""
    return [
        _lifecycle_processor("active", "First spend or invoice of the service in Sage Intacct"),
        _lifecycle_processor(
            "phaseOut", "First month without spend, once the configured months passed without any"
        ),
        _tag_processor(delete=False),
        _tag_processor(delete=True),
        _owner_processor("Owner of a service", "plain"),
        _owner_processor("Owner of a service, with role", "role"),
        _owner_processor("Former owner of a service", None, delete=True),
    ]

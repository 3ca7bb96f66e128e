"""The plan: the publisher's changes (`publisher.Change`) counted per kind and ranked by size.

Printed in the manner of `terraform plan`: `+` create, `~` update, `-` remove; kinds with most changes
first, then the changes that move the most money.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from target_leanix import insights, ldif
from target_leanix.publisher import Change

SYMBOLS = {"create": "+", "update": "~", "remove": "-"}
ACTIONS = ("create", "update", "remove")
KIND_NAMES = {
    ldif.SERVICE: "service (Application, IT component, provider)",
    ldif.SERVICE_COST: "costTotalAnnual",
    ldif.DEPARTMENT: "department (Organization)",
    ldif.SERVICE_DEPARTMENT: "service-department link",
    ldif.SERVICE_SPEND: "spend point",
    ldif.INVOICE: "invoice",
    insights.SERVICE_LIFECYCLE: "lifecycle dates (Application)",
    insights.SERVICE_TAG: "insight tag (Application)",
    insights.SERVICE_OWNER: "owner subscription (Application)",
}


@dataclass(frozen=True)
class SizedChange:
    """A change with the money it moves (after minus before; None when it moves no money)."""

    change: Change
    delta: Decimal | None
    currency: str
    label: str


def kind_name(item_type: str) -> str:
    """What an LDIF item type is, for people."""
    return KIND_NAMES.get(item_type, item_type)


def counts(changes: Iterable[Change]) -> list[tuple[str, dict[str, int]]]:
    """(item type, {action: count}) for every kind with changes, the most changed kind first."""
    table: dict[str, Counter[str]] = {}
    for change in changes:
        table.setdefault(change.item_type, Counter())[change.action] += 1
    ranked = sorted(table.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    return [(kind, {a: n[a] for a in ACTIONS}) for kind, n in ranked]


def _amount(payload: dict[str, Any] | None) -> tuple[Decimal | None, str]:
    if payload is None:
        return None, ""
    data = payload.get("data", {})
    for field in ("value", "costTotalAnnual", "amount"):
        if field in data and data[field] is not None:
            try:
                return Decimal(str(data[field])), str(data.get("currency", ""))
            except InvalidOperation:
                return None, ""
    return None, ""


def _label(change: Change) -> str:
    payload = change.after or change.before or {}
    data = payload.get("data", {})
    if change.item_type == ldif.SERVICE_SPEND:
        return f"{data.get('service', '')} {str(data.get('time', ''))[:7]} {data.get('department', '')}"
    if change.item_type == ldif.SERVICE_DEPARTMENT:
        return f"{data.get('serviceId', '')} -> {data.get('departmentId', '')}"
    if change.item_type == ldif.SERVICE_COST:
        return str(data.get("serviceId") or change.item_id)
    return str(data.get("name") or change.item_id)


def sized(changes: Iterable[Change], reporting_currency: str) -> list[SizedChange]:
    """The changes, the largest amount moved first (then creations, updates, removals by ID)."""
    out = []
    for change in changes:
        before, currency = _amount(change.before)
        after, after_currency = _amount(change.after)
        delta = None
        if before is not None or after is not None:
            delta = (after or Decimal(0)) - (before or Decimal(0))
        if change.item_type == ldif.SERVICE_COST:
            currency = reporting_currency
        out.append(SizedChange(change, delta, after_currency or currency, _label(change)))
    out.sort(
        key=lambda s: (
            -(abs(s.delta) if s.delta is not None else Decimal(-1)),
            ACTIONS.index(s.change.action),
            s.change.item_id,
        )
    )
    return out


def plan_lines(changes: list[Change], reporting_currency: str, *, top: int = 10) -> list[str]:
    """The plan as text lines, `terraform plan` style."""
    totals = Counter(change.action for change in changes)
    if not changes:
        return ["No changes. LeanIX matches the ledger."]
    lines = [
        f"Plan: {totals['create']} to create, {totals['update']} to update, "
        f"{totals['remove']} to remove in LeanIX."
    ]
    for kind, by_action in counts(changes):
        parts = ", ".join(f"{SYMBOLS[a]}{n}" for a, n in by_action.items() if n)
        lines.append(f"  {kind_name(kind)}: {parts}")
    biggest = sized(changes, reporting_currency)[:top]
    if biggest:
        lines.append("Largest changes:")
    for item in biggest:
        money = ""
        if item.delta is not None:
            sign = "+" if item.delta >= 0 else ""
            money = f" {sign}{format(item.delta, 'f')} {item.currency}".rstrip()
        lines.append(
            f"  {SYMBOLS[item.change.action]} {kind_name(item.change.item_type)} "
            f"{item.label}{money}"
        )
    return lines

"""The run summary: what one run received, where every amount went, and what LeanIX now holds.

Every spend line is in exactly one class (`ledger.SpendClass`), and unattributed lines are split by
what recognition knows of their text or vendor, so each currency's figures add up:

    received = for services + unattributed, not software + unattributed, not recognised
               + not spend (yet) + waiting for their header

once for the lines this run received and once for the whole ledger; "for services" of the whole
ledger equals the sum of the spend points LeanIX confirmed holding (a mismatch is logged as a
warning). The README explains each line with the demo's numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from target_leanix import ldif
from target_leanix.ledger import BooksPolicy, ClassifiedSpend, Ledger, SpendClass
from target_leanix.publisher import Summary

#: What records of each kind are called in the summary (the streams they come from).
RECORD_LABELS = {
    "VendorItem": "vendors",
    "DepartmentItem": "departments",
    "SpendHeaderItem": "card transactions and expense reports",
    "SpendLineItem": "spend lines",
    "ReimbursementItem": "reimbursements",
    "InvoiceItem": "bills, AP payments and purchase orders",
    "VendorAccountItem": "bill lines",
    "RateTableItem": "exchange-rate tables",
    "RateEntryItem": "exchange rates",
    "RecurringBillItem": "recurring bills",
}

NOT_SOFTWARE = "unattributed, not software"
NOT_RECOGNISED = "unattributed, not recognised"
#: The parts of spend, in the order the summary adds them up.
PARTS = (
    "for services",
    NOT_SOFTWARE,
    NOT_RECOGNISED,
    "not spend (yet)",
    "waiting for their header",
)
TOP_TEXTS = 5


@dataclass
class SpendFigures:
    """Spend of one scope (this run, or the whole ledger) per currency and part, exactly."""

    amounts: dict[str, dict[str, Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    lines: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # part -> (currency, text) -> (amount, lines) of unattributed lines, for the top lists
    texts: dict[str, dict[tuple[str, str], list[Decimal]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: [Decimal(0), Decimal(0)]))
    )

    def total(self, currency: str) -> Decimal:
        """All lines of `currency`, whatever their class."""
        return sum(self.amounts[currency].values(), Decimal(0))


def spend_figures(
    groups: Iterable[ClassifiedSpend], not_software: Callable[[ClassifiedSpend], bool]
) -> SpendFigures:
    """Sum ledger groups into the summary's parts; `not_software(group)` splits unattributed ones."""
    figures = SpendFigures()
    for group in groups:
        if group.spend_class is SpendClass.SERVICE:
            part = PARTS[0]
        elif group.spend_class is SpendClass.UNATTRIBUTED:
            part = NOT_SOFTWARE if not_software(group) else NOT_RECOGNISED
            top = figures.texts[part][(group.currency, group.text or "(no text)")]
            top[0] += group.amount
            top[1] += group.lines
        elif group.spend_class is SpendClass.NOT_SPEND:
            part = PARTS[3]
        else:
            part = PARTS[4]
        figures.amounts[group.currency][part] += group.amount
        figures.lines[group.currency] += group.lines
    return figures


def money(amount: Decimal) -> str:
    """`1234.5` -> `1,234.50`: thousands separated, at least the cents, never rounded."""
    exponent = amount.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"{amount:,.{places}f}"


def _signed(amount: Decimal) -> str:
    return f"+{money(amount)}" if amount >= 0 else f"-{money(-amount)}"


def _spend_lines(title: str, figures: SpendFigures) -> list[str]:
    if not figures.amounts:
        return [f"{title}: none"]
    lines = []
    for currency in sorted(figures.amounts):
        parts = figures.amounts[currency]
        added = " + ".join(f"{money(parts.get(part, Decimal(0)))} {part}" for part in PARTS)
        lines.append(
            f"{title}, {currency}: {money(figures.total(currency))} over "
            f"{figures.lines[currency]:,} lines = {added}"
        )
    return lines


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(
        f"{RECORD_LABELS.get(name, name)} {count:,}" for name, count in sorted(counts.items())
    )


def summary_lines(
    *,
    ledger: Ledger,
    published: Summary,
    window: str,
    reporting_currency: str,
    written: Mapping[str, int],
    deleted: Mapping[str, int],
    deleted_unknown: Mapping[str, int],
    not_software: Callable[[ClassifiedSpend], bool],
    books: BooksPolicy,
) -> tuple[list[str], list[str]]:
    """(the summary's lines, warnings): every figure of the run, each line saying what it counts."""
    warnings: list[str] = []
    received = sum(written.values()) + sum(deleted.values())
    lines = [
        f"records received: {received:,} of the streams the target uses"
        + (f" ({_counts(written)})" if written else "")
        + "; records of other streams are read and ignored",
    ]
    if deleted:
        unknown = sum(deleted_unknown.values())
        lines.append(
            f"deletes received: {sum(deleted.values()):,} ({_counts(deleted)}); {unknown:,} of "
            "them change nothing: records the ledger never held or had deleted already (deleted "
            "in Intacct before a first run read them, or a delete the tap sends again)"
        )
    services = ledger.published_totals(ldif.SERVICE, "")
    held_services = sum(count for _total, count in services.values())
    lines.append(
        f"services in LeanIX: {held_services:,} (created by this run: "
        f"{len(published.services_created):,}; held before and changed by this run: "
        f"{len(published.services_updated):,}); departments written: "
        f"{len(published.departments_written):,}"
    )
    this_run = spend_figures(ledger.spend_breakdown(this_run=True, books=books), not_software)
    everything = spend_figures(ledger.spend_breakdown(this_run=False, books=books), not_software)
    if this_run.amounts == everything.amounts and this_run.lines == everything.lines:
        lines += _spend_lines("spend received this run (all the ledger holds)", this_run)
    else:
        lines += _spend_lines("spend received this run", this_run)
        lines += _spend_lines("spend in the ledger (every run so far)", everything)
    held = ledger.published_totals(ldif.SERVICE_SPEND, "value")
    lines.append(
        "spend in LeanIX (intacctSpend points): "
        + (
            ", ".join(
                f"{money(amount)} {currency} in {count:,} points"
                for currency, (amount, count) in held.items()
            )
            or "none"
        )
        + " = the ledger's spend for services"
    )
    for currency in sorted(set(held) | set(everything.amounts)):
        in_leanix = held.get(currency, (Decimal(0), 0))[0]
        in_ledger = everything.amounts[currency].get(PARTS[0], Decimal(0))
        if in_leanix != in_ledger:
            warnings.append(
                f"spend for services in {currency}: the ledger counts {money(in_ledger)}, "
                f"LeanIX holds {money(in_leanix)}"
            )
    lines += _cost_lines(ledger, published, window, reporting_currency)
    committed = ledger.published_totals(ldif.COMMITMENT, "value")
    recurring = sum(n for _a, n in ledger.published_totals(ldif.RECURRING_BILL, "").values())
    lines.append(
        "committed spend in LeanIX (intacctCommitted points: recurring bills ahead, open purchase "
        "orders; never part of spend or costTotalAnnual): "
        + (
            ", ".join(f"{money(a)} {c} in {n:,} points" for c, (a, n) in committed.items())
            or "none"
        )
        + f"; recurring bills shown as documents: {recurring:,}"
    )
    sent = [
        f"{label} {published.sent(kind, written=True):,} written, "
        f"{published.sent(kind, written=False):,} {removed}"
        for label, kind, removed in (
            ("spend points", ldif.SERVICE_SPEND, "withdrawn"),
            ("department links", ldif.SERVICE_DEPARTMENT, "removed"),
            ("invoices", ldif.INVOICE, "removed"),
            ("recurring bills", ldif.RECURRING_BILL, "removed"),
            ("committed points", ldif.COMMITMENT, "withdrawn"),
        )
    ]
    lines.append(
        "LeanIX items this run changed (each counted once, as LeanIX holds it after the run): "
        + "; ".join(sent)
    )
    by_source = Counter(
        source
        for point, source in published.point_sources.items()
        if published.last_sent.get((ldif.SERVICE_SPEND, point))
    )
    if by_source:
        lines.append(
            "spend points this run wrote, by source: "
            + ", ".join(
                f"{source or 'none'} {count:,}" for source, count in sorted(by_source.items())
            )
        )
    runs = published.run_ids
    lines.append(
        f"LeanIX synchronization runs: {len(runs)} ({published.items_sent:,} items)"
        + (f": {', '.join(runs)}" if runs else "")
    )
    for part in (NOT_RECOGNISED, NOT_SOFTWARE):
        texts = this_run.texts.get(part, {})
        for currency in sorted({c for c, _text in texts}):
            top = sorted(
                ((text, a, n) for (c, text), (a, n) in texts.items() if c == currency),
                key=lambda entry: (-entry[1], entry[0]),
            )[:TOP_TEXTS]
            lines.append(
                f"{part} this run, top {len(top)} in {currency}: "
                + "; ".join(f"{money(a)} {text!r} ({int(n):,} lines)" for text, a, n in top)
            )
    return lines, warnings


def _cost_lines(ledger: Ledger, published: Summary, window: str, currency: str) -> list[str]:
    held = ledger.published_totals(ldif.SERVICE_COST, "costTotalAnnual")
    total, count = held.get("", (Decimal(0), 0))
    lines = [
        f"costTotalAnnual ({currency}, months {window}): {money(total)} {currency} over "
        f"{count:,} services in LeanIX"
    ]
    changes = {k: v for k, v in published.cost_changes.items() if v[0] != v[1]}
    if changes:
        new = sum(1 for before, _after in changes.values() if before is None)
        before = sum((b for b, _a in changes.values() if b is not None), Decimal(0))
        after = sum((a for _b, a in changes.values()), Decimal(0))
        lines.append(
            f"costTotalAnnual values changed by this run: {len(changes):,} services "
            f"({new:,} of them new), whose sum went from {money(before)} to {money(after)} "
            f"{currency} ({_signed(after - before)}); the other "
            f"{max(count - len(changes), 0):,} services keep their value"
        )
    else:
        lines.append("costTotalAnnual values changed by this run: none")
    same = len(published.cost_changes) - len(changes)
    if same:
        lines.append(
            f"costTotalAnnual re-sent with the same value on {same:,} services (their "
            "description changed: the window's spend left out for lack of a rate)"
        )
    left_out: dict[str, Decimal] = defaultdict(Decimal)
    for amounts in published.left_out.values():
        for code, amount in amounts.items():
            left_out[code] += amount
    if left_out:
        lines.append(
            f"left out of costTotalAnnual (no exchange rate to {currency} at all), in the "
            f"{len(published.left_out):,} services this run recomputed: "
            + ", ".join(f"{money(a)} {c}" for c, a in sorted(left_out.items()))
        )
    return lines

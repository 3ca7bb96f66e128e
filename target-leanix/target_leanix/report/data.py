"""What the review report shows, read from the ledger alone (so it works for a dry run too).

Money stays `Decimal` here; the rendering turns it into text. Lists are cut to `TOP` rows with the
total of the rest, so the page stays small however large the company.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from target_leanix.currency import Converter
from target_leanix.ledger import BooksPolicy, CostWindow, Ledger, SpendGroup
from target_leanix.mapping import SpendKind
from target_leanix.publisher import Change
from target_leanix.recognition import Match, Recognizer
from target_leanix.recognition.normalize import clean_descriptor, clip, normalize_descriptor
from target_leanix.report.model import (
    TOP,
    Amounts,
    Cut,
    InvoiceView,
    ReportData,
    ServiceView,
    TextMatch,
    add,
    cut,
)
from target_leanix.report.rules import RuleAdvisor

TOP_SERVICES = 40  # services with a section of their own; the others are totalled in the overview
LOW_CONFIDENCE = 0.9  # matches below this are listed for review
SOURCES = ("invoice", "payment", "card", "reimbursement", "journal")


def spend_source(group: SpendGroup) -> str:
    """Where a group of spend lines comes from: invoice, payment, card, reimbursement or journal."""
    return group.source


def _ranked_in(currency: str, rows: list[TextMatch]) -> Cut:
    """Rows ranked by their amount in one currency, cut to the top."""
    rows = sorted(rows, key=lambda r: (-r.amounts[currency], r.text))
    return cut(rows, lambda r: {currency: r.amounts[currency]})


_GROUP_KEYS: dict[str, str] = {}
_GROUP_KEYS_LIMIT = 20_000


def _group_key(text: str) -> str:
    """Descriptors and memos that differ only in references, store numbers and tails share one."""
    key = _GROUP_KEYS.get(text)
    if key is None:
        read = clip(text)
        key = normalize_descriptor(read) or clean_descriptor(read) or read.strip().lower()
        if len(_GROUP_KEYS) >= _GROUP_KEYS_LIMIT:
            _GROUP_KEYS.clear()  # card descriptors are mostly unique: keep memory flat
        _GROUP_KEYS[text] = key
    return key


class ReportReader:
    """Reads everything the report shows from one ledger."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        company: str,
        window: CostWindow,
        reporting_currency: str,
        recognizer: Recognizer,
        recognition: Mapping[str, Any] | None,
        recognition_fingerprint: str,
        books: BooksPolicy,
        converter: Converter,
    ) -> None:
        self.ledger = ledger
        self.books = books
        self.converter = converter
        self.company = company
        self.window = window
        self.currency = reporting_currency
        self.recognizer = recognizer
        self.advisor = RuleAdvisor(recognition, recognizer)
        self.fingerprint = recognition_fingerprint
        self._descriptor_matches: dict[str, Match] = {}

    def _vendors(self) -> list[sa.Row[Any]]:
        v = self.ledger.vendors
        with self.ledger.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(v.c.vendor_id, v.c.name, v.c.website, v.c.service_key)
                    .where(v.c.deleted.is_(False))
                    .order_by(v.c.vendor_id)
                )
            )

    def service_keys(self) -> list[str]:
        """Every service the ledger knows."""
        with self.ledger.engine.connect() as conn:
            return sorted(conn.execute(sa.select(self.ledger.services.c.service_key)).scalars())

    def owners(self) -> list[str]:
        """Every owner of LeanIX items: known services and departments, and anything published."""
        ledger = self.ledger
        with ledger.engine.connect() as conn:
            departments = conn.execute(sa.select(ledger.departments.c.department_id)).scalars()
            published = conn.execute(sa.select(ledger.published_items.c.owner).distinct()).scalars()
            found = {f"department:{d}" for d in departments} | set(published)
        found |= {f"service:{key}" for key in self.service_keys()}
        return sorted(found)

    def _match(self, kind: str, text: str) -> Match:
        cached = self._descriptor_matches.get(f"{kind}\0{text}")
        if cached is None:
            if kind == SpendKind.CARD.value:
                cached = self.recognizer.match_descriptor(text)
            else:
                cached = self.recognizer.match_text(text)
            self._descriptor_matches[f"{kind}\0{text}"] = cached
        return cached

    def _texts(self, groups: Iterable[SpendGroup], skip_vendors: set[str]) -> list[TextMatch]:
        """Spend groups folded by their normalised text (store numbers apart), with the verdict."""
        found: dict[tuple[str, str, str], TextMatch] = {}
        for group in groups:
            if group.vendor_id in skip_vendors:
                continue  # counted for its vendor, not for its text
            key = (group.kind, group.vendor_id, _group_key(group.text))
            entry = found.get(key)
            if entry is None:
                match = self._match(group.kind, group.text)
                entry = found[key] = TextMatch(
                    kind=group.kind,
                    key=group.text,
                    text=clip(group.text),
                    lines=0,
                    amounts={},
                    service_key=match.service.key if match.service else None,
                    service_name=match.service.name if match.service else "",
                    confidence=match.confidence,
                    reason=match.reason,
                    vendor_id=group.vendor_id,
                )
            entry.lines += group.lines
            add(entry.amounts, group.currency, group.amount)
        return list(found.values())

    def read(self, changes: list[Change], *, dry_run: bool, changes_pending: bool) -> ReportData:
        """Read the whole report; `changes` are the publisher's (sent, or pending if so said)."""
        ledger = self.ledger
        vendors = self._vendors()
        vendor_names = {row.vendor_id: row.name for row in vendors}
        service_vendors = {row.vendor_id for row in vendors if row.service_key}
        monthly: dict[str, dict[str, Amounts]] = defaultdict(lambda: defaultdict(dict))
        spend: Amounts = {}
        views: list[ServiceView] = []
        low: list[TextMatch] = []
        for key in self.service_keys():
            view, texts = self._service(key, vendors, service_vendors, monthly)
            if view is None:
                continue
            views.append(view)
            for currency, amount in view.spend.items():
                add(spend, currency, amount)
            for row in [*view.vendors, *texts]:
                if row.confidence < LOW_CONFIDENCE:
                    low.append(row)
        unattributed: Amounts = {}
        for group in ledger.spend_groups(None, books=self.books):
            add(unattributed, group.currency, group.amount)
            add(spend, group.currency, group.amount)
            add(monthly[group.currency][group.month], spend_source(group), group.amount)
        views.sort(key=lambda v: (-v.cost_total, -sum(v.spend.values()), v.name.casefold(), v.key))
        other = views[TOP_SERVICES:]
        other_cut = cut(other, lambda v: v.spend, top=0)
        low.sort(key=lambda r: (r.confidence, -r.lines, r.text))
        low_cut = cut(low, lambda r: r.amounts, top=3 * TOP)
        for row in low_cut.rows:  # only rows shown are advised: each check runs recognition again
            self._advise_low(row, vendor_names)
        return ReportData(
            company=self.company,
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            ledger=ledger.describe(),
            dry_run=dry_run,
            window=self.window,
            reporting_currency=self.currency,
            recognition_stale=ledger.get_meta("recognition") not in (None, self.fingerprint),
            spend=dict(sorted(spend.items())),
            unattributed=dict(sorted(unattributed.items())),
            monthly={c: dict(sorted(m.items())) for c, m in sorted(monthly.items())},
            services=views[:TOP_SERVICES],
            other_services=other_cut,
            low_confidence=low_cut,
            unattributed_texts=self._unattributed(
                ledger.spend_groups(None, by_text=True), vendor_names
            ),
            not_services=self._not_services(vendors),
            changes=changes,
            changes_pending=changes_pending,
        )

    def _service(
        self,
        key: str,
        vendors: list[sa.Row[Any]],
        service_vendors: set[str],
        monthly: dict[str, dict[str, Amounts]],
    ) -> tuple[ServiceView | None, list[TextMatch]]:
        ledger = self.ledger
        snapshot = ledger.service_snapshot(
            key, self.window, self.currency, converter=self.converter, books=self.books
        )
        if snapshot is None:
            return None, []
        own = [row for row in vendors if row.service_key == key]
        vendor_rows = []
        for row in own:
            match = self.recognizer.match_vendor(
                row.vendor_id,
                row.name,
                gl_accounts=ledger.vendor_accounts(row.vendor_id),
                website=row.website,
            )
            vendor_rows.append(
                TextMatch(
                    "vendor",
                    row.vendor_id,
                    clip(row.name),
                    0,
                    {},
                    key,
                    snapshot.service.name,
                    match.confidence,
                    match.reason,
                )
            )
        groups = ledger.spend_groups(key, books=self.books)
        spend: Amounts = {}
        months: dict[str, Amounts] = defaultdict(dict)
        departments: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for group in groups:
            add(spend, group.currency, group.amount)
            add(months[group.month], group.currency, group.amount)
            add(monthly[group.currency][group.month], spend_source(group), group.amount)
            departments[(group.department_id, group.currency)] += group.amount
        texts = self._texts(ledger.spend_groups(key, by_text=True), service_vendors)
        texts.sort(key=lambda t: (-t.lines, t.text))
        dept_rows = sorted(
            (
                (self._department_title(d), c, amount)
                for (d, c), amount in departments.items()
                if amount != 0
            ),
            key=lambda r: (-r[2], r[0], r[1]),
        )
        invoices = sorted(
            (
                InvoiceView(
                    i.object, i.recordno, i.number, i.date or "", i.amount, i.currency, i.status
                )
                for i in snapshot.invoices
            ),
            key=lambda i: (-i.amount, i.object, i.recordno),
        )
        published = ledger.published(f"service:{key}")
        held: dict[str, int] = defaultdict(int)
        held_cost = None
        for item in published.values():
            held[item.payload["type"]] += 1
            if item.payload["type"] == "ServiceCost":
                held_cost = str(item.payload["data"].get("costTotalAnnual"))
        view = ServiceView(
            key=key,
            name=snapshot.service.name,
            category=snapshot.service.category,
            provider=snapshot.service.provider,
            candidate=snapshot.service.candidate,
            cost_total=snapshot.cost_total,
            spend=dict(sorted(spend.items())),
            vendors=vendor_rows,
            texts=cut(texts, lambda t: t.amounts),
            departments=cut(dept_rows, lambda r: {r[1]: r[2]}),
            months={m: dict(sorted(a.items())) for m, a in sorted(months.items())},
            invoices=cut(invoices, lambda i: {i.currency: i.amount}),
            invoice_count=len(invoices),
            published=dict(sorted(held.items())),
            published_cost=held_cost,
        )
        return view, texts

    def _department_title(self, department_id: str) -> str:
        if not department_id:
            return "(no department)"
        known = self.ledger.department(department_id)
        return f"{known[0]} ({department_id})" if known else department_id

    def _advise_low(self, row: TextMatch, vendor_names: Mapping[str, str]) -> None:
        if row.kind == "vendor":
            row.rule = self.advisor.stop_vendor(row.key, vendor_names.get(row.key, row.text))
            row.rule_effect = "makes this vendor no service"
        elif row.kind == SpendKind.CARD.value:
            row.rule = self.advisor.stop_descriptor(row.key)
            row.rule_effect = "makes this descriptor no service"
        else:
            row.rule = self.advisor.stop_memo(row.key)
            row.rule_effect = "makes this memo no service"

    def _unattributed(
        self, groups: list[SpendGroup], vendor_names: Mapping[str, str]
    ) -> dict[str, Cut]:
        texts = self._texts(groups, set())
        by_currency: dict[str, list[TextMatch]] = defaultdict(list)
        for row in texts:
            for currency, amount in row.amounts.items():
                if amount != 0:
                    by_currency[currency].append(row)
        out = {}
        for currency, rows in sorted(by_currency.items()):
            ranked = _ranked_in(currency, rows)
            for row in ranked.rows:
                if not row.rule_effect:  # a text spent in several currencies is advised once
                    row.rule = self.advisor.for_unattributed(
                        row.kind, row.key, row.vendor_id, vendor_names.get(row.vendor_id, "")
                    )
                    row.rule_effect = (
                        "attributes this spend to a service"
                        if row.rule
                        else "none: a card descriptor can only be excluded; map its vendor instead"
                    )
            out[currency] = ranked
        return out

    def _not_services(self, vendors: list[sa.Row[Any]]) -> Cut:
        inv = self.ledger.invoices
        totals: dict[str, Amounts] = defaultdict(dict)
        with self.ledger.engine.connect() as conn:
            for row in conn.execute(
                sa.select(inv.c.vendor_id, inv.c.amount, inv.c.currency).where(
                    inv.c.deleted.is_(False)
                )
            ):
                if row.amount is not None:
                    add(totals[row.vendor_id], row.currency, Decimal(row.amount))
        rows = []
        for vendor in vendors:
            if vendor.service_key:
                continue
            match = self.recognizer.match_vendor(
                vendor.vendor_id,
                vendor.name,
                gl_accounts=self.ledger.vendor_accounts(vendor.vendor_id),
                website=vendor.website,
            )
            rows.append(
                TextMatch(
                    "vendor",
                    vendor.vendor_id,
                    clip(vendor.name),
                    0,
                    dict(sorted(totals.get(vendor.vendor_id, {}).items())),
                    None,
                    "",
                    match.confidence,
                    match.reason,
                )
            )
        # Ranked by the amount in the reporting currency, then by the others together: an order
        # only (the page shows each currency apart), as no rates between them are known here.
        rows.sort(
            key=lambda r: (
                -r.amounts.get(self.currency, Decimal(0)),
                -sum(r.amounts.values()),
                r.key,
            )
        )
        ranked = cut(rows, lambda r: r.amounts, top=3 * TOP)
        for row in ranked.rows:
            row.rule = self.advisor.make_vendor(row.key, row.text)
            row.rule_effect = "makes this vendor a service"
        return ranked

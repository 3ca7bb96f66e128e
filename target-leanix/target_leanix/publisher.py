"""Ledger -> LeanIX: recompute what is dirty, send only what changed, confirm only after LeanIX did.

One publication = the LDIF content for every dirty service and department, diffed against what LeanIX
already holds (`published` in the ledger), split into synchronization runs of at most
`max_items_per_run` items, fact-sheet items first. Each run is polled to its end; a FAILED run (or one
with ERROR warnings) raises with LeanIX's own messages and nothing is confirmed, so the dirty marks stay
and the next run sends the same items again (every item is an idempotent upsert by external ID).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from target_leanix import insights, ldif
from target_leanix.currency import Converter, FallbackRates, RateEntry, rate_book
from target_leanix.leanix import LeanIXClient, LeanIXRunFailedError, dumps
from target_leanix.ledger import (
    SCHEMA_VERSION,
    UNCONFIRMED,
    BooksPolicy,
    CostWindow,
    Ledger,
    LedgerError,
    PublishedItem,
    digest,
)
from target_leanix.private_files import open_private

LOGGER = logging.getLogger("target_leanix.publisher")


class LedgerMissingError(RuntimeError):
    """A fresh ledger over a workspace holding the company's data, without ledger_rebuild."""


class DuplicateIdError(LedgerError):
    """Two different items would carry one LeanIX ID; raised before anything is sent."""


class Writer(Protocol):
    """Where publication sends each LDIF: LeanIX runs, or a dry-run file."""

    def prepare(self) -> None:
        """Store the processor configuration once, before the first LDIF."""

    def write(self, document: dict[str, Any]) -> str:
        """Send one LDIF and wait until it is processed; returns the run ID."""

    def has_written_before(self) -> bool:
        """True when the destination already holds data of this company (a configuration exists)."""


class LeanIXWriter:
    """Writes LDIFs as Integration API synchronization runs and waits for each to finish."""

    def __init__(self, client: LeanIXClient, company: str, *, fail_on_errors: bool = True) -> None:
        self.client = client
        self.company = company
        self.fail_on_errors = fail_on_errors
        self._prepared = False

    def prepare(self) -> None:
        """PUT the processor configuration, once per run (an idempotent upsert)."""
        if not self._prepared:
            self.client.put_configuration(ldif.processor_configuration(self.company))
            self._prepared = True

    def write(self, document: dict[str, Any]) -> str:
        """Run the LDIF to its end; FAILED, or ERROR warnings with fail_on_run_errors, raise."""
        self.prepare()
        run_id = self.client.start_run(document)
        LOGGER.info(
            "LeanIX synchronization run %s started with %d items", run_id, len(document["content"])
        )
        result = self.client.wait_for_run(run_id)
        errors = [w for w in result.warnings if str(w.get("status", "")).upper() == "ERROR"]
        for warning in result.warnings:
            if warning not in errors:
                LOGGER.warning("LeanIX run %s warning: %s", run_id, warning.get("message"))
        if errors and self.fail_on_errors:
            raise LeanIXRunFailedError(
                run_id, "FINISHED with errors", [str(e.get("message", e)) for e in errors]
            )
        return run_id

    def has_written_before(self) -> bool:
        """True when this company's processor configuration exists: a real run wrote here before."""
        return bool(self.client.configurations(ldif.binding(self.company)))


class DryRunWriter:
    """Writes each LDIF as one JSON line to a file instead of calling LeanIX, and the processor
    configuration LeanIX would get beside it (`<name>.processors.json`), both for their owner's eyes
    only (`private_files`)."""

    def __init__(self, path: Path, company: str) -> None:
        self.path = path
        self.company = company
        self.count = 0
        self._prepared = False

    @property
    def configuration_path(self) -> Path:
        """The processor configuration file beside the LDIF file: `<name>.processors.json`."""
        return self.path.with_name(f"{self.path.name.split('.')[0]}.processors.json")

    def prepare(self) -> None:
        """Write the processor configuration file (owner-only), once per run."""
        if self._prepared:
            return
        configuration = ldif.processor_configuration(self.company)
        with open_private(self.configuration_path, append=False) as out:
            out.write(json.dumps(configuration, indent=2) + "\n")
        self._prepared = True

    def write(self, document: dict[str, Any]) -> str:
        """Append the LDIF as one JSON line; returns a made-up run ID `dry-run-<n>`."""
        self.prepare()
        with open_private(self.path, append=True) as out:
            out.write(dumps(document) + "\n")
        self.count += 1
        return f"dry-run-{self.count}"

    def has_written_before(self) -> bool:
        """Always False: a dry run has no workspace whose totals it could overwrite."""
        return False  # a dry run has no workspace to protect


@dataclass
class Summary:
    """What this run did, for the final log lines."""

    services_created: set[str] = field(default_factory=set)
    # Services LeanIX held before this run whose fact sheets changed (never one created this run).
    services_updated: set[str] = field(default_factory=set)
    departments_written: set[str] = field(default_factory=set)
    # Application external ID -> (costTotalAnnual LeanIX held before this run or None, latest sent)
    cost_changes: dict[str, tuple[Decimal | None, Decimal]] = field(default_factory=dict)
    # Service key -> window spend without any rate to the reporting currency, per currency, as last
    # computed (so a service published at several checkpoints is counted once).
    left_out: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    # (kind, external ID) -> whether the last item this run sent for it wrote it (or removed it):
    # an item sent at several checkpoints of one run counts once, as what LeanIX holds after it.
    last_sent: dict[tuple[str, str], bool] = field(default_factory=dict)
    # Spend point external ID -> its source (invoice, payment, card, reimbursement, journal).
    point_sources: dict[str, str] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)
    items_sent: int = 0
    insights: insights.InsightTally = field(default_factory=insights.InsightTally)

    def sent(self, kind: str, *, written: bool) -> int:
        """Items of `kind` (`SENT_KINDS`) this run left written (or removed) in LeanIX."""
        return sum(1 for (k, _id), w in self.last_sent.items() if k == kind and w == written)


@dataclass(frozen=True)
class Change:
    """One item a publication creates, updates or removes in LeanIX (plain payloads: Decimals as text)."""

    action: str  # "create", "update" or "remove"
    owner: str
    item_type: str  # the LDIF content type of the item LeanIX holds or will hold
    item_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


#: Default of the setting max_items_per_run (the target's settings schema uses it).
DEFAULT_MAX_ITEMS_PER_RUN = 5000


@dataclass
class PublishSettings:
    """What publication needs of the settings: company, cost window, currency, run size."""

    company: str
    window: CostWindow
    reporting_currency: str
    record_url_template: str
    max_items_per_run: int = DEFAULT_MAX_ITEMS_PER_RUN
    ledger_rebuild: bool = False
    books: BooksPolicy = field(default_factory=BooksPolicy)
    fallback_rates: FallbackRates = field(default_factory=FallbackRates)
    exchange_rate_type: str | None = None
    # Left out: no insight items (the target's own runs pass the configured ones).
    insight_settings: insights.InsightSettings = field(
        default_factory=insights.InsightSettings.none
    )


class Publisher:
    """Ledger -> LeanIX: recompute dirty services and departments, send only what changed."""

    def check_fresh_ledger(self) -> None:
        """A fresh ledger cannot know the totals LeanIX already holds: refuse unless rebuilding.

        Runs before the first batch touches the ledger, so a refused run leaves it as it was."""
        if self.ledger.get_meta("workspace_checked") is not None:
            return
        with self.ledger.lock.hold():
            # A partition sharing this fresh ledger may have checked, and published, meanwhile.
            if self.ledger.get_meta("workspace_checked") is None:
                self._check_workspace()

    def _check_workspace(self) -> None:
        if self.writer.has_written_before():
            if not self.settings.ledger_rebuild:
                raise LedgerMissingError(
                    f"the ledger at {self.ledger.describe()} is new, but LeanIX already holds data "
                    f"of company {self.settings.company!r} (its processor configuration exists): "
                    "the ledger was lost or replaced, and totals built from this run alone would be "
                    "wrong. Restore the ledger, or rerun the tap from the start (no state) with "
                    "ledger_rebuild=true"
                )
            LOGGER.warning(
                "ledger_rebuild: building a new ledger over company %r's existing LeanIX data",
                self.settings.company,
            )
        self.ledger.set_meta("workspace_checked", "yes")

    def __init__(
        self,
        ledger: Ledger,
        writer: Writer,
        settings: PublishSettings,
        *,
        lifecycle_reader: insights.LifecycleReader | None = None,
    ) -> None:
        self.ledger = ledger
        self.writer = writer
        self.settings = settings
        # Reads the lifecycle dates LeanIX holds (None: a dry run, which cannot read LeanIX).
        self.lifecycle_reader = lifecycle_reader
        self._no_email: set[str] = set()  # employees whose missing e-mail was logged
        self.ids = ldif.ExternalIds(settings.company)
        self.summary = Summary()
        # Every change this run's publications sent (a dry run: would send), for the plan and report.
        self.changes: list[Change] = []
        self._batches = 0
        self._converter: Converter | None = None
        self._converter_entries: list[RateEntry] = []
        if self.ledger.upgrade(self._previous_items) is not None:
            # Ledgers before schema 4 kept of a bill line only its GL account, no AP payment
            # details, and no card account (FINANCIALENTITY, RECORDID) of a card transaction:
            # invoice and cash spend, and the card-paid rule, need them once.
            LOGGER.warning(
                "ledger upgraded to schema %s: sync streams ap_bill_item, ap_payment_detail, "
                "ap_payment and cc_transaction once from the start (full refresh) so bills and "
                "payments count as spend and card-paid bills count once",
                SCHEMA_VERSION,
            )

    def converter(self) -> Converter:
        """Intacct's rates as the ledger holds them now, the `rates` setting as fallback."""
        entries = self.ledger.live_rates()
        if self._converter is None or self._converter_entries != entries:
            self._converter_entries = entries
            self._converter = Converter(
                self.settings.reporting_currency,
                rate_book(entries, self.settings.exchange_rate_type),
                self.settings.fallback_rates,
            )
        return self._converter

    def _previous_items(self, owner: str) -> list[dict[str, Any]]:
        """What ledger schema 1 published for an owner (`Ledger.upgrade`)."""
        legacy = ldif.LegacyExternalIds(self.settings.company)
        return [_plain(item) for item in self._desired(owner, legacy)]

    def _desired(self, owner: str, ids: ldif.ExternalIds) -> list[dict[str, Any]]:
        """Every item LeanIX should hold for one owner (`service:<key>` or `department:<id>`)."""
        kind, _, key = owner.partition(":")
        if kind == "department":
            known = self.ledger.department(key)
            if known is None or known[1]:
                return []
            return [ldif.department_item(ids, key, known[0])]
        snapshot = self.ledger.service_snapshot(
            key,
            self.settings.window,
            self.settings.reporting_currency,
            converter=self.converter(),
            books=self.settings.books,
        )
        if snapshot is None:
            return []
        if ids is self.ids:
            # Reported once per run, in the summary, instead of once per service and checkpoint.
            if snapshot.unconvertible:
                self.summary.left_out[key] = dict(snapshot.unconvertible)
            else:
                self.summary.left_out.pop(key, None)
        items = ldif.service_items(
            snapshot, ids, record_url_template=self.settings.record_url_template
        )
        if ids is self.ids:  # insights came after ledger schema 1: nothing to upgrade
            groups = self.ledger.spend_groups(key, books=self.settings.books)
            items += insights.service_insight_items(
                snapshot, groups, ids, self.settings.insight_settings, owner_email=self._owner(key)
            )
        return items

    def _owner(self, service_key: str) -> str:
        """The e-mail of the service's most frequent buyer ("" for none, or with owners off)."""
        if not self.settings.insight_settings.owners:
            return ""
        buyer = self.ledger.top_buyer(service_key, self.settings.window)
        if buyer is None:
            return ""
        employee_id, email = buyer
        if not email and employee_id not in self._no_email:
            # Never an invented address: no e-mail in Intacct, no subscription.
            self._no_email.add(employee_id)
            LOGGER.warning(
                "insight_owners: employee EMPLOYEEID=%s buys service %s most often but has no "
                "e-mail in Intacct (EMPLOYEE PERSONALINFO.EMAIL1) or is inactive: no owner "
                "subscription",
                employee_id[:60],
                service_key,
            )
        return email

    def publish(self) -> int:
        """Send what the dirty marks say changed; the number of LDIF items sent (0: nothing).

        Under the ledger's lock, from reading the dirty marks to clearing them: partitions sharing
        the ledger publish one at a time, each from the latest committed ledger (`ledger.locking`)."""
        with self.ledger.lock.hold():
            return self._publish()

    def _publish(self) -> int:
        service_keys = self.ledger.dirty_keys("service")
        department_ids = self.ledger.dirty_keys("department")
        if not service_keys and not department_ids:
            return 0
        to_send: list[PublishedItem] = []
        removed: list[tuple[str, str]] = []
        content: list[dict[str, Any]] = []
        new_services: set[str] = set()  # external IDs of services LeanIX held nothing of
        desired_by_owner: dict[str, list[dict[str, Any]]] = {}

        owners = [f"department:{d}" for d in department_ids] + [
            f"service:{k}" for k in service_keys
        ]
        for owner in owners:
            desired_by_owner[owner] = self._desired(owner, self.ids)
        insights.settle_lifecycles(desired_by_owner, self.ledger.published, self.lifecycle_reader)
        for owner in owners:
            desired = desired_by_owner[owner]
            # A dirty service the ledger no longer knows was retired: its key moved
            # (`Ledger.retire_services`), so its fact sheets are archived like any under a former ID.
            retired = not desired and owner.startswith("service:")
            if not self._diff(
                owner, desired, to_send, removed, content, changes=self.changes, retired=retired
            ) and owner.startswith("service:"):
                new_services.add(self.ids.service(owner.removeprefix("service:")))

        cleared = [("service", k) for k in service_keys] + [
            ("department", k) for k in department_ids
        ]
        self._check_unique(desired_by_owner)
        if content:
            self.ledger.begin_publication(to_send)
            self._write(content)
        self.ledger.confirm(sent=to_send, removed=removed, cleared=cleared)
        self._tally(content, new_services)
        return len(content)

    def pending_changes(self, owners: list[str]) -> list[Change]:
        """What a publication of these owners would change in LeanIX now: the ledger's items
        recomputed and diffed against `published` as `publish` does, with nothing sent or recorded."""
        changes: list[Change] = []
        desired_by_owner = {owner: self._desired(owner, self.ids) for owner in owners}
        insights.settle_lifecycles(desired_by_owner, self.ledger.published, None)
        for owner in owners:
            desired = desired_by_owner[owner]
            retired = not desired and owner.startswith("service:")
            self._diff(owner, desired, [], [], [], changes=changes, retired=retired)
        return changes

    def _check_unique(self, desired_by_owner: dict[str, list[dict[str, Any]]]) -> None:
        """Fail, naming both, when two items of what LeanIX will hold after this publication (these
        owners' items and every other owner's published ones) would carry one ID."""
        claimed: dict[str, tuple[int, str]] = {}

        def claim(owner: str, item: dict[str, Any]) -> None:
            record = f"{owner} ({_plain(item)['data']})"[:300]
            for identity in ldif.identities(item):
                first = claimed.setdefault(identity, (id(item), record))
                if first[0] != id(item):
                    raise DuplicateIdError(
                        f"two items would carry the LeanIX ID {identity.partition('|')[2]!r}: "
                        f"{first[1]} and {record}; nothing was sent"
                    )

        for owner, desired in desired_by_owner.items():
            for item in desired:
                claim(owner, item)
        candidates = {key for identity in claimed for key in ldif.holders(identity)}
        for held in self.ledger.published_with_keys(candidates):
            if held.owner not in desired_by_owner:
                claim(held.owner, held.payload)

    def _diff(
        self,
        owner: str,
        desired: list[dict[str, Any]],
        to_send: list[PublishedItem],
        removed: list[tuple[str, str]],
        content: list[dict[str, Any]],
        *,
        changes: list[Change],
        retired: bool = False,
    ) -> bool:
        """Queue what changed for one owner (and describe it in `changes`); True when LeanIX held
        anything of it before."""
        published = self.ledger.published(owner)
        wanted_keys = set()
        for item in desired:
            key = ldif.item_key(item)
            wanted_keys.add(key)
            plain = _plain(item)
            item_digest = digest(plain)
            current = published.get(key)
            if current is not None and current.digest == item_digest:
                continue
            if item["type"] == ldif.SERVICE_COST:
                self._note_cost(item, current)
            unlink = None if current is None else ldif.provider_change_item(current.payload, item)
            if unlink is not None:
                content.append(unlink)
            to_send.append(PublishedItem(owner, key, item_digest, plain))
            content.append(item)
            action = "create" if current is None else "update"
            before = None if current is None else current.payload
            changes.append(Change(action, owner, item["type"], item["id"], before, plain))
        for key, current in published.items():
            if key in wanted_keys:
                continue
            replaced = retired or any(item["type"] == current.payload["type"] for item in desired)
            undo = ldif.removal_item(current.payload, replaced=replaced)
            if undo is not None:
                content.append(undo)
                changes.append(
                    Change(
                        "remove",
                        owner,
                        current.payload["type"],
                        current.payload["id"],
                        current.payload,
                        None,
                    )
                )
            removed.append((owner, key))
        return bool(published)

    def _note_cost(self, item: dict[str, Any], current: PublishedItem | None) -> None:
        """Remember a service's costTotalAnnual before this run (the first time the run changes it)
        and the latest value sent, so the summary shows how the changed ones moved."""
        service_id = str(item["data"]["serviceId"])
        before: Decimal | None = None
        if service_id in self.summary.cost_changes:
            before = self.summary.cost_changes[service_id][0]
        elif current is not None and current.digest != UNCONFIRMED:
            before = Decimal(str(current.payload["data"]["costTotalAnnual"]))
        after = Decimal(str(item["data"]["costTotalAnnual"]))
        self.summary.cost_changes[service_id] = (before, after)

    def _write(self, content: list[dict[str, Any]]) -> None:
        # Runs of removals first, while the fact sheets they name are active; then runs that archive
        # fact sheets under former IDs, before anything may take such an ID; then the rest, fact
        # sheets before what refers to them.
        removals = [i for i in content if i["type"] in ldif.REMOVAL_TYPES]
        retired = [i for i in content if i["type"] in ldif.RETIRED_TYPES]
        first = [i for i in content if i["type"] in ldif.FACT_SHEET_TYPES]
        done = ldif.REMOVAL_TYPES | ldif.RETIRED_TYPES | ldif.FACT_SHEET_TYPES
        rest = [i for i in content if i["type"] not in done]
        for ordered in (removals, retired, first + rest):
            self._write_runs(ordered)

    def _write_runs(self, ordered: list[dict[str, Any]]) -> None:
        size = max(self.settings.max_items_per_run, 1)
        for start in range(0, len(ordered), size):
            self._batches += 1
            chunk = ordered[start : start + size]
            document = ldif.ldif(
                self.settings.company,
                chunk,
                f"Sage Intacct SaaS spend of {self.settings.company}, batch {self._batches}",
            )
            run_id = self.writer.write(document)
            self.summary.run_ids.append(run_id)
            self.summary.items_sent += len(chunk)

    def _tally(self, content: list[dict[str, Any]], new_services: set[str]) -> None:
        s = self.summary
        for item in content:
            kind = item["type"]
            if kind == ldif.SERVICE:
                # A service created at an earlier checkpoint of this run and changed at a later one
                # is still one created by this run.
                if item["id"] in new_services:
                    s.services_created.add(item["id"])
                elif item["id"] not in s.services_created:
                    s.services_updated.add(item["id"])
            elif kind == ldif.DEPARTMENT:
                s.departments_written.add(item["id"])
            elif kind in SENT_KINDS:
                written_kind, written = SENT_KINDS[kind]
                s.last_sent[(written_kind, item["id"])] = written
                if kind == ldif.SERVICE_SPEND:
                    s.point_sources[item["id"]] = str(item["data"].get("source", ""))
            else:
                s.insights.count(item)


#: Item type -> (the kind the summary counts it under, True when it writes, False when it removes).
SENT_KINDS = {
    ldif.SERVICE_SPEND: (ldif.SERVICE_SPEND, True),
    ldif.SERVICE_SPEND_REMOVED: (ldif.SERVICE_SPEND, False),
    ldif.SERVICE_SPEND_UNSOURCED_REMOVED: (ldif.SERVICE_SPEND, False),
    ldif.INVOICE: (ldif.INVOICE, True),
    ldif.INVOICE_REMOVED: (ldif.INVOICE, False),
    ldif.SERVICE_DEPARTMENT: (ldif.SERVICE_DEPARTMENT, True),
    ldif.SERVICE_DEPARTMENT_REMOVED: (ldif.SERVICE_DEPARTMENT, False),
    ldif.RECURRING_BILL: (ldif.RECURRING_BILL, True),
    ldif.RECURRING_BILL_REMOVED: (ldif.RECURRING_BILL, False),
    ldif.COMMITMENT: (ldif.COMMITMENT, True),
    ldif.COMMITMENT_REMOVED: (ldif.COMMITMENT, False),
}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """The item with Decimals as exact text: what the ledger stores and hashes."""
    data = {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in item["data"].items()}
    return {"type": item["type"], "id": item["id"], "data": data}

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
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from target_leanix import ldif
from target_leanix.leanix import LeanIXClient, LeanIXRunFailedError, dumps
from target_leanix.ledger import CostWindow, Ledger, PublishedItem, digest

LOGGER = logging.getLogger("target_leanix.publisher")


class LedgerMissingError(RuntimeError):
    pass


class Writer(Protocol):
    def prepare(self) -> None: ...

    def write(self, document: dict[str, Any]) -> str: ...

    def has_written_before(self) -> bool: ...


class LeanIXWriter:
    """Writes LDIFs as Integration API synchronization runs and waits for each to finish."""

    def __init__(self, client: LeanIXClient, company: str, *, fail_on_errors: bool = True) -> None:
        self.client = client
        self.company = company
        self.fail_on_errors = fail_on_errors
        self._prepared = False

    def prepare(self) -> None:
        if not self._prepared:
            self.client.put_configuration(ldif.processor_configuration(self.company))
            self._prepared = True

    def write(self, document: dict[str, Any]) -> str:
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
    configuration LeanIX would get beside it (`<name>.processors.json`)."""

    def __init__(self, path: Path, company: str) -> None:
        self.path = path
        self.company = company
        self.count = 0
        self._prepared = False

    @property
    def configuration_path(self) -> Path:
        return self.path.with_name(f"{self.path.name.split('.')[0]}.processors.json")

    def prepare(self) -> None:
        if self._prepared:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        configuration = ldif.processor_configuration(self.company)
        self.configuration_path.write_text(json.dumps(configuration, indent=2) + "\n")
        self._prepared = True

    def write(self, document: dict[str, Any]) -> str:
        self.prepare()
        with self.path.open("a", encoding="utf-8") as out:
            out.write(dumps(document) + "\n")
        self.count += 1
        return f"dry-run-{self.count}"

    def has_written_before(self) -> bool:
        return False  # a dry run has no workspace to protect


@dataclass
class Summary:
    """What this run did, for the final log lines."""

    services_created: set[str] = field(default_factory=set)
    services_updated: set[str] = field(default_factory=set)
    departments_written: set[str] = field(default_factory=set)
    cost_totals: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    spend_points_written: int = 0
    spend_points_removed: int = 0
    invoices_written: int = 0
    invoices_removed: int = 0
    department_links_written: int = 0
    department_links_removed: int = 0
    run_ids: list[str] = field(default_factory=list)
    items_sent: int = 0


@dataclass
class PublishSettings:
    company: str
    window: CostWindow
    reporting_currency: str
    record_url_template: str
    max_items_per_run: int = 5000
    ledger_rebuild: bool = False


class Publisher:
    def check_fresh_ledger(self) -> None:
        """A fresh ledger cannot know the totals LeanIX already holds: refuse unless rebuilding.

        Runs before the first batch touches the ledger, so a refused run leaves it as it was."""
        if self.ledger.get_meta("workspace_checked") is not None:
            return
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

    def __init__(self, ledger: Ledger, writer: Writer, settings: PublishSettings) -> None:
        self.ledger = ledger
        self.writer = writer
        self.settings = settings
        self.ids = ldif.ExternalIds(settings.company)
        self.summary = Summary()
        self._batches = 0

    def publish(self) -> None:
        service_keys = self.ledger.dirty_keys("service")
        department_ids = self.ledger.dirty_keys("department")
        if not service_keys and not department_ids:
            return
        to_send: list[PublishedItem] = []
        removed: list[tuple[str, str]] = []
        content: list[dict[str, Any]] = []
        new_services: set[str] = set()  # external IDs of services LeanIX held nothing of

        for department_id in department_ids:
            owner = f"department:{department_id}"
            known = self.ledger.department(department_id)
            desired = []
            if known is not None and not known[1]:
                desired = [ldif.department_item(self.ids, department_id, known[0])]
            self._diff(owner, desired, to_send, removed, content)

        for service_key in service_keys:
            owner = f"service:{service_key}"
            snapshot = self.ledger.service_snapshot(
                service_key, self.settings.window, self.settings.reporting_currency
            )
            desired = (
                []
                if snapshot is None
                else ldif.service_items(
                    snapshot, self.ids, record_url_template=self.settings.record_url_template
                )
            )
            if not self._diff(owner, desired, to_send, removed, content):
                new_services.add(self.ids.service(service_key))
            if snapshot is not None and snapshot.unconvertible:
                LOGGER.warning(
                    "service %s: window spend without a rate to %s left out of costTotalAnnual: %s",
                    service_key,
                    self.settings.reporting_currency,
                    {c: format(v, "f") for c, v in snapshot.unconvertible.items()},
                )

        cleared = [("service", k) for k in service_keys] + [
            ("department", k) for k in department_ids
        ]
        if content:
            self._write(content)
        self.ledger.confirm(sent=to_send, removed=removed, cleared=cleared)
        self._tally(content, new_services)

    def _diff(
        self,
        owner: str,
        desired: list[dict[str, Any]],
        to_send: list[PublishedItem],
        removed: list[tuple[str, str]],
        content: list[dict[str, Any]],
    ) -> bool:
        """Queue what changed for one owner; True when LeanIX held anything of it before."""
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
            to_send.append(PublishedItem(owner, key, item_digest, plain))
            content.append(item)
        for key, current in published.items():
            if key in wanted_keys:
                continue
            undo = ldif.removal_item(current.payload)
            if undo is not None:
                content.append(undo)
            removed.append((owner, key))
        return bool(published)

    def _write(self, content: list[dict[str, Any]]) -> None:
        first = [i for i in content if i["type"] in ldif.FACT_SHEET_TYPES]
        rest = [i for i in content if i["type"] not in ldif.FACT_SHEET_TYPES]
        ordered = first + rest
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
            kind, data = item["type"], item["data"]
            if kind == ldif.SERVICE:
                (s.services_created if item["id"] in new_services else s.services_updated).add(
                    item["id"]
                )
            elif kind == ldif.SERVICE_COST:
                s.cost_totals[self.settings.reporting_currency] += Decimal(
                    str(data["costTotalAnnual"])
                )
            elif kind == ldif.DEPARTMENT:
                s.departments_written.add(item["id"])
            elif kind == ldif.SERVICE_SPEND:
                s.spend_points_written += 1
            elif kind == ldif.SERVICE_SPEND_REMOVED:
                s.spend_points_removed += 1
            elif kind == ldif.INVOICE:
                s.invoices_written += 1
            elif kind == ldif.INVOICE_REMOVED:
                s.invoices_removed += 1
            elif kind == ldif.SERVICE_DEPARTMENT:
                s.department_links_written += 1
            elif kind == ldif.SERVICE_DEPARTMENT_REMOVED:
                s.department_links_removed += 1


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """The item with Decimals as exact text: what the ledger stores and hashes."""
    data = {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in item["data"].items()}
    return {"type": item["type"], "id": item["id"], "data": data}

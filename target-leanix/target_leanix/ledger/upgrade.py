"""Upgrades between schema versions (1 -> 2 -> 3 -> 4) and retiring service keys that moved."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from target_leanix.ledger.base import LedgerBase
from target_leanix.ledger.model import (
    UNCONFIRMED,
    chunks,
)
from target_leanix.ledger.tables import RECOGNITION_KEYS_CHANGED, SCHEMA_VERSION
from target_leanix.mapping import SpendKind


class UpgradeMixin(LedgerBase):
    """Bringing a ledger of an earlier schema to this one, and retiring the service keys it left."""

    def upgrade(self, previous_items: Callable[[str], list[dict[str, Any]]]) -> str | None:
        """Bring a ledger of schema 1, 2 or 3 to this version; a no-op on a fresh or current ledger.

        Every owner LeanIX holds items of is marked dirty: the next publication sends them under the
        new IDs, and the usual diff with `published` removes the items under old IDs (a fact sheet
        whose ID changed is archived, `ldif.removal_item`). Service keys may have moved too (schema
        3): the recognition fingerprint is set to `RECOGNITION_KEYS_CHANGED`, so the next run
        recognises the ledger again and retires the keys nothing is left on.

        From schema 1 (external IDs of raw parts), an owner still dirty may have had items sent that
        LeanIX took but never confirmed (a run that failed, e.g. on two items with one ID):
        `previous_items(owner)` are the items schema 1 sent for it (`owner` as in `published`),
        recorded as unconfirmed so that they too are replaced or removed. Schema 2 recorded such
        items itself (`begin_publication`). Returns the schema upgraded from, or None."""
        version = self.get_meta("schema_version")
        if version not in ("1", "2", "3"):
            return None
        self._headers_from_invoices()
        if version == "3":
            self._upgrade_spend_sources()
            return version
        table = self.published_items
        with self.engine.connect() as conn:
            dirty = [f"{r.kind}:{r.key}" for r in conn.execute(sa.select(self.dirty))]
            held = {(r.owner, r.item_key) for r in conn.execute(sa.select(table))}
        if version != "1":
            dirty = []
        unconfirmed: dict[tuple[str, str], dict[str, Any]] = {}
        for owner in dirty:
            for payload in previous_items(owner):
                key = (owner, f"{payload['type']}|{payload['id']}")
                if key not in held:
                    unconfirmed.setdefault(key, payload)
        with self._tx() as conn:
            # What LeanIX confirmed of a dirty owner may since have been overwritten by a send it
            # never confirmed: send it again.
            for chunk in chunks(dirty):
                conn.execute(
                    sa.update(table).where(table.c.owner.in_(chunk)).values(digest=UNCONFIRMED)
                )
            if unconfirmed:
                conn.execute(
                    sa.insert(table),
                    [
                        {
                            "owner": owner,
                            "item_key": item_key,
                            "digest": UNCONFIRMED,
                            "payload": json.dumps(payload, sort_keys=True, default=str),
                        }
                        for (owner, item_key), payload in unconfirmed.items()
                    ],
                )
            owners = {owner for owner, _key in held}
            for kind in ("service", "department"):
                self._mark(
                    conn,
                    kind,
                    [o.removeprefix(f"{kind}:") for o in owners if o.startswith(f"{kind}:")],
                )
            self._set_meta(conn, "recognition", RECOGNITION_KEYS_CHANGED)
            self._set_meta(conn, "schema_version", SCHEMA_VERSION)
        return version

    def _headers_from_invoices(self) -> None:
        """Bills and AP payments are also the headers of their lines' spend since schema 4: derive
        those headers from the invoices an older ledger holds (state, vendor, date), so re-synced
        bill lines and payment details find them. A payment's method, card account and paid date
        arrive when `ap_payment` is synced again."""
        invoices, headers = self.invoices, self.headers
        kinds = {"APBILL": SpendKind.BILL.value, "APPYMT": SpendKind.PAYMENT.value}
        with self._tx() as conn:
            present = {
                (row.kind, row.recordno)
                for row in conn.execute(
                    sa.select(headers.c.kind, headers.c.recordno).where(
                        headers.c.kind.in_(list(kinds.values()))
                    )
                )
            }
            rows = [
                {
                    "kind": kinds[row.object],
                    "recordno": row.recordno,
                    "descriptor": "",
                    "state": row.status,
                    "deleted": bool(row.deleted),
                    "service_key": None,
                    "vendor_id": row.vendor_id,
                    "doc_date": row.date,
                    "base_currency": None,
                    "entity": None,
                    "document": None,
                    "method": None,
                    "module": None,
                }
                for row in conn.execute(
                    sa.select(invoices).where(invoices.c.object.in_(list(kinds)))
                )
                if (kinds[row.object], row.recordno) not in present
            ]
            if rows:
                conn.execute(sa.insert(headers), rows)

    def _upgrade_spend_sources(self) -> None:
        """Schema 3 -> 4: spend points now carry their source. Every service LeanIX holds items of
        is published again: the usual diff with `published` removes each point sent without a
        source (`ldif.removal_item`) and sends the points per source in its place."""
        table = self.published_items
        with self._tx() as conn:
            owners = set(conn.execute(sa.select(table.c.owner).distinct()).scalars())
            self._mark(
                conn,
                "service",
                [o.removeprefix("service:") for o in owners if o.startswith("service:")],
            )
            self._set_meta(conn, "schema_version", SCHEMA_VERSION)

    def retire_services(self, moved: Callable[[str, str], bool]) -> list[str]:
        """Forget the services whose key moved (`moved(key, name)`) and on which nothing live is left,
        and mark them dirty: the next publication removes their items and archives their fact sheets
        (`Publisher`), as for any ID that changed. Returns the keys retired."""
        vendors, headers, lines = self.vendors, self.headers, self.lines
        in_use = sa.union(
            sa.select(vendors.c.service_key).where(vendors.c.deleted.is_(False)),
            sa.select(headers.c.service_key).where(headers.c.deleted.is_(False)),
            sa.select(lines.c.service_key).where(lines.c.deleted.is_(False)),
            sa.select(lines.c.own_service_key).where(lines.c.deleted.is_(False)),
        )
        with self._tx() as conn:
            used = set(conn.execute(in_use).scalars())
            retired = [
                row.service_key
                for row in conn.execute(
                    sa.select(self.services.c.service_key, self.services.c.name)
                )
                if row.service_key not in used and moved(row.service_key, row.name)
            ]
            for chunk in chunks(retired):
                conn.execute(sa.delete(self.services).where(self.services.c.service_key.in_(chunk)))
            self._mark(conn, "service", retired)
        for key in retired:
            self._services_this_batch.pop(key, None)
        return retired

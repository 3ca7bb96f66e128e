"""Publication bookkeeping: the items LeanIX holds, per owner, and the dirty marks to clear."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from target_leanix.ledger.base import LedgerBase
from target_leanix.ledger.model import (
    UNCONFIRMED,
    LedgerRefusedError,
    PublishedItem,
    chunks,
    payload_text,
)


class PublicationMixin(LedgerBase):
    """What LeanIX holds (published items) and what must be sent again (dirty marks)."""

    def dirty_keys(self, kind: str) -> list[str]:
        """Keys marked dirty of one kind (`service` or `department`), sorted."""
        with self.engine.connect() as conn:
            return sorted(
                conn.execute(sa.select(self.dirty.c.key).where(self.dirty.c.kind == kind)).scalars()
            )

    def mark_all_services_dirty(self) -> None:
        """Mark every known service dirty, so the next publication recomputes them all."""
        with self._tx() as conn:
            self._mark(
                conn, "service", conn.execute(sa.select(self.services.c.service_key)).scalars()
            )

    def published(self, owner: str) -> dict[str, PublishedItem]:
        """What LeanIX holds for one owner (`service:<key>`, `department:<id>`), by item key."""
        with self.engine.connect() as conn:
            return {
                row.item_key: PublishedItem(
                    row.owner, row.item_key, row.digest, json.loads(row.payload)
                )
                for row in conn.execute(
                    sa.select(self.published_items).where(self.published_items.c.owner == owner)
                )
            }

    def published_with_keys(self, item_keys: Iterable[str]) -> list[PublishedItem]:
        """The published items, of any owner, under these item keys."""
        table = self.published_items
        found: list[PublishedItem] = []
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(set(item_keys))):
                found.extend(
                    PublishedItem(row.owner, row.item_key, row.digest, json.loads(row.payload))
                    for row in conn.execute(sa.select(table).where(table.c.item_key.in_(chunk)))
                )
        return found

    def count_published(self) -> int:
        """How many items LeanIX holds for this ledger, over all owners."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(self.published_items)
                ).scalar_one()
            )

    def begin_publication(self, sending: Sequence[PublishedItem]) -> None:
        """Before items go to LeanIX, remember them as unconfirmed: when LeanIX takes them but the
        publication fails before `confirm`, the next one still replaces or removes them."""
        self._replace_published(
            [PublishedItem(i.owner, i.item_key, UNCONFIRMED, i.payload) for i in sending], []
        )

    def confirm(
        self,
        *,
        sent: Sequence[PublishedItem],
        removed: Sequence[tuple[str, str]],
        cleared: Sequence[tuple[str, str]],
    ) -> None:
        """LeanIX confirmed: remember what it now holds and clear the dirty marks, atomically."""
        self._replace_published(sent, removed, cleared)

    def _replace_published(
        self,
        sent: Sequence[PublishedItem],
        removed: Sequence[tuple[str, str]],
        cleared: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Replace the published items `sent`, forget `removed` and clear dirty marks, atomically."""
        seen: dict[tuple[str, str], PublishedItem] = {}
        for item in sent:
            twin = seen.setdefault((item.owner, item.item_key), item)
            if twin is not item:
                raise LedgerRefusedError(
                    f"{item.owner} publishes item {item.item_key} twice: "
                    f"{payload_text(twin.payload)} and {payload_text(item.payload)}"
                )
        table = self.published_items
        with self._tx() as conn:
            gone = [
                {"b_owner": owner, "b_key": item_key}
                for owner, item_key in [*removed, *((i.owner, i.item_key) for i in sent)]
            ]
            if gone:
                conn.execute(
                    sa.delete(table).where(
                        table.c.owner == sa.bindparam("b_owner"),
                        table.c.item_key == sa.bindparam("b_key"),
                    ),
                    gone,
                )
            if sent:
                conn.execute(
                    sa.insert(table),
                    [
                        {
                            "owner": item.owner,
                            "item_key": item.item_key,
                            "digest": item.digest,
                            "payload": json.dumps(item.payload, sort_keys=True, default=str),
                        }
                        for item in sent
                    ],
                )
            if cleared:
                conn.execute(
                    sa.delete(self.dirty).where(
                        self.dirty.c.kind == sa.bindparam("b_kind"),
                        self.dirty.c.key == sa.bindparam("b_key"),
                    ),
                    [{"b_kind": kind, "b_key": key} for kind, key in cleared],
                )

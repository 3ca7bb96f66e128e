"""Deletes already sent, remembered in a stream's state (setting `send_deletes_once`).

Each run re-reads AUDITHISTORY from `lookback_minutes` before its deletes bookmark, so that audit
rows which become visible late are not missed; without a memory, the tombstones in that window are
sent again on every run. Upserting targets absorb them, so remembering is off by default. With it
on, the stream keeps the IDs of the AUDITHISTORY rows it handled inside the lookback window (only
those can be read again), at most `MAX_REMEMBERED` of them, and skips them when they come back.
Past the cap the oldest are forgotten: such a delete may be sent twice, never lost.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime, timedelta
from typing import Any

#: The stream state's key: a list of [ACCESSTIME in UTC ISO-8601, AUDITHISTORY ID] pairs.
STATE_KEY = "deletes_sent"
#: Bounds the state: a day of deletes at a busy company fits, a runaway state cannot grow.
MAX_REMEMBERED = 5000


class SentDeletes:
    """The AUDITHISTORY delete rows a stream already handled (sent, or skipped as unknown)."""

    def __init__(self, state: MutableMapping[str, Any]) -> None:
        self._state = state
        self._handled: dict[int, datetime] = {}
        saved = state.get(STATE_KEY)
        for entry in saved if isinstance(saved, list) else []:
            # A state edited by hand may hold anything: what cannot be read is forgotten, so at
            # worst a delete is sent again.
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], int)):
                continue
            moment = _instant(entry[0])
            if moment is not None:
                self._handled[entry[1]] = moment
        self.skipped = 0

    def seen(self, ident: int) -> bool:
        """Whether the AUDITHISTORY row `ident` was handled by an earlier run (counted if so)."""
        if ident in self._handled:
            self.skipped += 1
            return True
        return False

    def add(self, ident: int, accessed: datetime) -> None:
        """Remember the AUDITHISTORY row `ident`, accessed (deleted) at `accessed`."""
        self._handled[ident] = accessed

    def save(self, bookmark: datetime, lookback: timedelta) -> None:
        """Keep what the next run can read again (ACCESSTIME at or after bookmark - lookback),
        newest first, at most MAX_REMEMBERED, in the stream's state."""
        horizon = (
            bookmark - lookback
            if bookmark - datetime.min.replace(tzinfo=bookmark.tzinfo) > lookback
            else None
        )
        kept = sorted(
            (
                (moment, ident)
                for ident, moment in self._handled.items()
                if horizon is None or moment >= horizon
            ),
            reverse=True,
        )[:MAX_REMEMBERED]
        self._handled = {ident: moment for moment, ident in kept}
        self._state[STATE_KEY] = [[moment.isoformat(), ident] for moment, ident in reversed(kept)]


def _instant(value: object) -> datetime | None:
    """An aware datetime from an ISO-8601 text, or None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None

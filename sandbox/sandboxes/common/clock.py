"""A controllable clock, so tests can say exactly when data changed and what 'now' is."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


def parse_instant(value: str) -> datetime:
    """Parse an ISO-8601 instant; a value without an offset is taken as UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Clock:
    """Real time plus an offset, or a frozen instant. Always timezone-aware UTC."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None
        if frozen:
            self._frozen_at = start or datetime.now(UTC)
        elif start is not None:
            self._offset = start - datetime.now(UTC)

    @property
    def frozen(self) -> bool:
        """Whether time stands still at one instant instead of running."""
        return self._frozen_at is not None

    def now(self) -> datetime:
        """Current sandbox time in UTC: the frozen instant, or real time plus the offset."""
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return datetime.now(UTC) + self._offset

    def set(self, instant: str) -> None:
        """Make now() read this ISO-8601 instant (UTC if no offset), frozen or running on."""
        target = parse_instant(instant)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = target
            else:
                self._offset = target - datetime.now(UTC)

    def advance(self, seconds: float) -> None:
        """Move now() forward by seconds (backward if negative), frozen or running."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def freeze(self, *, frozen: bool) -> None:
        """Stop time at the current instant, or let it run on from the frozen instant."""
        current = self.now()
        with self._lock:
            if frozen:
                self._frozen_at = current
            elif self._frozen_at is not None:
                self._offset = self._frozen_at - datetime.now(UTC)
                self._frozen_at = None

    def monotonic(self) -> float:
        """Real monotonic seconds, for timeouts and latency (never shifted by set or advance)."""
        return time.monotonic()

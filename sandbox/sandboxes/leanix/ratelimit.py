"""Optional per-user rate limit (`--rate-limit N` requests per second).

LeanIX limits every user, technical ones included, to 1800 requests per minute (30 req/s) and
answers 429 with a `Retry-After` header
(https://updates.leanix.net/announcements/introduction-of-user-based-rate-limiting). A token bucket
per token subject (`sub`) holds N requests and refills N per second, so short bursts pass and
sustained excess is refused.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable


class RateLimiter:
    """A token bucket per user: `per_second` requests a second before 429 + Retry-After."""

    def __init__(self, per_second: float, clock: Callable[[], float]) -> None:
        self.per_second = per_second
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def retry_after(self, subject: str) -> int | None:
        """None when the request may pass; else whole seconds until one would."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(subject, (self.per_second, now))
            tokens = min(self.per_second, tokens + (now - last) * self.per_second)
            if tokens >= 1:
                self._buckets[subject] = (tokens - 1, now)
                return None
            self._buckets[subject] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.per_second))

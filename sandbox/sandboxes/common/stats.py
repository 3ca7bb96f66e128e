"""Per-path call counters. Apps may add finer keys (for Intacct: the function and object)."""

from __future__ import annotations

import threading
from collections import Counter


class CallStats:
    """Thread-safe counters of what a sandbox served: requests per path, calls, injected faults."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: Counter[str] = Counter()
        self._keys: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()

    def record_call(self, path: str) -> None:
        """Count one request to this path."""
        with self._lock:
            self._paths[path] += 1

    def record(self, key: str, amount: int = 1) -> None:
        """Add amount to a call counter (e.g. one Intacct function by name)."""
        with self._lock:
            self._keys[key] += amount

    def record_fault(self, kind: str) -> None:
        """Count one injected fault of this kind."""
        with self._lock:
            self._faults[kind] += 1

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._paths.clear()
            self._keys.clear()
            self._faults.clear()

    def snapshot(self) -> dict[str, dict[str, int]]:
        """A copy of the counters: {"paths": ..., "calls": ..., "faults": ...}."""
        with self._lock:
            return {
                "paths": dict(self._paths),
                "calls": dict(self._keys),
                "faults": dict(self._faults),
            }

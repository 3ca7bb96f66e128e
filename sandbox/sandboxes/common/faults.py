"""Seeded, reproducible fault injection.

A plan is a list of rules. Each call to a faultable path asks the plan for a fault; the first rule that
matches and still has budget wins. Rules are counted (`count`), spaced (`skip` calls first, then `every`
N-th call) and optionally random (`probability`, drawn from the plan's own seeded generator), so the same
seed and the same call sequence give the same faults.

Generic kinds handled by the HTTP layer: `slow` (sleep `params.seconds`, then answer normally), `truncate`
(cut the real answer at `params.fraction`) and `reset` (close the connection without answering). Every
other kind is rendered by the sandbox that owns the path (for example Intacct's `http_429`).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    """One injected fault: its kind (`slow`, `truncate`, `reset` or sandbox-specific) and params."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class FaultRule:
    """One rule of a plan: which calls it matches, how often it fires, what it has seen."""

    kind: str
    count: int | None = 1
    probability: float = 1.0
    path_prefix: str = ""
    body_contains: str = ""
    skip: int = 0
    every: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    seen: int = 0
    fired: int = 0

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FaultRule:
        """A rule from its admin JSON; ValueError if `kind` is missing or a key is unknown."""
        known = {"kind", "count", "probability", "path_prefix", "body_contains", "skip", "every"}
        unknown = set(raw) - known - {"params"}
        if unknown or "kind" not in raw:
            raise ValueError(
                f"fault rule needs 'kind' and only {sorted(known | {'params'})}: {raw}"
            )
        return cls(**{k: raw[k] for k in known if k in raw}, params=dict(raw.get("params", {})))

    def exhausted(self) -> bool:
        """Whether the rule fired `count` times already (never, when count is None)."""
        return self.count is not None and self.fired >= self.count

    def describe(self) -> dict[str, Any]:
        """The rule as admin JSON, with how many calls it has seen and fired on."""
        return {
            "kind": self.kind,
            "count": self.count,
            "fired": self.fired,
            "probability": self.probability,
            "path_prefix": self.path_prefix,
            "body_contains": self.body_contains,
            "skip": self.skip,
            "every": self.every,
            "params": self.params,
        }


class FaultPlan:
    """The seeded, thread-safe list of fault rules a sandbox consults on each faultable call."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)  # noqa: S311 - reproducibility, not security
        self._seed = seed

    def configure(self, rules: list[dict[str, Any]], seed: int | None = None) -> None:
        """Replace all rules; random draws restart from the seed (the given one, or the last)."""
        parsed = [FaultRule.from_dict(rule) for rule in rules]
        with self._lock:
            self._rules = parsed
            if seed is not None:
                self._seed = seed
            self._random = random.Random(self._seed)  # noqa: S311

    def add(self, rule: dict[str, Any]) -> None:
        """Append one rule in admin JSON form, after the existing ones."""
        with self._lock:
            self._rules.append(FaultRule.from_dict(rule))

    def clear(self) -> None:
        """Drop every rule; the seed stays."""
        with self._lock:
            self._rules = []

    def draw(self, path: str, body: bytes = b"") -> Fault | None:
        """The fault of the first matching rule with budget left for this call, or None."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted() or not path.startswith(rule.path_prefix):
                    continue
                if rule.body_contains and rule.body_contains.encode() not in body:
                    continue
                rule.seen += 1
                position = rule.seen - rule.skip
                if position <= 0 or (position - 1) % max(rule.every, 1):
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                rule.fired += 1
                return Fault(rule.kind, dict(rule.params))
        return None

    def describe(self) -> dict[str, Any]:
        """The plan as admin JSON: its seed and each rule with its counters."""
        with self._lock:
            return {"seed": self._seed, "rules": [rule.describe() for rule in self._rules]}

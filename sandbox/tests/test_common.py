"""The shared sandbox layer: fault plans are reproducible and the clock obeys the admin API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sandboxes.common.clock import Clock
from sandboxes.common.faults import FaultPlan


def _fired(plan: FaultPlan, calls: int, path: str = "/ia/xml/xmlgw.phtml") -> list[int]:
    return [index for index in range(calls) if plan.draw(path) is not None]


def test_same_seed_same_faults() -> None:
    rules = [{"kind": "http_503", "count": None, "probability": 0.3}]
    first, second = FaultPlan(), FaultPlan()
    first.configure(rules, seed=7)
    second.configure(rules, seed=7)
    assert _fired(first, 200) == _fired(second, 200)
    assert 30 < len(_fired(first, 200)) < 100


def test_count_skip_and_every() -> None:
    plan = FaultPlan()
    plan.configure([{"kind": "http_429", "count": 3, "skip": 2, "every": 2}])
    assert _fired(plan, 20) == [2, 4, 6]


def test_rules_match_path_and_body() -> None:
    plan = FaultPlan()
    plan.configure(
        [{"kind": "http_502", "count": 1, "path_prefix": "/ia/", "body_contains": "APBILL"}]
    )
    assert plan.draw("/services/mtm", b"APBILL") is None
    assert plan.draw("/ia/xml", b"<object>VENDOR</object>") is None
    fault = plan.draw("/ia/xml", b"<object>APBILL</object>")
    assert fault is not None
    assert fault.kind == "http_502"
    assert plan.draw("/ia/xml", b"<object>APBILL</object>") is None


def test_unknown_rule_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        FaultPlan().configure([{"kind": "http_429", "cuont": 2}])


def test_frozen_clock_moves_only_when_told() -> None:
    clock = Clock(datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC), frozen=True)
    assert clock.now() == datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC)
    clock.advance(2)
    assert clock.now() == datetime(2026, 2, 1, 0, 0, 1, tzinfo=UTC)
    clock.set("2026-03-01T10:00:00+02:00")
    assert clock.now() == datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)

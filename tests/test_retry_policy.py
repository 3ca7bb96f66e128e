"""The tap and the target retry by one policy, each in its own copy of the class."""

from __future__ import annotations

import random

import pytest

from tap_sage_intacct.gateway.connection import RetryPolicy as TapRetryPolicy
from target_leanix.leanix import RetryPolicy as TargetRetryPolicy


@pytest.mark.parametrize("retry_after", [None, 0.0, 0.3, 7.5, 500.0, float("inf")])
def test_both_plugins_wait_the_same(retry_after: float | None) -> None:
    tap = TapRetryPolicy(max_tries=5, initial_wait=0.5, max_wait=30.0)
    target = TargetRetryPolicy(max_tries=5, initial_wait=0.5, max_wait=30.0)
    for attempt in range(40):
        random.seed(attempt)
        expected = tap.wait(attempt, retry_after)
        random.seed(attempt)
        assert target.wait(attempt, retry_after) == expected


def test_target_backoff_has_full_jitter_within_the_caps() -> None:
    policy = TargetRetryPolicy(max_tries=6, initial_wait=1.0, max_wait=30.0)
    random.seed(7)
    waits = [policy.wait(3) for _ in range(200)]
    assert all(0 <= wait <= 8.0 for wait in waits)
    assert len(set(waits)) > 100  # jittered, not one fixed delay
    assert all(0 <= policy.wait(5000) <= policy.max_wait for _ in range(50))
    # Retry-After is a floor, capped: a server cannot park the run for hours.
    assert policy.wait(0, retry_after=5.0) >= 5.0
    assert policy.wait(0, retry_after=float("inf")) == policy.max_retry_after_seconds

"""Faults on PREFETCHED pages: the next page is downloaded (bytes only) while this one is converted,
and parsed later in the walk. Whatever would be retried on a page requested in line is retried the
same way there, and a multi-page walk gives the same records as a clean one, over real HTTP. The
next stream's first page is requested ahead too, and is exactly the request that stream would send."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess
from tap_sage_intacct.client import TapRuntime

from .conftest import discover, run_tap, select, tap_config

STREAM = "ap_payment"
#: Small pages so the stream takes several requests, every one after the first a prefetch.
PAGE_SIZE = 25


@pytest.fixture(scope="module")
def sandbox(sandbox_factory: Callable[..., SandboxProcess]) -> SandboxProcess:
    return sandbox_factory("--scale", "0.1")


@pytest.fixture(scope="module")
def catalog(sandbox: SandboxProcess) -> dict[str, Any]:
    return select(discover(tap_config(sandbox)), [STREAM])


@pytest.fixture(scope="module")
def clean_records(sandbox: SandboxProcess, catalog: dict[str, Any]) -> list[dict[str, Any]]:
    run = run_tap(tap_config(sandbox, page_size=PAGE_SIZE), catalog=catalog)
    records = run.records[STREAM]
    truth = sandbox.admin("GET", "/admin/objects/APPYMT/count")["count"]
    assert len(records) == truth > 3 * PAGE_SIZE  # several prefetched pages
    return records


@pytest.fixture(autouse=True)
def reset_sandbox(sandbox: SandboxProcess) -> Iterator[None]:
    yield
    sandbox.clear_faults()


FAULTS = [
    ("truncate", {"fraction": 0.4}, "malformed_xml"),
    ("try_again", {}, "try_again"),
    ("html", {}, "html"),
    ("session_expired", {}, "session_expired"),
    ("hostile", {"variant": "billion_laughs", "prolog_padding": 10000}, None),
]


@pytest.mark.parametrize(("kind", "params", "reason"), FAULTS, ids=[f[0] for f in FAULTS])
def test_a_fault_on_a_prefetched_page_is_retried_to_the_same_records(
    sandbox: SandboxProcess,
    catalog: dict[str, Any],
    clean_records: list[dict[str, Any]],
    kind: str,
    params: dict[str, Any],
    reason: str | None,
) -> None:
    # skip=2: the first request (3 functions) and the first prefetch go through; the fault hits
    # the third query request, a page fetched while the second one was being converted.
    sandbox.set_faults(
        [{"kind": kind, "count": 1, "skip": 2, "body_contains": "<query>", "params": params}]
    )
    run = run_tap(tap_config(sandbox, page_size=PAGE_SIZE), catalog=catalog)
    fired = sandbox.admin("GET", "/admin/faults")
    assert sum(rule["fired"] for rule in fired["rules"]) == 1, fired
    assert run.tap is not None
    retries = run.tap.runtime.stats.as_dict()["retries"]
    assert sum(retries.values()) == 1, retries
    if reason is not None:
        assert retries == {reason: 1}, retries
    assert run.records[STREAM] == clean_records


def test_without_prefetch_the_walk_gives_the_same_records(
    sandbox: SandboxProcess, catalog: dict[str, Any], clean_records: list[dict[str, Any]]
) -> None:
    config = tap_config(sandbox, page_size=PAGE_SIZE, max_concurrent_requests=1)
    run = run_tap(config, catalog=catalog)
    assert run.records[STREAM] == clean_records


def test_the_next_streams_first_page_is_requested_ahead_with_the_same_records(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    streams = ["ap_payment", "department", "vendor"]
    catalog = select(discover(tap_config(sandbox)), streams)
    serial = run_tap(tap_config(sandbox, max_concurrent_requests=1), catalog=catalog)

    taken: list[tuple[str, bool]] = []
    take = TapRuntime.take_first_page

    def spy(self: TapRuntime, stream: str, entity_id: str) -> Any:
        found = take(self, stream, entity_id)
        taken.append((stream, found is not None))
        return found

    monkeypatch.setattr(TapRuntime, "take_first_page", spy)
    ahead = run_tap(tap_config(sandbox, max_concurrent_requests=2), catalog=catalog)
    assert ahead.tap is not None
    assert serial.tap is not None
    # Every stream but the first found its first request already sent by the one before it...
    assert [found for _, found in taken] == [False, True, True], taken
    # ...and that is the request it would have sent: same records, same states, same cost.
    for stream in streams:
        assert ahead.records[stream] == serial.records[stream]
    assert ahead.final_state == serial.final_state
    costs = [run.tap.runtime.stats.as_dict()["requests"] for run in (ahead, serial)]
    assert costs[0] == costs[1], costs

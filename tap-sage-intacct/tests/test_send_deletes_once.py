"""`send_deletes_once`: a rerun with nothing new sends no tombstone again, a new delete still
arrives, and the memory in the state stays bounded; off (the default), the lookback re-sends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess
from tap_sage_intacct.sentdeletes import MAX_REMEMBERED, STATE_KEY, SentDeletes

from .conftest import discover, run_tap, select, tap_config

STREAMS = ["ap_bill", "ap_bill_item", "vendor"]


@pytest.fixture(scope="module")
def sandbox(sandbox_factory: Callable[..., SandboxProcess]) -> SandboxProcess:
    return sandbox_factory("--scale", "0.1")


@pytest.fixture(scope="module")
def catalog(sandbox: SandboxProcess) -> dict[str, Any]:
    return select(discover(tap_config(sandbox)), STREAMS)


def tombstone_keys(run: Any) -> dict[str, set[int]]:
    return {
        stream: {t["RECORDNO"] for t in rows} for stream, rows in run.tombstones.items() if rows
    }


def test_default_resends_the_deletes_inside_the_lookback(
    sandbox: SandboxProcess, catalog: dict[str, Any]
) -> None:
    config = tap_config(sandbox)
    first = run_tap(config, catalog=catalog)
    assert tombstone_keys(first), "the sandbox company has deletes in AUDITHISTORY"
    second = run_tap(config, catalog=catalog, state=first.final_state)
    # Deletes inside the lookback come again (older ones, like the books' deleted bill line, lie
    # before it and do not).
    again, before = tombstone_keys(second), tombstone_keys(first)
    assert again
    assert all(keys <= before[stream] for stream, keys in again.items())
    assert all(STATE_KEY not in entry for entry in second.final_state["bookmarks"].values())


def test_deletes_are_sent_once_and_new_ones_still_arrive(
    sandbox: SandboxProcess, catalog: dict[str, Any]
) -> None:
    config = tap_config(sandbox, send_deletes_once=True)
    first = run_tap(config, catalog=catalog)
    sent_first = tombstone_keys(first)
    assert sent_first
    second = run_tap(config, catalog=catalog, state=first.final_state)
    assert tombstone_keys(second) == {}
    # The rows in the lookback are still re-read (late visibility); only tombstones are spared.
    assert second.records["ap_bill"]

    doomed = second.records["ap_bill"][0]["RECORDNO"]
    sandbox.admin(
        "POST", "/admin/mutate", {"ops": [{"op": "delete", "object": "APBILL", "recordno": doomed}]}
    )
    third = run_tap(config, catalog=catalog, state=second.final_state)
    assert tombstone_keys(third)["ap_bill"] == {doomed}
    fourth = run_tap(config, catalog=catalog, state=third.final_state)
    assert tombstone_keys(fourth) == {}
    # Only what the next lookback can read again is remembered: the seeded deletes lie months
    # before the new one, so the memory holds the new one alone.
    bookmarks = fourth.final_state["bookmarks"]["ap_bill"]
    (remembered,) = bookmarks[STATE_KEY]
    assert remembered[0] == bookmarks["deleted_at"]


def test_the_memory_keeps_only_what_the_lookback_can_read_again_and_at_most_its_cap() -> None:
    state: dict[str, Any] = {}
    memory = SentDeletes(state)
    start = datetime(2025, 7, 1, tzinfo=UTC)
    for ident in range(MAX_REMEMBERED + 10):
        memory.add(ident, start + timedelta(seconds=ident))
    bookmark = start + timedelta(seconds=MAX_REMEMBERED + 9)
    memory.save(bookmark, timedelta(days=1))
    assert len(state[STATE_KEY]) == MAX_REMEMBERED
    assert state[STATE_KEY][-1] == [bookmark.isoformat(), MAX_REMEMBERED + 9]
    assert state[STATE_KEY][0][1] == 10  # the oldest are forgotten first
    memory.save(bookmark, timedelta(seconds=4))  # outside the lookback: cannot come back
    assert [ident for _, ident in state[STATE_KEY]] == list(
        range(MAX_REMEMBERED + 5, MAX_REMEMBERED + 10)
    )
    # A hand-edited state: what cannot be read is forgotten, never a crash.
    state[STATE_KEY] = [
        ["not a time", 1],
        "junk",
        [bookmark.isoformat(), "2"],
        [bookmark.isoformat(), 3],
    ]
    again = SentDeletes(state)
    assert not again.seen(1)
    assert not again.seen(2)
    assert again.seen(3)

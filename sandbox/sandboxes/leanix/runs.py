"""Synchronization runs: the asynchronous state machine of the Integration API.

https://docs-eam.leanix.net/reference/rest-api;
https://github.com/ballerina-platform/openapi-connectors/blob/HEAD/openapi/leanix.integrationapi/openapi.yaml.

`CREATED` -> (start) -> `PENDING` (or `SEQUENTIALIZED` while another run of a `sequentialExecution`
configuration is active) -> `IN_PROGRESS` -> `FINISHED` | `FAILED` | `STOPPED`. One background worker
executes runs in the order they were started. A run stays `IN_PROGRESS` until a status poll has seen it
(or `hold_seconds` passed), so a polling client always observes the asynchronous middle state.
Items are applied in chunks, each chunk one SQLite transaction, so other API calls interleave with a
long run and a stop request takes effect between chunks.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from sandboxes.leanix.configuration import execution_problem
from sandboxes.leanix.deletion import apply_deletion_scope
from sandboxes.leanix.processors import Engine
from sandboxes.leanix.updates import CATEGORY_RUN
from sandboxes.leanix.workspace import Run, Workspace, binding_of, new_id

CREATED = "CREATED"
PENDING = "PENDING"
SEQUENTIALIZED = "SEQUENTIALIZED"
IN_PROGRESS = "IN_PROGRESS"
FINISHED = "FINISHED"
FAILED = "FAILED"
STOPPED = "STOPPED"
WAITING = (PENDING, SEQUENTIALIZED)
ACTIVE_STATES = (PENDING, SEQUENTIALIZED, IN_PROGRESS)

#: Items per transaction: big enough that commits cost little, small enough that status polls,
#: GraphQL reads and stop requests wait only a few milliseconds for the lock.
CHUNK_SIZE = 1000

#: What a run started while a `run_failed` fault fires reports (wording modelled on LeanIX's run errors).
INJECTED_FAILURE = (
    "Synchronization run failed: an internal error occurred while processing the LDIF, "
    "please retry the run (injected by the sandbox fault 'run_failed')"
)


class RunStateError(Exception):
    """A request the run's state does not allow; answered 400 with `{"errors": [...]}`."""


class RunNotFoundError(Exception):
    """No synchronization run has this ID; answered 404."""


class RunManager:
    """Synchronization runs: state machine, one worker running started runs in order, faults."""

    def __init__(
        self, workspace: Workspace, now: Callable[[], str], *, hold_seconds: float = 1.0
    ) -> None:
        self.workspace = workspace
        self.now = now
        self.hold_seconds = hold_seconds
        self._queue: queue.Queue[str] = queue.Queue()
        self._lock = threading.Lock()
        self._seen_in_progress: dict[str, threading.Event] = {}
        self._stop_requested: set[str] = set()
        self._doomed: set[str] = set()
        self._armed_failures = 0
        self._ldifs: dict[str, dict[str, Any]] = {}
        self._requeue_interrupted()
        threading.Thread(target=self._work, name="leanix-run-worker", daemon=True).start()

    # -- API ----------------------------------------------------------------------------------

    def create(self, ldif: dict[str, Any], body: bytes, *, start: bool, test: bool) -> Run:
        """A new run of `ldif`, parsed from `body` (kept as sent, so a restart can run it again)."""
        run = Run(
            id=new_id(),
            binding=binding_of(ldif),
            ldif=ldif,
            status=CREATED,
            test=test,
            created_at=self.now(),
            description=ldif.get("description") or None,
            history=[{"status": CREATED, "at": self.now()}],
            content_count=len(ldif.get("content") or []),
        )
        with self.workspace.transaction():
            self.workspace.save_run(run)
            self.workspace.save_run_body(run.id, body)
        if start:
            with self._lock:
                # The worker takes it from here instead of parsing the stored body again.
                self._ldifs[run.id] = ldif
            self.start(run.id, test=test)
        return run

    def start(self, run_id: str, *, test: bool | None = None) -> Run:
        """Start a CREATED run: PENDING, or SEQUENTIALIZED behind an active run of its binding."""
        with self.workspace.lock:
            run = self._get(run_id)
            if run.status != CREATED:
                raise RunStateError(
                    f"Synchronization run {run_id} was already started (status {run.status}); "
                    "it is not possible to start the same synchronization run twice"
                )
            if test is not None:
                run.test = run.test or test
            config = self.workspace.configuration(run.binding) or {}
            busy = any(
                other.id != run.id and other.binding == run.binding
                for other in self.workspace.runs(ACTIVE_STATES)
            )
            status = SEQUENTIALIZED if config.get("sequentialExecution") and busy else PENDING
            self._transition(run, status)
        with self._lock:
            if self._armed_failures:
                self._armed_failures -= 1
                self._doomed.add(run.id)
        self._queue.put(run.id)
        return run

    def status(self, run_id: str) -> dict[str, Any]:
        """`{id, status}`; a poll that sees IN_PROGRESS lets a held run move on."""
        run = self._get(run_id)
        if run.status == IN_PROGRESS:
            with self._lock:
                event = self._seen_in_progress.get(run.id)
            if event is not None:
                event.set()
        return {"id": run.id, "status": run.status}

    def progress(self, run_id: str) -> dict[str, Any]:
        """The run's progress counters and status, as GET .../progress answers them."""
        run = self._get(run_id)
        self.status(run_id)
        return {
            "processedContentCount": run.progress.get("processedContentCount", 0),
            "errorCount": run.progress.get("errorCount", 0),
            "graphQLRequestCount": run.progress.get("graphQLRequestCount", 0),
            "runLevelIndex": run.progress.get("runLevelIndex", 0),
            "status": run.status,
            "contentsCount": run.content_count,
            "warningsCount": self.workspace.warning_count(run.id),
            "itemsInScopeCount": run.content_count,
        }

    def stats(self, run_id: str) -> dict[str, Any]:
        """The sandbox's run counters (created, updated, unchanged, deleted) and status."""
        run = self._get(run_id)
        return {"id": run.id, "status": run.status, **run.progress}

    def stop(self, run_id: str) -> None:
        """Stop a pending run at once, or ask a running one to stop; else RunStateError."""
        with self.workspace.lock:
            run = self._get(run_id)
            if run.status in WAITING:
                self._transition(run, STOPPED)
                return
            if run.status != IN_PROGRESS:
                raise RunStateError(
                    f"Synchronization run {run_id} is not pending or running (status {run.status})"
                )
        with self._lock:
            self._stop_requested.add(run_id)

    def arm_failure(self) -> None:
        """The next run to start ends FAILED (the `run_failed` fault)."""
        with self._lock:
            self._armed_failures += 1

    def get(self, run_id: str) -> Run:
        """The run with this ID; RunNotFoundError if there is none."""
        return self._get(run_id)

    def execute_now(self, ldif: dict[str, Any], body: bytes, *, test: bool) -> Run:
        """`fastSynchronizationRuns`: run synchronously in the calling thread."""
        run = self.create(ldif, body, start=False, test=test)
        with self.workspace.lock:
            self._transition(run, PENDING)
            self._transition(run, IN_PROGRESS)
        doomed = False
        with self._lock:
            if self._armed_failures:
                self._armed_failures -= 1
                doomed = True
        self._execute(run, doomed=doomed, event=None)
        return self._get(run.id)

    # -- worker -------------------------------------------------------------------------------

    def _get(self, run_id: str) -> Run:
        run = self.workspace.run(run_id)
        if run is None:
            raise RunNotFoundError(f"No synchronization run with id {run_id} exists")
        return run

    def _transition(self, run: Run, status: str, message: str | None = None) -> None:
        run.status = status
        if message is not None:
            run.message = message
        run.history.append({"status": status, "at": self.now()})
        self.workspace.save_run(run)

    def _requeue_interrupted(self) -> None:
        """Runs cut short by a restart start again: chunks are idempotent upserts."""
        for run in self.workspace.runs(ACTIVE_STATES):
            if run.status == IN_PROGRESS:
                self._transition(run, PENDING)
            self._queue.put(run.id)

    def _work(self) -> None:
        while True:
            run_id = self._queue.get()
            event = threading.Event()
            with self._lock:
                # Registered before the status flips, so the first poll that sees IN_PROGRESS counts.
                self._seen_in_progress[run_id] = event
                doomed = run_id in self._doomed
                self._doomed.discard(run_id)
                ldif = self._ldifs.pop(run_id, None)
            with self.workspace.lock:
                run = self.workspace.run(run_id, with_ldif=ldif is None)
                if run is None or run.status not in WAITING:
                    continue
                if ldif is not None:
                    run.ldif = ldif
                self._transition(run, IN_PROGRESS)
            try:
                self._execute(run, doomed=doomed, event=event)
            except Exception as error:  # a sandbox bug must fail the run, never the worker
                traceback.print_exc(file=sys.stderr)
                self._fail(run, f"Synchronization run failed: internal sandbox error {error!r}")

    def _fail(self, run: Run, message: str) -> None:
        self.workspace.add_warnings(
            run.id,
            [
                {
                    "processor": None,
                    "content": None,
                    "message": message,
                    "detail": "",
                    "category": CATEGORY_RUN,
                    "status": "ERROR",
                }
            ],
        )
        self._transition(run, FAILED, message)

    def _hold_in_progress(self, event: threading.Event | None) -> None:
        if event is not None:
            event.wait(self.hold_seconds)

    def _execute(self, run: Run, *, doomed: bool, event: threading.Event | None) -> None:
        try:
            final, message = self._process(run, doomed=doomed)
            self._hold_in_progress(event)
            if final == FAILED:
                self._fail(run, message or "Synchronization run failed")
            else:
                self._transition(run, final, message)
        finally:
            with self._lock:
                self._seen_in_progress.pop(run.id, None)
                self._stop_requested.discard(run.id)

    def _process(self, run: Run, *, doomed: bool) -> tuple[str, str | None]:
        if doomed:
            return FAILED, INJECTED_FAILURE
        ldif = run.ldif or {}
        if ldif.get("processingDirection") != "inbound":
            return FAILED, "Outbound synchronization runs are not supported by the LeanIX sandbox"
        config = self.workspace.configuration(run.binding)
        if config is None:
            keys = ", ".join(f"{key}='{value}'" for key, value in run.binding.items())
            return FAILED, f"No processor configuration found for the LDIF: {keys}"
        problem = execution_problem(config)
        if problem is not None:
            return FAILED, f"Invalid processor configuration: {problem}"
        engine = Engine(self.workspace, config, ldif, self.now)
        started = time.monotonic()
        if run.test:
            # Nothing a dry run writes survives, except its warnings (written after the rollback).
            with self.workspace.dry_run():
                stopped = self._levels(run, engine, persist=False)
            self.workspace.add_warnings(run.id, engine.outcome.warnings)
        else:
            stopped = self._levels(run, engine, persist=True)
        counters = engine.outcome.counters
        if not stopped and not run.test and self._full_mode(ldif, config):
            with self.workspace.transaction():
                deletion = apply_deletion_scope(
                    self.workspace, config, engine.header, engine.touched, self.now
                )
                self.workspace.add_warnings(run.id, deletion.warnings)
            counters.deleted += deletion.deleted
        run.progress.update(
            {
                "processedContentCount": counters.processed_content,
                "errorCount": counters.errors,
                "graphQLRequestCount": counters.created + counters.updated + counters.deleted,
                "runLevelIndex": counters.run_level_index,
                "created": counters.created,
                "updated": counters.updated,
                "unchanged": counters.unchanged,
                "deleted": counters.deleted,
                "durationMillis": int((time.monotonic() - started) * 1000),
            }
        )
        return (STOPPED, "Stopped on request") if stopped else (FINISHED, None)

    @staticmethod
    def _full_mode(ldif: dict[str, Any], config: dict[str, Any]) -> bool:
        """deletionScope is read only for full-mode LDIFs ("Auto deletion",
        https://docs-eam.leanix.net/reference/inbound-processors)."""
        return ldif.get("processingMode") == "full" and bool(config.get("deletionScope"))

    def _levels(self, run: Run, engine: Engine, *, persist: bool) -> bool:
        """Apply every run level; True when a stop request cut the run short."""
        content = engine.content
        for level_index, level in enumerate(engine.levels()):
            engine.outcome.counters.run_level_index = level_index
            engine.outcome.counters.processed_content = 0
            for start in range(0, len(content), CHUNK_SIZE):
                with self._lock:
                    if run.id in self._stop_requested:
                        return True
                with self.workspace.transaction():
                    engine.begin_chunk()
                    first_warning = len(engine.outcome.warnings)
                    for item in content[start : start + CHUNK_SIZE]:
                        engine.process_item(level, item)
                    if not persist:
                        continue
                    self.workspace.add_warnings(run.id, engine.outcome.warnings[first_warning:])
                    counters = engine.outcome.counters
                    run.progress.update(
                        {
                            "processedContentCount": counters.processed_content,
                            "errorCount": counters.errors,
                            "runLevelIndex": level_index,
                        }
                    )
                    self.workspace.save_run(run)
        return False

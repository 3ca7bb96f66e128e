"""One lock per ledger, across processes: partitions sharing a ledger change it one at a time.

Several target processes (one per entity or stream partition) may share one ledger. Each ledger write
and each publication ("recompute what is dirty, send it, record it as published and clear the marks")
runs under this lock, so a publication always recomputes from the latest committed ledger and no
other process's batch can land between its recompute and the clearing of the marks it read (which
would clear a mark whose new lines were never sent).

- PostgreSQL: a session-level advisory lock (`pg_advisory_lock`) on a connection of its own. Its key
  is the object ID of the ledger's meta table (`<prefix>meta`, bound to one company key), which
  PostgreSQL keeps unique within the database: two ledgers never share a key, with no hashing. The
  wait is bounded by `lock_timeout`; the lock dies with its session, so a SIGKILLed holder frees it.
- SQLite file: `flock` on `<file>.lock` beside the database. The kernel drops the lock when its holder
  dies; the file itself stays and means nothing on its own (its presence is never the lock).
- An in-memory SQLite ledger belongs to one process: nothing to lock.

The lock is re-entrant within a process (a publication's own writes run under the lock it holds).
"""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from target_leanix.ledger.model import LedgerError
from target_leanix.private_files import open_private

#: First key of every advisory lock this target takes (`pg_advisory_lock(int, int)` keeps its keys
#: apart from the one-bigint form other applications often use). "LX" in ASCII.
ADVISORY_NAMESPACE = 0x4C58
#: Second namespace, for creating a ledger's tables before its meta table (and so its key) exists.
CREATE_NAMESPACE = 0x4C59
_INT4_OFFSET = 2**31  # object IDs are unsigned 32-bit; advisory keys are signed
_FLOCK_POLL_SECONDS = 0.02

#: How an advisory key is found, on the connection that will hold the lock.
KeyOf = Callable[[Connection], tuple[int, int]]


class LedgerLockTimeoutError(LedgerError):
    """Another process held the ledger's lock longer than ledger_lock_timeout_seconds."""


class LedgerLock:
    """The cross-process lock of one ledger: `hold()` around anything that must not interleave."""

    def __init__(self, engine: Engine, meta_table: str, where: str, timeout: float | None) -> None:
        self.engine = engine
        self.meta_table = meta_table
        self.where = where  # the ledger, for messages, without credentials
        self.timeout = timeout  # None: wait as long as it takes (library use; the target bounds it)
        self._depth = 0
        self._mutex = threading.RLock()
        self._connection: Connection | None = None
        self._file: TextIO | None = None
        url = engine.url
        self.kind = (
            "postgresql"
            if url.get_backend_name() == "postgresql"
            else "file"
            if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
            else "none"
        )

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock for the block; nested holds in the same process reuse the outer one."""
        with self._mutex:
            if self._depth == 0:
                self._acquire(self._key)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release()

    @contextmanager
    def creating(self) -> Iterator[None]:
        """Hold a lock while the ledger's tables are created: they have no key of their own yet."""
        if self.kind != "postgresql":
            with self.hold():
                yield
            return
        with self._mutex:
            if self._depth:
                yield
                return
            self._acquire(lambda _conn: (CREATE_NAMESPACE, 0))
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                self._release()

    def _key(self, conn: Connection) -> tuple[int, int]:
        oid = conn.execute(
            sa.text("SELECT to_regclass(quote_ident(:name))::oid"), {"name": self.meta_table}
        ).scalar_one_or_none()
        if oid is None:
            raise LedgerError(f"the ledger at {self.where} has no table {self.meta_table}")
        return ADVISORY_NAMESPACE, int(oid) - _INT4_OFFSET

    def _acquire(self, key: KeyOf) -> None:
        if self.kind == "postgresql":
            self._acquire_advisory(key)
        elif self.kind == "file":
            self._acquire_file()

    def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.execute(sa.text("SELECT pg_advisory_unlock_all()"))
                connection.commit()
                connection.close()
            except sa.exc.DBAPIError:
                # A connection that may still hold the lock must never go back to the pool.
                connection.invalidate()
        lock_file, self._file = self._file, None
        if lock_file is not None:
            lock_file.close()  # closing the descriptor drops the flock

    def _acquire_advisory(self, key: KeyOf) -> None:
        connection = self.engine.connect()
        try:
            namespace, number = key(connection)
            # lock_timeout bounds the wait for an advisory lock too; 0 would mean no bound at all.
            timeout_ms = 0 if self.timeout is None else max(1, round(self.timeout * 1000))
            connection.execute(sa.text(f"SET lock_timeout = {int(timeout_ms)}"))
            try:
                connection.execute(
                    sa.text("SELECT pg_advisory_lock(:namespace, :number)"),
                    {"namespace": namespace, "number": number},
                )
            except sa.exc.OperationalError as error:
                if getattr(error.orig, "pgcode", None) == "55P03":  # lock_not_available
                    raise self._timeout_error() from None
                raise
            connection.execute(sa.text("SET lock_timeout = 0"))
            # The lock is the session's: it outlives this transaction, and dies with the session.
            connection.commit()
        except BaseException:
            connection.invalidate()
            connection.close()
            raise
        self._connection = connection

    def _acquire_file(self) -> None:
        database = self.engine.url.database or ""
        lock_file = open_private(Path(f"{database}.lock"), append=True)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    lock_file.close()
                    raise self._timeout_error() from None
                time.sleep(_FLOCK_POLL_SECONDS)
            except BaseException:
                lock_file.close()
                raise
            else:
                self._file = lock_file
                return

    def _timeout_error(self) -> LedgerLockTimeoutError:
        return LedgerLockTimeoutError(
            f"the ledger at {self.where} (table prefix "
            f"{self.meta_table.removesuffix('meta')!r}) stayed locked by another target process for more than "
            f"{self.timeout:g} s (setting ledger_lock_timeout_seconds); is another run of this "
            "company still publishing?"
        )

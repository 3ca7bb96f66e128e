"""The ledger's shared state and plumbing: engine, tables, transactions, meta, cached row access."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from target_leanix.ledger.cache import CachedRow, WriteSession
from target_leanix.ledger.locking import LedgerLock
from target_leanix.ledger.model import (
    IN_CHUNK,
    LedgerError,
    LedgerRefusedError,
    ServiceInfo,
    first_line,
)
from target_leanix.ledger.tables import SCHEMA_VERSION, Tables
from target_leanix.private_files import prepare_sqlite_file


class LedgerBase:
    """The state every part of the ledger shares: engine, tables, statements, transactions, and the
    row helpers the write paths build on."""

    def __init__(
        self, url: str, table_prefix: str = "lx_", *, lock_timeout: float | None = None
    ) -> None:
        self.url = url
        # Vendor names and amounts: the SQLite file (and so its side files) for the owner only.
        prepare_sqlite_file(url)
        self.engine: Engine = sa.create_engine(url, future=True)
        if url.startswith("sqlite"):
            # One writer; give a concurrent reader time instead of failing at once.
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.tables = tables = Tables(table_prefix)
        # Each table also under its own name: the queries (and callers' checks) read them so.
        self.metadata = tables.metadata
        self.meta = tables.meta
        self.services = tables.services
        self.vendors = tables.vendors
        self.vendor_accounts_table = tables.vendor_accounts_table
        self.departments = tables.departments
        self.headers = tables.headers
        self.employees = tables.employees
        self.lines = tables.lines
        self.reimbursements = tables.reimbursements
        self.invoices = tables.invoices
        self.published_items = tables.published_items
        self.rate_tables = tables.rate_tables
        self.recurring_bills = tables.recurring_bills
        self.rate_entries = tables.rate_entries
        # Intacct's rate entries as the ledger last read them; None once a write changed them.
        self._rate_entries_read: list[Any] | None = None
        self.dirty = tables.dirty
        # Statements are built once and reused with bound parameters: building and hashing a
        # SQLAlchemy construct per row cost more than running it.
        self._statements: dict[tuple[Any, ...], Any] = {}
        self._services_this_batch: dict[str, ServiceInfo] = {}
        self.run_marker = uuid.uuid4().hex
        # Partitions may share this ledger: every write and publication holds its lock.
        self.lock = LedgerLock(self.engine, tables.meta.name, self.describe(), lock_timeout)

    def _statement(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:  # noqa: ANN401
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = build()
        return statement

    def _row(self, conn: WriteSession, table: sa.Table, keys: dict[str, Any]) -> Any:  # noqa: ANN401
        """The current row of `table` by its primary key (a `CachedRow`), or None."""
        cache = conn.rows(table.name)
        cache_key = tuple(keys.items())
        if cache_key in cache:
            return cache[cache_key]
        statement = self._statement(
            ("select", table.name, tuple(keys)),
            lambda: sa.select(table).where(*[table.c[k] == sa.bindparam(f"k_{k}") for k in keys]),
        )
        found = conn.execute(statement, {f"k_{k}": v for k, v in keys.items()}).one_or_none()
        row = None if found is None else CachedRow(found._mapping)
        cache[cache_key] = row
        return row

    def _insert(self, conn: WriteSession, table: sa.Table, row: dict[str, Any]) -> None:
        conn.insert(table, row)

    def _update(
        self, conn: WriteSession, table: sa.Table, keys: dict[str, Any], values: dict[str, Any]
    ) -> None:
        self._update_many(conn, table, [(keys, values)])

    def _update_many(
        self,
        conn: WriteSession,
        table: sa.Table,
        changes: Sequence[tuple[dict[str, Any], dict[str, Any]]],
    ) -> None:
        """Update rows by primary key (one executemany); every change names the same columns."""
        if not changes:
            return
        keys, values = changes[0]
        statement = self._statement(
            ("update", table.name, tuple(keys), tuple(values)),
            lambda: (
                table.update()
                .where(*[table.c[k] == sa.bindparam(f"k_{k}") for k in keys])
                .values({c: sa.bindparam(f"v_{c}") for c in values})
            ),
        )
        conn.update(table, changes, statement)

    def _prefetch(
        self, conn: WriteSession, table: sa.Table, keys: Iterable[tuple[tuple[str, Any], ...]]
    ) -> None:
        """Load the rows of many primary keys with a few `IN` queries, for `_row` to find."""
        cache = conn.rows(table.name)
        groups: dict[tuple[tuple[str, Any], ...], list[Any]] = defaultdict(list)
        for key in keys:
            if key not in cache:
                # All but the last key column are equal within a group; the last goes into IN.
                groups[key[:-1]].append(key[-1][1])
        for fixed, values in groups.items():
            last = table.primary_key.columns.values()[len(fixed)].name
            unique = sorted(set(values))
            for start in range(0, len(unique), IN_CHUNK):
                chunk = unique[start : start + IN_CHUNK]
                for value in chunk:
                    cache[(*fixed, (last, value))] = None
                query = sa.select(table).where(
                    *[table.c[name] == value for name, value in fixed], table.c[last].in_(chunk)
                )
                for found in conn.execute(query):
                    row = CachedRow(found._mapping)
                    key = (*fixed, (last, row[last]))
                    cache[key] = row

    def _upsert(
        self, conn: WriteSession, table: sa.Table, keys: dict[str, Any], values: dict[str, Any]
    ) -> Any:  # noqa: ANN401
        """Replace a row by its key; return the previous version (a `CachedRow`) or None."""
        previous = self._row(conn, table, keys)
        if previous is None:
            self._insert(conn, table, {**keys, **values})
        else:
            self._update(conn, table, keys, values)
        return previous

    # -- lifecycle ---------------------------------------------------------------------------------

    def create(self) -> None:
        """Create the missing tables (with this prefix) and the columns older ledgers lack."""
        with self.lock.creating():  # partitions starting together create them once
            self.tables.create(self.engine)

    def close(self) -> None:
        """Close the engine's pooled database connections."""
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[WriteSession]:
        try:
            with self.lock.hold(), self.engine.begin() as conn:
                session = WriteSession(conn)
                yield session
                session.flush()
        except sa.exc.IntegrityError as error:
            raise LedgerRefusedError(
                f"the ledger at {self.describe()} refused a change: {first_line(error.orig)}"
            ) from None

    def get_meta(self, key: str) -> str | None:
        """A value of the ledger's meta table (schema_version, company_key, ...), or None."""
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(self.meta.c.value).where(self.meta.c.key == key)
            ).scalar_one_or_none()

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the ledger's meta table in a transaction of its own."""
        with self._tx() as conn:
            self._set_meta(conn, key, value)

    def _set_meta(self, conn: WriteSession, key: str, value: str) -> None:
        conn.execute(sa.delete(self.meta).where(self.meta.c.key == key))
        conn.execute(sa.insert(self.meta).values(key=key, value=value))

    def bind_company(self, company_key: str) -> bool:
        """Bind a fresh ledger to the company, or check the binding. True when the ledger was fresh."""
        with self.lock.hold():  # two partitions starting on a fresh ledger bind it once
            bound = self.get_meta("company_key")
            if bound is None:
                with self._tx() as conn:
                    self._set_meta(conn, "company_key", company_key)
                    self._set_meta(conn, "schema_version", SCHEMA_VERSION)
                return True
        if bound != company_key:
            raise LedgerError(
                f"the ledger at {self.describe()} belongs to company_key {bound!r}, "
                f"not {company_key!r}; use one ledger per company"
            )
        return False

    def describe(self) -> str:
        """The ledger location without credentials."""
        return sa.make_url(self.url).render_as_string(hide_password=True)

    def _mark(self, conn: WriteSession, kind: str, keys: Iterable[str | None]) -> None:
        wanted = {key for key in keys if key}
        if not wanted:
            return
        present = set(
            conn.execute(
                sa.select(self.dirty.c.key).where(
                    self.dirty.c.kind == kind, self.dirty.c.key.in_(wanted)
                )
            ).scalars()
        )
        rows = [{"kind": kind, "key": key} for key in sorted(wanted - present)]
        if rows:
            conn.execute(sa.insert(self.dirty), rows)

    def _save_service(self, conn: WriteSession, service: ServiceInfo) -> None:
        if self._services_this_batch.get(service.key) == service:
            return
        self._services_this_batch[service.key] = service
        values = {
            "name": service.name,
            "category": service.category,
            "provider": service.provider,
            "candidate": service.candidate,
        }
        table = self.services
        current = self._row(conn, table, {"service_key": service.key})
        if current is None:
            self._insert(conn, table, {"service_key": service.key, **values})
        elif any(getattr(current, k) != v for k, v in values.items()):
            self._update(conn, table, {"service_key": service.key}, values)
            self._mark(conn, "service", [service.key])


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:  # noqa: ANN401 - DB-API objects
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()

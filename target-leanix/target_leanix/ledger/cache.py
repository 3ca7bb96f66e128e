"""The write-behind session of one write transaction: rows read by key are cached, inserts buffered."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


class CachedRow(dict[str, Any]):
    """A row as a dict whose columns read as attributes, like `sa.Row`."""

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class WriteSession:
    """One write transaction: rows read by primary key are cached, inserts are buffered and sent
    as one executemany per table.

    Every other statement goes through `execute`, which first sends the buffered inserts (so any
    query sees them) and forgets the cached rows of a table it writes to. Per-record SELECT and
    INSERT round trips through SQLAlchemy were most of the target's ledger time."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # table name -> primary key as ((column, value), ...) -> row, or None for "no such row"
        self._cache: dict[str, dict[tuple[tuple[str, Any], ...], CachedRow | None]] = {}
        self._pending: dict[str, tuple[sa.Table, list[dict[str, Any]]]] = {}
        # (kind, header recordno) of headers known to have lines, for the headers in `checked`.
        self.headers_with_lines: set[tuple[str, str]] = set()
        self.headers_checked: set[tuple[str, str]] = set()
        self.headers_to_revisit: set[tuple[str, str]] = set()
        # Expense reports whose reimbursements changed in this batch.
        self.reports_paid_or_unpaid: set[str] = set()
        # Vendors whose set of GL accounts changed in this batch (bill lines).
        self.vendors_to_recognize: set[str] = set()

    def execute(self, statement: Any, parameters: Any = None) -> sa.CursorResult[Any]:  # noqa: ANN401
        """Run any other statement: buffered inserts go first; a write forgets its table's rows."""
        self.flush()
        if isinstance(statement, sa.Insert | sa.Update | sa.Delete):
            self._forget(getattr(statement.table, "name", ""))
        if parameters is None:
            return self.conn.execute(statement)
        return self.conn.execute(statement, parameters)

    def select_in(
        self,
        table: sa.Table,
        columns: Sequence[str],
        equal: dict[str, str],
        column: str,
        values: Sequence[str],
        *,
        distinct: bool = False,
    ) -> list[tuple[Any, ...]]:
        """`SELECT columns FROM table WHERE equal AND column IN values` on text columns, as plain
        SQL to the driver: SQLAlchemy's per-execution expansion of a long `IN` cost more than the
        query. Drivers with other parameter styles take the SQLAlchemy path."""
        self.flush()
        dialect = self.conn.dialect
        mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
        if mark is None:
            c = table.c
            query = sa.select(*[c[name] for name in columns]).where(
                *[c[name] == value for name, value in equal.items()], c[column].in_(values)
            )
            return [
                tuple(row) for row in self.conn.execute(query.distinct() if distinct else query)
            ]
        quote = dialect.identifier_preparer.quote
        conditions = [f"{quote(name)} = {mark}" for name in equal]
        conditions.append(f"{quote(column)} IN ({', '.join([mark] * len(values))})")
        selected = ("DISTINCT " if distinct else "") + ", ".join(map(quote, columns))
        source = dialect.identifier_preparer.format_table(table)
        # Names are quoted by the dialect; every value is a bound parameter.
        sql = f"SELECT {selected} FROM {source} WHERE {' AND '.join(conditions)}"  # noqa: S608
        parameters = (*equal.values(), *values)
        return [tuple(row) for row in self.conn.exec_driver_sql(sql, parameters)]

    def insert(self, table: sa.Table, row: dict[str, Any]) -> None:
        """Buffer a row for the table's next executemany; reads by its key see it at once."""
        key = tuple((column.name, row[column.name]) for column in table.primary_key.columns)
        self.rows(table.name)[key] = CachedRow(row)
        self._pending.setdefault(table.name, (table, []))[1].append(row)

    def update(
        self,
        table: sa.Table,
        changes: Sequence[tuple[dict[str, Any], dict[str, Any]]],
        statement: Any,  # noqa: ANN401
    ) -> None:
        """Run one UPDATE for all (keys, values) pairs and patch the cached rows to match."""
        self.flush()
        parameters = [
            {**{f"k_{k}": v for k, v in keys.items()}, **{f"v_{c}": v for c, v in values.items()}}
            for keys, values in changes
        ]
        self.conn.execute(statement, parameters[0] if len(parameters) == 1 else parameters)
        cache = self.rows(table.name)
        for keys, values in changes:
            key = tuple(keys.items())
            cached = cache.get(key)
            if cached is not None:
                # A new object: callers keep the previous version to compare against.
                cache[key] = CachedRow({**cached, **values})

    def flush(self) -> None:
        """Send the buffered inserts, one executemany per table and column set."""
        pending, self._pending = self._pending, {}
        for table, rows in pending.values():
            by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
            for row in rows:
                by_columns[tuple(row)].append(row)
            for columns, same in by_columns.items():
                self.insert_many(table, same, columns)

    def insert_many(
        self, table: sa.Table, rows: list[dict[str, Any]], columns: Sequence[str] | None = None
    ) -> None:
        """One executemany straight to the driver: SQLAlchemy's per-row parameter processing cost
        more than SQLite's insert itself. Named-parameter drivers (psycopg2) take the dicts."""
        if not rows:
            return
        dialect = self.conn.dialect
        columns = list(rows[0]) if columns is None else list(columns)
        plan = _insert_plan(table, dialect, tuple(columns))
        if plan is None:
            self.conn.execute(table.insert(), rows)
            return
        sql, order, processors = plan
        parameters = []
        for row in rows:
            values = [row[name] for name in order]
            for index, process in processors:
                values[index] = process(values[index])
            parameters.append(tuple(values))
        self.conn.exec_driver_sql(sql, parameters)

    def rows(self, table_name: str) -> dict[tuple[tuple[str, Any], ...], CachedRow | None]:
        """The cached rows of one table by primary key (None: known to be absent)."""
        return self._cache.setdefault(table_name, {})

    def _forget(self, table_name: str) -> None:
        self._cache.pop(table_name, None)


# (table, dialect, columns) -> the INSERT's SQL, positional column order and bind processors. A write
# that reads between inserts (a bill line asks whether its vendor has the account yet) flushes a few
# rows at a time, and compiling the INSERT for each flush cost more than the inserts.
_InsertPlan = tuple[str, list[str], list[tuple[int, Any]]]
_INSERT_PLANS: dict[tuple[int, str, tuple[str, ...]], tuple[sa.Table, _InsertPlan | None]] = {}


def _insert_plan(table: sa.Table, dialect: Any, columns: tuple[str, ...]) -> _InsertPlan | None:  # noqa: ANN401
    """The compiled INSERT of these columns (None for named-parameter drivers), compiled once."""
    key = (id(table), dialect.name, columns)
    cached = _INSERT_PLANS.get(key)
    if cached is not None and cached[0] is table:
        return cached[1]
    compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
    plan: _InsertPlan | None = None
    if compiled.positional and compiled.positiontup is not None:
        order = list(compiled.positiontup)
        processors = [
            (index, process)
            for index, name in enumerate(order)
            if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
        ]
        plan = (str(compiled), order, processors)
    if len(_INSERT_PLANS) > 1000:
        _INSERT_PLANS.clear()  # many ledgers in one process (tests): keep it bounded
    _INSERT_PLANS[key] = (table, plan)
    return plan

"""The live company: generated base rows plus an in-memory overlay of mutations, and the query engine.

The overlay keeps, per object and RECORDNO, the versions written by `/admin/mutate` (a row, or None for a
delete) with the instant each becomes visible (late visibility). A query sees, for every RECORDNO, the
latest version already visible, else the base row.

Paging: when the filter maps to an exact index range (ranges.py) and the order follows the base layout
(RECORDNO, or WHENMODIFIED then RECORDNO, ascending), counts and pages are computed arithmetically and only
the rows of the page are generated, so a 1M-row object pages in O(page). Anything else scans the candidate
range once and caches the sorted match list for the following pages.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sandboxes.intacct.books import BOOKS_ONLY
from sandboxes.intacct.catalog import ObjectDef
from sandboxes.intacct.company import Company, Row, Source
from sandboxes.intacct.filters import Node, compile_filter, sort_key
from sandboxes.intacct.formats import TimeFormat, timestamp_key
from sandboxes.intacct.ranges import index_range, split_entity_conditions
from sandboxes.intacct.reference_data import ENTITIES

TOP_LEVEL = -1
#: Selecting only these lets the fast path build rows from the layout instead of generating them.
LIGHT_FIELDS = frozenset({"RECORDNO", "WHENMODIFIED"})
ENTITY_INDEX = {e.location_id: n for n, e in enumerate(ENTITIES)}
ALL_ENTITIES = frozenset({TOP_LEVEL, *range(len(ENTITIES))})


@dataclass
class Version:
    """One written version of a record (None when deleted), visible from an instant on."""

    row: Row | None  # None = deleted
    visible_from: float  # epoch seconds on the sandbox clock


@dataclass(frozen=True)
class Order:
    """One `orderby` field, ascending unless descending."""

    field: str
    descending: bool = False


@dataclass
class Page:
    """One page of a query: the total match count and the page's rows in order."""

    total: int
    #: The page in order: a row, or the index of a generated base row of `source`. Renderers read
    #: indices straight from `source.values` (render.py); `rows` builds the dicts.
    items: list[Row | int]
    source: Source

    @property
    def rows(self) -> list[Row]:
        """The page's rows as dicts, generated base rows built on demand."""
        row = self.source.row
        return [item if isinstance(item, dict) else row(item) for item in self.items]


@dataclass
class Overlay:
    """One object's mutations: versions per RECORDNO and the next RECORDNO an insert takes."""

    versions: dict[int, list[Version]] = field(default_factory=dict)
    next_recordno: int = 0


def row_entity(row: Row) -> int:
    """The entity index of a row, from MEGAENTITYID (TOP_LEVEL when empty)."""
    return ENTITY_INDEX.get(row.get("MEGAENTITYID", ""), TOP_LEVEL)


class Store:
    """The live company: generated base rows, the overlay of mutations, and the query engine."""

    def __init__(self, company: Company, catalog: dict[str, ObjectDef], tf: TimeFormat) -> None:
        self.company = company
        self.catalog = catalog
        self.tf = tf
        self.lock = threading.RLock()
        self.overlays: dict[str, Overlay] = {
            name: Overlay(next_recordno=company.sources[name].recordno(company.sources[name].count))
            for name in catalog
        }
        self._static_index: dict[str, dict[int, int]] = {}
        for name, source in company.sources.items():
            if not source.monotonic:
                self._static_index[name] = {
                    int(source.row(i)["RECORDNO"]): i for i in range(source.count)
                }
                self.overlays[name].next_recordno = max(self._static_index[name], default=0) + 1
        for name, rows in company.books.rows.items():
            if name in BOOKS_ONLY or not rows:
                continue
            # the books' rows of objects with bulk rows: visible from the beginning of time
            versions = self.overlays[name].versions
            for row in rows:
                versions[int(row["RECORDNO"])] = [Version(row, float("-inf"))]
            self.overlays[name].next_recordno = max(versions) + 1
        self.version = 0
        self._scan_cache: OrderedDict[tuple[object, ...], list[tuple[int, Row | None]]] = (
            OrderedDict()
        )

    def source(self, name: str) -> Source:
        """The generated base rows of an object."""
        return self.company.sources[name]

    # ------------------------------------------------------------------ visibility
    def visible_version(self, versions: list[Version], now: float) -> Version | None:
        """The latest version visible at now (epoch seconds), or None when none is yet."""
        for version in reversed(versions):
            if version.visible_from <= now:
                return version
        return None

    def current_row(self, name: str, recordno: int, now: float) -> Row | None:
        """The row a reader sees now (None when absent or deleted)."""
        overlay = self.overlays[name]
        versions = overlay.versions.get(recordno)
        if versions:
            version = self.visible_version(versions, now)
            if version is not None:
                return version.row
        source = self.source(name)
        index = self.index_of(source, recordno)
        return None if index is None else source.row(index)

    def latest_row(self, name: str, recordno: int) -> Row | None:
        """The newest written version, visible or not (mutations build on it)."""
        versions = self.overlays[name].versions.get(recordno)
        if versions:
            return versions[-1].row
        source = self.source(name)
        index = self.index_of(source, recordno)
        return None if index is None else source.row(index)

    def index_of(self, source: Source, recordno: int) -> int | None:
        """The base row index of a RECORDNO, or None when there is none."""
        if source.monotonic:
            return source.index_of(recordno)
        return self._static_index[source.name].get(recordno)

    def pending(self, name: str, now: float) -> bool:
        """Whether an object has a mutation not yet visible at now (late visibility)."""
        return any(
            versions[-1].visible_from > now for versions in self.overlays[name].versions.values()
        )

    # ------------------------------------------------------------------ query engine
    def query(
        self,
        name: str,
        node: Node | None,
        *,
        allowed: frozenset[int],
        orderby: list[Order],
        offset: int,
        limit: int,
        now: float,
        case_insensitive: bool = False,
        cache_key: str = "",
        fields: tuple[str, ...] = (),
    ) -> Page:
        """One page of the matches, in order, as the caller's entities may see them at now."""
        obj = self.catalog[name]
        source = self.source(name)
        compile_filter(node, obj, case_insensitive=case_insensitive)  # validates the whole filter
        node, admitted = split_entity_conditions(node, ENTITY_INDEX, ALL_ENTITIES)
        allowed = allowed & admitted
        predicate = compile_filter(node, obj, case_insensitive=case_insensitive)
        with self.lock:
            lo, hi, exact = index_range(node, source, self.tf)
            overridden, overlay_rows = self._overlay_matches(name, source, predicate, allowed, now)
            order_kind = _layout_order(orderby)
            if exact and order_kind and source.monotonic and source.entity_cycle:
                return self._fast_page(
                    source,
                    lo,
                    hi,
                    allowed,
                    overridden,
                    overlay_rows,
                    order_kind,
                    offset,
                    limit,
                    light=bool(fields) and set(fields) <= LIGHT_FIELDS,
                )
            key = (
                name,
                cache_key,
                allowed,
                tuple(orderby),
                case_insensitive,
                self.version,
                int(now) if self.pending(name, now) else 0,
            )
            matches = self._scan_cache.get(key)
            if matches is None:
                matches = self._scan(
                    obj, source, predicate, lo, hi, allowed, overridden, overlay_rows, orderby
                )
                self._scan_cache[key] = matches
                while len(self._scan_cache) > 16:
                    self._scan_cache.popitem(last=False)
            else:
                self._scan_cache.move_to_end(key)
            window = matches[offset : offset + limit]
            items: list[Row | int] = [index if row is None else row for index, row in window]
            return Page(len(matches), items, source)

    def _overlay_matches(
        self,
        name: str,
        source: Source,
        predicate: object,
        allowed: frozenset[int],
        now: float,
    ) -> tuple[list[int], list[Row]]:
        """Base indices the overlay hides (sorted), and overlay rows that match."""
        overridden: list[int] = []
        rows: list[Row] = []
        check = predicate if callable(predicate) else (lambda row: True)
        for recordno, versions in self.overlays[name].versions.items():
            version = self.visible_version(versions, now)
            index = self.index_of(source, recordno)
            if version is None:
                continue  # nothing visible yet: the base row (if any) still shows
            if index is not None:
                overridden.append(index)
            row = version.row
            if row is not None and row_entity(row) in allowed and check(row):
                rows.append(row)
        overridden.sort()
        return overridden, rows

    def _scan(  # noqa: PLR0917 - internal step of query()
        self,
        obj: ObjectDef,
        source: Source,
        predicate: object,
        lo: int,
        hi: int,
        allowed: frozenset[int],
        overridden: list[int],
        overlay_rows: list[Row],
        orderby: list[Order],
    ) -> list[tuple[int, Row | None]]:
        check = predicate if callable(predicate) else (lambda row: True)
        hidden = set(overridden)
        keyed: list[tuple[tuple[Any, ...], int, Row | None]] = []
        fields = [o.field for o in orderby]
        static = not source.monotonic
        for index in range(lo, hi):
            if index in hidden or source.entity(index) not in allowed:
                continue
            row = source.row(index)
            if check(row):
                # generated rows are cheap to rebuild: keep only their index for big objects
                keyed.append((_keys(obj, row, fields), index, row if static else None))
        for row in overlay_rows:
            keyed.append((_keys(obj, row, fields), -1, row))
        # default order is RECORDNO; orderby fields sort stably from the last to the first
        keyed.sort(
            key=lambda item: int(item[2]["RECORDNO"]) if item[2] else source.recordno(item[1])
        )
        for position in range(len(orderby) - 1, -1, -1):
            keyed.sort(key=lambda item: item[0][position], reverse=orderby[position].descending)
        return [(index, row) for _, index, row in keyed]

    # ------------------------------------------------------------------ fast path
    def _count_allowed(self, source: Source, lo: int, hi: int, allowed: frozenset[int]) -> int:
        if hi <= lo:
            return 0
        cycle = source.entity_cycle
        period = len(cycle)
        per_period = sum(1 for e in cycle if e in allowed)

        def upto(x: int) -> int:
            full, rest = divmod(x, period)
            return full * per_period + sum(1 for e in cycle[:rest] if e in allowed)

        return upto(hi) - upto(lo)

    def _fast_page(  # noqa: PLR0917 - internal step of query()
        self,
        source: Source,
        lo: int,
        hi: int,
        allowed: frozenset[int],
        overridden: list[int],
        overlay_rows: list[Row],
        order_kind: str,
        offset: int,
        limit: int,
        *,
        light: bool = False,
    ) -> Page:
        hidden = [
            i
            for i in overridden[bisect_left(overridden, lo) : bisect_right(overridden, hi - 1)]
            if source.entity(i) in allowed
        ]
        base_total = self._count_allowed(source, lo, hi, allowed) - len(hidden)

        def base_rank(bound: int) -> int:
            """Number of visible base rows with index < bound."""
            bound = min(max(bound, lo), hi)
            return self._count_allowed(source, lo, bound, allowed) - bisect_left(hidden, bound)

        def bound_of(row: Row) -> int:
            """First base index ordered after `row`."""
            recordno = int(row["RECORDNO"])
            if order_kind == "recordno":
                return recordno - source.base  # indices with recordno <= row's
            key = timestamp_key(row.get("WHENMODIFIED", ""))
            epoch = self.tf.parse_timestamp(row.get("WHENMODIFIED", "")) if key else None
            if epoch is None:
                return hi  # NULL sorts after every value
            # first index whose (ts, recordno) > (epoch, recordno)
            left, right = lo, hi
            while left < right:
                mid = (left + right) // 2
                ts = source.ts(mid) or 0
                if (ts, source.recordno(mid)) <= (epoch, recordno):
                    left = mid + 1
                else:
                    right = mid
            return left

        ordered = sorted(overlay_rows, key=lambda r: _layout_key(r, order_kind))
        positions = [base_rank(bound_of(row)) + n for n, row in enumerate(ordered)]
        total = base_total + len(ordered)
        items: list[Row | int] = []
        q = offset
        end = min(offset + limit, total)
        cursor: Iterator[int] | None = None
        while q < end:
            spot = bisect_left(positions, q)
            if spot < len(positions) and positions[spot] == q:
                items.append(ordered[spot])
                q += 1
                continue
            if cursor is None:
                cursor = self._walk(source, lo, hi, allowed, set(hidden), q - spot, hidden)
            # base rows up to the next overlay row (or the end of the page) come in one run
            upto = positions[spot] if spot < len(positions) else end
            run = list(islice(cursor, min(upto, end) - q))
            if not run:
                break
            items.extend(run)
            q += len(run)
        if light:  # only keys selected: skip generating the whole row
            tf = self.tf
            items = [
                item
                if isinstance(item, dict)
                else {
                    "RECORDNO": str(source.recordno(item)),
                    "WHENMODIFIED": "" if (ts := source.ts(item)) is None else tf.timestamp(ts),
                }
                for item in items
            ]
        return Page(total, items, source)

    def _walk(  # noqa: PLR0917 - internal step of query()
        self,
        source: Source,
        lo: int,
        hi: int,
        allowed: frozenset[int],
        hidden: set[int],
        skip: int,
        hidden_sorted: list[int],
    ) -> Iterator[int]:
        """Base indices in [lo, hi) that are visible, starting at the `skip`-th one."""
        # jump close to the target arithmetically, then step
        index = self._nth_allowed(source, lo, skip, allowed)
        # hidden rows before the target shift it further
        while True:
            shift = bisect_left(hidden_sorted, index + 1) - bisect_left(hidden_sorted, lo)
            candidate = self._nth_allowed(source, lo, skip + shift, allowed)
            if candidate == index:
                break
            index = candidate
        while index < hi:
            if source.entity(index) in allowed and index not in hidden:
                yield index
            index += 1

    def _nth_allowed(self, source: Source, lo: int, n: int, allowed: frozenset[int]) -> int:
        cycle = source.entity_cycle
        period = len(cycle)
        per_period = sum(1 for e in cycle if e in allowed)
        if per_period == 0:
            return source.count
        index = lo
        # step to a period boundary first
        while index % period and n >= 0:
            if cycle[index % period] in allowed:
                if n == 0:
                    return index
                n -= 1
            index += 1
        full, n = divmod(n, per_period)
        index += full * period
        while True:
            if cycle[index % period] in allowed:
                if n == 0:
                    return index
                n -= 1
            index += 1


def _keys(obj: ObjectDef, row: Row, fields: list[str]) -> tuple[Any, ...]:
    return tuple(sort_key(obj.datatype(f), row.get(f, "")) for f in fields)


def _layout_order(orderby: list[Order]) -> str:
    """'recordno' or 'whenmodified' when the order is the base layout order, else ''."""
    shape = [(o.field, o.descending) for o in orderby]
    if shape in ([], [("RECORDNO", False)]):
        return "recordno"
    if shape in ([("WHENMODIFIED", False)], [("WHENMODIFIED", False), ("RECORDNO", False)]):
        return "whenmodified"
    return ""


def _layout_key(row: Row, kind: str) -> tuple[str, int]:
    recordno = int(row.get("RECORDNO") or 0)
    if kind == "recordno":
        return ("", recordno)
    return (timestamp_key(row.get("WHENMODIFIED", "")) or "", recordno)

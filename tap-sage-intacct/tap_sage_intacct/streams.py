"""Incremental extraction of one Intacct object: keyset paging, bookmarks, lookback, entities, deletes.

The walk (per entity scope):
  `query` ... `WHENMODIFIED > T OR (WHENMODIFIED = T AND RECORDNO > R)` ORDER BY WHENMODIFIED,
  RECORDNO, pagesize up to 2000. The next page's filter is built from the raw text of the page's
  last row, so thousands of rows sharing one second across page boundaries are neither lost nor
  repeated (offset paging loses rows when data changes between calls:
  https://developer.intacct.com/web-services/queries/, "Offset"). After each page the stream's state
  records that last (WHENMODIFIED, RECORDNO) for the entity, so an interrupted run resumes inside an
  equal-second block. A new run starts `lookback_minutes` before the bookmark to re-read rows that
  became visible late (Intacct is eventually consistent; Estuary's connector re-reads behind its
  bookmark for the same reason,
  https://github.com/estuary/connectors/blob/HEAD/source-sage-intacct/source_sage_intacct/resources.py);
  with no lookback it resumes exactly after the saved RECORDNO.

Rows whose WHENMODIFIED is empty never match a comparison on it (Estuary's connector reads them by
creation time for the same reason,
https://github.com/estuary/connectors/blob/HEAD/source-sage-intacct/source_sage_intacct/sage.py).
They are read by a second keyset pass on their creation stamp: WHENCREATED where it is a TIMESTAMP
(master data), AUWHENCREATED where WHENCREATED is a business DATE (transactions). Such rows have
never been modified, so rows created after the bookmark of that pass are all there is to read. The
emitted WHENMODIFIED stays empty: the tap does not invent source values.

Deletes come from AUDITHISTORY (ACCESSMODE D, OBJECTTYPE = object in lower case) and are emitted
after the stream's rows as tombstones: key fields set, `_sdc_deleted_at` = ACCESSTIME (GMT,
https://developer.intacct.com/api/company-console/advanced-audit-trails/), everything else null.
OBJECTKEY is `<RECORDNO>--REC`, or the natural id (VENDORID...) for master data.
A deleted row cannot be read any more, so for master data the stream keeps a natural id -> RECORDNO map
in its state (master tables are small) and maps the key through it; a delete of a row the tap never
emitted has nothing to delete downstream and is logged and skipped.

The first page of the walk, the first page of the empty-WHENMODIFIED pass and the first page of
deletes travel as three functions in ONE request, so a stream costs ceil(rows/2000) requests per
entity when nothing else remains.

Line items are incremental streams of their own, not children of their headers: a child stream
queries once per header, which is thousands of calls where ceil(rows/2000) are allowed; every line
object carries its own WHENMODIFIED and shows up in AUDITHISTORY on its own. A header delete still
reaches consumers as the header's tombstone (the target cascades it to the header's lines).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from lxml import etree
from typing_extensions import override

from tap_sage_intacct import gateway
from tap_sage_intacct.client import (
    EntityScope,
    FirstRequest,
    IntacctStream,
    RecordLimitReached,
    log_record_limit,
    plural,
)
from tap_sage_intacct.drift import FieldsVanished, drop_vanished, vanished_in
from tap_sage_intacct.objects import (
    AUDIT_FIELDS,
    AUDIT_OBJECT,
    DELETED_AT,
    RECORDNO_KEY_SUFFIX,
)
from tap_sage_intacct.pages import PageCollector, raw_next_keyset
from tap_sage_intacct.schema import (
    TIMESTAMP,
    ConversionError,
    RecordConverter,
    datatype_from_property,
    iso_utc,
    parse_intacct_timestamp,
    shown_key,
    to_intacct_timestamp,
)
from tap_sage_intacct.sentdeletes import SentDeletes

if TYPE_CHECKING:
    from singer_sdk.helpers import types

LOGGER = logging.getLogger("tap_sage_intacct")

RECORDNO = "RECORDNO"
MEGAENTITYID = "MEGAENTITYID"


class StreamSkipped(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The object is not readable by this user: warn and go on with the next stream."""


@dataclass(frozen=True)
class Position:
    """Where a keyset walk stands: after (stamp, recordno), or at/after stamp if recordno is None.

    `stamp` is the raw Intacct text (user wall time) so filters compare exactly what the server has.
    """

    stamp: str | None
    recordno: int | None


class PageProgress:
    """INFO progress for long walks: records, pages, rate and bookmark, every few seconds until
    the walk ends (the stream's summary line reports the end)."""

    INTERVAL_SECONDS = 5.0

    def __init__(self, stream: str, entity_id: str, *, remaining: int) -> None:
        self.label = f"'{stream}'" + (f" [{entity_id}]" if entity_id else "")
        self.total = remaining
        self.records = 0
        self.pages = 0
        self.started = time.monotonic()
        self.logged_at = self.started

    def page(self, rows: int, saved: Mapping[str, Any], *, last: bool) -> None:
        """Count one page of rows; log progress if the interval passed or this is the last page."""
        self.records += rows
        self.pages += 1
        now = time.monotonic()
        # The stream's summary line reports the end; progress is for walks that take a while.
        if last or now - self.logged_at < self.INTERVAL_SECONDS:
            return
        self.logged_at = now
        rate = self.records / max(now - self.started, 1e-6)
        LOGGER.info(
            "Stream %s: %d of %d records in %d pages, %.0f records/s, bookmark %s RECORDNO %s",
            self.label,
            self.records,
            self.total,
            self.pages,
            rate,
            saved.get("replication_key_value", "-"),
            saved.get("replication_key_value_recordno", "-"),
        )


class IntacctObjectStream(IntacctStream):
    """One Intacct object as one incremental Singer stream."""

    #: The byte path's per-run state (field lists seen, date memos): set up by `get_records`.
    _raw_reader: gateway.RawRowReader | None = None
    #: Tombstones sent this run, and AUDITHISTORY deletes of master rows never sent (skipped).
    deletes_sent = 0
    unknown_deletes = 0
    #: Deletes an earlier run sent, read again in the lookback and not sent (send_deletes_once).
    deletes_not_resent = 0

    @override
    def get_replication_key_signpost(self, context: types.Context | None = None) -> None:
        # Our bookmark is the last row actually read, never a clock value: the gateway's clock
        # and ours may differ, and rows stamped "now" may still be committing.
        return None

    # -- setup ----------------------------------------------------------------------------------

    @property
    def lookback(self) -> timedelta:
        """How far before the bookmark a run re-reads, from `lookback_minutes`."""
        return timedelta(minutes=float(self.config["lookback_minutes"]))

    @property
    def page_size(self) -> int:
        """Rows per `query` page: the `page_size` setting clamped to 1..2000."""
        size = int(self.config["page_size"])
        return max(1, min(size, gateway.MAX_QUERY_PAGE_SIZE))

    @property
    def field_types(self) -> dict[str, str]:
        """Field name -> Intacct datatype of the catalog's properties (tombstone excluded)."""
        props = self.schema.get("properties", {})
        gone = self.vanished_fields
        return {
            name: datatype_from_property(p)
            for name, p in props.items()
            if name != DELETED_AT and name not in gone
        }

    @property
    def replication_field(self) -> str | None:
        """The replication key if the stream's schema has that field, else None."""
        key = self.replication_key
        return key if key and key in self.field_types else None

    @property
    def created_field(self) -> str | None:
        """The creation stamp used for rows with an empty replication key (module docstring)."""
        types_ = self.field_types
        for name in ("WHENCREATED", "AUWHENCREATED"):
            if types_.get(name) == TIMESTAMP:
                return name
        return None

    def _query_fields(self, emitted: list[str]) -> list[str]:
        needed = [RECORDNO, self.replication_field, self.created_field, self.spec.natural_id]
        known = self.field_types
        fields = [f for f in emitted if f != DELETED_AT]
        for name in needed:
            if name is not None and name in known and name not in fields:
                fields.append(name)
        return fields

    # -- state ----------------------------------------------------------------------------------

    def _entity_state(self, scope: EntityScope) -> dict[str, Any]:
        state = self.stream_state
        entities: dict[str, Any] = state.setdefault("entities", {})
        result: dict[str, Any] = entities.setdefault(scope.state_key, {})
        return result

    def _summarise_state(self) -> None:
        """Mirror the oldest entity bookmark as the SDK's replication_key_value (for humans/tools)."""
        state = self.stream_state
        stamps = [
            e.get("replication_key_value")
            for e in state.get("entities", {}).values()
            if e.get("replication_key_value")
        ]
        if self.replication_field and stamps:
            state["replication_key"] = self.replication_field
            state["replication_key_value"] = min(stamps)

    def _start_stamp(self, bookmark: str | None) -> datetime | None:
        start_date = self.config.get("start_date")
        floor = (
            datetime.fromisoformat(str(start_date).replace("Z", "+00:00")) if start_date else None
        )
        if floor is not None and floor.tzinfo is None:
            floor = floor.replace(tzinfo=UTC)
        if bookmark is None:
            return floor
        moment = self._bookmark_moment(bookmark)
        # A bookmark within the lookback of year 1 would overflow: read from the beginning then.
        earliest = datetime.min.replace(tzinfo=UTC)
        start = moment - self.lookback if moment - earliest > self.lookback else earliest
        return max(start, floor) if floor else start

    def _bookmark_moment(self, bookmark: object) -> datetime:
        """The instant a state bookmark names; a state file that names none ends in one line."""
        try:
            moment = datetime.fromisoformat(str(bookmark))
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise gateway.FatalError(
                f"stream '{self.name}': the state's bookmark is not an ISO-8601 instant with a "
                "time zone; fix or remove this stream's entry in the state"
            )
        return moment

    def _resume_position(self, saved: Mapping[str, Any], key: str) -> Position:
        bookmark = saved.get(key)
        if bookmark and not self.lookback and saved.get(f"{key}_recordno") is not None:
            # No lookback: continue exactly after the last row read, even inside one second.
            stamp = to_intacct_timestamp(self._bookmark_moment(bookmark), self.runtime.tz)
            recordno = str(saved[f"{key}_recordno"])
            if not (recordno.isascii() and recordno.isdigit() and len(recordno) <= 18):
                raise gateway.FatalError(
                    f"stream '{self.name}': the state's {key}_recordno is not a whole number; "
                    "fix or remove this stream's entry in the state"
                )
            return Position(stamp, int(recordno))
        start = self._start_stamp(bookmark)
        return Position(to_intacct_timestamp(start, self.runtime.tz) if start else None, None)

    # -- filters --------------------------------------------------------------------------------

    def _scope_filter(self, scope: EntityScope) -> str | None:
        # An object without MEGAENTITYID (custom objects) has no entity to filter on: it is read
        # in the first scope only (`_scopes`).
        return self._entity_filter(scope) if MEGAENTITYID in self.field_types else None

    def _scopes(self) -> list[EntityScope]:
        """The entity scopes this object is read in (one, for an object without MEGAENTITYID)."""
        scopes = self.runtime.scopes()
        return scopes if MEGAENTITYID in self.field_types else scopes[:1]

    @staticmethod
    def _entity_filter(scope: EntityScope) -> str | None:
        if not scope.entity_id:
            return None
        own = gateway.f_eq(MEGAENTITYID, scope.entity_id)
        return gateway.f_or(own, gateway.f_isnull(MEGAENTITYID)) if scope.owns_shared else own

    @staticmethod
    def _keyset(field: str, pos: Position) -> str | None:
        if pos.stamp is None:
            return gateway.f_isnotnull(field)
        if pos.recordno is None:
            return gateway.f_ge(field, pos.stamp)
        return gateway.f_or(
            gateway.f_gt(field, pos.stamp),
            gateway.f_and(gateway.f_eq(field, pos.stamp), gateway.f_gt(RECORDNO, pos.recordno)),
        )

    def _main_query(self, fields: list[str], scope: EntityScope, pos: Position | int) -> str:
        rk = self.replication_field
        if rk is None or isinstance(pos, int):
            # No replication key (an extra object without WHENMODIFIED): a RECORDNO keyset walk.
            after = pos if isinstance(pos, int) else 0
            filt = gateway.f_and(gateway.f_gt(RECORDNO, after), self._scope_filter(scope))
            order: tuple[str, ...] = (RECORDNO,)
        else:
            filt = gateway.f_and(self._keyset(rk, pos), self._scope_filter(scope))
            order = (rk, RECORDNO)
        return gateway.fn_query(
            self.spec.object_name,
            fields,
            filter_xml=filt,
            order_by=order,
            page_size=self.page_size,
            show_private=scope.show_private,
        )

    def _created_query(self, fields: list[str], scope: EntityScope, pos: Position) -> str | None:
        rk, created = self.replication_field, self.created_field
        if rk is None or created is None:
            return None
        after = None if pos.stamp is None else self._keyset(created, pos)
        filt = gateway.f_and(gateway.f_isnull(rk), after, self._scope_filter(scope))
        return gateway.fn_query(
            self.spec.object_name,
            fields,
            filter_xml=filt,
            order_by=(created, RECORDNO),
            page_size=self.page_size,
            show_private=scope.show_private,
        )

    def _deletes_query(self, since: datetime | None, after: tuple[str, int] | None) -> str:
        conditions: list[str | None] = [
            gateway.f_eq("OBJECTTYPE", self.spec.audit_object_type),
            gateway.f_eq("ACCESSMODE", "D"),
        ]
        if after is not None:
            stamp, ident = after
            conditions.append(
                gateway.f_or(
                    gateway.f_gt("ACCESSTIME", stamp),
                    gateway.f_and(gateway.f_eq("ACCESSTIME", stamp), gateway.f_gt("ID", ident)),
                )
            )
        elif since is not None:
            # ACCESSTIME is always GMT, whatever the user's preferences
            # (https://developer.intacct.com/api/company-console/advanced-audit-trails/).
            conditions.append(gateway.f_ge("ACCESSTIME", to_intacct_timestamp(since, UTC)))
        return gateway.fn_query(
            AUDIT_OBJECT,
            list(AUDIT_FIELDS),
            filter_xml=gateway.f_and(*conditions),
            order_by=("ACCESSTIME", "ID"),
            page_size=gateway.MAX_QUERY_PAGE_SIZE,
        )

    # -- requests -------------------------------------------------------------------------------

    def _where(self, conn: gateway.IntacctConnection, what: str) -> str:
        return f"{what} {self.spec.object_name} (stream '{self.name}', {conn.label})"

    def _count_call(self, functions: list[str]) -> None:
        with self._calls_lock:  # the prefetch thread counts too
            self.calls["requests"] += 1
            for fn in functions:
                self.calls[gateway.function_name(fn)] += 1

    @staticmethod
    def _check_count(
        results: list[gateway.FunctionResult], functions: list[str] | tuple[str, ...], where: str
    ) -> list[gateway.FunctionResult]:
        if len(results) != len(functions):
            raise gateway.RetryableError(
                f"{where}: {len(results)} results for {len(functions)} functions"
            )
        return results

    def _call(
        self,
        conn: gateway.IntacctConnection,
        functions: list[str],
        what: str,
        sink: gateway.RowSink | None = None,
    ) -> list[gateway.FunctionResult]:
        where = self._where(conn, what)
        results = conn.call(functions, where, sink)
        self._count_call(functions)
        return self._check_count(results, functions, where)

    def _check_main(
        self, result: gateway.FunctionResult, conn: gateway.IntacctConnection
    ) -> etree._Element:
        where = f"query {self.spec.object_name} (stream '{self.name}', {conn.label})"
        if not result.ok:
            vanished = vanished_in(result, self._emitted_and_queried()[1])
            if vanished:
                raise FieldsVanished(vanished)
            error = gateway.classify_errors("result", result.errors, where)
            if isinstance(error, gateway.PermissionDeniedError):
                raise StreamSkipped(error.message)
            raise error
        if result.data is None:
            raise gateway.RetryableError(f"{where}: result without <data>")
        return result.data

    # -- the walk -------------------------------------------------------------------------------

    def _emitted_and_queried(self) -> tuple[list[str], list[str]]:
        gone = self.vanished_fields
        emitted = [f for f in self.selected_properties() if f != DELETED_AT and f not in gone]
        natural = self.spec.natural_id
        if natural in self.field_types and natural not in emitted:
            emitted.append(natural)
        return emitted, self._query_fields(emitted)

    @override
    def get_records(self, context: types.Context | None) -> Iterator[dict[str, Any]]:
        """The stream's records, then one summary line. `--test`'s record limit
        (`ABORT_AT_RECORD_COUNT`) ends the stream as a success, not as the SDK's abort."""
        if self.spec.object_name in self.runtime.denied_objects:
            return
        started = time.monotonic()
        limit = self.ABORT_AT_RECORD_COUNT
        yielded = 0
        limited = False
        try:
            for record in self._records():
                yield record
                yielded += 1
                if limit is not None and yielded >= limit:
                    limited = True
                    break
        except RecordLimitReached:
            limited = True
        if self.spec.object_name not in self.runtime.denied_objects:
            self._log_summary(yielded + self.fast_records, time.monotonic() - started, limited)

    def _log_summary(self, sent: int, seconds: float, limited: bool) -> None:  # noqa: FBT001
        """One INFO line per stream: what was sent, what it cost, where the bookmark stands."""
        if limited:
            log_record_limit(self.name, sent)
            return
        rows = sent - self.deletes_sent
        what = plural(rows, "record")
        if self.deletes_sent:
            what += f" and {plural(self.deletes_sent, 'delete')}"
        line = f"Stream '{self.name}' synced {what} in {seconds:.2f} s, {self.cost_text()}"
        bookmark = self.stream_state.get("replication_key_value")
        if bookmark:
            line += f"; bookmark {self.replication_key} {bookmark}"
        if self.deletes_not_resent:
            line += f"; {plural(self.deletes_not_resent, 'delete')} already sent not sent again"
        if self.unknown_deletes:
            line += (
                f"; {plural(self.unknown_deletes, 'delete')} ignored: gone before this tap "
                "ever sent the row"
            )
        LOGGER.info("%s", line)

    def _records(self) -> Iterator[dict[str, Any]]:
        self._prefetch_next_streams()
        # Each pass drops at least one vanished field, so this ends (drift.py).
        for _ in range(len(self.field_types) + 1):
            try:
                yield from self._sync_scopes()
                return
            except FieldsVanished as vanished:
                drop_vanished(self, self.spec.object_name, vanished.fields)
        raise gateway.FatalError(f"stream '{self.name}': every field vanished from Intacct")

    def _sync_scopes(self) -> Iterator[dict[str, Any]]:
        """Every entity scope, with the fields the object still has."""
        emitted, fields = self._emitted_and_queried()
        converter = RecordConverter({f: self.field_types[f] for f in emitted}, self.runtime.tz)
        natural_key = self.spec.natural_id if self.natural_keys is not None else None
        self._raw_reader = gateway.RawRowReader(
            self.spec.object_name,
            converter.datatypes,
            self.runtime.tz,
            (RECORDNO, self.replication_field, natural_key),
            gateway.parse_row,
        )
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"prefetch-{self.name}")
        try:
            for index, scope in enumerate(self._scopes()):
                yield from self._sync_scope(scope, index == 0, fields, converter, executor)
        except StreamSkipped as skipped:
            self.runtime.denied_objects.add(self.spec.object_name)
            LOGGER.warning("Skipping stream '%s': no permission. %s", self.name, skipped)
        finally:
            executor.shutdown(wait=False, cancel_futures=True)

    def _prefetch_next_streams(self) -> None:
        """Request the next selected streams' first pages now, so that they travel while this
        stream works: most streams fit in one page, and one at a time they would each pay the
        gateway's latency. A request is the one that stream would send itself (it
        reads that stream's own state only) and is held as bytes until that stream parses it.
        As many streams ahead as requests may be in flight, so the limit stays full."""
        ahead = self.runtime.max_concurrency - 1
        order = [
            s
            for s in self.tap.streams.values()
            if isinstance(s, IntacctObjectStream) and s.selected
        ]
        if ahead < 1 or self not in order:
            return
        scope = self.runtime.scopes()[0]
        conn = self.runtime.connection(scope.entity_id)
        start = order.index(self) + 1
        for following in order[start : start + ahead]:
            if following.spec.object_name in self.runtime.denied_objects:
                continue
            plan = following._first_request(
                scope, reads_deletes=True, fields=following._emitted_and_queried()[1]
            )
            self.runtime.prefetch_first_page(
                following.name,
                scope.entity_id,
                plan,
                partial(conn.fetch, plan.functions, following._where(conn, "query")),
            )

    def _first_request(
        self,
        scope: EntityScope,
        reads_deletes: bool,  # noqa: FBT001
        fields: list[str],
    ) -> FirstRequest:
        """The main walk's first page, the created-stamp pass's first page and the first page of
        deletes, as one request (module docstring)."""
        saved = self._entity_state(scope)
        rk = self.replication_field
        # Without a replication key (an extra object lacking WHENMODIFIED) the stream re-reads
        # the whole object by RECORDNO each run.
        main_pos: Position | int = (
            self._resume_position(saved, "replication_key_value") if rk else 0
        )
        created_pos = self._resume_position(saved, "created_value")
        functions = [self._main_query(fields, scope, main_pos)]
        created_fn = self._created_query(fields, scope, created_pos)
        if created_fn:
            functions.append(created_fn)
        # Deletes are company-wide in AUDITHISTORY: read them once per stream, in the first scope.
        deletes = reads_deletes and self.runtime.audit_readable is not False
        if deletes:
            deleted_since = self._start_stamp(self.stream_state.get("deleted_at"))
            functions.append(self._deletes_query(deleted_since, None))
        return FirstRequest(tuple(functions), created_fn is not None, deletes)

    def _sync_scope(
        self,
        scope: EntityScope,
        reads_deletes: bool,  # noqa: FBT001
        fields: list[str],
        converter: RecordConverter,
        executor: ThreadPoolExecutor,
    ) -> Iterator[dict[str, Any]]:
        conn = self.runtime.connection(scope.entity_id)
        saved = self._entity_state(scope)
        prefetcher = _Prefetcher(self, conn, fields, scope, executor)
        page = self._page_collector(converter, prefetcher)
        prefetched = self.runtime.take_first_page(self.name, scope.entity_id)
        if prefetched is not None:
            # Sent by the stream before this one, from this stream's own state (which only this
            # stream changes); if AUDITHISTORY was found unreadable meanwhile, its denied result
            # is handled as it would be in a request of our own.
            plan, future = prefetched
            answer = future.result()
            self._count_call(list(plan.functions))
            results = self._check_count(conn.complete(answer, page), plan.functions, answer.where)
        else:
            plan = self._first_request(scope, reads_deletes, fields)
            results = self._call(conn, list(plan.functions), "query", sink=page)
        main_result = results[0]
        created_result = results[1] if plan.created else None
        deletes_result = results[-1] if plan.deletes else None

        yield from self._walk_main(conn, scope, converter, prefetcher, main_result, page, saved)
        if created_result is not None:
            yield from self._walk_created(conn, scope, fields, converter, created_result, saved)
        if deletes_result is not None:
            yield from self._emit_deletes(conn, deletes_result, converter)

    def _fetch_main_answer(
        self,
        conn: gateway.IntacctConnection,
        fields: list[str],
        scope: EntityScope,
        pos: Position | int,
    ) -> gateway.FetchedAnswer:
        """The prefetch: download the next page's bytes only; the walk parses them, streaming."""
        functions = [self._main_query(fields, scope, pos)]
        answer = conn.fetch(functions, self._where(conn, "query"))
        self._count_call(functions)
        return answer

    def _page_collector(
        self, converter: RecordConverter, prefetcher: _Prefetcher | None = None
    ) -> PageCollector[Any]:
        """A fresh page: one `time_extracted`, rows converted for the writer that will take them."""
        self.begin_page()
        convert: Any = partial(self._json_bytes, converter) if self.fast_path else converter.convert
        natural = self.spec.natural_id if self.natural_keys is not None else None
        return PageCollector(
            row_tag=self.spec.object_name,
            convert=convert,
            describe_error=partial(self._conversion_error, converter),
            key_fields=(RECORDNO, self.replication_field, natural),
            keep_all_keys=natural is not None,
            on_body=prefetcher.on_body if prefetcher is not None else None,
            # JSON text straight from the bytes only for the fast writer; dicts come from lxml.
            reader=self._raw_reader if self.fast_path else None,
        )

    def _json_bytes(self, converter: RecordConverter, row: etree._Element) -> bytes:
        return converter.to_json(row, self._encode).encode("ascii")

    def _conversion_error(
        self, converter: RecordConverter, row: etree._Element, exc: ValueError
    ) -> gateway.IntacctError:
        """Name the stream, object, record and problem in one line."""
        try:
            converter.convert(row)  # the dict path words the problem the same way on both paths
        except ConversionError as dict_exc:
            exc = dict_exc
        recordno = shown_key(row.findtext(RECORDNO))
        return gateway.FatalError(
            f"stream '{self.name}' ({self.spec.object_name}) record RECORDNO={recordno}: {exc}"
        )

    def _walk_main(  # noqa: PLR0917
        self,
        conn: gateway.IntacctConnection,
        scope: EntityScope,
        converter: RecordConverter,
        prefetcher: _Prefetcher,
        first: gateway.FunctionResult,
        page: PageCollector[Any],
        saved: dict[str, Any],
    ) -> Iterator[dict[str, Any]]:
        rk = self.replication_field
        result = first
        progress = PageProgress(self.name, scope.entity_id, remaining=first.attr_int("totalcount"))
        previous: Position | int | None = None
        while True:
            self._check_main(result, conn)
            page.raise_deferred()
            items, last = page.items, page.last
            remaining = result.attr_int("numremaining")
            next_pos: Position | int | None = None
            if items and last is not None and remaining > 0:
                next_pos = self._position_from(last[0], last[1], rk)
                if next_pos == previous or (isinstance(next_pos, Position) and not next_pos.stamp):
                    # The server ignored the keyset filter or the ordering; paging on would loop.
                    raise gateway.FatalError(
                        f"query {self.spec.object_name} (stream '{self.name}'): the gateway did not "
                        "advance past the last page's (WHENMODIFIED, RECORDNO); refusing to loop"
                    )
                previous = prefetcher.previous = next_pos
            # Usually the next page was requested from this page's raw bytes before its rows were
            # converted (pages.raw_next_keyset); a guess that differs from the parsed last row is
            # dropped here and the right page requested.
            pending = prefetcher.take(next_pos)
            if pending is None and next_pos is not None:
                pending = prefetcher.submit(next_pos)
            if self.fast_path:
                self.write_fast(items)
            else:
                yield from items
            if last is not None:
                self._learn_natural_key_texts(page.keys)
                self._save_texts(saved, "replication_key_value", last[0], last[1], rk)
                self._summarise_state()
                self.write_state_now()
            progress.page(len(items), saved, last=next_pos is None)
            if next_pos is None:
                return
            page = self._page_collector(converter, prefetcher)
            if pending is not None:
                answer = pending.result()
                results = conn.complete(answer, page)
                result = self._check_count(results, answer.functions, answer.where)[0]
            else:
                query = self._main_query(prefetcher.fields, scope, next_pos)
                result = self._call(conn, [query], "query", sink=page)[0]

    def _walk_created(  # noqa: PLR0917
        self,
        conn: gateway.IntacctConnection,
        scope: EntityScope,
        fields: list[str],
        converter: RecordConverter,
        first: gateway.FunctionResult,
        saved: dict[str, Any],
    ) -> Iterator[dict[str, Any]]:
        created = self.created_field
        assert created is not None  # noqa: S101 - the query exists only when it is set
        result = first
        while True:
            data = self._check_main(result, conn)
            rows = list(data)
            yield from self._emit_rows(rows, converter)
            if not rows:
                return
            self._learn_natural_keys(rows)
            self._save_position(saved, "created_value", rows[-1], created)
            self.write_state_now()
            if result.attr_int("numremaining") <= 0:
                return
            pos = self._position_after(rows[-1], created)
            assert isinstance(pos, Position)  # noqa: S101
            query = self._created_query(fields, scope, pos)
            assert query is not None  # noqa: S101
            result = self._call(conn, [query], "query")[0]

    def _emit_rows(
        self, rows: list[etree._Element], converter: RecordConverter
    ) -> Iterator[dict[str, Any]]:
        self.begin_page()
        if self.fast_path:
            try:
                lines = [self._json_bytes(converter, row) for row in rows]
            except ConversionError:
                self._raise_conversion_error(rows, converter)
                raise
            self.write_fast(lines)
            return
        convert = converter.convert
        try:
            records = [convert(row) for row in rows]
        except ConversionError:
            self._raise_conversion_error(rows, converter)
            raise
        yield from records

    def _raise_conversion_error(
        self, rows: list[etree._Element], converter: RecordConverter
    ) -> None:
        """Name the stream, object, record and problem in one line."""
        for row in rows:
            try:
                converter.convert(row)
            except ConversionError as exc:
                recordno = shown_key(row.findtext(RECORDNO))
                raise gateway.FatalError(
                    f"stream '{self.name}' ({self.spec.object_name}) record RECORDNO={recordno}: {exc}"
                ) from exc

    def _emit_records(self, records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        if self.fast_path:
            self.write_fast([self._encode(record).encode("ascii") for record in records])
            return
        yield from records

    def _position_after(self, row: etree._Element, field: str | None) -> Position | int:
        return self._position_from(
            row.findtext(RECORDNO), row.findtext(field) if field else None, field
        )

    def _position_from(
        self, recordno_text: str | None, stamp: str | None, field: str | None
    ) -> Position | int:
        if not recordno_text:
            raise gateway.FatalError(
                f"stream '{self.name}' ({self.spec.object_name}): a row without RECORDNO; cannot page"
            )
        text = recordno_text.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            # The keyset filter compares RECORDNO as a whole number; anything else cannot page.
            raise gateway.FatalError(
                f"stream '{self.name}' ({self.spec.object_name}): RECORDNO={shown_key(text)} is "
                "not a whole number; cannot page"
            )
        if field is None:
            return int(text)
        return Position(stamp, int(text))

    def _save_position(
        self, saved: dict[str, Any], key: str, row: etree._Element, field: str | None
    ) -> None:
        stamp = row.findtext(field) if field else None
        self._save_texts(saved, key, row.findtext(RECORDNO), stamp, field)

    def _save_texts(
        self,
        saved: dict[str, Any],
        key: str,
        recordno_text: str | None,
        stamp: str | None,
        field: str | None,
    ) -> None:
        recordno = int(recordno_text or 0)
        if field is None:
            saved["last_recordno"] = recordno
            return
        if not stamp:
            return
        saved[key] = iso_utc(parse_intacct_timestamp(stamp, self.runtime.tz))
        saved[f"{key}_recordno"] = recordno

    # -- deletes --------------------------------------------------------------------------------

    @property
    def natural_keys(self) -> dict[str, int] | None:
        """natural id -> RECORDNO for master data, whose AUDITHISTORY key is the natural id."""
        if self.spec.natural_id == RECORDNO or self.spec.natural_id not in self.field_types:
            return None
        keys: dict[str, int] = self.stream_state.setdefault("natural_keys", {})
        return keys

    @property
    def _live_this_run(self) -> dict[str, str | None]:
        if not hasattr(self, "_live_keys"):
            self._live_keys: dict[str, str | None] = {}
        return self._live_keys

    def _recreated_after(self, key: str, deleted_at: str) -> bool:
        modified = self._live_this_run.get(key)
        if modified is None:
            return False
        row_time = parse_intacct_timestamp(modified, self.runtime.tz)
        return row_time >= parse_intacct_timestamp(deleted_at, UTC)

    def _learn_natural_keys(self, rows: list[etree._Element]) -> None:
        keys = self.natural_keys
        if keys is None:
            return
        natural, rk = self.spec.natural_id, self.replication_field
        for row in rows:
            key, number = row.findtext(natural), row.findtext(RECORDNO)
            if key and number:
                keys[key] = int(number)
                self._live_this_run[key] = row.findtext(rk) if rk else None

    def _learn_natural_key_texts(self, rows: list[gateway.RowKeys]) -> None:
        keys = self.natural_keys
        if keys is None:
            return
        live = self._live_this_run
        for number, modified, key in rows:
            if key and number:
                keys[key] = int(number)
                live[key] = modified

    def _emit_deletes(
        self,
        conn: gateway.IntacctConnection,
        first: gateway.FunctionResult,
        converter: RecordConverter,
    ) -> Iterator[dict[str, Any]]:
        result = first
        template = dict.fromkeys(converter.fields)
        natural = self.spec.natural_id
        # With send_deletes_once, audit rows an earlier run handled are skipped (sentdeletes.py).
        memory = SentDeletes(self.stream_state) if self.config["send_deletes_once"] else None
        while True:
            if not result.ok:
                where = f"query {AUDIT_OBJECT} for deletes of '{self.name}'"
                error = gateway.classify_errors("result", result.errors, where)
                if isinstance(error, gateway.PermissionDeniedError):
                    if self.runtime.audit_readable is not False:
                        LOGGER.warning(
                            "Deletes are not extracted: the user may not read %s. %s",
                            AUDIT_OBJECT,
                            error.message,
                        )
                    self.runtime.audit_readable = False
                    return
                raise error
            self.runtime.audit_readable = True
            rows = list(result.data) if result.data is not None else []
            self.begin_page()
            last: tuple[str, int] | None = None
            tombstones = []
            for row in rows:
                key = (row.findtext("OBJECTKEY") or "").strip()
                stamp = (row.findtext("ACCESSTIME") or "").strip()
                ident = int(row.findtext("ID") or 0)
                last = (stamp, ident)
                if memory is not None and memory.seen(ident):
                    continue
                tombstone = self._tombstone(template, key, stamp, natural)
                if tombstone is not None:
                    tombstones.append(tombstone)
                if memory is not None and stamp:
                    memory.add(ident, parse_intacct_timestamp(stamp, UTC))
            self.deletes_sent += len(tombstones)
            yield from self._emit_records(tombstones)
            if last is not None:
                deleted_at = parse_intacct_timestamp(last[0], UTC)
                self.stream_state["deleted_at"] = iso_utc(deleted_at)
                if memory is not None:
                    memory.save(deleted_at, self.lookback)
                    self.deletes_not_resent = memory.skipped
                self.write_state_now()
            if last is None or result.attr_int("numremaining") <= 0:
                return
            result = self._call(conn, [self._deletes_query(None, last)], "query")[0]

    def _tombstone(
        self, template: dict[str, Any], key: str, stamp: str, natural: str
    ) -> dict[str, Any] | None:
        if not key or not stamp:
            return None
        record = dict(template)
        if key.endswith(RECORDNO_KEY_SUFFIX):
            number = key[: -len(RECORDNO_KEY_SUFFIX)]
            if not number.isdigit():
                return None
            record[RECORDNO] = int(number)
        elif natural == RECORDNO:
            if not key.isdigit():
                LOGGER.warning(
                    "stream '%s': AUDITHISTORY key %r is not a RECORDNO; skipped", self.name, key
                )
                return None
            record[RECORDNO] = int(key)
        else:
            # Master data is keyed by its natural id (VENDORID...): map it to the RECORDNO we emitted.
            keys = self.natural_keys or {}
            if self._recreated_after(key, stamp):
                # The id was deleted and then reused by a row this run emitted: keep that row.
                return None
            if key not in keys:
                # Expected, not a fault: AUDITHISTORY keeps deletes of rows gone before the first
                # run (or before start_date), and the lookback reads them again on every run.
                # The summary line counts them; each key is for debugging only.
                self.unknown_deletes += 1
                LOGGER.debug(
                    "stream '%s': delete of %s=%s, which this tap never sent; nothing to delete",
                    self.name,
                    natural,
                    key,
                )
                return None
            record[natural] = key
            record[RECORDNO] = keys.pop(key)
        record[DELETED_AT] = iso_utc(parse_intacct_timestamp(stamp, UTC))
        return record


class _Prefetcher:
    """Requests the next page of a walk while this one is converted, within the concurrency limit.

    Futures hold downloaded bytes only (`gateway.FetchedAnswer`), never a parsed tree.
    """

    def __init__(
        self,
        stream: IntacctObjectStream,
        conn: gateway.IntacctConnection,
        fields: list[str],
        scope: EntityScope,
        executor: ThreadPoolExecutor,
    ) -> None:
        self.stream = stream
        self.conn = conn
        self.fields = fields
        self.scope = scope
        self.executor = executor
        self.enabled = stream.runtime.max_concurrency > 1
        self.previous: Position | int | None = None
        self.pending: dict[Position | int, Future[gateway.FetchedAnswer]] = {}

    def on_body(self, body: bytes) -> None:
        """A page's bytes arrived: request the page after it before its rows are converted."""
        if not self.enabled:
            return
        rk = self.stream.replication_field
        guess = raw_next_keyset(body, self.stream.spec.object_name, rk)
        if guess is None:
            return
        pos: Position | int = guess[1] if rk is None else Position(guess[0], guess[1])
        if pos == self.previous or pos in self.pending:
            return  # a page that does not advance is refused by the walk, never requested again
        future = self.submit(pos)
        if future is not None:
            self.pending[pos] = future

    def submit(self, pos: Position | int) -> Future[gateway.FetchedAnswer] | None:
        if not self.enabled:
            return None
        return self.executor.submit(
            self.stream._fetch_main_answer, self.conn, self.fields, self.scope, pos
        )

    def take(self, pos: Position | int | None) -> Future[gateway.FetchedAnswer] | None:
        """The request for `pos`, if one was sent; any other (a wrong guess) is dropped."""
        future = self.pending.pop(pos, None) if pos is not None else None
        for stale in self.pending.values():
            stale.cancel()
        self.pending.clear()
        return future

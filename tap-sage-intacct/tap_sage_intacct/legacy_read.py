"""Objects `query` refuses, read with the legacy `readByQuery` + `readMore`.

readByQuery pages through a server-side result set (`resultId`, up to 1000 rows a page:
https://developer.intacct.com/web-services/queries/) and cannot order rows, so a keyset walk is not
possible: with WHENMODIFIED the stream reads `WHENMODIFIED >= bookmark - lookback` and saves the
newest WHENMODIFIED seen once the result set is read through; without it, the object is read whole
each run. Deletes are not detected for these objects (a full re-read shows what is left). readByQuery
has no `showprivate`: an object with MEGAENTITYID is read in one session per entity (its own rows) plus,
the first or the top level, the shared rows; an object without MEGAENTITYID once, in the first session.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from tap_sage_intacct import gateway
from tap_sage_intacct.client import EntityScope, IntacctStream
from tap_sage_intacct.drift import drop_vanished, vanished_in
from tap_sage_intacct.objects import DELETED_AT
from tap_sage_intacct.schema import (
    RecordConverter,
    datatype_from_property,
    iso_utc,
    to_intacct_timestamp,
)

if TYPE_CHECKING:
    from singer_sdk.helpers import types

LOGGER = logging.getLogger("tap_sage_intacct")

MEGAENTITYID = "MEGAENTITYID"
#: A result set longer than this many pages is refused (a server that never says "done").
MAX_PAGES = 100_000


class ReadByQueryStream(IntacctStream):
    """One object `query` refuses, as a Singer stream read with readByQuery (module docstring)."""

    #: The newest replication-key value read this run (the bookmark saved at the end).
    _newest: datetime | None = None

    @override
    def get_replication_key_signpost(self, context: types.Context | None = None) -> None:
        return None

    @property
    def field_types(self) -> dict[str, str]:
        """Intacct datatype of each field of the stream's schema (without `_sdc_deleted_at`)."""
        props = self.schema.get("properties", {})
        return {name: datatype_from_property(p) for name, p in props.items() if name != DELETED_AT}

    def _query_text(self) -> str:
        rk = self.replication_key
        if not rk or rk not in self.field_types:
            return ""
        bookmark = self.stream_state.get("replication_key_value")
        start = _start(
            bookmark, self.config.get("start_date"), float(self.config["lookback_minutes"])
        )
        if start is None:
            return ""
        return f"{rk} >= '{to_intacct_timestamp(start, self.runtime.tz)}'"

    @override
    def get_records(self, context: types.Context | None) -> Iterator[dict[str, Any]]:
        return self.within_record_limit(self._rows())

    def _rows(self) -> Iterator[dict[str, Any]]:
        if self.spec.object_name in self.runtime.denied_objects:
            return
        fields = [f for f in self.selected_properties() if f != DELETED_AT]
        for key in self.primary_keys:
            if key not in fields and key in self.field_types:
                fields.append(key)
        rk = self.replication_key
        if rk and rk in self.field_types and rk not in fields:
            fields.append(rk)
        since = self._query_text()
        self._newest = None
        entity_aware = MEGAENTITYID in self.field_types
        for scope in self._scopes(entity_aware=entity_aware):
            query = " AND ".join(
                q for q in (since, _entity_condition(scope) if entity_aware else "") if q
            )
            fields = yield from self._read_scope(scope, fields, query)
            if self.spec.object_name in self.runtime.denied_objects:
                return
        if self._newest is not None:
            self.stream_state["replication_key"] = rk
            self.stream_state["replication_key_value"] = iso_utc(self._newest)
        self.write_state_now()

    def _scopes(self, *, entity_aware: bool) -> list[EntityScope]:
        """The sessions to read in. Without MEGAENTITYID there is no entity to filter on: one
        session reads it all. readByQuery has no `showprivate`, so the top level sees top-level
        rows only: each entity's own rows are then read in a session of that entity."""
        scopes = self.runtime.scopes()
        if not entity_aware:
            return scopes[:1]
        if len(scopes) == 1 and not scopes[0].entity_id:
            entities = self.runtime.read_entity_ids()
            return [
                scopes[0],
                *(EntityScope(e, owns_shared=False, show_private=False) for e in entities),
            ]
        return scopes

    def _read_scope(
        self, scope: EntityScope, fields: list[str], query: str
    ) -> Generator[dict[str, Any], None, list[str]]:
        """One session's rows; the fields still there are returned (drift.py)."""
        conn = self.runtime.connection(scope.entity_id)
        where = f"readByQuery {self.spec.object_name} (stream '{self.name}', {conn.label})"
        page_size = max(1, min(int(self.config["page_size"]), gateway.MAX_READ_BY_QUERY_PAGE_SIZE))
        name = self.spec.object_name
        result = self._call(conn, gateway.fn_read_by_query(name, fields, query, page_size), where)
        while vanished := vanished_in(result, fields):
            drop_vanished(self, name, vanished)
            fields = [f for f in fields if f not in self.vanished_fields]
            result = self._call(
                conn, gateway.fn_read_by_query(name, fields, query, page_size), where
            )
        yield from self._walk(conn, result, fields, where)
        return fields

    def _call(
        self, conn: gateway.IntacctConnection, function: str, where: str
    ) -> gateway.FunctionResult:
        (result,) = conn.call([function], where)
        self.calls["requests"] += 1
        self.calls[gateway.function_name(function)] += 1
        return result

    def _walk(
        self,
        conn: gateway.IntacctConnection,
        result: gateway.FunctionResult,
        fields: list[str],
        where: str,
    ) -> Iterator[dict[str, Any]]:
        converter = RecordConverter({f: self.field_types[f] for f in fields}, self.runtime.tz)
        rk = self.replication_key if self.replication_key in fields else None
        for _ in range(MAX_PAGES):
            if not result.ok:
                error = gateway.classify_errors("result", result.errors, where)
                if isinstance(error, gateway.PermissionDeniedError):
                    self.runtime.denied_objects.add(self.spec.object_name)
                    LOGGER.warning(
                        "Skipping stream '%s': no permission. %s", self.name, error.message
                    )
                    return
                raise error
            if result.data is None:
                raise gateway.RetryableError(f"{where}: result without <data>")
            self.begin_page()
            for row in result.data:
                record = converter.convert(row)
                stamp = _moment(record.get(rk)) if rk else None
                if stamp is not None and (self._newest is None or stamp > self._newest):
                    self._newest = stamp
                yield record
            token = result.data.get("resultId") or ""
            if result.attr_int("numremaining") <= 0 or not token:
                return
            result = self._call(
                conn, gateway.fn_read_more(token), where.replace("readByQuery", "readMore", 1)
            )
        raise gateway.FatalError(f"{where}: more than {MAX_PAGES} pages; refusing to loop")


def _entity_condition(scope: EntityScope) -> str:
    """An entity session's own rows (and, for the first, the shared top-level rows), as in
    streams.py; readByQuery quotes with backslash escapes
    (https://developer.intacct.com/web-services/queries/)."""
    if not scope.entity_id:
        return ""
    quoted = scope.entity_id.replace("\\", "\\\\").replace("'", "\\'")
    own = f"{MEGAENTITYID} = '{quoted}'"
    return f"({own} OR {MEGAENTITYID} IS NULL)" if scope.owns_shared else own


def _moment(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _start(bookmark: object, start_date: object, lookback_minutes: float) -> datetime | None:
    """Where an incremental readByQuery starts: bookmark minus lookback, not before start_date."""
    floor = None
    if start_date:
        floor = datetime.fromisoformat(str(start_date).replace("Z", "+00:00"))
        floor = floor if floor.tzinfo else floor.replace(tzinfo=UTC)
    if not bookmark:
        return floor
    try:
        moment = datetime.fromisoformat(str(bookmark))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise gateway.FatalError(
            "the state's bookmark is not an ISO-8601 instant with a time zone; fix or remove it"
        )
    start = moment - timedelta(minutes=lookback_minutes)
    return max(start, floor) if floor else start


__all__ = ["ReadByQueryStream"]

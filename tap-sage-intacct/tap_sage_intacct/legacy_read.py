"""Objects `query` refuses, read with the legacy `readByQuery` + `readMore`.

readByQuery pages through a server-side result set (`resultId`, up to 1000 rows a page:
https://developer.intacct.com/web-services/queries/) and cannot order rows, so a keyset walk is not
possible: with WHENMODIFIED the stream reads `WHENMODIFIED >= bookmark - lookback` and saves the
newest WHENMODIFIED seen once the result set is read through; without it, the object is read whole
each run. Deletes are not detected for these objects (a full re-read shows what is left). The set is
read once, in the first entity scope (a readByQuery from the top level sees every entity's rows).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from tap_sage_intacct import gateway
from tap_sage_intacct.client import IntacctStream
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

#: A result set longer than this many pages is refused (a server that never says "done").
MAX_PAGES = 100_000


class ReadByQueryStream(IntacctStream):
    """One object `query` refuses, as a Singer stream read with readByQuery (module docstring)."""

    @override
    def get_replication_key_signpost(self, context: types.Context | None = None) -> None:
        return None

    @property
    def field_types(self) -> dict[str, str]:
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
        if self.spec.object_name in self.runtime.denied_objects:
            return
        conn = self.runtime.connection(self.runtime.scopes()[0].entity_id)
        fields = [f for f in self.selected_properties() if f != DELETED_AT]
        for key in self.primary_keys:
            if key not in fields and key in self.field_types:
                fields.append(key)
        rk = self.replication_key
        if rk and rk in self.field_types and rk not in fields:
            fields.append(rk)
        where = f"readByQuery {self.spec.object_name} (stream '{self.name}', {conn.label})"
        query = self._query_text()
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
        newest: datetime | None = None
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
                if stamp is not None and (newest is None or stamp > newest):
                    newest = stamp
                yield record
            token = result.data.get("resultId") or ""
            if result.attr_int("numremaining") <= 0 or not token:
                break
            result = self._call(
                conn, gateway.fn_read_more(token), where.replace("readByQuery", "readMore", 1)
            )
        else:
            raise gateway.FatalError(f"{where}: more than {MAX_PAGES} pages; refusing to loop")
        if newest is not None:
            self.stream_state["replication_key"] = rk
            self.stream_state["replication_key_value"] = iso_utc(newest)
        self.write_state_now()


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

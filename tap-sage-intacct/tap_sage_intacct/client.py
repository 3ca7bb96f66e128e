"""The SDK base stream for Intacct objects, and the run-wide runtime every stream shares.

Why `Stream` and not `RESTStream`: Intacct is one POST endpoint whose "pages" are keyset queries
built from the previous page's last row, whose sessions are per entity and shared by all streams,
and whose errors hide in HTTP-200 bodies at three levels. RESTStream's per-stream request loop,
paginator and `validate_response` retry cover none of that without overriding most of them, and
they would stop us from prefetching the next page while converting this one. So the transport,
classification and retries live in `gateway.IntacctConnection` (one per entity per run), and this
class adds what the SDK cannot do cheaply: a per-page record writer that skips per-record
`conform_record_data_types` and `utc_now()` when no stream maps or flattening are configured.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timezone
from typing import TYPE_CHECKING, Any

import simplejson  # type: ignore[import-untyped]  # the SDK's own JSON writer; no stubs
from singer_sdk import Stream
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.singerlib.catalog import MetadataMapping, StreamMetadata
from typing_extensions import override

from tap_sage_intacct import gateway
from tap_sage_intacct.objects import ObjectSpec
from tap_sage_intacct.schema import parse_offset
from tap_sage_intacct.sdk_private import check_max_record_limit
from tap_sage_intacct.settings import with_setting_defaults

if TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers import types

LOGGER = logging.getLogger("tap_sage_intacct")


@dataclass(frozen=True)
class EntityScope:
    """One session's share of the data.

    `entity_id` "" is the top level. With entity sessions every record must come out once, but an
    entity session also sees top-level records; so each entity reads its own rows
    (MEGAENTITYID = id) and exactly one scope, the first, also reads the shared top-level rows.
    """

    entity_id: str
    owns_shared: bool
    show_private: bool

    @property
    def state_key(self) -> str:
        """The key of this scope's bookmarks in the state: its entity id ("" at top level)."""
        return self.entity_id


@dataclass(frozen=True)
class FirstRequest:
    """A stream's first request in a scope: its functions, and which results follow the main one."""

    functions: tuple[str, ...]
    created: bool
    deletes: bool


@dataclass(slots=True)
class StreamMetadataWithObject(StreamMetadata):
    """Stream metadata that also names the Intacct object (`intacct-object` in the catalog)."""

    intacct_object: str | None = None


class TapRuntime:
    """What every stream of one run shares: connections (one login per entity), time zone, scopes."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        config = with_setting_defaults(config)
        self.config = config
        self.credentials = gateway.Credentials(
            sender_id=config["sender_id"],
            sender_password=config["sender_password"],
            user_id=config["user_id"],
            user_password=config["user_password"],
            company_id=config["company_id"],
        )
        self.api_url: str = config["api_url"]
        self.retry = gateway.RetryPolicy(
            max_tries=int(config["max_tries"]),
            initial_wait=float(config["retry_wait_seconds"]),
        )
        self.max_concurrency = max(1, int(config["max_concurrent_requests"]))
        # Intacct limits concurrent requests per company, not per session: one semaphore for all.
        self.concurrency = threading.BoundedSemaphore(self.max_concurrency)
        self.stats = gateway.CallStats()
        self.http = gateway.gateway_session()
        self._connections: dict[str, gateway.IntacctConnection] = {}
        self._lock = threading.Lock()
        self._tz: timezone | None = None
        self._scopes: list[EntityScope] | None = None
        #: None until probed; False once AUDITHISTORY was denied (deletes skipped for the run).
        self.audit_readable: bool | None = None
        self.denied_objects: set[str] = set()
        #: (stream, entity) -> a first page requested ahead by the stream before it (streams.py).
        self._first_pages: dict[
            tuple[str, str], tuple[FirstRequest, Future[gateway.FetchedAnswer]]
        ] = {}
        self._first_page_pool: ThreadPoolExecutor | None = None

    def prefetch_first_page(
        self,
        stream: str,
        entity_id: str,
        plan: FirstRequest,
        fetch: Callable[[], gateway.FetchedAnswer],
    ) -> None:
        """Start fetching a stream's first page for one entity in the background, once per pair."""
        key = (stream, entity_id)
        with self._lock:
            if key in self._first_pages:
                return
            if self._first_page_pool is None:
                self._first_page_pool = ThreadPoolExecutor(
                    max_workers=self.max_concurrency, thread_name_prefix="prefetch-next-stream"
                )
            self._first_pages[key] = (plan, self._first_page_pool.submit(fetch))

    def take_first_page(
        self, stream: str, entity_id: str
    ) -> tuple[FirstRequest, Future[gateway.FetchedAnswer]] | None:
        """Hand over (and forget) the first page prefetched for this stream and entity, if any."""
        with self._lock:
            return self._first_pages.pop((stream, entity_id), None)

    def close(self) -> None:
        """Drop first pages nobody took (a stream that ended the run early)."""
        with self._lock:
            pending = list(self._first_pages.values())
            self._first_pages.clear()
            pool, self._first_page_pool = self._first_page_pool, None
        for _plan, future in pending:
            future.cancel()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def log_totals(self) -> None:
        """Log at INFO what the run cost: requests, logins, functions by name, retries by reason."""
        totals = self.stats.as_dict()
        LOGGER.info(
            "Run cost: %d gateway requests, %d logins; functions %s; retries %s",
            totals["requests"],
            totals["logins"],
            totals["functions"],
            totals["retries"] or "none",
        )

    def connection(self, entity_id: str = "") -> gateway.IntacctConnection:
        """The connection for one entity ("" for top level), created once and logged in if stale."""
        with self._lock:
            conn = self._connections.get(entity_id)
            if conn is None:
                conn = gateway.IntacctConnection(
                    self.credentials,
                    self.api_url,
                    entity_id=entity_id,
                    http=self.http,
                    concurrency=self.concurrency,
                    retry=self.retry,
                    stats=self.stats,
                    timeout=float(self.config["request_timeout_seconds"]),
                )
                self._connections[entity_id] = conn
        conn.ensure_session()
        return conn

    def first_connection(self) -> gateway.IntacctConnection:
        """The logged-in connection of the first scope (top level or the first entity)."""
        return self.connection(self.scopes()[0].entity_id)

    # -- entities -------------------------------------------------------------------------------

    def scopes(self) -> list[EntityScope]:
        """The sessions to read, from the `entity_ids` setting ("*" asks `readEntityDetails`)."""
        if self._scopes is None:
            self._scopes = self._resolve_scopes()
        return self._scopes

    def _resolve_scopes(self) -> list[EntityScope]:
        configured = self.config["entity_ids"]
        if isinstance(configured, str):
            configured = [configured]
        if not configured:
            # Top level with showprivate: every record once, one login
            # (https://developer.intacct.com/web-services/queries/, "showprivate").
            return [EntityScope("", owns_shared=True, show_private=True)]
        ids: list[str] = []
        if "*" in configured:
            ids = self.read_entity_ids()
            if not ids:
                LOGGER.warning("entity_ids '*': the user reaches no entity; reading the top level")
                return [EntityScope("", owns_shared=True, show_private=True)]
        else:
            ids = [str(e).strip() for e in configured if str(e).strip()]
        ids = list(dict.fromkeys(ids))
        return [EntityScope(e, owns_shared=(i == 0), show_private=False) for i, e in enumerate(ids)]

    def read_entity_ids(self) -> list[str]:
        """`readEntityDetails` lists the entities the user can access
        (https://developer.intacct.com/api/company-console/entities/)."""
        conn = self.connection("")
        (result,) = conn.call([gateway.fn_read_entity_details()], "readEntityDetails")
        gateway.raise_for_result(result, "readEntityDetails")
        if result.data is None:
            return []
        ids = []
        for entity in result.data.iter("entity", "ENTITY"):
            value = (entity.findtext("id") or entity.findtext("ID") or "").strip()
            if value:
                ids.append(value)
        return ids

    # -- time zone ------------------------------------------------------------------------------

    @property
    def tz(self) -> timezone:
        """Time zone of Intacct stamps: setting, user formatting, session stamp, else UTC."""
        if self._tz is None:
            self._tz = self._resolve_tz()
        return self._tz

    def _resolve_tz(self) -> timezone:
        override = self.config.get("timezone_offset")
        if override:
            return parse_offset(str(override))
        conn = self.first_connection()
        offset = self._read_user_gmt_offset(conn)
        if offset is not None:
            LOGGER.info("Intacct user time zone: GMT%s (readUserFormatting)", offset)
            return parse_offset(offset)
        stamp = conn.session_timestamp
        if stamp is not None and stamp.utcoffset() is not None:
            tz = stamp.tzinfo
            LOGGER.info(
                "Intacct user time zone: %s (from the session timestamp)", stamp.strftime("%z")
            )
            return timezone(stamp.utcoffset()) if not isinstance(tz, timezone) else tz  # type: ignore[arg-type]
        LOGGER.warning("Could not read the Intacct user's time zone; assuming GMT")
        return UTC

    def _read_user_gmt_offset(self, conn: gateway.IntacctConnection) -> str | None:
        """USERINFO -> RECORDNO, then `readUserFormatting` -> gmtoffset (as Estuary's open-source Intacct capture does at setup)."""
        try:
            (info,) = conn.call(
                [gateway.fn_read_by_name("USERINFO", self.credentials.user_id, "RECORDNO")],
                "readByName USERINFO",
            )
            if not info.ok or info.data is None:
                return None
            recordno = (info.data.findtext(".//RECORDNO") or "").strip()
            if not recordno:
                return None
            (fmt,) = conn.call([gateway.fn_read_user_formatting(recordno)], "readUserFormatting")
            if not fmt.ok or fmt.data is None:
                return None
            offset = (fmt.data.findtext(".//gmtoffset") or "").strip()
            return offset or None
        except (gateway.FatalError, gateway.PermissionDeniedError):
            return None


class IntacctStream(Stream):
    """Base for every Intacct object stream: spec, runtime, metadata and the fast writer."""

    #: State is written after every page by the stream itself (streams.py).
    STATE_MSG_FREQUENCY = 10**12

    def __init__(
        self,
        tap: Tap,
        *,
        spec: ObjectSpec,
        schema: dict[str, Any],
        runtime: TapRuntime,
    ) -> None:
        self.spec = spec
        self.runtime = runtime
        # The SDK keeps its tap private (`Stream._tap`): keep our own reference.
        self.tap = tap
        super().__init__(tap=tap, schema=schema, name=spec.stream_name)
        self.primary_keys = list(spec.key_properties)
        self.replication_key = spec.replication_key
        self._fast_prefix: bytes | None = None
        self._fast_suffix = b""
        self._encode = simplejson.JSONEncoder(
            use_decimal=True, separators=(",", ":"), ensure_ascii=True
        ).encode
        self.calls: Counter[str] = Counter()
        self._calls_lock = threading.Lock()
        self.fast_records = 0

    @property
    @override
    def is_sorted(self) -> bool:
        # Rows arrive ordered by (WHENMODIFIED, RECORDNO) per entity, but several entities and the
        # null-WHENMODIFIED pass interleave; the stream keeps its own per-entity keyset bookmark.
        return False

    @property
    @override
    def metadata(self) -> MetadataMapping:
        mapping = super().metadata
        root = mapping.get(())
        if isinstance(root, StreamMetadata) and not isinstance(root, StreamMetadataWithObject):
            mapping[()] = StreamMetadataWithObject(
                inclusion=root.inclusion,
                selected=root.selected,
                selected_by_default=root.selected_by_default,
                table_key_properties=root.table_key_properties,
                replication_key=root.replication_key,
                forced_replication_method=root.forced_replication_method,
                valid_replication_keys=root.valid_replication_keys,
                schema_name=root.schema_name,
                intacct_object=self.spec.object_name,
            )
        return mapping

    # -- selection ------------------------------------------------------------------------------

    def selected_properties(self) -> list[str]:
        """Selected top-level properties, in schema order (key fields are always selected)."""
        mask = self.mask
        names = []
        for name in self.schema.get("properties", {}):
            if name in self.primary_keys or mask.get(("properties", name), True):
                names.append(name)
        return names

    # -- writing --------------------------------------------------------------------------------

    def _fast_path_possible(self) -> bool:
        maps = self.stream_maps
        return (
            len(maps) == 1
            and type(maps[0]) is SameRecordTransform
            and not maps[0].flattening_enabled
        )

    def begin_page(self) -> None:
        """Called once per page: one `time_extracted` for all of its rows."""
        if not self._fast_path_possible():
            self._fast_prefix = None
            return
        extracted = datetime.now(UTC).isoformat()
        alias = self.stream_maps[0].stream_alias
        self._fast_prefix = (
            b'{"type":"RECORD","stream":' + simplejson.dumps(alias).encode() + b',"record":'
        )
        self._fast_suffix = b',"time_extracted":"' + extracted.encode() + b'"}\n'

    @property
    def fast_path(self) -> bool:
        """Whether RECORD lines are written by the fast writer instead of the SDK's."""
        return self._fast_prefix is not None

    def write_fast(self, records_json: list[bytes]) -> None:
        """Write RECORD lines directly; the caller converted each row to (ASCII) JSON text already.

        The SDK would re-walk all 120 fields in `conform_record_data_types`, call `utc_now()`, build
        a message object and flush stdout for every record; here a page costs one timestamp and one
        write of bytes (after what the SDK wrote is flushed, so the order holds), and the flush
        happens with the page's STATE message.
        """
        limit = self.ABORT_AT_RECORD_COUNT
        if limit is not None and self.fast_records + len(records_json) > limit:
            records_json = records_json[: max(0, limit - self.fast_records)]
        if records_json:
            prefix, suffix = self._fast_prefix or b"", self._fast_suffix
            lines = [prefix, (suffix + prefix).join(records_json), suffix]
            out = sys.stdout
            binary = getattr(out, "buffer", None)
            if binary is None:  # a text-only stdout (a test's StringIO)
                out.write(b"".join(lines).decode("ascii"))
            else:
                out.flush()
                binary.writelines(lines)
            self.fast_records += len(records_json)
            self.state_manager.is_flushed = False
        if limit is not None and self.fast_records >= limit:
            check_max_record_limit(self, self.fast_records)  # raises the SDK's abort

    @override
    def _increment_stream_state(  # a private SDK method: see sdk_private.py
        self, latest_record: types.Record, *, context: types.Context | None = None
    ) -> None:
        """Bookmarks are kept per entity as (WHENMODIFIED, RECORDNO) after each page (streams.py)."""

    def write_state_now(self) -> None:
        """Write the tap's STATE now, as the SDK's private `Stream._write_state_message` does."""
        _ = self.stream_state  # the stream's entry exists in the STATE written
        self.tap.state_writer.write_state(self.tap_state)
        self.state_manager.is_flushed = True

    @override
    def log_sync_costs(self) -> None:
        if self.fast_records:
            LOGGER.info("Stream '%s' wrote %d records (fast path)", self.name, self.fast_records)
        if self.calls:
            functions = {k: v for k, v in self.calls.items() if k != "requests"}
            LOGGER.info(
                "Stream '%s' cost %d gateway requests carrying %s",
                self.name,
                self.calls["requests"],
                ", ".join(f"{v} {k}" for k, v in sorted(functions.items())),
            )


def chunked(items: Sequence[str], size: int) -> list[Sequence[str]]:
    """Split items into consecutive slices of at most `size` (the last may be shorter)."""
    return [items[i : i + size] for i in range(0, len(items), size)]

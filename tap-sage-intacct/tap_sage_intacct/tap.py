"""The tap: config schema, discovery (one login, all lookups in one request), wiring, CLI errors."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import IO, Any, ClassVar
from urllib.parse import urlsplit

from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities, TapCapabilities
from singer_sdk.plugin_base import PluginBase, _ConfigInput
from typing_extensions import override

from tap_sage_intacct import protocol
from tap_sage_intacct.client import TapRuntime
from tap_sage_intacct.objects import STANDARD_OBJECTS, ObjectSpec, spec_for_extra
from tap_sage_intacct.schema import FieldDef, fields_from_lookup, fields_from_spec, json_schema
from tap_sage_intacct.streams import IntacctObjectStream

LOGGER = logging.getLogger("tap_sage_intacct")

#: How many `lookup` functions travel in one request during discovery.
LOOKUPS_PER_REQUEST = 50


class TapSageIntacct(Tap):
    """Singer tap for Sage Intacct (XML Web Services)."""

    name = "tap-sage-intacct"
    dynamic_catalog = True

    config_jsonschema = th.PropertiesList(
        th.Property(
            "sender_id", th.StringType, required=True, description="Web Services sender ID."
        ),
        th.Property(
            "sender_password",
            th.StringType,
            required=True,
            secret=True,
            description="Web Services sender password.",
        ),
        th.Property("user_id", th.StringType, required=True, description="Web Services user ID."),
        th.Property(
            "user_password",
            th.StringType,
            required=True,
            secret=True,
            description="Web Services user password.",
        ),
        th.Property("company_id", th.StringType, required=True, description="Intacct company ID."),
        th.Property(
            "start_date",
            th.DateTimeType,
            description="Read records modified at or after this instant on the first run (default: all).",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default=protocol.DEFAULT_API_URL,
            description="XML gateway URL. The tap then follows the endpoint each session names.",
        ),
        th.Property(
            "entity_ids",
            th.ArrayType(th.StringType),
            default=[],
            description=(
                "Entities to read. Empty: the top level (with showprivate, every record once). "
                'A list logs in to each entity. ["*"]: every entity the user can reach.'
            ),
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=protocol.MAX_QUERY_PAGE_SIZE),
            default=protocol.MAX_QUERY_PAGE_SIZE,
            description="Rows per `query` page (1..2000).",
        ),
        th.Property(
            "lookback_minutes",
            th.NumberType(minimum=0),
            default=120,
            description="Re-read this many minutes before the bookmark, for rows that become visible late.",
        ),
        th.Property(
            "timezone_offset",
            th.StringType(pattern=r"^([+-]\d{1,2}:?\d{2}|Z|UTC|GMT)$"),
            description=(
                "The Web Services user's GMT offset, e.g. -08:00. Default: read from the API "
                "(readUserFormatting, else the session timestamp)."
            ),
        ),
        th.Property(
            "extra_objects",
            th.ArrayType(th.StringType),
            default=[],
            description="More standard or custom objects to extract; each stream is named by the object in lower case.",
        ),
        th.Property(
            "max_concurrent_requests",
            th.IntegerType(minimum=1),
            default=2,
            description="Requests in flight at once for the company (Intacct allows 2 by default).",
        ),
        th.Property(
            "max_tries",
            th.IntegerType(minimum=1),
            default=8,
            description="Attempts per request before a transient failure fails the run.",
        ),
        th.Property(
            "retry_wait_seconds",
            th.NumberType,
            default=1.0,
            description="First backoff wait; doubles per retry, capped at 60 s, with full jitter.",
        ),
        th.Property(
            "request_timeout_seconds",
            th.NumberType,
            default=300,
            description="HTTP timeout per request.",
        ),
    ).to_dict()

    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.DISCOVER,
        TapCapabilities.STATE,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
    ]

    _runtime: TapRuntime | None = None

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The JSON schema checks types; values it cannot judge fail here too, before any request."""
        errors = super()._validate_config(raise_errors=raise_errors)
        if errors:
            return errors
        errors = setting_value_errors(self.config)
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        return errors

    @property
    def runtime(self) -> TapRuntime:
        if self._runtime is None:
            self._runtime = TapRuntime(self.config)
        return self._runtime

    # -- discovery ------------------------------------------------------------------------------

    def object_specs(self) -> list[ObjectSpec]:
        specs = list(STANDARD_OBJECTS)
        known = {s.object_name for s in specs}
        for name in self.config.get("extra_objects") or []:
            extra = spec_for_extra(str(name))
            if extra.object_name and extra.object_name not in known:
                specs.append(extra)
                known.add(extra.object_name)
        return specs

    @override
    def discover_streams(self) -> Sequence[Stream]:
        specs = self.object_specs()
        if self.input_catalog is not None:
            # Meltano runs --discover and then syncs with --catalog: don't pay for lookups twice
            # (singer-sdk-and-meltano.md §1.6). The catalog's schemas are the contract.
            return self._streams_from_catalog(specs)
        schemas = self._lookup_schemas(specs)
        return [
            IntacctObjectStream(
                self, spec=spec, schema=schemas[spec.object_name], runtime=self.runtime
            )
            for spec in specs
        ]

    def _streams_from_catalog(self, specs: list[ObjectSpec]) -> list[Stream]:
        assert self.input_catalog is not None  # noqa: S101
        by_stream = {s.stream_name: s for s in specs}
        streams: list[Stream] = []
        for entry in self.input_catalog.values():
            spec = by_stream.get(entry.tap_stream_id) or spec_for_extra(entry.tap_stream_id)
            schema = entry.schema.to_dict()
            streams.append(
                IntacctObjectStream(self, spec=spec, schema=schema, runtime=self.runtime)
            )
        return streams

    def _lookup_schemas(self, specs: list[ObjectSpec]) -> dict[str, dict[str, Any]]:
        """One login, every `lookup` as a function of one request; fallbacks where denied."""
        conn = self.runtime.first_connection()
        schemas: dict[str, dict[str, Any]] = {}
        for start in range(0, len(specs), LOOKUPS_PER_REQUEST):
            batch = specs[start : start + LOOKUPS_PER_REQUEST]
            results = conn.call(
                [protocol.fn_lookup(s.object_name) for s in batch], "lookup (discovery)"
            )
            for spec, result in zip(batch, results, strict=False):
                fields: list[FieldDef] = []
                if result.ok:
                    fields = fields_from_lookup(result.data)
                else:
                    error = protocol.classify_errors(
                        "result", result.errors, f"lookup {spec.object_name}"
                    )
                    LOGGER.warning(
                        "Using the built-in schema for '%s': %s", spec.stream_name, error.message
                    )
                if not fields:
                    fields = fields_from_spec(spec.fallback_field_types())
                schemas[spec.object_name] = json_schema(fields)
        return schemas

    # -- CLI ------------------------------------------------------------------------------------

    @classmethod
    @override
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: _ConfigInput | None = None,
        state: IO[str] | None = None,
        catalog: IO[str] | None = None,
    ) -> None:
        """As the SDK's `Tap.invoke`, plus: log in before any stream starts, and turn every Intacct
        error into one line and exit 1 (the SDK would print a traceback)."""
        try:
            PluginBase.invoke.__func__(cls, about=about, about_format=about_format)  # type: ignore[attr-defined]
            cls.print_version(print_fn=cls.logger.info)
            config = config or _ConfigInput()
            tap = cls(
                config=config.config,
                state=None if state is None else json.loads(state.read()),
                catalog=None if catalog is None else json.loads(catalog.read()),
                parse_env_config=config.parse_env,
                validate_config=True,
            )
            # Bad credentials surface here, as one line, not inside the first stream's sync.
            tap.runtime.first_connection()
            try:
                tap.sync_all()
            finally:
                tap.runtime.close()
            tap.runtime.log_totals()
        except protocol.IntacctError as exc:
            _fail(exc.message)
        except ConfigValidationError as exc:
            _fail(f"Config validation failed: {'; '.join(exc.errors) or exc}")

    @classmethod
    @override
    def cb_discover(cls, ctx: Any, param: Any, value: bool) -> None:
        try:
            super().cb_discover(ctx, param, value)
        except protocol.IntacctError as exc:
            _fail(exc.message)


def setting_value_errors(config: Mapping[str, Any]) -> list[str]:
    """One message per setting whose value is well-typed but unusable, each naming the setting."""
    errors: list[str] = []
    start_date = config.get("start_date")
    if start_date:
        try:
            datetime.fromisoformat(str(start_date).replace("Z", "+00:00"))
        except ValueError:
            errors.append(
                f"start_date: {start_date!r} is not an ISO-8601 date-time such as 2024-01-01T00:00:00Z"
            )
    api_url = config.get("api_url")
    if api_url:
        parts = urlsplit(str(api_url))
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            errors.append(f"api_url: {api_url!r} is not an http(s) URL of the XML gateway")
    return errors


def _fail(message: str) -> None:
    """One line, no traceback, non-zero exit: the message names the object and quotes Intacct."""
    LOGGER.error("%s", message.replace("\n", " "))
    logging.shutdown()
    sys.exit(1)

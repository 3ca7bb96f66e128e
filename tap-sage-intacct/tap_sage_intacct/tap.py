"""The tap: config schema, discovery (one login, all lookups in one request), wiring, CLI errors."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path, PurePath
from typing import IO, TYPE_CHECKING, Any, ClassVar, NoReturn

from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities, TapCapabilities
from singer_sdk.plugin_base import JSONSchemaValidator
from singer_sdk.singerlib import Catalog, Schema
from typing_extensions import override

from tap_sage_intacct import gateway
from tap_sage_intacct.attachments import GET_LIST, SupdocStream
from tap_sage_intacct.catalog_metadata import root_metadata, spec_from_catalog
from tap_sage_intacct.client import IntacctStream, TapRuntime
from tap_sage_intacct.discovery import discover_objects
from tap_sage_intacct.legacy_read import ReadByQueryStream
from tap_sage_intacct.objects import READ_BY_QUERY, ObjectSpec
from tap_sage_intacct.schema import without_enum
from tap_sage_intacct.sdk_private import raw_config
from tap_sage_intacct.settings import SETTINGS_SCHEMA
from tap_sage_intacct.streams import IntacctObjectStream

if TYPE_CHECKING:
    from jsonschema import ValidationError  # type: ignore[import-untyped]

LOGGER = logging.getLogger("tap_sage_intacct")


class TapSageIntacct(Tap):
    """Singer tap for Sage Intacct (XML Web Services)."""

    name = "tap-sage-intacct"
    dynamic_catalog = True

    config_jsonschema = SETTINGS_SCHEMA

    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.DISCOVER,
        TapCapabilities.STATE,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        # Log records go through `logging`, which the SDK formats as JSON when so configured.
        # BATCH is not offered: README.md, "Capabilities".
        PluginCapabilities.STRUCTURED_LOGGING,
    ]

    _runtime: TapRuntime | None = None

    def __init__(
        self,
        *,
        catalog: PurePath | str | dict[str, Any] | Catalog | None = None,
        **kwargs: Any,  # noqa: ANN401 - the SDK's own keyword arguments
    ) -> None:
        """As the SDK's; the catalog's own Intacct metadata keys are kept, which the SDK's
        `Catalog` drops when it parses the catalog."""
        self._catalog_roots = _catalog_roots(catalog)
        super().__init__(catalog=catalog, **kwargs)

    @override
    def _validate_config(  # a private SDK method: see sdk_private.py
        self, *, raise_errors: bool = True
    ) -> list[str]:
        """The SDK's check (which also fills in defaults), with messages that name the setting and
        the rule but never quote a value: a mistyped password must not reach the log."""
        schema = self.config_jsonschema
        self.append_builtin_config(schema)
        config = raw_config(self)
        # A null setting is one left out: it takes the schema's default.
        for name in [name for name, value in config.items() if value is None]:
            del config[name]
        schema_errors = list(JSONSchemaValidator(schema).iter_errors(config))
        # A setting of the wrong type gets no second message about its value.
        faulted = {error.absolute_path[0] for error in schema_errors if error.absolute_path}
        well_typed = {
            name: value for name, value in raw_config(self).items() if name not in faulted
        }
        messages = [schema_error_message(error) for error in schema_errors]
        errors = list(dict.fromkeys([*messages, *setting_value_errors(well_typed)]))
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors, schema=schema)
        return errors

    @property
    def runtime(self) -> TapRuntime:
        """The run-wide TapRuntime (connections, scopes, time zone), created on first use."""
        if self._runtime is None:
            self._runtime = TapRuntime(self.config)
        return self._runtime

    # -- discovery ------------------------------------------------------------------------------

    @override
    def setup_mapper(self) -> None:
        # A catalog saved from an earlier discovery may still carry lookup values as `enum`; a
        # value Intacct added since would make validating targets refuse the record, run after run.
        # The mapper and every stream take their schemas from this catalog, so mend it first.
        for entry in (self.input_catalog or {}).values():
            entry.schema = Schema.from_dict(without_enum(entry.schema.to_dict()))
        super().setup_mapper()

    @override
    def discover_streams(self) -> Sequence[Stream]:
        if self.input_catalog is not None:
            # Meltano runs --discover and then syncs with --catalog: don't pay for discovery twice
            # (`Tap.streams` always calls `discover_streams()`, even with --catalog:
            # https://github.com/meltano/sdk/blob/HEAD/singer_sdk/tap_base.py). The catalog's
            # schemas and metadata are the contract.
            return self._streams_from_catalog()
        found = discover_objects(self.runtime.first_connection(), self.config["extra_objects"])
        return [self._stream(item.spec, item.schema) for item in found]

    def _stream(self, spec: ObjectSpec, schema: dict[str, Any]) -> Stream:
        kinds: dict[str, type[IntacctStream]] = {
            READ_BY_QUERY: ReadByQueryStream,
            GET_LIST: SupdocStream,
        }
        kind = kinds.get(spec.read_function, IntacctObjectStream)
        return kind(self, spec=spec, schema=schema, runtime=self.runtime)

    def _streams_from_catalog(self) -> list[Stream]:
        assert self.input_catalog is not None  # noqa: S101
        return [
            self._stream(
                spec_from_catalog(
                    entry.tap_stream_id, self._catalog_roots.get(entry.tap_stream_id, {})
                ),
                entry.schema.to_dict(),
            )
            for entry in self.input_catalog.values()
        ]

    # -- CLI ------------------------------------------------------------------------------------

    @override  # type: ignore[misc]  # final in the SDK: see sdk_private.py
    def sync_all(self) -> None:
        """As the SDK's, plus: log in before any stream starts, and log the run's cost."""
        # Bad credentials surface here, as one line, not inside the first stream's sync (which
        # would first write SCHEMA and add the SDK's own "unhandled error" line).
        self.runtime.first_connection()
        try:
            super().sync_all()
        finally:
            self.runtime.close()
        self.runtime.log_totals()

    @classmethod
    @override
    def invoke(
        cls,
        *,
        state: IO[str] | None = None,
        catalog: IO[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """As the SDK's `Tap.invoke`, but every Intacct error, bad setting or unreadable --state or
        --catalog file is one line and exit 1 (the SDK would print a traceback)."""
        try:
            super().invoke(
                state=_json_file(state, "--state"),
                catalog=_json_file(catalog, "--catalog"),
                **kwargs,
            )
        except gateway.IntacctError as exc:
            _fail(exc.message)
        except ConfigValidationError as exc:
            _fail(_config_failure(exc))

    @classmethod
    @override
    def cb_config(cls, ctx: Any, param: Any, value: tuple[str, ...]) -> Any:
        """Read the --config files; a missing or malformed one ends the run with one line."""
        try:
            return super().cb_config(ctx, param, value)
        except OSError as exc:
            _fail(f"cannot read the --config file: {exc.strerror or type(exc).__name__}")
        except (ValueError, TypeError) as exc:
            _fail(f"the --config file is not one JSON object in UTF-8: {_where_in_json(exc)}")

    @classmethod
    @override
    def cb_discover(cls, ctx: Any, param: Any, value: bool) -> None:
        """As the SDK's (which logs each bad setting on its own line), plus one line per Intacct error."""
        try:
            super().cb_discover(ctx, param, value)
        except gateway.IntacctError as exc:
            _fail(exc.message)

    @classmethod
    @override
    def cb_test(cls, ctx: Any, param: Any, value: str) -> None:
        """As the SDK's, but a bad setting or an Intacct error is one line, not a traceback."""
        try:
            super().cb_test(ctx, param, value)
        except gateway.IntacctError as exc:
            _fail(exc.message)
        except ConfigValidationError as exc:
            _fail(_config_failure(exc))


def _catalog_roots(catalog: object) -> dict[str, dict[str, Any]]:
    """Stream id -> its raw stream-level metadata, from a catalog dict or file."""
    raw: Any = catalog
    if isinstance(catalog, (str, PurePath)):
        try:
            raw = json.loads(Path(catalog).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # the SDK reports an unreadable catalog itself
    if not isinstance(raw, Mapping):
        return {}
    streams = raw.get("streams")
    return {
        str(entry.get("tap_stream_id")): root_metadata(entry)
        for entry in (streams if isinstance(streams, list) else [])
        if isinstance(entry, Mapping)
    }


def setting_value_errors(config: Mapping[str, Any]) -> list[str]:
    """One message per well-typed setting whose value is unusable, naming it, never quoting it."""
    errors: list[str] = []
    start_date = config.get("start_date")
    if isinstance(start_date, str) and start_date:
        try:
            datetime.fromisoformat(start_date.replace("Z", "+00:00"))
        except ValueError:
            errors.append("start_date: not an ISO-8601 date-time such as 2024-01-01T00:00:00Z")
    api_url = config.get("api_url")
    if isinstance(api_url, str) and api_url:
        # The origin as the HTTP client will connect: both passwords travel in the body.
        origin = gateway.gateway_origin(api_url)
        if origin is None:
            errors.append(
                "api_url: not a plain http(s) URL of the XML gateway (no user-info, backslash, "
                "whitespace or control characters)"
            )
        elif origin.scheme == "http" and not gateway.is_loopback(origin.host):
            errors.append(
                "api_url: plain http is allowed only to a loopback host (127.0.0.0/8, ::1, "
                "localhost); use https"
            )
    return errors


#: JSON Schema's names for the JSON type of a config value (the SDK reads a config file's
#: fractions as Decimal); bool before int, as bool is an int.
_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (Decimal, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
    (type(None), "null"),
)

#: JSON Schema's bound keywords (https://json-schema.org/draft/2020-12/json-schema-validation#
#: section-6.2) as the rule a message states; the bound comes from the schema, never the config.
_BOUNDS = {
    "minimum": "must be at least",
    "maximum": "must be at most",
    "exclusiveMinimum": "must be more than",
    "exclusiveMaximum": "must be less than",
}


def _json_type(value: object) -> str:
    """The JSON type of `value`, the only thing an error may say about a value received."""
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), "unknown")


def _setting_name(path: Iterable[str | int]) -> str:
    """`entity_ids[0]` or `stream_maps.vendor.__alias__`: where in the config an error is."""
    name = ""
    for part in path:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            # Keys below a setting are the user's (stream names): shown only when short and plain.
            shown = part if part.isprintable() and len(part) <= 64 else "(key)"
            name += f".{shown}" if name else shown
    return name


def schema_error_message(error: ValidationError) -> str:
    """The setting, the rule it breaks and the JSON type received, never the value itself.

    jsonschema's own messages quote the value (`918273645546 is not of type 'string'`), which
    would print a mistyped password."""
    where = _setting_name(error.absolute_path)
    rule = str(error.validator)
    expected = error.validator_value
    got = _json_type(error.instance)
    if rule == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        prefix = f"{where}." if where else ""
        missing = [f"{prefix}{name}" for name in expected if name not in present]
        return f"{', '.join(missing)}: required setting missing"
    if rule == "type":
        kinds = [expected] if isinstance(expected, str) else list(expected)
        # Leaving a setting out is how to say null: naming it would only confuse.
        kinds = [kind for kind in kinds if kind != "null"] or kinds
        return f"{where}: must be of type {' or '.join(kinds)}, got {got}"
    if rule in _BOUNDS:
        return f"{where}: {_BOUNDS[rule]} {expected}"
    if rule == "pattern":
        return f"{where}: must match the pattern {expected}"
    if rule in ("anyOf", "oneOf"):
        return f"{where}: must take one of the allowed forms, got {got}"
    if rule in ("enum", "const"):
        return f"{where}: must be one of the allowed values"
    return f"{where}: does not satisfy the schema's {rule!r} rule, got {got}"


def _config_failure(exc: ConfigValidationError) -> str:
    """Every bad setting in one line."""
    return f"Config validation failed: {'; '.join(exc.errors) or exc}"


def _where_in_json(exc: BaseException) -> str:
    """Where a JSON text went wrong, without quoting it (it may hold a secret)."""
    line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    return f"line {line}, column {column}" if line is not None else type(exc).__name__


def _json_file(file: IO[str] | None, option: str) -> IO[str] | None:
    """The text of a --state or --catalog file, checked to hold one JSON object; anything else
    ends the run with one line."""
    if file is None:
        return None
    try:
        text = file.read()
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        _fail(f"the {option} file is not valid JSON: {_where_in_json(exc)}")
    if not isinstance(value, dict):
        _fail(f"the {option} file must hold one JSON object")
    return io.StringIO(text)


def _fail(message: str) -> NoReturn:
    """One line, no traceback, non-zero exit: the message names the object and quotes Intacct."""
    LOGGER.error("%s", message.replace("\n", " "))
    logging.shutdown()
    sys.exit(1)

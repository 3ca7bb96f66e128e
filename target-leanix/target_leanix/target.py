"""target-leanix: Sage Intacct spend (tap-sage-intacct streams) -> SAP LeanIX services, costs, invoices."""

from __future__ import annotations

import gc
import os
import sys
import typing as t

import click
from singer_sdk import Target
from singer_sdk.exceptions import ConfigValidationError, FatalSyncError, InvalidJSONSchema
from singer_sdk.plugin_base import JSONSchemaValidator
from singer_sdk.sinks import Sink
from singer_sdk.typing import DEFAULT_JSONSCHEMA_VALIDATOR
from typing_extensions import override

from target_leanix.leanix import (
    LeanIXError,
)
from target_leanix.ledger import LedgerError
from target_leanix.mapping import (
    DRAIN_ORDER,
    IGNORED_TAP_STREAMS,
    USED_STREAMS,
    to_item,
)
from target_leanix.pipeline import Pipeline, Settings, SettingsError
from target_leanix.private_files import PrivateFileError
from target_leanix.publisher import LedgerMissingError
from target_leanix.reader import FastSingerReader, identity_maps
from target_leanix.recognition import (
    RecognitionConfigError,
    RecognitionRules,
)
from target_leanix.record_fields import BadRecordError
from target_leanix.sdk_private import (
    batch_context,
    check_max_record_age,
    env_var_prefix,
    raw_config,
)
from target_leanix.settings import SETTINGS_SCHEMA
from target_leanix.sinks import IgnoredStreamSink, IntacctSink

if t.TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import PurePath

    from jsonschema import ValidationError  # type: ignore[import-untyped]
    from singer_sdk.io_base import GenericSingerReader

# Errors that end a run with one clear line (and exit code 1) instead of a traceback.
EXPECTED_ERRORS = (
    BadRecordError,
    LeanIXError,
    LedgerError,
    LedgerMissingError,
    PrivateFileError,
    SettingsError,
    RecognitionConfigError,
    FatalSyncError,
    InvalidJSONSchema,
)


GC_YOUNG_THRESHOLD = 20_000


class UnknownStreamError(ValueError):
    """A stream that is no Intacct stream this target knows, with on_unknown_stream=fail."""


class TargetLeanIX(Target):
    """Sage Intacct spend (tap-sage-intacct) -> SAP LeanIX services, costs and invoices."""

    name = "target-leanix"
    default_sink_class = IntacctSink
    # Decodes the records of the streams the target uses without the SDK's per-record path.
    message_reader_class = FastSingerReader

    config_jsonschema = SETTINGS_SCHEMA

    def __init__(
        self,
        *,
        config: dict[str, t.Any] | PurePath | str | list[PurePath | str] | None = None,
        parse_env_config: bool = False,
        validate_config: bool = True,
        setup_mapper: bool = True,
        message_reader: GenericSingerReader[t.Any] | None = None,
    ) -> None:
        try:
            super().__init__(
                config=config,
                parse_env_config=parse_env_config,
                validate_config=validate_config,
                setup_mapper=setup_mapper,
                message_reader=message_reader,
            )
        except ValueError:
            if parse_env_config:
                _check_integer_environment(self.config_jsonschema, env_var_prefix(type(self)))
            raise
        self.settings = Settings.from_config(self.config)
        # Bad recognition rules fail at start, before any record is read.
        self.recognition_rules = RecognitionRules.from_config(self.settings.recognition)
        # One publisher over one ledger: drain sinks one at a time.
        self.max_parallelism = 1
        self._pipeline: Pipeline | None = None
        self._unknown_streams: set[str] = set()
        self._our_sinks: list[IntacctSink] = []
        self._records_since_checkpoint = 0
        self._checkpoint_rows = int(
            self.config.get("batch_size_rows") or IntacctSink.MAX_SIZE_DEFAULT
        )
        # Streams whose records reach their sink unchanged, by sink (see `fast_record`).
        self._fast_sinks: dict[str, IntacctSink | IgnoredStreamSink] = {}
        if isinstance(self.message_reader, FastSingerReader):
            self.message_reader.attach(self)

    @override
    def _validate_config(  # a private SDK method: see sdk_private.py
        self, *, raise_errors: bool = True
    ) -> list[str]:
        """The SDK's validation, with messages that name the setting and never quote its value
        (its own say e.g. `123456789 is not of type 'string' in config['api_token']`)."""
        schema = self.config_jsonschema
        self.append_builtin_config(schema)
        problems = _config_problems(DEFAULT_JSONSCHEMA_VALIDATOR(schema), raw_config(self))
        if not problems:
            # The SDK's validator also fills in defaults, but fails (AttributeError) on text where
            # an object with defaults belongs: it sees only a config the plain validator accepted.
            problems = _config_problems(JSONSchemaValidator(schema), raw_config(self))
        if problems and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=problems, schema=schema)
        if problems:
            self.logger.warning("Config validation failed: %s", "; ".join(problems))
        return problems

    @classmethod
    @override
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> t.Any:
        """Read the --config files; a missing or malformed one ends the run with one line."""
        try:
            return super().cb_config(ctx, param, value)
        except (OSError, ValueError, TypeError, RuntimeError) as error:
            cls.logger.error("target-leanix failed: %s", _config_file_problem(error))  # noqa: TRY400
            sys.exit(1)

    def fast_path_allowed(self) -> bool:
        """Stream maps and flattening change records on the SDK's path: then it reads everything."""
        return not (
            self.config.get("stream_maps")
            or self.config.get("stream_map_config")
            or self.config.get("flattening_enabled")
        )

    def fast_record(self, stream: str, line: str) -> bool:
        """Take a RECORD line of a known stream past the SDK's per-record path (reader.py); False
        when the line must go the SDK's way (bad or unusual records, streams not set up yet)."""
        if not self.sink_exists(stream):
            return False
        sink = self.get_sink(stream)
        if not isinstance(sink, IntacctSink | IgnoredStreamSink):
            return False
        if self._fast_sinks.get(stream) is not sink:
            if not identity_maps(self, stream):
                return False
            self._fast_sinks[stream] = sink
        record = sink.fast_decoder.decode(line)
        if record is None:
            return False
        if isinstance(sink, IntacctSink):
            try:
                item = to_item(stream, record)
            except BadRecordError:
                return False  # the SDK's path reports it under on_bad_record
            context = batch_context(sink, record)
            if item is not None:
                context.setdefault("records", []).append(item)
            self._records_since_checkpoint += 1
        sink.tally_record_read()
        sink.record_counter_metric.increment()
        if sink.is_full:
            if isinstance(sink, IntacctSink):
                self._drain_ours()
            else:
                self.drain_one(sink)
        check_max_record_age(self)
        return True

    def _drain_ours(self) -> None:
        """Drain every stream the target uses, parents first: a tap sends a header before its lines,
        so lines then find their header (and vendor) in the ledger instead of being attributed once
        without it and again when it arrives (`Ledger._revisit_headers`)."""
        for sink in sorted(self._our_sinks, key=lambda s: DRAIN_ORDER.get(s.stream_name, 99)):
            self.drain_one(sink)

    def pipeline(self) -> Pipeline:
        """The run's Pipeline, made on first use (ledger opened, recognition loaded, GC tuned)."""
        if self._pipeline is None:
            self._pipeline = Pipeline(self.settings, self.logger, self.recognition_rules)
            # Everything loaded by now (singer-sdk, SQLAlchemy, the recognition catalog) lives as
            # long as the process: keep it out of the garbage collections that a run's millions of
            # short-lived records trigger, each of which would otherwise scan it again.
            gc.freeze()
            # A drained batch holds thousands of records alive, which the default thresholds (700
            # allocations) scanned again every few hundred records: 0.5 s of a 100k-line run in
            # collections, 0.2 s with these. Records are freed by reference counting, not by the
            # collector (no cycles), so memory stays flat.
            gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
        return self._pipeline

    def register_sink(self, sink: IntacctSink) -> None:
        """Remember an Intacct sink so checkpoints drain it, parents first."""
        self._our_sinks.append(sink)

    def note_record(self) -> None:
        """Count a record the SDK path read towards the next checkpoint (batch_size_rows)."""
        self._records_since_checkpoint += 1

    @override
    def _process_state_message(self, message_dict: dict[str, t.Any]) -> None:
        # A private SDK method (see sdk_private.py). The SDK writes STATE only when every sink
        # drains, normally at the end of the input; a run that fails later would then keep nothing.
        # So every batch-size worth of records, at the tap's next STATE, make everything read so
        # far durable in LeanIX and pass that STATE on.
        super()._process_state_message(message_dict)
        if self._records_since_checkpoint >= self._checkpoint_rows:
            self._publish_everything_read(has_state=bool(message_dict["value"]))

    def _publish_everything_read(self, *, has_state: bool) -> None:
        """Drain every sink into the ledger, then publish once: one LeanIX run per max_items_per_run
        for all streams together, instead of one per stream; then pass the latest STATE on."""
        self._drain_ours()
        pipeline = self.pipeline()
        if has_state:
            # Drains what is left and writes the latest STATE through `_write_state_message`,
            # which publishes first.
            self.drain_all()
        else:
            pipeline.publish()
        self._records_since_checkpoint = 0

    @override
    def _write_state_message(self, state: dict[str, t.Any]) -> None:
        # A private SDK method (see sdk_private.py). A drained sink batch only reaches the ledger
        # (with its dirty marks); LeanIX hears of it once per drain of all sinks. Every STATE goes
        # out through here (the SDK's drain_all, also at our checkpoints), so publishing first
        # keeps STATE from running ahead of LeanIX while a publication costs what a whole drain
        # changed, not what each sink batch did.
        if self._pipeline is not None:
            self._pipeline.publish()
        super()._write_state_message(state)

    def on_bad_record(self, error: BadRecordError) -> None:
        """on_bad_record: raise the error (fail), or log it and list it in the summary (skip)."""
        if self.settings.on_bad_record == "fail":
            raise error
        self.logger.warning("skipping bad record: %s", error)
        self.pipeline().skipped.append(str(error))

    @override
    def get_sink_class(self, stream_name: str) -> type[Sink]:
        if stream_name in USED_STREAMS:
            return IntacctSink
        if stream_name in IGNORED_TAP_STREAMS:
            return IgnoredStreamSink
        if self.settings.on_unknown_stream == "fail":
            raise UnknownStreamError(
                f"stream {stream_name!r} is not a Sage Intacct stream this target knows "
                "(set on_unknown_stream=skip to ignore such streams)"
            )
        if stream_name not in self._unknown_streams:
            self.logger.warning("ignoring unknown stream %r (on_unknown_stream=skip)", stream_name)
            self._unknown_streams.add(stream_name)
        return IgnoredStreamSink

    @override
    def process_endofpipe(self) -> None:
        pipeline = self.pipeline()
        self._drain_ours()
        # One publication for everything read, and leftovers of an interrupted earlier run. The
        # SDK's drain_all below then finds the sinks empty and writes STATE after our publication.
        pipeline.finish()
        self._records_since_checkpoint = 0
        super().process_endofpipe()
        pipeline.unknown_streams.update(self._unknown_streams)
        lines, warnings, details = pipeline.summary()
        for line in lines:
            self.logger.info("summary: %s", line)
        for line in warnings:
            self.logger.warning("summary: %s", line)
        for line in details:
            self.logger.debug("summary: %s", line)
        pipeline.log_plan()
        pipeline.write_report()
        pipeline.close()

    @classmethod
    @override
    def invoke(
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        **kwargs: t.Any,
    ) -> None:
        try:
            super().invoke(about=about, about_format=about_format, **kwargs)
        except ConfigValidationError as error:
            cls.logger.error(  # noqa: TRY400 - one line is the point
                "target-leanix failed: Config validation failed: %s",
                "; ".join(error.errors) or _one_line(error),
            )
            sys.exit(1)
        except (*EXPECTED_ERRORS, UnknownStreamError) as error:
            cls.logger.error("target-leanix failed: %s", _one_line(error))  # noqa: TRY400
            sys.exit(1)


_EXPECTED_TYPES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
}


def _config_problems(validator: t.Any, config: dict[str, t.Any]) -> list[str]:  # noqa: ANN401
    return sorted({_config_problem(error) for error in validator.iter_errors(config)})


def _config_problem(error: ValidationError) -> str:
    """A config validation error as a clause naming the setting and what it must be, never its value."""
    setting = _setting_path(error.absolute_path)
    rule, wanted = error.validator, error.validator_value
    if rule == "required" and isinstance(error.instance, dict):
        prefix = f"{setting}." if setting else ""
        missing = [name for name in wanted if name not in error.instance]
        return "; ".join(f"setting {prefix}{name} is required" for name in missing)
    if rule == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        unknown = ", ".join(sorted(str(key)[:40] for key in error.instance if key not in known))
        return f"setting {setting} has keys it does not know: {unknown}"
    if rule == "type":
        kinds = [wanted] if isinstance(wanted, str) else list(wanted)
        expected = " or ".join(_EXPECTED_TYPES.get(kind, kind) for kind in kinds if kind != "null")
    elif rule == "enum":
        expected = "one of " + ", ".join(repr(choice) for choice in wanted)
    elif rule == "format":
        expected = "an ISO date (YYYY-MM-DD)" if wanted == "date" else f"in {wanted} format"
    elif rule in {"minimum", "exclusiveMinimum"}:
        expected = f"at least {wanted}" if rule == "minimum" else f"more than {wanted}"
    elif rule in {"maximum", "exclusiveMaximum"}:
        expected = f"at most {wanted}" if rule == "maximum" else f"less than {wanted}"
    elif rule == "minLength":
        expected = f"at least {wanted} characters long"
    elif rule == "uniqueItems":
        expected = "a list without repeats"
    else:
        expected = f"what the config schema's {rule!r} rule allows"
    return f"setting {setting or '(the config)'} must be {expected}"


def _setting_path(path: Iterable[str | int]) -> str:
    """`recognition.vendor_services[2].key` for the path a validation error points at."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _config_file_problem(error: BaseException) -> str:
    """Why a --config file cannot be read, without quoting what it holds."""
    if isinstance(error, OSError):
        return f"cannot read the config file: {_one_line(error)}"
    line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
    if line is not None:
        return f"the config file is not valid JSON (line {line}, column {column})"
    return "the config file must hold one JSON object, in UTF-8"


def _check_integer_environment(schema: dict[str, t.Any], prefix: str) -> None:
    """Name the setting whose environment variable the SDK could not read as a whole number: its own
    error (from int()) quotes the value instead."""
    for name, property_schema in schema.get("properties", {}).items():
        variable = prefix + name.upper().replace("-", "_")
        raw = os.environ.get(variable)
        if raw is None or "integer" not in (property_schema.get("type") or []):
            continue
        try:
            int(raw)
        except ValueError:
            raise SettingsError(
                f"setting {name} (environment variable {variable}) must be a whole number"
            ) from None


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())

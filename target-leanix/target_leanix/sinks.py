"""SDK glue: one BatchSink per Intacct stream; a batch goes to the ledger, and LeanIX hears of it
once per drain of all sinks.

`process_batch` only commits the batch to the ledger (records + dirty marks). The target publishes
the dirty marks to LeanIX before it writes any STATE (`TargetLeanIX._write_state_message`), so the
STATE that singer-sdk writes at the end of `drain_all` never runs ahead of LeanIX
(https://github.com/meltano/sdk/blob/HEAD/singer_sdk/target_base.py, `drain_all`).
"""

from __future__ import annotations

import logging
import typing as t
from typing import Any

from singer_sdk import metrics
from singer_sdk.helpers.conform import DatetimeErrorTreatmentEnum
from singer_sdk.sinks import BatchSink
from singer_sdk.sinks.core import BaseJSONSchemaValidator, JSONSchemaValidator
from typing_extensions import override

from target_leanix.mapping import USED_FIELDS, to_item
from target_leanix.reader import JSON_TYPES, RecordDecoder
from target_leanix.record_fields import BadRecordError, clipped
from target_leanix.sdk_private import get_datelike_property_type

if t.TYPE_CHECKING:
    from singer_sdk import Target

    from target_leanix.pipeline import Pipeline

BAD_RECORD_MARK = "__target_leanix_bad_record__"


class PipelineHost(t.Protocol):
    """What a sink needs from the target (kept narrow so sinks stay testable)."""

    def pipeline(self) -> Pipeline:
        """The run's Pipeline: settings, recognition and the ledger the batches go to."""

    def on_bad_record(self, error: BadRecordError) -> None:
        """Apply on_bad_record to a record that failed its checks: raise, or log and skip it."""

    def register_sink(self, sink: IntacctSink) -> None:
        """Tell the target this sink exists, so its checkpoints drain it with the others."""

    def note_record(self) -> None:
        """Count one record towards the next checkpoint (publish, then pass STATE on)."""


def record_key(record: dict[str, Any], keys: t.Sequence[str]) -> str:
    """How an error names a record: its key properties (`RECORDNO=2`), each cut short."""
    return ",".join(f"{k}={clipped(str(record.get(k)))}" for k in keys) or "<no key>"


class _UsedFieldsValidator(BaseJSONSchemaValidator):
    """Checks the JSON types of the fields the target reads (mapping.USED_FIELDS), and names the
    stream and record key when one is wrong.

    Only types: ENUM lists from Intacct's lookup are not checked (Intacct adds status values over
    time, and a new STATE must not stop a whole sync), nor fields the target never reads. jsonschema
    over every field of an 80-field bill was the target's largest cost. In `skip` mode the record is
    marked instead of raising; `process_record` then reports it."""

    def __init__(self, schema: dict[str, Any], stream: str, keys: list[str], *, skip: bool) -> None:
        super().__init__(schema)
        self.stream = stream
        self.keys = keys
        self.skip = skip
        self.allowed: dict[str, tuple[tuple[type, ...], str]] = {}
        for name, spec in schema.get("properties", {}).items():
            if name not in USED_FIELDS or not isinstance(spec, dict) or "type" not in spec:
                continue
            names = [spec["type"]] if isinstance(spec["type"], str) else list(spec["type"])
            python = tuple(t for n in names for t in JSON_TYPES.get(n, (object,)))
            self.allowed[name] = (python, ", ".join(repr(n) for n in names))

    @override
    def validate(self, record: dict[str, Any]) -> None:
        for name, (python, names) in self.allowed.items():
            value = record.get(name)
            if value is None and name not in record:
                continue
            wrong_bool = isinstance(value, bool) and bool not in python
            if not isinstance(value, python) or wrong_bool:
                problem = BadRecordError(
                    self.stream,
                    record_key(record, self.keys),
                    f"field {name}: {clipped(repr(value))} is not of type {names}",
                )
                if not self.skip:
                    raise problem
                record[BAD_RECORD_MARK] = problem
                return


#: Where the SDK's batch timings go (`IntacctSink.get_batch_processing_timer`).
BATCH_TIMER_LOGGER = "singer_sdk.metrics.batch_processing_time"


def batch_timer_logger(plugin_logger: logging.Logger) -> logging.Logger:
    """The logger of batch timings: quiet (WARNING) unless the target itself logs at DEBUG."""
    logger = logging.getLogger(BATCH_TIMER_LOGGER)
    if logger.level == logging.NOTSET:  # a level set in SINGER_SDK_LOG_CONFIG wins
        debug = plugin_logger.isEnabledFor(logging.DEBUG)
        logger.setLevel(logging.NOTSET if debug else logging.WARNING)
    return logger


class _DatesAsBadRecords(BatchSink):
    """Parses the date fields of `dates_schema` exactly as the SDK would, with the same error
    treatment; one it cannot parse (e.g. a date-time in a `date` field) is a bad record under
    `on_bad_record`, where the SDK would end the run with a traceback."""

    dates_schema: dict[str, Any]

    @override
    def get_batch_processing_timer(self) -> metrics.Timer:
        # The SDK's public hook for this timer (singer-sdk 0.51+): the target drains a batch per
        # stream every `batch_size_rows`, so its `batch_processing_time` METRIC lines outnumbered
        # everything else at INFO (77 in a 220k-row run). They now go to `BATCH_TIMER_LOGGER`,
        # which shows them only when the target logs at DEBUG.
        timer = super().get_batch_processing_timer()
        timer.logger = batch_timer_logger(self.logger)
        return timer

    @override
    def _parse_timestamps_in_record(  # a private SDK method: see sdk_private.py
        self,
        record: dict[str, Any],
        schema: dict[str, Any],
        treatment: DatetimeErrorTreatmentEnum,
    ) -> None:
        dates = self.dates_schema["properties"]
        if not dates or BAD_RECORD_MARK in record:
            return
        for name in dates:
            if name not in record:
                continue
            value = {name: record[name]}
            try:
                super()._parse_timestamps_in_record(value, self.dates_schema, treatment)
            except (ValueError, TypeError, OverflowError):
                kind = get_datelike_property_type(dates[name])
                problem = f"{kind} {name} is not an ISO 8601 {kind}: {clipped(repr(record[name]))}"
                key = record_key(record, self.key_properties)
                self.reject(record, BadRecordError(self.stream_name, key, problem))
                return
            record[name] = value[name]

    def reject(self, record: dict[str, Any], error: BadRecordError) -> None:
        """A bad record: raise (`on_bad_record: fail`) or mark it for `process_record` (skip)."""
        if self.config["on_bad_record"] != "skip":
            raise error
        record[BAD_RECORD_MARK] = error


def _dates_schema(properties: dict[str, Any], wanted: t.Container[str] | None) -> dict[str, Any]:
    """The date-like properties among `wanted` (None: all), as a schema to parse them with."""
    return {
        "properties": {
            name: spec
            for name, spec in properties.items()
            if (wanted is None or name in wanted)
            and isinstance(spec, dict)
            and get_datelike_property_type(spec)
        },
        "additionalProperties": True,
    }


class IntacctSink(_DatesAsBadRecords):
    """A stream the target uses: records become domain items, a batch goes through the pipeline."""

    MAX_SIZE_DEFAULT = 5000  # one LeanIX run per batch of thousands of items, never per record

    def __init__(
        self,
        target: Target,
        stream_name: str,
        schema: dict[str, Any],
        key_properties: t.Sequence[str] | None,
    ) -> None:
        self.host: PipelineHost = t.cast("PipelineHost", target)
        super().__init__(target, stream_name, schema, key_properties)
        self.host.register_sink(self)
        # The SDK looks up every field of every record for a date format (most of its per-record
        # cost on 80-field Intacct rows); only the date fields the target reads are worth parsing.
        self.dates_schema = _dates_schema(self.schema.get("properties", {}), USED_FIELDS)
        # The target's fast reader decodes this stream's records with this (see reader.py).
        self.fast_decoder = RecordDecoder(
            stream_name,
            self.schema,
            list(self.key_properties),
            USED_FIELDS,
            check_types=self.validate_schema,
        )

    @override
    def _add_sdc_metadata_to_record(
        self, record: dict[str, Any], message: dict[str, Any], context: dict[str, Any]
    ) -> None:
        # A private SDK method (see sdk_private.py). The target reads only `_sdc_deleted_at`, which
        # the tap sends in the record itself; the receive/batch timestamps and sequence the SDK
        # would add per record are never used.
        return

    @property
    @override
    def include_sdc_metadata_properties(self) -> bool:
        # `_sdc_deleted_at` carries deletes; without this the SDK would strip it from every record.
        return True

    @override
    def get_validator(self) -> BaseJSONSchemaValidator | None:
        if not self.validate_schema:
            return None
        JSONSchemaValidator(self.schema)  # only to reject a schema that is not valid JSON Schema
        skip = self.config["on_bad_record"] == "skip"
        return _UsedFieldsValidator(
            self.schema, self.stream_name, list(self.key_properties), skip=skip
        )

    @override
    def _singer_validate_message(self, record: dict[str, Any]) -> None:
        # A private SDK method (see sdk_private.py). The SDK raises MissingKeyPropertiesError naming
        # every field but not the stream, and before on_bad_record can apply: route a keyless record
        # through the policy instead.
        missing = [key for key in self.key_properties if record.get(key) is None]
        if missing and BAD_RECORD_MARK not in record:
            problem = f"key property {', '.join(missing)} is missing"
            self.reject(record, BadRecordError(self.stream_name, "<no key>", problem))

    @override
    def process_record(self, record: dict[str, Any], context: dict[str, Any]) -> None:
        problem = record.pop(BAD_RECORD_MARK, None)
        if isinstance(problem, BadRecordError):
            self.host.on_bad_record(problem)
            return
        try:
            item = to_item(self.stream_name, record)
        except BadRecordError as error:
            self.host.on_bad_record(error)
            return
        if item is not None:
            context.setdefault("records", []).append(item)
        self.host.note_record()

    @override
    def process_batch(self, context: dict[str, Any]) -> None:
        items = context.get("records", [])
        if items:
            self.host.pipeline().ingest(items)


class IgnoredStreamSink(_DatesAsBadRecords):
    """A stream the target reads but does not use (known tap streams, or unknown ones in `skip` mode)."""

    MAX_SIZE_DEFAULT = 5000

    def __init__(
        self,
        target: Target,
        stream_name: str,
        schema: dict[str, Any],
        key_properties: t.Sequence[str] | None,
    ) -> None:
        self.host: PipelineHost = t.cast("PipelineHost", target)
        super().__init__(target, stream_name, schema, key_properties)
        # The fast reader still checks what the SDK would for a dropped record: its JSON, its key
        # properties and its date fields (see reader.py).
        self.dates_schema = _dates_schema(self.schema.get("properties", {}), None)
        self.fast_decoder = RecordDecoder(
            stream_name,
            self.schema,
            list(self.key_properties),
            self.dates_schema["properties"],
            check_types=False,
        )

    @override
    def get_validator(self) -> BaseJSONSchemaValidator | None:
        JSONSchemaValidator(self.schema)  # a broken schema is still an error (SDK contract)
        return None  # the records are dropped, so validating them would only cost time

    @override
    def process_record(self, record: dict[str, Any], context: dict[str, Any]) -> None:
        problem = record.pop(BAD_RECORD_MARK, None)
        if isinstance(problem, BadRecordError):
            self.host.on_bad_record(problem)

    @override
    def process_batch(self, context: dict[str, Any]) -> None:
        return

"""A Singer reader that decodes RECORD lines of the streams the target uses without the SDK's
per-record path.

singer-sdk decodes every field of every record, validates it, parses timestamps, adds metadata and
walks each record through its stream maps: most of the target's time at ~30 µs per record is gone
before the mapping starts. Here a RECORD line of a used stream is decoded once by a decoder built from
its SCHEMA that keeps only the fields the mapping reads (`mapping.USED_FIELDS` and the key
properties); JSON numbers become Decimal from their own text (never through float), as singer-sdk's
reader does. Lines of streams the target ignores are counted without decoding their records.

The fast path only takes records it can prove the SDK path would accept unchanged: any line whose
types, dates or keys are not clean (and any line while stream maps or flattening are configured)
goes through the SDK's own path, so errors, `on_bad_record` and record-before-schema behave exactly
as before. SCHEMA, STATE and ACTIVATE_VERSION always take the SDK path.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from decimal import Decimal

import msgspec
from singer_sdk.io_base import SingerMessageType, SingerReader
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.singerlib.json import deserialize_json
from typing_extensions import override

from target_leanix.sdk_private import get_datelike_property_type

if t.TYPE_CHECKING:
    from collections import Counter
    from collections.abc import Callable, Iterable, Iterator

    from singer_sdk import Target

_RECORD_PREFIX = '{"type": "RECORD", "stream": "'

#: Python types of each JSON Schema type, as decoded (before any date string is parsed).
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float, Decimal),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
    "object": (dict,),
    "array": (list,),
}
# Every type a msgspec decode into `Any` gives (floats become Decimal, see `float_hook`), exactly.
_DECODED_TYPES = (str, int, float, Decimal, bool, type(None), dict, list)
_DATE_PARSERS: dict[str, Callable[[str], object]] = {
    "date": dt.date.fromisoformat,
    "date-time": dt.datetime.fromisoformat,
    "time": dt.time.fromisoformat,
}


class _Envelope(msgspec.Struct):
    type: str = ""
    stream: str = ""


_ENVELOPE = msgspec.json.Decoder(_Envelope)


class RecordDecoder:
    """Decodes one stream's RECORD lines into `fields` (plus the key properties), from its SCHEMA.

    `check_types`: reject (to the SDK's path) a value whose JSON type the schema does not allow, as
    the sink's validator would. Date-like fields among `fields` are parsed as the SDK parses them."""

    def __init__(
        self,
        stream: str,
        schema: dict[str, t.Any],
        key_properties: t.Sequence[str],
        fields: t.Iterable[str],
        *,
        check_types: bool,
    ) -> None:
        self.stream = stream
        properties: dict[str, t.Any] = schema.get("properties") or {}
        self.keys = list(key_properties)
        wanted = sorted((set(fields) & set(properties)) | set(self.keys))
        names = [f"f{i}" for i in range(len(wanted))]
        # Field names like DISPLAYCONTACT.URL1 are no Python identifiers: rename in the Struct.
        record_type = msgspec.defstruct(
            "Record",
            [(name, t.Any, msgspec.UNSET) for name in names],
            rename=dict(zip(names, wanted, strict=True)),
        )
        message_type = msgspec.defstruct(
            "RecordMessage",
            [("type", str, ""), ("stream", str, ""), ("record", record_type, msgspec.UNSET)],
        )
        # float_hook: non-integer numbers become Decimal from their text, like singer-sdk's reader.
        self._decoder = msgspec.json.Decoder(message_type, float_hook=Decimal)
        self._checks: list[tuple[str, frozenset[type] | None, Callable[[str], object] | None]] = []
        for name in wanted:
            spec = properties.get(name)
            allowed: frozenset[type] | None = None
            parse = None
            if isinstance(spec, dict):
                if check_types and "type" in spec:
                    kinds = [spec["type"]] if isinstance(spec["type"], str) else list(spec["type"])
                    python = tuple(p for n in kinds for p in JSON_TYPES.get(n, (object,)))
                    # The validator's test (isinstance, bool apart from int) over the exact types
                    # msgspec can give: a set lookup per value instead of two isinstance calls.
                    allowed = frozenset(
                        tp
                        for tp in _DECODED_TYPES
                        if issubclass(tp, python) and (tp is not bool or bool in python)
                    )
                datelike = get_datelike_property_type(spec)
                parse = _DATE_PARSERS.get(datelike) if datelike else None
            self._checks.append((name, allowed, parse))

    def decode(self, line: str) -> dict[str, t.Any] | None:
        """The wanted fields of a clean RECORD line of this stream; None when the SDK must look."""
        try:
            message: t.Any = self._decoder.decode(line)
        except (msgspec.DecodeError, ValueError):
            return None
        if message.type != "RECORD" or message.stream != self.stream:
            return None
        if message.record is msgspec.UNSET:
            return None
        record: dict[str, t.Any] = {}
        try:
            for (name, allowed, parse), value in zip(
                self._checks, msgspec.structs.astuple(message.record), strict=True
            ):
                if value is msgspec.UNSET:
                    continue
                if allowed is not None and type(value) not in allowed:
                    return None
                record[name] = value if parse is None or value is None else parse(value)
        except (ValueError, TypeError):
            return None  # a date the SDK would reject (or fail on): let it say so
        for key in self.keys:
            if record.get(key) is None:
                return None
        return record


def _int_or_decimal(text: str) -> int | Decimal:
    """A JSON integer as int, or as Decimal (exact) when it is longer than int() reads (4,300 digits,
    `sys.get_int_max_str_digits`): the record then reaches the validator and `on_bad_record` instead
    of ending the run with a traceback."""
    try:
        return int(text)
    except ValueError:
        return Decimal(text)


class FastSingerReader(SingerReader):
    """singer-sdk's reader; RECORD lines go to the target's `fast_record` first, which decodes them
    with the sink's `RecordDecoder` or declines (then the SDK's path reads the line)."""

    def __init__(self) -> None:
        super().__init__()
        self.target: FastPathHost | None = None

    @override
    def deserialize_json(self, line: str) -> dict[str, t.Any]:
        """The SDK's decoding; a line it cannot read only for an over-long integer is read again
        with that integer as Decimal (msgspec rejects such lines too, so they all come here)."""
        try:
            return super().deserialize_json(line)
        except ValueError:
            return deserialize_json(line, parse_int=_int_or_decimal)

    def attach(self, target: FastPathHost) -> None:
        """Send RECORD lines to this target's `fast_record` before the SDK's path."""
        self.target = target

    @override
    def process_lines(
        self,
        file_input: t.IO[str] | None,
        callbacks: dict[str, Callable[[dict[str, t.Any]], None]],
    ) -> Counter[str]:
        """The SDK's `process_lines` over the lines the target's fast path declines."""
        target = self.target
        if target is None or not target.fast_path_allowed():
            return super().process_lines(file_input, callbacks)
        taken = [0]
        declined = self._declined_lines(file_input or self.default_input, target, taken)
        # The SDK reads only an IO, but iterates it line by line: any iterable of lines will do.
        stats = super().process_lines(t.cast("t.IO[str]", declined), callbacks)
        if taken[0]:
            stats[SingerMessageType.RECORD.value] += taken[0]
        return stats

    @staticmethod
    def _declined_lines(
        lines: Iterable[str], target: FastPathHost, taken: list[int]
    ) -> Iterator[str]:
        """The lines `target.fast_record` does not take, in order; `taken[0]` counts the others."""
        fast_record = target.fast_record
        for line in lines:
            if line.startswith(_RECORD_PREFIX):
                end = line.find('"', len(_RECORD_PREFIX))
                stream: str | None = line[len(_RECORD_PREFIX) : end]
            else:
                try:
                    envelope = _ENVELOPE.decode(line)
                except (msgspec.DecodeError, ValueError):
                    envelope = None
                stream = (
                    envelope.stream if envelope is not None and envelope.type == "RECORD" else None
                )
            if stream is not None and fast_record(stream, line):
                taken[0] += 1
            else:
                yield line


class FastPathHost(t.Protocol):
    """What the fast reader needs from the target: whether to use it, and who decodes a line."""

    def fast_path_allowed(self) -> bool:
        """False while stream maps or flattening are set: then the SDK's path reads every line."""

    def fast_record(self, stream: str, line: str) -> bool:
        """True when the target decoded and took this RECORD line; False leaves it to the SDK."""


def identity_maps(target: Target, stream: str) -> bool:
    """True when the stream's records reach its sink unchanged (no stream maps, no flattening)."""
    maps = target.mapper.stream_maps.get(stream)
    if not maps or len(maps) != 1:
        return False
    only = maps[0]
    return (
        type(only) is SameRecordTransform
        and only.stream_alias == stream
        and not only.flattening_enabled
    )

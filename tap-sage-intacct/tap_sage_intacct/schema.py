"""Intacct `lookup` definitions -> JSON Schema, and Intacct text values -> exact Python values.

Conversions are compiled once per stream into a table of per-field functions, so converting a
120-field row is one dict copy plus one call for each non-text field that has a value.
Money never passes through float: DECIMAL, CURRENCY and PERCENT become `decimal.Decimal`, which the
SDK's simplejson writer (use_decimal=True) and our fast writer both emit as exact JSON numbers.
"""

from __future__ import annotations

import json.encoder
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from lxml import etree

from tap_sage_intacct.objects import DELETED_AT

TEXT, INTEGER, SEQUENCE = "TEXT", "INTEGER", "SEQUENCE"
DECIMAL, CURRENCY, PERCENT = "DECIMAL", "CURRENCY", "PERCENT"
DATE, TIMESTAMP, BOOLEAN, ENUM = "DATE", "TIMESTAMP", "BOOLEAN", "ENUM"
EXACT_NUMBER_TYPES = frozenset({DECIMAL, CURRENCY, PERCENT})
#: How a property's description lists its lookup's valid values (others may still arrive).
VALID_VALUES = "Valid values: "
#: Lookup DATATYPEs that never leave Intacct (hotglue skips them too).
SKIPPED_TYPES = frozenset({"PASSWORD"})


@dataclass(frozen=True)
class FieldDef:
    """One Intacct field: name, datatype, the valid values `lookup` lists, custom or not."""

    name: str
    datatype: str = TEXT
    valid_values: tuple[str, ...] = ()
    custom: bool = False


class ConversionError(ValueError):
    """A value that does not match its declared type; the stream names the record and field."""


# --------------------------------------------------------------------------------------------
# lookup -> fields


def fields_from_lookup(data: etree._Element | None) -> list[FieldDef]:
    """Read `<data><Type><Fields><Field>` (https://developer.intacct.com/web-services/queries/,
    lookup)."""
    if data is None:
        return []
    type_el = data.find("Type")
    if type_el is None:
        type_el = data.find(".//Type")
    if type_el is None:
        return []
    out: list[FieldDef] = []
    for field_el in type_el.iterfind("Fields/Field"):
        name = (field_el.findtext("ID") or "").strip()
        datatype = (field_el.findtext("DATATYPE") or TEXT).strip().upper()
        if not name or datatype in SKIPPED_TYPES:
            continue
        values = tuple(
            (v.text or "").strip() for v in field_el.iterfind("VALIDVALUES/VALIDVALUE") if v.text
        )
        custom = (field_el.findtext("ISCUSTOM") or "").strip().lower() == "true"
        out.append(FieldDef(name, datatype, values, custom))
    return out


def fields_from_spec(types: Mapping[str, str]) -> list[FieldDef]:
    """FieldDefs for a name -> datatype mapping, without valid values."""
    return [FieldDef(name, datatype) for name, datatype in types.items()]


# --------------------------------------------------------------------------------------------
# fields -> JSON Schema


def property_schema(field: FieldDef) -> dict[str, Any]:
    """The JSON Schema of one field: nullable, integer/number/date/date-time/boolean/string."""
    datatype = field.datatype
    if datatype in (INTEGER, SEQUENCE):
        return {"type": ["integer", "null"]}
    if datatype in EXACT_NUMBER_TYPES:
        return {"type": ["number", "null"]}
    if datatype == DATE:
        return {"type": ["string", "null"], "format": "date"}
    if datatype == TIMESTAMP:
        return {"type": ["string", "null"], "format": "date-time"}
    if datatype == BOOLEAN:
        return {"type": ["boolean", "null"]}
    if field.valid_values:
        # The lookup's valid values (ENUM, and TEXT fields such as GLBATCH.STATE) are documentation,
        # never `enum`: Intacct adds values over time, and a validating target (target-jsonl,
        # target-postgres) would refuse the record, so every run would fail on it.
        return {
            "type": ["string", "null"],
            "description": VALID_VALUES + ", ".join(field.valid_values),
        }
    return {"type": ["string", "null"]}


def without_enum(schema: dict[str, Any]) -> dict[str, Any]:
    """A stream schema whose properties list valid values as text, not as an `enum` constraint.

    Catalogs saved from discoveries of earlier versions carry `enum`; a value Intacct added
    since would make every validating target refuse the record, run after run."""
    properties = dict(schema.get("properties", {}))
    for name, prop in properties.items():
        if isinstance(prop, dict) and "enum" in prop:
            values = ", ".join(str(v) for v in prop["enum"] if v is not None)
            kept = {k: v for k, v in prop.items() if k != "enum"}
            properties[name] = {"description": VALID_VALUES + values, **kept}
    return {**schema, "properties": properties}


def json_schema(fields: Iterable[FieldDef]) -> dict[str, Any]:
    """The stream's object schema: one property per field plus the tombstone timestamp."""
    properties = {f.name: property_schema(f) for f in fields}
    # Tombstones: a record deleted in Intacct arrives with its key fields and this timestamp.
    properties[DELETED_AT] = {"type": ["string", "null"], "format": "date-time"}
    return {"type": "object", "properties": properties}


def datatype_from_property(schema: Mapping[str, Any]) -> str:
    """Recover the conversion class from a (possibly user-edited) catalog property schema."""
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    fmt = schema.get("format")
    if "integer" in types:
        return INTEGER
    if "number" in types:
        return DECIMAL
    if "boolean" in types:
        return BOOLEAN
    if fmt == "date-time":
        return TIMESTAMP
    if fmt == "date":
        return DATE
    return TEXT


# --------------------------------------------------------------------------------------------
# time zones


_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})$")


def parse_offset(text: str) -> timezone:
    """`+09:30`, `-0800`, `Z`/`UTC` -> a fixed-offset timezone."""
    value = text.strip()
    if value.upper() in ("Z", "UTC", "GMT", ""):
        return UTC
    match = _OFFSET.match(value)
    if not match:
        raise ValueError(f"time zone offset {text!r} is not like +HH:MM")
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def to_intacct_timestamp(moment: datetime, tz: timezone) -> str:
    """UTC moment -> `MM/DD/YYYY HH:MM:SS` wall time at the user's offset (for query filters)."""
    local = moment.astimezone(tz)
    # strftime("%Y") does not pad years before 1000; the gateway expects four digits.
    return f"{local:%m/%d}/{local.year:04d} {local:%H:%M:%S}"


def parse_intacct_timestamp(text: str, tz: timezone) -> datetime:
    """`MM/DD/YYYY HH:MM:SS` (or a bare date) at the user's offset -> aware UTC datetime."""
    value = text.strip()
    if (
        len(value) == 19
        and value[2] == "/"
        and value[5] == "/"
        and value[10] == " "
        and value[13] == ":"
        and value[16] == ":"
    ):
        # The gateway's own format: slicing is ~10x cheaper than strptime on unique stamps.
        try:
            wall = datetime(
                int(value[6:10]),
                int(value[0:2]),
                int(value[3:5]),
                int(value[11:13]),
                int(value[14:16]),
                int(value[17:19]),
                tzinfo=tz,
            )
        except ValueError as exc:
            raise ConversionError(f"timestamp {_shown(text)} is not a valid date and time") from exc
    else:
        try:
            wall = (
                datetime.strptime(value, "%m/%d/%Y %H:%M:%S")  # noqa: DTZ007 - zone applied here
                if len(value) > 10
                else datetime.strptime(value, "%m/%d/%Y")  # noqa: DTZ007
            ).replace(tzinfo=tz)
        except ValueError as exc:
            raise ConversionError(f"timestamp {_shown(text)} is not MM/DD/YYYY HH:MM:SS") from exc
    try:
        return wall.astimezone(UTC)
    except OverflowError as exc:
        # 12/31/9999 23:00 west of UTC, or 01/01/0001 00:00 east of it, is a time no datetime holds.
        raise ConversionError(
            f"timestamp {_shown(text)} at UTC{wall:%z} is outside the years 1 to 9999 in UTC"
        ) from exc


def iso_utc(moment: datetime) -> str:
    """The moment in UTC as ISO 8601 text with a +00:00 offset."""
    return moment.astimezone(UTC).isoformat()


# --------------------------------------------------------------------------------------------
# value converters

Converter = Callable[[str], Any]
_CACHE_LIMIT = 200_000
#: One memo per typed field of a stream: small enough that 100 of them stay within a few MB.
_MEMO_LIMIT = 8_192


#: The longest number text taken, and the most digits a number may have on either side of its
#: point when written out: far beyond Intacct's amounts and keys (which it sends as plain digits),
#: far below Python's int-string limit (`sys.get_int_max_str_digits()`, 4300). Checked before
#: `int()` or `Decimal()` sees the text, so no value costs more than microseconds.
MAX_NUMBER_LENGTH = 100


def _shown(text: str) -> str:
    """A value as an error message quotes it: its repr, cut short so the message stays one line."""
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def shown_key(text: str | None) -> str:
    """A record's key as a one-line error names it: as sent if short and printable, else quoted."""
    if text is None or (len(text) <= 40 and text.isprintable()):
        return str(text)
    return _shown(text)


def _to_int(text: str) -> int:
    if len(text) > MAX_NUMBER_LENGTH:
        raise ConversionError(
            f"{_shown(text)} is not an integer of at most {MAX_NUMBER_LENGTH} characters"
        )
    try:
        return int(text)
    except ValueError:
        pass
    # A peer connector (Estuary's Intacct capture) saw INTEGER fields holding string floats such as "12.0": accept only integral ones,
    # and only in digits. An exponent is refused: `1E1000000` would be a million-digit int.
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ConversionError(f"{_shown(text)} is not an integer") from exc
    if "e" in text.lower() or not number.is_finite() or number != number.to_integral_value():
        raise ConversionError(f"{_shown(text)} is not an integer")
    return int(number)


def _to_decimal(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_LENGTH:
        raise ConversionError(
            f"{_shown(text)} is not a decimal number of at most {MAX_NUMBER_LENGTH} characters"
        )
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ConversionError(f"{_shown(text)} is not a decimal number") from exc
    if not number.is_finite():
        raise ConversionError(f"{_shown(text)} is not a finite number")
    # An exponent keeps the value exact, but written out (`format(value, "f")`, as a target
    # stores money) the digits on either side of the point must stay within the bound too:
    # `1E1000000` and `1E-1000000` are refused.
    last_digit = cast(int, number.as_tuple().exponent)  # an int: the number is finite
    if number.adjusted() >= MAX_NUMBER_LENGTH or last_digit < -MAX_NUMBER_LENGTH:
        raise ConversionError(f"{_shown(text)} has over {MAX_NUMBER_LENGTH} digits written out")
    return number


_BOOLS = {"true": True, "false": False, "t": True, "f": False, "1": True, "0": False}


def _to_bool(text: str) -> bool:
    try:
        return _BOOLS[text.strip().lower()]
    except KeyError:
        raise ConversionError(f"{_shown(text)} is not a boolean") from None


def _cached(convert: Converter) -> Converter:
    """Memoise a pure text -> value function: dates and timestamps repeat heavily within a page."""
    cache: dict[str, Any] = {}
    get = cache.get

    def lookup(text: str) -> Any:  # noqa: ANN401 - the converted value
        value = get(text)
        if value is None:
            value = convert(text)
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[text] = value
        return value

    return lookup


def _date(text: str) -> str:
    value = text.strip()
    try:
        parsed = datetime.strptime(value[:10], "%m/%d/%Y")  # noqa: DTZ007 - a calendar date
    except ValueError as exc:
        raise ConversionError(f"date {_shown(text)} is not MM/DD/YYYY") from exc
    if len(value) > 10 and value[10:].strip() not in ("", "00:00:00"):
        raise ConversionError(f"date {_shown(text)} carries a time of day")
    return parsed.date().isoformat()


_CLOCK_TAIL = re.compile(r":[0-5][0-9]:[0-5][0-9]|:[0-5][0-9]").fullmatch


def timestamp_converter(tz: timezone) -> Converter:
    """Intacct wall time at `tz` -> ISO 8601 UTC text, e.g. `2025-03-10T09:30:00+00:00`.

    Fixed offsets are whole minutes, so everything after the (hour or) minute is unchanged by the
    conversion: the expensive part is cached per "MM/DD/YYYY HH" (or per minute for offsets such as
    +09:30) and the tail is validated and appended. Anything else takes the full parse.
    """
    offset = tz.utcoffset(None)
    cut = 13 if offset.total_seconds() % 3600 == 0 else 16
    heads: dict[str, str] = {}

    def full(text: str) -> str:
        return iso_utc(parse_intacct_timestamp(text, tz))

    def convert(text: str) -> str:
        if len(text) == 19 and _CLOCK_TAIL(text, cut):
            head = heads.get(text[:cut])
            if head is None:
                try:
                    moment = full(text[:cut] + ":00:00"[: 19 - cut])
                except ConversionError:
                    return full(text)  # the error names the text as sent, not its hour
                head = moment[:cut]
                if len(heads) >= _CACHE_LIMIT:
                    heads.clear()
                heads[text[:cut]] = head
            return head + text[cut:] + "+00:00"
        return full(text)

    return convert


def converter_for(datatype: str, tz: timezone) -> Converter | None:
    """None means "keep the text as it is" (TEXT, ENUM and unknown types)."""
    if datatype in (INTEGER, SEQUENCE):
        return _to_int
    if datatype in EXACT_NUMBER_TYPES:
        return _to_decimal
    if datatype == BOOLEAN:
        return _to_bool
    if datatype == DATE:
        return _cached(_date)
    if datatype == TIMESTAMP:
        return timestamp_converter(tz)
    return None


_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?").fullmatch
_JSON_INT = re.compile(r"-?(?:0|[1-9][0-9]*)").fullmatch
_json_string: Callable[[str], str] = json.encoder.encode_basestring_ascii
JsonConverter = Callable[[str], str]


def _json_int(text: str) -> str:
    if len(text) > MAX_NUMBER_LENGTH:
        return str(_to_int(text))  # which refuses it
    if text.isdigit() and (text[0] != "0" or len(text) == 1) and text.isascii():
        return text
    return text if _JSON_INT(text) else str(_to_int(text))


def _json_decimal(text: str) -> str:
    # Intacct's money text ("1234.56", "-12.10") already IS an exact JSON number: emit it as is.
    # Anything else goes through Decimal, which the target reads back with parse_float=Decimal.
    if len(text) <= MAX_NUMBER_LENGTH and _JSON_NUMBER(text):
        return text
    return str(_to_decimal(text))


def _json_bool(text: str) -> str:
    return "true" if _to_bool(text) else "false"


class _Memo(dict[str, str]):
    """text -> JSON text, computed once. Handing out `memo.__getitem__` makes a hit one C call with
    no Python frame: dates, booleans, small integers and common amounts repeat all over a page."""

    def __init__(self, convert: JsonConverter) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, text: str) -> str:
        value = self.convert(text)
        if len(self) >= _MEMO_LIMIT:
            self.clear()
        self[text] = value
        return value


def json_converter_for(datatype: str, tz: timezone) -> JsonConverter:
    """Intacct text -> the JSON text of the same value `converter_for` + simplejson would write."""
    if datatype in (INTEGER, SEQUENCE):
        return _Memo(_json_int).__getitem__
    if datatype in EXACT_NUMBER_TYPES:
        return _Memo(_json_decimal).__getitem__
    if datatype == BOOLEAN:
        return _Memo(_json_bool).__getitem__
    if datatype == DATE:
        return _Memo(lambda text: _json_string(_date(text))).__getitem__
    if datatype == TIMESTAMP:
        iso = timestamp_converter(tz)
        return _Memo(lambda text: '"' + iso(text) + '"').__getitem__
    return _json_string


class RecordConverter:
    """Turns one `<OBJECT>` element into a record with exactly the selected fields.

    Two outputs with the same values: `convert` gives a dict for the SDK path (stream maps,
    flattening), `to_json` gives the record's JSON text directly for the fast writer.
    """

    def __init__(self, field_types: Mapping[str, str], tz: timezone) -> None:
        self.fields: tuple[str, ...] = tuple(field_types)
        self.datatypes: dict[str, str] = dict(field_types)
        self._template: dict[str, Any] = dict.fromkeys(self.fields)
        # One shared timestamp cache per stream: all TIMESTAMP fields use the same offset.
        timestamp = timestamp_converter(tz)
        table: dict[str, Converter | None] = {}
        for name, datatype in field_types.items():
            table[name] = timestamp if datatype == TIMESTAMP else converter_for(datatype, tz)
        self._table = table
        json_ts = json_converter_for(TIMESTAMP, tz)
        self._json_table: dict[str, tuple[str, JsonConverter]] = {
            name: (
                _json_string(name) + ":",
                json_ts if datatype == TIMESTAMP else json_converter_for(datatype, tz),
            )
            for name, datatype in field_types.items()
        }
        self._field_count = len(self.fields)

    def convert(self, element: etree._Element) -> dict[str, Any]:
        """The record as a dict: selected fields converted, absent or empty fields null."""
        record = self._template.copy()
        table = self._table
        for child in element:
            text = child.text
            if text is None:
                continue  # empty element: the field stays null
            tag = child.tag
            try:
                convert = table[tag]
            except KeyError:
                continue  # a field we did not select (or a newer one the catalog lacks)
            record[tag] = text if convert is None else convert(text)
        return record

    def to_json(self, element: etree._Element, encode: Callable[[dict[str, Any]], str]) -> str:
        """The record as JSON text. Fields queried only for paging (not selected) are skipped; a row
        that lacks a selected field, or repeats one, takes the dict path, so both outputs always
        have the same keys and values."""
        get = self._json_table.get
        parts: list[str] = []
        append = parts.append
        for child in element:
            entry = get(child.tag)
            if entry is not None:
                text = child.text
                append(entry[0] + ("null" if text is None else entry[1](text)))
        if len(parts) != self._field_count:
            return encode(self.convert(element))
        return "{" + ",".join(parts) + "}"

    def convert_field(self, name: str, text: str | None) -> Any:  # noqa: ANN401
        """One field's text converted as in a record (unknown names keep the text; None stays)."""
        if text is None:
            return None
        convert = self._table.get(name)
        return text if convert is None else convert(text)


def order_fields(names: Sequence[str], first: Sequence[str]) -> list[str]:
    """Put key and replication fields first so a page's last key is cheap to read."""
    leading = [n for n in first if n in names]
    return leading + [n for n in names if n not in leading]

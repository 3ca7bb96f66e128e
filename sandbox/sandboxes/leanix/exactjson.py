"""JSON that never loses a money amount.

Requests are parsed with `parse_float=Decimal`, so `1234567890123.45` stays exactly that. Answers that
mirror LeanIX (GraphQL, Integration API) write decimals as *JSON numbers* with their exact digits, the way
LeanIX writes `costTotalAnnual`; clients that care parse them back with `parse_float=Decimal`. The admin
export instead writes decimals as strings, so a test or a demo can compare them without any parsing care.
Storage uses a tagged form (`{"$decimal": "1.10"}`) so a value read back from SQLite is the same Decimal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

DECIMAL_TAG = "$decimal"


def loads(text: str | bytes) -> Any:  # noqa: ANN401 - arbitrary JSON
    """Parse JSON keeping every fractional number as an exact Decimal."""
    return json.loads(text, parse_float=Decimal)


def decimal_text(value: Decimal) -> str:
    """Plain positional digits (`1E+3` would be legal JSON but surprising in a money field)."""
    text = format(value, "f")
    return text if text not in {"-0", "-0.0"} else text.lstrip("-")


def dumps(payload: object) -> str:
    """JSON text in which Decimals are exact JSON numbers."""
    parts: list[str] = []
    _write(payload, parts)
    return "".join(parts)


def _write(value: object, parts: list[str]) -> None:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value}")
        parts.append(decimal_text(value))
    elif value is None or isinstance(value, bool | int | float | str):
        parts.append(json.dumps(value))
    elif isinstance(value, Mapping):
        parts.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                parts.append(",")
            parts.append(json.dumps(str(key)))
            parts.append(":")
            _write(item, parts)
        parts.append("}")
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _write(item, parts)
        parts.append("]")
    else:
        parts.append(json.dumps(str(value)))


def to_plain(value: Any) -> Any:  # noqa: ANN401 - arbitrary JSON
    """Decimals become strings: the admin export's promise that nothing is lost on the way."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(item) for item in value]
    return value


def to_storage(value: Any) -> str:  # noqa: ANN401 - arbitrary JSON
    """JSON text for a SQLite column, each Decimal tagged so it reads back the same."""
    return _STORAGE_ENCODER.encode(value)


def from_storage(text: str | None) -> Any:  # noqa: ANN401 - arbitrary JSON
    """The value `to_storage` wrote, tagged Decimals restored (None for a NULL column)."""
    if text is None:
        return None
    return _STORAGE_DECODER.decode(text)


def _tag(value: object) -> object:
    if isinstance(value, Decimal):
        return {DECIMAL_TAG: decimal_text(value)}
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _untag(value: dict[str, Any]) -> Any:  # noqa: ANN401
    if len(value) == 1 and DECIMAL_TAG in value:
        return Decimal(value[DECIMAL_TAG])
    return value


# Built once: json.dumps/json.loads with options build a new coder per call, which costs more than
# coding the small values stored per row. The C encoder calls back into Python only for Decimals.
_STORAGE_ENCODER = json.JSONEncoder(sort_keys=True, default=_tag)
_STORAGE_DECODER = json.JSONDecoder(object_hook=_untag)

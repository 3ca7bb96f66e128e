"""Schema drift: a field that disappears from Intacct between discovery and sync.

Intacct refuses a read that selects a field the object no longer has ("Invalid fields list ..."; other
Intacct clients strip such fields and read again, as hotglue's tap does:
https://github.com/hotgluexyz/tap-intacct/blob/HEAD/src/tap_intacct/__init__.py). The stream drops the
field for the rest of the run with one WARNING naming object and field, and reads again; the field's
column simply receives no more values. A new field is picked up by the next discovery.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from tap_sage_intacct import gateway

LOGGER = logging.getLogger("tap_sage_intacct")


class _Stream(Protocol):
    name: str

    @property
    def vanished_fields(self) -> set[str]: ...


class FieldsVanished(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The read named fields the object no longer has; the stream reads again without them."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


def vanished_in(result: gateway.FunctionResult, requested: Sequence[str]) -> list[str]:
    """The requested fields a failed read says the object no longer has."""
    if result.ok:
        return []
    return gateway.invalid_fields(result.errors, requested)


def drop_vanished(stream: _Stream, object_name: str, fields: Sequence[str]) -> None:
    """Remember the fields as gone, one WARNING each."""
    for name in fields:
        if name not in stream.vanished_fields:
            stream.vanished_fields.add(name)
            LOGGER.warning(
                "Stream '%s': field %s is no longer in Intacct's %s; it is dropped from this run "
                "(discover again to refresh the catalog)",
                stream.name,
                name,
                object_name,
            )


__all__ = ["FieldsVanished", "drop_vanished", "vanished_in"]

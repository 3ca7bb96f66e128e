"""Fast record rendering: one compiled template per (record tag, field list).

A template is the list of tag segments with one empty slot per value; rendering copies the list, fills the
slots with one slice assignment and joins: all C-level work, so a 120-field row costs a few microseconds.
Values are escaped only when one of them holds a special character at all -- most rows hold none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING

from sandboxes.intacct.protocol import esc

if TYPE_CHECKING:
    from sandboxes.intacct.company import Row, Source

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


class RecordTemplate:
    """A compiled record element for one tag and field list; values are filled per row."""

    def __init__(self, tag: str, fields: Sequence[str]) -> None:
        self.fields = tuple(fields)
        for name in (tag, *self.fields):
            if not _NAME.match(name):
                raise ValueError(f"not an XML element name: {name!r}")
        # tag segments with an empty slot after each opening tag: [<tag><F0>, v0, </F0><F1>, v1, ...]
        segments: list[str] = []
        previous = f"<{tag}>"
        for name in self.fields:
            segments += [f"{previous}<{name}>", ""]
            previous = f"</{name}>"
        segments.append(f"{previous}</{tag}>")
        self._segments = segments
        self._get: Callable[[dict[str, str]], object] = itemgetter(*self.fields)
        self._single = len(self.fields) == 1
        self._tag = tag
        self._plans: dict[tuple[str, ...], _Plan | None] = {}

    def values(self, row: dict[str, str]) -> list[str]:
        """The row's values in field order ("" for a field the row lacks)."""
        try:
            got = self._get(row)
        except KeyError:
            return [row.get(name, "") for name in self.fields]
        return [got] if self._single else list(got)  # type: ignore[list-item,call-overload]

    def render(self, row: dict[str, str]) -> str:
        """The row as its `<TAG>` element text, values escaped if needed."""
        return _fill(self._segments, self.values(row))

    def render_many(self, rows: Sequence[dict[str, str]]) -> str:
        """The rows' elements, concatenated."""
        render = self.render
        return "".join([render(row) for row in rows])

    def _plan(self, source: Source) -> _Plan | None:
        """How to render `source`'s value tuples, cached per layout; None when a selected field is
        not in the layout (such rows go through their dict)."""
        layout = source.layout
        if layout in self._plans:
            return self._plans[layout]
        plan = None
        if layout and source.values is not None and all(f in layout for f in self.fields):
            constants = source.values(0)[: source.constant_prefix] if source.count else ()
            plan = _Plan(self._tag, self.fields, layout, constants)
        self._plans[layout] = plan
        return plan

    def render_page(self, items: Sequence[Row | int], source: Source) -> list[bytes]:
        """A page as UTF-8 rows. `items` are rows or indices of `source`'s generated rows
        (store.Page); the caller joins the pieces once, with the rest of the answer.

        Each row is encoded on its own: one CJK vendor name would otherwise widen the string of the
        whole page to four bytes a character before the encode.
        """
        values_of = source.values
        plan = self._plan(source)
        render, row_of = self.render, source.row
        out: list[bytes] = []
        for item in items:
            if isinstance(item, dict):
                out.append(render(item).encode())
            elif plan is not None and values_of is not None:
                out.append(plan.render(values_of(item)).encode())
            else:
                out.append(render(row_of(item)).encode())
        return out


class _Plan:
    """A template specialised to one layout: the layout's constant values (its first
    `len(constants)` positions) are escaped into the markup once, so a row fills and escapes only
    the values that vary."""

    def __init__(
        self,
        tag: str,
        fields: tuple[str, ...],
        layout: tuple[str, ...],
        constants: tuple[str, ...],
    ) -> None:
        segments: list[str] = []
        positions: list[int] = []
        text = f"<{tag}>"
        for name in fields:
            position = layout.index(name)
            text += f"<{name}>"
            if position < len(constants):
                text += esc(constants[position])
            else:
                segments += [text, ""]
                positions.append(position)
                text = ""
            text += f"</{name}>"
        segments.append(f"{text}</{tag}>")
        self._segments = segments
        self._pick: Callable[[tuple[str, ...]], Sequence[str]]
        if len(positions) > 1:
            self._pick = itemgetter(*positions)
        else:
            self._pick = lambda values: [values[p] for p in positions]

    def render(self, values: tuple[str, ...]) -> str:
        return _fill(self._segments, self._pick(values))


def _fill(segments: list[str], values: Sequence[str]) -> str:
    joined = "".join(values)
    if "&" in joined or "<" in joined or ">" in joined:
        values = [esc(v) for v in values]
    buffer = segments.copy()
    buffer[1:-1:2] = values
    return "".join(buffer)


@lru_cache(maxsize=256)
def template(tag: str, fields: tuple[str, ...]) -> RecordTemplate:
    """The RecordTemplate of (tag, fields), shared through a 256-entry cache."""
    return RecordTemplate(tag, fields)

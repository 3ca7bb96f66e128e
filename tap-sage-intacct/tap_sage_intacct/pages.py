"""One `query` page, streamed: rows converted as the parser reaches them, never a whole page tree.

A 2,000-row page of 120-field bills is ~9 MB of XML and ~50 MB as an lxml tree. `PageCollector` is
the `gateway.RowSink` of the walk: it turns each row into its output (JSON text for the fast writer,
or a dict for the SDK path) while `gateway.parsing.parse_xml_streaming` drops the row right after,
and it keeps only the key texts the walk needs (the last row's keyset, natural ids for deletes). For
the fast writer it takes the rows from the answer's bytes instead (`gateway.rawrows`), with lxml
only for rows that are not plain.

`raw_next_keyset` reads the next page's keyset from the answer's bytes before anything is parsed,
so the next page can be requested while this one is converted. It is a guess, checked against the
parsed last row: a wrong guess only costs the discarded prefetch, never a wrong page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Generic, TypeVar

from lxml import etree

from tap_sage_intacct import gateway
from tap_sage_intacct.schema import MAX_NUMBER_LENGTH

_Item = TypeVar("_Item")

#: A count of at most 18 digits (a longer one is no guess to make: int() would refuse it).
_NUMREMAINING = re.compile(rb'\bnumremaining="([0-9]{1,18})"')
#: A stamp or number we may copy into a filter without unescaping: no markup, no entities.
_PLAIN = re.compile(rb"[^<>&]*")


class PageCollector(Generic[_Item]):
    """Collects one page's converted rows; reused page after page (`begin` resets it)."""

    def __init__(
        self,
        *,
        row_tag: str,
        convert: Callable[[etree._Element], _Item],
        describe_error: Callable[[etree._Element, ValueError], gateway.IntacctError],
        key_fields: tuple[str, str | None, str | None],
        keep_all_keys: bool,
        on_body: Callable[[bytes], None] | None = None,
        reader: gateway.RawRowReader | None = None,
    ) -> None:
        self.row_tag = row_tag
        self.convert = convert
        self.describe_error = describe_error
        self.key_fields = key_fields
        self.keep_all_keys = keep_all_keys
        self.on_body = on_body
        self.reader = reader
        self.takes_raw_rows = reader is not None
        self.items: list[_Item] = []
        self.keys: list[gateway.RowKeys] = []
        self._last_row: etree._Element | None = None
        self._last_fast: tuple[gateway.RowLayout, list[bytes], bool] | None = None
        self._last_keys: gateway.RowKeys | None = None
        self.error: gateway.IntacctError | None = None

    def begin(self, body: bytes) -> None:
        """Reset for a new page, then hand its raw answer to `on_body` if set."""
        self.items = []
        self.keys = []
        self._last_row = None
        self._last_fast = None
        self._last_keys = None
        self.error = None
        if self.on_body is not None:
            self.on_body(body)

    def row(self, element: etree._Element) -> None:
        """Convert one `<OBJECT>` row; a conversion error is kept and raised after the walk."""
        if self.error is not None:
            return
        try:
            item = self.convert(element)
        except ValueError as exc:
            # Raised by the walk only after the whole answer passed its checks, so a refused or
            # failed answer is classified exactly as before, whatever its rows hold.
            self.error = self.describe_error(element, exc)
            return
        self.items.append(item)
        self._last_fast = None
        # The parser drops a row only when the next one ends, so the last row stays readable
        # through this reference; reading its keys once per page is cheaper than per row.
        self._last_row = element
        if self.keep_all_keys:
            self.keys.append(self._keys(element))

    def raw_rows(self, body: bytes, start: int, end: int) -> bool:
        """Rows straight from the answer's bytes (`gateway.rawrows`), if this page has a reader."""
        return self.reader is not None and self.reader.read(body, start, end, self)  # type: ignore[arg-type]

    def last_fast(self, layout: gateway.RowLayout, texts: list[bytes], entities: bool) -> None:  # noqa: FBT001
        """The row just read from bytes is the last one so far; its keys are read only if it stays."""
        self._last_fast = (layout, texts, entities)
        self._last_row = None

    def _keys(self, element: etree._Element) -> gateway.RowKeys:
        recordno, stamp, natural = self.key_fields
        return (
            element.findtext(recordno),
            element.findtext(stamp) if stamp else None,
            element.findtext(natural) if natural else None,
        )

    @property
    def last(self) -> gateway.RowKeys | None:
        """The keys of the page's last row (None for an empty page)."""
        if self._last_keys is None and self._last_row is not None:
            self._last_keys = self._keys(self._last_row)
            self._last_row = None
        if self._last_keys is None and self._last_fast is not None:
            layout, texts, entities = self._last_fast
            self._last_keys = layout.row_keys(texts, entities)
            self._last_fast = None
        return self._last_keys

    def raise_deferred(self) -> None:
        """Raise the first row conversion error of this page, if there was one."""
        if self.error is not None:
            raise self.error


def _field_text(body: bytes, name: bytes, start: int, end: int) -> bytes | None:
    """The text of the last `<name>text</name>` in body[start:end], if plain."""
    open_tag, close_tag = b"<" + name + b">", b"</" + name + b">"
    at = body.rfind(open_tag, start, end)
    if at == -1:
        return None
    text_start = at + len(open_tag)
    stop = body.find(close_tag, text_start, end)
    if stop == -1 or not _PLAIN.fullmatch(body, text_start, stop):
        return None
    return body[text_start:stop]


def raw_next_keyset(
    body: bytes, row_tag: str, stamp_field: str | None
) -> tuple[str | None, int] | None:
    """(stamp, RECORDNO) of the last row of the answer's first `<data>`, if more rows remain.

    None whenever the bytes do not read plainly (no rows left, an unexpected layout, escaped
    text): the walk then requests the next page after parsing this one, which is always right.
    """
    data = body.find(b"<data")
    if data == -1:
        return None
    tag_end = body.find(b">", data)
    if tag_end == -1 or body[tag_end - 1 : tag_end] == b"/":
        return None
    remaining = _NUMREMAINING.search(body, data, tag_end)
    if remaining is None or int(remaining.group(1)) <= 0:
        return None
    end = body.find(b"</data>", tag_end)
    if end == -1:
        return None
    last_row = body.rfind(b"<" + row_tag.encode() + b">", tag_end, end)
    if last_row == -1:
        return None
    recordno = _field_text(body, b"RECORDNO", last_row, end)
    if recordno is None or not recordno.isdigit() or len(recordno) > MAX_NUMBER_LENGTH:
        return None
    if stamp_field is None:
        return None, int(recordno)
    stamp = _field_text(body, stamp_field.encode(), last_row, end)
    if not stamp:
        return None
    return stamp.decode("ascii", "replace"), int(recordno)

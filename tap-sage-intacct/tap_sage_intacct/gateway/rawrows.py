"""Query rows straight from the answer's bytes to RECORD JSON text, without an XML tree.

The gateway writes a row as `<APBILL><RECORDNO>1</RECORDNO><STATE>Paid</STATE>...</APBILL>`: compact
(the tap asks for includewhitespace=false, https://developer.intacct.com/web-services/requests/), one
element per field, the same fields in the same order on every row. Walking such a row through lxml
costs a Python proxy per field; here a row costs a handful of C calls: a split at each `</` and
`removeprefix` of the constant markup give its field texts, and the row is proven to be exactly that
simple by rebuilding it from those texts (`skeleton % texts`) and comparing bytes. The texts then go
into a JSON template chosen by the row's "which fields are empty" mask: text fields as JSON strings,
money and integers as the digits Intacct sent when they match the strict JSON number syntax (exact by
construction, never through float), dates and timestamps through per-stream memos.

Anything less simple - attributes, self-closing or nested elements, comments, CDATA, character
references, raw quotes, backslashes or control characters, a value a typed field's strict pattern
refuses, a field list not seen before that does not compile or has a name anywhere near libxml2's
size limit - is parsed by lxml alone, with the tap's hardened parser, and converted by
`RecordConverter.to_json`; a row lxml refuses, one whose value does not convert, or one anywhere
near libxml2's text size limit makes the whole answer go through the streaming lxml parse, which
reports it. So each record's JSON is the one `to_json` gives for the lxml element of that row, byte
for byte, and every answer has the outcome (records, record error, refusal) the streaming parse
gives it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Mapping
from datetime import timezone
from operator import itemgetter
from typing import TYPE_CHECKING, Protocol

from tap_sage_intacct.schema import (
    BOOLEAN,
    DATE,
    EXACT_NUMBER_TYPES,
    INTEGER,
    MAX_NUMBER_LENGTH,
    SEQUENCE,
    TIMESTAMP,
    _date,
    _json_string,
    timestamp_converter,
)

if TYPE_CHECKING:
    from lxml import etree

    from tap_sage_intacct.gateway.errors import IntacctError

#: (RECORDNO, replication or created stamp, natural id) texts of one row; None where absent.
RowKeys = tuple[str | None, str | None, str | None]


class RawRowPage(Protocol):
    """What the reader hands a page's rows to (`pages.PageCollector` of JSON text)."""

    items: list[bytes]
    keys: list[RowKeys]
    keep_all_keys: bool
    error: IntacctError | None

    def row(self, element: etree._Element) -> None:
        """One row lxml parsed (a row too odd for the byte path)."""

    def last_fast(self, layout: RowLayout, texts: list[bytes], entities: bool) -> None:  # noqa: FBT001
        """The row just read from bytes is the page's last one so far."""


#: Bytes a text may hold and still go into a JSON string as they are (printable ASCII but `"&<\`).
_PLAIN = bytes(c for c in range(0x20, 0x7F) if c not in b'"&<\\')
#: Beyond _PLAIN, what the byte path still handles: entities, and UTF-8 (escaped for JSON).
_HANDLED = b"&" + bytes(range(0x80, 0x100))
#: An `&` that does not start one of XML's five predefined entities (a character reference or a
#: malformed one): lxml decides what that row means.
_OTHER_AMP = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)").search
#: The opening tags of a row, for learning its field list (the rebuilt row checks the guess).
_TAGS = re.compile(rb"<([A-Za-z_][A-Za-z0-9_.\-]*)>").findall
#: Digits before and after the point: a number of up to `2 * _DIGITS + 2` characters is within
#: `schema.MAX_NUMBER_LENGTH` (a longer one, if any, is lxml's row: `to_json` judges it).
_DIGITS = MAX_NUMBER_LENGTH // 2 - 1
_INT = rb"-?(?:0|[1-9][0-9]{0,%d})" % (_DIGITS - 1)
#: The texts `schema._json_int` / `_json_decimal` / `_json_bool` emit unchanged.
_RAW_PATTERNS = {
    INTEGER: _INT,
    SEQUENCE: _INT,
    BOOLEAN: rb"true|false",
    **dict.fromkeys(EXACT_NUMBER_TYPES, _INT + rb"(?:\.[0-9]{1,%d})?" % _DIGITS),
}
#: Without XML_PARSE_HUGE (`huge_tree=False`) libxml2 refuses a text node over 10,000,000 bytes
#: (XML_MAX_TEXT_LENGTH) and a name over 50,000 characters (XML_MAX_NAME_LENGTH), see
#: https://gitlab.gnome.org/GNOME/libxml2/-/blob/master/include/libxml/parserInternals.h.
#: Anywhere near either, lxml decides, applying them exactly: a longer row sends the whole answer
#: to the streaming parse, a longer name its rows to the row parser. Real rows are a few
#: kilobytes, real names a few dozen characters.
_ROW_BYTES_LIMIT = 1_000_000
_NAME_LIMIT = 1_000
_LAYOUT_LIMIT = 16
_TEMPLATE_LIMIT = 1024
_MEMO_LIMIT = 8192


def _json_escape_non_ascii(exc: UnicodeError) -> tuple[str, int]:
    """Encode error handler: non-ASCII as JSON `\\uXXXX` (surrogate pairs above the BMP), exactly as
    `json.encoder.encode_basestring_ascii` writes them."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for char in exc.object[exc.start : exc.end]:
        code = ord(char)
        if code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            code -= 0x10000
            out.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
    return "".join(out), exc.end


codecs.register_error("tap_sage_intacct_json", _json_escape_non_ascii)


def _unescape(text: bytes, quote: bytes = b'"') -> bytes:
    """Decode XML's five predefined entities (only they can be here, _OTHER_AMP); inside JSON
    text pass `quote=b'\\"'`. `&amp;` goes last, so `&amp;lt;` stays `&lt;`."""
    return (
        text.replace(b"&lt;", b"<")
        .replace(b"&gt;", b">")
        .replace(b"&quot;", quote)
        .replace(b"&apos;", b"'")
        .replace(b"&amp;", b"&")
    )


def _entities(texts: bytes, odd: bytes) -> bool | None:
    """For texts holding more than _PLAIN bytes: whether they have entities to decode, or None when
    lxml should read the row (markup, quotes, backslashes, control characters, character
    references, bytes that are not UTF-8 or not XML characters)."""
    if odd.translate(None, _HANDLED):
        return None
    entities = b"&" in odd
    if entities and _OTHER_AMP(texts):
        return None
    if not odd.isascii() and not _xml_utf8(texts):
        return None
    return entities


def _xml_utf8(texts: bytes) -> bool:
    """Valid UTF-8 without U+FFFE/U+FFFF, which XML forbids (so lxml would refuse the answer)."""
    try:
        texts.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\xef\xbf\xbe" not in texts and b"\xef\xbf\xbf" not in texts


class _Memo(dict[bytes, bytes]):
    """Raw text -> JSON text, computed once; a miss that does not convert raises ValueError."""

    def __init__(self, convert: Callable[[bytes], bytes]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, text: bytes) -> bytes:
        value = self.convert(text)
        if len(self) >= _MEMO_LIMIT:
            self.clear()
        self[text] = value
        return value


class _Stamps:
    """Intacct wall time -> `"ISO UTC"` JSON text; what `schema.timestamp_converter` gives.

    A whole-minute offset leaves everything after the hour (or minute) as it is, so only the head
    goes through the converter (once per hour seen) and the tail is looked up among the valid ones.
    """

    def __init__(self, tz: timezone) -> None:
        convert = timestamp_converter(tz)
        offset = tz.utcoffset(None)
        self.cut = cut = 13 if offset.total_seconds() % 3600 == 0 else 16
        pad = ":00:00"[: 19 - cut]
        self.heads = _Memo(lambda head: b'"' + convert(head.decode() + pad)[:cut].encode())
        self.tails = {
            tail: tail + b'+00:00"'
            for tail in (
                (b":%02d:%02d" % (m, s) for m in range(60) for s in range(60))
                if cut == 13
                else (b":%02d" % s for s in range(60))
            )
        }
        self.whole = _Memo(lambda text: b'"' + convert(text.decode()).encode() + b'"')

    def __call__(self, text: bytes) -> bytes:
        if len(text) == 19:
            tail = self.tails.get(text[self.cut :])
            if tail is not None:
                return self.heads[text[: self.cut]] + tail
        return self.whole[text]


class RowLayout:
    """One field list (tags in row order) compiled for the byte path."""

    def __init__(
        self,
        row_tag: bytes,
        tags: tuple[bytes, ...],
        datatypes: Mapping[str, str],
        memos: Mapping[str, Callable[[bytes], bytes]],
        key_fields: tuple[str, str | None, str | None],
    ) -> None:
        # Split at each `</`, a row is [`<ROW><F1>` t1, `F1><F2>` t2, ..., `Fn>` tail]: each piece
        # is a constant glue followed by one text (the tail is what precedes `</ROW>`).
        self.glues = [b"<" + row_tag + b"><" + tags[0] + b">"]
        self.glues += [tags[i] + b"><" + tags[i + 1] + b">" for i in range(len(tags) - 1)]
        self.glues.append(tags[-1] + b">")
        self.pieces = len(self.glues)
        self.skeleton = b"</".join(glue.replace(b"%", b"%%") + b"%s" for glue in self.glues)
        names = [tag.decode() for tag in tags]
        self.keys: list[bytes | None] = []  # per field: its JSON key, None when not emitted
        self.raw: list[int] = []
        patterns: list[bytes] = []
        self.converted: list[tuple[int, Callable[[bytes], bytes]]] = []
        self.quoted: list[bool] = []
        for index, name in enumerate(names):
            datatype = datatypes.get(name)
            self.keys.append(None if datatype is None else _json_string(name).encode() + b":")
            self.quoted.append(False)
            if datatype is None:
                continue
            if datatype in _RAW_PATTERNS:
                self.raw.append(index)
                patterns.append(b"(?:" + _RAW_PATTERNS[datatype] + b"|)")
            elif datatype in memos:
                self.converted.append((index, memos[datatype]))
            else:
                self.quoted[index] = True
        self.keys.append(None)  # the tail
        self.quoted.append(False)
        if len(patterns) == 1:  # raw_texts gives that text twice
            patterns *= 2
        self.check_raw = re.compile(b"\x00".join(patterns)).fullmatch if patterns else None
        # itemgetter of one index gives no tuple (so that text is read twice, as patterns are),
        # of none it is a TypeError (then raw_texts is never read: check_raw is None).
        raw = self.raw * 2 if len(self.raw) == 1 else self.raw or [0]
        self.raw_texts = itemgetter(*raw)
        self.templates: dict[tuple[bool, ...], bytes] = {}
        position = {name: index for index, name in enumerate(names)}
        self.key_index = tuple(position.get(f) if f else None for f in key_fields)

    def template(self, mask: tuple[bool, ...]) -> bytes:
        """The row's JSON with `%s` where a value goes; empty fields are `null`, unselected absent."""
        written: list[bytes] = []
        swallow = b""  # `%.0s` consumes the text of a field queried for paging only, writes nothing
        for key, quoted, filled in zip(self.keys, self.quoted, mask, strict=True):
            if key is None:
                swallow += b"%.0s"
            else:
                value = (b'"%s"' if quoted else b"%s") if filled else b"null%.0s"
                written.append(swallow + key + value)
                swallow = b""
        template = b"{" + b",".join(written) + swallow + b"}"
        if len(self.templates) >= _TEMPLATE_LIMIT:
            self.templates.clear()
        self.templates[mask] = template
        return template

    def row_keys(self, texts: list[bytes], entities: bool) -> RowKeys:  # noqa: FBT001
        """(RECORDNO, stamp, natural id) of a row read from bytes, unescaped if it held entities."""

        def text(index: int | None) -> str | None:
            if index is None:
                return None
            value = texts[index]
            return (_unescape(value) if entities else value).decode()

        recordno, stamp, natural = self.key_index
        return text(recordno), text(stamp), text(natural)


class RawRowReader:
    """Reads a page's rows from bytes for one stream's fast writer (see the module docstring)."""

    def __init__(
        self,
        row_tag: str,
        datatypes: Mapping[str, str],
        tz: timezone,
        key_fields: tuple[str, str | None, str | None],
        parse_row: Callable[[bytes], etree._Element | None],
    ) -> None:
        self.row_tag = row_tag.encode()
        self.open = b"<" + self.row_tag + b">"
        self.close = b"</" + self.row_tag + b">"
        self.datatypes = dict(datatypes)
        self.key_fields = key_fields
        self.parse_row = parse_row
        self.memos: dict[str, Callable[[bytes], bytes]] = {
            DATE: _Memo(lambda text: _json_string(_date(text.decode())).encode()).__getitem__,
            TIMESTAMP: _Stamps(tz),
        }
        self.layouts: dict[tuple[bytes, ...], RowLayout | None] = {}
        self.layout: RowLayout | None = None

    def _learn(self, chunk: bytes) -> RowLayout | None:
        """The layout of this row's field list, compiled once; None if not one for the byte path."""
        tags = tuple(_TAGS(chunk))
        if tags in self.layouts:
            return self.layouts[tags]
        layout = None
        names = {tag.decode() for tag in tags[1:]}
        # A field missing or repeated makes `to_json` take the dict path: lxml rows then.
        if (
            len(tags) > 1
            and tags[0] == self.row_tag
            and len(names) == len(tags) - 1
            and names.issuperset(self.datatypes)
            and max(map(len, tags)) <= _NAME_LIMIT
        ):
            layout = RowLayout(self.row_tag, tags[1:], self.datatypes, self.memos, self.key_fields)
        if len(self.layouts) >= _LAYOUT_LIMIT:
            self.layouts.clear()
        self.layouts[tags] = layout
        return layout

    def read(self, body: bytes, start: int, end: int, page: RawRowPage) -> bool:
        """Hand the rows of body[start:end] to `page`; False if the region is not rows only."""
        find, opening, closing = body.find, self.open, self.close
        skip = len(closing)
        items = page.items
        all_keys = page.keys if page.keep_all_keys else None
        pos = start
        while pos < end:
            if not body.startswith(opening, pos):
                nxt = body.find(b"<", pos, end)
                stop = end if nxt == -1 else nxt
                if body[pos:stop].strip(b" \t\r\n"):
                    return False
                if nxt == -1:
                    break
                if not body.startswith(opening, nxt):
                    return False
                pos = nxt
            stop = find(closing, pos, end)
            if stop == -1 or stop - pos > _ROW_BYTES_LIMIT:
                return False
            chunk = body[pos:stop]
            pos = stop + skip
            if not self._fast(chunk, items, all_keys, page) and not self._slow(
                chunk + closing, page
            ):
                return False
        return True

    def _texts(self, chunk: bytes) -> tuple[RowLayout, list[bytes]] | None:
        """The row's layout and field texts (plus the tail), if the row is exactly that layout."""
        layout = self.layout
        for attempt in range(2):
            if layout is not None:
                pieces = chunk.split(b"</")
                if len(pieces) == layout.pieces:
                    texts = list(map(bytes.removeprefix, pieces, layout.glues))
                    # Rebuilding the row from its texts proves every tag; `_fast` then refuses a
                    # text holding `<` (a comment, CDATA, an element): what is left is what lxml
                    # reads as that row's field texts.
                    if layout.skeleton % tuple(texts) == chunk:
                        self.layout = layout
                        return layout, texts
            if attempt == 0:
                learned = self._learn(chunk)
                if learned is None or learned is layout:
                    return None
                layout = learned
        return None

    def _fast(
        self,
        chunk: bytes,
        items: list[bytes],
        all_keys: list[RowKeys] | None,
        page: RawRowPage,
    ) -> bool:
        found = self._texts(chunk)
        if found is None:
            return False
        layout, texts = found
        joined = b"".join(texts)
        odd = joined.translate(None, _PLAIN)
        entities = _entities(joined, odd) if odd else False
        if entities is None or b"]]>" in joined:  # a text may hold `>`, but not after `]]`
            return False
        if (
            layout.check_raw is not None
            and layout.check_raw(b"\x00".join(layout.raw_texts(texts))) is None
        ):
            return False  # e.g. "12.0" in an integer field: to_json knows what to do with it
        keys = texts.copy()  # the texts as sent, for the bookmark; `texts` become JSON
        mask = tuple(map(bool, texts))
        try:
            for index, convert in layout.converted:
                if texts[index]:
                    texts[index] = convert(texts[index])
        except ValueError:
            return False  # lxml's row: the converter names the record and field
        line = (layout.templates.get(mask) or layout.template(mask)) % tuple(texts)
        if odd:
            if entities:
                line = _unescape(line, quote=b'\\"')
            if not line.isascii():
                line = line.decode("utf-8").encode("ascii", "tap_sage_intacct_json")
        items.append(line)
        page.last_fast(layout, keys, entities)
        if all_keys is not None:
            all_keys.append(layout.row_keys(keys, entities))
        return True

    def _slow(self, row: bytes, page: RawRowPage) -> bool:
        element = self.parse_row(row)
        if element is None:
            return False
        page.row(element)
        # A bad value ends the byte path: the streaming parse reads the whole answer again, so an
        # answer that is also broken further on is refused (and retried) exactly as lxml refuses it.
        return page.error is None

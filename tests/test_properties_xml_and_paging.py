"""Property-based tests of the tap's pure parts: XML round trips and keyset paging.

* Rows rendered by the Intacct sandbox's own renderer (any Unicode text XML can carry, XML special
  characters, exact decimals, big integers, booleans) and read back by the tap's hardened parser and its
  record converter (both the dict path and the fast JSON path) give back the same values.
* The tap's keyset filter (`IntacctObjectStream._keyset`), walked page by page over an in-memory page
  source that answers `query` the way the gateway does (filter, ORDER BY WHENMODIFIED, RECORDNO, page
  size), reads every row exactly once for any data with any number of duplicate timestamps, any page
  size, and from any resume position a crash could have saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import simplejson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from sandboxes.intacct.render import RecordTemplate
from tap_sage_intacct.gateway import parsing
from tap_sage_intacct.schema import BOOLEAN, DECIMAL, INTEGER, TEXT, RecordConverter
from tap_sage_intacct.streams import IntacctObjectStream, Position

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _xml_char(codepoint: int) -> bool:
    # XML 1.0 Char, minus CR: a parser normalises CR and CRLF to LF by the spec, not by choice.
    return (
        codepoint in (0x9, 0xA)
        or 0x20 <= codepoint <= 0xD7FF
        or 0xE000 <= codepoint <= 0xFFFD
        or codepoint >= 0x10000
    )


XML_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("<>&\"'];]]>-- \t\n"),
        st.characters(codec="utf-8").filter(lambda c: _xml_char(ord(c))),
    ),
    max_size=40,
)

AMOUNTS = st.builds(
    lambda units, cents, places: Decimal(units) + Decimal(cents).scaleb(-places),
    st.integers(-(10**15), 10**15),
    st.integers(0, 10**10),
    st.integers(0, 10),
)
FIELD_TYPES = {"NAME": TEXT, "MEMO": TEXT, "AMOUNT": DECIMAL, "COUNT": INTEGER, "ACTIVE": BOOLEAN}
ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "NAME": XML_TEXT,
            "MEMO": XML_TEXT,
            "AMOUNT": AMOUNTS,
            "COUNT": st.integers(-(2**63), 2**63),
            "ACTIVE": st.booleans(),
        }
    ),
    min_size=1,
    max_size=8,
)


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def _answer(rows_xml: str, count: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<response><control><status>success</status>'
        "</control><operation><authentication><status>success</status></authentication><result>"
        "<status>success</status><function>query</function><controlid>x</controlid>"
        f'<data listtype="VENDOR" count="{count}" totalcount="{count}" numremaining="0">'
        f"{rows_xml}</data></result></operation></response>"
    ).encode()


@SETTINGS
@given(rows=ROWS)
def test_rendered_rows_parse_back_to_the_same_values(rows):
    template = RecordTemplate("VENDOR", tuple(FIELD_TYPES))
    rendered = template.render_many([{k: _as_text(v) for k, v in row.items()} for row in rows])
    root = parsing.parse_xml(_answer(rendered, len(rows)))
    result = parsing.read_response(root, "query VENDOR").results[0]
    assert result.ok
    assert result.data is not None
    elements = list(result.data)
    converter = RecordConverter(FIELD_TYPES, UTC)
    encode = simplejson.JSONEncoder(use_decimal=True, separators=(",", ":")).encode
    assert len(elements) == len(rows)
    for row, element in zip(rows, elements, strict=True):
        # An empty element is null by the tap's contract (README: "Empty XML elements become null").
        expected = {k: (None if v == "" else v) for k, v in row.items()}
        assert converter.convert(element) == expected
        from_json = json.loads(converter.to_json(element, encode), parse_float=Decimal)
        assert from_json == expected
        assert all(
            str(from_json[k]) == str(v) for k, v in expected.items() if isinstance(v, Decimal)
        ), "decimal digits must survive exactly (no float on the way)"


# -- keyset paging ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    recordno: int
    stamp: str  # Intacct wall time text, as the gateway renders it

    @property
    def moment(self) -> datetime:
        return datetime.strptime(self.stamp, "%m/%d/%Y %H:%M:%S")  # noqa: DTZ007 - wall time


def _matches(node: etree._Element, row: Row) -> bool:
    tag = node.tag
    if tag == "and":
        return all(_matches(child, row) for child in node)
    if tag == "or":
        return any(_matches(child, row) for child in node)
    field_name = node.findtext("field")
    if tag == "isnotnull":
        return bool(row.stamp) if field_name == "WHENMODIFIED" else True
    value = node.findtext("value") or ""
    if field_name == "RECORDNO":
        left: object = row.recordno
        right: object = int(value)
    else:
        left = row.moment
        right = datetime.strptime(value, "%m/%d/%Y %H:%M:%S")  # noqa: DTZ007
    if tag == "equalto":
        return left == right
    if tag == "greaterthan":
        return left > right  # type: ignore[operator]
    if tag == "greaterthanorequalto":
        return left >= right  # type: ignore[operator]
    raise AssertionError(f"unexpected filter operator {tag}")


def _page(rows: list[Row], filter_xml: str | None, page_size: int) -> tuple[list[Row], int]:
    """The gateway's answer: rows matching the filter, ordered by (WHENMODIFIED, RECORDNO)."""
    node = etree.fromstring(filter_xml) if filter_xml else None
    matching = sorted(
        (r for r in rows if node is None or _matches(node, r)),
        key=lambda r: (r.moment, r.recordno),
    )
    return matching[:page_size], max(0, len(matching) - page_size)


def _walk(rows: list[Row], page_size: int, start: Position) -> list[Row]:
    """The tap's walk: each page's filter from the previous page's last row (streams._walk_main)."""
    seen: list[Row] = []
    position = start
    for _ in range(len(rows) + 2):
        page, remaining = _page(
            rows, IntacctObjectStream._keyset("WHENMODIFIED", position), page_size
        )
        seen += page
        if not page or remaining == 0:
            return seen
        position = Position(page[-1].stamp, page[-1].recordno)
    raise AssertionError("the walk did not end")


BASE = datetime(2025, 3, 1, 12, 0, 0)  # noqa: DTZ001 - wall time, as the gateway renders it
DATA = st.lists(st.integers(0, 5), min_size=0, max_size=60).map(
    # Few distinct seconds, so most rows share their WHENMODIFIED with many others.
    lambda offsets: [
        Row(1000 + index, (BASE + timedelta(seconds=offset)).strftime("%m/%d/%Y %H:%M:%S"))
        for index, offset in enumerate(offsets)
    ]
)


@SETTINGS
@given(rows=DATA, page_size=st.integers(1, 7))
def test_keyset_paging_loses_and_repeats_nothing(rows, page_size):
    seen = _walk(rows, page_size, Position(None, None))
    assert sorted(r.recordno for r in seen) == sorted(r.recordno for r in rows)
    assert len(seen) == len({r.recordno for r in seen})


@SETTINGS
@given(rows=DATA, page_size=st.integers(1, 7), cut=st.integers(0, 60))
def test_resume_from_a_saved_position_reads_the_rest_exactly_once(rows, page_size, cut):
    """A crash after any row: the saved (WHENMODIFIED, RECORDNO) resumes with nothing lost or repeated."""
    ordered = sorted(rows, key=lambda r: (r.moment, r.recordno))
    cut = min(cut, len(ordered))
    done = ordered[:cut]
    start = Position(done[-1].stamp, done[-1].recordno) if done else Position(None, None)
    rest = _walk(rows, page_size, start)
    assert [r.recordno for r in done + rest] == [r.recordno for r in ordered]

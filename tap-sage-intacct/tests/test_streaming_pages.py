"""The streamed page parse (`parsing.parse_xml_streaming`, `pages.PageCollector`) and the raw keyset
read that lets the next page be requested before this one is converted.

The streamed parse must give exactly what the whole-tree parse gives (same rows, same classification
of failed answers, same refusals of hostile or broken bodies) while never holding the page's rows.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tap_sage_intacct.gateway import errors, parsing
from tap_sage_intacct.pages import PageCollector, raw_next_keyset
from tap_sage_intacct.schema import RecordConverter

# The repository's vendor sample answers; tests/fixtures/SOURCES.md says where each comes from.
SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "intacct"
HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><response><control><status>success</status></control>'
    b"<operation><authentication><status>success</status><userid>u</userid></authentication>"
)


def sample(name: str) -> bytes:
    (path,) = SAMPLES.glob(f"{name}_*.xml")
    return path.read_bytes()


def _row(recordno: int, stamp: str, amount: str = "1.50") -> bytes:
    return (
        f"<APBILL><RECORDNO>{recordno}</RECORDNO><WHENMODIFIED>{stamp}</WHENMODIFIED>"
        f"<TOTALDUE>{amount}</TOTALDUE><MEMO/></APBILL>"
    ).encode()


def _result(rows: list[bytes], remaining: int, tag: str = "APBILL") -> bytes:
    return (
        b"<result><status>success</status><function>query</function><controlid>c</controlid>"
        + f'<data listtype="{tag}" totalcount="{len(rows) + remaining}" count="{len(rows)}" '
        f'numremaining="{remaining}">'.encode()
        + b"".join(rows)
        + b"</data></result>"
    )


def _answer(*results: bytes) -> bytes:
    return HEAD + b"".join(results) + b"</operation></response>"


TYPES = {"RECORDNO": "INTEGER", "WHENMODIFIED": "TIMESTAMP", "TOTALDUE": "CURRENCY", "MEMO": "TEXT"}


class Watcher:
    """A sink that records what the parser hands over and how much of <data> it keeps meanwhile."""

    def __init__(self, row_tag: str = "APBILL") -> None:
        self.row_tag = row_tag
        self.rows: list[dict[str, Any]] = []
        self.begins = 0
        self.most_before = 0
        self.converter = RecordConverter(TYPES, UTC)

    def begin(self, body: bytes) -> None:
        self.begins += 1
        self.rows = []

    def row(self, element: etree._Element) -> None:
        self.rows.append(self.converter.convert(element))
        before = sum(1 for _ in element.itersiblings(preceding=True))
        self.most_before = max(self.most_before, before)


def _collector(converter: RecordConverter) -> PageCollector[dict[str, Any]]:
    return PageCollector(
        row_tag="APBILL",
        convert=converter.convert,
        describe_error=lambda row, exc: errors.FatalError(
            f"record RECORDNO={row.findtext('RECORDNO')}: {exc}"
        ),
        key_fields=("RECORDNO", "WHENMODIFIED", None),
        keep_all_keys=False,
    )


def test_streamed_rows_equal_whole_tree_rows_and_are_not_kept() -> None:
    rows = [_row(n, f"01/02/2025 10:00:{n % 60:02d}") for n in range(1, 301)]
    body = _answer(_result(rows, remaining=5))
    converter = RecordConverter(TYPES, UTC)
    whole = parsing.read_response(parsing.parse_xml(body), "query").results[0]
    assert whole.data is not None
    expected = [converter.convert(row) for row in whole.data]

    watcher = Watcher()
    root = parsing.parse_xml_streaming(body, watcher)
    streamed = parsing.read_response(root, "query").results[0]
    assert watcher.rows == expected
    assert watcher.begins == 1
    # Rows before the one being read are gone, except the one just before it; none is left after.
    assert watcher.most_before <= 1
    assert streamed.data is not None
    assert len(streamed.data) == 0
    assert streamed.attr_int("numremaining") == 5
    assert streamed.attr_int("totalcount") == 305


def test_only_the_first_result_is_streamed_the_others_keep_their_rows() -> None:
    body = _answer(
        _result([_row(1, "01/02/2025 10:00:00")], remaining=0),
        _result([_row(2, "01/02/2025 10:00:01"), _row(3, "01/02/2025 10:00:02")], remaining=0),
    )
    watcher = Watcher()
    results = parsing.read_response(parsing.parse_xml_streaming(body, watcher), "q").results
    assert [r["RECORDNO"] for r in watcher.rows] == [1]
    second = results[1].data
    assert second is not None
    assert [row.findtext("RECORDNO") for row in second] == ["2", "3"]


def test_rows_named_otherwise_are_still_delivered_in_order() -> None:
    # Sample 07 is a VENDOR answer: a sink expecting APBILL rows still gets every row, in order.
    watcher = Watcher(row_tag="APBILL")
    root = parsing.parse_xml_streaming(sample("07"), watcher)
    assert [r["RECORDNO"] for r in watcher.rows] == [1010, 1009]
    data = parsing.read_response(root, "query").results[0].data
    assert data is not None
    assert len(data) == 0


def test_a_foreign_element_among_rows_fails_the_answer() -> None:
    body = _answer(
        _result([_row(1, "01/02/2025 10:00:00"), b"<NOTAROW/>", _row(2, "01/02/2025 10:00:01")], 0)
    )
    with pytest.raises(errors.FatalError, match="NOTAROW"):
        parsing.parse_xml_streaming(body, Watcher())


@pytest.mark.parametrize("name", ["10", "11", "12", "13", "14", "15"])
def test_failed_answers_classify_exactly_as_the_whole_tree_parse(name: str) -> None:
    body = sample(name)

    def outcome(root_of: Any) -> tuple[type, str] | list[tuple[str, str]]:
        try:
            response = parsing.read_response(root_of(body), "query APBILL")
        except errors.IntacctError as exc:
            return type(exc), exc.message
        return [(r.status, "; ".join(e.text() for e in r.errors)) for r in response.results]

    assert outcome(parsing.parse_xml) == outcome(
        lambda b: parsing.parse_xml_streaming(b, Watcher())
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html><body>Cloudflare</body></html>", "html"),
        (b"", "html"),
        (
            HEAD + b"<result><status>success</status><data><APBILL><RECORDNO>1</RECO",
            "malformed_xml",
        ),
        (b'<!DOCTYPE response [<!ENTITY a "aaaa">]><response>&a;</response>', "hostile"),
        (
            b'<?xml version="1.0"?><!--'
            + b" " * 20000
            + b'--><!DOCTYPE response [<!ENTITY a "x">]>'
            + _answer(_result([_row(1, "01/02/2025 10:00:00")], 0))[
                len(b'<?xml version="1.0" encoding="UTF-8"?>') :
            ],
            "hostile",
        ),
    ],
)
def test_hostile_or_broken_bodies_are_refused_as_transient(body: bytes, reason: str) -> None:
    with pytest.raises(errors.RetryableError) as refused:
        parsing.parse_xml_streaming(body, Watcher())
    assert refused.value.reason == reason


def test_collector_defers_a_bad_row_until_the_walk_asks() -> None:
    converter = RecordConverter(TYPES, UTC)
    page = _collector(converter)
    body = _answer(
        _result([_row(7, "01/02/2025 10:00:00"), _row(8, "01/02/2025 10:00:01", "12abc")], 3)
    )
    parsing.parse_xml_streaming(body, page)  # the answer itself is fine: no exception here
    with pytest.raises(errors.FatalError, match="RECORDNO=8"):
        page.raise_deferred()


def test_collector_keeps_converted_rows_and_the_last_rows_keys() -> None:
    converter = RecordConverter(TYPES, UTC)
    page = _collector(converter)
    body = _answer(_result([_row(7, "01/02/2025 10:00:00"), _row(8, "01/02/2025 10:00:01")], 3))
    parsing.parse_xml_streaming(body, page)
    page.raise_deferred()
    assert [r["RECORDNO"] for r in page.items] == [7, 8]
    assert page.last == ("8", "01/02/2025 10:00:01", None)
    # A resent answer starts over: nothing of the first attempt is kept.
    parsing.parse_xml_streaming(_answer(_result([], 0)), page)
    assert page.items == []
    assert page.last is None


def test_raw_keyset_reads_the_last_row_of_the_first_result() -> None:
    first = _result([_row(1, "01/02/2025 10:00:00"), _row(12, "01/02/2025 10:00:09")], 40)
    other = _result([_row(99, "12/31/2025 23:59:59")], 7)
    body = _answer(first, other)
    assert raw_next_keyset(body, "APBILL", "WHENMODIFIED") == ("01/02/2025 10:00:09", 12)
    assert raw_next_keyset(body, "APBILL", None) == (None, 12)


@pytest.mark.parametrize(
    "body",
    [
        _answer(_result([_row(1, "01/02/2025 10:00:00")], 0)),  # nothing remains
        _answer(_result([_row(1, "01/02/2025 10:00:00")], 3).replace(b"</data>", b"")),
        _answer(_result([_row(1, "01/02/2025 10:00:00").replace(b"10:00", b"&#49;0:00")], 3)),
        _answer(_result([_row(1, "")], 3)),  # empty stamp: the walk refuses it after parsing
        _answer(b'<result><status>success</status><data numremaining="2"/></result>'),
        _answer(b"<result><status>failure</status></result>"),
    ],
)
def test_raw_keyset_declines_anything_it_cannot_read_plainly(body: bytes) -> None:
    assert raw_next_keyset(body, "APBILL", "WHENMODIFIED") is None

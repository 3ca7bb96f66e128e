"""The byte path for rows (`gateway.rawrows`): every page must come out exactly as the lxml streaming parse
plus `RecordConverter.to_json` gives it - the same JSON text per record, the same keys, the same
one-line error for a bad value, the same refusal of a broken or hostile answer - whatever the rows
hold. Each case runs both paths on the same bytes and compares.
"""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
import simplejson  # type: ignore[import-untyped]
from lxml import etree

from tap_sage_intacct.gateway import errors, parsing
from tap_sage_intacct.gateway.rawrows import RawRowReader
from tap_sage_intacct.pages import PageCollector, raw_next_keyset
from tap_sage_intacct.schema import ConversionError, RecordConverter, shown_key

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><response><control><status>success</status></control>'
    b"<operation><authentication><status>success</status><userid>u</userid></authentication>"
)
#: Emitted fields; PAGINGONLY is queried (for paging) but not selected.
TYPES = {
    "RECORDNO": "INTEGER",
    "VENDORID": "TEXT",
    "NAME": "TEXT",
    "TOTALDUE": "DECIMAL",
    "ONHOLD": "BOOLEAN",
    "WHENDUE": "DATE",
    "WHENMODIFIED": "TIMESTAMP",
    "MEMO": "TEXT",
}
FIELDS = [*TYPES, "PAGINGONLY"]
ENCODE = simplejson.JSONEncoder(use_decimal=True, separators=(",", ":"), ensure_ascii=True).encode


def row(tag: str = "APBILL", **values: str | None) -> bytes:
    """A row with every field; a value of None writes `<F></F>`; a key absent takes a default."""
    defaults = {
        "RECORDNO": "1",
        "VENDORID": "V-1",
        "NAME": "Acme Ltd",
        "TOTALDUE": "12.50",
        "ONHOLD": "false",
        "WHENDUE": "01/31/2025",
        "WHENMODIFIED": "01/02/2025 10:00:00",
        "MEMO": "",
        "PAGINGONLY": "x",
    }
    defaults.update({k: v or "" for k, v in values.items()})
    fields = "".join(f"<{name}>{text}</{name}>" for name, text in defaults.items())
    return f"<{tag}>{fields}</{tag}>".encode()


def answer(*rows: bytes, remaining: int = 0, tail: bytes = b"") -> bytes:
    return (
        HEAD
        + b"<result><status>success</status><function>query</function><controlid>c</controlid>"
        + f'<data listtype="APBILL" totalcount="{len(rows) + remaining}" count="{len(rows)}" '
        f'numremaining="{remaining}">'.encode()
        + b"".join(rows)
        + b"</data></result>"
        + tail
        + b"</operation></response>"
    )


def describe_error(
    converter: RecordConverter, element: etree._Element, exc: ValueError
) -> errors.IntacctError:
    """As the stream words a bad value: through the dict path, which must raise ConversionError."""
    try:
        converter.convert(element)
    except ConversionError as dict_exc:
        exc = dict_exc
    return errors.FatalError(f"record RECORDNO={shown_key(element.findtext('RECORDNO'))}: {exc}")


def collector(
    converter: RecordConverter, reader: RawRowReader | None, natural: str | None = None
) -> PageCollector[bytes]:
    return PageCollector(
        row_tag="APBILL",
        convert=lambda element: converter.to_json(element, ENCODE).encode("ascii"),
        describe_error=partial(describe_error, converter),
        key_fields=("RECORDNO", "WHENMODIFIED", natural),
        keep_all_keys=natural is not None,
        reader=reader,
    )


def both(
    body: bytes,
    tz: timezone = UTC,
    natural: str | None = None,
    types: dict[str, str] = TYPES,
) -> tuple[dict[str, Any], dict[str, Any], RawRowReader]:
    """Run the lxml path and the byte path on `body`; what each produced. Only the tap's own
    errors are outcomes: any other exception (a traceback in the tap) fails the test."""
    converter = RecordConverter(types, tz)
    by_lxml: list[bytes] = []

    def parse_row(row_bytes: bytes) -> etree._Element | None:
        by_lxml.append(row_bytes)
        return parsing.parse_row(row_bytes)

    reader = RawRowReader(
        "APBILL", converter.datatypes, tz, ("RECORDNO", "WHENMODIFIED", natural), parse_row
    )
    outcomes = []
    for use in (None, reader):
        page = collector(converter, use, natural)
        outcome: dict[str, Any] = {}
        try:
            root = parsing.parse_xml_streaming(body, page)
            results = parsing.read_response(root, "query").results
        except errors.IntacctError as exc:
            outcome["refused"] = (type(exc), exc.message)
        else:
            # The first result's `<data>` keeps no rows on either path; the text around them
            # (indentation) is not part of the outcome.
            outcome["results"] = [
                (r.status, dict(r.data.attrib), [etree.tostring(child) for child in r.data])
                for r in results
                if r.data is not None
            ]
            outcome["items"] = page.items
            outcome["last"] = page.last
            outcome["keys"] = page.keys
            try:
                page.raise_deferred()
            except errors.IntacctError as exc:
                outcome["error"] = exc.message
        outcomes.append(outcome)
    outcomes[1]["rows_by_lxml"] = len(by_lxml)
    return outcomes[0], outcomes[1], reader


def same(
    body: bytes, tz: timezone = UTC, natural: str | None = None, types: dict[str, str] = TYPES
) -> dict[str, Any]:
    """Both paths' outputs and outcome, asserted equal; with how many rows the byte path left
    to lxml."""
    lxml_side, raw_side, _ = both(body, tz, natural, types)
    by_lxml = raw_side.pop("rows_by_lxml")
    assert raw_side == lxml_side
    raw_side["rows_by_lxml"] = by_lxml
    return raw_side


#: (values of the middle row, whether the byte path takes it itself rather than handing it to lxml)
TRICKY_VALUES = [
    ({"NAME": "Ernst &amp; Young"}, True),
    ({"NAME": "&lt;b&gt; &quot;quoted&quot; &apos;s &amp;lt;"}, True),
    ({"NAME": "Soci\u00e9t\u00e9 G\u00e9n\u00e9rale \u2014 \U0001f600"}, True),
    ({"NAME": "caf&#233; &#x1F600;"}, False),
    ({"NAME": 'raw "quote" and back\\slash'}, False),
    ({"MEMO": "tab\there, line\nbreak"}, False),
    ({"MEMO": "carriage\r\nreturn"}, False),
    ({"MEMO": "   "}, True),
    ({"MEMO": "100% ]] > fine"}, True),
    ({"MEMO": "a%sb%%c"}, True),
    ({"TOTALDUE": "-0.00"}, True),
    ({"TOTALDUE": "0.0000001"}, True),
    ({"TOTALDUE": "1E5"}, False),
    ({"TOTALDUE": "007.5"}, False),
    ({"TOTALDUE": None, "ONHOLD": None, "WHENDUE": None, "WHENMODIFIED": None}, True),
    ({"RECORDNO": "12.0"}, False),
    ({"RECORDNO": "-0"}, True),
    ({"ONHOLD": "T"}, False),
    ({"ONHOLD": "true"}, True),
    ({"WHENDUE": "02/29/2024"}, True),
    ({"WHENDUE": "01/31/2025 00:00:00"}, True),
    ({"WHENMODIFIED": "12/31/2024 23:59:59"}, True),
    ({"WHENMODIFIED": "01/02/2025"}, True),
    ({"PAGINGONLY": "&amp; caf\u00e9"}, True),
    ({"VENDORID": ""}, True),
]


@pytest.mark.parametrize(("values", "by_bytes"), TRICKY_VALUES, ids=lambda v: repr(v)[:40])
@pytest.mark.parametrize(
    "tz", [UTC, timezone(timedelta(hours=-8)), timezone(timedelta(hours=5, minutes=30))]
)
def test_every_value_comes_out_as_the_lxml_path_writes_it(
    values: dict[str, str | None],
    by_bytes: bool,
    tz: timezone,
) -> None:
    body = answer(row(RECORDNO="1"), row(**values), row(RECORDNO="3"), remaining=4)
    out = same(body, tz)
    assert out["rows_by_lxml"] == (0 if by_bytes else 1)
    assert len(out["items"]) == 3
    for text in out["items"]:
        assert text.isascii()
        json.loads(text, parse_float=Decimal)


def test_plain_rows_take_the_byte_path_and_money_stays_exact() -> None:
    body = answer(*(row(RECORDNO=str(n), TOTALDUE=f"{n}.10") for n in range(1, 6)))
    _, raw_side, reader = both(body)
    assert reader.layout is not None  # compiled from the rows, not just parsed by lxml
    records = [json.loads(text, parse_float=Decimal) for text in raw_side["items"]]
    assert [r["TOTALDUE"] for r in records] == [Decimal(f"{n}.10") for n in range(1, 6)]
    assert records[0] == {
        "RECORDNO": 1,
        "VENDORID": "V-1",
        "NAME": "Acme Ltd",
        "TOTALDUE": Decimal("1.10"),
        "ONHOLD": False,
        "WHENDUE": "2025-01-31",
        "WHENMODIFIED": "2025-01-02T10:00:00+00:00",
        "MEMO": None,
    }
    assert raw_side["last"] == ("5", "01/02/2025 10:00:00", None)


def test_timestamps_convert_at_the_users_offset() -> None:
    body = answer(row(WHENMODIFIED="01/01/2025 05:10:20"))
    (text,) = same(body, timezone(timedelta(hours=9, minutes=30)))["items"]
    assert json.loads(text)["WHENMODIFIED"] == "2024-12-31T19:40:20+00:00"


#: (a row of another shape, how many rows the byte path hands to lxml alone: 0 with a new field
#: list that still compiles, or when the answer went to the lxml parse before any row was read)
OTHER_SHAPES = [
    (row().replace(b"<APBILL>", b'<APBILL kind="x">'), 0),
    (row().replace(b"<MEMO></MEMO>", b"<MEMO/>"), 1),
    (row().replace(b"<NAME>Acme Ltd</NAME>", b"").replace(b"<MEMO>", b"<NAME>A</NAME><MEMO>"), 0),
    (row().replace(b"<NAME>Acme Ltd</NAME>", b""), 1),
    (row().replace(b"<MEMO></MEMO>", b"<MEMO>a</MEMO><MEMO>b</MEMO>"), 1),
    (row().replace(b"<MEMO></MEMO>", b"<MEMO></MEMO><NEWFIELD>n</NEWFIELD>"), 0),
    (row().replace(b"<MEMO></MEMO>", b"<MEMO><B>bold</B></MEMO>"), 1),
    (row().replace(b"<MEMO></MEMO>", b"<MEMO>a<!-- c -->b</MEMO>"), 1),
    (row().replace(b"<MEMO></MEMO>", b"<MEMO><![CDATA[<x> & y]]></MEMO>"), 1),
    # cut at the CDATA's `</APBILL>`, lxml refuses that piece: the whole answer goes to lxml
    (row().replace(b"<MEMO></MEMO>", b"<MEMO><![CDATA[</APBILL>]]></MEMO>"), 1),
    (row().replace(b"<NAME>", b"\n  <NAME>").replace(b"</APBILL>", b"\n</APBILL>"), 1),
]


@pytest.mark.parametrize(("row_bytes", "by_lxml"), OTHER_SHAPES)
def test_rows_of_other_shapes_come_out_as_the_lxml_path_writes_them(
    row_bytes: bytes, by_lxml: int
) -> None:
    body = answer(row(RECORDNO="1"), row_bytes, row(RECORDNO="3"), b"\n ", row(RECORDNO="4"))
    out = same(body, natural="VENDORID")
    assert len(out["items"]) == 4
    assert out["rows_by_lxml"] == by_lxml


def test_keys_of_every_row_are_read_as_lxml_reads_them() -> None:
    body = answer(
        row(RECORDNO="1", VENDORID="V&amp;1"),
        row(RECORDNO="2", VENDORID="V-\u00e9"),
        row(RECORDNO="3", VENDORID=None),
    )
    out = same(body, natural="VENDORID")
    assert out["keys"] == [
        ("1", "01/02/2025 10:00:00", "V&1"),
        ("2", "01/02/2025 10:00:00", "V-\u00e9"),
        ("3", "01/02/2025 10:00:00", ""),
    ]


@pytest.mark.parametrize(
    "values",
    [{"WHENDUE": "02/30/2025"}, {"WHENMODIFIED": "13/02/2025 10:00:00"}, {"TOTALDUE": "12abc"}],
)
def test_a_bad_value_gives_the_same_one_line_error(values: dict[str, str]) -> None:
    out = same(answer(row(RECORDNO="1"), row(RECORDNO="2", **values), row(RECORDNO="3")))
    assert "RECORDNO=2" in out["error"]


@pytest.mark.parametrize(
    "body",
    [
        # truncated inside a row, between rows, and after </data>
        answer(row(), row())[:-200],
        answer(row(), row()).replace(b"</APBILL><APBILL>", b"</APBILL><APB"),
        answer(row())[: -len(b"</result></operation></response>")],
        # not UTF-8, and a character XML forbids
        answer(row(NAME="caf\udce9".encode("utf-8", "surrogateescape").decode("latin-1"))),
        answer(row()).replace(b"Acme", b"Ac\xffme"),
        answer(row()).replace(b"Acme", b"Ac\xef\xbf\xbeme"),
        answer(row()).replace(b"Acme", b"Ac\x01me"),
        answer(row(MEMO="a ]]> b")),
        # an undefined entity, a mismatched closing tag, a foreign element among the rows
        answer(row(NAME="&nbsp;")),
        answer(row()).replace(b"</NAME>", b"</NAMES>"),
        answer(row(), b"<NOTAROW/>", row()),
        answer(row(), b"text between rows", row()),
        # a DOCTYPE hidden behind padding
        b'<?xml version="1.0"?><!--'
        + b" " * 5000
        + b'--><!DOCTYPE response [<!ENTITY a "x">]>'
        + answer(row())[len(b'<?xml version="1.0" encoding="UTF-8"?>') :],
        # another encoding, rows of another name, a result that failed before the rows
        answer(row())
        .replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
        .replace(b"Acme", b"Acm\xe9"),
        answer(row(tag="apbill")),
        answer(row()).replace(b"<response>", b'<response xmlns="urn:x">'),
        answer(row()).replace(
            b"<status>success</status><function>", b"<status>failure</status><function>", 1
        ),
    ],
)
def test_broken_or_unusual_answers_get_exactly_the_lxml_outcome(body: bytes) -> None:
    same(body)


def test_a_first_result_without_data_leaves_the_second_results_rows_alone() -> None:
    second = (
        b"<result><status>success</status><function>query</function><controlid>d</controlid>"
        + b'<data listtype="APBILL" count="1">'
        + row(RECORDNO="9")
        + b"</data></result>"
    )
    failed = (
        b"<result><status>failure</status><function>query</function><controlid>c</controlid>"
        b"<errormessage><error><errorno>BL01001973</errorno><description>x</description>"
        b"</error></errormessage></result>"
    )
    body = HEAD + failed + second + b"</operation></response>"
    out = same(body)
    assert out["items"] == []
    assert b"<RECORDNO>9</RECORDNO>" in out["results"][0][2][0]


def test_other_results_keep_their_rows_and_data_attributes() -> None:
    other = (
        b"<result><status>success</status><function>query</function><controlid>d</controlid>"
        + b'<data listtype="AUDITHISTORY" count="1" numremaining="0">'
        + b"<AUDITHISTORY><ID>5</ID></AUDITHISTORY></data></result>"
    )
    out = same(answer(row(RECORDNO="1"), remaining=7, tail=other))
    assert len(out["items"]) == 1
    assert out["results"][0][1]["numremaining"] == "7"
    assert out["results"][1][2] == [b"<AUDITHISTORY><ID>5</ID></AUDITHISTORY>"]


def test_a_resent_answer_starts_the_page_over() -> None:
    converter = RecordConverter(TYPES, UTC)
    reader = RawRowReader(
        "APBILL", converter.datatypes, UTC, ("RECORDNO", "WHENMODIFIED", None), parsing.parse_row
    )
    page = collector(converter, reader)
    parsing.parse_xml_streaming(answer(row(RECORDNO="1"), row(RECORDNO="2")), page)
    assert len(page.items) == 2
    parsing.parse_xml_streaming(answer(), page)
    assert page.items == []
    assert page.last is None


WEST, EAST = timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))
#: (field, text, the user's offset): values that cost minutes of CPU unless bounded (an exponent
#: expanded to a million digits) or raise a traceback unless caught (NaN and infinities in an
#: integer, digits beyond Python's int-string limit, a time shifted out of the years 1..9999).
HOSTILE_VALUES = [
    ("RECORDNO", "1E1000000", UTC),
    ("RECORDNO", "1e5", UTC),
    ("RECORDNO", "sNaN", UTC),
    ("RECORDNO", "NaN", UTC),
    ("RECORDNO", "Infinity", UTC),
    ("RECORDNO", "-Infinity", UTC),
    ("RECORDNO", "inf", UTC),
    ("RECORDNO", "1" * 5000, UTC),
    ("RECORDNO", "+" + "1" * 5000, UTC),
    ("RECORDNO", "1" * 101, UTC),
    ("RECORDNO", "1" * 4000 + ".0", UTC),
    ("TOTALDUE", "1E1000000", UTC),
    ("TOTALDUE", "1E-1000000", UTC),
    ("TOTALDUE", "sNaN", UTC),
    ("TOTALDUE", "-Infinity", UTC),
    ("TOTALDUE", "9" * 5000, UTC),
    ("TOTALDUE", "0." + "0" * 5000 + "1", UTC),
    ("WHENMODIFIED", "12/31/9999 23:59:59", WEST),
    ("WHENMODIFIED", "12/31/9999 20:00:00", WEST),
    ("WHENMODIFIED", "01/01/0001 00:00:00", EAST),
    ("WHENMODIFIED", "01/01/0001 05:29:59", EAST),
    ("WHENMODIFIED", "01/01/0001", EAST),
    ("WHENMODIFIED", "12/31/9999 23:59:59 ", WEST),
]


@pytest.mark.timeout(20)
@pytest.mark.parametrize(("field", "text", "tz"), HOSTILE_VALUES, ids=lambda v: str(v)[:24])
def test_a_hostile_number_or_time_gives_the_one_line_record_error(
    field: str, text: str, tz: timezone
) -> None:
    values = {"RECORDNO": "2", field: text}
    out = same(answer(row(RECORDNO="1"), row(**values), row(RECORDNO="3")), tz)
    message = out["error"]
    assert message.startswith(f"record RECORDNO={shown_key(values['RECORDNO'])}: ")
    assert "\n" not in message
    assert len(message) < 250  # one short line, whatever the value's size


@pytest.mark.parametrize(
    ("field", "text", "tz"),
    [
        ("RECORDNO", "9" * 100, UTC),
        ("RECORDNO", "12.000", UTC),
        ("TOTALDUE", "1E+99", UTC),
        ("TOTALDUE", "-" + "9" * 49 + "." + "9" * 49, UTC),
        ("WHENMODIFIED", "12/31/9999 23:59:59", EAST),
        ("WHENMODIFIED", "01/01/0001 00:00:00", WEST),
    ],
)
def test_long_but_valid_numbers_and_times_still_convert(
    field: str, text: str, tz: timezone
) -> None:
    out = same(answer(row(RECORDNO="1"), row(**{field: text})), tz)
    assert "error" not in out
    assert len(out["items"]) == 2


@pytest.mark.parametrize(
    "garbled",
    [
        row(NAME="&nbsp;"),
        row().replace(b"Acme", b"Ac\xffme"),
        row().replace(b"</NAME>", b"</NAMES>"),
        row().replace(b"<MEMO></MEMO>", b"<MEMO>a ]]> b</MEMO>"),
        row()[:-20],
    ],
)
def test_a_garbled_row_after_a_bad_value_is_retried_as_lxml_retries_it(garbled: bytes) -> None:
    body = answer(row(RECORDNO="1"), row(RECORDNO="2", WHENDUE="02/30/2025"), row(), garbled)
    out = same(body)
    assert out["refused"][0] is errors.RetryableError


#: (a text's length in `x`, then what follows it; a name's length; whether lxml refuses): libxml2
#: refuses a text of over 10,000,000 bytes once decoded, and a name of over 50,000 characters.
SIZES = {
    "text-at-limit": (10_000_000, "", 4, False),
    "text-over": (10_000_001, "", 4, True),
    "entity-at-limit": (9_999_999, "&amp;", 4, False),
    "utf8-over": (9_999_999, "\u00e9", 4, True),
    "name-at-limit": (1, "", 50_000, False),
    "name-over": (1, "", 50_001, True),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("size", SIZES)
def test_the_parsers_size_limits_hold_on_both_paths(size: str) -> None:
    text_length, text_end, name_length, refused = SIZES[size]
    extra = b"<%s>x</%s>" % (b"N" * name_length, b"N" * name_length)
    big = row(MEMO="x" * text_length + text_end).replace(b"<MEMO>", extra + b"<MEMO>")
    out = same(answer(row(RECORDNO="1"), big, row(RECORDNO="3")))
    assert ("refused" in out) is refused
    if refused:
        assert out["refused"][0] is errors.RetryableError


def test_a_field_list_without_numbers_or_booleans_reads() -> None:
    text_only = {"VENDORID": "TEXT", "NAME": "TEXT", "WHENDUE": "DATE"}
    body = answer(row(RECORDNO="1"), row(RECORDNO="2"))
    out = same(body, types=text_only)
    assert out["rows_by_lxml"] == 0
    assert out["items"][0] == b'{"VENDORID":"V-1","NAME":"Acme Ltd","WHENDUE":"2025-01-31"}'


def test_a_utf8_byte_order_mark_is_read_as_lxml_reads_it() -> None:
    out = same(b"\xef\xbb\xbf" + answer(row(RECORDNO="1", NAME="caf\u00e9"), row(RECORDNO="2")))
    assert "refused" not in out
    assert json.loads(out["items"][0])["NAME"] == "caf\u00e9"


@pytest.mark.parametrize(
    "body",
    [
        answer(row()).decode().encode("utf-16"),
        answer(row()).decode().replace('"UTF-8"', '"UTF-16"').encode("utf-16"),
        answer(row()).decode().encode("utf-16-be"),
        b"\xef\xbb\xbf"
        + answer(row(NAME="caf\u00e9")).replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'),
        b"\xef\xbb\xbf\xef\xbb\xbf" + answer(row()),
    ],
    ids=["utf16", "utf16-declared", "utf16be-no-bom", "utf8-bom-latin1-declared", "two-boms"],
)
def test_other_byte_order_marks_get_the_same_outcome_on_both_paths(body: bytes) -> None:
    same(body)


@pytest.mark.parametrize("count", ["1" * 5000, "12abc", "1E1000000", "NaN"])
def test_a_hostile_count_in_data_is_a_one_line_error(count: str) -> None:
    body = answer(row()).replace(b'numremaining="0"', f'numremaining="{count}"'.encode())
    # The prefetch guess reads the count from the bytes first: no guess, no traceback.
    assert raw_next_keyset(body, "APBILL", "WHENMODIFIED") is None
    result = parsing.read_response(parsing.parse_xml(body), "query").results[0]
    with pytest.raises(errors.FatalError, match="is not a count") as refused:
        result.attr_int("numremaining")
    assert len(refused.value.message) < 200


def test_a_hostile_recordno_makes_no_prefetch_guess() -> None:
    body = answer(row(RECORDNO="1" * 5000), remaining=3)
    assert raw_next_keyset(body, "APBILL", "WHENMODIFIED") is None
    assert raw_next_keyset(answer(row(RECORDNO="7"), remaining=3), "APBILL", None) == (None, 7)


@pytest.mark.parametrize(
    "body",
    [
        answer(row()).replace(b"Acme", b"Ac\x00me"),
        answer(row()).replace(b"</NAME>", b"</%s>" % (b"N" * 40_000)),
    ],
    ids=["nul", "long-name-in-message"],
)
def test_a_malformed_answer_is_refused_in_one_short_line(body: bytes) -> None:
    out = same(body)
    kind, message = out["refused"]
    assert kind is errors.RetryableError
    assert "\n" not in message
    assert len(message) < 300

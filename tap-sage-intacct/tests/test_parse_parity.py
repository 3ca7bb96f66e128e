"""Differential property test of the two parses of a `query` answer: the byte path (`gateway.rawrows`) and
the hardened lxml streaming parse must give, for ANY answer, the same records (JSON text, keys,
bookmark) and the same outcome (the same exception class and message: retryable, fatal, or the
one-line record error), and never any other exception.

Answers are built in the gateway's layout (control, authentication, one `query` result whose
`<data listtype totalcount offset count numremaining>` holds the rows, sometimes a second result),
compact or indented, then made hostile: field texts with entities, character references, CDATA,
comments, processing instructions, raw markup, control characters, invalid UTF-8, hostile numbers
and dates; rows with attributes, namespaces, odd whitespace, missing, repeated, extra or very long
fields; answers with byte-order marks, other encodings, and cuts or changed bytes anywhere.
The example-based parity tests are in test_raw_rows.py; this reuses their harness.
"""

from __future__ import annotations

from datetime import UTC, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tap_sage_intacct.gateway import errors

from .test_raw_rows import FIELDS, TYPES, same

#: Deterministic (no example database, derandomized), and small enough for `make test`.
SETTINGS = settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ZONES = [
    UTC,
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=14)),
    timezone(timedelta(hours=-12)),
]


def mostly(usual: object, *others: object, weight: int = 8) -> st.SearchStrategy[Any]:
    """`usual` `weight` times as often as each of the others."""
    return st.sampled_from([usual] * weight + list(others))


def _escaped(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()


PLAIN_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12
).map(_escaped)
GOOD_VALUES: dict[str, st.SearchStrategy[bytes]] = {
    "INTEGER": st.integers(-(10**20), 10**20).map(lambda n: str(n).encode()),
    "DECIMAL": st.decimals(-(10**15), 10**15, places=4).map(lambda d: f"{d:f}".encode()),
    "BOOLEAN": st.sampled_from([b"true", b"false"]),
    "DATE": st.dates().map(lambda d: b"%02d/%02d/%04d" % (d.month, d.day, d.year)),
    "TIMESTAMP": st.datetimes().map(
        lambda t: (
            b"%02d/%02d/%04d %02d:%02d:%02d" % (t.month, t.day, t.year, t.hour, t.minute, t.second)
        )
    ),
    "TEXT": PLAIN_TEXT,
}
HOSTILE_NUMBERS = [
    b"1E1000000",
    b"-1e-1000000",
    b"1e5",
    b"1.5E+3",
    b"sNaN",
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"inf",
    b"1" * 5000,
    b"+" + b"1" * 5000,
    b"9" * 101,
    b"9" * 100,
    b"0." + b"0" * 120 + b"1",
    b"12.0",
    b"12.5",
    b" 5 ",
    b"+5",
    b"1_000",
    b"-0",
    b"007",
    b"0x1F",
    "\u0661\u0662".encode(),
    b"true",
    b"T",
]
HOSTILE_TIMES = [
    b"12/31/9999 23:59:59",
    b"12/31/9999 00:00:00",
    b"01/01/0001 00:00:00",
    b"01/01/0001 23:59:59",
    b"01/01/0001",
    b"12/31/9999",
    b"02/30/2025",
    b"02/29/2024 12:00:00",
    b"13/02/2025 10:00:00",
    b"01/02/2025 10:00:60",
    b"01/02/2025 24:00:00",
    b"1/2/2025 1:00:00",
    b"01/02/2025T10:00:00",
    b"00/00/0000 00:00:00",
    b"01/31/2025 00:00:00",
]
#: Well-formed pieces of a field's text besides its values: escapes, markup lxml reads as text
#: (or as an element), characters the byte path escapes or leaves to lxml.
MARKUP = [
    b"&amp;",
    b"&lt;b&gt;",
    b"&quot;&apos;",
    b"&#233;",
    b"&#x1F600;",
    b"<![CDATA[<x> & y]]>",
    b"<![CDATA[</APBILL>]]>",
    b"<!-- note -->",
    b"<?pi data?>",
    b"<B>bold</B>",
    b">",
    b'"',
    b"'",
    b"\\",
    b"%s%%",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b" ",
    "caf\u00e9 \u2014 \U0001f600".encode(),
    "\u0085\u2028".encode(),
]
#: Pieces no XML parser may accept: undefined or invalid references, raw markup characters,
#: characters XML forbids, bytes that are not UTF-8, tags that close what they should not.
BROKEN = [
    b"&#0;",
    b"&#xD800;",
    b"&nbsp;",
    b"&",
    b"<",
    b"]]>",
    b"\x01",
    b"\x00",
    b"\xef\xbf\xbe",
    b"\xef\xbf\xbf",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xf4\x90\x80\x80",
    b"</APBILL><APBILL>",
    b"</data>",
]


@st.composite
def odd_text(draw: st.DrawFn, datatype: str) -> bytes:
    """A field's text that is not a plain good value: a hostile value, nothing, or markup."""
    good = GOOD_VALUES.get(datatype, PLAIN_TEXT)
    kind = draw(mostly("hostile", "empty", "markup", "markup", "broken", weight=2))
    if kind == "hostile":
        hostile = HOSTILE_TIMES if datatype in ("DATE", "TIMESTAMP") else HOSTILE_NUMBERS
        return draw(st.sampled_from(hostile))
    if kind == "empty":
        return b""
    pieces = MARKUP if kind == "markup" else BROKEN
    parts = draw(st.lists(st.one_of(good, st.sampled_from(pieces)), min_size=1, max_size=4))
    return b"".join(parts)


LONG_NAMES = [b"N" * 50_000, b"N" * 50_001, b"N" * 1_001]
#: Ways a field element may be written other than `<F>text</F>`.
FIELD_FORMS = [
    b"<%(n)s/>",
    b'<%(n)s kind="x">%(t)s</%(n)s>',
    b"<x:%(n)s>%(t)s</x:%(n)s>",
    b'<%(n)s xmlns="urn:x">%(t)s</%(n)s>',
    b"<%(n)s >%(t)s</%(n)s>",
    b"<%(n)s>%(t)s</%(n)s >",
    b"\n  <%(n)s>%(t)s</%(n)s>",
    b"<%(n)s>%(t)s</%(n)sX>",
]
FIELD_TYPES = [TYPES.get(name, "TEXT") for name in FIELDS]


@st.composite
def query_row(draw: st.DrawFn) -> bytes:
    """One row: usually every field in order, in the gateway's compact form; sometimes not."""
    texts = [draw(GOOD_VALUES[datatype]) for datatype in FIELD_TYPES]
    odd_fields = draw(mostly(0, 1, 2, weight=8))
    for index in draw(
        st.lists(st.integers(0, len(FIELDS) - 1), min_size=odd_fields, max_size=odd_fields)
    ):
        texts[index] = draw(odd_text(FIELD_TYPES[index]))
    fields = [(name.encode(), text) for name, text in zip(FIELDS, texts, strict=True)]
    change = draw(mostly("none", "shuffle", "drop", "repeat", "extra", "long", "form", weight=20))
    at = draw(st.integers(0, len(fields) - 1))
    if change == "shuffle":
        fields = draw(st.permutations(fields))
    elif change == "drop":
        del fields[at]
    elif change == "repeat":
        fields.append(fields[at])
    elif change == "extra":
        fields.insert(at, (b"NEWFIELD", b"n"))
    elif change == "long":
        fields.insert(at, (draw(st.sampled_from(LONG_NAMES)), b"x"))
    written = [b"<%s>%s</%s>" % (name, text, name) for name, text in fields]
    if change == "form":
        name, text = fields[at]
        written[at] = draw(st.sampled_from(FIELD_FORMS)) % {b"n": name, b"t": text}
    tag = draw(mostly(b"APBILL", b"apbill", b"VENDOR", weight=100))
    opening = draw(mostly(b"<%s>" % tag, b'<%s class="x">' % tag, weight=20))
    return opening + b"".join(written) + b"</%s>" % tag


BETWEEN_ROWS = mostly(
    b"", b"\n", b"\n    ", b"<!-- c -->", b"<?pi?>", b"junk", b"<NOTAROW/>", weight=60
)
SECOND_RESULTS = [
    b"<result><status>success</status><function>query</function><controlid>d</controlid>"
    b'<data listtype="AUDITHISTORY" count="1" numremaining="0">'
    b"<AUDITHISTORY><ID>5</ID></AUDITHISTORY></data></result>",
    b"<result><status>failure</status><function>query</function><controlid>d</controlid>"
    b"<errormessage><error><errorno>BL01001973</errorno><description>x</description>"
    b"</error></errormessage></result>",
]
DECLARATIONS = mostly(
    b'<?xml version="1.0" encoding="UTF-8"?>',
    b"",
    b"<?xml version='1.0'?>\n",
    b'<?xml version="1.0" encoding="ISO-8859-1"?>',
    b'<!-- pad --><!DOCTYPE response [<!ENTITY a "x">]>',
    weight=24,
)
ROOTS = mostly(b"<response>", b'<response xmlns:x="urn:x">', b'<response xmlns="urn:x">', weight=12)


@st.composite
def gateway_answer(draw: st.DrawFn) -> bytes:
    """A `query` answer in the gateway's layout, then perhaps re-encoded, cut or changed."""
    rows = draw(st.lists(query_row(), max_size=5))
    remaining = draw(mostly(b"0", b"3", b"", b"-1", b"1" * 30, b"x", weight=4))
    data = b'<data listtype="APBILL" totalcount="%d" offset="0" count="%d" numremaining="%s">' % (
        len(rows),
        len(rows),
        remaining,
    )
    for content in rows:
        data += draw(BETWEEN_ROWS) + content
    parts = [
        b"<control><status>success</status><senderid>s</senderid><controlid>c</controlid>"
        b"<uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control>",
        b"<operation><authentication><status>success</status><userid>u</userid>"
        b"<companyid>C</companyid><locationid></locationid>"
        b"<sessiontimestamp>2025-01-02T10:00:00+00:00</sessiontimestamp>"
        b"<sessiontimeout>2025-01-03T10:00:00+00:00</sessiontimeout></authentication>",
        b"<result><status>%s</status><function>query</function><controlid>c</controlid>"
        % draw(mostly(b"success", b"failure", weight=15)),
        data + draw(BETWEEN_ROWS) + b"</data>",
        b"</result>" + draw(mostly(b"", *SECOND_RESULTS, weight=4)) + b"</operation>",
    ]
    indent = draw(st.sampled_from([b"", b"\n", b"\n    "]))
    body = draw(ROOTS) + indent + indent.join(parts) + indent + b"</response>"
    body = draw(DECLARATIONS) + body
    encoding = draw(mostly("as is", "utf-8 bom", "utf-16", "utf-16-be", weight=12))
    if encoding == "utf-8 bom":
        body = b"\xef\xbb\xbf" + body
    elif encoding != "as is":
        body = body.decode("utf-8", "replace").encode(encoding)
    change = draw(mostly("none", "cut", "byte", "insert", weight=24))
    at = draw(st.integers(0, len(body) - 1))
    if change == "cut":
        body = body[:at]
    elif change == "byte":
        body = body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1 :]
    elif change == "insert":
        body = body[:at] + draw(st.sampled_from(MARKUP + BROKEN)) + body[at:]
    return body


#: The selected fields: all of the row's, or a stream without numbers or booleans.
SELECTIONS = [TYPES, {"VENDORID": "TEXT", "NAME": "TEXT", "WHENDUE": "DATE", "MEMO": "TEXT"}]


@pytest.mark.timeout(180)
@SETTINGS
@given(
    body=gateway_answer(),
    tz=st.sampled_from(ZONES),
    natural=st.sampled_from([None, "VENDORID"]),
    types=st.sampled_from(SELECTIONS),
)
def test_both_parses_give_the_same_records_and_outcome(
    body: bytes, tz: timezone, natural: str | None, types: dict[str, str]
) -> None:
    out = same(body, tz, natural, types)
    # Only the tap's own errors are outcomes (`same` lets any other exception through), each
    # either retried or fatal, each one line.
    if "refused" in out:
        assert issubclass(out["refused"][0], (errors.RetryableError, errors.FatalError))
        assert "\n" not in out["refused"][1]
    if "error" in out:
        assert "\n" not in out["error"]

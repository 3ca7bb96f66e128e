"""Hardened parsing of gateway answers: whole, streamed row by row, or rows straight from the bytes.

`parse_xml` parses a whole answer; `parse_xml_streaming` hands the first result's rows to a
`RowSink` as they end (or, for a `RawRowSink`, as bytes to `rawrows`) and drops them, so a page is
never one tree. Both apply the same checks: size cap, no DOCTYPE, no entities, `<response>` root.
`read_response` then checks control and authentication and collects the function results.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from lxml import etree

from tap_sage_intacct.gateway.errors import (
    ErrorDetail,
    FatalError,
    RetryableError,
    classify_errors,
)

#: Bytes read from one answer, after decompression. The largest real answer is a 2000-row `query`
#: page of the widest object, APBILL with 119 fields: 9.0 MiB measured on the Intacct sandbox
#: (`--wide`). A stream's first request may carry two such pages and one of AUDITHISTORY (~20 MiB).
#: 64 MiB is 7x one page, 3x that request: more is not an Intacct answer, and it is never held.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


#: No DTD, no entity resolution, no network, no huge trees: a hostile or broken gateway answer
#: cannot expand entities, read local files or exhaust memory. Comments are dropped so that
#: iterating a record's children yields fields only. Shared by the whole-page and the row parser.
_HARDENED: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "collect_ids": False,
}


def _new_parser() -> etree.XMLParser:
    return etree.XMLParser(**_HARDENED)


def _row_events(body: bytes, row_tag: str) -> etree.iterparse[tuple[str, etree._Element]]:
    # Only row ends reach Python (lxml filters the tag in C and reads the body in small pieces, so
    # the page is never one tree).
    return etree.iterparse(io.BytesIO(body), events=("end",), tag=row_tag, **_HARDENED)


_PARSERS = threading.local()
#: XML allows a UTF-8 byte-order mark before the document (https://www.w3.org/TR/xml/#charencoding).
_UTF8_BOM = b"\xef\xbb\xbf"
_HOSTILE = "gateway answered with a DOCTYPE/ENTITY declaration; refused"


def _precheck(body: bytes) -> None:
    """The checks made on the raw bytes before any parser sees them."""
    if len(body) > MAX_RESPONSE_BYTES:
        raise FatalError(f"response of {len(body)} bytes exceeds the {MAX_RESPONSE_BYTES} limit")
    head = body[:2048].removeprefix(_UTF8_BOM).lstrip()
    if head[:1] != b"<" or head[:14].lower().startswith((b"<!doctype html", b"<html")):
        raise RetryableError("gateway answered with a non-XML (HTML or empty) body", reason="html")
    if _DOCTYPE.search(body, 0, 4096):
        # Intacct never sends a DTD; one here is either an error page or an attack.
        raise RetryableError(_HOSTILE, reason="hostile")


def _postcheck(root: etree._Element) -> etree._Element:
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.system_url or docinfo.public_id:
        # A DTD hidden behind padding: its entities were neither expanded nor fetched, but a row
        # holding an unexpanded entity would read as empty. Refuse the whole answer.
        raise RetryableError(_HOSTILE, reason="hostile")
    if root.tag != "response":
        raise RetryableError(f"gateway answered with <{root.tag}>, not <response>")
    return root


def _malformed(exc: etree.XMLSyntaxError) -> RetryableError:
    # libxml2's message may span lines and quote a name from the answer (up to 50,000 characters):
    # one short line of it.
    detail = " ".join(str(exc).split())
    detail = detail if len(detail) <= 200 else detail[:200] + "..."
    return RetryableError(
        f"gateway answered with malformed or truncated XML ({detail})", reason="malformed_xml"
    )


def parse_xml(body: bytes) -> etree._Element:
    """Parse one gateway answer. Raises RetryableError for HTML pages and truncated/garbled XML."""
    _precheck(body)
    try:
        # lxml releases the GIL while parsing from memory. huge_tree=False keeps libxml2's limits
        # on text size and nesting depth.
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise _malformed(exc) from exc
    return _postcheck(root)


class RowSink(Protocol):
    """Takes the rows of the FIRST result's `<data>` one at a time while the answer is parsed."""

    #: The element name of a row (the object name, e.g. APBILL); lxml filters on it in C.
    row_tag: str

    def begin(self, body: bytes) -> None:
        """A new answer (or a resent one) starts: forget rows of any earlier attempt."""

    def row(self, element: etree._Element) -> None:
        """One complete row. It leaves the tree when the next row ends (or the answer does)."""


class RawRowSink(RowSink, Protocol):
    """A sink that may also take the rows straight from the bytes (`rawrows`)."""

    #: False: this sink wants lxml elements only (the streaming parse).
    takes_raw_rows: bool

    def raw_rows(self, body: bytes, start: int, end: int) -> bool:
        """Take the rows in body[start:end], the first result's `<data>` content; False declines."""


_DATA_OPEN = re.compile(rb"<data(?:\s[^<>]*)?>")
_DECLARED_ENCODING = re.compile(
    rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']"""
)
#: Stands in for the rows when the rest of the answer is parsed; not a name Intacct uses.
_ROWS_MARK = "tap-sage-intacct-rows"


def parse_row(row: bytes) -> etree._Element | None:
    """One `<OBJECT>...</OBJECT>` row parsed on its own by the hardened parser; None if refused."""
    try:
        return etree.fromstring(row, _parser())
    except etree.XMLSyntaxError:
        return None


def _parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = _new_parser()
    return parser


def _parse_raw_rows(body: bytes, sink: RawRowSink) -> etree._Element | None:
    """The first result's rows from the bytes, the rest of the answer through lxml; None declines.

    Only when the text before `<data>` holds no comment, CDATA or DOCTYPE (so that `<data` and
    `</data>` are markup) and the answer is UTF-8. The rows are cut out and a mark put in their place;
    the answer parsed without them must have that mark as the only child of its first result's
    `<data>`, which proves the cut rows were exactly that `<data>`'s content.
    """
    opening = _DATA_OPEN.search(body)
    if opening is None or body[opening.end() - 2 : opening.end()] == b"/>":
        return None
    head = body[: opening.start()]
    declared = _DECLARED_ENCODING.match(head)
    if b"<!" in head or (declared and declared.group(1).lower() not in (b"utf-8", b"utf8")):
        return None
    start = opening.end()
    end = body.find(b"</data>", start)
    if end == -1 or not sink.raw_rows(body, start, end):
        return None
    try:
        root = etree.fromstring(body[:start] + f"<{_ROWS_MARK}/>".encode() + body[end:], _parser())
    except etree.XMLSyntaxError:
        return None  # the streaming parse reports it
    _postcheck(root)
    data = _first_result_data(root)
    marks = list(root.iter(_ROWS_MARK))
    if data is None or len(marks) != 1 or len(data) != 1 or data[0] is not marks[0]:
        return None
    del data[:]
    return root


def parse_xml_streaming(body: bytes, sink: RowSink) -> etree._Element:
    """As `parse_xml`, but the first result's rows go to `sink` as they end and are then dropped.

    A sink that `takes_raw_rows` is first offered the rows as bytes (`_parse_raw_rows`); when it or
    the answer's shape declines, the answer is parsed here from the start.

    A wide 2,000-row page costs ~50 MB as an lxml tree and well under 1 MB streamed. The returned
    tree is the whole answer minus those rows (control, authentication, every result's status and
    errors, `<data>` with its attributes, and the other results' rows), so `read_response`
    classifies it exactly as it classifies a fully parsed answer. Same hardening as `parse_xml`:
    same parser options, same DOCTYPE checks before and after, same truncation error.
    """
    _precheck(body)
    sink.begin(body)
    if getattr(sink, "takes_raw_rows", False):
        raw_root = _parse_raw_rows(body, sink)  # type: ignore[arg-type]
        if raw_root is not None:
            return raw_root
        sink.begin(body)  # forget what the byte path took before it declined
    row_tag = sink.row_tag
    events = _row_events(body, row_tag)
    accepted: etree._Element | None = None
    others: list[etree._Element] = []  # keeps their proxies alive, so `is` compares identity
    try:
        for _event, element in events:
            parent = element.getparent()
            if parent is None or parent is not accepted:
                if parent is None or any(parent is o for o in others):
                    continue
                if not _is_first_result_data(parent):
                    others.append(parent)
                    continue
                accepted = parent
            sink.row(element)
            # Drop the rows already handed over (this one goes when the next one ends, so the
            # sink may still read it). Only rows can precede this one: anything else in <data>
            # would be lost silently, so it fails the answer.
            previous = element.getprevious()
            while previous is not None:
                if previous.tag != row_tag:
                    raise _not_rows(previous.tag, row_tag)
                parent.remove(previous)
                previous = element.getprevious()
        root: etree._Element = events.root
    except etree.XMLSyntaxError as exc:
        raise _malformed(exc) from exc
    _postcheck(root)
    _finish_rows(root, accepted, sink)
    return root


def _finish_rows(root: etree._Element, accepted: etree._Element | None, sink: RowSink) -> None:
    if accepted is not None:
        # Only the last row is left; anything else is not a row of this object.
        leftovers = [child for child in accepted if child.tag != sink.row_tag]
        if leftovers:
            raise _not_rows(leftovers[0].tag, sink.row_tag)
        del accepted[:]
        return
    # No row carried the expected tag (an object whose rows are named otherwise): take the first
    # result's rows from the tree, in order. Correct, just not streamed.
    data = _first_result_data(root)
    if data is not None:
        for child in list(data):
            sink.row(child)
            data.remove(child)


def _not_rows(tag: object, row_tag: str) -> FatalError:
    return FatalError(f"query answer mixes <{tag}> with <{row_tag}> rows in <data>; refused")


def _is_first_result_data(parent: etree._Element) -> bool:
    result = parent.getparent()
    if parent.tag != "data" or result is None or result.tag != "result":
        return False
    operation = result.getparent()
    if operation is None or operation.tag != "operation":
        return False
    root = operation.getparent()
    if root is None or root.getparent() is not None:
        return False
    return operation.find("result") is result


def _first_result_data(root: etree._Element) -> etree._Element | None:
    operation = root.find("operation")
    result = operation.find("result") if operation is not None else None
    return result.find("data") if result is not None else None


def _errors(parent: etree._Element | None) -> list[ErrorDetail]:
    if parent is None:
        return []
    block = parent.find("errormessage")
    if block is None:
        return []
    return [
        ErrorDetail(
            errorno=(err.findtext("errorno") or "").strip(),
            description=err.findtext("description") or "",
            description2=err.findtext("description2") or "",
            correction=err.findtext("correction") or "",
        )
        for err in block.iterfind("error")
    ]


#: Characters of a count: a sign and 19 digits hold any 64-bit one.
_MAX_COUNT_LENGTH = 20


@dataclass
class FunctionResult:
    """One `<result>`: its status, errors and `<data>` element (None on failure)."""

    function: str
    controlid: str
    status: str
    data: etree._Element | None
    errors: list[ErrorDetail] = field(default_factory=list)

    def attr_int(self, name: str, default: int = 0) -> int:
        """A count attribute of `<data>` (count, totalcount, numremaining); FatalError if not one."""
        if self.data is None:
            return default
        value = self.data.get(name)
        if value in (None, ""):
            return default
        if len(value) <= _MAX_COUNT_LENGTH:  # int() of thousands of digits is slow, or refused
            try:
                return int(value)
            except ValueError:
                pass
        raise FatalError(f'{self.function}: <data {name}="{value[:40]}"> is not a count')

    @property
    def ok(self) -> bool:
        """Whether Intacct reported the function as `success`."""
        return self.status == "success"


@dataclass
class GatewayResponse:
    """A parsed `<response>`: function results in order, session timeout and stamp, entity."""

    results: list[FunctionResult]
    session_timeout: datetime | None
    session_timestamp: datetime | None
    locationid: str


def _parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def read_response(root: etree._Element, where: str) -> GatewayResponse:
    """Check control, then authentication, then collect each function result.

    The three levels of an answer: https://developer.intacct.com/web-services/responses/
    """
    control = root.find("control")
    if control is None or (control.findtext("status") or "").strip() != "success":
        raise classify_errors("control", _errors(root), where)
    operation = root.find("operation")
    if operation is None:
        raise RetryableError(f"{where}: response has no <operation>")
    auth = operation.find("authentication")
    if auth is None or (auth.findtext("status") or "").strip() != "success":
        raise classify_errors("authentication", _errors(operation), where)
    results = [
        FunctionResult(
            function=(res.findtext("function") or "").strip(),
            controlid=(res.findtext("controlid") or "").strip(),
            status=(res.findtext("status") or "").strip(),
            data=res.find("data"),
            errors=_errors(res),
        )
        for res in operation.iterfind("result")
    ]
    return GatewayResponse(
        results=results,
        session_timeout=_parse_iso(auth.findtext("sessiontimeout")),
        session_timestamp=_parse_iso(auth.findtext("sessiontimestamp")),
        locationid=(auth.findtext("locationid") or "").strip(),
    )


def raise_for_result(result: FunctionResult, where: str) -> None:
    """Raise the classified IntacctError of a failed result, naming `where`; no-op on success."""
    if not result.ok:
        raise classify_errors("result", result.errors, where)

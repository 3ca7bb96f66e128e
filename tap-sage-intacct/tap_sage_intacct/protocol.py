"""The Sage Intacct XML gateway: request envelopes, hardened parsing, error classes, sessions.

This module knows XML and HTTP, nothing of Singer. Everything the tap sends goes through
`IntacctConnection.call`, which owns the session (one `getAPISession` per entity per run, renewed on
"Invalid session"), follows the endpoint the session names, honours the per-company concurrency limit
and retries every transient failure the reference lists with exponential backoff and full jitter.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, TypeVar
from urllib.parse import unquote
from xml.sax.saxutils import escape

import requests
from lxml import etree
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

LOGGER = logging.getLogger("tap_sage_intacct.protocol")

DEFAULT_API_URL = "https://api.intacct.com/ia/xml/xmlgw.phtml"
#: intacct-xml-api.md §3: `query` pages hold 1..2000 rows.
MAX_QUERY_PAGE_SIZE = 2000
#: Bytes read from one answer, after decompression. The largest real answer is a 2000-row `query`
#: page of the widest object, APBILL with 119 fields: 9.0 MiB measured on the Intacct sandbox
#: (`--wide`). A stream's first request may carry two such pages and one of AUDITHISTORY (~20 MiB).
#: 64 MiB is 7x one page, 3x that request: more is not an Intacct answer, and it is never held.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: Refresh a session this long before it times out (at most a tenth of its lifetime).
SESSION_REFRESH_MARGIN = timedelta(minutes=2)

_XML_HEADERS = {
    "Content-Type": "application/xml",
    "Accept-Encoding": "gzip,deflate",
    "Accept": "application/xml, text/xml",
}


# --------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class ErrorDetail:
    """One `<error>` of an `<errormessage>` block; any part may be empty (intacct-xml-api.md §2)."""

    errorno: str = ""
    description: str = ""
    description2: str = ""
    correction: str = ""

    def text(self) -> str:
        # description2 often ends with a URL-encoded " [Support ID: ...]"; decode it like [HG]/[FY] do.
        parts = [self.description, unquote(self.description2), self.correction]
        message = " ".join(p.strip() for p in parts if p and p.strip())
        return f"{self.errorno}: {message}" if self.errorno else message


class IntacctError(Exception):
    """Base class. `message` is one line that is safe to log (bodies never hold our passwords)."""

    def __init__(self, message: str, errors: Sequence[ErrorDetail] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = tuple(errors)


class RetryableError(IntacctError):
    """Transient: rate limit, 5xx, 524, HTML or truncated body, "Please Try Again Later"."""

    def __init__(
        self,
        message: str,
        errors: Sequence[ErrorDetail] = (),
        retry_after: float | None = None,
        reason: str = "",
    ) -> None:
        super().__init__(message, errors)
        self.retry_after = retry_after
        #: A short label for the retry counters (http_429, http_5xx, html, truncated, ...).
        self.reason = reason


class SessionExpiredError(IntacctError):
    """The session is gone ("Invalid session"): log in again, then resend."""


class PermissionDeniedError(IntacctError):
    """The user may not read this object: skip it with a warning, never crash the run."""


class FatalError(IntacctError):
    """Bad credentials, invalid field, unknown object: retrying cannot help."""


class AuthenticationError(FatalError):
    """Sender or user credentials were refused."""


_RETRYABLE_MARKERS = (
    "please try again later",
    "api rate limit exceeded",
    "temporarily off-line",
    "temporarily offline",
    "there was an error processing the request",
)
_PERMISSION_MARKERS = (
    "permission",
    "not authorized to access",
    "access denied",
)
#: intacct-xml-api.md §2: PL04000005 is the permission denial on query.
_PERMISSION_ERRNOS = frozenset({"PL04000005"})
_CREDENTIAL_ERRNOS = frozenset({"XL03000006", "GW-0011", "XMLGW_JPP0002"})
_CREDENTIAL_MARKERS = ("password", "sign-in", "not authorized", "authoriz", "sender")
# DL02000001 is also the number of many permanent failures ("Invalid fields list"), so only its
# text "There was an error processing the request" marks it transient (reference §2 table).
_RETRYABLE_ERRNOS = frozenset({"GW-0010"})


def classify_errors(level: str, errors: Sequence[ErrorDetail], where: str) -> IntacctError:
    """Map an `<errormessage>` at control/authentication/result level to the exception to raise.

    `where` names the operation (e.g. "query APBILL") so the one-line error says what failed.
    """
    joined = "; ".join(e.text() for e in errors) or "no error details"
    lowered = joined.lower()
    message = f"{where}: Intacct said: {joined}"
    errnos = {e.errorno for e in errors}
    if errnos & _RETRYABLE_ERRNOS or any(m in lowered for m in _RETRYABLE_MARKERS):
        reason = "http_429" if "GW-0010" in errnos or "rate limit" in lowered else "try_again"
        return RetryableError(message, errors, reason=reason)
    if level == "authentication" and "invalid session" in lowered:
        return SessionExpiredError(message, errors)
    if level in ("control", "authentication"):
        credentials = errnos & _CREDENTIAL_ERRNOS or any(m in lowered for m in _CREDENTIAL_MARKERS)
        return (AuthenticationError if credentials else FatalError)(message, errors)
    if errnos & _PERMISSION_ERRNOS or any(m in lowered for m in _PERMISSION_MARKERS):
        return PermissionDeniedError(message, errors)
    return FatalError(message, errors)


# --------------------------------------------------------------------------------------------
# Hardened parsing

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
        return self.status == "success"


@dataclass
class GatewayResponse:
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
    """Check control, then authentication, then collect each function result (reference §2)."""
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
    if not result.ok:
        raise classify_errors("result", result.errors, where)


# --------------------------------------------------------------------------------------------
# Request building


def _x(value: object) -> str:
    return escape(str(value))


def envelope(
    *,
    sender_id: str,
    sender_password: str,
    authentication: str,
    functions: Sequence[str],
) -> bytes:
    """The `<request>` document (element order as the SDKs write it, intacct-xml-api.md §1)."""
    content = "".join(
        f'<function controlid="{uuid.uuid4().hex}">{fn}</function>' for fn in functions
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><request><control>'
        f"<senderid>{_x(sender_id)}</senderid><password>{_x(sender_password)}</password>"
        f"<controlid>{uuid.uuid4().hex}</controlid><uniqueid>false</uniqueid>"
        "<dtdversion>3.0</dtdversion><includewhitespace>false</includewhitespace></control>"
        f'<operation transaction="false"><authentication>{authentication}</authentication>'
        f"<content>{content}</content></operation></request>"
    ).encode()


def login_block(user_id: str, company_id: str, user_password: str, entity_id: str = "") -> str:
    # "<password/> must follow <companyid/> or login will fail" (reference §1, [PS]).
    location = f"<locationid>{_x(entity_id)}</locationid>" if entity_id else ""
    return (
        f"<login><userid>{_x(user_id)}</userid><companyid>{_x(company_id)}</companyid>"
        f"<password>{_x(user_password)}</password>{location}</login>"
    )


def session_block(session_id: str) -> str:
    return f"<sessionid>{_x(session_id)}</sessionid>"


def fn_get_api_session() -> str:
    return "<getAPISession/>"


def fn_lookup(object_name: str) -> str:
    return f"<lookup><object>{_x(object_name)}</object></lookup>"


def fn_read_entity_details() -> str:
    return "<readEntityDetails/>"


def fn_read_by_name(object_name: str, keys: str, fields: str = "*") -> str:
    return (
        f"<readByName><object>{_x(object_name)}</object><keys>{_x(keys)}</keys>"
        f"<fields>{_x(fields)}</fields><returnFormat>xml</returnFormat></readByName>"
    )


def fn_read_user_formatting(user_recordno: str) -> str:
    return f"<readUserFormatting><key>{_x(user_recordno)}</key></readUserFormatting>"


# Filters for the `query` function (reference §3). Each returns an XML fragment.


def f_cmp(op: str, field_name: str, value: object) -> str:
    return f"<{op}><field>{_x(field_name)}</field><value>{_x(value)}</value></{op}>"


def f_eq(field_name: str, value: object) -> str:
    return f_cmp("equalto", field_name, value)


def f_gt(field_name: str, value: object) -> str:
    return f_cmp("greaterthan", field_name, value)


def f_ge(field_name: str, value: object) -> str:
    return f_cmp("greaterthanorequalto", field_name, value)


def f_in(field_name: str, values: Iterable[object]) -> str:
    inner = "".join(f"<value>{_x(v)}</value>" for v in values)
    return f"<in><field>{_x(field_name)}</field>{inner}</in>"


def f_isnull(field_name: str) -> str:
    return f"<isnull><field>{_x(field_name)}</field></isnull>"


def f_isnotnull(field_name: str) -> str:
    return f"<isnotnull><field>{_x(field_name)}</field></isnotnull>"


def _combine(op: str, parts: Sequence[str | None]) -> str | None:
    kept = [p for p in parts if p]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return f"<{op}>{''.join(kept)}</{op}>"


def f_and(*parts: str | None) -> str | None:
    return _combine("and", parts)


def f_or(*parts: str | None) -> str | None:
    return _combine("or", parts)


def fn_query(
    object_name: str,
    fields: Sequence[str],
    *,
    filter_xml: str | None = None,
    order_by: Sequence[str] = (),
    page_size: int = MAX_QUERY_PAGE_SIZE,
    show_private: bool = False,
    offset: int | None = None,
) -> str:
    select = "".join(f"<field>{_x(f)}</field>" for f in fields)
    filt = f"<filter>{filter_xml}</filter>" if filter_xml else ""
    order = (
        "<orderby>"
        + "".join(f"<order><field>{_x(f)}</field><ascending/></order>" for f in order_by)
        + "</orderby>"
        if order_by
        else ""
    )
    options = "<options><showprivate>true</showprivate></options>" if show_private else ""
    off = f"<offset>{int(offset)}</offset>" if offset is not None else ""
    return (
        f"<query><object>{_x(object_name)}</object><select>{select}</select>{filt}{order}"
        f"{options}<pagesize>{int(page_size)}</pagesize>{off}</query>"
    )


# --------------------------------------------------------------------------------------------
# Connection: HTTP, retries, session


@dataclass(frozen=True)
class Credentials:
    sender_id: str
    sender_password: str
    user_id: str
    user_password: str
    company_id: str

    def __repr__(self) -> str:  # never print the passwords, even in a debugger or a traceback
        return f"Credentials(sender_id={self.sender_id!r}, user_id={self.user_id!r}, company_id={self.company_id!r})"


@dataclass
class RetryPolicy:
    max_tries: int = 8
    initial_wait: float = 1.0
    max_wait: float = 60.0
    #: A Retry-After beyond this is not obeyed in full (as target-leanix): a gateway cannot park
    #: the run for hours.
    max_retry_after_seconds: float = 120.0

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry `attempt` (0-based), never more than the two caps allow."""
        # Full jitter (random in [0, cap]) spreads retries of parallel clients; Retry-After is a
        # floor, itself capped. The exponent is bounded so a large max_tries cannot overflow.
        cap = max(0.0, min(self.max_wait, self.initial_wait * (2 ** min(attempt, 32))))
        delay = random.uniform(0, cap)  # noqa: S311 - jitter, not security
        return max(delay, min(retry_after or 0.0, self.max_retry_after_seconds))


@dataclass
class CallStats:
    """What a run cost: HTTP requests, function calls by name, logins and retries by reason."""

    requests: int = 0
    logins: int = 0
    functions: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_dict(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": self.requests,
                "logins": self.logins,
                "functions": dict(self.functions),
                "retries": dict(self.retries),
            }


_T = TypeVar("_T")


@dataclass(frozen=True)
class FetchedAnswer:
    """A downloaded, not yet parsed answer, and what is needed to resend its request."""

    functions: tuple[str, ...]
    where: str
    content: bytes = field(repr=False)
    sent_at: float
    session_id: str = field(repr=False)


class Origin(NamedTuple):
    """Where a request goes: scheme, host and effective port, as the HTTP client connects."""

    scheme: str
    host: str
    port: int


#: Characters on which URL parsers disagree about where the host ends (user-info, backslash).
_AMBIGUOUS_URL_CHARS = frozenset("\\@ ")
_MAX_URL_LENGTH = 2048
_INTACCT_DOMAIN = ".intacct.com"
_HOST_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")


def gateway_origin(url: str) -> Origin | None:
    """The origin requests/urllib3 will send `url` to; None for anything but a plain http(s) URL.

    The URL is prepared exactly as `requests` prepares it and the result parsed as urllib3 parses
    it when picking the connection, so the origin compared is the one that receives the body.
    User-info, backslashes, whitespace, control and non-ASCII characters are refused outright.
    """
    if len(url) > _MAX_URL_LENGTH or not url.isascii() or not url.isprintable():
        return None
    if _AMBIGUOUS_URL_CHARS.intersection(url):
        return None
    try:
        prepared = requests.PreparedRequest()
        prepared.prepare_url(url, None)
        parts = parse_url(prepared.url or "")
    except (requests.RequestException, LocationParseError, ValueError):
        return None
    if parts.scheme not in ("http", "https") or not parts.host or parts.auth:
        return None
    default_port = 443 if parts.scheme == "https" else 80
    return Origin(parts.scheme, parts.host, default_port if parts.port is None else parts.port)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: the only hosts plain http may reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_intacct_origin(origin: Origin) -> bool:
    name = origin.host
    return (
        origin.scheme == "https"
        and origin.port == 443
        and name.endswith(_INTACCT_DOMAIN)
        and _HOST_NAME_CHARS.issuperset(name)
        and all(name.split("."))
    )


def _allowed_endpoint(api_url: str, endpoint: str) -> bool:
    """Follow the session endpoint only to api_url's own origin or to https on a Sage Intacct host."""
    offered = gateway_origin(endpoint)
    if offered is None:
        return False
    return offered == gateway_origin(api_url) or _is_intacct_origin(offered)


def _host_of(url: str) -> str:
    """The host (and port) a URL names, quoted for an error message: never its path or query."""
    try:
        parts = parse_url(url)
    except (LocationParseError, ValueError):
        return "(unreadable)"
    host = parts.host or ""
    if not host or len(host) > 253 or not all(c.isascii() and c.isprintable() for c in host):
        return "(none)" if not host else "(unreadable)"
    return repr(host if parts.port is None else f"{host}:{parts.port}")


@contextmanager
def _body_deadline(response: requests.Response, deadline: float) -> Iterator[threading.Event]:
    """Cut the body off at `deadline`; the event tells whether that happened.

    urllib3 reads until a chunk is full, so a check between chunks would come too late. A timer
    shuts the socket down for reading instead, which ends a read blocked in another thread."""
    cut = threading.Event()

    def shut() -> None:
        cut.set()
        with suppress(ValueError, RuntimeError, OSError):  # already closed or released
            response.raw.shutdown()

    timer = threading.Timer(max(deadline - time.monotonic(), 0.0), shut)
    timer.daemon = True
    timer.start()
    try:
        yield cut
    finally:
        timer.cancel()


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After in delta-seconds (RFC 9110 §10.2.3); an HTTP-date or anything else is None."""
    value = (response.headers.get("Retry-After") or "").strip()
    # float() of a long digit string is inf, never an error: RetryPolicy caps it.
    return float(value) if value.isascii() and value.isdigit() else None


class IntacctConnection:
    """One API session (one entity, or the top level) shared by every stream of a run."""

    def __init__(
        self,
        credentials: Credentials,
        api_url: str,
        *,
        entity_id: str = "",
        http: requests.Session,
        concurrency: threading.BoundedSemaphore,
        retry: RetryPolicy,
        stats: CallStats,
        timeout: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credentials = credentials
        self.api_url = api_url
        self.entity_id = entity_id
        self.http = http
        self.concurrency = concurrency
        self.retry = retry
        self.stats = stats
        self.timeout = timeout
        self.sleep = sleep
        self.session_id = ""
        self.endpoint = api_url
        self.session_deadline: float | None = None
        self.session_timestamp: datetime | None = None
        self._lock = threading.Lock()

    @property
    def label(self) -> str:
        return f"entity {self.entity_id}" if self.entity_id else "top level"

    # -- transport ------------------------------------------------------------------------------

    def _post(self, url: str, body: bytes, where: str) -> bytes:
        """One HTTP POST. Raises RetryableError for every transient transport failure."""
        with self.concurrency:
            with self.stats.lock:
                self.stats.requests += 1
            try:
                # Never follow a redirect: it would resend the passwords or the session id to
                # whatever host `Location` names.
                response = self.http.post(
                    url,
                    data=body,
                    headers=_XML_HEADERS,
                    timeout=self.timeout,
                    stream=True,
                    allow_redirects=False,
                )
            except requests.Timeout as exc:
                raise RetryableError(f"{where}: gateway timed out", reason="timeout") from exc
            except requests.ConnectionError as exc:
                raise RetryableError(
                    f"{where}: {type(exc).__name__} talking to the gateway", reason="connection"
                ) from exc
            if 300 <= response.status_code < 400:
                response.close()
                raise FatalError(
                    f"{where}: HTTP {response.status_code} redirect to host "
                    f"{_host_of(response.headers.get('Location', ''))} refused; the tap never "
                    "follows redirects (set api_url to the gateway itself)"
                )
            try:
                content = self._read_bounded(response, where, time.monotonic() + self.timeout)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                raise RetryableError(
                    f"{where}: connection dropped mid-body", reason="connection"
                ) from exc
            finally:
                response.close()
        status = response.status_code
        if status == 429:
            raise RetryableError(
                f"{where}: HTTP 429 rate limited (GW-0010)",
                retry_after=_retry_after(response),
                reason="http_429",
            )
        if status >= 500:
            # 5xx and 524 (CDN gave up while Intacct kept working): reads are idempotent, resend.
            page = content[:512].lstrip().lower().startswith((b"<!doctype html", b"<html"))
            kind = "an HTML (CDN) page" if page else "no XML"
            raise RetryableError(
                f"{where}: HTTP {status} from the gateway with {kind}",
                retry_after=_retry_after(response),
                reason="html" if page else ("http_524" if status == 524 else "http_5xx"),
            )
        if status >= 400 and b"<response" not in content[:4096]:
            raise FatalError(f"{where}: HTTP {status} from the gateway without an XML error body")
        # 4xx with an XML body is a parseable error answer (reference §1, [PHP] RequestHandler).
        return content

    @staticmethod
    def _read_bounded(response: requests.Response, where: str, deadline: float) -> bytes:
        """The decoded body, refused once it would pass MAX_RESPONSE_BYTES (or is declared to).

        The request timeout bounds each socket read; `deadline` bounds the whole body, so a server
        that drips bytes just inside the timeout cannot hold the run either."""
        limit = MAX_RESPONSE_BYTES
        declared = response.headers.get("Content-Length", "").strip()
        too_long = len(declared) > 18  # int() of an absurd digit string is refused unparsed
        if declared.isascii() and declared.isdigit() and (too_long or int(declared) > limit):
            raise FatalError(
                f"{where}: the gateway announced more than the {limit}-byte answer limit; refused"
            )
        # urllib3 2 bounds each read by decoded bytes, so a gzip bomb stops at the limit as well.
        # BytesIO hands its own buffer to getvalue(): the body is never held twice.
        body = io.BytesIO()
        with _body_deadline(response, deadline) as cut:
            try:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    if body.tell() + len(chunk) > limit:
                        raise FatalError(f"{where}: answer exceeds the {limit}-byte limit; refused")
                    body.write(chunk)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                if cut.is_set():
                    raise RetryableError(
                        f"{where}: the answer took longer than request_timeout_seconds to arrive",
                        reason="timeout",
                    ) from exc
                raise
        return body.getvalue()

    def _send(
        self,
        url: str,
        authentication: str,
        functions: Sequence[str],
        where: str,
        sink: RowSink | None = None,
    ) -> GatewayResponse:
        sent_at = time.monotonic()
        content = self._post(url, self._envelope(authentication, functions), where)
        return self._read(content, sent_at, where, sink)

    def _envelope(self, authentication: str, functions: Sequence[str]) -> bytes:
        return envelope(
            sender_id=self.credentials.sender_id,
            sender_password=self.credentials.sender_password,
            authentication=authentication,
            functions=functions,
        )

    def _read(
        self, content: bytes, sent_at: float, where: str, sink: RowSink | None
    ) -> GatewayResponse:
        root = parse_xml(content) if sink is None else parse_xml_streaming(content, sink)
        response = read_response(root, where)
        if response.session_timeout is not None and response.session_timestamp is not None:
            # Each call resets the session timeout (reference §1). Keep the remaining lifetime on
            # our monotonic clock: the gateway's clock and ours need not agree.
            remaining = (response.session_timeout - response.session_timestamp).total_seconds()
            margin = min(SESSION_REFRESH_MARGIN.total_seconds(), remaining / 10)
            self.session_deadline = sent_at + remaining - margin
        return response

    # -- session --------------------------------------------------------------------------------

    def _login(self) -> None:
        creds = self.credentials
        auth = login_block(creds.user_id, creds.company_id, creds.user_password, self.entity_id)
        where = f"getAPISession ({self.label})"
        response = self._with_retries(
            lambda: self._send(self.api_url, auth, [fn_get_api_session()], where), where
        )
        with self.stats.lock:
            self.stats.logins += 1
            self.stats.functions["getAPISession"] += 1
        result = response.results[0] if response.results else None
        if result is None:
            raise RetryableError(f"{where}: no result in the answer")
        if not result.ok:
            # A refused login is never a permission problem to skip: the whole run depends on it.
            error = classify_errors("result", result.errors, where)
            if isinstance(error, PermissionDeniedError):
                raise AuthenticationError(error.message, error.errors)
            raise error
        api = result.data.find("api") if result.data is not None else None
        session_id = (api.findtext("sessionid") if api is not None else None) or ""
        if not session_id:
            raise FatalError(f"{where}: the gateway returned no session id")
        endpoint = ((api.findtext("endpoint") if api is not None else None) or "").strip()
        if endpoint and not _allowed_endpoint(self.api_url, endpoint):
            # A gateway that sends the session elsewhere is not trustworthy: stop, don't fall back.
            raise FatalError(
                f"{where}: the session endpoint names host {_host_of(endpoint)}, neither api_url's "
                "origin nor https on a Sage Intacct host; refused"
            )
        self.endpoint = endpoint or self.api_url
        self.session_id = session_id
        self.session_timestamp = response.session_timestamp
        LOGGER.info("Logged in to Intacct (%s)", self.label)

    def ensure_session(self) -> None:
        with self._lock:
            stale = self.session_deadline is not None and time.monotonic() >= self.session_deadline
            if not self.session_id or stale:
                self._login()

    def _renew(self, expired_id: str) -> None:
        with self._lock:
            if self.session_id == expired_id:  # another thread may have renewed already
                LOGGER.info("Intacct session expired (%s); logging in again", self.label)
                self.session_id = ""
                self._login()

    # -- calls ------------------------------------------------------------------------------

    def _with_retries(self, attempt: Callable[[], _T], where: str) -> _T:
        tries = 0
        while True:
            try:
                return attempt()
            except RetryableError as exc:
                tries += 1
                self._count_retry(exc)
                if tries >= self.retry.max_tries:
                    raise RetryableError(
                        f"{where}: gave up after {tries} tries; last error: {exc.message}",
                        exc.errors,
                    ) from exc
                self._back_off(exc, where, tries)

    def _count_retry(self, exc: RetryableError) -> None:
        with self.stats.lock:
            self.stats.retries[exc.reason or "other"] += 1

    def _back_off(self, exc: RetryableError, where: str, tries: int) -> None:
        delay = self.retry.wait(tries - 1, exc.retry_after)
        LOGGER.warning(
            "%s: transient failure (%s); retry %d/%d in %.2fs",
            where,
            exc.message.split(": ", 1)[-1][:80],
            tries,
            self.retry.max_tries - 1,
            delay,
        )
        self.sleep(delay)

    def call(
        self, functions: Sequence[str], where: str, sink: RowSink | None = None
    ) -> list[FunctionResult]:
        """Send functions in one request with the session; return their results in order.

        Transport and gateway-level failures are retried; function-level failures are returned in
        the results for the caller to classify (one request can mix successes and failures).
        With a `sink`, the first result's rows are streamed to it instead of kept in the tree.
        """
        self.ensure_session()
        renewed = False
        while True:
            session_id = self.session_id

            def attempt(session_id: str = session_id) -> GatewayResponse:
                auth = session_block(session_id)
                sent = self._send(self.endpoint, auth, functions, where, sink)
                return self._retry_result_level(sent, where)

            try:
                response = self._with_retries(attempt, where)
            except SessionExpiredError:
                if renewed:
                    raise
                renewed = True
                with self.stats.lock:
                    self.stats.retries["session_expired"] += 1
                self._renew(session_id)
                continue
            self._count_functions(functions)
            return response.results

    def _count_functions(self, functions: Sequence[str]) -> None:
        with self.stats.lock:
            for fn in functions:
                self.stats.functions[function_name(fn)] += 1

    def fetch(self, functions: Sequence[str], where: str) -> FetchedAnswer:
        """Send functions and download the answer without parsing it (transport retries only).

        A prefetch thread then holds bytes, not a tree; `complete` parses them later on the
        caller's side, streaming rows to a sink.
        """
        self.ensure_session()
        session_id = self.session_id

        def attempt() -> tuple[bytes, float]:
            sent_at = time.monotonic()
            body = self._envelope(session_block(session_id), functions)
            return self._post(self.endpoint, body, where), sent_at

        content, sent_at = self._with_retries(attempt, where)
        return FetchedAnswer(tuple(functions), where, content, sent_at, session_id)

    def complete(self, fetched: FetchedAnswer, sink: RowSink | None = None) -> list[FunctionResult]:
        """Parse a fetched answer. What `call` would retry (a truncated or refused body, "Please
        Try Again Later", an expired session) is handled as `call` handles it: back off (or log in
        again) and resend through `call`, with its own retry budget."""
        where = fetched.where
        try:
            response = self._read(fetched.content, fetched.sent_at, where, sink)
            self._retry_result_level(response, where)
        except SessionExpiredError:
            with self.stats.lock:
                self.stats.retries["session_expired"] += 1
            self._renew(fetched.session_id)
            return self.call(fetched.functions, where, sink)
        except RetryableError as exc:
            self._count_retry(exc)
            self._back_off(exc, where, 1)
            return self.call(fetched.functions, where, sink)
        self._count_functions(fetched.functions)
        return response.results

    @staticmethod
    def _retry_result_level(response: GatewayResponse, where: str) -> GatewayResponse:
        # A function result that is transient ("Please Try Again Later") retries the whole
        # request: the functions are reads, so resending them is safe.
        for result in response.results:
            if not result.ok:
                error = classify_errors("result", result.errors, where)
                if isinstance(error, RetryableError):
                    raise error
        return response


def function_name(fragment: str) -> str:
    """`<query>...` -> `query`: the function an XML fragment calls."""
    end = len(fragment)
    for stop in (" ", ">", "/"):
        pos = fragment.find(stop, 1)
        if pos != -1:
            end = min(end, pos)
    return fragment[1:end]

"""Request parsing and response rendering of the XML gateway.

Requests: https://developer.intacct.com/web-services/requests/; responses:
https://developer.intacct.com/web-services/responses/; sample answers: tests/fixtures/intacct/.

Responses are built with string joins and one escape function, never a DOM: the gateway renders many
thousands of records per second. Requests are parsed by a hardened lxml parser (no entities, no DTD, no
network).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

CONTENT_TYPE = "text/xml; charset=UTF-8"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
)


def esc(value: str) -> str:
    """Escape &, < and > for element text (the value itself when none occurs)."""
    if "&" in value or "<" in value or ">" in value:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def esc_attr(value: str) -> str:
    """Escape a value for a double-quoted attribute."""
    return esc(value).replace('"', "&quot;")


def element(tag: str, value: str) -> str:
    """`<tag>value</tag>` with the value escaped."""
    return f"<{tag}>{esc(value)}</{tag}>"


@dataclass(frozen=True)
class GatewayError:
    """One `<error>` of an `<errormessage>`: errorno, description, description2, correction."""

    errorno: str
    description2: str
    description: str = ""
    correction: str = ""

    def render(self) -> str:
        """The `<error>` element, children in the gateway's order."""
        return (
            f"<error><errorno>{esc(self.errorno)}</errorno>"
            f"<description>{esc(self.description)}</description>"
            f"<description2>{esc(self.description2)}</description2>"
            f"<correction>{esc(self.correction)}</correction></error>"
        )


def errormessage(errors: list[GatewayError]) -> str:
    """The `<errormessage>` block holding each error in order."""
    return "<errormessage>" + "".join(e.render() for e in errors) + "</errormessage>"


@dataclass
class Control:
    """The request's `<control>` block, echoed back in the answer's."""

    senderid: str = ""
    password: str = ""
    controlid: str = ""
    uniqueid: str = "false"
    dtdversion: str = "3.0"

    def render(self, status: str) -> str:
        """The answer's `<control>` block with this status (the sender password never echoed)."""
        return (
            f"<control><status>{status}</status>{element('senderid', self.senderid)}"
            f"{element('controlid', self.controlid)}{element('uniqueid', self.uniqueid)}"
            f"{element('dtdversion', self.dtdversion)}</control>"
        )


@dataclass
class Login:
    """The `<login>` authentication of a request; locationid opens an entity session."""

    userid: str
    companyid: str
    password: str
    locationid: str | None


@dataclass
class FunctionCall:
    """One `<function>` of the request: its controlid, name and element."""

    controlid: str
    name: str
    body: etree._Element


@dataclass
class ParsedRequest:
    """A request as the gateway reads it: control, authentication, functions, transaction flag."""

    control: Control
    login: Login | None = None
    sessionid: str | None = None
    transaction: bool = False
    functions: list[FunctionCall] = field(default_factory=list)
    has_operation: bool = False


class ParseFailure(Exception):  # noqa: N818 - mirrors the gateway's wording
    """A control-level failure: the errors to answer with, and the control read so far."""

    def __init__(self, control: Control, errors: list[GatewayError]) -> None:
        super().__init__(errors[0].description2)
        self.control = control
        self.errors = errors


class Garbage(Exception):  # noqa: N818
    """Not an XML request at all: the gateway answers GW-0011 with HTTP 400
    (https://developer.intacct.com/web-services/error-handling/)."""


def text_of(parent: etree._Element | None, tag: str, default: str = "") -> str:
    """The stripped text of parent's child `tag`, or default when either is missing."""
    if parent is None:
        return default
    found = parent.find(tag)
    if found is None:
        return default
    return (found.text or "").strip()


def parse_request(body: bytes) -> ParsedRequest:
    """Parse a gateway request; Garbage if not an XML request, ParseFailure for control errors."""
    stripped = body.lstrip()
    if not stripped.startswith(b"<"):
        raise Garbage
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        errors = [
            GatewayError(
                "XL03000003",
                f"XML Parse schema error: Fatal Error {entry.type}: {entry.message.strip()} "
                f"Line: {entry.line}, column: {entry.column}.",
            )
            for entry in exc.error_log  # type: ignore[attr-defined]
        ] or [GatewayError("XL03000003", f"XML Parse schema error: {exc}")]
        raise ParseFailure(Control(), errors[:5]) from None
    if root.tag != "request":
        raise Garbage
    ctl = root.find("control")
    control = Control(
        senderid=text_of(ctl, "senderid"),
        password=text_of(ctl, "password"),
        controlid=text_of(ctl, "controlid"),
        uniqueid=text_of(ctl, "uniqueid", "false") or "false",
        dtdversion=text_of(ctl, "dtdversion", "3.0") or "3.0",
    )
    if ctl is None:
        raise ParseFailure(
            control,
            [
                GatewayError(
                    "XL03000003",
                    "XML Parse schema error: Element request content does not follow the DTD, expecting (control, operation).",
                )
            ],
        )
    parsed = ParsedRequest(control=control)
    operation = root.find("operation")
    if operation is None:
        return parsed
    parsed.has_operation = True
    parsed.transaction = (operation.get("transaction") or "false").strip().lower() == "true"
    auth = operation.find("authentication")
    if auth is not None:
        login = auth.find("login")
        if login is not None:
            location = login.find("locationid")
            parsed.login = Login(
                userid=text_of(login, "userid"),
                companyid=text_of(login, "companyid"),
                password=text_of(login, "password"),
                locationid=None if location is None else (location.text or "").strip(),
            )
        else:
            parsed.sessionid = text_of(auth, "sessionid")
    content = operation.find("content")
    if content is not None:
        for function in content.findall("function"):
            inner = [c for c in function if isinstance(c.tag, str)]
            if not inner:
                continue
            parsed.functions.append(
                FunctionCall(function.get("controlid") or "", str(inner[0].tag), inner[0])
            )
    return parsed


def control_failure(control: Control, errors: list[GatewayError]) -> str:
    """Fixtures 10 and 14 in tests/fixtures/intacct/: no <operation>; <errormessage> is a child of
    <response>."""
    return (
        f"{XML_DECLARATION}<response>{control.render('failure')}{errormessage(errors)}</response>"
    )


def gateway_error(errorno: str, description: str) -> str:
    """GW-0011 / GW-0010: the gateway's own short envelope
    (https://developer.intacct.com/web-services/error-handling/)."""
    return (
        f"{XML_DECLARATION}<response><control><status>failure</status></control><errormessage><error>"
        f"<errorno>{esc(errorno)}</errorno><description>{esc(description)}</description>"
        "</error></errormessage></response>"
    )


def auth_failure(control: Control, userid: str, companyid: str, error: GatewayError) -> str:
    """Fixtures 11 and 12 in tests/fixtures/intacct/: authentication/status failure, errormessage
    beside it, no <result>."""
    return (
        f"{XML_DECLARATION}<response>{control.render('success')}<operation><authentication>"
        f"<status>failure</status>{element('userid', userid)}{element('companyid', companyid)}"
        f"</authentication>{errormessage([error])}</operation></response>"
    )


def result_block(status: str, function: str, controlid: str, inner: list[bytes]) -> list[bytes]:
    """One `<result>` as UTF-8 pieces, for the caller's single join."""
    head = (
        f"<result><status>{status}</status>{element('function', function)}"
        f"{element('controlid', controlid)}"
    )
    return [head.encode(), *inner, b"</result>"]

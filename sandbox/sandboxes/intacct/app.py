"""Routing, the request envelope, sender/user authentication, sessions, and fault rendering.

Order of checks follows Sage Intacct's error handling
(https://developer.intacct.com/web-services/error-handling/): control (XML well-formed, sender
credentials), then authentication (login or session), then each function. Control failures stop
everything; authentication failures stop all functions; a function failure affects only its own
`<result>` unless the operation is a transaction (`transaction="true"`: the others are `aborted`
with XL03000009).
"""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta

from lxml import etree

from sandboxes.common.faults import Fault
from sandboxes.common.http import Request, Response
from sandboxes.intacct import admin
from sandboxes.intacct.functions import Context, Result, run_function
from sandboxes.intacct.hostile import hostile_body
from sandboxes.intacct.protocol import (
    CONTENT_TYPE,
    XML_DECLARATION,
    Control,
    Garbage,
    GatewayError,
    ParsedRequest,
    ParseFailure,
    auth_failure,
    control_failure,
    element,
    gateway_error,
    parse_request,
    result_block,
)
from sandboxes.intacct.reference_data import ENTITIES
from sandboxes.intacct.state import BASE_PATH, SESSION_PATH, IntacctState, Session

#: Faults that change how the app answers rather than replacing the answer (set by render_fault,
#: read by the app in the same request thread).
_pending = threading.local()

XL_SENDER = "Incorrect Intacct XML Partner ID or password."
XL_SIGNIN = "Sign-in information is incorrect"
ROLLBACK = GatewayError(
    "XL03000009", "The entire transaction in this operation has been rolled back due to an error."
)


def xml_response(body: str, status: int = 200) -> Response:
    """An Intacct XML answer with the gateway's content type."""
    return Response(status, body.encode("utf-8"), {"Content-Type": CONTENT_TYPE})


def request_id() -> str:
    """A request id shaped like the ones Intacct prints in gateway errors."""
    return f"{secrets.token_hex(4).upper()}:{secrets.token_hex(2).upper()}_{secrets.token_hex(4).upper()}.{secrets.randbelow(99)}"


def make_app(state: IntacctState) -> tuple[object, object]:
    """The gateway app and the renderer of Intacct-specific faults, sharing per-request state."""

    def app(request: Request) -> Response:
        if request.path.startswith("/admin/"):
            return admin.handle(state, request)
        if request.path not in (BASE_PATH, SESSION_PATH):
            return Response.text(f"no such endpoint: {request.path}", status=404)
        if request.method != "POST":
            return Response.text("the XML gateway accepts POST only", status=405)
        fault = getattr(_pending, "kind", "")
        endpoint = getattr(_pending, "endpoint", "")
        _pending.kind = _pending.endpoint = ""
        return gateway(state, request, fault, session_endpoint=endpoint)

    def render_fault(fault: Fault, request: Request) -> Response | None:
        kind = fault.kind
        if kind == "http_429":
            response = xml_response(
                gateway_error(
                    "GW-0010",
                    f"Rate limit exceeded. Too many requests [Request ID: {request_id()}]",
                ),
                429,
            )
            response.headers["Retry-After"] = str(fault.params.get("retry_after", 1))
            return response
        if kind in ("http_500", "http_502", "http_503", "http_504", "http_524"):
            code = int(kind.split("_")[1])
            return Response.text(f"error code: {code}", status=code)
        if kind == "html":
            return Response.text(
                cloudflare_page(int(fault.params.get("status", 503))),
                status=int(fault.params.get("status", 503)),
                content_type="text/html",
            )
        if kind in ("try_again", "session_expired"):
            _pending.kind = kind
            return None
        if kind == "session_endpoint":
            # Security tests: getAPISession names this endpoint instead of the sandbox's own.
            _pending.endpoint = str(fault.params.get("endpoint", ""))
            return None
        if kind == "redirect":
            # Security tests: a proxy in front of the gateway redirecting POSTs elsewhere.
            status = int(fault.params.get("status", 307))
            response = Response.text(f"moved ({status})", status=status)
            response.headers["Location"] = str(fault.params.get("location", ""))
            return response
        if kind == "hostile":
            # Security tests: a hostile body in place of the answer (see hostile.py).
            try:
                body = hostile_body(str(fault.params.get("variant", "")), fault.params)
            except ValueError as exc:
                return Response.text(str(exc), status=500)
            return Response(200, body, {"Content-Type": CONTENT_TYPE})
        return Response.text(f"unknown fault kind {kind!r}", status=500)

    return app, render_fault


def cloudflare_page(status: int) -> str:
    """The HTML page Cloudflare serves in front of api.intacct.com for a 5xx status."""
    return (
        '<!DOCTYPE html>\n<html lang="en-US"><head><title>api.intacct.com | '
        f"{status}: Service temporarily unavailable</title></head><body>"
        '<div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper">'
        f'<h1><span class="cf-error-type">Error</span> <span class="cf-error-code">{status}</span></h1>'
        "<p>The web server reported a temporary error. Please try again in a few minutes.</p>"
        f"<p>Cloudflare Ray ID: <strong>{secrets.token_hex(8)}</strong></p></div></div></body></html>"
    )


def gateway(
    state: IntacctState, request: Request, fault: str, *, session_endpoint: str = ""
) -> Response:
    """Answer one gateway POST: control checks, authentication, then each function's result."""
    try:
        parsed = parse_request(request.body)
    except Garbage:
        return xml_response(
            gateway_error("GW-0011", f"Invalid Request [Request ID: {request_id()}]"), 400
        )
    except ParseFailure as failure:
        return xml_response(control_failure(failure.control, failure.errors))
    control = parsed.control
    config = state.config
    if control.senderid != config.sender_id or control.password != config.sender_password:
        return xml_response(control_failure(control, [GatewayError("XL03000006", XL_SENDER)]))
    if not parsed.has_operation:
        return xml_response(f"{XML_DECLARATION}<response>{control.render('success')}</response>")
    session, refusal = authenticate(state, parsed, fault)
    if refusal is not None or session is None:
        return xml_response(refusal or "")
    base_url = f"http://{request.header('host', '127.0.0.1')}"
    ctx = Context(state, session, base_url)
    results: list[tuple[str, str, Result]] = []
    for call in parsed.functions:
        if fault == "try_again":
            result = Result(
                "failure",
                errors=[
                    GatewayError(
                        "DL02000001",
                        "There was an error processing the request.",
                        "Temporary failure",
                        "Please Try Again Later",
                    )
                ],
            )
        elif call.name == "getAPISession":
            result = get_api_session(state, ctx, call.body, session_endpoint)
        else:
            result = run_function(ctx, call.name, call.body)
        state.common.stats.record(
            f"{call.name}:{result.object_name}" if result.object_name else call.name
        )
        results.append((call.name, call.controlid, result))
    if parsed.transaction and any(r.status == "failure" for _, _, r in results):
        results = [
            (name, cid, r if r.status == "failure" else Result("aborted", errors=[ROLLBACK]))
            for name, cid, r in results
        ]
    # Pages are already UTF-8 (render.py): the answer is joined as bytes, never re-encoded.
    parts = [
        f"{XML_DECLARATION}<response>{control.render('success')}<operation>"
        f"{auth_block(state, session)}".encode()
    ]
    for name, cid, r in results:
        parts += result_block(r.status, name, cid, r.render_inner())
    parts.append(b"</operation></response>")
    return Response(200, b"".join(parts), {"Content-Type": CONTENT_TYPE})


def authenticate(
    state: IntacctState, parsed: ParsedRequest, fault: str
) -> tuple[Session | None, str | None]:
    """The session a request runs in (login or sessionid), or the failure answer to send instead."""
    control: Control = parsed.control
    config = state.config
    if parsed.login is not None:
        login = parsed.login
        entity = (login.locationid or "").strip()
        valid_entity = entity == "" or entity in set(_entity_ids())
        if (
            login.userid != config.user_id
            or login.companyid != config.company_id
            or login.password != config.user_password
            or not valid_entity
        ):
            return None, auth_failure(
                control, login.userid, login.companyid, GatewayError("XL03000006", XL_SIGNIN)
            )
        wants_session = any(f.name == "getAPISession" for f in parsed.functions)
        if wants_session:
            return state.new_session(login.userid, login.companyid, entity), None
        # a login-authenticated call without getAPISession runs on a throw-away session
        now = state.now()
        transient = Session(
            "",
            login.userid,
            login.companyid,
            entity,
            now,
            now + timedelta(seconds=config.session_ttl),
        )
        return transient, None
    sessionid = parsed.sessionid or ""
    session = state.live_session(sessionid) if sessionid else None
    if session is not None and fault == "session_expired":
        state.drop_session(sessionid)
        session = None
    if session is None:
        shown = sessionid[:1] + "...." if sessionid else ""
        return None, auth_failure(
            control, "", "", GatewayError("XL03000006", f"Invalid session {shown}".rstrip())
        )
    state.touch(session)
    return session, None


def _entity_ids() -> list[str]:
    return [e.location_id for e in ENTITIES]


def auth_block(state: IntacctState, session: Session) -> str:
    """The `<authentication>` block of a successful answer: user, company, entity, session times."""
    tf = state.tf
    return (
        f"<authentication><status>success</status>{element('userid', session.userid)}"
        f"{element('companyid', session.companyid)}{element('locationid', session.entity)}"
        f"{element('sessiontimestamp', tf.iso(state.now()))}"
        f"{element('sessiontimeout', tf.iso(session.expires_at))}</authentication>"
    )


def get_api_session(state: IntacctState, ctx: Context, body: object, endpoint: str = "") -> Result:
    """getAPISession; `<locationid>` switches level (empty = top level).

    https://developer.intacct.com/api/company-console/api-sessions/

    `endpoint` replaces the sandbox's own session endpoint (the `session_endpoint` fault)."""
    assert isinstance(body, etree._Element)  # noqa: S101 - parse_request only yields elements
    location_el = body.find("locationid")
    session = ctx.session
    if location_el is not None:
        wanted = (location_el.text or "").strip()
        if wanted and wanted not in _entity_ids():
            return Result(
                "failure", errors=[GatewayError("XL03000006", f"Invalid location ID {wanted}")]
            )
        if wanted != session.entity or not session.sessionid:
            session = state.new_session(session.userid, session.companyid, wanted)
    elif not session.sessionid:
        session = state.new_session(session.userid, session.companyid, session.entity)
    ctx.session = session
    inner = (
        "<data><api>"
        f"{element('sessionid', session.sessionid)}"
        f"{element('endpoint', endpoint or ctx.base_url + SESSION_PATH)}"
        f"{element('locationid', session.entity)}"
        "</api></data>"
    )
    return Result("success", inner)

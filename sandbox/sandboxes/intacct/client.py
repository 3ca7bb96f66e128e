"""A minimal XML-gateway client used by the sandbox's own tests and for poking at a running sandbox.

It speaks the request envelope (https://developer.intacct.com/web-services/requests/) over `urllib`,
nothing more: production clients live in the tap. Kept in the package so tests, the demo and
benchmarks share one implementation.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from sandboxes.intacct.state import BASE_PATH

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@dataclass
class Reply:
    """One HTTP answer of the gateway, with helpers that parse and check it."""

    status: int
    body: bytes
    content_type: str

    @property
    def xml(self) -> etree._Element:
        """The body parsed as XML (entities not resolved, no network)."""
        return etree.fromstring(self.body, _PARSER)

    def results(self) -> list[etree._Element]:
        """Every `<result>` of the answer's `<operation>`, in order."""
        return self.xml.findall("operation/result")

    def result(self) -> etree._Element:
        """The answer's only `<result>`; AssertionError if there are none or several."""
        results = self.results()
        if len(results) != 1:
            raise AssertionError(f"expected one result, got {len(results)}: {self.body[:500]!r}")
        return results[0]

    def data(self) -> etree._Element:
        """The `<data>` of the only result; AssertionError with the result if it did not succeed."""
        result = self.result()
        if result.findtext("status") != "success":
            raise AssertionError(etree.tostring(result, encoding="unicode"))
        data = result.find("data")
        assert data is not None  # noqa: S101 - success results always carry data
        return data

    def records(self) -> list[dict[str, str]]:
        """The rows of the only result's `<data>` as dicts of tag -> text ("" when empty)."""
        return [{c.tag: (c.text or "") for c in rec} for rec in self.data()]


class GatewayClient:
    """A minimal Intacct XML client for tests: envelopes, login, session, raw replies."""

    def __init__(
        self,
        base_url: str,
        *,
        sender_id: str = "sandbox",
        sender_password: str = "sandbox",  # noqa: S107 - documented sandbox default
        user_id: str = "admin",
        company_id: str = "SANDBOX",
        user_password: str = "admin",  # noqa: S107 - documented sandbox default
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.endpoint = self.base_url + BASE_PATH
        self.sender_id = sender_id
        self.sender_password = sender_password
        self.user_id = user_id
        self.company_id = company_id
        self.user_password = user_password
        self.sessionid = ""

    def envelope(
        self,
        functions: list[str],
        *,
        login: bool = False,
        locationid: str | None = None,
        transaction: bool = False,
    ) -> bytes:
        """A `<request>` of the functions, authenticated by login or by the current session."""
        if login or not self.sessionid:
            location = (
                "" if locationid is None else f"<locationid>{escape(locationid)}</locationid>"
            )
            auth = (
                f"<login><userid>{escape(self.user_id)}</userid><companyid>{escape(self.company_id)}</companyid>"
                f"<password>{escape(self.user_password)}</password>{location}</login>"
            )
        else:
            auth = f"<sessionid>{escape(self.sessionid)}</sessionid>"
        content = "".join(f'<function controlid="{uuid.uuid4()}">{f}</function>' for f in functions)
        return (
            '<?xml version="1.0" encoding="UTF-8"?><request><control>'
            f"<senderid>{escape(self.sender_id)}</senderid><password>{escape(self.sender_password)}</password>"
            "<controlid>ctl-1</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion>"
            "<includewhitespace>false</includewhitespace></control>"
            f'<operation transaction="{"true" if transaction else "false"}"><authentication>{auth}</authentication>'
            f"<content>{content}</content></operation></request>"
        ).encode()

    def post(self, body: bytes, url: str | None = None) -> Reply:
        """POST a body to url (the session endpoint by default); HTTP errors are replies too."""
        request = urllib.request.Request(  # noqa: S310 - loopback sandbox URL
            url or self.endpoint,
            data=body,
            method="POST",
            headers={"Content-Type": "application/xml"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                return Reply(
                    response.status, response.read(), response.headers.get("Content-Type", "")
                )
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.read(), exc.headers.get("Content-Type", ""))

    def call(self, *functions: str, transaction: bool = False) -> Reply:
        """Send the functions in one request within the current session (or a login)."""
        return self.post(self.envelope(list(functions), transaction=transaction))

    def login(self, locationid: str | None = None) -> Reply:
        """Log in with `getAPISession` and keep the session id and endpoint it returns."""
        reply = self.post(self.envelope(["<getAPISession/>"], login=True, locationid=locationid))
        api = reply.data().find("api")
        assert api is not None  # noqa: S101
        self.sessionid = api.findtext("sessionid") or ""
        self.endpoint = api.findtext("endpoint") or self.endpoint
        return reply

"""The `supdoc` stream: supporting documents (attachments) with their files' metadata.

Supporting documents are read with the legacy `get_list object="supdoc"` (the only read Intacct offers
for them: https://developer.intacct.com/api/company-console/attachments/), `SUPDOC_PAGE` documents a
request (the answers carry the files' base64 content, so pages stay small). They carry no modified
stamp, so the stream is read whole each run. Each attachment's size and SHA-256 are always emitted; the
content itself only with `supdoc_content: true`, and only up to `supdoc_max_bytes` per file (a larger
file gets `attachmentdata: null` and one WARNING naming document and file).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lxml import etree
from typing_extensions import override

from tap_sage_intacct import gateway
from tap_sage_intacct.client import IntacctStream
from tap_sage_intacct.objects import DELETED_AT, ObjectSpec
from tap_sage_intacct.schema import parse_intacct_timestamp

if TYPE_CHECKING:
    from singer_sdk.helpers import types

LOGGER = logging.getLogger("tap_sage_intacct")

GET_LIST = "get_list"
SUPDOC_PAGE = 20
#: A list that never ends is refused after this many pages.
MAX_PAGES = 1_000_000 // SUPDOC_PAGE

SUPDOC_SPEC = ObjectSpec(
    stream_name="supdoc",
    object_name="supdoc",
    key_properties=("recordno",),
    replication_key="",
    natural_id="supdocid",
    read_function=GET_LIST,
    replication_reason="full table: supporting documents carry no modified stamp",
    selected_by_default=False,
)

_TEXT = {"type": ["string", "null"]}
SUPDOC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "recordno": {"type": ["integer", "null"]},
        "supdocid": _TEXT,
        "supdocname": _TEXT,
        "folder": _TEXT,
        "description": _TEXT,
        "creationdate": {"type": ["string", "null"], "format": "date"},
        "createdby": _TEXT,
        "attachments": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": {
                    "attachmentname": _TEXT,
                    "attachmenttype": _TEXT,
                    "size_bytes": {"type": ["integer", "null"]},
                    "sha256": _TEXT,
                    "attachmentdata": {
                        "type": ["string", "null"],
                        "description": "Base64 content; only with supdoc_content, up to supdoc_max_bytes",
                    },
                },
            },
        },
        DELETED_AT: {"type": ["string", "null"], "format": "date-time"},
    },
}


def fn_get_list_supdoc(start: int, max_items: int) -> str:
    """`get_list` of supporting documents, every entity's included."""
    return f'<get_list object="supdoc" start="{int(start)}" maxitems="{int(max_items)}" showprivate="true"/>'


class SupdocStream(IntacctStream):
    """Supporting documents and their attachments (module docstring)."""

    @override
    def get_replication_key_signpost(self, context: types.Context | None = None) -> None:
        return None

    @override
    def get_records(self, context: types.Context | None) -> Iterator[dict[str, Any]]:
        return self.within_record_limit(self._documents())

    def _documents(self) -> Iterator[dict[str, Any]]:
        conn = self.runtime.connection(self.runtime.scopes()[0].entity_id)
        where = f"get_list supdoc (stream '{self.name}', {conn.label})"
        for page in range(MAX_PAGES):
            function = fn_get_list_supdoc(page * SUPDOC_PAGE, SUPDOC_PAGE)
            (result,) = conn.call([function], where)
            self.calls["requests"] += 1
            self.calls[GET_LIST] += 1
            if not result.ok:
                error = gateway.classify_errors("result", result.errors, where)
                if isinstance(error, gateway.PermissionDeniedError):
                    LOGGER.warning(
                        "Skipping stream '%s': no permission. %s", self.name, error.message
                    )
                    return
                raise error
            rows = [] if result.data is None else list(result.data.iterfind("supdoc"))
            self.begin_page()
            for row in rows:
                yield self._record(row)
            if len(rows) < SUPDOC_PAGE:
                break
        else:
            raise gateway.FatalError(f"{where}: more than {MAX_PAGES} pages; refusing to loop")
        self.write_state_now()

    def _record(self, row: etree._Element) -> dict[str, Any]:
        def text(tag: str) -> str | None:
            value = (row.findtext(tag) or "").strip()
            return value or None

        recordno = text("recordno")
        created = text("creationdate")
        return {
            "recordno": int(recordno) if recordno and recordno.isdigit() else None,
            "supdocid": text("supdocid"),
            "supdocname": text("supdocname"),
            "folder": text("folder"),
            "description": text("description"),
            "creationdate": (
                parse_intacct_timestamp(created, self.runtime.tz).date().isoformat()
                if created
                else None
            ),
            "createdby": text("createdby"),
            "attachments": [
                self._attachment(text("supdocid") or "", a)
                for a in row.iterfind("attachments/attachment")
            ],
        }

    def _attachment(self, supdocid: str, element: etree._Element) -> dict[str, Any]:
        name = (element.findtext("attachmentname") or "").strip()
        encoded = "".join((element.findtext("attachmentdata") or "").split())
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise gateway.FatalError(
                f"stream '{self.name}' supdoc {supdocid}: attachment '{name}' is not base64"
            ) from None
        data: str | None = None
        if self.config["supdoc_content"] and content:
            if len(content) <= int(self.config["supdoc_max_bytes"]):
                data = encoded
            else:
                LOGGER.warning(
                    "Stream '%s': supdoc %s attachment '%s' has %d bytes, more than "
                    "supdoc_max_bytes; its content is left out",
                    self.name,
                    supdocid,
                    name,
                    len(content),
                )
        return {
            "attachmentname": name or None,
            "attachmenttype": (element.findtext("attachmenttype") or "").strip() or None,
            "size_bytes": len(content),
            "sha256": hashlib.sha256(content).hexdigest() if content else None,
            "attachmentdata": data,
        }


__all__ = ["GET_LIST", "SUPDOC_SCHEMA", "SUPDOC_SPEC", "SupdocStream", "fn_get_list_supdoc"]

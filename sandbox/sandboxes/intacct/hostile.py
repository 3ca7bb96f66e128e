"""Hostile gateway answers for security tests (fault kind `hostile`).

A compromised proxy or a spoofed gateway can answer a `query` with XML built to hurt the parser:
entity expansion (billion laughs), an external entity that reads a local file, a text node or a nesting
depth far beyond any real answer, or bytes that are not UTF-8. Each body below is otherwise a normal
successful `query` answer (control, authentication, one result with a VENDOR row), so a client that
accepts it would emit the hostile content as data. `params.prolog_padding` puts that many bytes of
comment before the DOCTYPE, for clients that only look for a DOCTYPE near the start of the body.
"""

from __future__ import annotations

from typing import Any

VARIANTS = ("billion_laughs", "external_entity", "huge_text", "deep_nesting", "invalid_utf8")

_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def _envelope(row_fields: bytes, doctype: bytes = b"", padding: int = 0) -> bytes:
    comment = b"<!--" + b" " * max(0, padding - 7) + b"-->" if padding > 0 else b""
    return (
        _HEAD
        + comment
        + doctype
        + b"<response><control><status>success</status><senderid>sandbox</senderid>"
        b"<controlid>hostile</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion>"
        b"</control><operation><authentication><status>success</status><userid>admin</userid>"
        b"<companyid>SANDBOX</companyid><locationid></locationid>"
        b"<sessiontimestamp>2025-01-01T00:00:00+00:00</sessiontimestamp>"
        b"<sessiontimeout>2025-01-02T00:00:00+00:00</sessiontimeout></authentication>"
        b"<result><status>success</status><function>query</function><controlid>hostile</controlid>"
        b'<data listtype="VENDOR" count="1" totalcount="1" numremaining="0" offset="0">'
        b"<VENDOR><RECORDNO>1</RECORDNO><VENDORID>V-HOSTILE</VENDORID>"
        + row_fields
        + b"<WHENMODIFIED>01/01/2025 00:00:00</WHENMODIFIED></VENDOR></data></result>"
        b"</operation></response>"
    )


def hostile_body(variant: str, params: dict[str, Any]) -> bytes:
    """The body of one hostile answer; raises ValueError for an unknown variant."""
    padding = int(params.get("prolog_padding", 0))
    if variant == "billion_laughs":
        entities = b'<!ENTITY lol0 "lol">' + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10)))
            for i in range(1, 10)
        )
        doctype = b"<!DOCTYPE response [" + entities + b"]>"
        return _envelope(b"<NAME>&lol9;</NAME>", doctype, padding)
    if variant == "external_entity":
        path = str(params.get("path", "/etc/hostname"))
        doctype = b'<!DOCTYPE response [<!ENTITY xxe SYSTEM "file://' + path.encode() + b'">]>'
        return _envelope(b"<NAME>&xxe;</NAME>", doctype, padding)
    if variant == "huge_text":
        size = int(params.get("megabytes", 64)) * 1024 * 1024
        return _envelope(b"<NAME>" + b"A" * size + b"</NAME>")
    if variant == "deep_nesting":
        depth = int(params.get("depth", 100_000))
        return _envelope(b"<NAME>" + b"<x>" * depth + b"</x>" * depth + b"</NAME>")
    if variant == "invalid_utf8":
        return _envelope(b"<NAME>caf\xc3 \xff\xfe broken \xed\xa0\x80</NAME>")
    raise ValueError(f"hostile fault: params.variant must be one of {VARIANTS}, got {variant!r}")

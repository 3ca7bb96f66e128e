"""APBILL pages render from value tuples (render.py, generators.apbill_values): the bytes must be exactly
those of rendering the row dicts, and the rows must stay those of the released generator."""

from __future__ import annotations

import hashlib
import json

import pytest

from sandboxes.intacct.cli import build_parser, build_state
from sandboxes.intacct.company import Source
from sandboxes.intacct.render import RecordTemplate
from sandboxes.intacct.state import IntacctState


def _state(*argv: str) -> IntacctState:
    return build_state(build_parser().parse_args(list(argv)))


@pytest.fixture(scope="module")
def wide() -> Source:
    return _state("--wide", "--gmt-offset=-08:00").company.sources["APBILL"]


# Digests of every APBILL row (key order included) as the generator built them before rows became value
# tuples: the company is ground truth for the e2e results, so a new generator must not change a byte.
# (Changed on purpose once since: the bill with a line beyond 2**53 cents became a Draft.)
@pytest.mark.parametrize(
    ("argv", "digest"),
    [
        (("--wide",), "8fd4cd02387e9e0eb3ec9d86261eb5389fd20f6dadd97f2b82a36491cf4f81ca"),
        (
            ("--gmt-offset=-08:00", "--seed", "3"),
            "873312e277d47d002c82a70caf3d3115a676274b8744e44508199834640440d2",
        ),
    ],
)
def test_apbill_rows_are_unchanged(argv: tuple[str, ...], digest: str) -> None:
    source = _state(*argv).company.sources["APBILL"]
    h = hashlib.sha256()
    for i in range(source.count):
        h.update(json.dumps(source.row(i), ensure_ascii=False).encode())
    assert h.hexdigest() == digest


def _selections(source: Source) -> list[tuple[str, ...]]:
    fields = source.layout
    return [
        fields,
        tuple(reversed(fields)),
        ("CUSTOM_FIELD_03", "RECORDTYPE", "TERMNAME"),  # constants only
        ("TERMNAME", "VENDORNAME", "CUSTOM_FIELD_40"),  # one value that varies (and needs escaping)
        ("RECORDNO",),
        ("NOT_IN_LAYOUT", "RECORDNO"),  # falls back to the row dict
    ]


def test_page_from_value_tuples_is_the_page_from_row_dicts(wide: Source) -> None:
    assert wide.values is not None
    assert wide.constant_prefix > 40
    indices = [*range(400), wide.count - 1]
    overlay = dict(wide.row(7), DESCRIPTION="edited <b> & co", RECORDNO="999999")
    items: list[dict[str, str] | int] = [*indices[:5], overlay, *indices[5:]]
    rows = [item if isinstance(item, dict) else wide.row(item) for item in items]
    escaped = 0
    for fields in _selections(wide):
        template = RecordTemplate("APBILL", fields)
        expected = template.render_many(rows).encode()
        assert b"".join(template.render_page(items, wide)) == expected, fields
        escaped += expected.count(b"&amp;")
    assert escaped > 0  # the page holds values that need escaping (O'Reilly & Sons <Media>)


def test_values_and_row_agree(wide: Source) -> None:
    assert wide.values is not None
    for i in (0, 5, 8, 401, 1439, wide.count - 1):
        values = wide.values(i)
        assert list(wide.row(i).items()) == list(zip(wide.layout, values, strict=True))
        assert values[: wide.constant_prefix] == wide.values(0)[: wide.constant_prefix]

"""The JUEL subset used by processor configurations
(https://docs-eam.leanix.net/reference/inbound-processors)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sandboxes.leanix.juel import JuelError, evaluate, java_replace_all

CONTEXT: dict[str, Any] = {
    "content": {"id": "intacct:ACME:vendor:V100", "type": "Vendor"},
    "data": {
        "name": "Slack",
        "amount": Decimal("48210.55"),
        "measurement": "measurement",
        "tags": ["a", "b"],
        "nested": {"key with space": "x"},
        "flag": True,
    },
    "header": {"customFields": {"company": "ACME"}},
    "integration": {"valueOfForEach": "b"},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${content.id}:service", "intacct:ACME:vendor:V100:service"),
        ("${data.name} (${content.type})", "Slack (Vendor)"),
        ("${data.amount}", Decimal("48210.55")),
        ("total ${data.amount}", "total 48210.55"),
        ("${data.missing}", None),
        ("[${data.missing}]", "[]"),
        ("${data.missing.deeper}", None),
        ("${data.measurement.equals('measurement')}", True),
        ("${data.missing != null}", False),
        ("${not empty data.tags and data.tags.size() == 2}", True),
        ("${data.nested['key with space']}", "x"),
        ("${header.customFields.company}", "ACME"),
        ("${integration.valueOfForEach.toUpperCase()}", "B"),
        ("${data.flag ? 'yes' : 'no'}", "yes"),
        ('${data.amount > 1000 && data.name.startsWith("Sl")}', True),
        ("${data.name.replace('S', '$')}", "$lack"),
        ("${data.tags}", ["a", "b"]),
        ("plain text", "plain text"),
    ],
)
def test_templates(template: str, expected: object) -> None:
    assert evaluate(template, CONTEXT) == expected


@pytest.mark.parametrize("template", ["${data.name", "${data.name ==}", "${data.name.nope()}"])
def test_bad_expressions_raise(template: str) -> None:
    with pytest.raises(JuelError):
        evaluate(template, CONTEXT)


def test_java_style_regex_replacement() -> None:
    assert java_replace_all("2-High", "^(\\d)-(.*)$", "$2 ($1)") == "High (2)"

"""Megabytes of hostile text: recognition stays fast, reads a bounded prefix, and refuses risky regexes.

Every shape below is a long run of what one of recognition's patterns or loops repeats on, with a tail
that makes it fail. Each test is bounded with ``pytest.mark.timeout``; none measures time.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from target_leanix.recognition import (
    Catalog,
    CatalogError,
    RecognitionConfigError,
    RecognitionReport,
    RecognitionRules,
    Recognizer,
    clean_descriptor,
    normalize_descriptor,
    normalize_name,
)
from target_leanix.recognition.memo import MemoReader, memo_segments
from target_leanix.recognition.normalize import MAX_TEXT_CHARS, extract_domains

CLI = str(Path(sys.executable).with_name("target-leanix-recognize"))
MEGABYTE = 1_000_000


def _repeat(unit: str, tail: str = "") -> str:
    return unit * (MEGABYTE // len(unit)) + tail


# Runs each normalisation regex loops on; the tail is what makes the pattern fail at the end.
REGEX_SHAPES = {
    "one long word": _repeat("a", "!"),  # an e-mail's local part without its "@"
    "dotted word": _repeat("a.b+c-", "!"),
    "digits": _repeat("4", "!"),
    "japanese word": _repeat("サイボウズ", "!"),
    "spaces": "Acme" + _repeat(" ", "dbx"),  # "dba" after spaces; a spaced dash
    "tabs and spaces": "Acme" + _repeat("\t ", "x"),
    "dashes": "Acme" + _repeat("-", "x"),  # a dash before spaces
    "filler words": _repeat("a ", "cards"),  # "a ... personal card"
    "my own": _repeat("my own ", "cards"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", REGEX_SHAPES.values(), ids=REGEX_SHAPES.keys())
def test_normalisation_takes_linear_time_on_a_megabyte(text: str) -> None:
    # The normalisation functions have no length cap of their own: their patterns must be linear.
    assert clean_descriptor(text)
    normalize_descriptor(text)
    normalize_name(text)
    extract_domains(text)
    assert memo_segments(text)


# Runs the web-address, phone, reference and star patterns loop on.
OTHER_SHAPES = {
    "domain labels": _repeat("a.", "-"),
    "hyphenated label": _repeat("a-", ".c"),
    "phone digits": _repeat("+1 (", "555"),
    "invoice reference": "ref" + _repeat(" ", "x"),
    "stars": _repeat(" * ", "x"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", OTHER_SHAPES.values(), ids=OTHER_SHAPES.keys())
def test_address_phone_and_star_patterns_take_linear_time(text: str) -> None:
    clean_descriptor(text)
    normalize_descriptor(text)
    normalize_name(text)
    extract_domains(text)
    memo_segments(text)


# What the memo reader and the name matcher loop over: a name many times, or a name and endless filler.
ENTRY_SHAPES = {
    **REGEX_SHAPES,
    "a name many times": _repeat("zoom "),
    "a name before each clause": _repeat("design zoom for "),
    "a name and endless filler": "Miro" + _repeat(" software"),
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", ENTRY_SHAPES.values(), ids=ENTRY_SHAPES.keys())
def test_recognizer_reads_a_bounded_prefix_of_a_megabyte(text: str) -> None:
    recognizer = Recognizer()
    for match in (
        recognizer.match_descriptor(text),
        recognizer.match_vendor("V-1", text, website=text),
        recognizer.match_text(text),
    ):
        assert len(match.reason) < 4 * MAX_TEXT_CHARS
    assert recognizer.match_text(text) == Recognizer().match_text(text[:MAX_TEXT_CHARS])


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "memo", [_repeat("zoom "), _repeat("design zoom for ")], ids=["plain", "clauses"]
)
def test_memo_reader_takes_linear_time_on_a_megabyte(memo: str) -> None:
    reading = MemoReader(Catalog.builtin()).read(memo)
    assert reading.reason


@pytest.mark.timeout(20)
def test_a_realistic_memo_keeps_its_decision_when_padded() -> None:
    memo = "Notion Plus - paid on personal card"
    padded = memo + _repeat(" a")
    match = Recognizer().match_text(padded)
    assert match.service is not None
    assert match.service.key == "notion"
    assert match == Recognizer().match_text(padded[:MAX_TEXT_CHARS])


@pytest.mark.timeout(20)
def test_report_keeps_bounded_descriptors_and_names() -> None:
    report = RecognitionReport()
    descriptor = _repeat("a", "!")
    report.add_unattributed(descriptor, Decimal("1.00"), "usd")
    report.add_unattributed(descriptor[:MAX_TEXT_CHARS], Decimal("2.00"), "usd")
    block = report.as_dict()["unattributed"]["USD"]
    assert block["descriptors"] == 1  # the same text as recognition reads it
    assert block["total"] == Decimal("3.00")
    assert len(block["top"][0]["descriptor"]) == MAX_TEXT_CHARS
    name = _repeat("Acme ")
    report.add_ignored("V-1", name, Recognizer().match_vendor("V-1", name))
    assert report.as_dict()["ignored"][0]["vendor_name"] == name[:MAX_TEXT_CHARS]


def _catalog_with_descriptor(pattern: str) -> dict[str, Any]:
    return {
        "version": "1",
        "services": [
            {
                "key": "zendesk",
                "name": "Zendesk",
                "category": "Customer Support",
                "provider": "Zendesk, Inc.",
                "descriptors": [pattern],
            }
        ],
    }


@pytest.mark.timeout(20)
def test_descriptor_pattern_with_many_stars_takes_linear_time() -> None:
    patterns = Catalog(_catalog_with_descriptor("ZENDESK*A*B*C*D*")).patterns
    assert patterns.first_match(clean_descriptor("ZENDESK*" + _repeat("A"))) is None
    assert patterns.first_match(clean_descriptor("ZENDESK*" + _repeat("AB"))) is None
    found = patterns.first_match(clean_descriptor("ZENDESK* XA YB ZC D 1234"))
    assert found is not None
    assert found.target == "zendesk"


@pytest.mark.parametrize(
    "regex",
    [
        r"(a+)+$",  # nested quantifiers: exponential
        r"^(\w+\s?)*$",
        r"(?:inc|llc)+x",  # alternatives under a quantifier
        r"(a)\1",  # back-reference
        r"\d+\d+!",  # two unbounded quantifiers in a row: cubic with search
        r"zoom.*video.*inc",
        "a?" * 20 + "a" * 20,  # optional parts whose ways multiply
    ],
)
@pytest.mark.parametrize("key", ["include_patterns", "exclude_patterns"])
def test_user_regex_that_can_backtrack_badly_is_refused(key: str, regex: str) -> None:
    with pytest.raises(RecognitionConfigError) as caught:
        RecognitionRules.from_config({key: ["^zoom video", regex]})
    message = str(caught.value)
    assert message.startswith(f"recognition.{key}[1]: regular expression ")
    assert "could run too long" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("regex", "vendor"),
    [
        ("^ATLASSIAN", "Atlassian Pty Ltd"),
        ("^zoom video", "Zoom Video Communications, Inc."),
        (r"\bsoftware\b", "Acme Software GmbH"),
        ("ZOOM*", "Zoom Video Communications, Inc."),
        ("^(amzn|amazon).*mktp", "AMZN Mktp US"),
        (r"(?:the )?(?:acme|globex) (?:inc|llc)", "The Acme Inc"),
        (r"^acme\s++soft", "Acme Software GmbH"),
    ],
)
def test_ordinary_user_regexes_still_match(regex: str, vendor: str) -> None:
    recognizer = Recognizer(RecognitionRules.from_config({"exclude_patterns": [regex]}))
    match = recognizer.match_vendor("V-1", vendor)
    assert match.reason == f'user rule: exclude_patterns "{regex}"'


def test_catalog_regex_that_can_backtrack_badly_is_an_error() -> None:
    with pytest.raises(CatalogError) as caught:
        Catalog(_catalog_with_descriptor(r"re:^ZENDESK(\w+\s?)*$"), source="test.json")
    message = str(caught.value)
    assert "services[0] ('zendesk')" in message
    assert "could run too long" in message
    assert "\n" not in message


@pytest.mark.timeout(120)
def test_cli_answers_megabyte_lines_with_bounded_rows() -> None:
    lines = [
        *REGEX_SHAPES.values(),
        "a" * (50 * MEGABYTE),
        "V-1\t" + _repeat("Acme "),
        "ATLASSIAN* JIRA SYDNEY AU",
    ]
    result = subprocess.run(
        [CLI],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert len(rows) == len(lines)
    assert all(len(row) == 4 and len(row[0]) <= MAX_TEXT_CHARS for row in rows)
    assert rows[-1][:2] == ["ATLASSIAN* JIRA SYDNEY AU", "atlassian"]

"""The long-tail catalog: every entry cites its vendor's pages, none is copied from the long-tail holdout,
and the names it adds do not swallow ordinary merchants."""

from __future__ import annotations

import copy
import csv
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from target_leanix.recognition import Catalog, CatalogError, Recognizer
from target_leanix.recognition.normalize import extract_domains, normalize_name

DATA = Path(__file__).parent / "data"
LONGTAIL = DATA / "recognition_holdout_longtail.tsv"
# The catalog's name fields: a holdout line equal to one of them would be matched by copy, not by reading.
NAME_FIELDS = ("aliases", "legal_names", "products", "descriptors")


def _inputs(name: str) -> list[tuple[str, str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(row["kind"], row["input"], row["expected"]) for row in reader]


def _raw_catalog() -> dict[str, Any]:
    text = resources.files("target_leanix.recognition").joinpath("catalog.json").read_text("utf-8")
    raw: dict[str, Any] = json.loads(text)
    return raw


def _same_text(text: str) -> str:
    # Case, spacing and the card network's "*" aside, the same string.
    return " ".join(text.replace("*", " ").casefold().split())


def test_builtin_catalog_validates_and_every_new_entry_cites_a_source() -> None:
    catalog = Catalog.builtin()
    raw = _raw_catalog()
    unsourced = json.loads((DATA / "recognition_catalog_unsourced.json").read_text("utf-8"))
    legacy_keys = set(unsourced["services"])
    assert legacy_keys <= set(catalog.services)  # entries are never renamed
    added = [key for key in catalog.services if key not in legacy_keys]
    assert len(added) >= 300
    for key in added:
        assert catalog.sources[key], f"{key} cites no source"
        assert all(url.startswith("https://") for url in catalog.sources[key])
    legacy_patterns = set(unsourced["not_services"])
    new_guards = [entry for entry in raw["not_services"] if entry["pattern"] not in legacy_patterns]
    assert len(new_guards) >= 20
    for entry in new_guards:
        assert entry.get("sources"), f"not_services {entry['pattern']!r} cites no source"


def test_no_longtail_holdout_line_is_copied_into_the_catalog() -> None:
    lines = {_same_text(text) for _, text, _ in _inputs(LONGTAIL.name)}
    copied = [
        f"{service['key']}.{field}: {value!r}"
        for service in _raw_catalog()["services"]
        for field in NAME_FIELDS
        for value in service.get(field, [])
        if _same_text(value) in lines
    ]
    assert copied == []


def test_longtail_holdout_is_large_balanced_and_new() -> None:
    rows = _inputs(LONGTAIL.name)
    positives = [row for row in rows if row[2] != "none"]
    negatives = [row for row in rows if row[2] == "none"]
    assert len(positives) >= 200
    assert len(negatives) >= 150
    assert {kind for kind, _, _ in rows} == {"vendor", "descriptor", "memo"}
    assert len({(kind, text) for kind, text, _ in rows}) == len(rows)
    older = {
        text
        for name in ("recognition_eval.tsv", "recognition_holdout.tsv")
        for _, text, _ in _inputs(name)
    }
    assert [text for _, text, _ in rows if text in older] == []
    catalog = Catalog.builtin()
    assert {expected for _, _, expected in positives} <= set(catalog.services)


def test_every_catalog_domain_is_read_as_a_web_address() -> None:
    # A domain whose top-level part is not read as one ("obsidian.md") could never match a line.
    unread = [
        domain
        for domain in Catalog.builtin().domains
        if extract_domains(f"charge from {domain.upper()}") != [domain]
    ]
    assert unread == []


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Dixa ApS", "dixa"),
        ("Pleo Technologies A/S", "pleo technologies"),
        ("Phrase a.s.", "phrase"),
        ("Holded Technologies S.L.", "holded technologies"),
        ("Ejemplo Software S.L.U.", "ejemplo software"),
        ("Iberdrola Clientes S.A.U.", "iberdrola clientes"),
        ("BunnyWay d.o.o.", "bunnyway"),
        ("Przyklad sp. z o.o.", "przyklad"),
        ("Ejemplo S.A. de C.V.", "ejemplo"),
    ],
)
def test_european_and_latin_american_legal_forms_are_cut(name: str, normalised: str) -> None:
    assert normalize_name(name) == normalised


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("vendor", "SolarWinds Worldwide, LLC", "solarwinds"),
        ("descriptor", "PAPERTRAIL 855-555-0100 TX", "papertrail"),
        ("vendor", "Sinch AB", "sinch"),
        ("descriptor", "MESSAGEBIRD.COM AMSTERDAM", "messagebird"),
        ("vendor", "Everyday Software, S.L.", "factorial"),
        ("vendor", "Dynalist Inc.", "obsidian"),
        ("descriptor", "OBSIDIAN.MD 123456", "obsidian"),
        ("descriptor", "CRISP.CHAT 0412", "crisp"),
        ("vendor", "650 Industries, Inc.", "expo"),
        ("vendor", "Kandra Labs, Inc.", "zulip"),
        ("vendor", "株式会社ヌーラボ", "nulab"),
        ("vendor", "ContaAzul Software Ltda.", "conta-azul"),
        ("memo", "Backlog スタンダード 年間", "nulab"),
    ],
)
def test_long_tail_services_are_recognised(kind: str, text: str, expected: str) -> None:
    recognizer = Recognizer()
    if kind == "vendor":
        match = recognizer.match_vendor("V-1", text)
    elif kind == "memo":
        match = recognizer.match_text(text)
    else:
        match = recognizer.match_descriptor(text)
    assert match.service is not None, match.reason
    assert match.service.key == expected


@pytest.mark.parametrize(
    "text",
    [
        # Ordinary words that long-tail services are also called: the whole name must say it.
        "Builder Supply Co",
        "Platform Construction Ltd",
        "Bunny Bakery LLC",
        "Leonardo Hotels UK Ltd",
        "Kronos Foods Corp",
        "Bolt",
        "Clubhouse Golf Shop",
        "Backlog Bar & Grill",
        "Breathe Yoga Studio",
        "Abacus Wealth Partners",
        "Dinero Express",
        "Donuts Inc",
        "Incident Response Partners LLC",
        "Whereby Coffee",
        "Lambda Legal Defense",
        "Snowplow Removal Services",
    ],
)
def test_ordinary_merchants_named_like_long_tail_services_are_not_services(text: str) -> None:
    recognizer = Recognizer()
    assert recognizer.match_vendor("V-1", text).service is None
    assert recognizer.match_descriptor(text.upper()).service is None


@pytest.mark.parametrize(
    "descriptor",
    [
        "DELIVEROO *WAGAMAMA LONDON",
        "WOLT *SUSHI HELSINKI FI",
        "BOLT.EU/O/2512011234 TALLINN",
        "PAYPAL *EBAY INC 4029357733",
        "NETFLIX.COM 866-579-7172 CA",
        "BOOKING.COM*HOTEL 12345",
    ],
)
def test_delivery_rides_marketplaces_and_streaming_are_known_non_services(descriptor: str) -> None:
    match = Recognizer().match_descriptor(descriptor)
    assert match.service is None
    assert match.reason.startswith("known non-service")


def _one_service(**extra: Any) -> dict[str, Any]:
    service = {"key": "example", "name": "Example", "category": "AI", "provider": "Example Inc."}
    service.update(extra)
    return {"version": "1", "services": [service]}


@pytest.mark.parametrize(
    ("sources", "fragment"),
    [
        (["http://example.com/terms"], "not an https address"),
        (["example.com/terms"], "not an https address"),
        (["https://"], "not an https address"),
        (["https://example.com/terms", "https://example.com/terms"], "listed twice"),
        ("https://example.com/terms", "must be a list"),
    ],
)
def test_bad_sources_are_catalog_errors(sources: Any, fragment: str) -> None:
    with pytest.raises(CatalogError) as caught:
        Catalog(_one_service(sources=sources), source="test.json")
    assert fragment in str(caught.value)
    assert "'example'" in str(caught.value)


def test_not_services_may_cite_sources_and_nothing_else() -> None:
    raw = _one_service(sources=["https://example.com/legal"])
    raw["not_services"] = [
        {"pattern": "WOLT*", "reason": "food delivery", "sources": ["https://wolt.com/en/about"]}
    ]
    assert Recognizer(catalog=Catalog(raw)).match_descriptor("WOLT *PIZZA").service is None
    bad = copy.deepcopy(raw)
    bad["not_services"][0]["sources"] = ["ftp://wolt.com"]
    with pytest.raises(CatalogError, match="not an https address"):
        Catalog(bad)
    bad["not_services"][0] = {"pattern": "WOLT*", "reason": "food delivery", "url": "x"}
    with pytest.raises(CatalogError, match="'pattern' and 'reason'"):
        Catalog(bad)

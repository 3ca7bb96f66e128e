"""The built-in catalog of SaaS and cloud services: loading, validation and lookup indexes.

The data lives in ``catalog.json`` next to this module (see README.md there for how to add an entry). It is
read and validated once per process (``Catalog.builtin()``); every structural problem - an unknown field,
an alias that two services claim, a pattern that does not compile - is a ``CatalogError`` naming the entry.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from target_leanix.recognition.errors import CatalogError
from target_leanix.recognition.models import Service
from target_leanix.recognition.normalize import (
    compact,
    domain_suffixes,
    fold,
    glue_stars,
    normalize_name,
)
from target_leanix.recognition.patterns import (
    CompiledPattern,
    PatternError,
    PatternSet,
    compile_pattern,
)

_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_DOMAIN_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,12}$")
_SERVICE_FIELDS = frozenset(
    {
        "key",
        "name",
        "category",
        "provider",
        "domains",
        "aliases",
        "legal_names",
        "descriptors",
        "products",
        "common_word_name",
        "generic_name",
        "sources",
    }
)
# A source is the vendor's own page that states what the entry says (legal name, domain, product names,
# what the card statement shows): an https address with a host name, nothing to run or fetch here.
_SOURCE_RE = re.compile(r"^https://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,12}(?:[/?#]\S*)?$")
_TOP_FIELDS = frozenset({"_comment", "version", "reseller_prefixes", "not_services", "services"})
# A single-token alias this short ("aws", "xero", "zoho") is matched only as the whole name, never as the
# first word of a longer one: short words collide with unrelated merchants.
_MIN_PREFIX_TOKEN_LEN = 5
_MIN_TRUNCATION_LEN = 8


@dataclass(frozen=True)
class AliasHit:
    """One indexed alias: which service, the alias as written, and how it may be used."""

    key: str
    alias: str
    normalised: str


@dataclass(frozen=True)
class ResellerPrefix:
    """A card reseller's prefix (`PAYPAL *`): the merchant is what follows it."""

    regex: re.Pattern[str]
    name: str


def _require_str(entry: Mapping[str, Any], field: str, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{where}: field {field!r} must be a non-empty string")
    return value.strip()


def _str_list(entry: Mapping[str, Any], field: str, where: str) -> list[str]:
    value = entry.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CatalogError(f"{where}: field {field!r} must be a list of non-empty strings")
    return [v.strip() for v in value]


def _bool(entry: Mapping[str, Any], field: str, where: str) -> bool:
    value = entry.get(field, False)
    if not isinstance(value, bool):
        raise CatalogError(f"{where}: field {field!r} must be true or false")
    return value


def _sources(entry: Mapping[str, Any], where: str) -> tuple[str, ...]:
    sources = tuple(_str_list(entry, "sources", where))
    for url in sources:
        if not _SOURCE_RE.match(url):
            raise CatalogError(f"{where}: source {url!r} is not an https address")
    if len(set(sources)) != len(sources):
        raise CatalogError(f"{where}: a source is listed twice")
    return sources


class Catalog:
    """Validated services plus the indexes the recognizer looks them up in."""

    def __init__(self, raw: Mapping[str, Any], *, source: str = "catalog") -> None:
        if not isinstance(raw, Mapping):
            raise CatalogError(f"{source}: the catalog must be a JSON object")
        unknown = sorted(set(raw) - _TOP_FIELDS)
        if unknown:
            raise CatalogError(f"{source}: unknown top-level field {unknown[0]!r}")
        self.source = source
        self.version = _require_str(raw, "version", source)
        services_raw = raw.get("services")
        if not isinstance(services_raw, list) or not services_raw:
            raise CatalogError(f"{source}: 'services' must be a non-empty list")

        self.services: dict[str, Service] = {}
        self.common_word: set[str] = set()
        self.generic: set[str] = set()
        self.raw_aliases: dict[str, AliasHit] = {}  # casefolded alias as written -> hit
        self.names: dict[str, AliasHit] = {}  # normalised alias -> hit
        self.compacts: dict[str, AliasHit] = {}  # normalised alias without spaces -> hit
        self.prefixes: dict[str, AliasHit] = {}  # aliases that may open a longer name
        self.domains: dict[str, str] = {}
        # Normalised product names ("kintone", "confluence") -> the product as written, for reasons.
        self.products: dict[str, str] = {}
        # Per service, the words of its multi-word names and products ("webinars", "workplace", "ai"):
        # after a common-word name in an expense memo they say the service is meant, as plan words do.
        self.service_words: dict[str, frozenset[str]] = {}
        # Per service, the vendor pages its entry was written from (empty for entries older than the field).
        self.sources: dict[str, tuple[str, ...]] = {}
        self._alias_owner: dict[str, tuple[str, str]] = {}
        patterns: list[CompiledPattern] = []

        for index, entry in enumerate(services_raw):
            where = f"{source}: services[{index}]"
            if not isinstance(entry, Mapping):
                raise CatalogError(f"{where}: each service must be a JSON object")
            patterns.extend(self._add_service(entry, where))

        self._max_prefix_tokens = max(len(n.split()) for n in self.prefixes) if self.prefixes else 1
        self.max_name_tokens = max(len(n.split()) for n in self.names)
        self.truncation_index: list[tuple[str, str]] = sorted(
            (c, hit.key) for c, hit in self.compacts.items() if len(c) > _MIN_TRUNCATION_LEN
        )
        fuzzy = [
            hit
            for name, hit in self.names.items()
            if len(name) >= 6 and not (hit.key in self.common_word and " " not in name)
        ]
        self.fuzzy_hits: list[AliasHit] = fuzzy
        self.fuzzy_choices: list[str] = [hit.normalised for hit in fuzzy]
        self.patterns = PatternSet(self._check_pattern_duplicates(patterns))
        self.not_services = PatternSet(self._load_not_services(raw.get("not_services", []), source))
        self.reseller_prefixes = self._load_resellers(raw.get("reseller_prefixes", []), source)

    # -- loading -------------------------------------------------------------------------------------

    def _add_service(self, entry: Mapping[str, Any], where: str) -> list[CompiledPattern]:
        unknown = sorted(set(entry) - _SERVICE_FIELDS)
        key = entry.get("key")
        if isinstance(key, str):
            where = f"{where} ({key!r})"
        if unknown:
            raise CatalogError(f"{where}: unknown field {unknown[0]!r}")
        key = _require_str(entry, "key", where)
        if not _KEY_RE.match(key):
            raise CatalogError(f"{where}: key must be a lower-case slug (a-z, 0-9, -)")
        if key in self.services:
            raise CatalogError(f"{where}: duplicate service key {key!r}")
        name = _require_str(entry, "name", where)
        domains = tuple(d.lower() for d in _str_list(entry, "domains", where))
        for domain in domains:
            if not _DOMAIN_RE.match(domain):
                raise CatalogError(f"{where}: {domain!r} is not a domain name")
            owner = self.domains.get(domain)
            if owner is not None:
                raise CatalogError(f"{where}: domain {domain!r} is already claimed by {owner!r}")
            self.domains[domain] = key
        self.services[key] = Service(
            key=key,
            name=name,
            category=_require_str(entry, "category", where),
            provider=_require_str(entry, "provider", where),
            domains=domains,
        )
        self.sources[key] = _sources(entry, where)
        if _bool(entry, "common_word_name", where):
            self.common_word.add(key)
        if _bool(entry, "generic_name", where):
            self.generic.add(key)
            self.common_word.add(key)

        aliases = [
            name,
            *_str_list(entry, "aliases", where),
            *_str_list(entry, "legal_names", where),
        ]
        for alias in aliases:
            self._add_alias(key, alias, where)
        self._add_products(key, name, aliases, _str_list(entry, "products", where), where)

        compiled: list[CompiledPattern] = []
        for pattern in _str_list(entry, "descriptors", where):
            try:
                compiled.append(compile_pattern(pattern, key))
            except PatternError as exc:
                raise CatalogError(f"{where}: descriptor {pattern!r}: {exc}") from exc
        return compiled

    def _add_products(
        self, key: str, name: str, aliases: list[str], products: list[str], where: str
    ) -> None:
        """Index products like aliases (a product's own name identifies the service on any line), and
        collect the words of the service's multi-word names for reading expense memos."""
        for product in products:
            self._add_alias(key, product, where, product=True)
            self.products.setdefault(normalize_name(product), product)
        own = set(normalize_name(name).split())
        self.service_words[key] = frozenset(
            word
            for written in (*aliases, *products)
            if " " in (normalised := normalize_name(written))
            for word in normalised.split()
            if word not in own
        )

    def _add_alias(self, key: str, alias: str, where: str, *, product: bool = False) -> None:
        normalised = normalize_name(alias)
        if not normalised:
            raise CatalogError(f"{where}: alias {alias!r} normalises to nothing")
        owner = self._alias_owner.get(normalised)
        if owner is not None and owner[0] != key:
            raise CatalogError(
                f"{where}: alias {alias!r} collides with {owner[1]!r} of service {owner[0]!r} "
                f"(both normalise to {normalised!r})"
            )
        squashed = compact(normalised)
        clash = self.compacts.get(squashed)
        if clash is not None and clash.key != key:
            raise CatalogError(
                f"{where}: alias {alias!r} collides with {clash.alias!r} of service {clash.key!r} "
                f"(both read {squashed!r} without spaces)"
            )
        self._alias_owner.setdefault(normalised, (key, alias))
        hit = AliasHit(key, alias, normalised)
        self.raw_aliases.setdefault(fold(alias).strip(), hit)
        self.names.setdefault(normalised, hit)
        self.compacts.setdefault(squashed, hit)
        single = " " not in normalised
        # A one-word product ("Confluence", "Acrobat") is often another company's name too ("Confluence
        # Health"): it names the service alone or with plan words, never as the start of a longer name.
        may_open = not single or (
            len(normalised) >= _MIN_PREFIX_TOKEN_LEN and key not in self.common_word and not product
        )
        if may_open:
            self.prefixes.setdefault(normalised, hit)

    @staticmethod
    def _check_pattern_duplicates(patterns: list[CompiledPattern]) -> list[CompiledPattern]:
        seen: dict[str, str] = {}
        for pattern in patterns:
            canonical = pattern.source.upper().replace(" ", "")
            owner = seen.get(canonical)
            if owner is not None and owner != pattern.target:
                raise CatalogError(
                    f"descriptor pattern {pattern.source!r} is claimed by both {owner!r} and "
                    f"{pattern.target!r}"
                )
            seen[canonical] = pattern.target
        return patterns

    @staticmethod
    def _load_not_services(raw: object, source: str) -> list[CompiledPattern]:
        if not isinstance(raw, list):
            raise CatalogError(f"{source}: 'not_services' must be a list")
        compiled = []
        for index, entry in enumerate(raw):
            where = f"{source}: not_services[{index}]"
            if not isinstance(entry, Mapping) or not (
                {"pattern", "reason"} <= set(entry) <= {"pattern", "reason", "sources"}
            ):
                raise CatalogError(
                    f"{where}: each entry needs 'pattern' and 'reason' (and may cite 'sources')"
                )
            _sources(entry, where)
            pattern = _require_str(entry, "pattern", where)
            try:
                compiled.append(compile_pattern(pattern, _require_str(entry, "reason", where)))
            except PatternError as exc:
                raise CatalogError(f"{where}: {exc}") from exc
        return compiled

    @staticmethod
    def _load_resellers(raw: object, source: str) -> list[ResellerPrefix]:
        if not isinstance(raw, list):
            raise CatalogError(f"{source}: 'reseller_prefixes' must be a list")
        prefixes = []
        for index, entry in enumerate(raw):
            where = f"{source}: reseller_prefixes[{index}]"
            if not isinstance(entry, Mapping) or set(entry) != {"pattern", "name"}:
                raise CatalogError(f"{where}: each entry needs exactly 'pattern' and 'name'")
            pattern = _require_str(entry, "pattern", where)
            literal = glue_stars(pattern.upper()).replace("*", "").strip()
            if not literal or not literal[0].isalnum():
                raise CatalogError(
                    f"{where}: pattern {pattern!r} must start with a letter or digit"
                )
            # The reseller's name, a word boundary, then its "*" or spaces: what follows is the merchant.
            regex = re.compile("^" + re.escape(literal) + r"(?![A-Z0-9])[\s*]*(?=\S)")
            prefixes.append(ResellerPrefix(regex, _require_str(entry, "name", where)))
        prefixes.sort(key=lambda p: len(p.regex.pattern), reverse=True)
        return prefixes

    # -- constructors ------------------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | Path) -> Catalog:
        """Load a catalog JSON file; unreadable or invalid files raise CatalogError."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogError(f"{path}: cannot read the catalog: {exc.strerror or exc}") from exc
        return cls.from_json(text, source=str(path))

    @classmethod
    def from_json(cls, text: str, *, source: str = "catalog") -> Catalog:
        """Parse a catalog from JSON text; `source` names it in errors."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogError(f"{source}: not valid JSON: {exc}") from exc
        return cls(raw, source=source)

    @staticmethod
    def builtin() -> Catalog:
        """The catalog shipped with the package, loaded and validated once per process."""
        return _builtin_catalog()

    # -- lookups -------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.services)

    def get(self, key: str) -> Service | None:
        """The catalog service with this key (`slack`), or None for a key not in the catalog."""
        return self.services.get(key)

    def service_for_domain(self, hosts: Iterable[str]) -> tuple[Service, str] | None:
        """The service owning the first host's domain or parent domain, and the suffix matched."""
        for host in hosts:
            for suffix in domain_suffixes(host):
                key = self.domains.get(suffix)
                if key is not None:
                    return self.services[key], suffix
        return None

    def longest_prefix_alias(self, tokens: list[str]) -> AliasHit | None:
        """The longest alias that opens ``tokens`` and may be followed by more words."""
        for n in range(min(len(tokens) - 1, self._max_prefix_tokens), 0, -1):
            hit = self.prefixes.get(" ".join(tokens[:n]))
            if hit is not None:
                return hit
        return None

    def truncated_alias(self, squashed: str) -> str | None:
        """The one service whose alias starts with ``squashed`` (a name cut short by the card network)."""
        if len(squashed) < _MIN_TRUNCATION_LEN:
            return None
        start = bisect.bisect_left(self.truncation_index, (squashed, ""))
        keys = set()
        for candidate, key in self.truncation_index[start:]:
            if not candidate.startswith(squashed):
                break
            keys.add(key)
            if len(keys) > 1:
                return None
        if len(keys) != 1:
            return None
        key = keys.pop()
        if key in self.common_word:
            # "notionla" may only stand for "notion labs" if it is clearly longer than the bare word.
            shortest = min((c for c, hit in self.compacts.items() if hit.key == key), key=len)
            if len(squashed) < len(shortest) + 2:
                return None
        return key


@cache
def _builtin_catalog() -> Catalog:
    text = resources.files("target_leanix.recognition").joinpath("catalog.json").read_text("utf-8")
    return Catalog.from_json(text, source="target_leanix/recognition/catalog.json")

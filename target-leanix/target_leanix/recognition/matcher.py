"""Recognition: vendor names and card descriptors -> catalog services, with user rules on top.

Order of evidence, strongest first (the first that decides wins):

vendor  : exclude_vendor_ids, vendor_services, include_vendor_ids, exclude_patterns, include_patterns,
          known non-services, exact alias, normalised alias, alias without spaces, domain (website or
          name), descriptor pattern, alias opening the name, truncated alias, fuzzy, software GL account.
descriptor: exclude_patterns, known non-services, reseller prefix (PayPal, Paddle, ...) stripped and
          non-services checked again, descriptor pattern, domain, normalised alias, alias without spaces,
          alias opening the name, truncated alias, fuzzy.
text    : (expense memos) vendor and descriptor readings; a meal/travel memo overrules their catalog
          evidence short of an exact name; else the memo reading (memo.py): plan words, products, noise.

Results are memoised per Recognizer: by the raw string first, then by the cleaned descriptor, so a card
feed where the same merchant repeats thousands of times costs one dictionary lookup per line.

Each public method reads only the first ``MAX_TEXT_CHARS`` characters of its text (``normalize.clip``;
``normalize.py`` says why that many), so no input, however long, makes one call slow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

from rapidfuzz import fuzz, process

from target_leanix.recognition.catalog import AliasHit, Catalog
from target_leanix.recognition.memo import MemoReader, MemoReading
from target_leanix.recognition.models import Match, Service
from target_leanix.recognition.normalize import (
    CORPORATE_FILLER,
    clean_descriptor,
    clip,
    compact,
    extract_domains,
    fold,
    name_slug,
    normalize_descriptor,
    normalize_name,
)
from target_leanix.recognition.rules import RecognitionRules

CONFIDENCE_EXACT = 1.0
CONFIDENCE_NORMALISED = 0.97
CONFIDENCE_PATTERN = 0.97
CONFIDENCE_COMPACT = 0.95
CONFIDENCE_DOMAIN = 0.95
CONFIDENCE_NOT_SERVICE = 0.95
CONFIDENCE_PREFIX = 0.9
CONFIDENCE_TRUNCATED = 0.85
CONFIDENCE_CANDIDATE = 0.6
CONFIDENCE_MEMO = 0.9
CONFIDENCE_MEMO_GUARDED = 0.85
CONFIDENCE_MEMO_VETO = 0.9
UNCATEGORISED = "Uncategorized"

_MIN_FUZZY_LEN = 6
# Entries per cache: card descriptors carry store and order numbers, so a long feed is mostly new
# strings; a bound keeps memory flat however long the input (repeats are cached again at once).
_CACHE_LIMIT = 4_000
# "Mango Technologies, Inc. dba ClickUp": the trading name after "dba" is what the catalog knows. Tried
# only where a run of spaces starts, and keeping the whole run: tried at every space of a long run, the
# plain "\s+" took time quadratic in its length.
_DBA_RE = re.compile(
    r"(?<!\s)\s++(?:d/?b/?a|t/a|trading as|doing business as)\.?\s++", re.IGNORECASE
)
_K = TypeVar("_K")
_V = TypeVar("_V")


def user_service_key(name: str) -> str:
    """The key of a service named only by a user rule: ``user:`` and the name's slug (``name_slug``)."""
    return f"user:{name_slug(name)}"


def candidate_key(vendor_id: str, display_name: str) -> str:
    """The key of a candidate service: ``candidate:<vendor id>``, or for a vendor without an ID
    ``candidate-name:<slug of its name>``, a namespace of its own, so no name equals another's ID."""
    if vendor_id:
        return f"candidate:{vendor_id}"
    return f"candidate-name:{name_slug(display_name)}"


class Recognizer:
    """Matches vendors and card descriptors to services; safe to share, not to mutate."""

    def __init__(
        self, rules: RecognitionRules | None = None, catalog: Catalog | None = None
    ) -> None:
        self.rules = rules if rules is not None else RecognitionRules()
        self.catalog = catalog if catalog is not None else Catalog.builtin()
        self._fuzzy_cutoff = self.rules.fuzzy_threshold * 100
        self._mapped = {
            vendor_id: self._resolve_user_service(value)
            for vendor_id, value in self.rules.vendor_services.items()
        }
        self._fuzzy_windows: dict[int, tuple[list[str], list[AliasHit]]] = {}
        self._vendor_cache: dict[tuple[str, str | None, bool], Match] = {}
        self._descriptor_cache: dict[str, Match] = {}
        self._cleaned_cache: dict[str, Match] = {}
        # Card lines for one merchant differ in references and tails; after normalisation they meet here.
        self._name_cache: dict[str, Match | None] = {}
        self._memo_reader = MemoReader(self.catalog)
        self._memo_cache: dict[str, MemoReading] = {}

    # -- public API -------------------------------------------------------------------------------------

    def match_vendor(
        self,
        vendor_id: str,
        name: str,
        *,
        gl_accounts: Iterable[str] = (),
        website: str | None = None,
    ) -> Match:
        """Is this Intacct vendor a service, and which one?"""
        name = clip(name or "")  # Intacct vendors without a NAME exist; they simply match nothing
        website = clip(website) if website else website
        rules = self.rules
        if vendor_id in rules.exclude_vendor_ids:
            return Match(None, 1.0, f"user rule: exclude_vendor_ids {vendor_id}")
        mapped = self._mapped.get(vendor_id)
        if mapped is not None:
            value = rules.vendor_services[vendor_id]
            return Match(mapped, 1.0, f"user rule: vendor_services {vendor_id} -> {value}")
        if vendor_id and vendor_id in rules.include_vendor_ids:
            return self._forced(
                vendor_id, name, website, f"user rule: include_vendor_ids {vendor_id}"
            )
        excluded = rules.matching_exclude(name)
        if excluded is not None:
            return Match(None, 1.0, f'user rule: exclude_patterns "{excluded}"')
        included = rules.matching_include(name)
        if included is not None:
            return self._forced(
                vendor_id, name, website, f'user rule: include_patterns "{included}"'
            )

        match = self._vendor_catalog_match(name, website, honour_not_services=True)
        if match.service is not None or match.confidence > 0:
            return match
        software = sorted({str(a) for a in gl_accounts} & rules.software_gl_accounts)
        if software:
            return Match(
                self._candidate(vendor_id, name, website),
                CONFIDENCE_CANDIDATE,
                f"software GL account {software[0]}; not in the catalog, so a candidate service",
            )
        return match

    def match_descriptor(self, descriptor: str) -> Match:
        """Which service, if any, does this card statement line pay for?"""
        descriptor = clip(descriptor or "")
        cached = self._descriptor_cache.get(descriptor)
        if cached is not None:
            return cached
        cleaned = clean_descriptor(descriptor)
        match = self._cleaned_cache.get(cleaned)
        if match is None:
            match = self._match_cleaned_descriptor(descriptor, cleaned)
            self._remember(self._cleaned_cache, cleaned, match)
        self._remember(self._descriptor_cache, descriptor, match)
        return match

    def match_text(self, text: str) -> Match:
        """Best reading of text of unknown kind: a vendor name, a card line or an expense-report memo.

        Vendor-name and descriptor matching speak first, but a memo about meals, lodging or travel
        ("Datadog dinner", "Zoom call with client - lunch") overrules anything short of a user rule or
        the exact name: no catalog name contains such a word, so the word is about the expense, not the
        payee. When neither finds anything, the memo reading (plan words, products, memo noise; see
        ``memo.py``) decides.
        """
        text = clip(text or "")
        as_vendor = self.match_vendor("", text)
        as_descriptor = self.match_descriptor(text)
        if as_vendor.service is not None and as_descriptor.service is not None:
            best = as_vendor if as_vendor.confidence >= as_descriptor.confidence else as_descriptor
        elif as_vendor.service is not None:
            best = as_vendor
        elif as_descriptor.service is not None:
            best = as_descriptor
        else:
            best = as_descriptor if as_descriptor.confidence >= as_vendor.confidence else as_vendor
        if best.service is None and best.confidence > 0:
            return best  # a user rule or a known non-service decided it
        reading = self._read_memo(text)
        if best.service is not None:
            if reading.vetoed_by is not None and best.confidence < CONFIDENCE_EXACT:
                return Match(
                    None, CONFIDENCE_MEMO_VETO, f"{reading.reason}, not {best.service.name}"
                )
            return best
        if reading.hit is None:
            # A memo about meals, lodging or travel is known not to be software (the run summary
            # reports it apart); otherwise nothing named a service: still "no match" (0.0).
            known = CONFIDENCE_MEMO_VETO if reading.vetoed_by is not None else 0.0
            return Match(None, known, f"{best.reason}; {reading.reason}")
        hit = reading.hit
        guarded = " " not in hit.normalised and hit.key in self.catalog.common_word
        return Match(
            self.catalog.services[hit.key],
            CONFIDENCE_MEMO_GUARDED if guarded else CONFIDENCE_MEMO,
            reading.reason,
        )

    def _read_memo(self, text: str) -> MemoReading:
        reading = self._memo_cache.get(text)
        if reading is None:
            reading = self._memo_reader.read(text)
            self._remember(self._memo_cache, text, reading)
        return reading

    # -- vendors -----------------------------------------------------------------------------------

    def _forced(self, vendor_id: str, name: str, website: str | None, rule: str) -> Match:
        found = self._vendor_catalog_match(name, website, honour_not_services=False)
        if found.service is not None:
            return Match(found.service, 1.0, f"{rule}; {found.reason}")
        return Match(
            self._candidate(vendor_id, name, website),
            1.0,
            f"{rule}; not in the catalog, so a candidate service",
        )

    def _vendor_catalog_match(
        self, name: str, website: str | None, *, honour_not_services: bool
    ) -> Match:
        key = (name, website, honour_not_services)
        cached = self._vendor_cache.get(key)
        if cached is None:
            cached = self._match_vendor_name(name, website, honour_not_services=honour_not_services)
            self._remember(self._vendor_cache, key, cached)
        return cached

    def _match_vendor_name(
        self, name: str, website: str | None, *, honour_not_services: bool
    ) -> Match:
        catalog = self.catalog
        cleaned = clean_descriptor(name)
        if honour_not_services:
            known = catalog.not_services.first_match(cleaned)
            if known is not None:
                return Match(
                    None,
                    CONFIDENCE_NOT_SERVICE,
                    f'known non-service "{known.source}": {known.target}',
                )
        parts = [p for p in reversed(_DBA_RE.split(name)) if p.strip()]
        if len(parts) > 1:
            parts.append(name)
        for part in parts:
            found = self._by_name(part, normalize_name(part), descriptor=False)
            if found is not None:
                return found
        hosts = extract_domains(website or "") + extract_domains(name)
        by_domain = catalog.service_for_domain(hosts)
        if by_domain is not None:
            return Match(by_domain[0], CONFIDENCE_DOMAIN, f'domain "{by_domain[1]}"')
        pattern = catalog.patterns.first_match(cleaned)
        if pattern is not None:
            service = catalog.services[pattern.target]
            return Match(service, CONFIDENCE_PATTERN, f'descriptor pattern "{pattern.source}"')
        for part in parts:
            found = self._by_name_loosely(normalize_name(part), descriptor=False)
            if found is not None:
                return found
        return Match(None, 0.0, f'no catalog match for "{normalize_name(name)}"')

    def _candidate(self, vendor_id: str, name: str, website: str | None) -> Service:
        display = " ".join(name.split()) or vendor_id
        hosts = tuple(dict.fromkeys(extract_domains(website or "")))
        return Service(
            key=candidate_key(vendor_id, display),
            name=display,
            category=UNCATEGORISED,
            provider=display,
            domains=hosts,
            candidate=True,
        )

    def _resolve_user_service(self, value: str) -> Service:
        catalog = self.catalog
        service = catalog.get(value) or catalog.get(value.strip().lower())
        if service is not None:
            return service
        hit = catalog.names.get(normalize_name(value))
        if hit is not None:
            return catalog.services[hit.key]
        return Service(
            key=user_service_key(value), name=value, category=UNCATEGORISED, provider=value
        )

    # -- descriptors -------------------------------------------------------------------------------------

    def _match_cleaned_descriptor(self, raw: str, cleaned: str) -> Match:
        catalog = self.catalog
        excluded = self.rules.matching_exclude(raw)
        if excluded is not None:
            return Match(None, 1.0, f'user rule: exclude_patterns "{excluded}"')
        known = catalog.not_services.first_match(cleaned)
        if known is not None:
            return Match(
                None, CONFIDENCE_NOT_SERVICE, f'known non-service "{known.source}": {known.target}'
            )
        rest, via = cleaned, ""
        for prefix in catalog.reseller_prefixes:
            opened = prefix.regex.match(cleaned)
            if opened is not None:
                rest, via = cleaned[opened.end() :], f" (sold through {prefix.name})"
                known = catalog.not_services.first_match(rest)
                if known is not None:
                    return Match(
                        None,
                        CONFIDENCE_NOT_SERVICE,
                        f'known non-service "{known.source}"{via}: {known.target}',
                    )
                break
        pattern = catalog.patterns.first_match(rest)
        if pattern is not None:
            service = catalog.services[pattern.target]
            return Match(service, CONFIDENCE_PATTERN, f'descriptor pattern "{pattern.source}"{via}')
        by_domain = catalog.service_for_domain(extract_domains(rest))
        if by_domain is not None:
            return Match(by_domain[0], CONFIDENCE_DOMAIN, f'domain "{by_domain[1]}"{via}')
        normalised = normalize_descriptor(rest)
        if normalised in self._name_cache:
            found = self._name_cache[normalised]
        else:
            found = self._by_name(rest, normalised, descriptor=True) or self._by_name_loosely(
                normalised, descriptor=True
            )
            self._remember(self._name_cache, normalised, found)
        if found is not None:
            return Match(found.service, found.confidence, found.reason + via) if via else found
        return Match(None, 0.0, f'no catalog match for "{normalised}"')

    # -- shared name matching ----------------------------------------------------------------------

    def _usable(self, hit: AliasHit | None, *, descriptor: bool) -> bool:
        if hit is None:
            return False
        # On a card line a bare generic word ("BOX", "FRONT", "PILOT") is some other merchant far more
        # often than the service; such services are recognised there by legal name, domain or pattern.
        return not (descriptor and hit.key in self.catalog.generic and " " not in hit.normalised)

    def _by_name(self, raw: str, normalised: str, *, descriptor: bool) -> Match | None:
        catalog = self.catalog
        if not normalised:
            return None
        if not descriptor:
            hit = catalog.raw_aliases.get(fold(raw).strip())
            if hit is not None:
                return Match(
                    catalog.services[hit.key], CONFIDENCE_EXACT, f'exact alias "{hit.alias}"'
                )
        hit = catalog.names.get(normalised)
        if hit is not None and self._usable(hit, descriptor=descriptor):
            return Match(
                catalog.services[hit.key],
                CONFIDENCE_NORMALISED,
                f'normalised alias "{hit.alias}" (as "{normalised}")',
            )
        hit = catalog.compacts.get(compact(normalised))
        if hit is not None and self._usable(hit, descriptor=descriptor):
            return Match(
                catalog.services[hit.key],
                CONFIDENCE_COMPACT,
                f'alias "{hit.alias}" written without spaces (as "{normalised}")',
            )
        return None

    def _by_name_loosely(self, normalised: str, *, descriptor: bool) -> Match | None:
        catalog = self.catalog
        if not normalised:
            return None
        tokens = normalised.split()
        if len(tokens) > 1:
            hit = catalog.longest_prefix_alias(tokens)
            if hit is not None and self._usable(hit, descriptor=descriptor):
                return Match(
                    catalog.services[hit.key],
                    CONFIDENCE_PREFIX,
                    f'name "{normalised}" opens with alias "{hit.alias}"',
                )
            found = self._name_plus_filler(tokens, normalised, descriptor=descriptor)
            if found is not None:
                return found
        key = catalog.truncated_alias(compact(normalised))
        if key is not None:
            service = catalog.services[key]
            return Match(
                service, CONFIDENCE_TRUNCATED, f'"{normalised}" is {service.name} cut short'
            )
        if len(normalised) >= _MIN_FUZZY_LEN:
            choices, hits = self._fuzzy_window(len(normalised))
            best = process.extractOne(
                normalised, choices, scorer=fuzz.ratio, score_cutoff=self._fuzzy_cutoff
            )
            if best is not None:
                _, score, index = best
                hit = hits[index]
                similarity = round(score / 100, 3)
                return Match(
                    catalog.services[hit.key],
                    similarity,
                    f'fuzzy {similarity:.2f} to "{hit.alias}"',
                )
        return None

    def _fuzzy_window(self, length: int) -> tuple[list[str], list[AliasHit]]:
        """Aliases whose length lets their ratio to a ``length``-character name reach the threshold.

        ratio = 2*LCS/(a+b) <= 2*min(a,b)/(a+b), so lengths outside [a*t/(2-t), a*(2-t)/t] cannot match
        and need not be scored.
        """
        window = self._fuzzy_windows.get(length)
        if window is None:
            t = self.rules.fuzzy_threshold
            low = length * t / (2 - t)
            high = length * (2 - t) / t if t > 0 else float("inf")
            hits = [h for h in self.catalog.fuzzy_hits if low <= len(h.normalised) <= high]
            window = self._fuzzy_windows[length] = ([h.normalised for h in hits], hits)
        return window

    def _name_plus_filler(
        self, tokens: list[str], normalised: str, *, descriptor: bool
    ) -> Match | None:
        """A common-word name followed only by corporate filler: "miro software", "asana ireland"."""
        catalog = self.catalog
        filler_from = len(tokens)  # tokens[filler_from:] are all corporate filler
        while filler_from > 1 and tokens[filler_from - 1] in CORPORATE_FILLER:
            filler_from -= 1
        # No catalog name is longer than max_name_tokens words: longer openings need not be looked up.
        for n in range(min(len(tokens) - 1, catalog.max_name_tokens), filler_from - 1, -1):
            hit = catalog.names.get(" ".join(tokens[:n]))
            if (
                hit is not None
                and hit.key not in catalog.generic
                and self._usable(hit, descriptor=descriptor)
            ):
                extra = " ".join(tokens[n:])
                return Match(
                    catalog.services[hit.key],
                    CONFIDENCE_PREFIX,
                    f'name "{normalised}" is alias "{hit.alias}" plus "{extra}"',
                )
        return None

    @staticmethod
    def _remember(cache: dict[_K, _V], key: _K, match: _V) -> None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = match

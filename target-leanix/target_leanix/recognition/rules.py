"""User rules from the target's ``recognition`` config object; they beat the catalog."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from target_leanix.recognition.errors import RecognitionConfigError
from target_leanix.recognition.patterns import regex_hazard

DEFAULT_FUZZY_THRESHOLD = 0.90

_ID_LIST = {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}
_REGEX_LIST = {"type": "array", "items": {"type": "string", "minLength": 1}}
_REGEX_LIMITS = (
    " Refused if it could backtrack badly: nested quantifiers, back-references, or more than one "
    "unbounded quantifier (*, +, {n,})."
)

RECOGNITION_CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": (
        "Which Intacct vendors and card lines are SaaS services. User rules beat the built-in catalog: "
        "exclusions first, then the explicit vendor map, then inclusions."
    ),
    "properties": {
        "include_vendor_ids": {
            **_ID_LIST,
            "description": "Vendor IDs that are always services (catalog match, else a candidate).",
        },
        "exclude_vendor_ids": {**_ID_LIST, "description": "Vendor IDs that are never services."},
        "include_patterns": {
            **_REGEX_LIST,
            "description": "Regexes (case-insensitive) on the vendor name that force 'is a service'."
            + _REGEX_LIMITS,
        },
        "exclude_patterns": {
            **_REGEX_LIST,
            "description": (
                "Regexes (case-insensitive) on vendor name or card descriptor: never a service."
                + _REGEX_LIMITS
            ),
        },
        "vendor_services": {
            "type": "object",
            "additionalProperties": {"type": "string", "minLength": 1},
            "description": "Vendor ID -> service: a catalog key (e.g. 'slack'), a catalog name, or a new name.",
        },
        "software_gl_accounts": {
            **_ID_LIST,
            "description": (
                "GL account numbers that mark software spend: a vendor the catalog does not know whose "
                "bills post to one becomes a candidate service."
            ),
        },
        "fuzzy_threshold": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "default": DEFAULT_FUZZY_THRESHOLD,
            "description": "Minimum fuzzy similarity (0..1) for a name to match a catalog alias.",
        },
    },
}

_KNOWN_KEYS = frozenset(RECOGNITION_CONFIG_SCHEMA["properties"])


def _compile_all(patterns: tuple[str, ...], key: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for index, pattern in enumerate(patterns):
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise RecognitionConfigError(
                f"recognition.{key}[{index}]: bad regular expression {pattern!r}: {exc}"
            ) from exc
        # Searched in every vendor name and card line: one that can backtrack badly would stall the run.
        hazard = regex_hazard(pattern, re.IGNORECASE)
        if hazard is not None:
            raise RecognitionConfigError(
                f"recognition.{key}[{index}]: regular expression {pattern!r} could run too long: {hazard}"
            )
    return tuple(compiled)


@dataclass(frozen=True)
class RecognitionRules:
    """The user's recognition settings: vendor IDs and patterns in or out, names, software GLs."""

    include_vendor_ids: frozenset[str] = frozenset()
    exclude_vendor_ids: frozenset[str] = frozenset()
    include_patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    vendor_services: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    software_gl_accounts: frozenset[str] = frozenset()
    fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD
    _include_regexes: tuple[re.Pattern[str], ...] = field(
        init=False, repr=False, compare=False, default=()
    )
    _exclude_regexes: tuple[re.Pattern[str], ...] = field(
        init=False, repr=False, compare=False, default=()
    )

    def __post_init__(self) -> None:
        threshold = self.fuzzy_threshold
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not math.isfinite(threshold)
            or not 0 <= threshold <= 1
        ):
            raise RecognitionConfigError(
                f"recognition.fuzzy_threshold: must be a number from 0 to 1, got {threshold!r}"
            )
        both = sorted(self.include_vendor_ids & self.exclude_vendor_ids)
        if both:
            raise RecognitionConfigError(
                f"recognition.exclude_vendor_ids: vendor {both[0]!r} is also in include_vendor_ids"
            )
        mapped_and_excluded = sorted(set(self.vendor_services) & self.exclude_vendor_ids)
        if mapped_and_excluded:
            raise RecognitionConfigError(
                f"recognition.exclude_vendor_ids: vendor {mapped_and_excluded[0]!r} is also in "
                "vendor_services"
            )
        for vendor_id, service in self.vendor_services.items():
            if not isinstance(service, str) or not service.strip():
                raise RecognitionConfigError(
                    f"recognition.vendor_services.{vendor_id}: must name a service"
                )
        # Frozen: compiled regexes are stored through object.__setattr__, once, here.
        object.__setattr__(
            self, "_include_regexes", _compile_all(self.include_patterns, "include_patterns")
        )
        object.__setattr__(
            self, "_exclude_regexes", _compile_all(self.exclude_patterns, "exclude_patterns")
        )
        object.__setattr__(self, "vendor_services", MappingProxyType(dict(self.vendor_services)))

    def matching_include(self, text: str) -> str | None:
        """The first include pattern found in ``text``, as written in the config."""
        for source, regex in zip(self.include_patterns, self._include_regexes, strict=True):
            if regex.search(text):
                return source
        return None

    def matching_exclude(self, text: str) -> str | None:
        """The first exclude pattern found in ``text``, as written in the config."""
        for source, regex in zip(self.exclude_patterns, self._exclude_regexes, strict=True):
            if regex.search(text):
                return source
        return None

    @classmethod
    def from_config(cls, raw: Mapping[str, Any] | None) -> RecognitionRules:
        """Rules from the ``recognition`` config object; a bad value raises naming its key."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise RecognitionConfigError("recognition: must be a JSON object")
        unknown = sorted(set(raw) - _KNOWN_KEYS)
        if unknown:
            raise RecognitionConfigError(
                f"recognition.{unknown[0]}: unknown setting (known: {', '.join(sorted(_KNOWN_KEYS))})"
            )
        services = raw.get("vendor_services", {})
        if not isinstance(services, Mapping):
            raise RecognitionConfigError(
                "recognition.vendor_services: must be an object of vendor ID -> service"
            )
        for vendor_id, service in services.items():
            if not isinstance(service, str) or not service.strip():
                raise RecognitionConfigError(
                    f"recognition.vendor_services.{vendor_id}: must be a non-empty string"
                )
        threshold = raw.get("fuzzy_threshold", DEFAULT_FUZZY_THRESHOLD)
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise RecognitionConfigError(
                f"recognition.fuzzy_threshold: must be a number from 0 to 1, got {threshold!r}"
            )
        return cls(
            include_vendor_ids=frozenset(_strings(raw, "include_vendor_ids")),
            exclude_vendor_ids=frozenset(_strings(raw, "exclude_vendor_ids")),
            include_patterns=tuple(_strings(raw, "include_patterns")),
            exclude_patterns=tuple(_strings(raw, "exclude_patterns")),
            vendor_services={str(k): v.strip() for k, v in services.items()},
            software_gl_accounts=frozenset(_strings(raw, "software_gl_accounts")),
            fuzzy_threshold=float(threshold),
        )


def _strings(raw: Mapping[str, Any], key: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list | tuple):
        raise RecognitionConfigError(f"recognition.{key}: must be a list of strings")
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise RecognitionConfigError(f"recognition.{key}[{index}]: must be a non-empty string")
        out.append(item.strip())
    return out

"""The user rule (a `recognition` settings fragment) that would change one recognition decision.

Every suggestion is checked before it is shown: the current rules plus the fragment go through
`RecognitionRules.from_config` (so it is valid, and no pattern could backtrack badly) and a `Recognizer`
built from them must decide differently. A suggestion that fails either check is not offered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from target_leanix.recognition import RecognitionConfigError, RecognitionRules, Recognizer
from target_leanix.recognition.normalize import clip


class RuleAdvisor:
    """Suggests and verifies recognition rules against the configured ones."""

    def __init__(self, configured: Mapping[str, Any] | None, recognizer: Recognizer) -> None:
        self.configured: dict[str, Any] = dict(configured or {})
        self.recognizer = recognizer

    def _verified(
        self, fragment: dict[str, Any], decides: Callable[[Recognizer], bool]
    ) -> str | None:
        merged = merge_rules(self.configured, fragment)
        try:
            rules = RecognitionRules.from_config(merged)
        except RecognitionConfigError:
            return None
        if not decides(Recognizer(rules, self.recognizer.catalog)):
            return None
        return json.dumps(fragment, ensure_ascii=False)

    def stop_vendor(self, vendor_id: str, name: str) -> str | None:
        """The rule that makes a vendor no service."""
        return self._verified(
            {"exclude_vendor_ids": [vendor_id]},
            lambda r: r.match_vendor(vendor_id, name).service is None,
        )

    def make_vendor(self, vendor_id: str, name: str) -> str | None:
        """The rule that makes a vendor a service (a candidate unless the catalog knows it)."""
        if vendor_id:
            fragment: dict[str, Any] = {"include_vendor_ids": [vendor_id]}
        else:
            fragment = {"include_patterns": [exact_pattern(name)]}
        return self._verified(fragment, lambda r: r.match_vendor(vendor_id, name).is_service)

    def stop_descriptor(self, descriptor: str) -> str | None:
        """The rule that makes this card descriptor spelling no service."""
        return self._verified(
            {"exclude_patterns": [exact_pattern(descriptor)]},
            lambda r: r.match_descriptor(descriptor).service is None,
        )

    def stop_memo(self, memo: str) -> str | None:
        """The rule that makes this expense memo no service."""
        return self._verified(
            {"exclude_patterns": [exact_pattern(memo)]},
            lambda r: r.match_text(memo).service is None,
        )

    def make_memo(self, memo: str) -> str | None:
        """The rule that makes this expense memo a (candidate) service."""
        return self._verified(
            {"include_patterns": [exact_pattern(memo)]},
            lambda r: r.match_text(memo).is_service,
        )

    def for_unattributed(
        self, kind: str, text: str, vendor_id: str, vendor_name: str
    ) -> str | None:
        """The rule that would attribute unattributed spend: one on its vendor, or on its memo."""
        if vendor_id:
            rule = self.make_vendor(vendor_id, vendor_name)
            if rule is not None:
                return rule
        if kind == "expense":
            return self.make_memo(text)
        return None  # recognition rules name services by vendor; a card descriptor can only be excluded


def exact_pattern(text: str) -> str:
    """A pattern that finds this text (what recognition reads of it) from its start; anchored at
    the end too unless the text is longer than a readable pattern."""
    read = clip(text)
    # re.escape also escapes spaces, which need none: left plain, the rule stays readable.
    escaped = re.escape(read[:200]).replace("\\ ", " ")
    return "^" + escaped + ("$" if len(read) <= 200 else "")


def merge_rules(configured: Mapping[str, Any], fragment: Mapping[str, Any]) -> dict[str, Any]:
    """The configured rules with a fragment added: lists extended, `vendor_services` merged."""
    merged = dict(configured)
    for key, value in fragment.items():
        if isinstance(value, list):
            merged[key] = [
                *merged.get(key, []),
                *(v for v in value if v not in merged.get(key, [])),
            ]
        elif isinstance(value, dict):
            merged[key] = {**merged.get(key, {}), **value}
        else:
            merged[key] = value
    return merged

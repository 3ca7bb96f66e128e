"""Descriptor patterns: how card statements print a merchant, written the way they look.

A pattern is matched against the *cleaned* descriptor (see ``normalize.clean_descriptor``), anchored at the
start:

* ``*`` stands for any run of characters, including the card network's own ``*`` separator, so
  ``GOOGLE *GSUITE`` matches ``GOOGLE*GSUITE_acme.com`` and ``ATLASSIAN*`` matches ``ATLASSIAN* JIRA``;
* a space in the pattern may be absent in the descriptor;
* a word of two or more characters must not run on into more letters, so ``CANVA*`` does not match
  ``CANVAS ART SUPPLY`` and ``SQ*`` does not match ``SQSP*`` (digits may follow: ``GOOGLE *ADS*``
  matches ``GOOGLE *ADS1234567890``); a single trailing letter may run on into a code (``SLACK T*``
  matches ``SLACK T01AB2CD3E``, the ``T`` being Slack's team-id prefix);
* ``re:<regex>`` is a Python regular expression searched in the cleaned descriptor, for anything else.

Patterns are bucketed by the first three letters or digits of their fixed start (two for short prefixes
such as ``SQ*``) so that one descriptor is tried against a handful of patterns, not all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A word ends where letters stop: "CANVA" must not run on into "CANVAS", but Google glues the customer
# number straight onto "ADS" ("GOOGLE *ADS1234567890"), so a digit may follow.
_BOUNDARY = r"(?![A-Z])"
_BUCKET_LEN = 3
_MIN_BUCKET_LEN = 2


class PatternError(ValueError):
    """A pattern that does not compile; the caller names where it came from."""


@dataclass(frozen=True)
class CompiledPattern:
    source: str
    regex: re.Pattern[str]
    bucket: str | None  # None: a free regex, tried on every descriptor
    specificity: int
    target: str  # service key, or the reason text of a non-service


def _glob_to_regex(pattern: str) -> str:
    text = re.sub(r"\s*\*\s*", "*", pattern.strip().upper())
    text = re.sub(r"\s+", " ", text)
    out = ["^"]
    word_len = 0
    for ch in text:
        if ch == "*":
            if word_len >= 2:
                out.append(_BOUNDARY)
            out.append(".*?")
            word_len = 0
        elif ch == " ":
            if word_len >= 2:
                out.append(_BOUNDARY)
            out.append(r"\s*")
            word_len = 0
        else:
            out.append(re.escape(ch))
            word_len = word_len + 1 if ch.isalnum() else 0
    if not text.endswith("*") and word_len >= 1:
        out.append(_BOUNDARY)
    return "".join(out)


_NOT_ALNUM_RE = re.compile(r"[\W_]+")


def bucket_of(text: str, length: int = _BUCKET_LEN) -> str:
    """The first ``length`` letters or digits of a cleaned descriptor or pattern."""
    return _NOT_ALNUM_RE.sub("", text[:12])[:length]


def _pattern_bucket(source: str) -> str:
    fixed_start = source.upper().split("*", 1)[0]
    return bucket_of(fixed_start)


def compile_pattern(source: str, target: str) -> CompiledPattern:
    """Compile one catalog or config pattern; raises PatternError with the regex engine's message."""
    if not source.strip():
        raise PatternError("empty pattern")
    if source.startswith("re:"):
        try:
            regex = re.compile(source[3:], re.IGNORECASE)
        except re.error as exc:
            raise PatternError(f"bad regular expression {source[3:]!r}: {exc}") from exc
        return CompiledPattern(source, regex, None, len(source), target)
    literal = source.replace("*", "").strip()
    bucket = _pattern_bucket(source)
    if len(bucket) < _MIN_BUCKET_LEN:
        raise PatternError(
            f"pattern {source!r} must start with at least two letters or digits before any '*'"
        )
    try:
        regex = re.compile(_glob_to_regex(source))
    except re.error as exc:  # pragma: no cover - escaped input always compiles
        raise PatternError(f"bad pattern {source!r}: {exc}") from exc
    # More letters pinned down = more specific; spaces and separators do not count.
    specificity = sum(ch.isalnum() for ch in literal)
    return CompiledPattern(source, regex, bucket, specificity, target)


class PatternSet:
    """Patterns indexed by bucket; ``first_match`` returns the most specific one that matches."""

    def __init__(self, patterns: list[CompiledPattern]) -> None:
        self._buckets: dict[str, list[CompiledPattern]] = {}
        self._free: list[CompiledPattern] = []
        for pattern in patterns:
            if pattern.bucket is None:
                self._free.append(pattern)
            else:
                self._buckets.setdefault(pattern.bucket, []).append(pattern)
        for bucket in self._buckets.values():
            bucket.sort(key=lambda p: p.specificity, reverse=True)
        self._free.sort(key=lambda p: p.specificity, reverse=True)
        self.size = len(patterns)

    def first_match(self, cleaned: str) -> CompiledPattern | None:
        start = bucket_of(cleaned)
        for bucket in (start, start[:_MIN_BUCKET_LEN]):
            for pattern in self._buckets.get(bucket, ()):
                if pattern.regex.match(cleaned):
                    return pattern
        for pattern in self._free:
            if pattern.regex.search(cleaned):
                return pattern
        return None

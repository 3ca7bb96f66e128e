"""Descriptor patterns: how card statements print a merchant, written the way they look.

A pattern is matched against the *cleaned* descriptor (see ``normalize.clean_descriptor``), anchored at the
start:

* ``*`` stands for any run of characters, including the card network's own ``*`` separator, so
  ``GOOGLE *GSUITE`` matches ``GOOGLE*GSUITE_acme.com`` and ``ATLASSIAN*`` matches ``ATLASSIAN* JIRA``;
  the text after a ``*`` is looked for at its first place, never tried again further on, so a pattern
  costs time linear in the descriptor however many ``*`` it has;
* a space in the pattern may be absent in the descriptor;
* a word of two or more characters must not run on into more letters, so ``CANVA*`` does not match
  ``CANVAS ART SUPPLY`` and ``SQ*`` does not match ``SQSP*`` (digits may follow: ``GOOGLE *ADS*``
  matches ``GOOGLE *ADS1234567890``); a single trailing letter may run on into a code (``SLACK T*``
  matches ``SLACK T01AB2CD3E``, the ``T`` being Slack's team-id prefix);
* ``re:<regex>`` is a Python regular expression searched in the cleaned descriptor, for anything else;
  one that could backtrack badly (see ``regex_hazard``) is refused.

Patterns are bucketed by the first three letters or digits of their fixed start (two for short prefixes
such as ``SQ*``) so that one descriptor is tried against a handful of patterns, not all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from re import _parser  # type: ignore[attr-defined]  # the standard library's own regex parser
from typing import Any

from target_leanix.recognition.normalize import MAX_TEXT_CHARS, glue_stars

# A word ends where letters stop: "CANVA" must not run on into "CANVAS", but Google glues the customer
# number straight onto "ADS" ("GOOGLE *ADS1234567890"), so a digit may follow.
_BOUNDARY = r"(?![A-Z])"
_BUCKET_LEN = 3
_MIN_BUCKET_LEN = 2
# The most attempts a regular expression may make on MAX_TEXT_CHARS characters, estimated as start
# positions times the ways its quantifiers and alternatives combine: some ten million steps of the regex
# engine, a few hundredths of a second. One unbounded quantifier (1,000 starts x 1,001 lengths) fits,
# two in a row (a billion, seconds per line) do not.
_MAX_REGEX_ATTEMPTS = 10_000_000


class PatternError(ValueError):
    """A pattern that does not compile; the caller names where it came from."""


@dataclass(frozen=True)
class CompiledPattern:
    """A descriptor pattern compiled: regex, prefix bucket, specificity and what it yields."""

    source: str
    regex: re.Pattern[str]
    bucket: str | None  # None: a free regex, tried on every descriptor
    specificity: int
    target: str  # service key, or the reason text of a non-service


class _RegexHazardError(Exception):
    """Raised inside ``regex_hazard`` with the reason a regex could backtrack badly."""


def _ways(items: Any) -> int:  # noqa: ANN401 - a re._parser.SubPattern, untyped
    """How many ways the parsed ``items`` can match at one position, bounded by MAX_TEXT_CHARS."""
    ways = 1
    for op, arg in items:
        if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT):
            low, high, body = arg
            inner = _ways(body)
            if high > 1 and inner > 1:
                raise _RegexHazardError(
                    "a quantifier repeats something that can itself match in several ways "
                    "(nested quantifiers, or alternatives under a quantifier)"
                )
            ways *= inner * (min(high, MAX_TEXT_CHARS + 1) - min(low, MAX_TEXT_CHARS) + 1)
        elif op is _parser.POSSESSIVE_REPEAT:
            ways *= _ways(arg[2])  # never gives back what it took: one way, plus its body's own
        elif op is _parser.SUBPATTERN:
            ways *= _ways(arg[3])
        elif op is _parser.ATOMIC_GROUP:
            ways *= _ways(arg)
        elif op in (_parser.ASSERT, _parser.ASSERT_NOT):
            ways *= _ways(arg[1])
        elif op is _parser.BRANCH:
            ways *= sum(_ways(branch) for branch in arg[1])
        elif op in (_parser.GROUPREF, _parser.GROUPREF_EXISTS):
            raise _RegexHazardError("back-references can take exponential time")
    return ways


def regex_hazard(source: str, flags: int = 0) -> str | None:
    """Why searching ``source`` in text of up to MAX_TEXT_CHARS could take long, or None if it cannot.

    A backtracking engine may try every way the pattern's quantifiers and alternatives combine, at every
    start position: nested quantifiers (``(a+)+``) make that exponential, two unbounded quantifiers in a
    row (``\\d+\\d+x``, ``.*a.*b``) a power of the text's length. Call it on a pattern that compiles.
    """
    try:
        items = list(_parser.parse(source, flags))
        ways = _ways(items)
        if items and items[-1][0] in (_parser.MAX_REPEAT, _parser.MIN_REPEAT):
            # A quantifier that ends the pattern keeps its first length: nothing after it can fail and
            # make it try another ("^(amzn|amazon).*").
            ways = _ways(items[:-1]) * _ways(items[-1][1][2])
    except _RegexHazardError as exc:
        return str(exc)
    if MAX_TEXT_CHARS * ways > _MAX_REGEX_ATTEMPTS:
        return (
            "its quantifiers and alternatives combine in too many ways "
            "(use at most one unbounded quantifier such as .* or +, and few alternatives besides)"
        )
    return None


def _glob_to_regex(pattern: str) -> str:
    text = glue_stars(" ".join(pattern.upper().split()))
    out = ["^"]
    word_len = 0
    in_star = False
    for ch in text:
        if ch == "*":
            if word_len >= 2:
                out.append(_BOUNDARY)
            # Atomic: the text after this "*" is taken at the first place it fits and never tried
            # again further on, which would make each further "*" multiply the time by the length.
            out.append(")(?>.*?" if in_star else "(?>.*?")
            in_star = True
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
    if in_star:
        out.append(")")
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
        hazard = regex_hazard(source[3:], re.IGNORECASE)
        if hazard is not None:
            raise PatternError(f"regular expression {source[3:]!r} could run too long: {hazard}")
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
        """The pattern for a cleaned descriptor: bucketed prefixes first, then free regexes."""
        start = bucket_of(cleaned)
        for bucket in (start, start[:_MIN_BUCKET_LEN]):
            for pattern in self._buckets.get(bucket, ()):
                if pattern.regex.match(cleaned):
                    return pattern
        for pattern in self._free:
            if pattern.regex.search(cleaned):
                return pattern
        return None

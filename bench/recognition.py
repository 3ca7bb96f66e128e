"""Recognition quality and speed on the hand-written evaluation set.

Run: .venv/bin/python bench/recognition.py [--errors]

Prints precision and recall of vendor, descriptor and expense-memo matching against
target-leanix/tests/data/recognition_eval.tsv, recognition_holdout.tsv and recognition_holdout_longtail.tsv
(expected catalog key or "none"
per line; kind "vendor" goes to match_vendor, "descriptor" to match_descriptor, "memo" to match_text as
the target does for expense-report lines), then throughput: descriptors per second on cold misses (fresh
recognizer, every line new) and on cached hits (the same lines again, as in a card feed where merchants
repeat), and memos per second on lines no cache has seen.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from target_leanix.recognition import Catalog, Recognizer

DATA_DIR = Path(__file__).resolve().parent.parent / "target-leanix/tests/data"
EVAL_FILE = DATA_DIR / "recognition_eval.tsv"
# Written after the catalog, never tuned against line by line: a check that the figures on the eval set
# are not an artefact of writing both by the same hand.
HOLDOUT_FILE = DATA_DIR / "recognition_holdout.tsv"
# Long-tail services (niche, regional, AI, security) and plain non-SaaS payees, committed before the catalog
# was extended to cover them: measures how far the catalog reaches beyond the well-known names.
LONGTAIL_FILE = DATA_DIR / "recognition_holdout_longtail.tsv"


@dataclass(frozen=True)
class EvalRow:
    """One evaluation line: kind (vendor, descriptor, memo), input text, expected key or None."""

    kind: str
    text: str
    expected: str | None


@dataclass(frozen=True)
class Scores:
    """Match counts against the expected keys, with every mismatch and the recognizer's reason."""

    true_positives: int
    false_positives: int
    false_negatives: int
    errors: list[tuple[EvalRow, str | None, str]]

    @property
    def precision(self) -> float:
        """Share of matches that were right (1.0 when nothing matched)."""
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        """Share of expected matches that were found (1.0 when none was expected)."""
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0


def load_eval(path: Path = EVAL_FILE) -> list[EvalRow]:
    """The rows of a tab-separated evaluation file; expected "none" becomes None."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            EvalRow(
                row["kind"], row["input"], None if row["expected"] == "none" else row["expected"]
            )
            for row in reader
        ]


def score(rows: list[EvalRow], recognizer: Recognizer | None = None) -> Scores:
    """Run the recognizer on each row by its kind and count true/false positives and misses."""
    recognizer = recognizer or Recognizer()
    tp = fp = fn = 0
    errors: list[tuple[EvalRow, str | None, str]] = []
    for index, row in enumerate(rows):
        if row.kind == "vendor":
            match = recognizer.match_vendor(f"V-{index:05d}", row.text)
        elif row.kind == "memo":
            match = recognizer.match_text(row.text)
        else:
            match = recognizer.match_descriptor(row.text)
        got = match.service.key if match.service else None
        if got is not None and got == row.expected:
            tp += 1
            continue
        if got is not None:
            fp += 1
        if row.expected is not None:
            fn += 1
        if got != row.expected:
            errors.append((row, got, match.reason))
    return Scores(tp, fp, fn, errors)


def rate(recognizer: Recognizer, descriptors: list[str], rounds: int = 1) -> float:
    """Descriptors matched per second, over `rounds` passes."""
    start = time.perf_counter()
    for _ in range(rounds):
        for text in descriptors:
            recognizer.match_descriptor(text)
    return rounds * len(descriptors) / (time.perf_counter() - start)


def rate_text(recognizer: Recognizer, texts: list[str]) -> float:
    """Expense memos matched per second, in one pass."""
    start = time.perf_counter()
    for text in texts:
        recognizer.match_text(text)
    return len(texts) / (time.perf_counter() - start)


def novel_merchants(count: int, seed: int = 7) -> list[str]:
    """Made-up merchant lines no cache has seen: every one runs the whole pipeline, fuzzy included."""
    rng = random.Random(seed)  # noqa: S311 - reproducible made-up names, not secrets
    syllables = [
        "ka",
        "lo",
        "mer",
        "tin",
        "ba",
        "zor",
        "qui",
        "pel",
        "dra",
        "vu",
        "sen",
        "tro",
        "gal",
    ]
    tails = ["SAN FRANCISCO CA", "AUSTIN TX", "LONDON GB", "BERLIN DE", "TORONTO ON", "SYDNEY AU"]
    lines = []
    for _ in range(count):
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).upper()
        second = rng.choice(["", " CAFE", " SUPPLY", " LABS", " STUDIO", " GROUP", " MARKET"])
        lines.append(f"{word}{second} {rng.randint(1000, 99999)} {rng.choice(tails)}")
    return lines


def main() -> int:
    """Print precision and recall per set and kind, and matching speed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list every mismatch")
    args = parser.parse_args()

    start = time.perf_counter()
    catalog = Catalog.builtin()
    load_seconds = time.perf_counter() - start
    rows = load_eval()
    holdout = load_eval(HOLDOUT_FILE)
    longtail = load_eval(LONGTAIL_FILE)
    print(
        f"catalog {catalog.version}: {len(catalog)} services, {catalog.patterns.size} descriptor "
        f"patterns, loaded and validated in {load_seconds * 1000:.0f} ms"
    )
    for set_name, set_rows in (("eval", rows), ("holdout", holdout), ("longtail", longtail)):
        for kind in ("vendor", "descriptor", "memo", None):
            subset = [r for r in set_rows if kind is None or r.kind == kind]
            result = score(subset)
            positives = sum(1 for r in subset if r.expected)
            label = f"{set_name} {kind or 'all'}"
            print(
                f"{label:<19} n={len(subset):<4} positives={positives:<4} "
                f"precision={result.precision:.3f} recall={result.recall:.3f} "
                f"(tp={result.true_positives} fp={result.false_positives} "
                f"fn={result.false_negatives})"
            )
        if args.errors:
            for row, got, reason in score(set_rows).errors:
                print(
                    f"  MISS {row.kind}\t{row.text}\texpected={row.expected}\tgot={got}\t{reason}"
                )

    base = [r.text for r in rows if r.kind == "descriptor"]
    recognizer = Recognizer(catalog=catalog)
    # Misses: merchants never seen, every line through normalisation, patterns, indexes and fuzzy.
    novel = novel_merchants(20_000)
    novel_rate = rate(recognizer, novel)
    # Known merchants whose lines differ only by a reference number: new to the raw and cleaned-line
    # caches, met again after normalisation (the usual shape of a card feed).
    varied = [f"{text} REF{n:06d}X" for n in range(40) for text in base]
    varied_rate = rate(recognizer, varied)
    # Cached hits: the same lines again.
    hit_rate = rate(recognizer, varied, rounds=10)
    # Memos: every line new to every cache (a month number and a quantity vary), through vendor,
    # descriptor and memo readings as match_text does.
    memos = [r.text for r in rows + holdout if r.kind == "memo"]
    memo_lines = [f"{text} #{n} x{n % 7 + 1}" for n in range(20) for text in memos]
    memo_rate = rate_text(Recognizer(catalog=catalog), memo_lines)
    print(
        f"throughput: {novel_rate:,.0f} descriptors/s on misses ({len(novel)} novel merchants); "
        f"{varied_rate:,.0f}/s on new lines of known merchants ({len(varied)} lines); "
        f"{hit_rate:,.0f}/s on cached hits; "
        f"{memo_rate:,.0f} memos/s on new memo lines ({len(memo_lines)} lines)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

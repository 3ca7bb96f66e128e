"""Quality gate: precision and recall on the hand-written evaluation sets (not a timing)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from target_leanix.recognition import Recognizer

DATA = Path(__file__).parent / "data"
PRECISION_GOAL = 0.98
RECALL_GOAL = 0.90


def _rows(name: str) -> list[tuple[str, str, str | None]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            (row["kind"], row["input"], None if row["expected"] == "none" else row["expected"])
            for row in reader
        ]


def test_eval_set_is_large_and_balanced() -> None:
    rows = _rows("recognition_eval.tsv")
    assert len(rows) >= 300
    assert {kind for kind, _, _ in rows} == {"vendor", "descriptor"}
    negatives = sum(1 for _, _, expected in rows if expected is None)
    assert negatives >= 100
    assert len({(kind, text) for kind, text, _ in rows}) == len(rows)


@pytest.mark.parametrize("name", ["recognition_eval.tsv", "recognition_holdout.tsv"])
def test_precision_and_recall_meet_the_goal(name: str) -> None:
    recognizer = Recognizer()
    tp = fp = fn = 0
    misses = []
    for index, (kind, text, expected) in enumerate(_rows(name)):
        if kind == "vendor":
            match = recognizer.match_vendor(f"V-{index:05d}", text)
        else:
            match = recognizer.match_descriptor(text)
        got = match.service.key if match.service else None
        if got is not None and got == expected:
            tp += 1
            continue
        fp += got is not None
        fn += expected is not None
        if got != expected:
            misses.append(f"{kind} {text!r}: expected {expected}, got {got} ({match.reason})")
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    assert precision >= PRECISION_GOAL, misses
    assert recall >= RECALL_GOAL, misses

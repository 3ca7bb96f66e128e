"""Builds the review report from a ledger and the publisher's changes, and writes it to a file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from target_leanix.ledger import CostWindow, Ledger
from target_leanix.private_files import open_private
from target_leanix.publisher import Change, Publisher
from target_leanix.recognition import Recognizer
from target_leanix.report.data import ReportReader
from target_leanix.report.model import ReportData
from target_leanix.report.render import render


def build_report(
    ledger: Ledger,
    publisher: Publisher,
    *,
    company: str,
    window: CostWindow,
    reporting_currency: str,
    recognizer: Recognizer,
    recognition: Mapping[str, Any] | None,
    recognition_fingerprint: str,
    dry_run: bool,
    run_changes: list[Change] | None,
) -> ReportData:
    """The report's data. `run_changes`: what this run's publications sent (a dry run: would
    send); None (a report outside a run): what LeanIX has not taken yet, diffed by the publisher."""
    reader = ReportReader(
        ledger,
        company=company,
        window=window,
        reporting_currency=reporting_currency,
        recognizer=recognizer,
        recognition=recognition,
        recognition_fingerprint=recognition_fingerprint,
        books=publisher.settings.books,
        converter=publisher.converter(),
    )
    pending = run_changes is None
    changes = publisher.pending_changes(reader.owners()) if run_changes is None else run_changes
    return reader.read(changes, dry_run=dry_run, changes_pending=pending)


def write_report(path: Path, data: ReportData) -> int:
    """Write the page, readable by its owner only (it shows the company's spend); its size in bytes."""
    page = render(data)
    with open_private(path, append=False) as out:
        out.write(page)
    return len(page.encode("utf-8"))

"""`target-leanix-report`: write the review report of a ledger without running the target.

Reads the target's own config file (the ledger, company, cost window and recognition settings) and
shows what LeanIX has not taken yet; nothing is sent anywhere. Exit 2 on a config or ledger problem,
with one line naming it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from target_leanix.ledger import Ledger, LedgerError
from target_leanix.pipeline import (
    DEFAULT_LEDGER_PATH,
    Settings,
    SettingsError,
    recognition_fingerprint,
)
from target_leanix.private_files import PrivateFileError
from target_leanix.publisher import Publisher, PublishSettings
from target_leanix.recognition import RecognitionConfigError, RecognitionRules, Recognizer
from target_leanix.report.build import build_report, write_report
from target_leanix.report.plan import plan_lines

EXIT_PROBLEM = 2
DEFAULT_OUTPUT = "target-leanix-report.html"


class _NoWriter:
    """The publisher's writer for a report: the report diffs, it never sends."""

    def prepare(self) -> None:
        raise RuntimeError("the report never writes to LeanIX")

    def write(self, document: dict[str, Any]) -> str:
        raise RuntimeError("the report never writes to LeanIX")

    def has_written_before(self) -> bool:
        return False


def _config(paths: Sequence[str]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for path in paths:
        try:
            loaded = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise SettingsError(
                f"--config {path}: cannot read: {error.strerror or error}"
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise SettingsError(f"--config {path}: not valid JSON") from None
        if not isinstance(loaded, dict):
            raise SettingsError(f"--config {path}: must hold a JSON object")
        config.update(loaded)
    return config


def _open_ledger(settings: Settings) -> Ledger:
    url = sa.make_url(settings.ledger_url)
    if url.drivername.startswith("sqlite") and not Path(url.database or "").is_file():
        raise LedgerError(
            f"no ledger at {url.database or 'memory'}: set ledger_path or ledger_url to the "
            "ledger a run of the target wrote"
        )
    ledger = Ledger(settings.ledger_url, settings.ledger_table_prefix)
    ledger.create()
    ledger.bind_company(settings.company_key)
    return ledger


def report(config: dict[str, Any], output: Path) -> list[str]:
    """Write the report of the ledger `config` names to `output`; the lines to print."""
    dry_run = bool(config.get("dry_run"))
    if not config.get("ledger_url") and not config.get("ledger_path"):
        config = {**config, "ledger_path": DEFAULT_LEDGER_PATH}
    # Only the ledger is read: LeanIX settings are not needed, as for a dry run.
    settings = Settings.from_config({**config, "dry_run": True})
    recognizer = Recognizer(RecognitionRules.from_config(settings.recognition))
    ledger = _open_ledger(settings)
    try:
        publisher = Publisher(
            ledger,
            _NoWriter(),
            PublishSettings(
                company=settings.company_key,
                window=settings.window,
                reporting_currency=settings.reporting_currency,
                record_url_template=settings.record_url_template,
                insight_settings=settings.insights,
            ),
        )
        data = build_report(
            ledger,
            publisher,
            company=settings.company_key,
            window=settings.window,
            reporting_currency=settings.reporting_currency,
            recognizer=recognizer,
            recognition=settings.recognition,
            recognition_fingerprint=recognition_fingerprint(
                settings.recognition, recognizer.catalog.version
            ),
            dry_run=dry_run,
            run_changes=None,
        )
        size = write_report(output, data)
    finally:
        ledger.close()
    return [
        *plan_lines(data.changes, settings.reporting_currency),
        f"report: wrote {output} ({size} bytes)",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `target-leanix-report`."""
    parser = argparse.ArgumentParser(
        prog="target-leanix-report",
        description=(
            "Write the review report (one self-contained HTML file) of the ledger the target's "
            "config names, with the changes LeanIX has not taken yet. Reads the ledger only."
        ),
    )
    parser.add_argument(
        "--config", action="append", required=True, help="the target's config JSON (repeatable)"
    )
    parser.add_argument(
        "--output", help=f"where to write the page (default: report_path, else {DEFAULT_OUTPUT})"
    )
    args = parser.parse_args(argv)
    try:
        config = _config(args.config)
        output = Path(args.output or config.get("report_path") or DEFAULT_OUTPUT)
        lines = report(config, output)
    except (SettingsError, RecognitionConfigError, LedgerError, PrivateFileError) as error:
        sys.stderr.write(f"target-leanix-report: {error}\n")
        return EXIT_PROBLEM
    for line in lines:
        sys.stdout.write(line + "\n")
    return 0

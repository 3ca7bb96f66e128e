"""``target-leanix-recognize``: ask why a vendor or card line is (not) a service.

Reads one input per line on stdin and prints ``input<TAB>service-key-or-empty<TAB>confidence<TAB>reason``,
applying the same catalog and ``recognition`` config as the target. A line may also be
``VENDOR_ID<TAB>NAME[<TAB>GL_ACCOUNT,GL_ACCOUNT...]`` so that rules keyed by vendor ID and software GL
accounts apply; the first output column is then NAME.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from target_leanix.recognition.catalog import Catalog
from target_leanix.recognition.errors import CatalogError, RecognitionConfigError
from target_leanix.recognition.matcher import Recognizer
from target_leanix.recognition.models import Match
from target_leanix.recognition.normalize import clip
from target_leanix.recognition.rules import RecognitionRules

EXIT_BAD_CONFIG = 2


def _load_rules(path: str | None) -> RecognitionRules:
    if path is None:
        return RecognitionRules()
    try:
        raw: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecognitionConfigError(
            f"--config {path}: cannot read: {exc.strerror or exc}"
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecognitionConfigError(f"--config {path}: not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise RecognitionConfigError(f"--config {path}: the config file must hold a JSON object")
    try:
        return RecognitionRules.from_config(raw.get("recognition"))
    except RecognitionConfigError as exc:
        raise RecognitionConfigError(f"--config {path}: {exc}") from exc


def _clean_field(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def _recognise_line(recognizer: Recognizer, line: str) -> tuple[str, Match]:
    if "\t" in line:
        vendor_id, _, rest = line.partition("\t")
        name, _, accounts = rest.partition("\t")
        gl_accounts = [a.strip() for a in accounts.split(",") if a.strip()]
        return name, recognizer.match_vendor(vendor_id.strip(), name, gl_accounts=gl_accounts)
    return line, recognizer.match_text(line)


def run(stdin: TextIO, stdout: TextIO, recognizer: Recognizer) -> None:
    """Recognise each non-blank stdin line; write input, service, confidence, reason (TSV)."""
    for raw in stdin:
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        shown, match = _recognise_line(recognizer, line)
        key = match.service.key if match.service is not None else ""
        # The input as recognition read it: a line of megabytes is not echoed back whole.
        stdout.write(
            f"{_clean_field(clip(shown))}\t{key}\t{match.confidence:.2f}\t{_clean_field(match.reason)}\n"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """target-leanix-recognize: recognise vendor names or descriptors from stdin; exit code."""
    parser = argparse.ArgumentParser(
        prog="target-leanix-recognize",
        description=(
            "Read vendor names or card descriptors, one per line, on stdin; print "
            "input<TAB>service<TAB>confidence<TAB>reason. A line VENDOR_ID<TAB>NAME[<TAB>GL,GL] "
            "applies vendor-ID and software-GL rules too."
        ),
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="the target's JSON config file; its 'recognition' object supplies the user rules",
    )
    args = parser.parse_args(argv)
    try:
        recognizer = Recognizer(_load_rules(args.config), Catalog.builtin())
    except (RecognitionConfigError, CatalogError) as exc:
        sys.stderr.write(f"target-leanix-recognize: {exc}\n")
        return EXIT_BAD_CONFIG
    try:
        run(sys.stdin, sys.stdout, recognizer)
    except BrokenPipeError:
        # `... | head` closed the pipe: not an error worth a traceback.
        sys.stderr.close()
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

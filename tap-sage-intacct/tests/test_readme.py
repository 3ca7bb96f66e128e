"""The README's config table is exactly what `--about` prints for the tap's own settings."""

from __future__ import annotations

from pathlib import Path

from .conftest import run_cli

README = Path(__file__).resolve().parent.parent / "README.md"


def _rows(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("| Setting") and " | " in line
    ]


def test_readme_config_table_matches_about() -> None:
    about = run_cli(["--about", "--format=markdown"])
    assert about.returncode == 0, about.stderr
    printed = [
        row
        for row in _rows(about.stdout)
        if not row.startswith(("| stream_map", "| faker", "| flattening"))
    ]
    documented = [
        row
        for row in _rows(README.read_text())
        if row.split("|")[1].strip() in {r.split("|")[1].strip() for r in printed}
    ]
    assert documented == printed

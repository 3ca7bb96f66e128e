"""What every benchmark shares: paths, the sandbox credentials, tap config and catalogs, figures."""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.machine import run_child
from sandboxes.intacct.state import Config as IntacctSandboxConfig

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
WORK = BENCH / ".work"
PROFILES = BENCH / "profiles"
BIN = Path(sys.executable).parent
GATEWAY_PATH = "/ia/xml/xmlgw.phtml"
INTACCT_PAGE = 2000

# The intacct sandbox's documented defaults (sandbox/sandboxes/intacct/README.md), not secrets.
_SANDBOX_DEFAULTS = IntacctSandboxConfig()
INTACCT_CREDENTIALS = {
    name: getattr(_SANDBOX_DEFAULTS, name)
    for name in ("sender_id", "sender_password", "user_id", "user_password", "company_id")
}
LEANIX_TOKEN = "sandbox-token"

RECORDS_WRITTEN = re.compile(r"Stream '(\w+)' wrote (\d+) records")
RUN_COST = re.compile(r"Run cost: ([\d,]+) gateway requests? \(([\d,]+) logins?\)")


@dataclass
class Figure:
    """One row of the results table: a measured figure beside its reference and its goal."""

    bench: str
    case: str
    measured: str
    reference: str = ""
    ratio: str = ""
    goal: str = ""
    met: bool | None = None

    @property
    def verdict(self) -> str:
        """`yes`, `**no**` (bold in the table), or empty when the figure has no goal."""
        return "" if self.met is None else ("yes" if self.met else "**no**")


@dataclass
class BenchResult:
    """One bench's figures, printed notes and py-spy profile paths, for the report."""

    name: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profiles: list[Path] = field(default_factory=list)

    def add(self, *args: Any, **kwargs: Any) -> Figure:
        """Append a Figure of this bench (same arguments as Figure after `bench`) and return it."""
        figure = Figure(self.name, *args, **kwargs)
        self.figures.append(figure)
        return figure

    def note(self, text: str) -> None:
        """Print a note now and keep it for the report's notes under this bench."""
        print(f"  [{self.name}] {text}", flush=True)
        self.notes.append(text)

    def add_rss_growth(self, rss: dict[int, float], unit: str) -> None:
        """The 'flat memory' figure: peak RSS at the largest size over the smallest."""
        if len(rss) < 2:
            return
        smallest, largest = min(rss), max(rss)
        growth = rss[largest] / rss[smallest]
        self.add(
            f"peak RSS growth {smallest:,} -> {largest:,} {unit}",
            f"{mb(rss[smallest])} -> {mb(rss[largest])}",
            "",
            f"x{growth:.2f}",
            "flat (<= x1.2)",
            growth <= 1.2,
        )


def workdir(name: str) -> Path:
    """The bench's scratch directory under bench/.work/, created if missing."""
    path = WORK / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_json(path: Path, value: object) -> Path:
    """Write value as indented JSON to path and return the path."""
    path.write_text(json.dumps(value, indent=1), encoding="utf-8")
    return path


def tap_config(path: Path, intacct_url: str, **settings: Any) -> Path:
    """A tap config file for the sandbox's gateway at intacct_url, plus extra settings."""
    return write_json(
        path, {**INTACCT_CREDENTIALS, "api_url": intacct_url + GATEWAY_PATH, **settings}
    )


def discover(config: Path, out: Path, selected: set[str]) -> dict[str, Any]:
    """Discover through the tap's own CLI, then select only `selected` streams."""
    run_child(
        [str(BIN / "tap-sage-intacct"), "--config", str(config), "--discover"],
        stdout_path=out,
        stderr_path=out.with_suffix(".discover.log"),
    )
    catalog: dict[str, Any] = json.loads(out.read_text())
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in selected
    write_json(out, catalog)
    return catalog


def stream_entry(catalog: dict[str, Any], stream: str) -> dict[str, Any]:
    """The catalog entry of one stream, by tap_stream_id."""
    entry: dict[str, Any] = next(e for e in catalog["streams"] if e["tap_stream_id"] == stream)
    return entry


def stream_object(entry: dict[str, Any]) -> str:
    """The Intacct object a catalog entry reads (its `intacct-object` metadata, else its id)."""
    for item in entry["metadata"]:
        if item["breadcrumb"] == [] and item["metadata"].get("intacct-object"):
            return str(item["metadata"]["intacct-object"])
    return str(entry["tap_stream_id"]).upper()


def records_written(log: str) -> dict[str, int]:
    """Records written per stream, summed from the tap's "Stream ... wrote N records" lines."""
    counts: dict[str, int] = {}
    for stream, value in RECORDS_WRITTEN.findall(log):
        counts[stream] = counts.get(stream, 0) + int(value)
    return counts


def gateway_calls(stats: dict[str, Any]) -> int:
    """Gateway requests the sandbox served (both gateway paths; admin routes are not counted)."""
    return sum(n for path, n in stats.get("paths", {}).items() if path.endswith("xmlgw.phtml"))


def pages(rows: int, page_size: int = INTACCT_PAGE) -> int:
    """Query pages needed for rows at page_size rows a page (an empty stream still takes one)."""
    return max(1, math.ceil(rows / page_size))


def rate(count: float, seconds: float) -> str:
    """count per second as "12,345/s" ("n/a" for a zero duration)."""
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "n/a"


def mb(value: float) -> str:
    """Megabytes with thousands separators, e.g. "1,024 MB"."""
    return f"{value:,.0f} MB"

"""Where the tap's client CPU and memory go on one 2,000-row wide APBILL page, and what would cut them.

Not part of `make bench`'s table: it backs the optimisation suggestions in RESULTS.md with numbers.
It fetches one page from a fresh `intacct-sandbox --wide` and then, offline, times per page:

- lxml `fromstring` (what the tap and the limit loop do) and the per-row walk over lxml children
  (each `child.tag` / `child.text` builds a Python proxy object: the tap's `to_json` top frames);
- the same with `xml.etree.ElementTree` (expat; children are plain C objects, no proxies);
- a streaming parse (`lxml.etree.iterparse` with `clear()`), which bounds memory to one row;

and the memory each parsed page holds (tracemalloc cannot see libxml2, so RSS deltas are used).

Run: .venv/bin/python -m bench.micro_parse
"""

from __future__ import annotations

import gc
import html
import io
import json
import re
import resource
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from lxml import etree

from bench import limit_loop
from bench.common import GATEWAY_PATH, INTACCT_CREDENTIALS, WORK, discover, stream_entry, tap_config
from sandboxes.common.process import SandboxProcess


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fetch_page(rows: int = 2000) -> bytes:
    """One wide APBILL query page of `rows` rows from a fresh sandbox, as the raw answer bytes."""
    work = WORK / "micro"
    work.mkdir(parents=True, exist_ok=True)
    args = ["--seed", "7", "--scale", "0.01", "--wide", "--rows", f"APBILL={rows}"]
    with SandboxProcess("intacct-sandbox", args) as box:
        config = tap_config(work / "config.json", box.url)
        catalog = discover(config, work / "catalog.json", {"ap_bill"})
        fields = [
            f
            for f in stream_entry(catalog, "ap_bill")["schema"]["properties"]
            if f != "_sdc_deleted_at"
        ]
        http = requests.Session()
        gateway = box.url + GATEWAY_PATH
        session_id, endpoint = limit_loop.login(http, gateway)
        body = limit_loop._envelope(
            f"<sessionid>{session_id}</sessionid>",
            limit_loop._query("APBILL", fields, None, rows),
            sender=INTACCT_CREDENTIALS["sender_id"],
            sender_password=INTACCT_CREDENTIALS["sender_password"],
        )
        return http.post(endpoint, data=body, headers={"Content-Type": "application/xml"}).content


def best_of(label: str, runs: int, work: Callable[[], object]) -> float:
    """Best wall time in seconds of `runs` calls of work, printed as ms per page."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    print(f"  {label:<58} {best * 1000:8.1f} ms/page")
    return best


def _rows(root: Any) -> list[Any]:
    data = root.find("operation/result/data")
    if data is None:
        raise RuntimeError("no <data> in the page")
    return list(data)


def main() -> None:
    """Fetch one page, then time and print each parsing and encoding variant on it."""
    page = fetch_page()
    rows = etree.fromstring(page).find("operation/result/data")
    assert rows is not None
    count = len(rows)
    print(f"page: {count} rows x {len(rows[0])} fields, {len(page) / 1e6:.1f} MB of XML")

    lxml_root = etree.fromstring(page)
    et_root = ET.fromstring(page)  # noqa: S314
    lxml_rows = _rows(lxml_root)
    et_rows = _rows(et_root)

    def walk(rows: list[Any]) -> int:
        total = 0
        for row in rows:
            for child in row:
                total += len(child.tag) + (0 if child.text is None else 1)
        return total

    def dumps(rows: list[Any]) -> int:
        total = 0
        for row in rows:
            total += len(json.dumps({c.tag: c.text for c in row}))
        return total

    def iterparse() -> int:
        total = 0
        for _, element in etree.iterparse(io.BytesIO(page), tag="APBILL"):
            total += len(json.dumps({c.tag: c.text for c in element}))
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
        return total

    field = re.compile(r"<([A-Za-z0-9_.]+)>([^<]*)</\\1>|<([A-Za-z0-9_.]+)/>")

    def regex_rows() -> int:
        # No tree at all: the page text is flat <ROW><F>text</F><G/>...</ROW>; entities are rare
        # in money/date/code fields, so unescape only where an '&' appears.
        text = page.decode()
        data = text[text.index("<data") : text.rindex("</data>")]
        total = 0
        for chunk in data.split("</APBILL>")[:-1]:
            record: dict[str, str | None] = {}
            for tag, value, empty in field.findall(chunk[chunk.index("<APBILL>") + 8 :]):
                if empty:
                    record[empty] = None
                else:
                    record[tag] = html.unescape(value) if "&" in value else value
            total += len(json.dumps(record))
        return total

    print("CPU (best of 5):")
    best_of("lxml fromstring", 5, lambda: etree.fromstring(page))
    best_of("ElementTree (expat) fromstring", 5, lambda: ET.fromstring(page))  # noqa: S314
    lxml_walk = best_of("walk children (tag + text), lxml", 5, lambda: walk(lxml_rows))
    et_walk = best_of("walk children (tag + text), ElementTree", 5, lambda: walk(et_rows))
    best_of("dict + json.dumps per row, lxml", 5, lambda: dumps(lxml_rows))
    best_of("dict + json.dumps per row, ElementTree", 5, lambda: dumps(et_rows))
    best_of("lxml iterparse + dict + dumps + clear (streaming)", 5, iterparse)
    best_of("regex over the page text + dict + dumps (no tree)", 5, regex_rows)
    best_of(
        "lxml fromstring + dict + dumps (the limit loop)",
        5,
        lambda: dumps(_rows(etree.fromstring(page))),
    )
    print(f"  child walk: ElementTree is x{lxml_walk / et_walk:.1f} faster than lxml")

    saved = WORK / "micro" / "page.xml"
    saved.write_bytes(page)
    print("memory held while one page is parsed (RSS delta, fresh process each):")
    for kind in ("lxml", "etree", "iterparse"):
        held = subprocess.run(
            [sys.executable, "-m", "bench.micro_parse", "--rss", kind, str(saved)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(f"  {kind:<10} {held} MB  (raw XML {len(page) / 1e6:.1f} MB)")


def rss_of(kind: str, path: Path) -> float:
    """RSS in MB that parsing the page at path adds: lxml or etree tree, or iterparse peak."""
    page = path.read_bytes()
    gc.collect()
    before = _rss_mb()
    peak = before
    if kind == "lxml":
        tree: object = etree.fromstring(page)
        peak = _rss_mb()
    elif kind == "etree":
        tree = ET.fromstring(page)  # noqa: S314
        peak = _rss_mb()
    else:
        for _, element in etree.iterparse(io.BytesIO(page), tag="APBILL"):
            json.dumps({c.tag: c.text for c in element})
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
            peak = max(peak, _rss_mb())
        tree = None
    del tree
    return peak - before


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--rss":
        print(f"{rss_of(sys.argv[2], Path(sys.argv[3])):.1f}")
    else:
        main()

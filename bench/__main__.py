"""`make bench`: every benchmark, each figure beside its reference, appended to RESULTS.md.

.venv/bin/python -m bench                       # the full run (every size; ~30+ min)
.venv/bin/python -m bench --quick               # a small smoke run of every bench
.venv/bin/python -m bench --only tap,target --tap-rows 50000,200000 --target-lines 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import discovery, e2e, latency, tap_extract, target_load
from bench.common import BENCH, BIN, REPO, BenchResult, Figure
from bench.machine import machine_info

BENCHES = ("tap", "latency", "target", "e2e", "discovery", "recognition")
RESULTS = BENCH / "RESULTS.md"
FULL = {
    "tap_rows": [50_000, 200_000, 1_000_000],
    "target_lines": [100_000, 1_000_000],
    "e2e_scales": [1.0, 100.0],
    "latency_scale": 1.0,
    "discovery_objects": [130, 500],
    "sync_scale": 1.0,
}
QUICK = {
    "tap_rows": [4_000, 8_000],
    "target_lines": [2_000, 4_000],
    "e2e_scales": [0.1],
    "latency_scale": 0.2,
    "discovery_objects": [130],
    "sync_scale": 0.2,
}


def _ints(text: str) -> list[int]:
    return [int(part.replace("_", "").replace("k", "000")) for part in text.split(",") if part]


def _floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part]


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the command line; sizes left unset take the --quick or full-size defaults."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of all")
    parser.add_argument(
        "--only", default=",".join(BENCHES), help=f"comma-separated subset of {','.join(BENCHES)}"
    )
    parser.add_argument("--tap-rows", type=_ints, help="APBILL sizes, e.g. 50000,200000")
    parser.add_argument("--target-lines", type=_ints, help="cost lines, e.g. 100000,1000000")
    parser.add_argument("--e2e-scales", type=_floats, help="sandbox --scale values, e.g. 1,100")
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--latency-scale", type=float, help="sandbox --scale of the latency bench")
    parser.add_argument(
        "--discovery-objects",
        type=_ints,
        help="generated custom objects beside the demo company's, e.g. 130,500",
    )
    parser.add_argument("--sync-scale", type=float, help="sandbox --scale of the full sync")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy runs")
    parser.add_argument(
        "--no-fetch-only", action="store_true", help="skip the tap bench's fetch-only walk"
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="file the run is appended to")
    parser.add_argument("--no-append", action="store_true", help="print only")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    unknown = set(args.only.split(",")) - set(BENCHES)
    if unknown:
        parser.error(f"--only: unknown bench {', '.join(sorted(unknown))}; known: {BENCHES}")
    return args


def recognition() -> BenchResult:
    """bench/recognition.py is its own script (precision, recall, throughput); quote what it prints."""
    result = BenchResult("recognition")
    started = time.perf_counter()
    output = subprocess.run(
        [sys.executable, str(BENCH / "recognition.py")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in output.splitlines():
        result.note(line)
        # Lines like "eval all  n=716 positives=492 precision=1.000 recall=1.000 (...)"; the script's
        # labels are its own, so each quality line becomes a row under the label it prints.
        if "precision=" in line and " n=" in line:
            label = " ".join(line.split(" n=", 1)[0].split())
            result.add(label, "precision=" + line.split("precision=", 1)[1].split(" (", 1)[0])
        if line.startswith("throughput: "):
            result.add("descriptors/s", line.removeprefix("throughput: "))
    result.note(f"(recognition bench took {time.perf_counter() - started:.1f}s)")
    return result


def table(figures: list[Figure]) -> str:
    """The figures as a Markdown table, one row per figure, with its goal and verdict."""
    rows = [
        "| bench | case | measured | reference (same run) | ratio | goal | met |",
        "|---|---|---|---|---|---|---|",
    ]
    rows += [
        f"| {f.bench} | {f.case} | {f.measured} | {f.reference} | {f.ratio} | {f.goal} | {f.verdict} |"
        for f in figures
    ]
    return "\n".join(rows)


def report(args: argparse.Namespace, results: list[BenchResult], seconds: float) -> str:
    """The Markdown section a run appends to RESULTS.md: machine, commit, table, notes."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## {stamp} - {'quick' if args.quick else 'full-size'} run ({seconds / 60:.1f} min)",
        "",
        f"- machine: {machine_info()}",
        f"- load average at the end (other work on the machine shares the cores): {_loadavg()}",
        f"- commit: {commit or '?'}{' + uncommitted changes' if dirty else ''}",
        f"- command: `python -m bench {shlex.join(sys.argv[1:])}`",
        "",
        table([f for r in results for f in r.figures]),
        "",
    ]
    for result in results:
        if result.notes or result.profiles:
            lines.append(f"**{result.name}**")
            lines.append("")
            lines += [f"- {note}" for note in result.notes]
            lines += [f"- profile: `{p.relative_to(REPO)}`" for p in result.profiles]
            lines.append("")
    return "\n".join(lines) + "\n"


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    """Run the selected benches (a failure becomes a FAILED row); exit status 1 if any failed."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # Some shells (CI, this team's sandbox) set PYTHONDONTWRITEBYTECODE: every child would then
    # recompile singer-sdk, SQLAlchemy & co. from source at each start (2-3 s of CPU), a cost no
    # installed plugin pays. The first child writes the bytecode caches; the figures are steady state.
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
        print("note: PYTHONDONTWRITEBYTECODE unset for the children (steady-state start-up)")
        for warm_up in (["tap-sage-intacct", "--about"], ["target-leanix", "--about"]):
            subprocess.run([str(BIN / warm_up[0]), *warm_up[1:]], capture_output=True, check=False)
    selected = args.only.split(",")
    profiled = not args.no_profile
    plan: list[tuple[str, Callable[[], BenchResult]]] = [
        (
            "tap",
            lambda: tap_extract.run(
                args.tap_rows, profile_tap=profiled, fetch_only=not args.no_fetch_only
            ),
        ),
        ("latency", lambda: latency.run(args.latency_ms, args.latency_scale)),
        ("target", lambda: target_load.run(args.target_lines, profile_target=profiled)),
        ("e2e", lambda: e2e.run(args.e2e_scales)),
        ("discovery", lambda: discovery.run(args.discovery_objects, args.sync_scale)),
        ("recognition", recognition),
    ]
    print(f"machine: {machine_info()}", flush=True)
    started = time.perf_counter()
    results: list[BenchResult] = []
    failed = False
    for name, bench in plan:
        if name not in selected:
            continue
        print(f"== {name}", flush=True)
        bench_started = time.perf_counter()
        try:
            results.append(bench())
        except Exception as error:
            failed = True
            broken = BenchResult(name)
            broken.add("FAILED", str(error).splitlines()[0][:200] if str(error) else repr(error))
            broken.note(f"failed: {str(error)[-1500:]}")
            results.append(broken)
        print(f"   ({time.perf_counter() - bench_started:.0f}s)", flush=True)
    text = report(args, results, time.perf_counter() - started)
    print("\n" + text)
    if not args.no_append:
        with args.results.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)
        print(f"appended to {args.results.relative_to(REPO)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

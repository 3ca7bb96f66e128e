"""Throughput: the tap on wide APBILL rows, side by side with the limit loop, in the same run.

Per size: one intacct-sandbox (`--wide`, APBILL = N rows), then, each as a child process measured by
wait4: the limit loop (HTTP + lxml + json.dumps per record over the same keyset pages), the tap with
only `ap_bill` selected (stdout to /dev/null, as the loop discards its JSON), and, for the smallest
size, the loop in fetch-only mode, which is the gateway's serving time alone. The sandbox runs on the
same cores, so every figure is read against the loop of the same run, and client CPU (user + system
of the child) is given beside wall time: it is what the tap would cost against a gateway that answers
instantly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import profile
from bench.common import (
    BIN,
    GATEWAY_PATH,
    PROFILES,
    BenchResult,
    discover,
    gateway_calls,
    mb,
    pages,
    rate,
    records_written,
    stream_entry,
    tap_config,
    workdir,
)
from bench.machine import ChildRun, run_child
from sandboxes.common.process import SandboxProcess

STREAM = "ap_bill"
OBJECT = "APBILL"
#: What the existing open-source taps manage on 120-field bill rows (the peers' reference figure).
PEER_RECORDS_PER_SECOND = 900


def _loop(url: str, fields: list[str], work: Path, *, fetch_only: bool) -> tuple[ChildRun, int]:
    argv = [
        sys.executable,
        "-m",
        "bench.limit_loop",
        "--gateway",
        url + GATEWAY_PATH,
        "--object",
        OBJECT,
        "--fields",
        ",".join(fields),
    ]
    if fetch_only:
        argv.append("--fetch-only")
    out = work / ("fetch.json" if fetch_only else "loop.json")
    run = run_child(argv, stdout_path=out, stderr_path=out.with_suffix(".log"))
    return run, int(json.loads(out.read_text())["records"])


def _tap_argv(config: Path, catalog: Path) -> list[str]:
    return [str(BIN / "tap-sage-intacct"), "--config", str(config), "--catalog", str(catalog)]


def run(sizes: list[int], *, profile_tap: bool, fetch_only: bool = True) -> BenchResult:
    """Time the tap against the limit loop on APBILL at each size; CPU, RSS and calls too."""
    result = BenchResult("tap")
    rss: dict[int, float] = {}
    for index, rows in enumerate(sizes):
        work = workdir(f"tap-{rows}")
        args = ["--seed", "7", "--scale", "0.01", "--wide", "--rows", f"{OBJECT}={rows}"]
        with SandboxProcess("intacct-sandbox", args) as box:
            config = tap_config(work / "config.json", box.url)
            catalog_path = work / "catalog.json"
            catalog = discover(config, catalog_path, {STREAM})
            fields = list(stream_entry(catalog, STREAM)["schema"]["properties"])
            fields = [f for f in fields if f != "_sdc_deleted_at"]

            box.reset_stats()
            loop, loop_records = _loop(box.url, fields, work, fetch_only=False)
            loop_calls = gateway_calls(box.stats())

            box.reset_stats()
            tap = run_child(_tap_argv(config, catalog_path), stderr_path=work / "tap.log", cwd=work)
            stats = box.stats()
            tap_calls = gateway_calls(stats)
            logins = int(stats["calls"].get("getAPISession", 0))
            tap_records = records_written(tap.stderr).get(STREAM, 0)
            stream_requests = _stream_requests(tap.stderr)

            fetch: ChildRun | None = None
            if index == 0 and fetch_only:
                fetch, _ = _loop(box.url, fields, work, fetch_only=True)

            if profile_tap and index == 0 and profile.available():
                raw = work / "tap.pyspy.raw"
                # The sandbox serving the profiled tap is sampled too: its share of the cores is
                # what the tap's wall time cannot go below.
                server_raw = work / "sandbox.pyspy.raw"
                server = profile.record(box.pid, server_raw, seconds=tap.seconds * 1.5 + 2)
                run_child(
                    profile.record_command(_tap_argv(config, catalog_path), raw),
                    stderr_path=work / "tap.pyspy.log",
                    cwd=work,
                )
                server.wait()
                case = f"{rows:,} wide APBILL rows, py-spy 100 Hz"
                result.profiles += [
                    profile.save(
                        raw, PROFILES / "tap-wide-apbill.txt", title=f"tap-sage-intacct, {case}"
                    ),
                    profile.save(
                        server_raw,
                        PROFILES / "intacct-sandbox-wide.txt",
                        title=f"intacct-sandbox serving the tap, {case}",
                    ),
                ]

        rss[rows] = tap.peak_rss_mb
        case = f"{rows:,} wide rows ({len(fields)} fields)"
        ratio = tap.seconds / loop.seconds
        result.add(
            f"{case}: records/s (wall)",
            rate(tap_records, tap.seconds),
            f"loop {rate(loop_records, loop.seconds)}",
            f"time x{ratio:.2f}",
            "time <= 1.2x loop",
            ratio <= 1.2,
        )
        result.add(
            f"{case}: records per client CPU-second",
            rate(tap_records, tap.cpu_seconds),
            f"loop {rate(loop_records, loop.cpu_seconds)}",
            f"CPU x{tap.cpu_seconds / loop.cpu_seconds:.2f}",
        )
        result.add(
            f"{case}: records/s vs peers",
            rate(tap_records, tap.seconds),
            f"peers ~{PEER_RECORDS_PER_SECOND}/s (reference figure)",
            f"x{tap_records / tap.seconds / PEER_RECORDS_PER_SECOND:.1f}",
            f">= {10 * PEER_RECORDS_PER_SECOND:,}/s",
            tap_records / tap.seconds >= 10 * PEER_RECORDS_PER_SECOND,
        )
        result.add(
            f"{case}: peak RSS",
            mb(tap.peak_rss_mb),
            f"loop {mb(loop.peak_rss_mb)}",
            f"x{tap.peak_rss_mb / loop.peak_rss_mb:.2f}",
            "< 150 MB",
            tap.peak_rss_mb < 150,
        )
        allowed = pages(rows) + 1
        result.add(
            f"{case}: API calls",
            f"{tap_calls} ({stream_requests} for the stream, {logins} login)",
            f"loop {loop_calls}",
            "",
            f"<= {allowed} (ceil(rows/2000) + 1 login) + time-zone reads",
            stream_requests <= pages(rows) and logins <= 1,
        )
        result.note(
            f"{rows:,} rows: tap {tap_records} records in {tap.seconds:.1f}s wall, "
            f"{tap.cpu_seconds:.1f}s CPU, {tap.peak_rss_mb:.0f} MB peak, {tap_calls} requests; "
            f"loop {loop_records} records in {loop.seconds:.1f}s wall, {loop.cpu_seconds:.1f}s CPU, "
            f"{loop.peak_rss_mb:.0f} MB peak, {loop_calls} requests. The loop is strictly serial, so "
            f"its wall minus its CPU ({loop.seconds - loop.cpu_seconds:.1f}s) is the sandbox's "
            f"serving + transfer time."
        )
        if fetch is not None:
            result.add(
                f"{case}: sandbox serving time (fetch only)",
                f"{fetch.seconds:.1f}s = {rate(loop_records, fetch.seconds)}",
                f"loop {loop.seconds:.1f}s",
                f"{100 * fetch.seconds / loop.seconds:.0f}% of loop time",
            )
            result.note(
                f"fetch-only walk (HTTP + finding the next keyset, no per-record work): "
                f"{fetch.seconds:.1f}s wall, {fetch.cpu_seconds:.1f}s client CPU - the sandbox "
                f"generating and rendering {len(fields)}-field rows in pure Python is the ceiling "
                f"both the loop and the tap run into."
            )
    result.add_rss_growth(rss, "rows")
    return result


def _stream_requests(log: str) -> int:
    marker = f"Stream '{STREAM}' cost "
    for line in log.splitlines():
        if marker in line:
            return int(line.split(marker, 1)[1].split()[0])
    return -1

"""Latency: extraction of the streams LeanIX needs when every gateway call takes 300 ms.

The sandbox adds `--latency-ms` to each gateway call. A tap that sends one request at a time pays
pages x latency per stream plus its logins: that is the serial-page bound, computed here from the row
counts the sandbox reports (`ceil(rows / 2000)` pages a stream, at least one) and checked against the
requests the sandbox counted. The tap runs twice, with `max_concurrent_requests` 1 and 2 (Intacct's
default limit); the wall times are read against that bound.
"""

from __future__ import annotations

from typing import Any

from bench.common import (
    BIN,
    BenchResult,
    discover,
    gateway_calls,
    pages,
    records_written,
    stream_entry,
    stream_object,
    tap_config,
    workdir,
)
from bench.machine import run_child
from sandboxes.common.process import SandboxProcess
from target_leanix.mapping import USED_STREAMS


def run(latency_ms: int, scale: float) -> BenchResult:
    """Time the LeanIX streams under gateway latency against the serial-page bound."""
    result = BenchResult("latency")
    work = workdir("latency")
    latency = latency_ms / 1000
    args = ["--seed", "7", "--scale", str(scale)]
    with SandboxProcess("intacct-sandbox", args) as box:
        discovery_config = tap_config(work / "discover.json", box.url)
        catalog_path = work / "catalog.json"
        catalog = discover(discovery_config, catalog_path, set(USED_STREAMS))
        streams = sorted(s for s in USED_STREAMS if _has(catalog, s))
        counts = {
            s: int(
                box.admin("GET", f"/admin/objects/{stream_object(stream_entry(catalog, s))}/count")[
                    "count"
                ]
            )
            for s in streams
        }
        page_total = sum(pages(n) for n in counts.values())
        walls: dict[int, float] = {}
        requests: dict[int, int] = {}
        # Concurrency 0 stands for "no latency, 2 concurrent": the tap's own fixed cost (start-up,
        # CPU), which is not what latency costs.
        for concurrency in (0, 1, 2):
            box.admin("POST", "/admin/latency", {"seconds": latency if concurrency else 0})
            config = tap_config(
                work / f"config-{concurrency}.json",
                box.url,
                max_concurrent_requests=concurrency or 2,
            )
            box.reset_stats()
            tap = run_child(
                [
                    str(BIN / "tap-sage-intacct"),
                    "--config",
                    str(config),
                    "--catalog",
                    str(catalog_path),
                ],
                stderr_path=work / f"tap-{concurrency}.log",
                cwd=work,
            )
            stats: dict[str, Any] = box.stats()
            requests[concurrency] = gateway_calls(stats)
            walls[concurrency] = tap.seconds
            written = sum(records_written(tap.stderr).values())
            logins = int(stats["calls"].get("getAPISession", 0))
            result.note(
                f"{'latency 0, ' if not concurrency else ''}"
                f"max_concurrent_requests={concurrency or 2}: {written} records from {len(streams)} "
                f"streams in {tap.seconds:.1f}s, {requests[concurrency]} gateway requests "
                f"({logins} login), {tap.peak_rss_mb:.0f} MB peak"
            )
    # One login, plus the time-zone read every run makes before its first stream.
    bound_requests = page_total + 2
    bound = bound_requests * latency
    measured_bound = requests[2] * latency
    result.note(
        f"{len(streams)} streams ({', '.join(f'{s}={counts[s]}' for s in streams)}): "
        f"{page_total} pages; serial-page bound = ({page_total} pages + 1 login + 1 time-zone "
        f"read) x {latency_ms} ms = {bound:.1f}s; requests actually sent x {latency_ms} ms = "
        f"{measured_bound:.1f}s"
    )
    fixed = walls[0]
    result.add(
        f"scale {scale:g}, no latency (the tap's fixed cost)",
        f"{fixed:.1f}s",
        f"{requests[0]} requests",
    )
    for concurrency in (1, 2):
        waited = walls[concurrency] - fixed
        result.add(
            f"scale {scale:g}, {latency_ms} ms/call, max_concurrent_requests={concurrency}",
            f"{walls[concurrency]:.1f}s wall; {waited:.1f}s over no-latency",
            f"serial-page bound {bound:.1f}s",
            f"x{waited / bound:.2f}",
            "< bound" if concurrency == 2 else "~ bound",
            waited < bound if concurrency == 2 else None,
        )
    speedup = (walls[1] - fixed) / max(walls[2] - fixed, 1e-9)
    result.add(
        f"scale {scale:g}: latency cost, 1 vs 2 concurrent requests",
        f"x{speedup:.2f} less with 2",
        "ideal x2.00",
        "",
        "> x1.3",
        speedup > 1.3,
    )
    return result


def _has(catalog: dict[str, Any], stream: str) -> bool:
    return any(e["tap_stream_id"] == stream for e in catalog["streams"])

"""Discovery of a company with many objects, and a full sync of every object at demo scale.

Discovery: one intacct-sandbox per size with `--extra-objects N` (generated custom objects beside the
demo company's ~36), `tap-sage-intacct --discover` as a child process measured by wait4: wall time,
client CPU, peak RSS, gateway requests and logins; then the same with `--latency-ms` per gateway call,
where the request count is what the wall time is made of. The reference is the peers' cost (one
`lookup` request per object, and hotglue logs in once per object: bench/RESULTS.md cites their runs).

Full sync: the demo company (`--scale 1`), every discovered stream selected, the tap's RECORD lines
counted; the reference is the sandbox's own row count of every object (its admin API).
"""

from __future__ import annotations

import json
import math

from bench.common import BIN, BenchResult, discover, gateway_calls, mb, rate, tap_config, workdir
from bench.machine import ChildRun, run_child
from sandboxes.common.process import SandboxProcess

#: Functions a discovery request carries (tap_sage_intacct.discovery.LOOKUPS_PER_REQUEST).
BATCH = 50
LATENCY_MS = 300


def _discover_once(
    objects_extra: int, latency_ms: int, name: str
) -> tuple[int, int, int, ChildRun]:
    work = workdir(name)
    args = ["--seed", "7", "--scale", "0.01", "--extra-objects", str(objects_extra)]
    if latency_ms:
        args += ["--latency-ms", str(latency_ms)]
    with SandboxProcess("intacct-sandbox", args) as box:
        config = tap_config(work / "config.json", box.url)
        box.reset_stats()
        child = run_child(
            [str(BIN / "tap-sage-intacct"), "--config", str(config), "--discover"],
            stdout_path=work / "catalog.json",
            stderr_path=work / "discover.log",
        )
        stats = box.stats()
    streams = len(json.loads((work / "catalog.json").read_text())["streams"])
    logins = int(stats["calls"].get("getAPISession", 0))
    return streams, gateway_calls(stats), logins, child


def run_discovery(extra_objects: list[int], result: BenchResult) -> None:
    """Discovery figures, per company size, without and with gateway latency."""
    for extra in extra_objects:
        streams, requests, logins, child = _discover_once(extra, 0, f"discovery-{extra}")
        allowed = 1 + 1 + 2 * math.ceil(streams / BATCH) + 1
        case = f"discovery, {streams} objects"
        result.add(
            f"{case}: wall",
            f"{child.seconds:.2f}s",
            f"peers: {streams} lookup requests",
            "",
            "< 5 s",
            child.seconds < 5,
        )
        result.add(
            f"{case}: gateway requests",
            f"{requests} ({logins} login)",
            f"peers {streams}+ (one lookup each)",
            f"x{requests / streams:.2f}",
            f"<= {allowed} (1 login + inspect + 2 x ceil(objects/{BATCH}) + 1)",
            requests <= allowed and logins == 1,
        )
        result.add(
            f"{case}: client CPU / peak RSS",
            f"{child.cpu_seconds:.2f}s / {mb(child.peak_rss_mb)}",
        )
        slow, slow_requests, _, slow_child = _discover_once(
            extra, LATENCY_MS, f"discovery-{extra}-latency"
        )
        result.add(
            f"{case}: wall at {LATENCY_MS} ms a call",
            f"{slow_child.seconds:.1f}s",
            f"peers >= {streams * LATENCY_MS / 1000:.0f}s (one request per object)",
            f"x{slow_child.seconds / (streams * LATENCY_MS / 1000):.2f}",
        )
        result.note(
            f"{slow} objects discovered with {slow_requests} requests at {LATENCY_MS} ms each; "
            f"without latency {child.seconds:.2f}s wall, {child.cpu_seconds:.2f}s CPU."
        )


def run_full_sync(scale: float, result: BenchResult) -> None:
    """Every discovered stream of the demo company, synced once, against the sandbox's counts."""
    work = workdir(f"sync-all-{scale}")
    with SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", str(scale)]) as box:
        config = tap_config(work / "config.json", box.url)
        catalog_path = work / "catalog.json"
        catalog = discover(config, catalog_path, set())
        names = [e["tap_stream_id"] for e in catalog["streams"]]
        discover(config, catalog_path, set(names))
        counts = box.admin("GET", "/admin/objects")
        expected = sum(counts.values()) + int(box.admin("GET", "/admin/supdoc")["count"])
        box.reset_stats()
        child = run_child(
            [
                str(BIN / "tap-sage-intacct"),
                "--config",
                str(config),
                "--catalog",
                str(catalog_path),
            ],
            stdout_path=work / "out.singer",
            stderr_path=work / "sync.log",
        )
        requests = gateway_calls(box.stats())
    records = sum(
        1
        for line in (work / "out.singer").read_text().splitlines()
        if line.startswith('{"type":"RECORD"') and '"_sdc_deleted_at":"' not in line
    )
    case = f"full sync of all {len(names)} streams, demo scale {scale:g}"
    result.add(
        f"{case}: records/s (wall)",
        rate(records, child.seconds),
        f"{expected:,} rows in the sandbox",
        f"{records:,} live records read",
        "every row read once",
        records == expected,
    )
    result.add(
        f"{case}: wall / CPU / peak RSS / requests",
        f"{child.seconds:.1f}s / {child.cpu_seconds:.1f}s / {mb(child.peak_rss_mb)} / {requests}",
    )


def run(extra_objects: list[int], sync_scale: float) -> BenchResult:
    """The `discovery` bench: both parts (module docstring)."""
    result = BenchResult("discovery")
    run_discovery(extra_objects, result)
    run_full_sync(sync_scale, result)
    return result

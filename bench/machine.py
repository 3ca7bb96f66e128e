"""What a figure was measured on, and how to measure a child process without disturbing it."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def machine_info() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}{memory}, Python {platform.python_version()}"


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout_bytes: int


def run_child(
    argv: list[str],
    *,
    stdin_path: Path | None = None,
    env: dict[str, str] | None = None,
    stdout_path: Path | None = None,
) -> ChildRun:
    """Run a command to completion; wall time and the child's own peak RSS come from wait4."""
    stdin = stdin_path.open("rb") if stdin_path else subprocess.DEVNULL
    stdout = stdout_path.open("wb") if stdout_path else subprocess.DEVNULL
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            argv,
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    finally:
        if stdin_path:
            stdin.close()  # type: ignore[union-attr]
        if stdout_path:
            stdout.close()  # type: ignore[union-attr]
    returncode = os.waitstatus_to_exitcode(status)
    if returncode != 0:
        raise RuntimeError(f"{argv[0]} exited {returncode}: {stderr[-2000:]}")
    size = stdout_path.stat().st_size if stdout_path else 0
    return ChildRun(elapsed, usage.ru_maxrss / 1024, returncode, size)

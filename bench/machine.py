"""What a figure was measured on, and how to measure a child process without disturbing it."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def machine_info() -> str:
    """One line: host, cores, CPU model, RAM in GiB and Python version (from /proc if present)."""
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
    """A finished child process: wall and CPU seconds, peak RSS in MB, exit status, output size."""

    seconds: float
    #: user + system CPU of the child (and of the children it waited for), from wait4.
    cpu_seconds: float
    peak_rss_mb: float
    returncode: int
    stdout_bytes: int
    stderr: str


def run_child(
    argv: list[str],
    *,
    stdin_path: Path | None = None,
    env: dict[str, str] | None = None,
    stdout_path: Path | None = None,
    stderr_path: Path,
    cwd: Path | None = None,
) -> ChildRun:
    """Run a command to completion; wall time, CPU and the child's own peak RSS come from wait4.

    stderr goes to a file, not a pipe: a chatty child must never block on a full pipe while we wait.
    """
    stdin = stdin_path.open("rb") if stdin_path else subprocess.DEVNULL
    stdout = stdout_path.open("wb") if stdout_path else subprocess.DEVNULL
    stderr = stderr_path.open("wb")
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            argv,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            cwd=cwd,
            env={**os.environ, **(env or {})},
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdin_path:
            stdin.close()  # type: ignore[union-attr]
        if stdout_path:
            stdout.close()  # type: ignore[union-attr]
        stderr.close()
    text = stderr_path.read_text(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{Path(argv[0]).name} exited {process.returncode}: {text[-3000:]}")
    size = stdout_path.stat().st_size if stdout_path else 0
    return ChildRun(
        elapsed,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        process.returncode,
        size,
        text,
    )

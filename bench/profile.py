"""Turn py-spy's collapsed stacks into the text a report can quote: top frames by own and total time.

py-spy (installed into the venv for benchmarking) samples a running process without slowing it much;
`record --format raw` writes one line per distinct stack, `frame;frame;... count`.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

PY_SPY = Path(sys.executable).parent / "py-spy"


def available() -> bool:
    """Whether py-spy is installed in the venv (profiles are skipped otherwise)."""
    return PY_SPY.exists()


def record(pid: int, out: Path, *, seconds: float, rate: int = 100) -> subprocess.Popen[bytes]:
    """Start sampling `pid` in the background; wait on the returned process for the file."""
    return subprocess.Popen(
        [
            str(PY_SPY),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, int(seconds))),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def record_command(argv: list[str], out: Path, *, rate: int = 100) -> list[str]:
    """The argv that runs `argv` under py-spy (subprocesses included) writing collapsed stacks."""
    return [
        str(PY_SPY),
        "record",
        "--rate",
        str(rate),
        "--format",
        "raw",
        "--subprocesses",
        "--output",
        str(out),
        "--",
        *argv,
    ]


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (module.py:123)"
    name, _, where = frame.partition(" (")
    if not where:
        return frame
    path = where.rstrip(")")
    return f"{name} ({path.rsplit('/', 1)[-1]})"


def summarize(raw: Path, *, top: int = 20, title: str = "") -> str:
    """The top frames of a py-spy raw file by own and by total time, in percent of samples."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";") if f]
        # Drop the process/thread header py-spy puts first.
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    if not samples:
        return f"{title}: no samples\n"
    lines = [f"{title} ({samples} samples)" if title else f"{samples} samples", "", "own time:"]
    lines += [f"  {100 * n / samples:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "total time (frame on the stack):"]
    lines += [f"  {100 * n / samples:5.1f}%  {frame}" for frame, n in total.most_common(top)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(summarize(Path(sys.argv[1]), top=int(sys.argv[2]) if len(sys.argv) > 2 else 20))


def save(raw: Path, out: Path, *, title: str, top: int = 20) -> Path:
    """Summarise `raw` into `out` (a profile file the report links to)."""
    out.write_text(summarize(raw, title=title, top=top))
    return out

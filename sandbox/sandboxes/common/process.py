"""Start a sandbox as a child process and talk to its admin API.

Tests, the demo and the benchmarks all start sandboxes through `SandboxProcess`, so each of them runs the
real console script over real HTTP, exactly as a user would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

READY_TIMEOUT_SECONDS = 60.0


class SandboxError(RuntimeError):
    """A sandbox could not be started or did not become ready."""


def _console_script(name: str) -> str:
    """Prefer the script beside the running interpreter, so a venv's sandbox is used without PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SandboxError(f"console script {name!r} not found; is the sandbox package installed?")
    return found


class SandboxProcess:
    """A running sandbox. Use as a context manager; `url` is the base URL it printed when ready."""

    def __init__(
        self, command: str, args: Sequence[str] = (), env: dict[str, str] | None = None
    ) -> None:
        self.command = command
        self.args = [str(a) for a in args]
        self.env = env
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._stderr: list[str] = []

    def start(self) -> Self:
        """Start the console script (on a free port unless --port is given); await its URL line."""
        argv = [_console_script(self.command), *self.args]
        if "--port" not in self.args:
            argv += ["--port", "0"]
        self._process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(self.env or {})},
        )
        assert self._process.stdout is not None  # noqa: S101 - Popen with PIPE always has one
        assert self._process.stderr is not None  # noqa: S101
        threading.Thread(target=self._drain, args=(self._process.stderr,), daemon=True).start()
        ready = threading.Event()
        line_holder: list[str] = []

        def read_first_line() -> None:
            assert self._process is not None  # noqa: S101
            assert self._process.stdout is not None  # noqa: S101
            line_holder.append(self._process.stdout.readline())
            ready.set()
            self._drain(self._process.stdout)

        threading.Thread(target=read_first_line, daemon=True).start()
        if not ready.wait(READY_TIMEOUT_SECONDS) or "http://" not in line_holder[0]:
            self.stop()
            raise SandboxError(
                f"{self.command} did not report its URL: {line_holder[:1]} {''.join(self._stderr)[-2000:]}"
            )
        self.url = line_holder[0].strip().split()[-1].rstrip("/")
        return self

    @property
    def pid(self) -> int:
        """The server's process id (benchmarks sample it with py-spy)."""
        if self._process is None:
            raise RuntimeError(f"{self.command} is not running")
        return self._process.pid

    def _drain(self, stream: Any) -> None:  # noqa: ANN401 - a text pipe
        for line in stream:
            self._stderr.append(line)
            del self._stderr[:-200]

    @property
    def output(self) -> str:
        """The last 200 lines the sandbox printed after its URL line (stdout and stderr)."""
        return "".join(self._stderr)

    def stop(self) -> None:
        """SIGTERM the sandbox and wait up to 10 s, then kill it; no-op if it is not running."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def admin(self, method: str, path: str, payload: object | None = None) -> Any:  # noqa: ANN401
        """Call an admin endpoint and return its decoded JSON."""
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - always our own loopback URL
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            body = response.read()
        return json.loads(body) if body else None

    def set_faults(self, rules: list[dict[str, Any]], seed: int = 0) -> Any:  # noqa: ANN401
        """Replace the sandbox's fault rules (`/admin/faults`), seeded for reproducible draws."""
        return self.admin("POST", "/admin/faults", {"rules": rules, "seed": seed})

    def clear_faults(self) -> None:
        """Remove every fault rule of the sandbox."""
        self.admin("DELETE", "/admin/faults")

    def stats(self) -> dict[str, dict[str, int]]:
        """The sandbox's call counters: per path, per call key, per injected fault kind."""
        result: dict[str, dict[str, int]] = self.admin("GET", "/admin/stats")
        return result

    def reset_stats(self) -> None:
        """Zero the sandbox's call counters."""
        self.admin("DELETE", "/admin/stats")

"""End-to-end fixtures: real sandboxes as processes, and `meltano` run the way a user runs it.

Each test gets its own Meltano system database and state backend under tmp_path, so tests stay
independent and can run in parallel; the plugins themselves are installed once by `make plugins`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandboxes.common.meltano import private_sys_dir
from sandboxes.common.process import SandboxProcess

REPO = Path(__file__).resolve().parent.parent
MELTANO = Path(sys.executable).parent / "meltano"
GATEWAY_PATH = "/ia/xml/xmlgw.phtml"
# A quarter of the demo company: every kind of record and hard case, at a size the suite can afford
# to run through `meltano run` several times (the demo and the benchmarks run the full scale).
E2E_SCALE = "0.25"


@dataclass
class MeltanoProject:
    """A Meltano invocation context: the repo's meltano.yml, with private system db and state."""

    home: Path
    env: dict[str, str]

    def run(
        self,
        *args: str,
        extra_env: Mapping[str, str] | None = None,
        check: bool = True,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(MELTANO), *args],
            cwd=REPO,
            env={**os.environ, **self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"meltano {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-8000:]}"
            )
        return result


@pytest.fixture
def intacct() -> Iterator[SandboxProcess]:
    with SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", E2E_SCALE]) as sandbox:
        yield sandbox


@pytest.fixture
def leanix(tmp_path: Path) -> Iterator[SandboxProcess]:
    with SandboxProcess("leanix-sandbox", ["--db", str(tmp_path / "leanix.sqlite")]) as sandbox:
        yield sandbox


def meltano_project(
    tmp_path: Path,
    intacct: SandboxProcess | None,
    leanix: SandboxProcess | None,
    *,
    state_dir: Path | None = None,
) -> MeltanoProject:
    state = state_dir or tmp_path / "state"
    state.mkdir(parents=True, exist_ok=True)
    env = {
        "MELTANO_SYS_DIR_ROOT": str(private_sys_dir(tmp_path, REPO)),
        "MELTANO_ENVIRONMENT": "sandbox",
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "MELTANO_STATE_BACKEND_URI": state.as_uri(),
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TARGET_LEANIX_LEDGER_PATH": str(tmp_path / "ledger.sqlite"),
    }
    if intacct is not None:
        env["TAP_SAGE_INTACCT_API_URL"] = intacct.url + GATEWAY_PATH
    if leanix is not None:
        env["TARGET_LEANIX_BASE_URL"] = leanix.url
    return MeltanoProject(home=tmp_path, env=env)


POSTGRES_HOST, POSTGRES_PORT = "127.0.0.1", 5432


def _postgres_answers() -> bool:
    try:
        with socket.create_connection((POSTGRES_HOST, POSTGRES_PORT), timeout=2):
            return True
    except OSError:
        return False


def _start_debian_postgres() -> None:
    """Start the Debian cluster if the package is installed but the server is down (as on CI images)."""
    if shutil.which("pg_lsclusters") is None or shutil.which("pg_ctlcluster") is None:
        return
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=False
    )
    for line in listing.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[3] != "online":
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", fields[0], fields[1], "start"],
                capture_output=True,
                check=False,
            )


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """A libpq DSN for the local PostgreSQL; skips with the reason when no server can be had."""
    if not _postgres_answers():
        _start_debian_postgres()
    if not _postgres_answers():
        pytest.skip(
            f"no PostgreSQL answers on {POSTGRES_HOST}:{POSTGRES_PORT} (trust auth, database 'test')"
        )
    return f"host={POSTGRES_HOST} port={POSTGRES_PORT} user=postgres dbname=test"

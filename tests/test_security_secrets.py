"""Secrets never leak: the whole pipeline at DEBUG through `meltano run`, then every output is searched.

The sandboxes run with distinctive, non-default secrets (sender password, user password, LeanIX API
token). After the run, none of them, and no JWT (the MTM access tokens the sandbox issues are JWTs),
may appear in meltano's stdout or stderr, the saved state (`meltano state get` and the state backend's
files), the ledger's bytes, or any file written under the run's directories.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import urllib.request
from collections.abc import Iterator

import pytest

from sandboxes.common.process import SandboxProcess

from .conftest import REPO, meltano_project
from .reliability_helpers import JWT, SMALL_COMPANY, STREAMS, TOKEN_PATH, files_under

pytestmark = pytest.mark.slow

SENDER_PASSWORD = f"SndPw-{secrets.token_hex(8)}"
USER_PASSWORD = f"UsrPw-{secrets.token_hex(8)}"
API_TOKEN = f"LxTok-{secrets.token_hex(8)}"
SECRETS = {
    "sender password": SENDER_PASSWORD,
    "user password": USER_PASSWORD,
    "LeanIX API token": API_TOKEN,
}


@pytest.fixture
def intacct() -> Iterator[SandboxProcess]:
    args = [*SMALL_COMPANY, "--sender-password", SENDER_PASSWORD, "--user-password", USER_PASSWORD]
    with SandboxProcess("intacct-sandbox", args) as sandbox:
        yield sandbox


@pytest.fixture
def leanix(tmp_path) -> Iterator[SandboxProcess]:
    args = ["--db", str(tmp_path / "leanix.sqlite"), "--token", API_TOKEN]
    with SandboxProcess("leanix-sandbox", [*args, "--in-progress-hold-seconds", "0.05"]) as sandbox:
        yield sandbox


def issue_access_token(leanix: SandboxProcess) -> str:
    basic = base64.b64encode(f"apitoken:{API_TOKEN}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - the loopback sandbox
        f"{leanix.url}{TOKEN_PATH}",
        data=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {basic}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        token: str = json.loads(response.read())["access_token"]
    return token


def leaks(haystack: bytes, where: str, extra: dict[str, str]) -> list[str]:
    found = [
        f"{name} in {where}"
        for name, value in {**SECRETS, **extra}.items()
        if value.encode() in haystack
    ]
    if JWT.search(haystack.decode("utf-8", "replace")):
        found.append(f"a JWT (access token) in {where}")
    return found


def test_no_secret_anywhere_after_a_debug_run(intacct, leanix, tmp_path):
    own_token = issue_access_token(leanix)
    assert JWT.fullmatch(own_token), "the JWT pattern must match the tokens LeanIX issues"
    started = time.time()
    project = meltano_project(tmp_path, intacct, leanix)
    env = {
        "TAP_SAGE_INTACCT_SENDER_PASSWORD": SENDER_PASSWORD,
        "TAP_SAGE_INTACCT_USER_PASSWORD": USER_PASSWORD,
        "TARGET_LEANIX_API_TOKEN": API_TOKEN,
        "TARGET_LEANIX_COMPANY_KEY": "SECRETS",
        "TAP_SAGE_INTACCT__SELECT": json.dumps([f"{s}.*" for s in STREAMS]),
        "TAP_SAGE_INTACCT_PAGE_SIZE": "50",
        "TAP_SAGE_INTACCT_LOGLEVEL": "DEBUG",
        "TARGET_LEANIX_LOGLEVEL": "DEBUG",
        "LOGLEVEL": "DEBUG",
    }
    run = project.run(
        "--log-level=debug", "run", "tap-sage-intacct", "target-leanix", extra_env=env
    )
    assert "DEBUG" in run.stderr.upper()
    listed = project.run("state", "list", extra_env=env).stdout.split()
    state_ids = [word for word in listed if "tap-sage-intacct" in word]
    assert state_ids, listed
    state = project.run("state", "get", state_ids[0], extra_env=env).stdout
    assert "bookmarks" in state
    extra = {"the access token issued": own_token}
    problems = []
    problems += leaks(run.stdout.encode(), "meltano stdout", extra)
    problems += leaks(run.stderr.encode(), "meltano stderr", extra)
    problems += leaks(state.encode(), "meltano state get", extra)
    scanned = 0
    for path in files_under(tmp_path):
        if path.name.startswith("leanix.sqlite"):
            continue  # the LeanIX sandbox's own database (it stores its signing key, by design)
        scanned += 1
        problems += leaks(path.read_bytes(), str(path.relative_to(tmp_path)), extra)
    # Meltano writes each plugin's config to .meltano/run/ while it runs: it must be gone or clean.
    for path in files_under(REPO / ".meltano" / "run"):
        if path.stat().st_mtime >= started:
            scanned += 1
            problems += leaks(path.read_bytes(), str(path.relative_to(REPO)), extra)
    assert (tmp_path / "ledger.sqlite").exists()
    print(f"scanned meltano output, state and {scanned} files: {len(problems)} leaks")
    assert not problems, "\n".join(problems)

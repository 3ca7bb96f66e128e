"""Bad configuration and wrong credentials: one line naming the setting, non-zero exit, no traceback,
no secret in any output. Both plugins run as real processes against real sandboxes.

The tap is tried in both modes Meltano uses: `--discover`, and a sync with `--catalog`.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess

from .reliability_helpers import TAP, TARGET, TRACEBACK, discover_catalog, tap_config

SENDER_PASSWORD = f"sndr-{secrets.token_hex(6)}"
USER_PASSWORD = f"usr-{secrets.token_hex(6)}"
LEANIX_TOKEN = f"lxtok-{secrets.token_hex(6)}"
LEDGER_PASSWORD = f"pgpw-{secrets.token_hex(6)}"
SECRETS = (SENDER_PASSWORD, USER_PASSWORD, LEANIX_TOKEN, LEDGER_PASSWORD)

MISSING = object()

# (case id, setting to change, value or MISSING, text the last line must contain)
TAP_CASES: list[tuple[str, str, object, str]] = [
    ("sender_id missing", "sender_id", MISSING, "sender_id"),
    ("sender_password missing", "sender_password", MISSING, "sender_password"),
    ("user_id missing", "user_id", MISSING, "user_id"),
    ("user_password missing", "user_password", MISSING, "user_password"),
    ("company_id missing", "company_id", MISSING, "company_id"),
    ("start_date malformed", "start_date", "last tuesday", "start_date"),
    ("page_size 5000", "page_size", 5000, "page_size"),
    ("page_size not a number", "page_size", "many", "page_size"),
    ("api_url malformed", "api_url", "not a url", "api_url"),
    # Both passwords travel in the body: plain http only to this machine.
    ("api_url plain http", "api_url", "http://api.intacct.com/ia/xml/xmlgw.phtml", "api_url"),
    ("entity_ids wrong type", "entity_ids", "US01", "entity_ids"),
    ("lookback_minutes negative", "lookback_minutes", -5, "lookback_minutes"),
    ("timezone_offset malformed", "timezone_offset", "Europe/Paris", "timezone_offset"),
    # Intacct calls the Web Services sender a "Partner ID" in this message (XL03000006).
    ("sender password wrong", "sender_password", f"{SENDER_PASSWORD}-wrong", "Partner ID"),
    ("user password wrong", "user_password", f"{USER_PASSWORD}-wrong", "sign-in"),
]

TARGET_CASES: list[tuple[str, str, object, str]] = [
    ("base_url missing", "base_url", MISSING, "base_url"),
    ("api_token missing", "api_token", MISSING, "api_token"),
    ("company_key missing", "company_key", MISSING, "company_key"),
    ("company_key malformed", "company_key", "my company/1", "company_key"),
    ("batch_size_rows not a number", "batch_size_rows", "lots", "batch_size_rows"),
    ("batch_size_rows negative", "batch_size_rows", -1, "batch_size_rows"),
    ("base_url malformed", "base_url", "leanix dot net", "base_url"),
    (
        "ledger_url malformed",
        "ledger_url",
        f"postgresql+nosuchdriver://u:{LEDGER_PASSWORD}@127.0.0.1/x",
        "ledger_url",
    ),
    ("api token wrong", "api_token", f"{LEANIX_TOKEN}-wrong", "token"),
]


@dataclass
class Outcome:
    case: str
    mode: str
    returncode: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        lines = [line for line in self.stderr.strip().splitlines() if line.strip()]
        return lines[-1] if lines else ""


@pytest.fixture(scope="module")
def intacct() -> Iterator[SandboxProcess]:
    args = ["--seed", "7", "--scale", "0.01"]
    args += ["--sender-password", SENDER_PASSWORD, "--user-password", USER_PASSWORD]
    with SandboxProcess("intacct-sandbox", args) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def leanix() -> Iterator[SandboxProcess]:
    with SandboxProcess("leanix-sandbox", ["--db", ":memory:", "--token", LEANIX_TOKEN]) as sandbox:
        yield sandbox


def good_tap_config(intacct: SandboxProcess) -> dict[str, Any]:
    return tap_config(
        intacct,
        sender_password=SENDER_PASSWORD,
        user_password=USER_PASSWORD,
        max_tries=2,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("config")


@pytest.fixture(scope="module")
def catalog_path(intacct, workdir) -> Path:
    config = workdir / "good-tap.json"
    config.write_text(json.dumps(good_tap_config(intacct)))
    path = workdir / "catalog.json"
    path.write_text(json.dumps(discover_catalog(config, ["vendor", "department"])))
    return path


@pytest.fixture(scope="module")
def singer_input(intacct, workdir, catalog_path) -> Path:
    """Real tap output (vendors and departments), enough for the target to publish."""
    config = workdir / "good-tap.json"
    path = workdir / "input.singer"
    with path.open("wb") as out:
        done = subprocess.run(
            [str(TAP), "--config", str(config), "--catalog", str(catalog_path)],
            stdout=out,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return path


def _changed(config: dict[str, Any], setting: str, value: object) -> dict[str, Any]:
    changed = dict(config)
    if value is MISSING:
        changed.pop(setting, None)
    else:
        changed[setting] = value
    return changed


def _run(argv: list[str], stdin: Path | None, case: str, mode: str) -> Outcome:
    if stdin is None:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=120, check=False
        )
    else:
        with stdin.open("rb") as source:
            done = subprocess.run(argv, stdin=source, capture_output=True, timeout=120, check=False)
    return Outcome(
        case,
        mode,
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def _problems(outcome: Outcome, expected: str) -> list[str]:
    problems = []
    where = f"{outcome.case} ({outcome.mode})"
    if outcome.returncode == 0:
        problems.append(f"{where}: exit 0")
    if expected.lower() not in outcome.last_line.lower():
        problems.append(f"{where}: last line does not name {expected!r}: {outcome.last_line!r}")
    if TRACEBACK in outcome.stderr:
        problems.append(f"{where}: traceback in stderr: ...{outcome.stderr[-600:]}")
    for secret in SECRETS:
        if secret in outcome.stdout or secret in outcome.stderr:
            problems.append(f"{where}: a secret value appears in the output")
    return problems


@pytest.fixture(scope="module")
def tap_outcomes(intacct, workdir, catalog_path) -> dict[str, list[Outcome]]:
    """Every tap case in both modes, three processes at a time."""
    good = good_tap_config(intacct)
    jobs = []
    for index, (case, setting, value, _expected) in enumerate(TAP_CASES):
        path = workdir / f"tap-{index}.json"
        path.write_text(json.dumps(_changed(good, setting, value)))
        jobs.append((case, "discover", [str(TAP), "--config", str(path), "--discover"]))
        sync = [str(TAP), "--config", str(path), "--catalog", str(catalog_path)]
        jobs.append((case, "sync", sync))
    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = list(pool.map(lambda job: _run(job[2], None, job[0], job[1]), jobs))
    by_case: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        print(f"tap {outcome.case} [{outcome.mode}] exit {outcome.returncode}: {outcome.last_line}")
        by_case.setdefault(outcome.case, []).append(outcome)
    return by_case


@pytest.fixture(scope="module")
def target_outcomes(leanix, workdir, singer_input) -> dict[str, list[Outcome]]:
    good = {
        "company_key": "CFGTEST",
        "base_url": leanix.url,
        "api_token": LEANIX_TOKEN,
        "max_attempts": 2,
        "backoff_seconds": 0.05,
    }
    jobs = []
    for index, (case, setting, value, _expected) in enumerate(TARGET_CASES):
        path = workdir / f"target-{index}.json"
        changed = _changed(good, setting, value)
        if setting != "ledger_url":
            changed["ledger_path"] = str(workdir / f"ledger-{index}.sqlite")
        path.write_text(json.dumps(changed))
        jobs.append((case, [str(TARGET), "--config", str(path)]))
    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = list(pool.map(lambda job: _run(job[1], singer_input, job[0], "run"), jobs))
    for outcome in outcomes:
        print(f"target {outcome.case} exit {outcome.returncode}: {outcome.last_line}")
    return {outcome.case: [outcome] for outcome in outcomes}


# Bugs found by these tests stay listed here as strict xfails until they are fixed.
TAP_KNOWN_BUGS: dict[tuple[str, str], str] = {}
TARGET_KNOWN_BUGS: dict[str, str] = {}


def _params(cases: list[Any], known_bugs: dict[Any, str], modes: tuple[str, ...]) -> list[Any]:
    params = []
    for case, _setting, _value, expected in cases:
        for mode in modes:
            reason = known_bugs.get((case, mode), known_bugs.get(case))
            params.append(
                pytest.param(
                    case,
                    mode,
                    expected,
                    id=f"{case.replace(' ', '_')}-{mode}",
                    marks=[pytest.mark.xfail(strict=True, reason=reason)] if reason else [],
                )
            )
    return params


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "mode", "expected"), _params(TAP_CASES, TAP_KNOWN_BUGS, ("discover", "sync"))
)
def test_tap_refuses_bad_setting(tap_outcomes, case, mode, expected):
    outcome = next(o for o in tap_outcomes[case] if o.mode == mode)
    problems = _problems(outcome, expected)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "mode", "expected"), _params(TARGET_CASES, TARGET_KNOWN_BUGS, ("run",))
)
def test_target_refuses_bad_setting(target_outcomes, case, mode, expected):
    problems = [p for outcome in target_outcomes[case] for p in _problems(outcome, expected)]
    assert not problems, "\n".join(problems)


def test_good_settings_work(intacct, leanix, workdir, singer_input):
    """The control case: the same harness with the good settings succeeds, so the failures above
    come from the one setting each case changes."""
    config = workdir / "good-target.json"
    config.write_text(
        json.dumps(
            {
                "company_key": "CFGGOOD",
                "base_url": leanix.url,
                "api_token": LEANIX_TOKEN,
                "ledger_path": str(workdir / "good-ledger.sqlite"),
            }
        )
    )
    outcome = _run([str(TARGET), "--config", str(config)], singer_input, "good", "run")
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    assert not any(s in outcome.stdout + outcome.stderr for s in SECRETS)

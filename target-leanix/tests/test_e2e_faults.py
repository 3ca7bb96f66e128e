"""LeanIX misbehaving: 429 with Retry-After, 5xx, an expired token, a FAILED run.

Faults are seeded into the sandbox through its admin API; the target runs as a real subprocess."""

from __future__ import annotations

import pytest

from sandboxes.common.process import SandboxProcess
from target_leanix.ldif import binding
from target_leanix.leanix import LeanIXClient, LeanIXError

from .e2e_helpers import (
    DATA,
    EXPECTED_VENDOR_SERVICES,
    Workspace,
    expected_figures,
    read_messages,
    run_target,
)

INITIAL = DATA / "intacct_initial.singer"
RUNS = "/services/integration-api/v1/synchronizationRuns"
TOKEN = "/services/mtm/v1/oauth2/token"


@pytest.fixture(scope="module")
def leanix():
    with SandboxProcess(
        "leanix-sandbox", ["--db", ":memory:", "--in-progress-hold-seconds", "0.05"]
    ) as sandbox:
        yield sandbox


@pytest.fixture
def faults(leanix):
    leanix.clear_faults()
    leanix.reset_stats()
    yield leanix
    leanix.clear_faults()


def config_for(leanix, company, tmp_path):
    return {
        "company_key": company,
        "base_url": leanix.url,
        "api_token": "sandbox-token",
        "ledger_path": str(tmp_path / f"{company}.sqlite"),
        "cost_window_end": "2025-12-31",
        "poll_interval_seconds": 0.05,
        "backoff_seconds": 0.05,
    }


def assert_landed(leanix, company):
    ws = Workspace(leanix.admin("GET", "/admin/export"), company)
    # Without the software_gl_accounts rule, vendor V-00005 is no service (nor its bills spend).
    vendors = {**EXPECTED_VENDOR_SERVICES, "V-00005": None}
    expected = expected_figures(
        read_messages(INITIAL), ("2025-01", "2025-12"), vendor_service=vendors.get
    )
    assert ws.spend() == expected.spend


def test_transient_faults_are_survived(faults, tmp_path):
    """429 with Retry-After, 5xx on every kind of call, and an access token that expired early."""
    faults.set_faults(
        [
            {"kind": "http_503", "count": 1, "path_prefix": TOKEN},
            {
                "kind": "http_502",
                "count": 2,
                "path_prefix": "/services/integration-api/v1/configurations",
            },
            {"kind": "http_429", "count": 2, "path_prefix": RUNS, "params": {"retry_after": 1}},
            {"kind": "token_expired", "count": 1, "path_prefix": RUNS},
            {"kind": "http_500", "count": 1, "path_prefix": RUNS},
        ]
    )
    run = run_target(config_for(faults, "FLAKY", tmp_path), INITIAL, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert faults.stats()["faults"] == {
        "http_503": 1,
        "http_502": 2,
        "http_429": 2,
        "token_expired": 1,
        "http_500": 1,
    }
    # Retry-After is honoured (the sandbox asks for 1 s; our own backoff would be 0.05 s).
    assert "HTTP 429" in run.stderr
    assert "retrying in 1.0 s" in run.stderr
    # The 401 renews the token once: the first token, then one renewal.
    assert faults.stats()["paths"][TOKEN] == 3  # 503, the first token, the renewal
    assert "renewing the access token" in run.stderr
    assert "sandbox-token" not in run.stderr
    assert "Bearer" not in run.stderr
    assert len(run.states) == 1
    assert_landed(faults, "FLAKY")


def test_failed_run_fails_the_target_without_state_and_a_rerun_repairs(faults, tmp_path):
    company = "FRUN"
    config = config_for(faults, company, tmp_path)
    faults.set_faults([{"kind": "run_failed", "count": 1, "path_prefix": RUNS}])
    failed = run_target(config, INITIAL, tmp_path)
    assert failed.returncode == 1
    last_line = failed.stderr.strip().splitlines()[-1]
    assert "ended FAILED" in last_line
    assert "Synchronization run failed" in last_line  # LeanIX's own message
    assert failed.states == []  # no STATE for the failed batch
    assert "Traceback" not in failed.stderr

    # The ledger kept the batch and its dirty marks: a rerun with no records at all repairs LeanIX.
    faults.clear_faults()
    empty = tmp_path / "state-only.singer"
    empty.write_text(INITIAL.read_text().splitlines()[-1] + "\n")
    repaired = run_target(config, empty, tmp_path)
    assert repaired.returncode == 0, repaired.stderr[-3000:]
    assert_landed(faults, company)


def test_token_is_renewed_before_it_expires(faults):
    """No 401 needed: the client renews shortly before `expires_in` (3599 s) runs out."""
    now = [1000.0]
    client = LeanIXClient(faults.url, "sandbox-token", clock=lambda: now[0])
    client.configurations(binding("RENEW"))
    assert client.token_renewals == 1
    now[0] += 3000  # still well inside the token's life
    client.configurations(binding("RENEW"))
    assert client.token_renewals == 1
    now[0] += 300  # within the last 10 % of its life
    client.configurations(binding("RENEW"))
    assert client.token_renewals == 2
    assert faults.stats()["paths"][TOKEN] == 2
    assert faults.stats()["faults"] == {}
    client.close()


def test_wrong_api_token_is_refused_without_echoing_it(faults):
    client = LeanIXClient(faults.url, "not-the-token")
    with pytest.raises(LeanIXError, match="LeanIX refused the API token") as caught:
        client.configurations(binding("WRONG"))
    assert "not-the-token" not in str(caught.value)
    client.close()

"""Faults, expiring sessions, refused credentials, denied objects and fatal errors, over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess

from .conftest import discover, ground_truth, parse_messages, run_cli, run_tap, select, tap_config

STREAMS = ["ap_payment", "vendor"]


@pytest.fixture(scope="module")
def sandbox(sandbox_factory: Callable[..., SandboxProcess]) -> SandboxProcess:
    return sandbox_factory("--scale", "0.1")


@pytest.fixture(scope="module")
def catalog(sandbox: SandboxProcess) -> dict[str, Any]:
    return select(discover(tap_config(sandbox)), STREAMS)


@pytest.fixture(scope="module")
def clean_run(sandbox: SandboxProcess, catalog: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return dict(run_tap(tap_config(sandbox), catalog=catalog).records)


@pytest.fixture(autouse=True)
def reset_sandbox(sandbox: SandboxProcess) -> Iterator[None]:
    yield
    sandbox.clear_faults()
    sandbox.admin("POST", "/admin/permissions", {"deny": [], "deny_lookup": []})


FAULTS = [
    ("http_429", {}, "http_429"),
    ("http_502", {}, "http_5xx"),
    ("http_503", {}, "http_5xx"),
    ("http_524", {}, "http_524"),
    ("html", {}, "html"),
    ("truncate", {"fraction": 0.4}, "malformed_xml"),
    ("try_again", {}, "try_again"),
    ("slow", {"seconds": 1.5}, "timeout"),
    ("reset", {}, "connection"),
]


@pytest.mark.parametrize(("kind", "params", "reason"), FAULTS, ids=[f[0] for f in FAULTS])
def test_each_transient_fault_is_retried_to_the_same_result(
    sandbox: SandboxProcess,
    catalog: dict[str, Any],
    clean_run: dict[str, list[dict[str, Any]]],
    kind: str,
    params: dict[str, Any],
    reason: str,
) -> None:
    # Two faults in a row on `query` requests (the second page of a stream is a query too).
    sandbox.set_faults([{"kind": kind, "count": 2, "body_contains": "<query>", "params": params}])
    run = run_tap(tap_config(sandbox, request_timeout_seconds=0.5), catalog=catalog)
    fired = sandbox.admin("GET", "/admin/faults")
    assert sum(rule["fired"] for rule in fired["rules"]) == 2, fired
    assert run.tap is not None
    retries = run.tap.runtime.stats.as_dict()["retries"]
    print(f"{kind}: fired 2, tap retries {retries}")  # the figures for the report
    assert retries.get(reason) == 2, retries
    for stream in STREAMS:
        assert run.records[stream] == clean_run[stream], stream


# A DTD is refused by our own check ("hostile") or, when libxml2 sees the amplification first while
# parsing a padded prolog, as malformed XML; either way the answer is dropped and the request resent.
REFUSED = {"hostile", "malformed_xml"}
HOSTILE = [
    ("billion_laughs", {}, "hostile"),
    ("billion_laughs", {"prolog_padding": 10000}, REFUSED),
    ("external_entity", {"prolog_padding": 10000}, REFUSED),
    ("huge_text", {"megabytes": 12}, "malformed_xml"),
    ("deep_nesting", {}, "malformed_xml"),
    ("invalid_utf8", {}, "malformed_xml"),
]


@pytest.mark.parametrize(
    ("variant", "params", "reason"),
    HOSTILE,
    ids=[f"{v}{'_padded' if p else ''}" for v, p, _ in HOSTILE],
)
def test_hostile_answers_are_refused_never_emitted(
    sandbox: SandboxProcess,
    catalog: dict[str, Any],
    clean_run: dict[str, list[dict[str, Any]]],
    variant: str,
    params: dict[str, Any],
    reason: str,
) -> None:
    rule = {
        "kind": "hostile",
        "count": 1,
        "body_contains": "<query>",
        "params": {"variant": variant, **params},
    }
    sandbox.set_faults([rule])
    run = run_tap(tap_config(sandbox), catalog=catalog)
    assert run.tap is not None
    retries = run.tap.runtime.stats.as_dict()["retries"]
    assert sum(retries.values()) == 1, retries
    assert set(retries) <= (reason if isinstance(reason, set) else {reason}), retries
    for stream in STREAMS:
        assert run.records[stream] == clean_run[stream]  # nothing of the hostile answer got through
        assert "V-HOSTILE" not in {r.get("VENDORID") for r in run.records[stream]}


def test_session_expiring_mid_run_is_renewed_transparently(
    sandbox: SandboxProcess, catalog: dict[str, Any], clean_run: dict[str, list[dict[str, Any]]]
) -> None:
    sandbox.reset_stats()
    sandbox.set_faults(
        [{"kind": "session_expired", "count": 1, "skip": 1, "body_contains": "<query>"}]
    )
    run = run_tap(tap_config(sandbox), catalog=catalog)
    assert sandbox.stats()["calls"]["getAPISession"] == 2  # the first login and one renewal
    assert run.tap is not None
    assert run.tap.runtime.stats.as_dict()["retries"]["session_expired"] == 1
    for stream in STREAMS:
        assert run.records[stream] == clean_run[stream]


def test_short_session_lifetime_is_renewed_before_it_runs_out(
    sandbox_factory: Callable[..., SandboxProcess],
) -> None:
    box = sandbox_factory("--scale", "0.05", "--session-ttl", "0.5", "--latency-ms", "60")
    config = tap_config(box, page_size=30)
    catalog = select(discover(config), ["ap_payment"])
    run = run_tap(config, catalog=catalog)
    truth = box.admin("GET", "/admin/objects/APPYMT/count")["count"]
    assert len(run.records["ap_payment"]) == truth
    assert box.stats()["calls"]["getAPISession"] >= 2


def _write(tmp_path: Path, name: str, payload: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(payload))
    return str(path)


@pytest.mark.parametrize(
    ("wrong", "quoted", "mode"),
    [
        ({"user_password": "hunter2-wrong"}, "Sign-in information is incorrect", "discover"),
        (
            {"sender_password": "hunter2-wrong"},
            "Incorrect Intacct XML Partner ID or password",
            "sync_with_catalog",
        ),
    ],
    ids=["wrong_user_password_discover", "wrong_sender_password_sync"],
)
def test_wrong_credentials_fail_with_one_line_and_no_secret(
    sandbox: SandboxProcess,
    catalog: dict[str, Any],
    tmp_path: Path,
    wrong: dict[str, str],
    quoted: str,
    mode: str,
) -> None:
    config = _write(tmp_path, "config.json", tap_config(sandbox, **wrong))
    args = ["--config", config]
    args += (
        ["--discover"]
        if mode == "discover"
        else ["--catalog", _write(tmp_path, "catalog.json", catalog)]
    )
    result = run_cli(args, env={"LOGLEVEL": "DEBUG"})  # no secret even at DEBUG level
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "hunter2" not in output
    assert "Traceback" not in output
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, result.stderr
    assert quoted in errors[0]
    assert "getAPISession" in errors[0]
    assert not [line for line in result.stdout.splitlines() if '"RECORD"' in line]


def test_a_catalog_field_intacct_does_not_have_is_dropped_with_one_warning(
    sandbox: SandboxProcess, catalog: dict[str, Any], tmp_path: Path
) -> None:
    """Intacct refuses the select ("Invalid fields list"): the run goes on without the field."""
    broken = json.loads(json.dumps(catalog))
    for entry in broken["streams"]:
        if entry["tap_stream_id"] == "ap_payment":
            entry["schema"]["properties"]["NOT_A_FIELD"] = {"type": ["string", "null"]}
    result = run_cli(
        [
            "--config",
            _write(tmp_path, "c.json", tap_config(sandbox)),
            "--catalog",
            _write(tmp_path, "k.json", broken),
        ]
    )
    assert result.returncode == 0, result.stderr[-2000:]
    warnings = [line for line in result.stderr.splitlines() if "NOT_A_FIELD" in line]
    assert len(warnings) == 1, warnings
    assert "WARNING" in warnings[0]
    assert "APPYMT" in warnings[0]
    assert "ap_payment" in warnings[0]
    records = parse_messages(result.stdout).records["ap_payment"]
    assert len(records) == len(ground_truth(sandbox, "APPYMT"))
    assert not any("NOT_A_FIELD" in r for r in records)


def test_denied_objects_are_skipped_and_denied_lookup_uses_the_builtin_schema(
    sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.admin(
        "POST",
        "/admin/permissions",
        {"deny": ["APPYMT", "AUDITHISTORY"], "deny_lookup": ["VENDOR"]},
    )
    config = tap_config(sandbox)
    full = discover(config)
    vendor = next(e for e in full["streams"] if e["tap_stream_id"] == "vendor")
    assert "SAAS_CATEGORY" in vendor["schema"]["properties"]  # from objects.py, not lookup
    run = run_tap(config, catalog=select(full, ["ap_payment", "vendor", "department"]))
    assert run.records["ap_payment"] == []
    assert run.records["vendor"]
    assert run.records["department"]
    assert not run.tombstones  # AUDITHISTORY denied: deletes skipped, run not crashed
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("Skipping stream 'ap_payment'" in w for w in warnings), warnings
    assert any("Deletes are not extracted" in w for w in warnings), warnings
    assert any("built-in schema for 'vendor'" in w for w in warnings), warnings


def test_please_try_again_later_at_login_is_retried(
    sandbox_factory: Callable[..., SandboxProcess],
) -> None:
    """getAPISession's own function result can be transient, as any read's."""
    box = sandbox_factory("--scale", "0.02")
    box.set_faults([{"kind": "try_again", "count": 1, "body_contains": "<login>"}])
    catalog = discover(tap_config(box))
    assert {"vendor", "ap_bill"} <= {e["tap_stream_id"] for e in catalog["streams"]}
    stats = box.stats()
    assert stats["faults"] == {"try_again": 1}, stats["faults"]
    assert stats["calls"]["getAPISession"] == 2

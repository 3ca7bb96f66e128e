"""Each setting's default lives in its plugin's settings schema only: code left with a setting unset
takes whatever the schema says."""

from __future__ import annotations

from typing import Any

import pytest

from tap_sage_intacct.client import TapRuntime
from tap_sage_intacct.tap import TapSageIntacct
from target_leanix.pipeline import Settings
from target_leanix.target import TargetLeanIX

TAP_CREDENTIALS = {
    "sender_id": "s",
    "sender_password": "sp",
    "user_id": "u",
    "user_password": "up",
    "company_id": "c",
}


def _set_default(
    monkeypatch: pytest.MonkeyPatch, schema: dict[str, Any], name: str, value: object
) -> None:
    monkeypatch.setitem(schema["properties"][name], "default", value)


def test_the_tap_runtime_takes_its_defaults_from_the_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema = TapSageIntacct.config_jsonschema
    _set_default(monkeypatch, schema, "max_tries", 3)
    _set_default(monkeypatch, schema, "retry_wait_seconds", 0.25)
    _set_default(monkeypatch, schema, "max_concurrent_requests", 1)
    runtime = TapRuntime({**TAP_CREDENTIALS, "max_tries": None})
    assert runtime.retry.max_tries == 3
    assert runtime.retry.initial_wait == 0.25
    assert runtime.max_concurrency == 1
    assert runtime.api_url == schema["properties"]["api_url"]["default"]


def test_the_target_settings_take_their_defaults_from_the_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema = TargetLeanIX.config_jsonschema
    _set_default(monkeypatch, schema, "max_attempts", 3)
    _set_default(monkeypatch, schema, "backoff_seconds", 0.25)
    _set_default(monkeypatch, schema, "max_items_per_run", 17)
    _set_default(monkeypatch, schema, "reporting_currency", "EUR")
    _set_default(monkeypatch, schema, "on_bad_record", "skip")
    settings = Settings.from_config({"company_key": "A", "dry_run": True, "max_attempts": None})
    assert settings.max_attempts == 3
    assert settings.backoff_seconds == 0.25
    assert settings.max_items_per_run == 17
    assert settings.reporting_currency == "EUR"
    assert settings.on_bad_record == "skip"

"""Well-typed settings that would crash a run later are refused at start-up, naming the setting.

A socket refuses a timeout of about 1e10 s or more, and a lookback reaching before year 1 cannot be
subtracted from a bookmark: both ended the run with a traceback (OverflowError).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tap_sage_intacct.gateway import errors
from tap_sage_intacct.tap import TapSageIntacct

from .conftest import CREDENTIALS, GATEWAY_PATH, offline_catalog, run_cli, the_config_error


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("request_timeout_seconds", 10**10, "request_timeout_seconds: must be at most 3600"),
        # The SDK reads a config file's numbers with a fraction or exponent as Decimal.
        ("request_timeout_seconds", Decimal("1E+999"), "request_timeout_seconds: must be at most"),
        ("lookback_minutes", 2 * 10**9, "lookback_minutes: must be at most 527040"),
        ("page_size", Decimal("1.5"), "page_size: must be of type integer, got number"),
    ],
)
def test_a_value_that_would_crash_the_run_is_refused(
    setting: str, value: object, expected: str
) -> None:
    error = the_config_error(setting, value)
    assert error.startswith(expected)
    assert str(value) not in error


def test_the_largest_allowed_values_are_accepted() -> None:
    config = {**CREDENTIALS, "request_timeout_seconds": 3600, "lookback_minutes": 527040}
    TapSageIntacct(config=config, setup_mapper=False)


@pytest.mark.timeout(60)
def test_a_timeout_sockets_refuse_fails_the_cli_with_one_line(tmp_path: Path) -> None:
    settings = {
        **CREDENTIALS,
        "api_url": "http://127.0.0.1:9" + GATEWAY_PATH,  # never reached
        "request_timeout_seconds": 1e10,
        "max_tries": 1,
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(settings))
    result = run_cli(["--config", str(path), "--discover"])
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "request_timeout_seconds: must be at most 3600" in last


@pytest.mark.parametrize(
    ("option", "content", "expected"),
    [
        ("--config", None, "cannot read the --config file"),
        ("--config", '{"sender_password": "hunter2-secret",', "--config file is not one JSON"),
        ("--config", '["hunter2-secret"]', "--config file is not one JSON object"),
        ("--state", '{"bookmarks": "hunter2-secret"', "--state file is not valid JSON"),
        ("--catalog", '["hunter2-secret"]', "--catalog file must hold one JSON object"),
    ],
)
def test_an_unreadable_input_file_fails_the_cli_with_one_line(
    tmp_path: Path, option: str, content: str | None, expected: str
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({**CREDENTIALS, "api_url": "http://127.0.0.1:9" + GATEWAY_PATH}))
    broken = tmp_path / "broken.json"
    if content is not None:
        broken.write_text(content)
    args = ["--config", str(broken)] if option == "--config" else ["--config", str(config)]
    if option != "--config":
        args += [option, str(broken)]
    result = run_cli(args)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "hunter2-secret" not in result.stderr
    assert expected in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("bookmark", "expected"),
    [
        ("yesterday", "bookmark is not an ISO-8601 instant"),
        ("2025-01-01T00:00:00", "bookmark is not an ISO-8601 instant"),  # no time zone
        ("0001-01-01T00:30:00+00:00", None),  # within the lookback of year 1: from the start
    ],
)
def test_a_hostile_bookmark_in_the_state_is_named_or_read_from_the_start(
    bookmark: str, expected: str | None
) -> None:
    # A copy: the tap writes its defaults into the config it is given.
    tap = TapSageIntacct(config=dict(CREDENTIALS), catalog=offline_catalog(), setup_mapper=False)
    stream = tap.streams["vendor"]
    if expected is None:
        assert stream._start_stamp(bookmark) == datetime.min.replace(tzinfo=UTC)
        return
    with pytest.raises(errors.FatalError) as refused:
        stream._start_stamp(bookmark)
    assert expected in refused.value.message
    assert "stream 'vendor'" in refused.value.message

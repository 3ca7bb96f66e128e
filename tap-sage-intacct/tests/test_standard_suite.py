"""singer-sdk's standard tap tests against a real sandbox process, plus a PK check that can fail.

`get_tap_test_class` builds its streams at import time, before any server runs, so the runner gets a
catalog built from the tap's built-in schemas (which also exercises building streams from an input
catalog without `lookup`); the sandbox URL is filled into the shared config dict once it is up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from sandboxes.common.process import SandboxProcess
from tap_sage_intacct.tap import TapSageIntacct

from .conftest import CREDENTIALS, GATEWAY_PATH, assert_unique_keys, offline_catalog

CONFIG: dict[str, Any] = {
    **CREDENTIALS,
    "api_url": "http://127.0.0.1:1" + GATEWAY_PATH,
    "page_size": 40,
}

_StandardTests = get_tap_test_class(
    TapSageIntacct,
    config=CONFIG,
    catalog=offline_catalog(),
    suite_config=SuiteConfig(max_records_limit=60),
)


class TestStandardSuite(_StandardTests):  # type: ignore[misc,valid-type]
    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def sandbox(cls) -> Iterator[SandboxProcess]:
        with SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", "0.1"]) as process:
            CONFIG["api_url"] = process.url + GATEWAY_PATH
            yield process

    def test_primary_keys_are_unique_and_present(self, runner: Any) -> None:
        assert runner.records, "the standard run produced no records"
        for stream, records in runner.records.items():
            assert records, stream
            assert_unique_keys(records, stream)

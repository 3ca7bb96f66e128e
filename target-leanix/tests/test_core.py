"""singer-sdk's standard target tests, plus the Intacct input in dry-run mode validated as LDIF.

The standard tests send streams of their own (`test_array_data`, ...). This target knows only Intacct
streams, so with the default `on_unknown_stream: skip` it reads and ignores them: the tests then check
the SDK contract (schemas, keys, record-before-schema, invalid schema) without LeanIX. They run in dry-run
mode with an in-memory ledger.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path

import jsonschema
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.suites import SingerTestSuite
from singer_sdk.testing.templates import TargetFileTestTemplate

from target_leanix.ldif import LDIF_JSON_SCHEMA
from target_leanix.target import TargetLeanIX

DATA = Path(__file__).parent / "data"
DRY_RUN_PATH = Path(tempfile.gettempdir()) / f"target-leanix-std-{uuid.uuid4().hex}.jsonl"

CONFIG = {
    "company_key": "STD",
    "dry_run": True,
    "dry_run_path": str(DRY_RUN_PATH),
    "cost_window_end": "2025-12-31",
}


class TargetIntacctDryRun(TargetFileTestTemplate):
    """The Intacct test input through the target in dry-run mode: every LDIF has the documented shape."""

    name = "intacct_dry_run"

    @property
    def singer_filepath(self) -> Path:  # type: ignore[override]
        return DATA / "intacct_initial.singer"

    def test(self) -> None:
        DRY_RUN_PATH.unlink(missing_ok=True)
        self.runner.sync_all()

    def validate(self) -> None:
        documents = [json.loads(line) for line in DRY_RUN_PATH.read_text().splitlines()]
        assert documents
        for document in documents:
            jsonschema.validate(document, LDIF_JSON_SCHEMA)
            assert document["connectorId"] == "STD"
        items = [item for document in documents for item in document["content"]]
        services = {i["id"] for i in items if i["type"] == "Service"}
        assert "intacct:STD:service:slack" in services
        assert all(i["id"].startswith("intacct:STD:") for i in items)
        configuration = DRY_RUN_PATH.with_name(f"{DRY_RUN_PATH.name.split('.')[0]}.processors.json")
        assert json.loads(configuration.read_text())["connectorId"] == "STD"
        DRY_RUN_PATH.unlink(missing_ok=True)
        configuration.unlink(missing_ok=True)


TestTargetLeanIX = get_target_test_class(
    TargetLeanIX,
    config=CONFIG,
    custom_suites=[SingerTestSuite(kind="target", tests=[TargetIntacctDryRun])],
)

"""The tap serves other destinations: `meltano run tap-sage-intacct target-postgres` into a real PostgreSQL.

Row counts and sums of amounts in the database must equal the Intacct sandbox's ground truth, to the cent,
after the first load and again after an incremental run over changes into the same tables, changes that
include a value outside a field's lookup valid values (Intacct adds values over time).
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from sandboxes.common.process import SandboxProcess
from tap_sage_intacct.tap import TapSageIntacct

from .conftest import MeltanoProject, meltano_project
from .reliability_helpers import tap_config

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

# stream -> (Intacct object, the money column summed on both sides)
CHECKED_STREAMS = {
    "ap_bill": ("APBILL", "TOTALENTERED"),
    "ap_bill_item": ("APBILLITEM", "AMOUNT"),
    "cc_transaction_entry": ("CCTRANSACTIONENTRY", "TRX_AMOUNT"),
    "expense_report_item": ("EEXPENSESITEM", "AMOUNT"),
    "po_document": ("PODOCUMENT", "TOTAL"),
    "vendor": ("VENDOR", "TOTALDUE"),
}
# What the sandbox's own random mutations write into PODOCUMENT (an object without DESCRIPTION):
# a STATE its lookup does not list.
NEW_STATE = "Complete"


def ground_truth(intacct: SandboxProcess, object_name: str, column: str) -> tuple[int, Decimal]:
    rows = intacct.admin("GET", f"/admin/objects/{object_name}?limit=1000000")["rows"]
    total = sum((Decimal(row[column] or "0") for row in rows), Decimal(0))
    return len(rows), total


def assert_database_equals_ground_truth(cursor: Any, schema: str, intacct: SandboxProcess) -> None:
    for stream, (object_name, column) in CHECKED_STREAMS.items():
        # Deletes reach the database as rows carrying _sdc_deleted_at; live rows are the rest.
        cursor.execute(
            f'SELECT count(*), coalesce(sum("{column}"), 0)::text '
            f'FROM "{schema}"."{stream}" WHERE "_sdc_deleted_at" IS NULL'
        )
        count, total = cursor.fetchone()
        expected_count, expected_total = ground_truth(intacct, object_name, column)
        assert (count, Decimal(total)) == (expected_count, expected_total), stream
    cursor.execute(f'SELECT count(*) FROM "{schema}"."ap_bill" WHERE "_sdc_deleted_at" IS NOT NULL')
    (deleted_bills,) = cursor.fetchone()
    assert deleted_bills == intacct.admin("GET", "/admin/deleted/APBILL")["count"]


def po_document_bookmark(project: MeltanoProject, state_id: str) -> tuple[str, int]:
    """The saved keyset position of po_document: (WHENMODIFIED, RECORDNO) of the last row read."""
    state = json.loads(project.run("state", "get", state_id).stdout)
    (position,) = state["singer_state"]["bookmarks"]["po_document"]["entities"].values()
    return position["replication_key_value"], position["replication_key_value_recordno"]


def po_document_state_schema(intacct: SandboxProcess) -> dict[str, Any]:
    """PODOCUMENT.STATE as the tap discovers it from the sandbox's `lookup`."""
    catalog = TapSageIntacct(config=tap_config(intacct)).catalog_dict
    (entry,) = [e for e in catalog["streams"] if e["tap_stream_id"] == "po_document"]
    state: dict[str, Any] = entry["schema"]["properties"]["STATE"]
    return state


def test_tap_loads_postgres_exactly_then_incrementally_with_new_values(
    tmp_path: Path, intacct: SandboxProcess, postgres_dsn: str
) -> None:
    schema = f"intacct_{uuid.uuid4().hex[:10]}"
    project = meltano_project(tmp_path, intacct, None)
    select = '["' + '","'.join(CHECKED_STREAMS) + '"]'
    env = {
        "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
        "TAP_SAGE_INTACCT__SELECT_FILTER": select,
    }
    project.run("run", "tap-sage-intacct", "target-postgres", extra_env=env)
    connection = psycopg2.connect(postgres_dsn)
    try:
        with connection.cursor() as cursor:
            assert_database_equals_ground_truth(cursor, schema, intacct)
        connection.rollback()
        listed = project.run("state", "list").stdout.split()
        (state_id,) = [word for word in listed if "tap-sage-intacct" in word]
        first_bookmark = po_document_bookmark(project, state_id)

        changed = int(
            intacct.admin("GET", "/admin/objects/PODOCUMENT?limit=1")["rows"][0]["RECORDNO"]
        )
        results = intacct.admin(
            "POST",
            "/admin/mutate",
            [
                {
                    "op": "modify",
                    "object": "PODOCUMENT",
                    "recordno": changed,
                    "fields": {"STATE": NEW_STATE},
                },
                {
                    "op": "insert",
                    "object": "PODOCUMENT",
                    "fields": {"STATE": NEW_STATE},
                    "lines": [{"TRX_TOTAL": "10.01"}, {"TRX_TOTAL": "0.99"}],
                },
            ],
        )["results"]
        inserted = results[1]["recordno"]
        # The incremental run: same state backend, same tables. A validating target refuses a
        # record whose value the schema's `enum` does not list, and then every later run again.
        project.run("run", "tap-sage-intacct", "target-postgres", extra_env=env)
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT "RECORDNO", "STATE" FROM "{schema}"."po_document" '
                f'WHERE "RECORDNO" IN (%s, %s) ORDER BY "RECORDNO"',
                (changed, inserted),
            )
            assert cursor.fetchall() == sorted([(changed, NEW_STATE), (inserted, NEW_STATE)])
            assert_database_equals_ground_truth(cursor, schema, intacct)
        connection.rollback()
        second_bookmark = po_document_bookmark(project, state_id)
        assert second_bookmark > first_bookmark
        assert second_bookmark[1] in (changed, inserted)
        # The value really is outside what the lookup lists, which stays documented.
        state_schema = po_document_state_schema(intacct)
        assert "enum" not in state_schema
        prefix, listed_values = state_schema["description"].split(": ", 1)
        assert prefix == "Valid values"
        assert "Draft" in listed_values.split(", ")
        assert NEW_STATE not in listed_values.split(", ")
    finally:
        connection.rollback()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.commit()
        connection.close()

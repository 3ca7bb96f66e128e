"""The tap serves other destinations: `meltano run tap-sage-intacct target-postgres` into a real PostgreSQL.

Row counts and sums of amounts in the database must equal the Intacct sandbox's ground truth, to the cent.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from sandboxes.common.process import SandboxProcess

from .conftest import meltano_project

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


def ground_truth(intacct: SandboxProcess, object_name: str, column: str) -> tuple[int, Decimal]:
    rows = intacct.admin("GET", f"/admin/objects/{object_name}?limit=1000000")["rows"]
    total = sum((Decimal(row[column] or "0") for row in rows), Decimal(0))
    return len(rows), total


def test_tap_loads_postgres_exactly(
    tmp_path: Path, intacct: SandboxProcess, postgres_dsn: str
) -> None:
    schema = f"intacct_{uuid.uuid4().hex[:10]}"
    project = meltano_project(tmp_path, intacct, None)
    select = '["' + '","'.join(CHECKED_STREAMS) + '"]'
    project.run(
        "run",
        "tap-sage-intacct",
        "target-postgres",
        extra_env={
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
            "TAP_SAGE_INTACCT__SELECT_FILTER": select,
        },
    )
    connection = psycopg2.connect(postgres_dsn)
    try:
        with connection.cursor() as cursor:
            for stream, (object_name, column) in CHECKED_STREAMS.items():
                # Deletes reach the database as rows carrying _sdc_deleted_at; live rows are the rest.
                cursor.execute(
                    f'SELECT count(*), coalesce(sum("{column}"), 0)::text '
                    f'FROM "{schema}"."{stream}" WHERE "_sdc_deleted_at" IS NULL'
                )
                count, total = cursor.fetchone()
                expected_count, expected_total = ground_truth(intacct, object_name, column)
                assert (count, Decimal(total)) == (expected_count, expected_total), stream
            cursor.execute(
                f'SELECT count(*) FROM "{schema}"."ap_bill" WHERE "_sdc_deleted_at" IS NOT NULL'
            )
            (deleted_bills,) = cursor.fetchone()
            assert deleted_bills == intacct.admin("GET", "/admin/deleted/APBILL")["count"]
    finally:
        connection.rollback()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.commit()
        connection.close()

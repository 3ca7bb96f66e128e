"""Every object Intacct lists, through `meltano run tap-sage-intacct target-postgres` into PostgreSQL.

Every discovered stream is selected. Each table's live rows (no `_sdc_deleted_at`) must equal the
sandbox's ground truth after the first load; a second, incremental run over a few changes must touch
only the changed rows (target-postgres stamps `_sdc_batched_at` on every row it writes) and land the
deletes as tombstones. Journal entries, where the company has them, balance: debits = credits per batch.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from sandboxes.common.process import SandboxProcess
from tap_sage_intacct.tap import TapSageIntacct

from .conftest import MeltanoProject, meltano_project
from .reliability_helpers import tap_config

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

# Every discovered stream, as `meltano select tap-sage-intacct "*.*"` would select it.
SELECT_ALL = {"TAP_SAGE_INTACCT__SELECT": json.dumps(["*.*"])}
#: The tap's default lookback: a second run re-reads the rows of the last two hours before its
#: bookmark (and deletes), which the test computes from the sandbox's truth.
LOOKBACK = timedelta(minutes=120)


def _stamp(text: str) -> datetime | None:
    """A TIMESTAMP as the sandbox serves it (GMT offset +00:00 here); None for a bare date."""
    try:
        return datetime.strptime(text, "%m/%d/%Y %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _key(row: dict[str, str], key: str) -> Any:
    return int(row[key]) if key == "RECORDNO" else row[key]


def lookback_keys(intacct: SandboxProcess, name: str, key: str) -> set[Any]:
    """Keys a second run may read again although unchanged: rows within the lookback of the
    bookmark of each pass (WHENMODIFIED; the creation stamp of rows without one) and the rows
    already deleted (their tombstones are sent again)."""
    if name == "supdoc":
        return set()
    rows = intacct.admin("GET", f"/admin/objects/{name}?limit=1000000")["rows"]
    again: set[Any] = set()
    modified = [(s, r) for r in rows if (s := _stamp(r.get("WHENMODIFIED") or ""))]
    if modified:
        bookmark = max(s for s, _ in modified)
        again |= {_key(r, key) for s, r in modified if s >= bookmark - LOOKBACK}
    unmodified = [r for r in rows if "WHENMODIFIED" in r and not r["WHENMODIFIED"]]
    created = [
        (s, r)
        for r in unmodified
        if (s := _stamp(r.get("WHENCREATED") or "") or _stamp(r.get("AUWHENCREATED") or ""))
    ]
    if created:
        bookmark = max(s for s, _ in created)
        again |= {_key(r, key) for s, r in created if s >= bookmark - LOOKBACK}
    for row in intacct.admin("GET", f"/admin/deleted/{name}")["deleted"]:
        number, _, rec = row["OBJECTKEY"].partition("--")
        if rec == "REC" and number.isdigit():
            again.add(int(number))
    return again


def streams_and_truth(intacct: SandboxProcess) -> dict[str, tuple[str, str, int]]:
    """stream -> (key column, Intacct object, live rows in the sandbox now)."""
    catalog = TapSageIntacct(config=tap_config(intacct)).catalog_dict
    counts = intacct.admin("GET", "/admin/objects")
    out: dict[str, tuple[str, str, int]] = {}
    for entry in catalog["streams"]:
        meta = next(m["metadata"] for m in entry["metadata"] if m["breadcrumb"] == [])
        (key,) = meta["table-key-properties"]
        name = meta["intacct-object"]
        count = intacct.admin("GET", "/admin/supdoc")["count"] if name == "supdoc" else counts[name]
        out[entry["tap_stream_id"]] = (key, name, count)
    return out


def live_rows(cursor: Any, schema: str, table: str) -> int:
    cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}" WHERE "_sdc_deleted_at" IS NULL')
    (count,) = cursor.fetchone()
    return int(count)


def assert_every_table_equals_truth(cursor: Any, schema: str, intacct: SandboxProcess) -> None:
    for stream, (_key, name, expected) in streams_and_truth(intacct).items():
        assert live_rows(cursor, schema, stream) == expected, (stream, name)


def assert_journal_entries_balance(cursor: Any, schema: str) -> None:
    """Debits equal credits in every GL batch (TR_TYPE 1 debit, -1 credit), when gl_entry exists."""
    cursor.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'gl_entry'",
        (schema,),
    )
    if cursor.fetchone() is None:
        return
    cursor.execute(
        f'SELECT "BATCHNO", sum("AMOUNT" * "TR_TYPE")::text, count(*) FROM "{schema}"."gl_entry" '
        'WHERE "_sdc_deleted_at" IS NULL GROUP BY "BATCHNO" HAVING sum("AMOUNT" * "TR_TYPE") <> 0'
    )
    unbalanced = cursor.fetchall()
    assert unbalanced == [], unbalanced[:5]


def touched_since(cursor: Any, schema: str, table: str, key: str, since: datetime) -> set[Any]:
    cursor.execute(
        f'SELECT "{key}" FROM "{schema}"."{table}" WHERE "_sdc_batched_at" >= %s', (since,)
    )
    return {row[0] for row in cursor.fetchall()}


def test_every_object_lands_in_postgres_then_only_changes_and_tombstones(
    tmp_path: Path, intacct: SandboxProcess, postgres_dsn: str
) -> None:
    schema = f"every_{uuid.uuid4().hex[:10]}"
    project: MeltanoProject = meltano_project(tmp_path, intacct, None)
    env = {**SELECT_ALL, "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema}
    project.run("run", "tap-sage-intacct", "target-postgres", extra_env=env, timeout=900)
    connection = psycopg2.connect(postgres_dsn)
    try:
        with connection.cursor() as cursor:
            assert_every_table_equals_truth(cursor, schema, intacct)
            assert_journal_entries_balance(cursor, schema)
        connection.rollback()

        truth = streams_and_truth(intacct)
        may_repeat = {
            stream: lookback_keys(intacct, name, key) for stream, (key, name, _) in truth.items()
        }
        changes = intacct.admin(
            "POST",
            "/admin/mutate",
            [
                {
                    "op": "modify",
                    "object": "CUSTOMER",
                    "recordno": 4,
                    "fields": {"NAME": "New name"},
                },
                {
                    "op": "modify",
                    "object": "saas_contract",
                    "recordno": 5,
                    "fields": {"SEATS": "7"},
                },
                {
                    "op": "insert",
                    "object": "ARINVOICE",
                    "fields": {},
                    "lines": [{"TRX_AMOUNT": "12.34"}],
                },
                {"op": "delete", "object": "ARINVOICE", "recordno": 3010},
                {"op": "delete", "object": "EMPLOYEE", "recordno": 2},
                {"op": "delete", "object": "saas_contract_seat", "recordno": 1},
            ],
        )["results"]
        second_started = datetime.now(UTC)
        project.run("run", "tap-sage-intacct", "target-postgres", extra_env=env, timeout=900)
        with connection.cursor() as cursor:
            assert_every_table_equals_truth(cursor, schema, intacct)
            assert_journal_entries_balance(cursor, schema)
            inserted = changes[2]
            expected = {
                "customer": {4},
                "saas_contract": {5},
                "arinvoice": {inserted["recordno"], 3010},
                "arinvoiceitem": {*inserted["lines"], *changes[3]["lines"]},
                "employee": {2},
                "saas_contract_seat": {1},
            }
            for stream, (key, _name, _count) in truth.items():
                touched = touched_since(cursor, schema, stream, key, second_started)
                if stream in ("glbudgetheader", "supdoc", "audithistory"):
                    continue  # read whole each run / written by the changes themselves
                wanted = expected.get(stream, set())
                assert wanted <= touched, (stream, wanted - touched)
                assert touched <= wanted | may_repeat[stream], (stream, touched - wanted)
            # deletes are tombstones: the key kept, _sdc_deleted_at set
            for table, key, value in (
                ("arinvoice", "RECORDNO", 3010),
                ("employee", "RECORDNO", 2),
                ("saas_contract_seat", "RECORDNO", 1),
            ):
                cursor.execute(
                    f'SELECT "_sdc_deleted_at" IS NOT NULL FROM "{schema}"."{table}" '
                    f'WHERE "{key}" = %s',
                    (value,),
                )
                assert cursor.fetchall() == [(True,)], table
        connection.rollback()
    finally:
        connection.rollback()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.commit()
        connection.close()

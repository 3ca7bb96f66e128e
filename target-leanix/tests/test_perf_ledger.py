"""The ledger's bulk paths (batch prefetch, buffered inserts, deferred header revisits, grouped
sums) give exactly what writing one record at a time gives, on SQLite and PostgreSQL; an old
ledger without the newer columns is upgraded in place."""

import random
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from target_leanix.ledger import CostWindow, Entry, Ledger

from .ledger_helpers import (
    JIRA,
    SLACK,
    ZOOM,
    card,
    card_line,
    department,
    expense_line,
    reimbursement,
    report,
    vendor,
)
from .test_ledger import POSTGRES_URL, _postgres_answers

WINDOW = CostWindow("2025-12", 12)
SERVICES = [JIRA, ZOOM, SLACK, None]


def _operations(seed: int) -> list[Entry]:
    """Random inserts, re-sends, deletes, headers after and before their lines, vendor moves."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    ops: list[Entry] = []
    for _ in range(400):
        roll = rng.random()
        header = str(rng.randint(1, 25))
        if roll < 0.35:
            ops.append(
                card_line(
                    str(rng.randint(1, 80)),
                    header,
                    f"{rng.randint(-500, 50000) / 100:.2f}",
                    dept=rng.choice(["ENG", "OPS", ""]),
                    month=f"2025-{rng.randint(1, 12):02d}",
                    currency=rng.choice(["USD", "EUR"]),
                    base=f"{rng.randint(0, 60000) / 100:.2f}",
                    base_currency=rng.choice(["USD", "GBP"]),
                    vendor_id=rng.choice([None, "V-01", "V-02"]),
                    deleted=rng.random() < 0.1,
                )
            )
        elif roll < 0.55:
            ops.append(
                card(
                    header,
                    rng.choice(["ATLASSIAN", "ZOOM.US", "COFFEE"]),
                    rng.choice(SERVICES),
                    state=rng.choice(["Posted", "Reversed", " draft "]),
                    deleted=rng.random() < 0.1,
                )
            )
        elif roll < 0.7:
            ops.append(
                expense_line(
                    str(rng.randint(1, 60)),
                    header,
                    f"{rng.randint(1, 90000) / 1000:.3f}",
                    rng.choice(["Zoom Pro", "Jira seats", "Taxi"]),
                    rng.choice(SERVICES),
                    month=f"2025-{rng.randint(1, 12):02d}",
                )
            )
        elif roll < 0.8:
            ops.append(report(header, state=rng.choice(["Submitted", "Paid", "Partially Paid"])))
        elif roll < 0.9:
            ops.append(
                reimbursement(
                    str(rng.randint(1, 15)),
                    header,
                    state=rng.choice(["Paid", "Voided"]),
                    deleted=rng.random() < 0.2,
                )
            )
        elif roll < 0.95:
            ops.append(vendor(rng.choice(["V-01", "V-02"]), "Vendor", rng.choice(SERVICES)))
        else:
            ops.append(department(rng.choice(["ENG", "OPS"]), deleted=rng.random() < 0.3))
    return ops


def _state(ledger: Ledger) -> dict[str, object]:
    keys = sorted(ledger.dirty_keys("service"))
    snapshots = {}
    for key in [s.key for s in SERVICES if s is not None]:
        snapshot = ledger.service_snapshot(key, WINDOW, "USD")
        if snapshot is not None:
            snapshots[key] = (
                snapshot.spend,
                snapshot.departments,
                snapshot.cost_total,
                snapshot.unconvertible,
                snapshot.vendor_ids,
            )
    with ledger.engine.connect() as conn:
        lines = sorted(
            tuple(row)
            for row in conn.execute(
                sa.select(
                    ledger.lines.c.kind,
                    ledger.lines.c.recordno,
                    ledger.lines.c.service_key,
                    ledger.lines.c.amount,
                    ledger.lines.c.deleted,
                )
            )
        )
    return {
        "dirty": keys,
        "snapshots": snapshots,
        "lines": lines,
        "pending": ledger.pending_summary(),
    }


def _general_path_only(ledger: Ledger, monkeypatch) -> Ledger:
    """The reference: every record through the general path, never the bulk ones."""
    monkeypatch.setattr(ledger, "_write_fresh_lines", lambda *_args: False)
    monkeypatch.setattr(ledger, "_write_fresh_headers", lambda *_args: False)
    return ledger


def _new_ledger(dialect: str, tmp_path, name: str) -> Ledger:
    if dialect == "postgres":
        reason = _postgres_answers()
        if reason:
            pytest.skip(reason)
        ledger = Ledger(POSTGRES_URL, table_prefix=f"p{uuid.uuid4().hex[:10]}_")
    else:
        ledger = Ledger(f"sqlite:///{tmp_path / name}")
    ledger.create()
    ledger.bind_company("ACME")
    return ledger


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_batch_equals_one_record_at_a_time(dialect, seed, tmp_path, monkeypatch):
    ops = _operations(seed)
    bulk = _new_ledger(dialect, tmp_path, "bulk.sqlite")
    single = _general_path_only(_new_ledger(dialect, tmp_path, "single.sqlite"), monkeypatch)
    try:
        # The same history in batches of 150 (with repeats of keys inside a batch) and one by one.
        for start in range(0, len(ops), 150):
            bulk.write(ops[start : start + 150])
        for op in ops:
            single.write([op])
        assert _state(bulk) == _state(single)
        snapshots = _state(bulk)["snapshots"]
        assert snapshots, "the random history produced no service at all"
        assert any(total != 0 for _spend, _depts, total, _u, _v in snapshots.values())
    finally:
        for ledger in (bulk, single):
            ledger.metadata.drop_all(ledger.engine)
            ledger.close()


def test_an_older_ledger_gains_the_run_column(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    ledger = Ledger(url)
    ledger.create()
    ledger.bind_company("ACME")
    ledger.write([card("10", "ATLASSIAN", JIRA), card_line("1", "10", "9.99", dept="ENG")])
    with ledger.engine.begin() as conn:
        conn.execute(sa.text('DROP INDEX "ix_lx_spend_lines_seen_run"'))
        conn.execute(sa.text('ALTER TABLE "lx_spend_lines" DROP COLUMN "seen_run"'))
    ledger.close()

    upgraded = Ledger(url)
    upgraded.create()
    assert upgraded.bind_company("ACME") is False
    upgraded.write([card_line("2", "10", "0.01", dept="ENG"), card_line("3", "77", "5")])
    snapshot = upgraded.service_snapshot("jira", WINDOW, "USD")
    assert snapshot is not None
    assert snapshot.cost_total == Decimal("10.00")
    # Only this run's lines are this run's: line 3 waits for its header, line 2 is Jira's.
    assert list(upgraded.unattributed_this_run()) == []
    upgraded.close()


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_batches_of_fresh_lines_equal_one_record_at_a_time(dialect, tmp_path, monkeypatch):
    """Batches of one stream, as the target drains them: batches of new lines or new headers take
    the bulk paths (late headers revisit the lines that came before them)."""
    rng = random.Random(11)  # noqa: S311 - test data, not secrets
    services = [JIRA, ZOOM, SLACK, None]
    setup = [
        vendor("V-01", "Vendor one", SLACK),
        vendor("V-02", "Vendor two", None),
        vendor("V-03", "Vendor three", ZOOM),
        vendor("V-03", "Vendor three", ZOOM, deleted=True),
        *(card(str(h), "DESCRIPTOR", rng.choice(services)) for h in range(1, 20)),
        *(report(str(h), state="Paid") for h in range(20, 30)),
    ]

    def lines(first: int, count: int) -> list[Entry]:
        made = []
        for number in range(first, first + count):
            if rng.random() < 0.6:
                made.append(
                    card_line(
                        str(number),
                        str(rng.randint(1, 25)),  # 20..25: no such card header (yet)
                        f"{rng.randint(-500, 90000) / 100:.2f}",
                        vendor_id=rng.choice([None, None, "V-01", "V-02", "V-03", "V-09"]),
                        month=f"2025-{rng.randint(1, 12):02d}",
                    )
                )
            else:
                made.append(
                    expense_line(
                        str(number),
                        str(rng.randint(20, 29)),
                        f"{rng.randint(1, 90000) / 1000:.3f}",
                        "memo",
                        rng.choice(services),
                    )
                )
        return made

    first_lines, more_lines = lines(1, 120), lines(121, 80)
    resent = [*lines(1, 10), *lines(500, 5)]  # re-sent keys: the general path
    late_headers = [card(str(h), "LATE", rng.choice(services)) for h in range(20, 26)]
    batches = [setup, first_lines, more_lines, late_headers, resent]
    taken: list[str] = []
    fresh_lines, fresh_headers = Ledger._write_fresh_lines, Ledger._write_fresh_headers

    def spy_lines(self, *args, **kwargs):
        done = fresh_lines(self, *args, **kwargs)
        taken.append("lines" if done else "-")
        return done

    def spy_headers(self, *args, **kwargs):
        done = fresh_headers(self, *args, **kwargs)
        taken[-1] = "headers" if done else "general"
        return done

    bulk = _new_ledger(dialect, tmp_path, "bulk.sqlite")
    single = _general_path_only(_new_ledger(dialect, tmp_path, "single.sqlite"), monkeypatch)
    try:
        monkeypatch.setattr(Ledger, "_write_fresh_lines", spy_lines)
        monkeypatch.setattr(Ledger, "_write_fresh_headers", spy_headers)
        for batch in batches:
            bulk.write(batch)
        assert taken == ["general", "lines", "lines", "headers", "general"]
        for batch in batches:
            for op in batch:
                single.write([op])
        assert _state(bulk) == _state(single)
        assert list(bulk.unattributed_this_run()) == list(single.unattributed_this_run())
    finally:
        for ledger in (bulk, single):
            ledger.metadata.drop_all(ledger.engine)
            ledger.close()

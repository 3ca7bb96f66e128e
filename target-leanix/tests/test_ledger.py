"""The ledger: replace, delete, header deletes, reimbursement policy, currencies, dirty marks."""

import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from singer_sdk.testing.runners import TargetTestRunner

from target_leanix.ledger import CostWindow, Entry, Ledger, LedgerError, PublishedItem, ServiceInfo
from target_leanix.mapping import VendorAccountItem
from target_leanix.target import TargetLeanIX

from .ledger_helpers import (
    JIRA,
    SLACK,
    ZOOM,
    bill,
    card,
    card_line,
    department,
    expense_line,
    reimbursement,
    report,
    vendor,
)

WINDOW = CostWindow("2025-12", 12)


POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def _postgres_answers() -> str | None:
    """None when the server answers, else the reason to skip."""
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as error:
        return f"PostgreSQL at 127.0.0.1:5432/test does not answer ({type(error).__name__})"
    return None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request, tmp_path):
    if request.param == "postgres":
        reason = _postgres_answers()
        if reason:
            pytest.skip(reason)
        # A table prefix per test keeps parallel workers and reruns apart.
        ledger = Ledger(POSTGRES_URL, table_prefix=f"t{uuid.uuid4().hex[:10]}_")
    else:
        ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.create()
    ledger.bind_company("ACME")
    yield ledger
    ledger.metadata.drop_all(ledger.engine)
    ledger.close()


def spend(ledger, key):
    snapshot = ledger.service_snapshot(key, WINDOW, "USD")
    assert snapshot is not None
    return snapshot


def test_lines_before_their_header_count_once_the_header_arrives(ledger):
    ledger.write([card_line("1", "10", "100.10"), card_line("2", "10", "0.20", dept="OPS")])
    assert ledger.service_snapshot("jira", WINDOW, "USD") is None
    ledger.write([card("10", "ATLASSIAN* JIRA", JIRA), department("ENG"), department("OPS")])
    snapshot = spend(ledger, "jira")
    assert snapshot.spend == {
        ("ENG", "2025-03", "USD", "card"): Decimal("100.10"),
        ("OPS", "2025-03", "USD", "card"): Decimal("0.20"),
    }
    assert snapshot.cost_total == Decimal("100.30")
    assert snapshot.departments == ["ENG", "OPS"]
    assert "jira" in ledger.dirty_keys("service")


def test_resent_line_replaces_and_deleted_line_stops_counting(ledger):
    ledger.write(
        [card("10", "ATLASSIAN", JIRA), card_line("1", "10", "100"), card_line("2", "10", "5")]
    )
    ledger.write([card_line("1", "10", "80.55")])
    assert spend(ledger, "jira").cost_total == Decimal("85.55")
    ledger.write([card_line("2", "10", "0", deleted=True)])
    assert spend(ledger, "jira").cost_total == Decimal("80.55")


def test_deleted_header_removes_its_lines(ledger):
    ledger.write([card("10", "ATLASSIAN", JIRA), card_line("1", "10", "100"), department("ENG")])
    ledger.write([card("10", "", None, deleted=True)])
    snapshot = spend(ledger, "jira")
    assert snapshot.spend == {}
    assert snapshot.departments == []


def test_reversed_card_transaction_is_not_spend(ledger):
    ledger.write([card("10", "ATLASSIAN", JIRA, state="Reversed"), card_line("1", "10", "100")])
    assert spend(ledger, "jira").cost_total == 0


def test_changed_descriptor_moves_spend_between_services(ledger):
    ledger.write([card("10", "ATLASSIAN", JIRA), card_line("1", "10", "100")])
    ledger.confirm(sent=[], removed=[], cleared=[("service", "jira")])
    ledger.write([card("10", "ZOOM.US", ZOOM)])
    assert spend(ledger, "jira").cost_total == 0
    assert spend(ledger, "zoom").cost_total == Decimal("100")
    assert set(ledger.dirty_keys("service")) == {"jira", "zoom"}


def test_expense_lines_count_once_the_report_is_reimbursed(ledger):
    ledger.write([report("20"), expense_line("1", "20", "14.99", "Zoom Pro monthly", ZOOM)])
    assert spend(ledger, "zoom").cost_total == 0
    ledger.write([reimbursement("30", "20")])
    snapshot = spend(ledger, "zoom")
    # The reimbursement pays the report; its own amount is never added (no double counting).
    assert snapshot.cost_total == Decimal("14.99")
    ledger.write([reimbursement("30", None, deleted=True)])
    assert spend(ledger, "zoom").cost_total == 0
    ledger.write([report("20", state="Paid")])
    assert spend(ledger, "zoom").cost_total == Decimal("14.99")


def test_vendor_line_attribution_beats_descriptor(ledger):
    ledger.write(
        [vendor("V-01", "Slack Technologies", SLACK), card("10", "UNKNOWN MERCHANT", None)]
    )
    ledger.write([card_line("1", "10", "7", vendor_id="V-01"), card_line("2", "10", "3")])
    assert spend(ledger, "slack").cost_total == Decimal("7")
    found = ledger.unattributed([("card", "1"), ("card", "2")])
    assert found == [("UNKNOWN MERCHANT", Decimal("3"), "USD")]


def test_currencies_are_kept_apart_and_converted_with_the_record_rate(ledger):
    ledger.write(
        [
            card("10", "ATLASSIAN", JIRA),
            card_line("1", "10", "100.00", currency="EUR", base="108.70", base_currency="USD"),
            card_line("2", "10", "50.00", currency="USD"),
            card_line("3", "10", "10.00", currency="GBP", base="11.50", base_currency="EUR"),
        ]
    )
    snapshot = spend(ledger, "jira")
    assert snapshot.spend[("ENG", "2025-03", "EUR", "card")] == Decimal("100.00")
    assert snapshot.spend[("ENG", "2025-03", "USD", "card")] == Decimal("50.00")
    assert snapshot.cost_total == Decimal("158.70")
    assert snapshot.unconvertible == {"GBP": Decimal("10.00")}


def test_cost_window_limits_cost_total_not_spend(ledger):
    ledger.write(
        [
            card("10", "ATLASSIAN", JIRA),
            card_line("1", "10", "1", month="2024-12"),
            card_line("2", "10", "2", month="2025-01"),
        ]
    )
    snapshot = spend(ledger, "jira")
    assert snapshot.cost_total == Decimal("2")
    assert sum(snapshot.spend.values()) == Decimal("3")
    assert CostWindow("2025-02", 3).start_month == "2024-12"


def test_invoices_follow_their_vendor(ledger):
    ledger.write([bill("4711", "V-01", "1200.00")])
    ledger.write([vendor("V-01", "Slack", SLACK)])
    assert [i.recordno for i in spend(ledger, "slack").invoices] == ["4711"]
    ledger.write([bill("4711", "V-01", "0", deleted=True)])
    assert spend(ledger, "slack").invoices == []


def test_confirm_clears_dirty_and_remembers_published(ledger):
    ledger.write([vendor("V-01", "Slack", SLACK)])
    assert ledger.dirty_keys("service") == ["slack"]
    item = PublishedItem(
        "service:slack", "Service|x", "abc", {"type": "Service", "id": "x", "data": {}}
    )
    ledger.confirm(sent=[item], removed=[], cleared=[("service", "slack")])
    assert ledger.dirty_keys("service") == []
    assert list(ledger.published("service:slack")) == ["Service|x"]
    ledger.confirm(sent=[], removed=[("service:slack", "Service|x")], cleared=[])
    assert ledger.published("service:slack") == {}


def test_ledger_survives_reopening_and_refuses_another_company(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    first = Ledger(url)
    first.create()
    assert first.bind_company("ACME") is True
    first.write([card("10", "ATLASSIAN", JIRA), card_line("1", "10", "9.99")])
    first.close()
    second = Ledger(url)
    second.create()
    assert second.bind_company("ACME") is False
    assert second.service_snapshot("jira", WINDOW, "USD").cost_total == Decimal("9.99")
    with pytest.raises(LedgerError, match="belongs to company_key 'ACME'"):
        second.bind_company("OTHER")
    second.close()


def test_vendor_accounts_changes_ask_for_recognition_again(ledger):
    ledger.write([vendor("V-07", "Acme Analytics"), bill("9", "V-07", "640.00")])
    stats = ledger.write([Entry(VendorAccountItem("1", "V-07", "6250", deleted=False))])
    assert stats.vendors_to_recognize == {"V-07"}
    assert ledger.vendor_accounts("V-07") == ["6250"]
    # The same line again changes nothing; a second line on the same account neither.
    again = ledger.write(
        [
            Entry(VendorAccountItem("1", "V-07", "6250", deleted=False)),
            Entry(VendorAccountItem("2", "V-07", "6250", deleted=False)),
        ]
    )
    assert again.vendors_to_recognize == set()
    candidate = ServiceInfo(
        "candidate:V-07", "Acme Analytics", "", "Acme Analytics", candidate=True
    )
    ledger.confirm(
        sent=[], removed=[], cleared=[("service", k) for k in ledger.dirty_keys("service")]
    )
    assert ledger.set_vendor_service("V-07", candidate) is True
    assert ledger.dirty_keys("service") == ["candidate:V-07"]
    assert [i.recordno for i in spend(ledger, "candidate:V-07").invoices] == ["9"]
    assert ledger.set_vendor_service("V-07", candidate) is False
    gone = ledger.write(
        [
            Entry(VendorAccountItem("1", None, None, deleted=True)),
            Entry(VendorAccountItem("2", None, None, deleted=True)),
        ]
    )
    assert gone.vendors_to_recognize == {"V-07"}
    assert ledger.vendor_accounts("V-07") == []


@pytest.mark.postgres
def test_target_runs_on_a_postgresql_ledger(tmp_path):
    reason = _postgres_answers()
    if reason:
        pytest.skip(reason)
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    config = {
        "company_key": "PG",
        "dry_run": True,
        "dry_run_path": str(tmp_path / "out.jsonl"),
        "ledger_url": POSTGRES_URL,
        "ledger_table_prefix": prefix,
        "cost_window_end": "2025-12-31",
    }
    data = Path(__file__).parent / "data" / "intacct_initial.singer"
    TargetTestRunner(TargetLeanIX, config=config, input_filepath=data).sync_all()
    ledger = Ledger(POSTGRES_URL, table_prefix=prefix)
    try:
        assert ledger.get_meta("company_key") == "PG"
        assert ledger.dirty_keys("service") == []
        assert ledger.count_published() > 0
        # 100.10 + 45.55 on the Atlassian card transaction, both USD, both in the window.
        assert ledger.service_snapshot("atlassian", WINDOW, "USD").cost_total == Decimal("145.65")
    finally:
        ledger.metadata.drop_all(ledger.engine)
        ledger.close()


def test_descriptor_and_memo_can_be_recognised_again(ledger):
    ledger.write(
        [
            card("10", "ACME SAAS", None),
            card_line("1", "10", "12.00"),
            report("20", state="Paid"),
            expense_line("2", "20", "3.00", "Acme SaaS seat", None),
        ]
    )
    assert ledger.card_descriptors() == ["ACME SAAS"]
    assert ledger.expense_texts() == ["Acme SaaS seat"]
    acme = ServiceInfo("user:acme", "Acme", "Uncategorized", "Acme")
    assert ledger.set_descriptor_service("ACME SAAS", acme) is True
    assert ledger.set_descriptor_service("ACME SAAS", acme) is False
    assert ledger.set_text_service("Acme SaaS seat", acme) is True
    assert ledger.set_text_service("Acme SaaS seat", acme) is False
    assert spend(ledger, "user:acme").spend == {
        ("ENG", "2025-03", "USD", "card"): Decimal("12.00"),
        ("OPS", "2025-02", "USD", "reimbursement"): Decimal("3.00"),
    }
    assert "user:acme" in ledger.dirty_keys("service")
    assert ledger.set_text_service("Acme SaaS seat", None) is True
    assert spend(ledger, "user:acme").cost_total == Decimal("12.00")


def test_deletes_of_records_never_held_are_counted_apart(ledger):
    first = ledger.write([bill("1", "V-01", "10"), bill("2", "V-01", "5", deleted=True)])
    assert dict(first.deleted) == {"InvoiceItem": 1}
    assert dict(first.deleted_unknown) == {"InvoiceItem": 1}  # bill 2 was never held
    again = ledger.write(
        [bill("1", "V-01", "10", deleted=True), bill("2", "V-01", "5", deleted=True)]
    )
    assert dict(again.deleted) == {"InvoiceItem": 2}
    assert dict(again.deleted_unknown) == {"InvoiceItem": 1}  # bill 1 was held, bill 2 never
    vendors = ledger.write(
        [vendor("V-01", "Slack Technologies, LLC"), vendor("", "x", deleted=True)]
    )
    assert dict(vendors.deleted_unknown) == {"VendorItem": 1}

"""Spend as the books show it: bill lines (accrual), AP payment details (cash), card-paid bills counted
once, charge payoffs, service periods spread exactly, opt-in GL journals, and the source of each point."""

import json
import uuid
from dataclasses import replace
from decimal import Decimal

import pytest

from target_leanix import ldif
from target_leanix.ledger import BooksPolicy, CostWindow, Entry, Ledger, ServiceInfo
from target_leanix.ledger.spread import period_months, split
from target_leanix.mapping import RecurringBillItem, SpendKind, to_item
from target_leanix.pipeline import Settings, SettingsError
from target_leanix.publisher import DryRunWriter, Publisher, PublishSettings
from target_leanix.recognition import RecognitionRules, Recognizer
from target_leanix.record_fields import BadRecordError

from .ledger_helpers import (
    SLACK,
    ap_bill,
    ap_payment,
    bill_line,
    card_line,
    card_tx,
    department,
    gl_batch,
    gl_line,
    payment_line,
    vendor,
)
from .test_ledger import POSTGRES_URL, _postgres_answers

WINDOW = CostWindow("2025-12", 12)
ACCRUAL = BooksPolicy()
CASH = BooksPolicy(basis="cash")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request, tmp_path):
    """A ledger on SQLite, and on PostgreSQL when a server answers (as in test_ledger)."""
    if request.param == "postgres":
        reason = _postgres_answers()
        if reason:
            pytest.skip(reason)
        ledger = Ledger(POSTGRES_URL, table_prefix=f"t{uuid.uuid4().hex[:10]}_")
    else:
        ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.create()
    ledger.bind_company("ACME")
    yield ledger
    ledger.metadata.drop_all(ledger.engine)
    ledger.close()


def spend(ledger, policy=ACCRUAL, key="slack"):
    snapshot = ledger.service_snapshot(key, WINDOW, "USD", books=policy)
    assert snapshot is not None
    return snapshot


def points(ledger, policy=ACCRUAL, key="slack"):
    """(department, month, source) -> amount of the service's non-zero USD points."""
    return {
        (dept, month, source): amount
        for (dept, month, currency, source), amount in spend(ledger, policy, key).spend.items()
        if amount != 0 and currency == "USD"
    }


def slack_bill(state="Posted"):
    """Bill 401 of Slack dated 15 Mar 2025: 100.00 on ENG and 50.00 on OPS, each its own account."""
    return [
        vendor("V-01", "Slack Technologies", SLACK),
        department("ENG"),
        department("OPS"),
        ap_bill("401", "V-01", date="2025-03-15", state=state),
        bill_line("1", "401", "100.00", vendor_id="V-01", dept="ENG", account="6250"),
        bill_line("2", "401", "50.00", vendor_id="V-01", dept="OPS", account="6260"),
    ]


# -- accrual (the default) ---------------------------------------------------------------------------


def test_bill_lines_count_in_their_department_in_the_month_of_the_bill(ledger):
    ledger.write(slack_bill())
    assert points(ledger) == {
        ("ENG", "2025-03", "invoice"): Decimal("100.00"),
        ("OPS", "2025-03", "invoice"): Decimal("50.00"),
    }
    assert spend(ledger).cost_total == Decimal("150.00")
    assert spend(ledger).departments == ["ENG", "OPS"]
    assert "slack" in ledger.dirty_keys("service")


def test_the_payment_of_a_bill_settles_it_and_adds_nothing_on_accrual(ledger):
    ledger.write(slack_bill())
    ledger.write([ap_payment("501", "V-01"), payment_line("5011", "501", "150.00", bill="401")])
    assert spend(ledger).cost_total == Decimal("150.00")
    assert {source for _d, _m, source in points(ledger)} == {"invoice"}


def test_lines_before_their_bill_and_vendor_count_once_both_arrive(ledger):
    *head, first, second = slack_bill()
    ledger.write([first, second])
    assert ledger.service_snapshot("slack", WINDOW, "USD") is None  # nothing known of slack yet
    ledger.write(head)
    assert spend(ledger).cost_total == Decimal("150.00")


@pytest.mark.parametrize("state", ["Draft", "Reversed", "Reversal", "Voided", "draft "])
def test_draft_and_reversed_bills_are_no_spend(ledger, state):
    ledger.write(slack_bill(state))
    assert points(ledger) == {}


@pytest.mark.parametrize("state", ["Submitted", "Approved", "Posted", "Partially Paid", "Paid"])
def test_bills_from_submitted_on_are_spend(ledger, state):
    ledger.write(slack_bill(state))
    assert spend(ledger).cost_total == Decimal("150.00")


def test_a_credit_memo_counts_negative_and_an_edited_bill_moves_every_month(ledger):
    ledger.write(slack_bill())
    ledger.write([ap_bill("402", "V-01", date="2025-04-02"), bill_line("3", "402", "-30.00")])
    assert points(ledger)[("ENG", "2025-04", "invoice")] == Decimal("-30.00")
    assert spend(ledger).cost_total == Decimal("120.00")
    # The bill is re-dated and a line deleted after payment: recomputed, never incremented.
    ledger.write(
        [
            ap_bill("401", "V-01", date="2025-05-20", state="Paid"),
            bill_line("2", "401", "0", deleted=True),
        ]
    )
    assert points(ledger) == {
        ("ENG", "2025-05", "invoice"): Decimal("100.00"),
        ("ENG", "2025-04", "invoice"): Decimal("-30.00"),
    }


def test_a_deleted_bill_takes_its_lines_with_it(ledger):
    ledger.write(slack_bill())
    ledger.write([ap_bill("401", None, deleted=True)])
    assert points(ledger) == {}


# -- cash basis --------------------------------------------------------------------------------------


def test_cash_counts_payments_in_the_month_paid_in_the_department_of_the_line_paid(ledger):
    ledger.write(slack_bill())
    ledger.write(
        [
            ap_payment("501", "V-01", paid="2025-04-10"),
            payment_line("5011", "501", "100.00", bill="401", line="1"),
            ap_payment("502", "V-01", paid="2025-06-01"),
            payment_line("5021", "502", "20.00", bill="401", line="2"),
        ]
    )
    assert points(ledger, CASH) == {
        ("ENG", "2025-04", "payment"): Decimal("100.00"),
        ("OPS", "2025-06", "payment"): Decimal("20.00"),
    }
    # The bill itself does not count on cash basis; the payments do not count on accrual.
    assert spend(ledger, CASH).cost_total == Decimal("120.00")
    assert spend(ledger, ACCRUAL).cost_total == Decimal("150.00")


def test_cash_spreads_a_payment_of_the_whole_bill_pro_rata_exact_to_the_cent(ledger):
    ledger.write(slack_bill())
    ledger.write([bill_line("3", "401", "50.00", vendor_id="V-01", dept="FIN")])
    ledger.write([ap_payment("501", "V-01"), payment_line("5011", "501", "100.01", bill="401")])
    # 100.01 over lines of 100, 50 and 50: 50.005, 25.0025, 25.0025 -> the cent left goes first.
    assert points(ledger, CASH) == {
        ("ENG", "2025-04", "payment"): Decimal("50.01"),
        ("OPS", "2025-04", "payment"): Decimal("25.00"),
        ("FIN", "2025-04", "payment"): Decimal("25.00"),
    }


def test_cash_payment_of_a_bill_without_lines_has_no_department(ledger):
    ledger.write([vendor("V-01", "Slack Technologies", SLACK), ap_bill("401", "V-01")])
    ledger.write([ap_payment("501", "V-01"), payment_line("5011", "501", "9.99", bill="401")])
    assert points(ledger, CASH) == {("", "2025-04", "payment"): Decimal("9.99")}


@pytest.mark.parametrize("state", ["Voided", "Draft"])
def test_voided_and_draft_payments_pay_nothing(ledger, state):
    ledger.write(slack_bill())
    ledger.write(
        [ap_payment("501", "V-01"), payment_line("5011", "501", "150.00", bill="401", line="1")]
    )
    assert spend(ledger, CASH).cost_total == Decimal("150.00")
    ledger.write([ap_payment("501", "V-01", state=state)])
    assert points(ledger, CASH) == {}
    assert "slack" in ledger.dirty_keys("service")


# -- a bill paid by card counts once -----------------------------------------------------------------


def test_a_card_transaction_made_by_an_ap_payment_by_credit_card_is_no_card_spend(ledger):
    ledger.write(slack_bill())
    ledger.write([card_tx("10", "SLACK T04ABC123", SLACK, entity="AMEX-1", number="CP-77")])
    ledger.write([card_line("101", "10", "150.00", dept="ENG", month="2025-04")])
    assert spend(ledger).cost_total == Decimal("300.00")  # not yet known to be the bill's payment
    ledger.confirm(sent=[], removed=[], cleared=[("service", "slack")])
    payment = ap_payment("77", "V-01", method="Credit Card", entity="AMEX-1", number="CP-77")
    ledger.write([payment, payment_line("771", "77", "150.00", bill="401")])
    assert "slack" in ledger.dirty_keys("service")  # the card line stopped counting
    assert {s for _d, _m, s in points(ledger)} == {"invoice"}
    assert spend(ledger).cost_total == Decimal("150.00")
    assert {s for _d, _m, s in points(ledger, CASH)} == {"payment"}
    assert spend(ledger, CASH).cost_total == Decimal("150.00")
    # Same document number on another card account, or another method: not that payment.
    ledger.write([ap_payment("77", "V-01", method="ACH", entity="AMEX-1", number="CP-77")])
    assert spend(ledger).cost_total == Decimal("300.00")
    ledger.write([ap_payment("77", "V-01", method="Credit Card", entity="AMEX-2", number="CP-77")])
    assert spend(ledger).cost_total == Decimal("300.00")
    ledger.write([ap_payment("77", "V-01", method="credit card", entity="AMEX-1", number="CP-77")])
    assert spend(ledger).cost_total == Decimal("150.00")
    ledger.write([ap_payment("77", None, deleted=True)])
    assert spend(ledger).cost_total == Decimal("300.00")


def test_a_charge_payoff_bill_to_the_card_issuer_is_no_spend(ledger):
    """Intacct pays off card charges with an AP bill to the card issuer: the charges are card spend
    already, and the issuer is no service, even when its account is called software."""
    recognizer = Recognizer(
        rules=RecognitionRules.from_config({"software_gl_accounts": ["6250", "2100"]})
    )
    issuer = recognizer.match_vendor("V-AMEX", "American Express", gl_accounts=["2100"])
    assert issuer.service is None
    ledger.write(
        [
            Entry(vendor("V-AMEX", "American Express").item, None),
            ap_bill("900", "V-AMEX", date="2025-04-30"),
            bill_line("9001", "900", "150.00", vendor_id="V-AMEX", account="2100"),
            card_tx("10", "SLACK T04ABC123", SLACK),
            card_line("101", "10", "150.00", dept="ENG", month="2025-04"),
        ]
    )
    assert points(ledger) == {("ENG", "2025-04", "card"): Decimal("150.00")}
    assert (
        ledger.pending_summary()["unattributed_lines"] == 0
    )  # a bill line is no unattributed spend


# -- service periods ---------------------------------------------------------------------------------


def test_the_worked_example_of_the_readme():
    """An annual invoice of 1,000.00 from 15 Mar spread over 12 months: 83.34 x4 + 83.33 x8."""
    months = period_months("2025-03-15", "2026-03-14")
    assert (months[0], months[-1], len(months)) == ("2025-03", "2026-02", 12)
    shares = split(Decimal("1000.00"), 12, 2)
    assert shares == [Decimal("83.34")] * 4 + [Decimal("83.33")] * 8
    assert split(Decimal("-1000.00"), 12, 2) == [-s for s in shares]


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        ("2025-01-01", "2025-12-31", 12),
        ("2025-01-15", "2025-01-20", 1),
        ("2025-01-15", "2025-02-20", 2),
        ("2025-03-01", "2025-03-31", 1),
        ("2024-02-29", "2025-02-28", 12),
        ("2025-05-05", "2025-05-05", 1),
        ("2025-01-31", "2025-02-28", 1),
        ("2025-01-31", "2025-03-01", 2),
        ("2025-12-15", "2026-01-14", 1),
    ],
)
def test_a_period_counts_by_month_a_part_month_as_one(start, end, count):
    assert len(period_months(start, end)) == count


def test_a_line_with_a_service_period_spreads_evenly_and_exactly(ledger):
    ledger.write(
        [
            vendor("V-01", "Slack Technologies", SLACK),
            ap_bill("401", "V-01", date="2025-03-15"),
            bill_line("1", "401", "1000.00", period=("2025-03-15", "2026-03-14")),
        ]
    )
    found = points(ledger)
    assert len(found) == 12
    assert sum(found.values()) == Decimal("1000.00")
    assert found[("ENG", "2025-03", "invoice")] == Decimal("83.34")
    assert found[("ENG", "2025-07", "invoice")] == Decimal("83.33")
    assert found[("ENG", "2026-02", "invoice")] == Decimal("83.33")
    # The window 2025-01..2025-12 holds Mar..Dec: 4 x 83.34 + 6 x 83.33.
    assert spend(ledger).cost_total == Decimal("833.34")
    # The period changes: every month moves to its new value.
    ledger.write([bill_line("1", "401", "1000.00", period=("2025-07-01", "2025-09-30"))])
    assert points(ledger) == {
        ("ENG", "2025-07", "invoice"): Decimal("333.34"),
        ("ENG", "2025-08", "invoice"): Decimal("333.33"),
        ("ENG", "2025-09", "invoice"): Decimal("333.33"),
    }


def test_service_terms_spread_lines_without_a_period_from_the_bill_month(ledger):
    ledger.write(slack_bill())
    by_service = BooksPolicy(service_terms={"slack": 3})
    assert points(ledger, by_service) == {
        ("ENG", "2025-03", "invoice"): Decimal("33.34"),
        ("ENG", "2025-04", "invoice"): Decimal("33.33"),
        ("ENG", "2025-05", "invoice"): Decimal("33.33"),
        ("OPS", "2025-03", "invoice"): Decimal("16.67"),
        ("OPS", "2025-04", "invoice"): Decimal("16.67"),
        ("OPS", "2025-05", "invoice"): Decimal("16.66"),
    }
    # A vendor's own term wins over its service's.
    by_vendor = BooksPolicy(service_terms={"slack": 3, "V-01": 2})
    assert points(ledger, by_vendor)[("ENG", "2025-04", "invoice")] == Decimal("50.00")


def recurring(schedule, repeat_by, interval, *, recordno="7"):
    """An APRECURBILL of Slack's vendor whose bills carry SCHOPKEY `schedule`."""
    return Entry(
        RecurringBillItem(
            recordno,
            "V-01",
            "Slack plan",
            "2025-01-15",
            None,
            "2025-06-15",
            repeat_by,
            interval,
            Decimal("150.00"),
            "USD",
            "active",
            deleted=False,
            schedule=schedule,
        )
    )


def test_a_bill_a_recurring_bill_created_spreads_over_one_interval_of_its_schedule(ledger):
    bill = slack_bill()
    header = bill[3].item
    bill[3] = Entry(replace(header, schedule="901"))
    ledger.write([*bill, recurring("901", "Months", 3)])
    quarterly = points(ledger)
    assert quarterly == {
        ("ENG", "2025-03", "invoice"): Decimal("33.34"),
        ("ENG", "2025-04", "invoice"): Decimal("33.33"),
        ("ENG", "2025-05", "invoice"): Decimal("33.33"),
        ("OPS", "2025-03", "invoice"): Decimal("16.67"),
        ("OPS", "2025-04", "invoice"): Decimal("16.67"),
        ("OPS", "2025-05", "invoice"): Decimal("16.66"),
    }
    # The schedule changes: the months move to the new interval (recomputed, not incremented).
    ledger.write([recurring("901", "Years", 1)])
    yearly = points(ledger)
    assert len(yearly) == 24
    assert sum(yearly.values()) == Decimal("150.00")
    # A weekly schedule covers less than a month: the bill counts in its own month.
    ledger.write([recurring("901", "Weeks", 2)])
    assert points(ledger) == {
        ("ENG", "2025-03", "invoice"): Decimal("100.00"),
        ("OPS", "2025-03", "invoice"): Decimal("50.00"),
    }
    # A term a user rule sets wins over the schedule.
    ledger.write([recurring("901", "Months", 3)])
    assert points(ledger, BooksPolicy(service_terms={"slack": 2}))[
        ("ENG", "2025-04", "invoice")
    ] == Decimal("50.00")


def test_amounts_in_other_currencies_spread_in_their_own_units(ledger):
    ledger.write(
        [
            vendor("V-01", "Slack Technologies", SLACK),
            ap_bill("401", "V-01"),
            bill_line("1", "401", "1000", currency="JPY", period=("2025-01-01", "2025-03-31")),
            bill_line("2", "401", "1.000", currency="KWD", period=("2025-01-01", "2025-03-31")),
        ]
    )
    found = spend(ledger).spend
    assert [found[("ENG", m, "JPY", "invoice")] for m in ("2025-01", "2025-02", "2025-03")] == [
        Decimal(334),
        Decimal(333),
        Decimal(333),
    ]
    assert found[("ENG", "2025-01", "KWD", "invoice")] == Decimal("0.334")


# -- journals ----------------------------------------------------------------------------------------


def test_posted_gl_journal_lines_on_spend_accounts_count_by_their_memo(ledger):
    ledger.write(
        [
            gl_batch("1"),
            gl_line("11", "1", "200.00", "Slack annual true-up", SLACK),
            gl_line("12", "1", "-50.00", "Slack credit", SLACK),
            gl_line("13", "1", "70.00", "Slack seats", SLACK, account="7000"),
            gl_batch("2", module="3.AP"),
            gl_line("21", "2", "999.00", "Slack bill posting", SLACK),
            gl_batch("3", state="Draft"),
            gl_line("31", "3", "999.00", "Slack draft", SLACK),
        ]
    )
    assert points(ledger) == {}  # journals are opt-in
    journals = BooksPolicy(gl_spend_accounts=frozenset({"6250"}))
    assert points(ledger, journals) == {("ENG", "2025-05", "journal"): Decimal("150.00")}
    # A memo recognised again moves the journal line like an expense line.
    other = ServiceInfo("user:chat", "Chat", "Collaboration", "Chat Co")
    assert ledger.set_text_service("Slack credit", other) is True
    assert points(ledger, journals) == {("ENG", "2025-05", "journal"): Decimal("200.00")}


# -- the source of each point ------------------------------------------------------------------------


def test_each_source_is_its_own_point_and_the_cost_total_adds_them_all(ledger, tmp_path):
    ledger.write(slack_bill())
    ledger.write([card_tx("10", "SLACK", SLACK), card_line("101", "10", "5.00", month="2025-03")])
    out = tmp_path / "ldif.jsonl"
    settings = PublishSettings("ACME", WINDOW, "USD", ldif.DEFAULT_RECORD_URL_TEMPLATE)
    Publisher(ledger, DryRunWriter(out, "ACME"), settings).publish()
    sent = [i for line in out.read_text().splitlines() for i in json.loads(line)["content"]]
    spend_items = {i["id"]: i["data"] for i in sent if i["type"] == ldif.SERVICE_SPEND}
    base = "intacct:ACME:service:slack:spend:ENG:2025-03:USD"
    assert spend_items[f"{base}:invoice"]["source"] == "invoice"
    assert spend_items[f"{base}:card"]["source"] == "card"
    assert spend_items[f"{base}:invoice"]["value"] == 100.0
    cost = next(i["data"] for i in sent if i["type"] == ldif.SERVICE_COST)
    assert Decimal(str(cost["costTotalAnnual"])) == Decimal("155.00")
    assert "AP bills (accrual basis)" in cost["description"]


def test_a_schema_3_ledger_replaces_its_points_without_a_source(ledger, tmp_path):
    """Points published before they carried a source are withdrawn (by their three tags) and sent
    again per source, so LeanIX keeps no stale point."""
    ledger.write([card_tx("10", "SLACK", SLACK), card_line("101", "10", "5.00", month="2025-03")])
    settings = PublishSettings("ACME", WINDOW, "USD", ldif.DEFAULT_RECORD_URL_TEMPLATE)
    Publisher(ledger, DryRunWriter(tmp_path / "first.jsonl", "ACME"), settings).publish()
    # As a schema-3 ledger left it: the point without source under its old ID.
    held = ledger.published("service:slack")
    sourced = next(p for p in held.values() if p.payload["type"] == ldif.SERVICE_SPEND)
    old_id = sourced.payload["id"].removesuffix(":card")
    old_data = {k: v for k, v in sourced.payload["data"].items() if k != "source"}
    old = type(sourced)(
        "service:slack",
        f"{ldif.SERVICE_SPEND}|{old_id}",
        "x",
        {"type": ldif.SERVICE_SPEND, "id": old_id, "data": old_data},
    )
    ledger.confirm(sent=[old], removed=[("service:slack", sourced.item_key)], cleared=[])
    ledger.set_meta("schema_version", "3")
    out = tmp_path / "upgrade.jsonl"
    Publisher(ledger, DryRunWriter(out, "ACME"), settings).publish()
    sent = [i for line in out.read_text().splitlines() for i in json.loads(line)["content"]]
    kinds = {(i["type"], i["id"]) for i in sent}
    assert (ldif.SERVICE_SPEND_UNSOURCED_REMOVED, old_id) in kinds
    assert (ldif.SERVICE_SPEND, f"{old_id}:card") in kinds
    assert ledger.get_meta("schema_version") == "4"
    config = ldif.processor_configuration("ACME")
    unsourced = next(
        p
        for p in config["processors"]
        if p["filter"]["exactType"] == ldif.SERVICE_SPEND_UNSOURCED_REMOVED
    )
    tags = [t["map"][0]["value"] for t in unsourced["updates"][2]["values"]]
    assert tags == ["service", "department", "currency"]


# -- records and settings ----------------------------------------------------------------------------


def test_bill_payment_and_journal_records_map_to_their_lines():
    line = to_item(
        "ap_bill_item",
        {
            "RECORDNO": 7,
            "RECORDKEY": 401,
            "ACCOUNTNO": "6250",
            "DEPARTMENTID": "ENG",
            "VENDORID": "V-01",
            "AMOUNT": Decimal("1000.00"),
            "TRX_AMOUNT": Decimal("1000.00"),
            "CURRENCY": "USD",
            "AMORTIZATIONSTARTDATE": "2025-03-15",
            "AMORTIZATIONENDDATE": "2026-03-14",
        },
    )
    assert (line.kind, line.header_recordno) == (SpendKind.BILL, "401")
    assert (line.accountno, line.period_start, line.period_end) == (
        "6250",
        "2025-03-15",
        "2026-03-14",
    )
    detail = to_item(
        "ap_payment_detail",
        {
            "RECORDNO": 9,
            "PAYMENTKEY": 501,
            "RECORDKEY": 401,
            "ENTRYKEY": 7,
            "PAYMENTAMOUNT": Decimal("100.00"),
            "TRX_PAYMENTAMOUNT": Decimal("90.00"),
            "CURRENCY": "EUR",
        },
    )
    assert (detail.kind, detail.header_recordno, detail.paid_header, detail.paid_line) == (
        SpendKind.PAYMENT,
        "501",
        "401",
        "7",
    )
    assert (detail.amount, detail.currency, detail.base_amount) == (
        Decimal("90.00"),
        "EUR",
        Decimal("100.00"),
    )
    credit = to_item(
        "gl_entry",
        {
            "RECORDNO": 3,
            "BATCHNO": 1,
            "ACCOUNTNO": "6250",
            "DEPARTMENT": "ENG",
            "AMOUNT": Decimal("50.00"),
            "TR_TYPE": -1,
            "CURRENCY": "USD",
            "BASECURR": "USD",
            "DESCRIPTION": "Slack credit",
            "ENTRY_DATE": "2025-05-31",
        },
    )
    assert (credit.amount, credit.department_id, credit.month) == (
        Decimal("-50.00"),
        "ENG",
        "2025-05",
    )
    batch = to_item(
        "gl_batch",
        {"RECORDNO": 1, "BATCH_DATE": "2025-05-31", "JOURNAL": "GJ", "MODULE": "2.GL"},
    )
    assert (batch.kind, batch.module, batch.date) == (SpendKind.JOURNAL, "2.GL", "2025-05-31")


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"AMORTIZATIONSTARTDATE": "2025-03-15"}, "date AMORTIZATIONENDDATE is missing"),
        ({"AMORTIZATIONSTARTDATE": "2025-03-15", "AMORTIZATIONENDDATE": "2025-03-01"}, "is before"),
        (
            {"AMORTIZATIONSTARTDATE": "2025-01-01", "AMORTIZATIONENDDATE": "2999-01-01"},
            "longer than 120",
        ),
    ],
    ids=["one-date", "end-first", "too-long"],
)
def test_a_bad_service_period_is_a_bad_record_in_one_line(record, problem):
    base = {"RECORDNO": 7, "RECORDKEY": 401, "AMOUNT": 1, "CURRENCY": "USD"}
    with pytest.raises(BadRecordError) as failure:
        to_item("ap_bill_item", {**base, **record})
    assert problem in str(failure.value)
    assert str(failure.value).startswith("stream 'ap_bill_item' record RECORDNO=7:")


def test_a_journal_line_needs_a_direction():
    with pytest.raises(BadRecordError, match="TR_TYPE should be 1"):
        to_item("gl_entry", {"RECORDNO": 3, "BATCHNO": 1, "AMOUNT": 5, "TR_TYPE": 2})


BASE = {"company_key": "ACME", "dry_run": True}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"spend_basis": "modified"}, "setting spend_basis is 'accrual' or 'cash'"),
        ({"service_terms": {"slack": 0}}, "setting service_terms: 'slack' must map"),
        ({"service_terms": {"slack": True}}, "setting service_terms: 'slack' must map"),
        ({"service_terms": ["slack"]}, "setting service_terms is an object"),
        ({"gl_spend_accounts": "6250"}, "setting gl_spend_accounts is a list"),
        ({"gl_spend_accounts": [{"a": 1}]}, "setting gl_spend_accounts is a list"),
    ],
    ids=["basis", "term-zero", "term-bool", "terms-list", "accounts-text", "accounts-object"],
)
def test_books_settings_are_checked_in_one_line(extra, message):
    with pytest.raises(SettingsError) as failure:
        Settings.from_config({**BASE, **extra})
    assert str(failure.value).startswith(message)


def test_books_settings_default_to_accrual_without_terms_or_journals():
    books = Settings.from_config(BASE).books
    assert books == BooksPolicy()
    configured = Settings.from_config(
        {**BASE, "spend_basis": "cash", "service_terms": {"slack": 12}, "gl_spend_accounts": [6250]}
    ).books
    assert configured == BooksPolicy("cash", {"slack": 12}, frozenset({"6250"}))


def test_an_older_ledger_derives_bill_headers_from_its_invoices(ledger, tmp_path):
    """A schema-3 ledger held bills as invoices only: the upgrade makes them the headers of their
    lines' spend, so bill lines synced again count without the bills being synced again."""
    ledger.write([vendor("V-01", "Slack Technologies", SLACK), ap_bill("401", "V-01")])
    with ledger.engine.begin() as conn:  # as schema 3 left it: no spend header of the bill
        conn.execute(ledger.headers.delete())
    ledger.set_meta("schema_version", "3")
    settings = PublishSettings("ACME", WINDOW, "USD", ldif.DEFAULT_RECORD_URL_TEMPLATE)
    Publisher(ledger, DryRunWriter(tmp_path / "out.jsonl", "ACME"), settings)
    ledger.write([bill_line("1", "401", "42.00", vendor_id="V-01")])
    assert points(ledger) == {("ENG", "2025-03", "invoice"): Decimal("42.00")}

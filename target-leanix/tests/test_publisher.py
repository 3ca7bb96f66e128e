"""Ledger -> LDIF: documented shape, only changes are sent, removals undo, runs are chunked."""

import json
from decimal import Decimal

import jsonschema
import pytest

from target_leanix import insights, ldif
from target_leanix.insights import InsightSettings
from target_leanix.ledger import CostWindow, Ledger
from target_leanix.publisher import DryRunWriter, LedgerMissingError, Publisher, PublishSettings

from .ledger_helpers import JIRA, SLACK, bill, card, card_line, department, vendor


@pytest.fixture
def ledger():
    ledger = Ledger("sqlite://")
    ledger.create()
    ledger.bind_company("ACME")
    yield ledger
    ledger.close()


NO_INSIGHTS = InsightSettings.none()


def settings(**overrides):
    values = {
        "company": "ACME",
        "window": CostWindow("2025-12", 12),
        "reporting_currency": "USD",
        "record_url_template": ldif.DEFAULT_RECORD_URL_TEMPLATE,
        # These tests count spend items; the insight items have tests of their own (test_insights).
        "insight_settings": NO_INSIGHTS,
    }
    values.update(overrides)
    return PublishSettings(**values)


def documents(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def content_of(path):
    return [item for document in documents(path) for item in document["content"]]


def test_publication_is_valid_ldif_with_exact_amounts(ledger, tmp_path):
    out = tmp_path / "ldif.jsonl"
    ledger.write(
        [
            vendor("V-01", "Atlassian Pty Ltd", JIRA),
            department("ENG", "Engineering"),
            card("10", "ATLASSIAN* JIRA", JIRA),
            card_line("1", "10", "1234567890123.45"),
            card_line("2", "10", "0.10"),
            bill("4711", "V-01", "1200.00"),
        ]
    )
    publisher = Publisher(ledger, DryRunWriter(out, "ACME"), settings())
    publisher.publish()
    docs = documents(out)
    assert len(docs) == 1
    for document in docs:
        jsonschema.validate(document, ldif.LDIF_JSON_SCHEMA)
    raw = out.read_text()
    assert "1234567890123.55" in raw  # exact digits, never a float
    by_type = {}
    for item in docs[0]["content"]:
        by_type.setdefault(item["type"], []).append(item)
    assert [i["id"] for i in by_type["Service"]] == ["intacct:ACME:service:jira"]
    assert by_type["Service"][0]["data"]["providerId"] == "intacct:ACME:provider:atlassian"
    assert [i["id"] for i in by_type["Department"]] == ["intacct:ACME:department:ENG"]
    assert by_type["ServiceDepartment"][0]["data"]["departmentId"] == "intacct:ACME:department:ENG"
    assert [i["data"]["value"] for i in by_type["ServiceSpend"]] == [1234567890123.55]
    invoice = by_type["Invoice"][0]["data"]
    assert invoice["name"] == "Intacct APBILL 4711"
    assert "B-4711" in invoice["description"]
    assert "4711" in invoice["url"]
    # Fact sheet items come before the relations that need them.
    types = [i["type"] for i in docs[0]["content"]]
    assert types.index("Department") < types.index("ServiceDepartment")
    assert ledger.dirty_keys("service") == []
    assert publisher.summary.services_created == {"intacct:ACME:service:jira"}
    configuration = json.loads((tmp_path / "ldif.processors.json").read_text())
    assert configuration == ldif.processor_configuration("ACME")


def test_nothing_changed_means_nothing_sent(ledger, tmp_path):
    out = tmp_path / "ldif.jsonl"
    entries = [
        vendor("V-01", "Slack", SLACK),
        card("10", "SLACK", SLACK),
        card_line("1", "10", "5"),
    ]
    ledger.write(entries)
    Publisher(ledger, DryRunWriter(out, "ACME"), settings()).publish()
    first = len(documents(out))
    ledger.write(entries)  # the same records again, e.g. the tap's bookmark boundary
    publisher = Publisher(ledger, DryRunWriter(out, "ACME"), settings())
    publisher.publish()
    assert len(documents(out)) == first
    assert publisher.summary.run_ids == []
    assert ledger.dirty_keys("service") == []


def test_removed_contributions_are_withdrawn(ledger, tmp_path):
    out = tmp_path / "ldif.jsonl"
    ledger.write(
        [
            vendor("V-01", "Slack", SLACK),
            department("ENG"),
            card("10", "SLACK", SLACK),
            card_line("1", "10", "5"),
            bill("1", "V-01", "10"),
        ]
    )
    Publisher(ledger, DryRunWriter(out, "ACME"), settings()).publish()
    out.unlink()
    ledger.write([card("10", "", None, deleted=True), bill("1", None, "0", deleted=True)])
    Publisher(ledger, DryRunWriter(out, "ACME"), settings()).publish()
    sent = {(i["type"], i["id"]): i for i in content_of(out)}
    assert ("ServiceDepartmentRemoved", "intacct:ACME:service:slack:department:ENG") in sent
    assert ("ServiceSpendRemoved", "intacct:ACME:service:slack:spend:ENG:2025-03:USD:card") in sent
    assert ("InvoiceRemoved", "intacct:ACME:APBILL:1") in sent
    assert sent[("ServiceCost", "intacct:ACME:service:slack:cost")]["data"]["costTotalAnnual"] == 0
    assert ledger.published("service:slack").keys() == {
        "Service|intacct:ACME:service:slack",
        "ServiceCost|intacct:ACME:service:slack:cost",
    }


def test_runs_are_chunked_fact_sheets_first(ledger, tmp_path):
    out = tmp_path / "ldif.jsonl"
    ledger.write(
        [card("10", "SLACK", SLACK)]
        + [card_line(str(n), "10", "1", month=f"2025-{n:02d}") for n in range(1, 13)]
    )
    publisher = Publisher(ledger, DryRunWriter(out, "ACME"), settings(max_items_per_run=5))
    publisher.publish()
    docs = documents(out)
    assert [len(d["content"]) for d in docs] == [5, 5, 4]
    assert docs[0]["content"][0]["type"] == "Service"
    assert len(publisher.summary.run_ids) == 3


class _WorkspaceWithData(DryRunWriter):
    def has_written_before(self):
        return True


def test_fresh_ledger_over_existing_workspace_is_refused(ledger, tmp_path):
    writer = _WorkspaceWithData(tmp_path / "out.jsonl", "ACME")
    with pytest.raises(LedgerMissingError, match="ledger_rebuild=true"):
        Publisher(ledger, writer, settings()).check_fresh_ledger()
    assert ledger.get_meta("workspace_checked") is None
    Publisher(ledger, writer, settings(ledger_rebuild=True)).check_fresh_ledger()
    assert ledger.get_meta("workspace_checked") == "yes"
    Publisher(ledger, writer, settings()).check_fresh_ledger()  # checked once per ledger


def test_processor_configuration_covers_every_item_type():
    config = ldif.processor_configuration("ACME")
    filters = {p["filter"]["exactType"] for p in config["processors"]}
    assert filters == {
        ldif.SERVICE,
        ldif.SERVICE_COST,
        ldif.DEPARTMENT,
        ldif.SERVICE_DEPARTMENT,
        ldif.SERVICE_DEPARTMENT_REMOVED,
        ldif.SERVICE_SPEND,
        ldif.SERVICE_SPEND_REMOVED,
        ldif.SERVICE_SPEND_UNSOURCED_REMOVED,
        ldif.INVOICE,
        ldif.INVOICE_REMOVED,
        ldif.SERVICE_RETIRED,
        ldif.DEPARTMENT_RETIRED,
        ldif.SERVICE_PROVIDER_REMOVED,
        ldif.RECURRING_BILL,
        ldif.RECURRING_BILL_REMOVED,
        ldif.COMMITMENT,
        ldif.COMMITMENT_REMOVED,
        insights.SERVICE_LIFECYCLE,
        insights.SERVICE_TAG,
        insights.SERVICE_TAG_REMOVED,
        insights.SERVICE_OWNER,
        insights.SERVICE_OWNER_REMOVED,
    }
    assert config["sequentialExecution"] is True
    # Fact sheets in run 0; everything that names one (lifecycle dates included) in run 1.
    assert all(
        p["run"]
        == (
            0
            if p["processorType"] == "inboundFactSheet"
            and p["filter"]["exactType"] != insights.SERVICE_LIFECYCLE
            else 1
        )
        for p in config["processors"]
    )
    assert Decimal(0) == 0

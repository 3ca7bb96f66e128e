"""External IDs are injective: values that collided when IDs joined raw parts land apart in LeanIX.

The end-to-end tests run the target (a real subprocess) against the LeanIX sandbox (a real server) on
data/schema1_phase*.singer, which hold the values that collided: spend in a department whose ID is
`none` beside spend without a department, the vendors `ZQX` and `ZQX:saas`, a department `A:B`. The
upgrade test starts from a ledger that the target of ledger schema 1 left stuck on them
(data/make_schema1_ledger.py says how it was made), with the LeanIX state that target wrote.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections import Counter
from decimal import Decimal

import pytest

from sandboxes.leanix.client import LeanIXClient
from target_leanix import ldif
from target_leanix.leanix import LeanIXRunFailedError
from target_leanix.ledger import (
    SCHEMA_VERSION,
    CostWindow,
    InvoiceRow,
    Ledger,
    LedgerError,
    ServiceInfo,
    ServiceSnapshot,
)
from target_leanix.publisher import DryRunWriter, DuplicateIdError, Publisher, PublishSettings

from .e2e_helpers import DATA, Workspace, leanix_sandbox, run_target, target_config
from .ledger_helpers import SLACK, card, card_line, department

COMPANY = "UPG"
PREFIX = f"intacct:{COMPANY}:"
PHASES = [DATA / f"schema1_phase{n}.singer" for n in (1, 2, 3)]


# -- the ID scheme ------------------------------------------------------------------------------------


def test_no_department_and_department_none_get_different_spend_ids_and_tags():
    ids = ldif.ExternalIds("C")
    common = {"month": "2025-03", "currency": "USD", "amount": Decimal(1), "source": "card"}
    without = ldif.spend_item(ids, "slack", department_id="", **common)
    named_none = ldif.spend_item(ids, "slack", department_id="none", **common)
    assert without["id"] != named_none["id"]
    # LeanIX identifies a metrics point by its tags: they must differ too.
    assert without["data"]["department"] != named_none["data"]["department"]
    # Spend without a department keeps the ID and tag it always had.
    assert without["id"] == "intacct:C:service:slack:spend:none:2025-03:USD:card"
    assert without["data"]["department"] == "none"
    assert named_none["id"] == "intacct:C:service:slack:spend:%6Eone:2025-03:USD:card"


def test_vendor_ids_joined_by_the_separator_get_different_fact_sheet_ids():
    ids = ldif.ExternalIds("C")
    zqx, zqx_saas = "candidate:ZQX", "candidate:ZQX:saas"
    assert ids.service(zqx_saas) != ids.it_component(zqx)
    assert ids.service(zqx_saas) == "intacct:C:service:candidate:ZQX%3Asaas"
    assert ids.service(zqx) == "intacct:C:service:candidate:ZQX"


def _snapshot(service_key: str, departments: list[str], recordno: str) -> ServiceSnapshot:
    return ServiceSnapshot(
        service=ServiceInfo(service_key, service_key, "c", service_key),
        vendor_ids=[],
        spend={
            (d, "2025-03", "USD", source): Decimal(1)
            for d in departments
            for source in ("card", "invoice", "a:b", "none")
        },
        departments=[d for d in departments if d],
        cost_total=Decimal(0),
        cost_currency="USD",
        window=CostWindow("2025-12", 12),
        unconvertible={},
        invoices=[
            InvoiceRow("APBILL", recordno, "V", "n", None, Decimal(1), "USD", "Posted"),
        ],
    )


# Parts that try every way to collide: the separator, the escape, the none marker, encoded lookalikes,
# namespace words, and suffixes that an ID appends.
TRICKY = ["a", "a:saas", "a%3Asaas", "none", "%6Eone", "", ":", "%", "candidate", "%63andidate"]
SERVICE_KEYS = ["a", "a:saas", "a:cost", "candidate", "candidate:a", "candidate:a:saas",
                "candidate:a%3Asaas", "candidate:", "user:a", "a:department:b", "a%3Asaas"]  # fmt: skip


def test_every_id_names_one_thing():
    """Every item, and every fact sheet an item writes, over all the tricky parts: no two share an
    ID, whatever their types (a relation names its ends by external ID)."""
    ids = ldif.ExternalIds("C")
    held: dict[str, object] = {}

    def hold(identity: str, thing: object) -> None:
        first = held.setdefault(identity, thing)
        assert first == thing, f"{identity!r} names both {first} and {thing}"

    for index, key in enumerate(SERVICE_KEYS):
        snapshot = _snapshot(key, TRICKY, f"{index}")
        for item in ldif.service_items(snapshot, ids, record_url_template="{recordno}"):
            thing = (key, item["type"], json.dumps(item["data"], sort_keys=True, default=str))
            hold(item["id"], thing)
            if item["type"] == ldif.SERVICE:
                hold(item["id"] + ":saas", (key, "ITComponent"))
            if item["type"] == ldif.SERVICE_SPEND:
                data = item["data"]
                tags = (data["service"], data["department"], data["time"], data["source"])
                hold(json.dumps(tags), thing)
    for department_id in TRICKY[:-4]:  # a department ID is never empty
        hold(ldif.department_item(ids, department_id, "t")["id"], ("department", department_id))
    for obj, recordno in itertools.product(["APBILL", "APPYMT"], TRICKY):
        hold(ldif.ExternalIds("C").invoice(obj, recordno), ("invoice", obj, recordno))


def test_ids_of_values_without_separator_escape_or_marker_are_unchanged():
    """IDs LeanIX already holds keep them: the encoding only moves values that could collide."""
    ids = ldif.ExternalIds("C")
    assert ids.service("slack") == "intacct:C:service:slack"
    assert ids.service("candidate:V-00005") == "intacct:C:service:candidate:V-00005"
    assert ids.service("user:acme-cloud") == "intacct:C:service:user:acme-cloud"
    assert ids.it_component("slack") == "intacct:C:service:slack:saas"
    assert ids.department("ENG") == "intacct:C:department:ENG"
    assert ids.department("none") == "intacct:C:department:none"
    assert ids.invoice("APBILL", "401") == "intacct:C:APBILL:401"
    assert ids.provider("Atlassian Pty Ltd") == "intacct:C:provider:atlassian-pty-ltd"
    item = ldif.spend_item(
        ids,
        "slack",
        department_id="ENG",
        month="2025-03",
        currency="USD",
        amount=Decimal(1),
        source="card",
    )
    # Points carry their source since ledger schema 4 (`Ledger.upgrade` replaces the older ones).
    assert item["id"] == "intacct:C:service:slack:spend:ENG:2025-03:USD:card"


def test_providers_merge_by_name_slug_by_design():
    ids = ldif.ExternalIds("C")
    assert ids.provider("A&B") == ids.provider("A B") == "intacct:C:provider:a-b"


# -- publication ------------------------------------------------------------------------------------


@pytest.fixture
def ledger():
    ledger = Ledger("sqlite://")
    ledger.create()
    ledger.bind_company("C")
    yield ledger
    ledger.close()


def settings():
    return PublishSettings(
        company="C",
        window=CostWindow("2025-12", 12),
        reporting_currency="USD",
        record_url_template=ldif.DEFAULT_RECORD_URL_TEMPLATE,
    )


def sent_items(path):
    if not path.exists():
        return []
    return [item for line in path.read_text().splitlines() for item in json.loads(line)["content"]]


def test_spend_in_department_none_beside_spend_without_department_is_published(ledger, tmp_path):
    ledger.write(
        [
            department("none", "The None Team"),
            card("10", "SLACK", SLACK),
            card_line("1", "10", "10.00", dept=None),
            card_line("2", "10", "5.00", dept="none"),
        ]
    )
    out = tmp_path / "ldif.jsonl"
    Publisher(ledger, DryRunWriter(out, "C"), settings()).publish()
    spend = {
        i["data"]["department"]: i["data"]["value"]
        for i in sent_items(out)
        if i["type"] == ldif.SERVICE_SPEND
    }
    assert spend == {"none": 10.00, "%6Eone": 5.00}
    assert ledger.dirty_keys("service") == []


class CollidingIds(ldif.ExternalIds):
    """An ID scheme with the old fault: what the uniqueness check defends against."""

    def spend(self, service_key, department_id, month, currency, source):
        return f"{self.service(service_key)}:spend:{department_id or 'none'}:{month}:{currency}"

    def service(self, service_key):
        return f"intacct:{self.company}:service:{service_key.removeprefix('twin-')}"


def test_two_items_under_one_id_fail_in_one_line_before_anything_is_sent(ledger, tmp_path):
    ledger.write(
        [
            department("none", "The None Team"),
            card("10", "SLACK", SLACK),
            card_line("1", "10", "10.00", dept=None),
            card_line("2", "10", "5.00", dept="none"),
        ]
    )
    out = tmp_path / "ldif.jsonl"
    publisher = Publisher(ledger, DryRunWriter(out, "C"), settings())
    publisher.ids = CollidingIds("C")
    with pytest.raises(DuplicateIdError) as failure:
        publisher.publish()
    message = str(failure.value)
    assert "\n" not in message
    assert "intacct:C:service:slack:spend:none:2025-03:USD" in message
    assert "'value': '10.00'" in message
    assert "'value': '5.00'" in message
    assert not out.exists()  # nothing was sent
    assert ledger.dirty_keys("service") == ["slack"]  # and the next run tries again


def test_an_id_another_owner_holds_fails_before_anything_is_sent(ledger, tmp_path):
    out = tmp_path / "ldif.jsonl"
    twin = ServiceInfo("twin-slack", "Slack twin", "Collaboration", "Other Co")
    ledger.write([card("10", "SLACK", SLACK), card_line("1", "10", "10.00")])
    publisher = Publisher(ledger, DryRunWriter(out, "C"), settings())
    publisher.ids = CollidingIds("C")
    publisher.publish()
    before = out.read_text()
    ledger.write([card("11", "SLACK TWIN", twin), card_line("2", "11", "3.00")])
    with pytest.raises(DuplicateIdError) as failure:
        publisher.publish()
    assert "service:slack" in str(failure.value)
    assert "service:twin-slack" in str(failure.value)
    assert out.read_text() == before


class FailingAfterSendWriter(DryRunWriter):
    """LeanIX takes the LDIF, then the run is reported failed: nothing is confirmed."""

    def write(self, document):
        super().write(document)
        raise LeanIXRunFailedError("run-1", "FAILED", ["injected"])


def test_items_sent_but_never_confirmed_are_removed_once_unwanted(ledger, tmp_path):
    out = tmp_path / "ldif.jsonl"
    ledger.write([department("OPS"), card("10", "SLACK", SLACK), card_line("1", "10", "10.00")])
    Publisher(ledger, DryRunWriter(out, "C"), settings()).publish()
    ledger.write([card_line("2", "10", "4.00", dept="OPS")])
    with pytest.raises(LeanIXRunFailedError):
        Publisher(ledger, FailingAfterSendWriter(out, "C"), settings()).publish()
    sent_ops = [i for i in sent_items(out) if i["id"].endswith(":spend:OPS:2025-03:USD:card")]
    assert sent_ops  # LeanIX holds the OPS point now
    # Before the next run the OPS line is deleted: the point LeanIX took must be withdrawn.
    ledger.write([card_line("2", "10", "4.00", dept="OPS", deleted=True)])
    later = tmp_path / "later.jsonl"
    Publisher(ledger, DryRunWriter(later, "C"), settings()).publish()
    withdrawn = [i["id"] for i in sent_items(later) if i["type"] == ldif.SERVICE_SPEND_REMOVED]
    assert withdrawn == [sent_ops[0]["id"]]
    links = [i["id"] for i in sent_items(later) if i["type"] == ldif.SERVICE_DEPARTMENT_REMOVED]
    assert links == ["intacct:C:service:slack:department:OPS"]


def test_a_refused_record_is_named_in_one_line_and_the_fixed_batch_goes_through(ledger):
    with ledger.engine.begin() as conn:  # any constraint the database may enforce
        conn.exec_driver_sql("CREATE UNIQUE INDEX one_title ON lx_departments (title)")
    with pytest.raises(LedgerError) as failure:
        ledger.write([department("A", "Twins"), department("ENG"), department("B", "Twins")])
    message = str(failure.value)
    assert message.startswith("stream 'department' record DEPARTMENTID=B: ")
    assert "\n" not in message
    assert ledger.department("A") is None  # nothing of the batch was kept
    ledger.write([department("A", "Twins"), department("ENG"), department("B", "Twins 2")])
    assert ledger.department("B") == ("Twins 2", False)
    assert ledger.dirty_keys("department") == ["A", "B", "ENG"]


# -- end to end, through the target and the LeanIX sandbox ------------------------------------------


@pytest.fixture(scope="module")
def leanix():
    with leanix_sandbox() as sandbox:
        yield sandbox


def config_for(leanix, ledger_path):
    return target_config(leanix, COMPANY, ledger_path)


def active(leanix):
    """Our part of the workspace, without archived fact sheets."""
    export = leanix.admin("GET", "/admin/export")
    export["factSheets"] = [f for f in export["factSheets"] if f["status"] == "ACTIVE"]
    return Workspace(export, COMPANY)


def assert_lands_apart(ws, *, bill_lines_as_spend=True):
    """`bill_lines_as_spend`: the ledger holds the bills' lines as spend (a ledger of schema 1-3 kept
    only their GL accounts, so their invoice spend appears once `ap_bill_item` is synced again)."""
    ids = Counter(f["externalId"] for f in ws.fact_sheets)
    assert [i for i, n in ids.items() if n > 1] == []  # one fact sheet per external ID
    assert sorted(f["externalId"].removeprefix(PREFIX) for f in ws.fact_sheets) == sorted(
        [
            "department:A%3AB",
            "department:ENG",
            "department:none",
            "provider:salesforce-inc",
            "provider:zqx-hosting",
            "provider:zqx-widgets",
            "service:candidate:ZQX",
            "service:candidate:ZQX%3Asaas",
            "service:candidate:ZQX%3Asaas:saas",
            "service:candidate:ZQX:saas",
            "service:slack",
            "service:slack:saas",
        ]
    )
    names = {(f["type"], f["externalId"].removeprefix(PREFIX)): f["name"] for f in ws.fact_sheets}
    assert names[("ITComponent", "service:candidate:ZQX:saas")] == "Zqx Widgets (SaaS)"
    assert names[("Application", "service:candidate:ZQX%3Asaas")] == "Zqx Hosting"
    expected_spend = {
        ("slack", "none", "2025-03", "USD"): Decimal("12.0"),
        ("slack", "%6Eone", "2025-03", "USD"): Decimal("6.0"),
        ("slack", "ENG", "2025-03", "USD"): Decimal("7.0"),
        ("slack", "A%3AB", "2025-03", "USD"): Decimal("3.0"),
    }
    if bill_lines_as_spend:
        # The bills' lines: invoice spend (accrual basis) of each vendor's own service.
        expected_spend[("candidate:ZQX", "none", "2025-03", "USD")] = Decimal("100")
        expected_spend[("candidate:ZQX%3Asaas", "none", "2025-03", "USD")] = Decimal("200")
    assert ws.spend() == expected_spend
    assert {source for *_key, source in ws.spend_by_source()} <= {"card", "invoice"}
    assert ws.department_links() == {"slack": {"A%3AB", "ENG", "none"}}
    assert ws.invoices() == {
        "candidate:ZQX": {"Intacct APBILL 401": Decimal(100)},
        "candidate:ZQX%3Asaas": {"Intacct APBILL 402": Decimal(200)},
    }
    assert ws.costs()["slack"] == Decimal("28.0")


@pytest.mark.timeout(240)
def test_colliding_values_land_apart_in_leanix(leanix, tmp_path):
    leanix.admin("POST", "/admin/reset")
    config = config_for(leanix, tmp_path / "ledger.sqlite")
    for phase in PHASES:
        run = run_target(config, phase, tmp_path)
        assert run.returncode == 0, run.stderr[-3000:]
    ws = active(leanix)
    assert_lands_apart(ws)
    again = run_target(config, PHASES[-1], tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert active(leanix).content() == ws.content()


@pytest.mark.timeout(240)
def test_schema1_ledger_upgrades_and_leanix_ends_without_duplicates(leanix, tmp_path):
    leanix.admin("POST", "/admin/reset")
    # LeanIX as the schema-1 target left it: its configuration, then every LDIF it sent.
    client = LeanIXClient(leanix.url)
    configuration = json.loads((DATA / "schema1_processors.json").read_text())
    assert client.put_configuration(configuration).status == 204
    for line in (DATA / "schema1_sent.ldif.jsonl").read_text().splitlines():
        assert client.run(json.loads(line))[1] == "FINISHED"
    stale = Workspace(leanix.admin("GET", "/admin/export"), COMPANY)
    assert ("slack", "none", "2025-03", "USD") in stale.spend()
    assert ("slack", "%6Eone", "2025-03", "USD") not in stale.spend()
    # The ledger that target left, stuck on the collision.
    ledger_path = tmp_path / "ledger.sqlite"
    with sqlite3.connect(ledger_path) as conn:
        conn.executescript((DATA / "schema1_ledger.sql").read_text())
    no_input = tmp_path / "state-only.singer"
    no_input.write_text(json.dumps({"type": "STATE", "value": {"bookmarks": {}}}) + "\n")

    run = run_target(config_for(leanix, ledger_path), no_input, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    ws = active(leanix)
    assert_lands_apart(ws, bill_lines_as_spend=False)
    upgraded = Ledger(f"sqlite:///{ledger_path}")
    assert upgraded.get_meta("schema_version") == SCHEMA_VERSION
    assert upgraded.dirty_keys("service") == []
    upgraded.close()
    # The fact sheets under the IDs that moved are archived, not left beside the new ones.
    archived = {
        (f["type"], f["externalId"].removeprefix(PREFIX))
        for f in leanix.admin("GET", "/admin/export")["factSheets"]
        if f["status"] == "ARCHIVED"
    }
    assert archived == {
        ("Application", "service:candidate:ZQX:saas"),
        ("ITComponent", "service:candidate:ZQX:saas:saas"),
        ("UserGroup", "department:A:B"),
    }
    # Converged: the same (empty) input again sends nothing.
    runs = len(ws.runs)
    again = run_target(config_for(leanix, ledger_path), no_input, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(active(leanix).runs) == runs


@pytest.mark.timeout(240)
def test_a_refused_record_ends_in_one_line_and_a_fixed_rerun_converges(leanix, tmp_path):
    leanix.admin("POST", "/admin/reset")
    ledger_path = tmp_path / "ledger.sqlite"
    config = config_for(leanix, ledger_path)
    first = run_target(config, PHASES[0], tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    with sqlite3.connect(ledger_path) as conn:  # any constraint the database may enforce
        conn.execute("CREATE UNIQUE INDEX one_title ON lx_departments (title)")
    schema = next(
        line for line in PHASES[0].read_text().splitlines() if '"stream": "department"' in line
    )

    def departments(second_title):
        path = tmp_path / f"departments-{len(second_title)}.singer"
        records = [
            {"RECORDNO": 7, "DEPARTMENTID": "T1", "TITLE": "Twins", "STATUS": "active"},
            {"RECORDNO": 8, "DEPARTMENTID": "T2", "TITLE": second_title, "STATUS": "active"},
        ]
        lines = [schema] + [
            json.dumps({"type": "RECORD", "stream": "department", "record": r}) for r in records
        ]
        path.write_text("\n".join(lines) + "\n")
        return path

    refused = run_target(config, departments("Twins"), tmp_path)
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    last = refused.stderr.strip().splitlines()[-1]
    assert "stream 'department' record DEPARTMENTID=T2" in last
    assert "UNIQUE constraint failed" in last

    fixed = run_target(config, departments("Twins 2"), tmp_path)
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    groups = {f["name"] for f in active(leanix).fact_sheets if f["type"] == "UserGroup"}
    assert {"Twins", "Twins 2"} <= groups

"""Service keys and provider IDs are injective: names without Latin letters no longer share one.

Also: the pipeline's recognition cache is keyed by the clipped text recognition reads.

A slug used to keep only ASCII letters and digits, so every Japanese service named by a user rule was
`user:unnamed`, every vendor without an ID and a Japanese name `candidate:unnamed`, every such provider
`provider:unnamed`; and a vendor without an ID named `ACME` took the key of vendor `acme`. The
end-to-end tests run the target (a real subprocess) against the LeanIX sandbox (a real server); the
upgrade test starts from LeanIX and a ledger as the target of ledger schema 2 left them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections import Counter

import pytest

from target_leanix import ldif
from target_leanix.leanix import LeanIXClient
from target_leanix.ledger import CostWindow, Ledger, ServiceInfo
from target_leanix.pipeline import Pipeline, Settings
from target_leanix.publisher import LeanIXWriter, Publisher, PublishSettings
from target_leanix.recognition import RecognitionRules, Recognizer
from target_leanix.recognition.normalize import MAX_TEXT_CHARS

from .e2e_helpers import DATA, Workspace, leanix_sandbox, run_target, target_config
from .ledger_helpers import vendor

COMPANY = "KEYS"
PREFIX = f"intacct:{COMPANY}:"
USER_SERVICES = {"V-J1": "ふじ会計", "V-J2": "みなと勤怠"}
CANDIDATES = {"V-J3": "北斗システム", "V-J4": "南風ソフト"}
RECOGNITION = {"vendor_services": USER_SERVICES, "include_vendor_ids": sorted(CANDIDATES)}


def recognizer(**rules):
    return Recognizer(RecognitionRules.from_config({"software_gl_accounts": ["6250"], **rules}))


def key_of(recognizer, vendor_id, name):
    match = recognizer.match_vendor(vendor_id, name, gl_accounts=["6250"])
    assert match.service is not None, match.reason
    return match.service.key


# -- keys -----------------------------------------------------------------------------------------


def test_user_services_with_japanese_names_get_keys_of_their_own():
    r = recognizer(vendor_services=USER_SERVICES)
    keys = {key_of(r, vendor_id, "x") for vendor_id in USER_SERVICES}
    assert keys == {"user:ふじ会計", "user:みなと勤怠"}
    ids = ldif.ExternalIds("C")
    assert len({ids.service(k) for k in keys}) == 2


def test_vendors_without_id_and_with_non_latin_names_are_separate_candidates():
    r = recognizer()
    names = ["北斗システム", "南風ソフト", "Σύστημα", "Система"]
    keys = [key_of(r, "", name) for name in names]
    assert len(set(keys)) == len(names), keys


def test_names_without_any_letter_or_digit_stay_apart_and_apart_from_unnamed():
    r = recognizer(vendor_services={"A": "???", "B": "!!!", "C": "Unnamed"})
    keys = [key_of(r, vendor_id, "x") for vendor_id in "ABC"]
    assert len(set(keys)) == 3, keys
    assert keys[2] == "user:unnamed"  # a real name keeps its key


def test_a_candidate_named_like_another_vendors_id_never_takes_its_key():
    r = recognizer()
    by_id = key_of(r, "acme", "Widgets Ltd")
    by_name = key_of(r, "", "ACME")
    assert by_id == "candidate:acme"
    assert by_name != by_id
    ids = ldif.ExternalIds("C")
    assert ids.service(by_name) != ids.service(by_id)
    assert ids.it_component(by_name) != ids.it_component(by_id)


def test_providers_without_latin_letters_are_separate():
    ids = ldif.ExternalIds("C")
    names = ["北斗システム", "南風ソフト", "???", "!!!", "Unnamed"]
    assert len({ids.provider(n) for n in names}) == len(names)
    # A provider is a company: its corporate form does not make it another one.
    assert ids.provider("北斗システム株式会社") == ids.provider("北斗システム")


def test_names_equal_up_to_case_and_punctuation_share_a_key_by_design():
    r = recognizer(
        vendor_services={"A": "Foo Bar", "B": "foo-bar!", "C": "ふじ・会計", "D": "ふじ 会計"}
    )
    assert key_of(r, "A", "x") == key_of(r, "B", "x") == "user:foo-bar"
    assert key_of(r, "C", "x") == key_of(r, "D", "x") == "user:ふじ-会計"


def _old_slug(text):
    """The provider slug before letters of every script were kept."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@pytest.mark.parametrize(
    ("name", "user_key", "provider_slug"),
    [
        ("Widgetworks Pty Ltd.", "user:widgetworks-pty-ltd", "widgetworks-pty-ltd"),
        ("A&B", "user:a-b", "a-b"),
        ("Zürich Software AG", "user:zurich-software-ag", "z-rich-software-ag"),
        ("Unnamed", "user:unnamed", "unnamed"),
        ("SAKURA 株式会社", "user:sakura", "sakura"),
    ],
)
def test_keys_of_names_with_latin_letters_are_unchanged(name, user_key, provider_slug):
    r = recognizer(vendor_services={"V": name})
    assert key_of(r, "V", "x") == user_key
    assert key_of(r, "V-00005", "Anything 株式会社") == "candidate:V-00005"
    assert ldif.ExternalIds("C").provider(name) == f"intacct:C:provider:{provider_slug}"
    assert _old_slug(name) == provider_slug


# -- end to end, through the target and the LeanIX sandbox ------------------------------------------


@pytest.fixture(scope="module")
def leanix():
    with leanix_sandbox() as sandbox:
        yield sandbox


def config_for(leanix, ledger_path):
    return target_config(leanix, COMPANY, ledger_path, recognition=RECOGNITION)


def vendors_singer(tmp_path):
    schema = next(
        line
        for line in (DATA / "schema1_phase1.singer").read_text().splitlines()
        if '"type": "SCHEMA", "stream": "vendor"' in line
    )
    records = [
        {"RECORDNO": n, "VENDORID": vendor_id, "NAME": name, "STATUS": "active"}
        for n, (vendor_id, name) in enumerate({**USER_SERVICES, **CANDIDATES}.items(), 1)
    ]
    path = tmp_path / "vendors.singer"
    lines = [schema] + [
        json.dumps({"type": "RECORD", "stream": "vendor", "record": r}, ensure_ascii=False)
        for r in records
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def export(leanix):
    return leanix.admin("GET", "/admin/export")


def with_status(leanix, status):
    return {
        (f["type"], f["externalId"].removeprefix(PREFIX))
        for f in export(leanix)["factSheets"]
        if f["status"] == status and f["externalId"].startswith(PREFIX)
    }


EXPECTED = {
    ("Application", "service:user:ふじ会計"),
    ("ITComponent", "service:user:ふじ会計:saas"),
    ("Application", "service:user:みなと勤怠"),
    ("ITComponent", "service:user:みなと勤怠:saas"),
    ("Application", "service:candidate:V-J3"),
    ("ITComponent", "service:candidate:V-J3:saas"),
    ("Application", "service:candidate:V-J4"),
    ("ITComponent", "service:candidate:V-J4:saas"),
    ("Provider", "provider:ふじ会計"),
    ("Provider", "provider:みなと勤怠"),
    ("Provider", "provider:北斗システム"),
    ("Provider", "provider:南風ソフト"),
}


def providers_of_it_components(leanix):
    """Each active IT component's providers."""
    ws = Workspace(export(leanix), COMPANY)
    active = {f["externalId"] for f in ws.fact_sheets if f["status"] == "ACTIVE"}
    found: dict[str, set[str]] = {}
    for r in ws.relations:
        if r["type"] == "relITComponentToProvider" and r["from"]["externalId"] in active:
            found.setdefault(r["from"]["externalId"].removeprefix(PREFIX), set()).add(
                r["to"]["externalId"].removeprefix(PREFIX)
            )
    return found


@pytest.mark.timeout(240)
def test_japanese_services_and_providers_land_apart_in_leanix(leanix, tmp_path):
    leanix.admin("POST", "/admin/reset")
    config = config_for(leanix, tmp_path / "ledger.sqlite")
    run = run_target(config, vendors_singer(tmp_path), tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    active = with_status(leanix, "ACTIVE")
    assert active == EXPECTED
    ids = Counter(f["externalId"] for f in export(leanix)["factSheets"])
    assert [i for i, n in ids.items() if n > 1] == []
    assert providers_of_it_components(leanix)["service:user:ふじ会計:saas"] == {"provider:ふじ会計"}


class Schema2Ids(ldif.ExternalIds):
    """The provider IDs the target of ledger schema 2 wrote: ASCII letters and digits, else `unnamed`."""

    def provider(self, provider_name: str) -> str:
        return f"intacct:{self.company}:provider:{_old_slug(provider_name) or 'unnamed'}"


def leave_schema2_state(leanix, ledger_path):
    """LeanIX and the ledger as the target of ledger schema 2 left them: both user services under
    `user:unnamed` (the name of the last one written on it), all four providers `provider:unnamed`."""
    ledger = Ledger(f"sqlite:///{ledger_path}")
    ledger.create()
    ledger.bind_company(COMPANY)
    merged = [
        ServiceInfo("user:unnamed", name, "Uncategorized", name) for name in USER_SERVICES.values()
    ]
    entries = [vendor(v, n, merged[i]) for i, (v, n) in enumerate(USER_SERVICES.items())]
    entries += [
        vendor(v, n, ServiceInfo(f"candidate:{v}", n, "Uncategorized", n, candidate=True))
        for v, n in CANDIDATES.items()
    ]
    ledger.write(entries)
    client = LeanIXClient(leanix.url, "sandbox-token", poll_interval=0.05)
    publisher = Publisher(
        ledger,
        LeanIXWriter(client, COMPANY),
        PublishSettings(
            company=COMPANY,
            window=CostWindow.ending(dt.date(2025, 12, 31), 12),
            reporting_currency="USD",
            record_url_template=ldif.DEFAULT_RECORD_URL_TEMPLATE,
        ),
    )
    publisher.check_fresh_ledger()
    publisher.ids = Schema2Ids(COMPANY)
    publisher.publish()
    ledger.set_meta("schema_version", "2")
    ledger.set_meta("recognition", "fingerprint of the schema-2 run")
    client.close()
    ledger.close()


@pytest.mark.timeout(240)
def test_schema2_ledger_upgrades_merged_keys_and_leanix_ends_without_duplicates(leanix, tmp_path):
    leanix.admin("POST", "/admin/reset")
    ledger_path = tmp_path / "ledger.sqlite"
    leave_schema2_state(leanix, ledger_path)
    assert ("Application", "service:user:unnamed") in with_status(leanix, "ACTIVE")
    assert ("Provider", "provider:unnamed") in with_status(leanix, "ACTIVE")
    no_input = tmp_path / "state-only.singer"
    no_input.write_text(json.dumps({"type": "STATE", "value": {"bookmarks": {}}}) + "\n")

    run = run_target(config_for(leanix, ledger_path), no_input, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    # The merged service is archived, not left beside the two it was; the Provider fact sheet
    # `unnamed` stays (providers are never archived), but no active IT component names it any more.
    assert with_status(leanix, "ACTIVE") - {("Provider", "provider:unnamed")} == EXPECTED
    assert with_status(leanix, "ARCHIVED") == {
        ("Application", "service:user:unnamed"),
        ("ITComponent", "service:user:unnamed:saas"),
    }
    providers = providers_of_it_components(leanix)
    assert providers["service:user:ふじ会計:saas"] == {"provider:ふじ会計"}
    assert providers["service:candidate:V-J3:saas"] == {"provider:北斗システム"}
    upgraded = Ledger(f"sqlite:///{ledger_path}")
    assert upgraded.dirty_keys("service") == []
    upgraded.close()
    # Converged: the same (empty) input again sends nothing.
    runs = len(Workspace(export(leanix), COMPANY).runs)
    again = run_target(config_for(leanix, ledger_path), no_input, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(Workspace(export(leanix), COMPANY).runs) == runs


# -- the pipeline's recognition cache -------------------------------------------------------------


def test_the_recognition_cache_keeps_only_the_text_recognition_reads(tmp_path):
    settings = Settings.from_config(
        {"company_key": "C", "dry_run": True, "ledger_path": str(tmp_path / "ledger.sqlite")}
    )
    pipeline = Pipeline(settings, logging.getLogger("test"))
    try:
        huge = "SLACK T0123 " + "x" * 2_000_000
        assert pipeline._match("descriptor", huge).service is not None
        assert pipeline._match("descriptor", huge[:MAX_TEXT_CHARS]) is pipeline._match(
            "descriptor", huge
        )
        assert max(len(text) for _how, text in pipeline._match_cache) <= MAX_TEXT_CHARS
    finally:
        pipeline.close()

"""A third-party client, unmodified, against the sandbox: fylein's `sageintacctsdk` (PyPI, v1.28.1).

The SDK hard-codes `https://api.intacct.com/ia/xml/xmlgw.phtml` in `ApiBase.__init__` (name-mangled
`_ApiBase__api_url`) and logs in from `SageIntacctSDK.__init__`; only `api_base` then follows the returned
session endpoint, the other API objects keep their own URL. The test changes nothing but that base URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandboxes.common.process import SandboxProcess

sdk_module = pytest.importorskip("sageintacctsdk")
from sageintacctsdk.apis.api_base import ApiBase  # noqa: E402
from sageintacctsdk.apis.constants import dimensions_fields_mapping  # noqa: E402


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(
        "intacct-sandbox", ["--seed", "7", "--scale", "0.25", "--rows", "APBILL=2600"]
    ) as process:
        yield process


@pytest.fixture
def sdk(sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch) -> Any:
    original_init = ApiBase.__init__
    gateway = f"{sandbox.url}/ia/xml/xmlgw.phtml"

    def pointed_init(self: ApiBase, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._ApiBase__api_url = gateway  # type: ignore[attr-defined]

    monkeypatch.setattr(ApiBase, "__init__", pointed_init)
    return sdk_module.SageIntacctSDK(
        sender_id="sandbox",
        sender_password="sandbox",
        user_id="admin",
        company_id="SANDBOX",
        user_password="admin",
        show_private=True,
    )


def _truth(sandbox: SandboxProcess, name: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = sandbox.admin("GET", f"/admin/objects/{name}")["rows"]
    return rows


def test_login_follows_the_session_endpoint(sdk: Any, sandbox: SandboxProcess) -> None:
    assert sdk.api_base._ApiBase__api_url == f"{sandbox.url}/na1/ia/xml/xmlgw.phtml"
    assert sdk.api_base._ApiBase__session_id.endswith("..")


def test_vendors_get_all_returns_ground_truth(sdk: Any, sandbox: SandboxProcess) -> None:
    vendors = sdk.vendors.get_all()
    truth = _truth(sandbox, "VENDOR")
    fields = dimensions_fields_mapping["VENDOR"]
    expected = [{f: (row[f] or None) for f in fields} for row in truth]
    assert [{f: v.get(f) for f in fields} for v in vendors] == expected
    names = {v["NAME"] for v in vendors}
    assert {"Atlassian Pty Ltd", "O'Reilly & Sons <Media>", "サイボウズ株式会社"} <= names


def test_bills_get_all_pages_through_every_bill(sdk: Any, sandbox: SandboxProcess) -> None:
    bills = sdk.bills.get_all()
    truth = _truth(sandbox, "APBILL")
    assert len(bills) == len(truth) > 2000  # the SDK pages by 2000 with offset
    fields = [f for f in dimensions_fields_mapping["APBILL"] if f != "RECORD_URL"]
    assert [{f: b.get(f) for f in fields} for b in bills] == [
        {f: (row[f] or None) for f in fields} for row in truth
    ]
    assert all(b["RECORD_URL"].endswith("&.o=APBILL") for b in bills)


def test_bills_readbyquery_get_and_count(sdk: Any, sandbox: SandboxProcess) -> None:
    truth = _truth(sandbox, "APBILL")
    first = truth[0]
    assert sdk.bills.count(None) == len(truth)
    got = sdk.bills.get(field="RECORDNO", value=first["RECORDNO"])
    # readByQuery: the top-level session sees no entity rows without showprivate (contract)
    assert got["@count"] == "0"
    vendor = sdk.vendors.get(field="VENDORID", value="V-00001")
    assert vendor["VENDOR"][0]["NAME"] == "Atlassian Pty Ltd"

"""The books through the real target process into the LeanIX sandbox: the same Intacct records
(tests/data/intacct_books.singer) on accrual and on cash basis, each point per source, to the cent.

Hand-computed figures (README "Policies"): bill 701 of 15 Mar has an annual line of 1,000.00 (ENG,
service period 15 Mar .. 14 Mar: 83.34 x4 + 83.33 x8) and 120.00 (OPS); bill 702 is a Draft; 703 is a
credit memo of -20.00 in May; 704 pays American Express off (no service). Payment 801 (20 Apr) pays
line 7012 (120.00) and 500.00 of the bill as a whole (pro rata 446.43 ENG / 53.57 OPS); 802 (5 Jun, by
credit card on AMEX-1, document CC-901) pays 300.00 of line 7011, and card transaction CC-901 is that
payment, not card spend; 803 is voided. Card transaction CC-902 is 8.75 of card spend (OPS, May). The
GL batch of module 2.GL posts 200.00 debit and 50.00 credit on 6250 (journal spend 150.00 in May); its
line on 7000 and the 3.AP batch do not count.
"""

from decimal import Decimal

import pytest

from .e2e_helpers import DATA, Workspace, leanix_sandbox, run_target, target_config

BOOKS = DATA / "intacct_books.singer"
D = Decimal

ANNUAL = {f"2025-{m:02d}": D("83.34") if m <= 6 else D("83.33") for m in range(3, 13)} | {
    "2026-01": D("83.33"),
    "2026-02": D("83.33"),
}
ACCRUAL = {
    **{("slack", "ENG", month, "USD", "invoice"): amount for month, amount in ANNUAL.items()},
    ("slack", "ENG", "2025-05", "USD", "invoice"): D("63.34"),  # 83.34 and the credit memo -20.00
    ("slack", "OPS", "2025-03", "USD", "invoice"): D("120.00"),
    ("slack", "OPS", "2025-05", "USD", "card"): D("8.75"),
    ("slack", "ENG", "2025-05", "USD", "journal"): D("150.00"),
}
CASH = {
    ("slack", "OPS", "2025-04", "USD", "payment"): D("173.57"),  # 120.00 + 53.57
    ("slack", "ENG", "2025-04", "USD", "payment"): D("446.43"),
    ("slack", "ENG", "2025-06", "USD", "payment"): D("300.00"),
    ("slack", "OPS", "2025-05", "USD", "card"): D("8.75"),
    ("slack", "ENG", "2025-05", "USD", "journal"): D("150.00"),
}


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    ("basis", "expected", "cost"),
    [("accrual", ACCRUAL, D("1092.09")), ("cash", CASH, D("1078.75"))],
    ids=["accrual", "cash"],
)
def test_the_books_land_per_source_on_either_basis(tmp_path, basis, expected, cost):
    company = f"BOOKS{basis.upper()}"
    with leanix_sandbox() as leanix:
        config = target_config(
            leanix,
            company,
            tmp_path / "ledger.sqlite",
            spend_basis=basis,
            gl_spend_accounts=["6250"],
        )
        run = run_target(config, BOOKS, tmp_path)
        assert run.returncode == 0, run.stderr[-3000:]
        ws = Workspace(leanix.admin("GET", "/admin/export"), company)
        assert {k: v for k, v in ws.spend_by_source().items() if v} == expected
        assert ws.costs() == {"slack": cost}
        # The card issuer is no service: nothing of its payoff bill reaches LeanIX.
        assert set(ws.invoices()) == {"slack"}
        assert "spend points this run wrote, by source: " in run.stderr
        again = run_target(config, BOOKS, tmp_path)
        assert again.returncode == 0, again.stderr[-3000:]
        assert Workspace(leanix.admin("GET", "/admin/export"), company).content() == ws.content()

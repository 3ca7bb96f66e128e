"""costTotalAnnual in the reporting currency with Intacct's own exchange-rate tables: the rate of the
line's date, the reciprocal of the opposite table, the `rates` setting as a fallback, a cent per line,
and spend without any rate named once in the summary. Expected values are computed here, line by line.
"""

from __future__ import annotations

import importlib.util
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import simplejson  # type: ignore[import-untyped]

from target_leanix.currency import (
    FROM_SETTING,
    FROM_TABLES,
    Converter,
    FallbackRates,
    RateEntry,
    RatesSettingError,
    rate_book,
    to_cent,
)

from .e2e_helpers import DATA, leanix_sandbox, run_target, target_config

_spec = importlib.util.spec_from_file_location("make_singer", DATA / "make_intacct_singer.py")
assert _spec is not None
assert _spec.loader is not None
singer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(singer)


def entry(pair: str, day: str, rate: str | None, reciprocal: str | None = None, kind: str = "M"):
    source, target = pair.split(">")
    return RateEntry(
        kind,
        source,
        target,
        day,
        Decimal(rate) if rate else None,
        Decimal(reciprocal) if reciprocal else None,
    )


def test_rate_is_the_latest_effective_on_or_before_the_date():
    book = rate_book(
        [entry("EUR>USD", "2025-01-01", "1.05"), entry("EUR>USD", "2025-02-01", "1.10")]
    )
    assert book.rate("EUR", "USD", "2024-12-31") is None
    assert book.rate("EUR", "USD", "2025-01-31") == Decimal("1.05")
    assert book.rate("EUR", "USD", "2025-02-01") == Decimal("1.10")
    assert book.rate("EUR", "USD", "2030-01-01") == Decimal("1.10")


def test_reciprocal_of_the_opposite_table_only_when_no_direct_rate():
    book = rate_book(
        [
            entry("USD>GBP", "2025-01-01", "0.8", "1.25"),
            entry("USD>EUR", "2025-01-01", "0.9", "1.111111"),
            entry("EUR>USD", "2025-03-01", "1.2"),
        ]
    )
    assert book.rate("GBP", "USD", "2025-01-15") == Decimal("1.25")
    # A direct table wins from its first date on; before it, the reciprocal is all there is.
    assert book.rate("EUR", "USD", "2025-03-15") == Decimal("1.2")
    assert book.rate("EUR", "USD", "2025-02-15") == Decimal("1.111111")


def test_rate_type_filter_and_ties_on_one_date():
    entries = [
        entry("EUR>USD", "2025-01-01", "1.10", kind="Budget"),
        entry("EUR>USD", "2025-01-01", "1.20", kind="Actual"),
    ]
    assert rate_book(entries).rate("EUR", "USD", "2025-01-02") == Decimal("1.20")  # "Actual" first
    assert rate_book(entries, "Budget").rate("EUR", "USD", "2025-01-02") == Decimal("1.10")
    assert rate_book(entries, "Other").rate("EUR", "USD", "2025-01-02") is None


def test_fallback_setting_per_month_and_flat():
    rates = FallbackRates.from_setting({"chf": "1.1", "GBP": {"2025-01": 1.27, "2025-03": "1.3"}})
    assert rates.rate("CHF", "2019-05") == Decimal("1.1")
    assert rates.rate("GBP", "2024-12") is None
    assert rates.rate("GBP", "2025-02") == Decimal("1.27")
    assert rates.rate("GBP", "2025-04") == Decimal("1.3")
    for bad in ({"EURO": "1"}, {"EUR": "-1"}, {"EUR": "NaN"}, {"EUR": {"2025-13": "1"}}, ["EUR"]):
        with pytest.raises(RatesSettingError, match="setting rates"):
            FallbackRates.from_setting(bad)


def test_each_line_rounds_to_the_cent_half_up_and_exactly():
    converter = Converter(
        "USD", rate_book([entry("EUR>USD", "2025-01-01", "1.234567")]), FallbackRates()
    )
    amounts = [Decimal("0.01"), Decimal("999999999999999999.999999"), Decimal("10.005")]
    total, source = converter.convert("EUR", amounts, "2025-01-10")  # type: ignore[misc]
    expected = sum(
        (
            (a * Decimal("1.234567")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            for a in amounts
        ),
        Decimal(0),
    )
    assert source == FROM_TABLES
    assert total == expected
    assert total == Decimal("1234567000000000000.00") + Decimal("0.01") + Decimal("12.35")
    assert to_cent(Decimal("0.005")) == Decimal("0.01")
    assert converter.convert("JPY", amounts, "2025-01-10") is None
    # Base amounts first; transaction amounts when the base currency has no rate at all.
    assert converter.convert_lines(
        [("SEK", [Decimal("140")]), ("EUR", [Decimal("10")])], "2025-01-10"
    ) == (Decimal("12.35"), FROM_TABLES, "EUR")
    with_setting = Converter("USD", converter.book, FallbackRates.from_setting({"SEK": "0.1"}))
    assert with_setting.convert_lines(
        [("SEK", [Decimal("140")]), ("EUR", [Decimal("10")])], "2025-01-10"
    ) == (Decimal("12.35"), FROM_TABLES, "EUR")  # Intacct's tables before the setting
    assert with_setting.convert_lines([("SEK", [Decimal("140")])], "2025-01-10") == (
        Decimal("14.00"),
        FROM_SETTING,
        "SEK",
    )


WINDOW_END = "2025-12-31"


def _messages() -> list[dict[str, object]]:
    """Figma spend in USD, EUR (EUR books), GBP (GBP books), CHF and JPY; rate tables EUR->USD
    (monthly) and USD->GBP (only the opposite direction); CHF only in the `rates` setting."""
    out: list[dict[str, object]] = [
        singer.schema("exchange_rate"),
        singer.schema("exchange_rate_entry"),
        singer.schema("cc_transaction"),
        singer.schema("cc_transaction_entry"),
        singer.rate_table(1, "EUR", "USD"),
        singer.rate_table(2, "USD", "GBP"),
        singer.rate_entry(11, 1, "2025-01-01", 1.0412),
        singer.rate_entry(12, 1, "2025-03-01", 1.0833),
        singer.rate_entry(21, 2, "2025-01-01", 0.79, 1.265823),
    ]
    lines = [
        # (recordno, currency, trx amount, day)
        (101, "USD", "100.00", "2025-02-10"),
        (102, "EUR", "10.005", "2025-02-10"),  # 1.0412 -> 10.417206 -> 10.42
        (103, "EUR", "33.33", "2025-03-01"),  # 1.0833 -> 36.106389 -> 36.11
        (104, "GBP", "50.00", "2025-04-02"),  # reciprocal 1.265823 -> 63.29115 -> 63.29
        (105, "CHF", "20.00", "2025-05-05"),  # setting 1.1 -> 22.00
        (106, "JPY", "5000", "2025-05-05"),  # no rate at all: left out
        (107, "EUR", "7.77", "2024-06-30"),  # outside the window
    ]
    for recordno, currency, amount, day in lines:
        out.append(singer.card(recordno, "FIGMA MONTHLY SAN FRANCISCO", currency=currency))
        out.append(
            singer.card_line(
                recordno + 1000,
                recordno,
                "ENG",
                Decimal(amount),  # written as the exact JSON number below
                day,
                currency=currency,
                base=currency,
            )
        )
    # EUR paid by an entity whose books are in SEK, which no rate converts: the EUR amount is
    # converted instead (1.0833 -> 13.367922 -> 13.37).
    out.append(singer.card(108, "FIGMA MONTHLY SAN FRANCISCO", currency="EUR", base="SEK"))
    out.append(
        singer.card_line(
            1108, 108, "ENG", 12.34, "2025-06-01", currency="EUR", base="SEK", amount=140.0
        )
    )
    out.append({"type": "STATE", "value": {"bookmarks": {"done": True}}})
    return out


EXPECTED_COST = (
    Decimal("100.00")
    + Decimal("10.42")
    + Decimal("36.11")
    + Decimal("63.29")
    + Decimal("22.00")
    + Decimal("13.37")
)


def test_cost_total_uses_intacct_rates_and_names_what_is_left_out_once(tmp_path: Path):
    source = tmp_path / "rates.singer"
    source.write_text("\n".join(simplejson.dumps(m, use_decimal=True) for m in _messages()) + "\n")
    with leanix_sandbox() as leanix:
        config = target_config(
            leanix,
            "RATES",
            tmp_path / "ledger.sqlite",
            rates={"CHF": "1.1"},
            cost_window_end=WINDOW_END,
        )
        run = run_target(config, source, tmp_path)
        assert run.returncode == 0, run.stderr[-3000:]
        export = leanix.admin("GET", "/admin/export")
    costs = [
        r
        for r in export["relations"]
        if r["type"] == "relApplicationToITComponent" and "costTotalAnnual" in r["fields"]
    ]
    assert len(costs) == 1
    fields = costs[0]["fields"]
    assert Decimal(str(fields["costTotalAnnual"])) == EXPECTED_COST
    description = fields["description"]
    assert f"59.90 from EUR ({FROM_TABLES})" in description
    assert f"63.29 from GBP ({FROM_TABLES})" in description
    assert f"22.00 from CHF ({FROM_SETTING})" in description
    assert "not included (no rate to USD): 5000" in description
    left_out = [line for line in run.stderr.splitlines() if "left out of costTotalAnnual" in line]
    assert len(left_out) == 1, left_out
    assert "summary: " in left_out[0]
    assert "5,000.00 JPY" in left_out[0]

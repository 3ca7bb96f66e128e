"""Converting spend to the reporting currency with Intacct's own rates, exactly.

A line reaches the reporting currency in two steps. Its transaction amount (`TRX_AMOUNT`) became its
base-currency amount (`AMOUNT`) in Intacct, with the line's own `EXCHANGE_RATE`; that step is
Intacct's and is taken as it is. The base amount then becomes the reporting currency with the rate
Intacct's exchange-rate tables give on the line's date (EXCHANGERATE and EXCHANGERATEENTRY,
https://developer.intacct.com/api/company-console/exchange-rates/): the entry with the latest
`EFFECTIVE_START_DATE` on or before that date, of the table from the base currency to the reporting
one; when only the opposite table exists, its entry's `RECIPROCAL_RATE`. The `rates` setting is a
fallback for currency pairs those tables do not cover at all on that date. When the base currency has
no rate, the transaction amount is converted from the transaction currency instead (tables first,
then the setting), so a line is left out only when no rate exists at all.

Every converted line is rounded to the cent (half up, as Intacct rounds AMOUNT) before it is added,
so a costTotalAnnual is exactly the sum of its lines' converted amounts. Nothing passes through float.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

CENT = Decimal("0.01")
#: Where a converted amount's rate came from (the cost description names it).
FROM_TABLES = "Intacct exchange-rate tables"
FROM_SETTING = "setting rates"
#: Most digits of a rate before and after the decimal point (rates of any real currency fit).
MAX_RATE_DIGITS = 12
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class RatesSettingError(ValueError):
    """The `rates` setting is not what the README describes; the message names the bad part."""


def to_cent(amount: Decimal) -> Decimal:
    """`amount` rounded half up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def bounded_rate(value: object) -> Decimal | None:
    """A positive, finite rate of at most `MAX_RATE_DIGITS` digits on each side, else None."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        rate = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        return None
    if not rate.is_finite() or rate <= 0 or rate.adjusted() >= MAX_RATE_DIGITS:
        return None
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_RATE_DIGITS:
        rounded = rate.quantize(Decimal(1).scaleb(-MAX_RATE_DIGITS))
        return rounded if rounded == rate else None
    return rate


@dataclass(frozen=True)
class RateEntry:
    """One entry of an exchange-rate table, as the ledger keeps it."""

    type_name: str
    from_currency: str
    to_currency: str
    effective_date: str  # ISO date
    rate: Decimal | None
    reciprocal: Decimal | None


_Dated = list[tuple[str, str, Decimal]]  # sorted (effective date, type name, rate)


@dataclass(frozen=True)
class RateBook:
    """Intacct's rate tables by currency pair: the rate on a date, from either direction."""

    direct: Mapping[tuple[str, str], _Dated] = field(default_factory=dict)
    # (from, to) -> RECIPROCAL_RATEs of the tables from `to` to `from`
    reciprocal: Mapping[tuple[str, str], _Dated] = field(default_factory=dict)

    def rate(self, from_currency: str, to_currency: str, date: str) -> Decimal | None:
        """The rate effective on `date` (latest start on or before it); the reciprocal of the
        opposite table only when no table from `from_currency` to `to_currency` has one."""
        pair = (from_currency, to_currency)
        direct = _latest(self.direct.get(pair), date)
        return direct if direct is not None else _latest(self.reciprocal.get(pair), date)


def rate_book(entries: Iterable[RateEntry], rate_type: str | None = None) -> RateBook:
    """The book of Intacct rate entries (only those of `rate_type` when it is set)."""
    direct: dict[tuple[str, str], _Dated] = defaultdict(list)
    reciprocal: dict[tuple[str, str], _Dated] = defaultdict(list)
    for entry in entries:
        if rate_type is not None and entry.type_name != rate_type:
            continue
        if entry.rate is not None:
            direct[(entry.from_currency, entry.to_currency)].append(
                (entry.effective_date, entry.type_name, entry.rate)
            )
        if entry.reciprocal is not None:
            reciprocal[(entry.to_currency, entry.from_currency)].append(
                (entry.effective_date, entry.type_name, entry.reciprocal)
            )
    for values in (*direct.values(), *reciprocal.values()):
        # On one date, the rate type whose name sorts first wins: deterministic, and documented.
        values.sort(key=lambda v: (v[0], _reverse(v[1])))
    return RateBook(dict(direct), dict(reciprocal))


def _reverse(text: str) -> str:
    """A sort key that orders `text` descending, so the name sorting first comes last (and wins)."""
    return "".join(chr(0x10FFFF - ord(ch)) for ch in text)


def _latest(values: _Dated | None, date: str) -> Decimal | None:
    if not values:
        return None
    index = bisect.bisect_right(values, date, key=lambda v: v[0])
    return values[index - 1][2] if index else None


@dataclass(frozen=True)
class FallbackRates:
    """The `rates` setting: reporting-currency units per unit of a currency, flat or per month."""

    # currency -> sorted [(month or "", rate)]; "" is the rate of every month
    rates: Mapping[str, tuple[tuple[str, Decimal], ...]] = field(default_factory=dict)

    @classmethod
    def from_setting(cls, value: object) -> FallbackRates:
        """Read `{"EUR": "1.08", "GBP": {"2025-01": "1.27"}}`; raise `RatesSettingError`."""
        if value in (None, {}):
            return cls()
        if not isinstance(value, Mapping):
            raise RatesSettingError("setting rates must be an object of currency codes")
        rates: dict[str, tuple[tuple[str, Decimal], ...]] = {}
        for currency, given in value.items():
            code = str(currency).upper()
            if not _CURRENCY.match(code):
                raise RatesSettingError(
                    f"setting rates: {str(currency)[:20]!r} is not a three-letter currency code"
                )
            months = given if isinstance(given, Mapping) else {"": given}
            entries = []
            for month, text in months.items():
                if month and not _MONTH.match(str(month)):
                    raise RatesSettingError(
                        f"setting rates.{code}: {str(month)[:20]!r} is no YYYY-MM"
                    )
                rate = bounded_rate(text)
                if rate is None:
                    raise RatesSettingError(
                        f"setting rates.{code}{'.' + str(month) if month else ''} must be a "
                        f"positive number of at most {MAX_RATE_DIGITS} digits each side"
                    )
                entries.append((str(month), rate))
            rates[code] = tuple(sorted(entries))
        return cls(rates)

    def rate(self, currency: str, month: str) -> Decimal | None:
        """The rate of `currency` in `month`: that month's, else the latest month before it, else
        the flat rate."""
        entries = self.rates.get(currency)
        if not entries:
            return None
        found = None
        for entry_month, rate in entries:
            if entry_month <= month:
                found = rate  # "" sorts first, so a month's own rate overrides the flat one
        return found


@dataclass
class Converter:
    """Converts lines to the reporting currency: Intacct's tables first, the setting as fallback."""

    reporting_currency: str
    book: RateBook
    fallback: FallbackRates

    def convert(
        self, currency: str, amounts: Iterable[Decimal], date: str
    ) -> tuple[Decimal, str] | None:
        """The sum of `amounts` (in `currency`, dated `date`) in the reporting currency, each
        rounded to the cent, and where the rate came from; None when no rate exists at all."""
        found = self.convert_lines([(currency, list(amounts))], date)
        return None if found is None else (found[0], found[1])

    def convert_lines(
        self, candidates: list[tuple[str, list[Decimal]]], date: str
    ) -> tuple[Decimal, str, str] | None:
        """Lines given in several currencies, best first (base amounts, then transaction amounts):
        (converted sum, rate source, the currency converted from) by the first with a rate in
        Intacct's tables, else the first with a `rates` setting; None when none has a rate."""
        for currency, amounts in candidates:
            rate = self.book.rate(currency, self.reporting_currency, date)
            if rate is not None:
                return self._apply(amounts, rate), FROM_TABLES, currency
        for currency, amounts in candidates:
            rate = self.fallback.rate(currency, date[:7])
            if rate is not None:
                return self._apply(amounts, rate), FROM_SETTING, currency
        return None

    @staticmethod
    def _apply(amounts: Iterable[Decimal], rate: Decimal) -> Decimal:
        # An amount (24 digits at most) times a rate (24 at most) is exact within 60 digits; the
        # default context's 28 would round before the cent does.
        with localcontext() as context:
            context.prec = 60
            return sum((to_cent(amount * rate) for amount in amounts), Decimal(0))

"""Spreading a line over the months of its service period, exactly to the smallest unit.

Pure functions. Months are `YYYY-MM` texts. A period counts evenly by month, not by day: each month it
touches from its start month on, for as many months as it lasts (see `period_months`), gets an equal
share, and the remainder units go one each to the first months, so the shares always add up to the
line exactly (README "Service periods").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

# ISO 4217 currencies whose minor unit is not the cent (https://www.iso.org/iso-4217-currency-codes.html).
# A line is split in its own decimal places, but never coarser than its currency's minor unit: an
# amount sent as `1000` USD still spreads in cents.
MINOR_UNITS = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI"), 0
    ),
    **dict.fromkeys(("VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
DEFAULT_MINOR_UNIT = 2


def month_index(month: str) -> int:
    """`2025-03` -> a month number that orders and subtracts."""
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def month_text(index: int) -> str:
    """The inverse of `month_index`."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_from(start_month: str, count: int) -> list[str]:
    """`count` consecutive months from `start_month` on."""
    first = month_index(start_month)
    return [month_text(first + offset) for offset in range(count)]


def period_months(start: str, end: str) -> list[str]:
    """The months a service period from `start` to `end` (ISO dates, inclusive) counts in.

    It lasts as many months as it takes from the start day to reach the end day (15 Mar .. 14 Mar
    next year is 12, 29 Feb .. 28 Feb next year is 12, 15 Jan .. 20 Feb is 2: a part month counts
    as one); the months are the start month and those after it."""
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    count = (last.year - first.year) * 12 + last.month - first.month
    if _add_months(first, count) < last:
        count += 1
    return months_from(f"{first.year:04d}-{first.month:02d}", max(count, 1))


def _add_months(day: dt.date, months: int) -> dt.date:
    """`day` `months` later, on the same day of the month or the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    last_day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))


def places(amount: Decimal, currency: str) -> int:
    """Decimal places a line is split in: its own, and at least its currency's minor unit."""
    exponent = amount.as_tuple().exponent
    own = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return max(own, MINOR_UNITS.get(currency, DEFAULT_MINOR_UNIT))


def split(amount: Decimal, parts: int, decimal_places: int) -> list[Decimal]:
    """`amount` in `parts` shares of `decimal_places`: equal, with the remainder units one each to
    the first shares; a negative amount splits as its opposite does. The shares sum to `amount`."""
    if parts <= 1:
        return [amount]
    unit = Decimal(1).scaleb(-decimal_places)
    units = int((abs(amount) / unit).to_integral_value())
    sign = -1 if amount < 0 else 1
    share, remainder = divmod(units, parts)
    return [
        (sign * (share + (1 if index < remainder else 0)) * unit).quantize(unit)
        for index in range(parts)
    ]

"""Value formats of the XML gateway: money, dates, timestamps, and sortable keys for comparisons.

TIMESTAMP renders `MM/DD/YYYY HH:MM:SS` (24 h) and DATE `MM/DD/YYYY`
(https://developer.intacct.com/web-services/queries/); filter values use the same format and are
wall time in the user's GMT offset (readUserFormatting,
https://developer.intacct.com/api/company-console/users/). Money renders as a plain decimal string
(`5900`, `1234.56`, `-12.10`): integer cents are formatted exactly, never through a float.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

_CENT = Decimal(1)


def money(cents: int) -> str:
    """Integer cents as Intacct money text: `5900`, `1234.56`, `-12.10` (exact, no float)."""
    if cents < 0:
        return "-" + money(-cents)
    whole, frac = divmod(cents, 100)
    return f"{whole}{_CENTS[frac]}"


_CENTS = ("", *(f".{frac:02d}" for frac in range(1, 100)))


def convert_cents(trx_cents: int, rate: Decimal) -> int:
    """Base amount = transaction amount x rate, rounded half-up to the cent (contract)."""
    if rate == 1:
        return trx_cents
    return int((Decimal(trx_cents) * rate).quantize(_CENT, rounding=ROUND_HALF_UP))


def parse_money_cents(value: str) -> int:
    """Money text -> integer cents, rounded half-up to the cent."""
    return int((Decimal(value) * 100).quantize(_CENT, rounding=ROUND_HALF_UP))


def parse_offset(value: str) -> int:
    """`+09:30` / `-08:00` -> seconds east of GMT."""
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", value.strip())
    if not match:
        raise ValueError(f"--gmt-offset must look like +00:00 or -08:00, got {value!r}")
    seconds = int(match.group(2)) * 3600 + int(match.group(3)) * 60
    return seconds if match.group(1) == "+" else -seconds


def format_offset(seconds: int) -> str:
    """Seconds east of GMT -> `+HH:MM` / `-HH:MM`."""
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


class TimeFormat:
    """Renders instants at one fixed GMT offset (the API user's preference)."""

    def __init__(self, offset_seconds: int) -> None:
        self.offset_seconds = offset_seconds
        self.tz: tzinfo = (
            UTC if offset_seconds == 0 else timezone(timedelta(seconds=offset_seconds))
        )

    def timestamp(self, epoch: int) -> str:
        """Epoch seconds as a TIMESTAMP value (`MM/DD/YYYY HH:MM:SS`) in the user's wall time."""
        # Two table lookups instead of three integer formats: every generated row renders two or
        # three timestamps, and this was the hottest formatter of a wide-row walk.
        days, seconds = divmod(int(epoch) + self.offset_seconds, 86400)
        hours, seconds = divmod(seconds, 3600)
        return f"{day(days + 719163)}{_HOURS[hours]}{_MINUTES_SECONDS[seconds]}"

    def iso(self, moment: datetime) -> str:
        """An instant as ISO 8601 at the user's offset, to the second (session timestamps)."""
        return moment.astimezone(self.tz).isoformat(timespec="seconds")

    def parse_timestamp(self, value: str) -> int | None:
        """A filter/mutation value (`MM/DD/YYYY[ HH:MM:SS]`, user wall time) -> epoch seconds."""
        key = timestamp_key(value)
        if key is None:
            return None
        moment = datetime.strptime(key, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        return int(moment.timestamp()) - self.offset_seconds


_HOURS = tuple(f" {h:02d}:" for h in range(24))
_MINUTES_SECONDS = tuple(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))


@lru_cache(maxsize=8192)
def day(ordinal: int) -> str:
    """A DATE value from a proleptic ordinal."""
    d = date.fromordinal(ordinal)
    return f"{d.month:02d}/{d.day:02d}/{d.year:04d}"


_TS = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")


def timestamp_key(value: str) -> str | None:
    """`MM/DD/YYYY HH:MM:SS` (or a date, or ISO) -> `YYYYMMDDHHMMSS`, a key that sorts like time.

    None when the text is not a valid date/time (the caller reports it).
    """
    match = _TS.match(value)
    if match:
        month, dd, year, hh, mm, ss = match.groups()
    else:
        match = _ISO.match(value)
        if not match:
            return None
        year, month, dd, hh, mm, ss = match.groups()
    parts = (int(year), int(month), int(dd), int(hh or 0), int(mm or 0), int(ss or 0))
    try:
        datetime(*parts)  # noqa: DTZ001 - validation only
    except ValueError:
        return None
    return "{:04d}{:02d}{:02d}{:02d}{:02d}{:02d}".format(*parts)


def date_key(value: str) -> str | None:
    """A DATE or TIMESTAMP value -> `YYYYMMDD`, a key that sorts like the day (None if invalid)."""
    key = timestamp_key(value)
    return key[:8] if key else None


def decimal_or_none(value: str) -> Decimal | None:
    """The text as a Decimal, or None when it is not a number (an empty value is NULL)."""
    try:
        return Decimal(value.strip())
    except (InvalidOperation, ValueError):
        return None

"""Reading one field of a hostile Singer record: its type, its bounds, one-line errors.

`FieldReader` gives typed access to a record's fields (text, keys, exact amounts, rates, currencies,
dates, e-mail addresses) and raises `BadRecordError` naming the stream, the record's key and the
field, quoting at most a few dozen characters of the value. `mapping.py` builds domain items with it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from target_leanix.currency import MAX_RATE_DIGITS, bounded_rate

DELETED_AT = "_sdc_deleted_at"


class BadRecordError(ValueError):
    """A record the target cannot use; the message names the stream, the record and the field."""

    def __init__(self, stream: str, record_key: str, problem: str) -> None:
        super().__init__(f"stream {stream!r} record {record_key}: {problem}")
        self.stream = stream
        self.record_key = record_key
        self.problem = problem


_CURRENCY = re.compile(r"^[A-Z]{3}$")
# One `@`, no spaces, a dot in the domain: a plausible address, checked without backtracking.
EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")
MAX_EMAIL_CHARS = 254

# Bounds of an amount. Within them the ledger's sums stay exact in Decimal's default 28 digits (with
# 10,000 maximal amounts to spare), and no arithmetic meets a hostile exponent such as 1E1000000 (an
# Overflow) or -1e-1000000 (a million digits of text).
MAX_AMOUNT_INTEGER_DIGITS = 18
MAX_AMOUNT_DECIMAL_PLACES = 6
_SMALLEST_AMOUNT = Decimal(1).scaleb(-MAX_AMOUNT_DECIMAL_PLACES)
# A Decimal key beyond this many digits stays text: int() of Decimal("1E1000000") takes a minute.
_MAX_KEY_DIGITS = 40
# A bad value is quoted in its one-line error only this far (it can be megabytes long).
_SHOWN_CHARS = 60


def clipped(text: str) -> str:
    """`text` cut to a length an error line can quote, saying how long it was."""
    if len(text) <= _SHOWN_CHARS:
        return text
    return f"{text[:_SHOWN_CHARS]}... ({len(text)} characters)"


class FieldReader:
    """Typed access to one record, raising BadRecordError that names the stream, key and field."""

    # The fast paths below (exact str, int and Decimal) give what the general path would; they
    # exist because every spend line reads about a dozen fields through here.

    def __init__(self, stream: str, record: Mapping[str, Any], key_field: str) -> None:
        self.stream = stream
        self.record = record
        self.key_field = key_field
        self.deleted = record.get(DELETED_AT) not in (None, "")

    @property
    def key(self) -> str:
        """The record's key as an error line names it (`RECORDNO=42`)."""
        raw_key = self.record.get(self.key_field)
        if raw_key in (None, ""):
            return f"{self.key_field}=<missing>"
        return f"{self.key_field}={clipped(str(raw_key))}"

    def fail(self, problem: str) -> BadRecordError:
        """The one-line error naming this stream, this record's key and `problem`."""
        return BadRecordError(self.stream, self.key, problem)

    def text(self, field: str, *, required: bool = False) -> str:
        """A field as stripped text ("" when empty; an error when `required`)."""
        value = self.record.get(field)
        if type(value) is str and value:
            return value.strip()
        if value is None or value == "":
            if required:
                raise self.fail(f"field {field} is missing")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise self.fail(f"field {field} should be text, got {type(value).__name__}")
        return str(value).strip()

    def key_text(self, field: str, *, required: bool = True) -> str:
        """A key (RECORDNO, VENDORID...): text or integer; Intacct renders both as text."""
        value = self.record.get(field)
        if type(value) is int:
            return str(value)
        if (
            isinstance(value, Decimal)
            and value.is_finite()
            and value.adjusted() < _MAX_KEY_DIGITS
            and value == value.to_integral_value()
        ):
            return str(int(value))
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return self.text(field, required=required)

    def money(self, field: str, *, required: bool = True) -> Decimal | None:
        """An exact amount within the bounds above (None when empty and not `required`)."""
        value = self.record.get(field)
        if type(value) is Decimal and value.is_finite():
            return self._bounded(field, value)
        if value is None or value == "":
            if required:
                raise self.fail(f"amount {field} is missing")
            return None
        if isinstance(value, bool):
            raise self.fail(f"amount {field} is not a number: {value!r}")
        if isinstance(value, float):
            # JSON readers in singer-sdk give Decimal; a float here already lost digits upstream.
            value = repr(value)
        try:
            amount = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise self.fail(f"amount {field} is not a number: {clipped(repr(value))}") from None
        if not amount.is_finite():
            raise self.fail(f"amount {field} is not a finite number: {clipped(repr(value))}")
        return self._bounded(field, amount)

    def _bounded(self, field: str, amount: Decimal) -> Decimal:
        """A finite amount within the amount bounds (decimal places past them must be zeros, and are
        dropped), else a bad record. No arithmetic before the magnitude is known to be bounded."""
        if amount.adjusted() >= MAX_AMOUNT_INTEGER_DIGITS:
            raise self.fail(
                f"amount {field} is out of range (more than {MAX_AMOUNT_INTEGER_DIGITS} digits "
                f"before the decimal point): {clipped(str(amount))}"
            )
        exponent = amount.as_tuple().exponent  # an int: the amount is finite
        if isinstance(exponent, int) and exponent < -MAX_AMOUNT_DECIMAL_PLACES:
            rounded = amount.quantize(_SMALLEST_AMOUNT)  # at most 24 digits: exact and quick
            if rounded != amount:
                raise self.fail(
                    f"amount {field} has more than {MAX_AMOUNT_DECIMAL_PLACES} decimal places: "
                    f"{clipped(str(amount))}"
                )
            return rounded
        return amount

    def rate(self, field: str) -> Decimal | None:
        """An exchange rate: positive, with at most `currency.MAX_RATE_DIGITS` digits each side."""
        value = self.record.get(field)
        if value is None or value == "":
            return None
        rate = bounded_rate(value)
        if rate is None:
            raise self.fail(
                f"rate {field} must be a positive number of at most {MAX_RATE_DIGITS} digits "
                f"each side: {clipped(repr(value))}"
            )
        return rate

    def currency(self, field: str, *, fallback: str = "") -> str:
        """A three-letter currency code (`fallback` when empty)."""
        code = self.text(field).upper() or fallback.upper()
        if not code:
            raise self.fail(f"currency {field} is missing")
        if not _CURRENCY.match(code):
            raise self.fail(f"currency {field} is not an ISO code: {clipped(repr(code))}")
        return code

    def date(self, field: str, *, required: bool = True) -> dt.date | None:
        """A calendar date, ISO or Intacct's MM/DD/YYYY (None when empty and not `required`)."""
        value = self.record.get(field)
        if value is None or value == "":
            if required:
                raise self.fail(f"date {field} is missing")
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            text = value.strip()
            for parse in (_iso_date, _us_date):
                parsed = parse(text)
                if parsed is not None:
                    return parsed
        raise self.fail(f"date {field} is not a date: {clipped(repr(value))}")


def _iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _us_date(text: str) -> dt.date | None:
    # Intacct renders DATE as MM/DD/YYYY (https://developer.intacct.com/web-services/queries/); the
    # tap normally converts, but be lenient.
    try:
        return dt.datetime.strptime(text[:10], "%m/%d/%Y").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        return None

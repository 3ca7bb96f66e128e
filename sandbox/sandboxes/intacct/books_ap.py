"""The demo company's books, AP side: rows built one by one, as Intacct would hold them.

The bulk rows (generators.py) are many and uniform; the books are few and tell the stories the cost
figures must get right: annual and quarterly SaaS bills whose lines carry a service period, partial and
voided payments, credits, a bill paid by card with the card transaction Intacct creates for it, a charge
payoff to the card issuer, recurring bills with the bills they created, and open purchase orders. The
books_plan.py tables say what happens; this module turns them into rows of the standard objects.
RECORDNOs follow the bulk rows of each object (the store serves them through its overlay).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sandboxes.intacct.catalog import SERVICE_PERIOD_FIELDS
from sandboxes.intacct.formats import convert_cents, day, money, parse_money_cents
from sandboxes.intacct.generators import Generators
from sandboxes.intacct.model import (
    EPOCH_ORDINAL,
    RATES,
    CompanyView,
    Row,
)
from sandboxes.intacct.reference_data import ACCOUNT_TITLES, ENTITIES

PERIOD_START, PERIOD_END = SERVICE_PERIOD_FIELDS
#: Intacct's amortization template the SaaS lines name (a straight-line monthly schedule).
AMORTIZATION_TEMPLATE = "SaaS straight-line monthly"
ONE = Decimal(1)


def epoch(ordinal: int, hour: int = 9) -> int:
    """The instant `hour`:00 UTC on day `ordinal`."""
    return (ordinal - EPOCH_ORDINAL) * 86400 + hour * 3600


@dataclass(frozen=True)
class LineSpec:
    """One bill line in transaction currency cents (negative for a credit) and where it books."""

    memo: str
    cents: int
    account: str
    department: str
    location: str
    period: tuple[int, int] | None = None  # service period (ordinals), inclusive


@dataclass
class Bill:
    """A books bill: its row, its lines and the payments applied to it so far."""

    row: Row
    lines: list[Row]
    rate: Decimal
    paid_base: int = 0
    paid_trx: int = 0
    last_paid: int | None = None
    last_stamp: int = 0
    entity: int = 0
    #: A line entered with the bill and deleted later (books.seed_books_history deletes it).
    deleted: Row | None = None
    #: Transaction cents of each line that payments have covered so far.
    applied: list[int] = field(default_factory=list)


@dataclass
class Payment:
    """A books payment (header and details), kept for the GL side and for tests."""

    row: Row
    details: list[Row] = field(default_factory=list)


class BooksAP:
    """Builds the AP books of `company`; `rows` maps object name -> rows once `finish` ran."""

    def __init__(self, company: CompanyView) -> None:
        self.c = company
        self.gen = Generators(company)
        self.rows: dict[str, list[Row]] = defaultdict(list)
        self.bills: list[Bill] = []
        self.payments: list[Payment] = []
        self._next = {
            name: source.recordno(source.count)
            for name, source in company.sources.items()
            if source.monotonic
        }
        self._docs: dict[str, int] = defaultdict(int)

    # ------------------------------------------------------------------ shared
    def recordno(self, name: str) -> int:
        """The next RECORDNO of an object among the books' own rows (1, 2, ...)."""
        number = self._next.setdefault(name, 1)
        self._next[name] = number + 1
        return number

    def doc(self, prefix: str) -> str:
        """The next document number with this prefix, e.g. `BILL-000007`."""
        self._docs[prefix] += 1
        return f"{prefix}-{self._docs[prefix]:06d}"

    def vendor(self, name: str) -> int:
        """The index of the vendor named `name` in the company's vendor list."""
        return next(n for n, v in enumerate(self.c.vendors) if v.name == name)

    def tail(self, entity: int) -> Row:
        """The audit and entity fields every row of `entity` carries."""
        key, eid, ename = self.c.entity_fields(entity)
        return {
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": key,
            "MEGAENTITYID": eid,
            "MEGAENTITYNAME": ename,
        }

    def currency(self, entity: int, trx_currency: str | None) -> tuple[str, str, Decimal]:
        """(transaction currency, the entity's base currency, the rate from one to the other)."""
        base = ENTITIES[entity].currency
        trx = trx_currency or base
        return trx, base, ONE if trx == base else RATES[(trx, base)]

    # ------------------------------------------------------------------ bills
    def bill(  # noqa: PLR0917 - a bill's own fields
        self,
        vendor_name: str,
        entity: int,
        created: int,
        lines: list[LineSpec],
        description: str,
        trx_currency: str | None = None,
        *,
        schopkey: str = "",
        deleted_line: LineSpec | None = None,
    ) -> Bill:
        """An AP bill entered on day `created`; `deleted_line` was part of it and is deleted later."""
        vi = self.vendor(vendor_name)
        vendor = self.c.vendors[vi]
        currency, base, rate = self.currency(entity, trx_currency)
        recordno = self.recordno("APBILL")
        stamp = epoch(created, 10)
        when = day(created)
        row = self.gen.apbill(0)
        row.update(
            zip(
                (
                    "VENDORID",
                    "VENDORNAME",
                    "BILLTOPAYTOCONTACTNAME",
                    "SHIPTORETURNTOCONTACTNAME",
                    "BILLTOPAYTOKEY",
                    "SHIPTORETURNTOKEY",
                    "PAYTO.TAXID",
                    "PAYTOCONTACTNAME",
                    "RETURNTOCONTACTNAME",
                ),
                self.gen.vendor_part(vi),
                strict=True,
            )
        )
        prefix = vendor.domain.split(".")[0][:4].upper()
        foreign = currency != base
        row.update(
            {
                "RECORDNO": str(recordno),
                "RECORDID": f"INV-{prefix}-{recordno}",
                "DOCNUMBER": f"{prefix}-{when[6:]}{when[:2]}-{recordno % 1000:03d}",
                "DESCRIPTION": description,
                "WHENCREATED": when,
                "WHENPOSTED": when,
                "WHENDISCOUNT": when,
                "WHENDUE": day(created + 30),
                "BASECURR": base,
                "CURRENCY": currency,
                "EXCH_RATE_DATE": when if foreign else "",
                "EXCH_RATE_TYPE_ID": "Intacct Daily Rate" if foreign else "",
                "EXCHANGE_RATE": str(rate),
                "EXCHRATEDATE": when if foreign else "",
                "EXCHRATETYPE": "Intacct Daily Rate" if foreign else "",
                "EXCHRATE": str(rate),
                "PRBATCH": f"Bills: {when[6:]}/{when[:2]}/{when[3:5]} Batch",
                "PRBATCHKEY": str(9000 + created % 1000),
                "MODULEKEY": "3.AP",
                "SCHOPKEY": schopkey,
                "SYSTEMGENERATED": "T" if schopkey else "F",
                "AUWHENCREATED": self.c.stamp(stamp),
                "SUPDOCID": "",
                "VOUCHER_NUMBER": f"VCH-B{recordno:08d}",
                "SAAS_CONTRACT_ID": f"CTR-{prefix}-{when[6:]}" if vendor.category else "",
                "RENEWAL_DATE": "",
                **self.tail(entity),
            }
        )
        bill = Bill(row, [], rate, last_stamp=stamp, entity=entity)
        for spec in lines:
            bill.lines.append(self._line(bill, vi, spec, created, stamp))
        if deleted_line is not None:
            bill.deleted = self._line(bill, vi, deleted_line, created, stamp)
            bill.lines.append(bill.deleted)
        bill.applied = [0] * len(bill.lines)
        self.bills.append(bill)
        return bill

    def _line(self, bill: Bill, vi: int, spec: LineSpec, created: int, stamp: int) -> Row:
        row = bill.row
        start, end = spec.period or (None, None)
        return {
            "RECORDNO": str(self.recordno("APBILLITEM")),
            "RECORDKEY": row["RECORDNO"],
            "LINE_NO": str(len(bill.lines) + 1),
            "ACCOUNTNO": spec.account,
            "ACCOUNTTITLE": ACCOUNT_TITLES.get(spec.account, ""),
            "DEPARTMENTID": spec.department,
            "LOCATIONID": spec.location,
            "ENTRYDESCRIPTION": spec.memo,
            "VENDORID": self.c.vendor_id(vi),
            "AMOUNT": money(convert_cents(spec.cents, bill.rate)),
            "TRX_AMOUNT": money(spec.cents),
            "CURRENCY": row["CURRENCY"],
            "BASECURR": row["BASECURR"],
            "EXCHANGE_RATE": row["EXCHANGE_RATE"],
            "ENTRY_DATE": day(created),
            "AMORTIZATIONTEMPLATEID": AMORTIZATION_TEMPLATE if start is not None else "",
            PERIOD_START: "" if start is None else day(start),
            PERIOD_END: "" if end is None else day(end),
            "WHENCREATED": self.c.stamp(stamp - 600),
            "WHENMODIFIED": self.c.stamp(stamp),
            **self.tail(bill.entity),
        }

    # ------------------------------------------------------------------ payments
    def pay(  # noqa: PLR0917 - a payment's own fields
        self,
        bill: Bill,
        paid_on: int,
        trx_cents: int | None = None,
        method: str = "ACH",
        state: str = "Complete",
        financial_entity: str = "",
    ) -> Payment:
        """Pay `trx_cents` of `bill` (all that is due when None), applied to its lines in order."""
        row = bill.row
        left = trx_cents
        recordno = self.recordno("APPYMT")
        stamp = epoch(paid_on, 15)
        payment = Payment(
            {
                "RECORDNO": str(recordno),
                "DOCNUMBER": self.doc("CHK" if method == "Printed Check" else "PAY"),
                "VENDORID": row["VENDORID"],
                "VENDORNAME": row["VENDORNAME"],
                "FINANCIALENTITY": financial_entity or ENTITIES[bill.entity].bank_account,
                "PAYMENTMETHOD": method,
                "STATE": state,
                "WHENCREATED": day(paid_on),
                "WHENPAID": day(paid_on),
                "CURRENCY": row["CURRENCY"],
                "BASECURR": row["BASECURR"],
                "EXCHANGE_RATE": row["EXCHANGE_RATE"],
                "WHENMODIFIED": self.c.stamp(stamp),
                **self.tail(bill.entity),
            }
        )
        for k, line in enumerate(bill.lines):
            cents = parse_money_cents(line["TRX_AMOUNT"])
            open_cents = cents - bill.applied[k]
            # a partial payment covers the lines in order and never a credit line
            share = open_cents if left is None else min(open_cents, left) if cents > 0 else 0
            if share == 0:
                continue
            if left is not None:
                left -= share
            if state == "Complete":
                bill.applied[k] += share
            base = (
                parse_money_cents(line["AMOUNT"])
                if share == cents
                else convert_cents(share, bill.rate)
            )
            payment.details.append(
                {
                    "RECORDNO": str(self.recordno("APPYMTDETAIL")),
                    "PAYMENTKEY": str(recordno),
                    "RECORDKEY": row["RECORDNO"],
                    "ENTRYKEY": line["RECORDNO"],
                    "PAYMENTAMOUNT": money(base),
                    "TRX_PAYMENTAMOUNT": money(share),
                    "CURRENCY": row["CURRENCY"],
                    "WHENCREATED": day(paid_on),
                    "WHENMODIFIED": self.c.stamp(stamp),
                    **self.tail(bill.entity),
                }
            )
        base_total = sum(parse_money_cents(d["PAYMENTAMOUNT"]) for d in payment.details)
        trx_total = sum(parse_money_cents(d["TRX_PAYMENTAMOUNT"]) for d in payment.details)
        payment.row["TOTALENTERED"], payment.row["TRX_TOTALENTERED"] = (
            money(base_total),
            money(trx_total),
        )
        if state == "Complete":
            bill.paid_base += base_total
            bill.paid_trx += trx_total
            bill.last_paid = paid_on
        bill.last_stamp = max(bill.last_stamp, stamp)
        self.payments.append(payment)
        return payment

    # ------------------------------------------------------------------ finish
    def finish(self) -> dict[str, list[Row]]:
        """Settle every bill's totals and state from its lines and payments; the rows by object."""
        for bill in self.bills:
            row = bill.row
            total = sum(parse_money_cents(line["AMOUNT"]) for line in bill.lines)
            trx = sum(parse_money_cents(line["TRX_AMOUNT"]) for line in bill.lines)
            due, trx_due = total - bill.paid_base, trx - bill.paid_trx
            paid = bill.paid_trx != 0 and trx_due == 0
            state = "Paid" if paid else "Partially Paid" if bill.paid_trx else "Posted"
            row.update(
                {
                    "STATE": state,
                    "RAWSTATE": {"Paid": "P", "Partially Paid": "PA"}.get(state, "A"),
                    "WHENPAID": day(bill.last_paid) if paid and bill.last_paid else "",
                    "TOTALENTERED": money(total),
                    "TRX_TOTALENTERED": money(trx),
                    "TOTALPAID": money(bill.paid_base),
                    "TRX_TOTALPAID": money(bill.paid_trx),
                    "TOTALDUE": money(due),
                    "TRX_TOTALDUE": money(trx_due),
                    "TRX_ENTITYDUE": money(trx_due),
                    "DUE_IN_DAYS": "0" if paid else "30",
                    "WHENMODIFIED": self.c.stamp(bill.last_stamp),
                }
            )
            self.rows["APBILL"].append(row)
            self.rows["APBILLITEM"].extend(bill.lines)
        for payment in self.payments:
            self.rows["APPYMT"].append(payment.row)
            self.rows["APPYMTDETAIL"].extend(payment.details)
        return self.rows


def ordinal_of(value: str) -> int:
    """A DATE value (MM/DD/YYYY) as an ordinal."""
    month, mday, year = (int(part) for part in value.split("/"))
    return date(year, month, mday).toordinal()

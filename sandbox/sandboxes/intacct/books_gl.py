"""The demo company's books, GL side: journal entries and exchange-rate tables.

- Manual journals (JOURNAL GJ, MODULE 2.GL) amortise the prepaid annual contracts month by month:
  debit the expense, credit Prepaid Expenses (1400). The month after the base data ends is still a
  Draft.
- Subledger batches (MODULE 3.AP): what posting the books' bills (JOURNAL APJ) and payments (JOURNAL CDJ)
  wrote to the GL. They repeat the AP documents line by line.
- Every batch balances: its debits (TR_TYPE 1) equal its credits (TR_TYPE -1), in AMOUNT and in
  TRX_AMOUNT. AMOUNT = TRX_AMOUNT x EXCHANGE_RATE, rounded half-up to the cent.
- EXCHANGERATE tables EUR -> USD and GBP -> USD with a monthly EXCHANGERATEENTRY each
  (https://developer.intacct.com/api/company-console/exchange-rates/).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sandboxes.intacct.books_ap import Bill, BooksAP, Payment, epoch
from sandboxes.intacct.books_ap import ordinal_of as _ordinal
from sandboxes.intacct.books_plan import Stories, d
from sandboxes.intacct.formats import convert_cents, day, money, parse_money_cents
from sandboxes.intacct.model import RATES, CompanyView, Row, add_months
from sandboxes.intacct.reference_data import ENTITIES

RATE_TYPE = "Acme Month-End Rate"
RATE_PLACES = Decimal("0.000001")
#: The rate tables run monthly over the base data: 01/2023 .. 06/2025.
RATE_MONTHS = 30
#: Amortisation journals are posted up to this month end; the next one is a Draft.
LAST_POSTED = d(2025, 5, 31)


class BooksGL:
    """Builds GLBATCH, GLENTRY, EXCHANGERATE and EXCHANGERATEENTRY rows from the AP books."""

    def __init__(self, company: CompanyView, ap: BooksAP) -> None:
        self.c = company
        self.ap = ap
        self.rows: dict[str, list[Row]] = defaultdict(list)
        self._batchno: dict[str, int] = defaultdict(int)

    def batch(  # noqa: PLR0917 - a journal entry's own fields
        self,
        journal: str,
        module: str,
        entity: int,
        when: int,
        title: str,
        lines: list[tuple[int, int, str, str, str, str]],
        currency: tuple[str, str, Decimal],
        *,
        state: str = "Posted",
        reference: str = "",
        prbatchkey: str = "",
        vendor_id: str = "",
    ) -> Row:
        """A GLBATCH with its GLENTRY lines: (TR_TYPE, trx cents, account, dept, location, memo)."""
        trx_currency, base, rate = currency
        recordno = self.ap.recordno("GLBATCH")
        self._batchno[journal] += 1
        stamp = epoch(when + 1, 7)
        foreign = trx_currency != base
        tail = self.ap.tail(entity)
        header = {
            "RECORDNO": str(recordno),
            "BATCHNO": str(self._batchno[journal]),
            "BATCH_TITLE": title,
            "JOURNAL": journal,
            "BATCH_DATE": day(when),
            "MODULE": module,
            "REFERENCENO": reference,
            "PRBATCHKEY": prbatchkey,
            "STATE": state,
            "SUPDOCID": "",
            "WHENCREATED": self.c.stamp(stamp - 1800),
            "WHENMODIFIED": self.c.stamp(stamp),
            **tail,
        }
        self.rows["GLBATCH"].append(header)
        for n, (tr_type, cents, account, department, location, memo) in enumerate(lines):
            self.rows["GLENTRY"].append(
                {
                    "RECORDNO": str(self.ap.recordno("GLENTRY")),
                    "BATCHNO": str(recordno),
                    "LINE_NO": str(n + 1),
                    "TR_TYPE": str(tr_type),
                    "ENTRY_DATE": day(when),
                    "AMOUNT": money(convert_cents(cents, rate)),
                    "TRX_AMOUNT": money(cents),
                    "ACCOUNTNO": account,
                    "DEPARTMENT": department,
                    "LOCATION": location,
                    "DOCUMENT": reference,
                    "DESCRIPTION": memo,
                    "BASECURR": base,
                    "CURRENCY": trx_currency,
                    "EXCH_RATE_DATE": day(when) if foreign else "",
                    "EXCH_RATE_TYPE_ID": "Intacct Daily Rate" if foreign else "",
                    "EXCHANGE_RATE": str(rate),
                    "STATE": state,
                    "VENDORID": vendor_id,
                    "CLASSID": "C-SAAS" if module == "2.GL" else "",
                    "WHENCREATED": header["WHENCREATED"],
                    "WHENMODIFIED": header["WHENMODIFIED"],
                    **tail,
                }
            )
        return header

    # ------------------------------------------------------------------ manual journals
    def amortise(self, stories: Stories) -> None:
        """Twelve monthly journals per prepaid contract, up to the Draft after LAST_POSTED."""
        for bill, expense, department, location, memo in stories.prepaid:
            line = bill.lines[0]
            total = parse_money_cents(line["TRX_AMOUNT"])
            first = _ordinal(line["ENTRY_DATE"])
            currency = (bill.row["CURRENCY"], bill.row["BASECURR"], bill.rate)
            for month in range(12):
                month_end = add_months(first, month + 1) - 1
                if month_end > add_months(LAST_POSTED + 1, 1) - 1:
                    break
                share = total // 12 + (total % 12 if month == 11 else 0)
                label = date.fromordinal(month_end).strftime("%m/%Y")
                self.batch(
                    "GJ",
                    "2.GL",
                    bill.entity,
                    month_end,
                    f"{bill.row['VENDORNAME']} - prepaid amortisation {label}",
                    [
                        (1, share, expense, department, location, f"{memo} - amortisation {label}"),
                        (-1, share, "1400", department, location, f"{memo} - amortisation {label}"),
                    ],
                    currency,
                    state="Posted" if month_end <= LAST_POSTED else "Draft",
                    vendor_id=bill.row["VENDORID"],
                )

    # ------------------------------------------------------------------ subledger batches
    def post_bill(self, bill: Bill) -> None:
        """The APJ batch of a bill as it stands (a deleted line is gone from it)."""
        # Each line posts with its own AP offset, so every pair balances in base currency too.
        entries = []
        location = ENTITIES[bill.entity].location_id
        for line in bill.lines:
            if line is bill.deleted:
                continue
            cents = parse_money_cents(line["TRX_AMOUNT"])
            side = 1 if cents > 0 else -1
            memo = line["ENTRYDESCRIPTION"]
            entries.append(
                (
                    side,
                    abs(cents),
                    line["ACCOUNTNO"],
                    line["DEPARTMENTID"],
                    line["LOCATIONID"],
                    memo,
                )
            )
            entries.append((-side, abs(cents), "2000", "", location, f"Accounts Payable - {memo}"))
        self._subledger("APJ", bill, _ordinal(bill.row["WHENCREATED"]), entries)

    def post_payment(self, bill: Bill, payment: Payment) -> None:
        """The CDJ batch of a completed payment: AP debited, the bank (or the card) credited."""
        cents = parse_money_cents(payment.row["TRX_TOTALENTERED"])
        paid_from = "2100" if payment.row["PAYMENTMETHOD"] == "Credit Card" else "1000"
        location = ENTITIES[bill.entity].location_id
        memo = f"Payment {payment.row['DOCNUMBER']} - {payment.row['FINANCIALENTITY']}"
        self._subledger(
            "CDJ",
            bill,
            _ordinal(payment.row["WHENCREATED"]),
            [(1, cents, "2000", "", location, memo), (-1, cents, paid_from, "", location, memo)],
        )

    def _subledger(
        self, journal: str, bill: Bill, when: int, lines: list[tuple[int, int, str, str, str, str]]
    ) -> None:
        row = bill.row
        self.batch(
            journal,
            "3.AP",
            bill.entity,
            when,
            row["PRBATCH"] if journal == "APJ" else f"Payments: {day(when)}",
            lines,
            (row["CURRENCY"], row["BASECURR"], bill.rate),
            reference=row["RECORDID"],
            prbatchkey=row["PRBATCHKEY"],
            vendor_id=row["VENDORID"],
        )

    # ------------------------------------------------------------------ exchange rates
    def exchange_rates(self) -> None:
        """EUR -> USD and GBP -> USD, one entry on the first of every month."""
        for n, currency in enumerate(("EUR", "GBP")):
            recordno = self.ap.recordno("EXCHANGERATE")
            stamps = []
            for month in range(RATE_MONTHS):
                start = add_months(d(2023, 1), month)
                wobble = Decimal(self.c.h(81 + n, month) % 801 - 400) / 100000
                rate = (RATES[(currency, "USD")] * (1 + wobble)).quantize(RATE_PLACES)
                stamp = epoch(start - 1, 20)
                stamps.append(stamp)
                self.rows["EXCHANGERATEENTRY"].append(
                    {
                        "RECORDNO": str(self.ap.recordno("EXCHANGERATEENTRY")),
                        "EXCHANGERATEKEY": str(recordno),
                        "EFFECTIVE_START_DATE": day(start),
                        "EXCHANGE_RATE": str(rate),
                        "RECIPROCAL_RATE": str((1 / rate).quantize(RATE_PLACES)),
                        "WHENCREATED": self.c.stamp(stamp),
                        "WHENMODIFIED": self.c.stamp(stamp),
                        **self.ap.tail(-1),
                    }
                )
            self.rows["EXCHANGERATE"].append(
                {
                    "RECORDNO": str(recordno),
                    "TYPENAME": RATE_TYPE,
                    "FROM_CURRENCY": currency,
                    "TO_CURRENCY": "USD",
                    "WHENCREATED": self.c.stamp(stamps[0] - 3600),
                    "WHENMODIFIED": self.c.stamp(stamps[-1]),
                    **self.ap.tail(-1),
                }
            )

    def build(self, stories: Stories) -> dict[str, list[Row]]:
        """Every GL-side row, by object."""
        self.exchange_rates()
        self.amortise(stories)
        bills = {bill.row["RECORDNO"]: bill for bill in self.ap.bills}
        for bill in self.ap.bills:
            self.post_bill(bill)
        for payment in self.ap.payments:
            if payment.row["STATE"] == "Complete" and payment.details:
                self.post_payment(bills[payment.details[0]["RECORDKEY"]], payment)
        return self.rows

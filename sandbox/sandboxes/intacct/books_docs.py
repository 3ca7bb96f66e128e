"""The books' other AP documents: card transactions (a bill paid by card, the card statement), recurring
bills with the bills they created, and open purchase orders. Each function writes into a `BooksAP`."""

from __future__ import annotations

from bisect import bisect_left

from sandboxes.intacct.books_ap import Bill, BooksAP, LineSpec, Payment, epoch, ordinal_of
from sandboxes.intacct.formats import convert_cents, day, money, parse_money_cents
from sandboxes.intacct.model import Row, add_months, occurrences, schedule_key
from sandboxes.intacct.reference_data import ACCOUNT_TITLES, ENTITIES


def card_payment(ap: BooksAP, bill: Bill, paid_on: int) -> Payment:
    """Pay `bill` by corporate card: the payment, and the card transaction Intacct records for it
    in that card account, with RECORDID = the payment's DOCNUMBER
    (https://www.intacct.com/ia/docs/en_GB/help_action/Cash_Management/Payment_Methods/Credit_card/Transactions/about-credit-card-txns.htm)."""
    card = ENTITIES[bill.entity].card_account
    payment = ap.pay(bill, paid_on, method="Credit Card", financial_entity=card)
    payment.row["DOCNUMBER"] = ap.doc("CCPAY")
    vendor = ap.c.vendors[ap.vendor(bill.row["VENDORNAME"])]
    card_transaction(
        ap,
        bill.entity,
        paid_on,
        payment.row["DOCNUMBER"],
        vendor.descriptor,
        vendor.payee or vendor.name,
        [
            (
                f"Payment of bill {bill.row['RECORDID']}",
                parse_money_cents(payment.row["TRX_TOTALENTERED"]),
                "2000",
                bill.row["VENDORID"],
            )
        ],
        bill.row["CURRENCY"],
    )
    return payment


def card_transaction(  # noqa: PLR0917 - a card transaction's own fields
    ap: BooksAP,
    entity: int,
    created: int,
    recordid: str,
    description: str,
    payee: str,
    lines: list[tuple[str, int, str, str]],
    trx_currency: str,
) -> Row:
    """A CCTRANSACTION on the entity's card with its lines (memo, trx cents, account, vendor)."""
    currency, base, rate = ap.currency(entity, trx_currency)
    recordno = ap.recordno("CCTRANSACTION")
    stamp = epoch(created, 16)
    entries = []
    for n, (memo, cents, account, vendor_id) in enumerate(lines):
        entries.append(
            {
                "RECORDNO": str(ap.recordno("CCTRANSACTIONENTRY")),
                "RECORDKEY": str(recordno),
                "LINE_NO": str(n + 1),
                "ACCOUNTNO": account,
                "ACCOUNTTITLE": ACCOUNT_TITLES.get(account, ""),
                "DEPARTMENTID": "FIN",
                "LOCATIONID": ENTITIES[entity].location_id,
                "DESCRIPTION": memo,
                "VENDORID": vendor_id,
                "AMOUNT": money(convert_cents(cents, rate)),
                "TRX_AMOUNT": money(cents),
                "CURRENCY": currency,
                "BASECURR": base,
                "EXCHANGE_RATE": str(rate),
                "ENTRY_DATE": day(created),
                "WHENMODIFIED": ap.c.stamp(stamp),
                **ap.tail(entity),
            }
        )
    total = money(sum(parse_money_cents(e["AMOUNT"]) for e in entries))
    trx = money(sum(parse_money_cents(e["TRX_AMOUNT"]) for e in entries))
    header = {
        "RECORDNO": str(recordno),
        "RECORDID": recordid,
        "FINANCIALENTITY": ENTITIES[entity].card_account,
        "DESCRIPTION": description,
        "PAYEE": payee,
        "STATE": "Posted",
        "RAWSTATE": "A",
        "CLEARED": "false",
        "WHENCREATED": day(created),
        "WHENPAID": "",
        "AUWHENCREATED": ap.c.stamp(stamp - 600),
        "CURRENCY": currency,
        "BASECURR": base,
        "EXCHANGE_RATE": str(rate),
        "TOTALENTERED": total,
        "TRX_TOTALENTERED": trx,
        "TOTALPAID": "0",
        "TRX_TOTALPAID": "0",
        "TOTALSELECTED": "0",
        "TRX_TOTALSELECTED": "0",
        "TOTALDUE": total,
        "TRX_TOTALDUE": trx,
        "INCLUSIVETAX": "false",
        "TAXSOLUTIONID": "",
        "TAXMETHOD": "",
        "WHENMODIFIED": ap.c.stamp(stamp),
        **ap.tail(entity),
    }
    ap.rows["CCTRANSACTION"].append(header)
    ap.rows["CCTRANSACTIONENTRY"].extend(entries)
    return header


def card_charges(ap: BooksAP, entity: int, first: int, last: int) -> int:
    """Base cents of the bulk and books charges on the entity's card dated first..last."""
    card = ENTITIES[entity].card_account
    source = ap.c.sources["CCTRANSACTION"]
    # card transactions are dated 1-4 days before their WHENMODIFIED, which grows with the index
    lo = bisect_left(range(source.count), epoch(first, 0), key=ap.c.cc_ts)
    hi = bisect_left(range(source.count), epoch(last + 6, 0), key=ap.c.cc_ts)
    rows = [source.row(i) for i in range(lo, hi)] + ap.rows["CCTRANSACTION"]
    return sum(
        parse_money_cents(r["TOTALENTERED"])
        for r in rows
        if r["FINANCIALENTITY"] == card and first <= ordinal_of(r["WHENCREATED"]) <= last
    )


def recurring(  # noqa: PLR0917 - a recurring bill's own fields
    ap: BooksAP,
    vendor_name: str,
    entity: int,
    start: int,
    repeat: tuple[str, int],
    end: int | None,
    lines: list[LineSpec],
    until: int,
    trx_currency: str | None = None,
) -> list[Bill]:
    """An APRECURBILL and the bills it created on each run up to `until`."""
    vi = ap.vendor(vendor_name)
    vendor = ap.c.vendors[vi]
    currency, base, rate = ap.currency(entity, trx_currency)
    repeat_by, interval = repeat
    recordno = ap.recordno("APRECURBILL")
    schopkey = str(schedule_key(recordno))
    runs = occurrences(start, repeat_by, interval, end, until)
    more = occurrences(start, repeat_by, interval, end, 10**6, len(runs) + 1)
    ended = len(more) == len(runs)
    total_trx = sum(spec.cents for spec in lines)
    stamp = epoch(start - 5, 11)
    description = f"{vendor.memo} ({repeat_by.lower()} x{interval})"
    ap.rows["APRECURBILL"].append(
        {
            "RECORDNO": str(recordno),
            "VENDORID": ap.c.vendor_id(vi),
            "VENDORNAME": vendor.name,
            "DESCRIPTION": description,
            "STARTDATE": day(start),
            "ENDDATE": "" if end is None else day(end),
            "REPEATBY": repeat_by,
            "REPEATINTERVAL": str(interval),
            "NEXTEXECDATE": "" if ended else day(more[-1]),
            "LASTEXECDATE": day(runs[-1]) if runs else "",
            "EXECCOUNT": str(len(runs)),
            "SCHOPKEY": schopkey,
            "CURRENCY": currency,
            "TOTALENTERED": money(sum(convert_cents(s.cents, rate) for s in lines)),
            "TRX_TOTALENTERED": money(total_trx),
            "STATUS": "inactive" if ended else "active",
            "WHENCREATED": ap.c.stamp(stamp),
            "WHENMODIFIED": ap.c.stamp(epoch(runs[-1], 6) if runs else stamp),
            **ap.tail(entity),
        }
    )
    for n, spec in enumerate(lines):
        ap.rows["APRECURBILLENTRY"].append(
            {
                "RECORDNO": str(ap.recordno("APRECURBILLENTRY")),
                "RECORDKEY": str(recordno),
                "LINE_NO": str(n + 1),
                "ACCOUNTNO": spec.account,
                "ACCOUNTTITLE": ACCOUNT_TITLES.get(spec.account, ""),
                "DEPARTMENTID": spec.department,
                "LOCATIONID": spec.location,
                "ENTRYDESCRIPTION": spec.memo,
                "AMOUNT": money(convert_cents(spec.cents, rate)),
                "TRX_AMOUNT": money(spec.cents),
                "CURRENCY": currency,
                "BASECURR": base,
                "WHENCREATED": ap.c.stamp(stamp),
                "WHENMODIFIED": ap.c.stamp(stamp),
                **ap.tail(entity),
            }
        )
    period = {"Months": interval, "Years": 12 * interval}.get(repeat_by)
    bills = []
    for when in runs:
        covered = (when, add_months(when, period) - 1) if period else None
        bills.append(
            ap.bill(
                vendor_name,
                entity,
                when,
                [
                    LineSpec(s.memo, s.cents, s.account, s.department, s.location, covered)
                    for s in lines
                ],
                description,
                trx_currency,
                schopkey=schopkey,
            )
        )
    return bills


def purchase_order(  # noqa: PLR0917 - a PO's own fields
    ap: BooksAP,
    vendor_name: str,
    entity: int,
    created: int,
    state: str,
    lines: list[tuple[str, int, int, str]],
    trx_currency: str | None = None,
) -> Row:
    """An open Purchase Order (lines: description, quantity, unit price cents, department)."""
    vi = ap.vendor(vendor_name)
    vendor = ap.c.vendors[vi]
    currency, base, rate = ap.currency(entity, trx_currency)
    recordno = ap.recordno("PODOCUMENT")
    docno = ap.doc("PO-B")
    stamp = epoch(created, 13)
    entries = []
    for n, (memo, qty, price, department) in enumerate(lines):
        trx = qty * price
        entries.append(
            {
                "RECORDNO": str(ap.recordno("PODOCUMENTENTRY")),
                "DOCHDRNO": str(recordno),
                "DOCHDRID": f"Purchase Order-{docno}",
                "LINE_NO": str(n + 1),
                "ITEMID": f"SVC-{vendor.account}",
                "ITEMDESC": memo,
                "QUANTITY": str(qty),
                "PRICE": money(price),
                "UIPRICE": money(price),
                "TOTAL": money(convert_cents(trx, rate)),
                "TRX_TOTAL": money(trx),
                "DEPARTMENTID": department,
                "LOCATIONID": ENTITIES[entity].location_id,
                "CURRENCY": currency,
                "WHENCREATED": ap.c.stamp(stamp - 7200),
                "WHENMODIFIED": ap.c.stamp(stamp),
                **ap.tail(entity),
            }
        )
    header = {
        "RECORDNO": str(recordno),
        "DOCNO": docno,
        "DOCID": f"Purchase Order-{docno}",
        "DOCPARID": "Purchase Order",
        "STATE": state,
        "CUSTVENDID": ap.c.vendor_id(vi),
        "CUSTVENDNAME": vendor.name,
        "WHENCREATED": day(created),
        "WHENDUE": day(created + 30),
        "CURRENCY": currency,
        "BASECURR": base,
        "EXCHRATE": str(rate),
        "TOTAL": money(sum(parse_money_cents(e["TOTAL"]) for e in entries)),
        "TRX_TOTAL": money(sum(parse_money_cents(e["TRX_TOTAL"]) for e in entries)),
        "PRRECORDKEY": "",
        "WHENMODIFIED": ap.c.stamp(stamp),
        **ap.tail(entity),
    }
    ap.rows["PODOCUMENT"].append(header)
    ap.rows["PODOCUMENTENTRY"].extend(entries)
    return header

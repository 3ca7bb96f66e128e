"""Row builders for the transactional objects (one method per object, index -> row of strings).

Speed matters (a benchmark reads a million wide APBILL rows through the sandbox): APBILL rows are built as
value tuples (`apbill_values`) from a constant prefix, a per-vendor part and per-day parts, so a row costs
only the fields that really vary, and pages render from the tuples without a dict per row (render.py).
"""

from __future__ import annotations

from sandboxes.intacct.catalog import COST_CENTER_OWNERS, SERVICE_PERIOD_FIELDS
from sandboxes.intacct.formats import day, money
from sandboxes.intacct.model import (
    EPOCH_ORDINAL,
    HUGE_LINE_BILL,
    CompanyView,
    Row,
    occurrences,
    paid_report,
    schedule_key,
)
from sandboxes.intacct.model import cycle_entity as _cycle_entity
from sandboxes.intacct.reference_data import (
    ENTITIES,
    ENTITY_LOCATIONS,
    EXPENSE_LINES,
    LINE_DEPARTMENTS,
    VendorSpec,
)

_CODE = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
_STATE_CODES = {"Posted": "A", "Paid": "P", "Draft": "D", "Submitted": "S", "Approved": "A"}
_VENDOR_KEYS = (
    "VENDORID",
    "VENDORNAME",
    "BILLTOPAYTOCONTACTNAME",
    "SHIPTORETURNTOCONTACTNAME",
    "BILLTOPAYTOKEY",
    "SHIPTORETURNTOKEY",
    "PAYTO.TAXID",
    "PAYTOCONTACTNAME",
    "RETURNTOCONTACTNAME",
)
_BASE_KEYS = (
    "STATE",
    "RAWSTATE",
    "DESCRIPTION",
    "WHENCREATED",
    "WHENPOSTED",
    "WHENDISCOUNT",
    "WHENDUE",
    "WHENPAID",
    "BASECURR",
    "CURRENCY",
    "EXCH_RATE_DATE",
    "EXCH_RATE_TYPE_ID",
    "EXCHANGE_RATE",
    "PRBATCH",
    "PRBATCHKEY",
    "MEGAENTITYKEY",
    "MEGAENTITYID",
    "MEGAENTITYNAME",
    "EXCHRATEDATE",
    "EXCHRATETYPE",
    "EXCHRATE",
    "SAAS_CONTRACT_ID",
    "RENEWAL_DATE",
)
_ROW_KEYS = (
    "RECORDNO",
    "RECORDID",
    "TRX_ENTITYDUE",
    "DOCNUMBER",
    "TOTALENTERED",
    "TOTALPAID",
    "TOTALDUE",
    "TRX_TOTALENTERED",
    "TRX_TOTALPAID",
    "TRX_TOTALDUE",
    "MODULEKEY",
    "AUWHENCREATED",
    "WHENMODIFIED",
    "DUE_IN_DAYS",
    "SUPDOCID",
    "VOUCHER_NUMBER",
    "COST_CENTER_OWNER",
)


class Generators:
    """Builds each transactional object's row i from the company layout alone."""

    def __init__(self, company: CompanyView) -> None:
        self.c = company
        self._vendor_parts: dict[int, tuple[str, ...]] = {}
        self._vendor_prefix: dict[int, tuple[str, str]] = {}
        self._bill_day_cache: dict[int, tuple[str, str, str, str, str, str]] = {}
        const: Row = {
            "RECORDTYPE": "pi",
            "FINANCIALENTITY": "",
            "FORM1099TYPE": "",
            "FORM1099BOX": "",
            "VENDTYPE1099TYPE": "",
            "DESCRIPTION2": "",
            "TERMNAME": "Net30",
            "TERMKEY": "14",
            "TERMVALUE": "::#30#:O:",
            "RECPAYMENTDATE": "",
            "PAYMENTPRIORITY": "normal",
            "ONHOLD": "false",
            "TOTALSELECTED": "0",
            "TRX_TOTALSELECTED": "0",
            "SCHOPKEY": "",
            "SYSTEMGENERATED": "F",
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "PAYTO.TAXGROUP.NAME": "",
            "PAYTO.TAXGROUP.RECORDNO": "",
            "INCLUSIVETAX": "false",
            "TAXSOLUTIONKEY": "",
            "TAXSOLUTIONID": "",
            "SHOWMULTILINETAX": "false",
            "TAXMETHOD": "",
            "RETAINAGEPERCENTAGE": "",
            "TRX_TOTALRETAINED": "",
            "TRX_TOTALRELEASED": "",
            "TOTALRETAINED": "",
            "VENDOR_NOTES": "",
        }
        for n, name in enumerate(company.wide_fields):
            const[name] = f"wide value {n + 1}"
        # The key order of an APBILL row dict (and of /admin/objects) is this layout: constants,
        # custom fields, vendor part, bill values.
        self.apbill_constants = tuple(const.values())
        self.apbill_layout = (*const, *_VENDOR_KEYS, *_BASE_KEYS, *_ROW_KEYS)
        # bound once: apbill_values runs for every row of a wide walk
        self._h13, self._h15 = company.hasher(13), company.hasher(15)
        self._vendor_pick = company.vendor_pick
        self._stamp = company.tf.timestamp
        self._apbill_recordno = company.sources_base("APBILL") + 1

    def vendor_part(self, index: int) -> tuple[str, ...]:
        """The APBILL fields that depend only on the vendor (`_VENDOR_KEYS` order), once per vendor."""
        part = self._vendor_parts.get(index)
        if part is None:
            v: VendorSpec = self.c.vendors[index]
            part = (
                self.c.vendor_id(index),
                v.name,
                v.name,
                v.name,
                str(200 + index),
                str(200 + index),
                f"{10 + index % 89}-{self.c.h(61, index) % 10000000:07d}",
                v.name,
                v.name,
            )
            self._vendor_prefix[index] = (
                v.domain.split(".")[0][:4].upper(),
                v.domain.split(".")[0][:3].upper(),
            )
            self._vendor_parts[index] = part
        return part

    def _entity(self, entity: int) -> tuple[str, str, str]:
        return self.c.entity_fields(entity)

    # ------------------------------------------------------------------ AP
    def _bill_days(self, created: int) -> tuple[str, str, str, str, str, str]:
        """The APBILL values that depend only on the creation day: when, due, paid, renewal, batch
        name and batch key. Bounded by the days of the base span (~900)."""
        got = self._bill_day_cache.get(created)
        if got is None:
            when = day(created)
            got = (
                when,
                day(created + 30),
                day(created + 25),
                day(created + 365),
                f"Bills: {when[6:]}/{when[:2]}/{when[3:5]} Batch",
                str(800 + created % 5000),
            )
            self._bill_day_cache[created] = got
        return got

    def apbill(self, i: int) -> Row:
        """APBILL row i (vendor bill header) as a dict, from its value tuple."""
        return dict(zip(self.apbill_layout, self.apbill_values(i), strict=True))

    def apbill_values(self, i: int) -> tuple[str, ...]:
        """APBILL row i in `apbill_layout` order: constants, vendor part, then the values of the bill.

        The wide benchmark serves this at tens of thousands of rows a second, so the per-row work is
        the handful of hashes and formats that really vary; the rest comes from small caches.
        """
        c = self.c
        vi = self._vendor_pick[self._h13(i) % len(self._vendor_pick)]
        vendor = c.vendors[vi]
        currency, base, rate = c.header_currency("APBILL", i)
        trx, total = c.bill_totals(i, vendor.price_cents, rate)
        ts = c.bill_ts(i)
        h15 = self._h15(i)  # one hash, sliced, for the small per-bill choices
        created = ts // 86400 + EPOCH_ORDINAL - h15 % 12
        draft = i == HUGE_LINE_BILL
        paid = i % 2 == 0 and not draft
        when, due, paid_on, renewal, batch, batch_key = self._bill_days(created)
        foreign = currency != base
        rate_s = str(rate)
        key_s, eid, ename = self._entity(_cycle_entity(i))
        vendor_part = self.vendor_part(vi)
        long_prefix, short_prefix = self._vendor_prefix[vi]
        total_s, trx_s = money(total), money(trx)
        stamp = self._stamp
        bill = (
            # _BASE_KEYS
            "Draft" if draft else "Paid" if paid else "Posted",
            "D" if draft else "P" if paid else "A",
            f"{vendor.memo} - {when[:2]}/{when[6:]}",
            when,
            when,
            when,
            due,
            paid_on if paid else "",
            base,
            currency,
            when if foreign else "",
            "Intacct Daily Rate" if foreign else "",
            rate_s,
            batch,
            batch_key,
            key_s,
            eid,
            ename,
            when if foreign else "",
            "Intacct Daily Rate" if foreign else "",
            rate_s,
            f"CTR-{short_prefix}-{when[6:]}-{vi:03d}" if vendor.category else "",
            renewal if vendor.category else "",
            # _ROW_KEYS
            str(self._apbill_recordno + i),
            f"INV-{long_prefix}-{10000 + i}",
            "0" if paid else trx_s,
            f"{_CODE[(h15 >> 3) % 34]}{_CODE[(h15 >> 9) % 34]}{_CODE[(h15 >> 15) % 34]}-{(h15 >> 4) % 1000000:06d}",
            total_s,
            total_s if paid else "0",
            "0" if paid else total_s,
            trx_s,
            trx_s if paid else "0",
            "0" if paid else trx_s,
            "9.PO" if i % 11 == 7 else "3.AP",
            stamp(ts - 3600 * (1 + i % 5)),
            stamp(ts),
            str(max(0, 30 - (h15 >> 12) % 45)),
            f"ATT-{i + 1:06d}" if i % 3 == 0 else "",
            f"VCH-{i + 1:09d}",
            COST_CENTER_OWNERS[(h15 >> 20) % len(COST_CENTER_OWNERS)],
        )
        return self.apbill_constants + vendor_part + bill

    def apbillitem(self, j: int) -> Row:
        """APBILLITEM row j: one line of its bill, amounts in both currencies."""
        c = self.c

        parent, k = c.fanouts["APBILLITEM"].locate(j)
        line = c.lines("APBILL", parent)[k]
        currency, base, rate = c.header_currency("APBILL", parent)
        ts = c.bill_ts(parent)
        key, eid, ename = self._entity(_cycle_entity(parent))
        vi = c.vendor_index(13, parent)
        return {
            "RECORDNO": str(c.sources_base("APBILLITEM") + j + 1),
            "RECORDKEY": str(c.sources_base("APBILL") + parent + 1),
            "LINE_NO": str(k + 1),
            "ACCOUNTNO": line.account,
            "ACCOUNTTITLE": c.account_title(line.account),
            "DEPARTMENTID": line.department,
            "LOCATIONID": line.location,
            "ENTRYDESCRIPTION": line.memo,
            "VENDORID": c.vendor_id(vi),
            "AMOUNT": money(line.amount),
            "TRX_AMOUNT": money(line.trx),
            "CURRENCY": currency,
            "BASECURR": base,
            "EXCHANGE_RATE": str(rate),
            "ENTRY_DATE": day(c.date_of(ts, c.h(15, parent) % 12)),
            # bulk lines carry no service period; the books' SaaS lines do (books_ap.py)
            "AMORTIZATIONTEMPLATEID": "",
            **dict.fromkeys(SERVICE_PERIOD_FIELDS, ""),
            "WHENCREATED": c.stamp(ts - 3600 * (1 + parent % 5)),
            "WHENMODIFIED": c.stamp(ts),
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": key,
            "MEGAENTITYID": eid,
            "MEGAENTITYNAME": ename,
        }

    def appymt(self, p: int) -> Row:
        """APPYMT row p: the payment of bill 2p, 20 days after the bill, with its method."""
        c = self.c

        bill = 2 * p
        entity = _cycle_entity(bill)
        lines = c.lines("APBILL", bill)
        currency, base, rate = c.header_currency("APBILL", bill)
        ts = c.bill_ts(bill) + 20 * 86400
        vi = c.vendor_index(13, bill)
        created = c.date_of(c.bill_ts(bill), c.h(15, bill) % 12) + 25
        # No bulk payment is by card: a card payment comes with the card transaction Intacct
        # creates for it, which only the books data models (books_ap.py).
        method = ("ACH", "EFT", "Printed Check", "EFT", "ACH", "Wire")[c.h(71, p) % 6]
        key, eid, ename = self._entity(entity)
        return {
            "RECORDNO": str(c.sources_base("APPYMT") + p + 1),
            "DOCNUMBER": f"{'CHK' if method == 'Printed Check' else 'PAY'}-{p + 1:06d}",
            "VENDORID": c.vendor_id(vi),
            "VENDORNAME": c.vendors[vi].name,
            "FINANCIALENTITY": ENTITIES[entity].bank_account,
            "PAYMENTMETHOD": method,
            "STATE": "Voided" if bill == HUGE_LINE_BILL else "Complete",
            "WHENCREATED": day(created),
            "WHENPAID": day(created),
            "CURRENCY": currency,
            "BASECURR": base,
            "EXCHANGE_RATE": str(rate),
            "TOTALENTERED": money(sum(line.amount for line in lines)),
            "TRX_TOTALENTERED": money(sum(line.trx for line in lines)),
            "WHENMODIFIED": c.stamp(ts),
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": key,
            "MEGAENTITYID": eid,
            "MEGAENTITYNAME": ename,
        }

    def appymtdetail(self, j: int) -> Row:
        """APPYMTDETAIL row j: the part of a payment applied to one bill line."""
        c = self.c

        p, k = c.fanouts["APPYMTDETAIL"].locate(j)
        bill = 2 * p
        line = c.lines("APBILL", bill)[k]
        currency, _, _ = c.header_currency("APBILL", bill)
        created = c.date_of(c.bill_ts(bill), c.h(15, bill) % 12) + 25
        key, eid, ename = self._entity(_cycle_entity(bill))
        return {
            "RECORDNO": str(c.sources_base("APPYMTDETAIL") + j + 1),
            "PAYMENTKEY": str(c.sources_base("APPYMT") + p + 1),
            "RECORDKEY": str(c.sources_base("APBILL") + bill + 1),
            "ENTRYKEY": str(
                c.sources_base("APBILLITEM") + c.fanouts["APBILLITEM"].first_child(bill) + k + 1
            ),
            "PAYMENTAMOUNT": money(line.amount),
            "TRX_PAYMENTAMOUNT": money(line.trx),
            "CURRENCY": currency,
            "WHENCREATED": day(created),
            "WHENMODIFIED": c.stamp(c.bill_ts(bill) + 20 * 86400),
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": key,
            "MEGAENTITYID": eid,
            "MEGAENTITYNAME": ename,
        }

    # ------------------------------------------------------------------ cards
    def descriptor(self, vendor: VendorSpec, i: int) -> str:
        """The card statement line of vendor's charge i; its code and digits come from the seed."""
        return vendor.descriptor.format(
            c=self.c.code(25, i, 8), d=f"{self.c.h(26, i) % 10000000:07d}"
        )

    def cctransaction(self, i: int) -> Row:
        """CCTRANSACTION row i: a card charge header (three in four paid) and its totals."""
        c = self.c

        entity = _cycle_entity(i)
        vi = c.vendor_index(23, i)
        vendor = c.vendors[vi]
        lines = c.lines("CCTRANSACTION", i)
        currency, base, rate = c.header_currency("CCTRANSACTION", i)
        ts = c.cc_ts(i)
        created = c.date_of(ts, 1 + c.h(27, i) % 4)
        paid = i % 4 != 3
        total, trx = money(sum(x.amount for x in lines)), money(sum(x.trx for x in lines))
        key, eid, ename = self._entity(entity)
        return {
            "RECORDNO": str(c.sources_base("CCTRANSACTION") + i + 1),
            "RECORDID": f"CC-{created % 100000:05d}-{i % 1000:03d}",
            "FINANCIALENTITY": ENTITIES[entity].card_account,
            "DESCRIPTION": self.descriptor(vendor, i),
            "PAYEE": vendor.payee or vendor.name,
            "STATE": "Paid" if paid else "Posted",
            "RAWSTATE": "P" if paid else "A",
            "CLEARED": "true" if paid else "false",
            "WHENCREATED": day(created),
            "WHENPAID": day(created + 20) if paid else "",
            "AUWHENCREATED": c.stamp(ts - 600),
            "CURRENCY": currency,
            "BASECURR": base,
            "EXCHANGE_RATE": str(rate),
            "TOTALENTERED": total,
            "TRX_TOTALENTERED": trx,
            "TOTALPAID": total if paid else "0",
            "TRX_TOTALPAID": trx if paid else "0",
            "TOTALSELECTED": "0",
            "TRX_TOTALSELECTED": "0",
            "TOTALDUE": "0" if paid else total,
            "TRX_TOTALDUE": "0" if paid else trx,
            "INCLUSIVETAX": "false",
            "TAXSOLUTIONID": "",
            "TAXMETHOD": "",
            "WHENMODIFIED": c.stamp(ts),
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": key,
            "MEGAENTITYID": eid,
            "MEGAENTITYNAME": ename,
        }

    def cctransactionentry(self, j: int) -> Row:
        """CCTRANSACTIONENTRY row j: one line of its card charge, amounts in both currencies."""
        c = self.c

        parent, k = c.fanouts["CCTRANSACTIONENTRY"].locate(j)
        line = c.lines("CCTRANSACTION", parent)[k]
        currency, base, rate = c.header_currency("CCTRANSACTION", parent)
        ts = c.cc_ts(parent)
        key, eid, ename = self._entity(_cycle_entity(parent))
        vi = c.vendor_index(23, parent)
        return {
            "RECORDNO": str(c.sources_base("CCTRANSACTIONENTRY") + j + 1),
            "RECORDKEY": str(c.sources_base("CCTRANSACTION") + parent + 1),
            "LINE_NO": str(k + 1),
            "ACCOUNTNO": line.account,
            "ACCOUNTTITLE": c.account_title(line.account),
            "DEPARTMENTID": line.department,
            "LOCATIONID": line.location,
            "DESCRIPTION": line.memo,
            "VENDORID": c.vendor_id(vi) if parent % 5 == 0 else "",
            "AMOUNT": money(line.amount),
            "TRX_AMOUNT": money(line.trx),
            "CURRENCY": currency,
            "BASECURR": base,
            "EXCHANGE_RATE": str(rate),
            "ENTRY_DATE": day(c.date_of(ts, 1 + c.h(27, parent) % 4)),
            "WHENMODIFIED": c.stamp(ts),
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": key,
            "MEGAENTITYID": eid,
            "MEGAENTITYNAME": ename,
        }

    # ------------------------------------------------------------------ employee expenses
    def _report_state(self, r: int) -> str:
        return "Paid" if r % 3 in (0, 1) else ("Approved", "Submitted", "Draft", "Declined")[r % 4]

    def eexpenses(self, r: int) -> Row:
        """EEXPENSES row r: an expense report header, its state and totals."""
        c = self.c

        entity = _cycle_entity(r)
        lines = c.lines("EEXPENSES", r)
        currency, base, _ = c.header_currency("EEXPENSES", r)
        ts = c.ee_ts(r)
        created = c.date_of(ts, 2 + c.h(35, r) % 5)
        state = self._report_state(r)
        total, trx = sum(x.amount for x in lines), sum(x.trx for x in lines)
        key, eid, ename = self._entity(entity)
        when = day(created)
        return {
            "RECORDNO": str(c.sources_base("EEXPENSES") + r + 1),
            "RECORDID": f"ER-{r + 1:05d}",
            "EMPLOYEEID": c.employee(36, r),
            "DESCRIPTION": f"Expenses {when[:2]}/{when[6:]} - {lines[0].memo}",
            "MEMO": "",
            "STATE": state,
            "RAWSTATE": _STATE_CODES.get(state, "A"),
            "WHENCREATED": when,
            "WHENPOSTED": when if state in ("Paid", "Approved") else "",
            "CURRENCY": currency,
            "BASECURR": base,
            "TOTALENTERED": money(total),
            "TRX_TOTALENTERED": money(trx),
            "TOTALPAID": money(total) if state == "Paid" else "0",
            "TOTALDUE": "0" if state == "Paid" else money(total),
            "WHENMODIFIED": c.stamp(ts),
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": key,
            "MEGAENTITYID": eid,
            "MEGAENTITYNAME": ename,
        }

    def eexpensesitem(self, j: int) -> Row:
        """EEXPENSESITEM row j: one line of its expense report, with its expense type."""
        c = self.c

        parent, k = c.fanouts["EEXPENSESITEM"].locate(j)
        line = c.lines("EEXPENSES", parent)[k]
        currency, base, rate = c.header_currency("EEXPENSES", parent)
        ts = c.ee_ts(parent)
        key, eid, ename = self._entity(_cycle_entity(parent))
        expense_type = next(e[0] for e in EXPENSE_LINES if e[2] == line.memo)
        return {
            "RECORDNO": str(c.sources_base("EEXPENSESITEM") + j + 1),
            "RECORDKEY": str(c.sources_base("EEXPENSES") + parent + 1),
            "LINE_NO": str(k + 1),
            "EXPENSETYPE": expense_type,
            "ACCOUNTNO": line.account,
            "DEPARTMENTID": line.department,
            "LOCATIONID": line.location,
            "DESCRIPTION": line.memo,
            "VENDORID": "",
            "AMOUNT": money(line.amount),
            "TRX_AMOUNT": money(line.trx),
            "CURRENCY": currency,
            "BASECURR": base,
            "EXCHANGE_RATE": str(rate),
            "ENTRY_DATE": day(c.date_of(ts, 3 + k)),
            "WHENMODIFIED": c.stamp(ts),
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": key,
            "MEGAENTITYID": eid,
            "MEGAENTITYNAME": ename,
        }

    def eppayment(self, q: int) -> Row:
        """EPPAYMENT row q: the reimbursement of the expense report that payment q pays."""
        c = self.c

        r = paid_report(q)
        entity = _cycle_entity(r)
        lines = c.lines("EEXPENSES", r)
        currency, base, _ = c.header_currency("EEXPENSES", r)
        ts = c.ee_ts(r) + 7 * 86400
        paid = c.date_of(ts, 1)
        key, eid, ename = self._entity(entity)
        return {
            "RECORDNO": str(c.sources_base("EPPAYMENT") + q + 1),
            "EMPLOYEEID": c.employee(36, r),
            "FINANCIALENTITY": ENTITIES[entity].bank_account,
            "PAYMENTMETHOD": "ACH" if entity == 0 else "EFT",
            "STATE": "Complete",
            "WHENCREATED": day(paid),
            "WHENPAID": day(paid),
            "CURRENCY": currency,
            "BASECURR": base,
            "TOTALENTERED": money(sum(x.amount for x in lines)),
            "TRX_TOTALENTERED": money(sum(x.trx for x in lines)),
            "DESCRIPTION": f"Reimbursement ER-{r + 1:05d}",
            "RECORDKEY": str(c.sources_base("EEXPENSES") + r + 1),
            "WHENMODIFIED": c.stamp(ts),
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": key,
            "MEGAENTITYID": eid,
            "MEGAENTITYNAME": ename,
        }

    # ------------------------------------------------------------------ purchasing
    def _doc_kind(self, d: int) -> tuple[str, str]:
        if d % 7 == 6:
            return "Vendor Invoice", "VI"
        if d % 5 == 4:
            return "Purchase Requisition", "PR"
        return "Purchase Order", "PO"

    def podocument(self, d: int) -> Row:
        """PODOCUMENT row d: a purchasing document (order, invoice or requisition) header."""
        c = self.c

        entity = _cycle_entity(d)
        vi = c.po_vendor(d)
        lines = c.lines("PODOCUMENT", d)
        currency, base, rate = c.header_currency("PODOCUMENT", d)
        ts = c.po_ts(d)
        created = c.date_of(ts, 1)
        docpar, prefix = self._doc_kind(d)
        docno = f"{prefix}-{d + 1:05d}"
        key, eid, ename = self._entity(entity)
        state = {"Vendor Invoice": "Converted", "Purchase Requisition": "Pending"}.get(
            docpar, "Closed" if d % 3 else "Pending"
        )
        bills = c.headers["APBILL"]
        return {
            "RECORDNO": str(c.sources_base("PODOCUMENT") + d + 1),
            "DOCNO": docno,
            "DOCID": f"{docpar}-{docno}",
            "DOCPARID": docpar,
            "STATE": state,
            "CUSTVENDID": c.vendor_id(vi),
            "CUSTVENDNAME": c.vendors[vi].name,
            "WHENCREATED": day(created),
            "WHENDUE": day(created + 30),
            "CURRENCY": currency,
            "BASECURR": base,
            "EXCHRATE": str(rate),
            "TOTAL": money(sum(x.amount for x in lines)),
            "TRX_TOTAL": money(sum(x.trx for x in lines)),
            "PRRECORDKEY": str(c.sources_base("APBILL") + (d * 7) % bills + 1)
            if docpar == "Vendor Invoice"
            else "",
            "WHENMODIFIED": c.stamp(ts),
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": key,
            "MEGAENTITYID": eid,
            "MEGAENTITYNAME": ename,
        }

    def podocumententry(self, j: int) -> Row:
        """PODOCUMENTENTRY row j: one line of its document, with quantity and unit price."""
        c = self.c

        parent, k = c.fanouts["PODOCUMENTENTRY"].locate(j)
        line = c.lines("PODOCUMENT", parent)[k]
        currency, _, _ = c.header_currency("PODOCUMENT", parent)
        ts = c.po_ts(parent)
        qty_s, memo = line.memo.split("|", 1)
        qty = int(qty_s)
        docpar, prefix = self._doc_kind(parent)
        key, eid, ename = self._entity(_cycle_entity(parent))
        price = money(line.trx // qty)
        return {
            "RECORDNO": str(c.sources_base("PODOCUMENTENTRY") + j + 1),
            "DOCHDRNO": str(c.sources_base("PODOCUMENT") + parent + 1),
            "DOCHDRID": f"{docpar}-{prefix}-{parent + 1:05d}",
            "LINE_NO": str(k + 1),
            "ITEMID": f"SVC-{line.account}",
            "ITEMDESC": memo,
            "QUANTITY": str(qty),
            "PRICE": price,
            "UIPRICE": price,
            "TOTAL": money(line.amount),
            "TRX_TOTAL": money(line.trx),
            "DEPARTMENTID": line.department,
            "LOCATIONID": line.location,
            "CURRENCY": currency,
            "WHENCREATED": c.stamp(ts - 7200),
            "WHENMODIFIED": c.stamp(ts),
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": key,
            "MEGAENTITYID": eid,
            "MEGAENTITYNAME": ename,
        }

    def _recurring(self, i: int) -> tuple[VendorSpec, str, int]:
        """Recurring bill i's vendor, REPEATBY and total (entity currency cents)."""
        vendor = self.c.vendors[self.c.vendor_index(53, i)]
        repeat = ("Months", "Months", "Years", "Weeks")[i % 4]
        return vendor, repeat, vendor.price_cents * (12 if repeat == "Years" else 1)

    def aprecurbill(self, i: int) -> Row:
        """APRECURBILL row i: a vendor's recurring bill, repeated by month, year or week."""
        c = self.c

        entity = _cycle_entity(i)
        vi = c.vendor_index(53, i)
        vendor, repeat, total = self._recurring(i)
        ts = c.rb_ts(i)
        start = c.date_of(ts, 3)
        end = start + 730 if i % 3 else None
        active = i % 9 != 8
        interval = 1 if repeat != "Weeks" else 2
        runs = occurrences(start, repeat, interval, end, c.date_of(c.data_end))
        following = occurrences(start, repeat, interval, end, 10**6, len(runs) + 1)
        upcoming = following[len(runs)] if active and len(following) > len(runs) else None
        key, eid, ename = self._entity(entity)
        recordno = c.sources_base("APRECURBILL") + i + 1
        return {
            "RECORDNO": str(recordno),
            "VENDORID": c.vendor_id(vi),
            "VENDORNAME": vendor.name,
            "DESCRIPTION": f"Recurring: {vendor.memo}",
            "STARTDATE": day(start),
            "ENDDATE": "" if end is None else day(end),
            "REPEATBY": repeat,
            "REPEATINTERVAL": str(interval),
            "NEXTEXECDATE": "" if upcoming is None else day(upcoming),
            "LASTEXECDATE": day(runs[-1]) if runs else "",
            "EXECCOUNT": str(len(runs)),
            "SCHOPKEY": str(schedule_key(recordno)),
            "CURRENCY": ENTITIES[entity].currency,
            "TOTALENTERED": money(total),
            "TRX_TOTALENTERED": money(total),
            "STATUS": "active" if active else "inactive",
            "WHENCREATED": c.stamp(ts - 86400),
            "WHENMODIFIED": c.stamp(ts),
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": key,
            "MEGAENTITYID": eid,
            "MEGAENTITYNAME": ename,
        }

    def aprecurbillentry(self, j: int) -> Row:
        """Line j of the recurring bills' entries (APRECURBILLENTRY), under its schedule."""
        c = self.c

        fan = c.fanouts["APRECURBILLENTRY"]
        parent, k = fan.locate(j)
        vendor, _, total = self._recurring(parent)
        # one line carries the total; of two, the add-on is a quarter of it
        amounts = [total] if fan.lines(parent) == 1 else [total - total // 4, total // 4]
        entity = _cycle_entity(parent)
        currency = ENTITIES[entity].currency
        hv = c.h(54, parent * 4 + k)
        ts = c.rb_ts(parent)
        key, eid, ename = self._entity(entity)
        return {
            "RECORDNO": str(c.sources_base("APRECURBILLENTRY") + j + 1),
            "RECORDKEY": str(c.sources_base("APRECURBILL") + parent + 1),
            "LINE_NO": str(k + 1),
            "ACCOUNTNO": vendor.account,
            "ACCOUNTTITLE": c.account_title(vendor.account),
            "DEPARTMENTID": LINE_DEPARTMENTS[hv % len(LINE_DEPARTMENTS)],
            "LOCATIONID": ENTITY_LOCATIONS[entity][(hv >> 8) % len(ENTITY_LOCATIONS[entity])],
            "ENTRYDESCRIPTION": vendor.memo if k == 0 else f"{vendor.memo} - add-on",
            "AMOUNT": money(amounts[k]),
            "TRX_AMOUNT": money(amounts[k]),
            "CURRENCY": currency,
            "BASECURR": currency,
            "WHENCREATED": c.stamp(ts - 86400),
            "WHENMODIFIED": c.stamp(ts),
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": key,
            "MEGAENTITYID": eid,
            "MEGAENTITYNAME": ename,
        }

"""Rows of the objects beyond AP (definitions: more_catalog.py): AR, customers, employees, items,
tasks, dimensions, custom objects.

Everything here is small master or transaction data, so rows are materialised once (deterministic in the
seed) and served as static sources. AR invoice totals are the exact sums of their lines.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sandboxes.intacct.catalog import ObjectDef
from sandboxes.intacct.formats import day, money
from sandboxes.intacct.model import EPOCH_ORDINAL, Row
from sandboxes.intacct.reference_data import DEPARTMENTS, EMPLOYEES, ENTITIES, LOCATIONS

#: Demo-scale row counts.
N_CUSTOMERS, N_ITEMS, N_INVOICES, N_CONTRACTS = 40, 30, 300, 25

_COSTCENTERS: tuple[tuple[str, str], ...] = (
    ("CC-100", "Platform"),
    ("CC-200", "Growth"),
    ("CC-300", "Back office"),
    ("CC-400", "Field"),
    ("CC-500", "Research"),
    ("CC-900", "Unassigned"),
)
_CHANNELS = (
    ("CH-WEB", "Web"),
    ("CH-PARTNER", "Partner"),
    ("CH-DIRECT", "Direct"),
    ("CH-MKT", "Marketplace"),
)
_PROJECTS = ("P-ERP", "P-SSO", "P-DW", "P-OFFICE")
_SEAT_ROLES = ("admin", "member", "viewer")
#: Base data spans 2023-01-01 .. 2025-06-30 (as company.py).
_T0, _T1 = 1672531200, 1751241600

# Employees' names (example.com addresses: the domain reserved for examples, RFC 2606).
_FIRST_NAMES = ("Ada", "Bruno", "Chiara", "Dmitri", "Emeka", "Fatima", "Greta", "Hiro", "Ines")
_LAST_NAMES = ("Lindqvist", "Okafor", "Rossi", "Tanaka", "Novak", "Haddad", "Moreau")


class RowBuilder:
    """Rows of this module's objects from (seed-derived hash, stamp formatter)."""

    def __init__(self, h: Callable[[int, int], int], stamp: Callable[[int], str]) -> None:
        self.h, self.stamp = h, stamp

    def _when(self, salt: int, n: int, count: int) -> int:
        span = _T1 - _T0
        return _T0 + (n * span) // max(count, 1) + self.h(salt, n) % 3600

    def _common(self, created: int | None, modified: int | None, entity: int = -1) -> Row:
        """WHENCREATED (a TIMESTAMP; None where the object's WHENCREATED is a business DATE),
        WHENMODIFIED (None: the object has none), the audit and entity fields."""
        row = {"CREATEDBY": "1", "MODIFIEDBY": "1"}
        if created is not None:
            row["WHENCREATED"] = self.stamp(created)
        if modified is not None:
            row["WHENMODIFIED"] = self.stamp(modified)
        e = ENTITIES[entity] if entity >= 0 else None
        row["MEGAENTITYKEY"] = str(e.recordno) if e else ""
        row["MEGAENTITYID"] = e.location_id if e else ""
        row["MEGAENTITYNAME"] = e.name if e else ""
        return row

    def all_rows(self, catalog: dict[str, ObjectDef]) -> dict[str, list[Row]]:
        """Every object's rows, restricted to the fields its definition lists."""
        invoices, lines = self.invoices()
        rows = {
            "CUSTOMER": self.customers(),
            "EMPLOYEE": self.employees(),
            "ITEM": self.items(),
            "TASK": self.tasks(),
            "ARINVOICE": invoices,
            "ARINVOICEITEM": lines,
            "ARPAYMENT": self.payments(invoices),
            "costcenter": self.dimension(_COSTCENTERS, 71, with_description=True),
            "channel": self.dimension(_CHANNELS, 72, with_description=False),
            "saas_contract": self.contracts(),
            "saas_contract_seat": self.seats(),
            "GLBUDGETHEADER": self.budgets(),
            "REPORTINGPERIOD": self.periods(),
        }
        for name in catalog:
            if name.startswith("x_object_"):
                rows[name] = self.generated(int(name[-3:]))
        return rows

    def customers(self) -> list[Row]:
        """CUSTOMER rows: the company's customers, each with a CUSTOMERID."""
        out = []
        for n in range(N_CUSTOMERS):
            created = self._when(80, n, N_CUSTOMERS) - 400 * 86400
            out.append(
                {
                    "RECORDNO": str(n + 1),
                    "CUSTOMERID": f"CUST-{n + 1:04d}",
                    "NAME": f"Customer {n + 1:03d} Holdings",
                    "CUSTTYPE": ("Enterprise", "Mid-market", "SMB")[n % 3],
                    "STATUS": "inactive" if n % 13 == 12 else "active",
                    "CURRENCY": ENTITIES[n % 3].currency,
                    "TOTALDUE": money(self.h(81, n) % 2000000),
                    "CREDITLIMIT": money((1 + n % 4) * 5000000),
                    "DISPLAYCONTACT.EMAIL1": f"ap@customer{n + 1:03d}.example",
                    "TERMNAME": ("Net 30", "Net 45", "Net 60")[n % 3],
                    **self._common(created, created + 3600),
                }
            )
        return out

    def employees(self) -> list[Row]:
        """EMPLOYEE rows: the staff who submit expense reports and own tools."""
        out = []
        for n, eid in enumerate(EMPLOYEES):
            created = _T0 - 300 * 86400 + n * 86400
            location = LOCATIONS[3 + n % (len(LOCATIONS) - 3)][0]
            first, last = _FIRST_NAMES[n % len(_FIRST_NAMES)], _LAST_NAMES[n % len(_LAST_NAMES)]
            # Every fifth is a contractor without a company e-mail address on file.
            email = "" if n % 5 == 4 else f"{first}.{last}@example.com".lower()
            out.append(
                {
                    "RECORDNO": str(n + 1),
                    "EMPLOYEEID": eid,
                    "PERSONALINFO.CONTACTNAME": f"{last}, {first}",
                    "PERSONALINFO.FIRSTNAME": first,
                    "PERSONALINFO.LASTNAME": last,
                    "PERSONALINFO.EMAIL1": email,
                    "TITLE": ("Engineer", "Manager", "Analyst", "Designer")[n % 4],
                    "DEPARTMENTID": DEPARTMENTS[n % 6][0],
                    "LOCATIONID": location,
                    "STARTDATE": day(created // 86400 + EPOCH_ORDINAL),
                    "STATUS": "active",
                    "CURRENCY": "USD",
                    **self._common(created, created + 7200),
                }
            )
        return out

    def items(self) -> list[Row]:
        """ITEM rows: the products and services AR invoices sell."""
        out = []
        for n in range(N_ITEMS):
            created = _T0 - 100 * 86400 + n * 3600
            price = 1000 + self.h(83, n) % 90000
            out.append(
                {
                    "RECORDNO": str(n + 1),
                    "ITEMID": f"ITEM-{n + 1:03d}",
                    "NAME": f"Subscription tier {n + 1}",
                    "ITEMTYPE": ("Non-Inventory", "Non-Inventory (Sales only)", "Inventory")[n % 3],
                    "STATUS": "active",
                    "BASEPRICE": money(price),
                    "STANDARD_COST": money(price // 3),
                    "GLACCOUNT": "4000",
                    **self._common(created, created + 60),
                }
            )
        return out

    def tasks(self) -> list[Row]:
        """TASK rows: tasks of the company's projects."""
        out = []
        for n in range(len(_PROJECTS) * 5):
            project = n // 5
            created = _T0 + n * 86400
            out.append(
                {
                    "RECORDNO": str(n + 1),
                    "TASKID": f"T-{n + 1:03d}",
                    "NAME": f"{_PROJECTS[project]} phase {n % 5 + 1}",
                    "PROJECTID": _PROJECTS[project],
                    "PROJECTKEY": str(project + 1),
                    "STATUS": "active",
                    "PLANNEDBEGINDATE": day(created // 86400 + EPOCH_ORDINAL),
                    "PLANNEDENDDATE": day(created // 86400 + EPOCH_ORDINAL + 30),
                    "BUDGETQTY": f"{10 + self.h(84, n) % 200}.5",
                    **self._common(created, created + 600),
                }
            )
        return out

    def invoices(self) -> tuple[list[Row], list[Row]]:
        """AR invoices and their lines: a header's totals are the exact sums of its lines."""
        headers: list[Row] = []
        lines: list[Row] = []
        for i in range(N_INVOICES):
            modified = self._when(85, i, N_INVOICES)
            entity = i % 3
            currency = ENTITIES[entity].currency
            rate = Decimal("1.0834567891") if i % 11 == 5 else Decimal(1)
            trx_total = amount_total = 0
            header_no = 3000 + i + 1
            for k in range(1 + i % 3):
                trx = 5000 + self.h(86, i * 4 + k) % 500000
                amount = int((Decimal(trx) * rate).quantize(Decimal(1), ROUND_HALF_UP))
                trx_total, amount_total = trx_total + trx, amount_total + amount
                lines.append(
                    {
                        "RECORDNO": str(9000 + len(lines) + 1),
                        "RECORDKEY": str(header_no),
                        "LINE_NO": str(k + 1),
                        "ACCOUNTNO": "4000",
                        "ITEMID": f"ITEM-{self.h(87, i) % N_ITEMS + 1:03d}",
                        "ENTRYDESCRIPTION": f"Subscription {i + 1}/{k + 1}",
                        "DEPARTMENTID": DEPARTMENTS[k % 6][0],
                        "LOCATIONID": "",
                        "PROJECTID": _PROJECTS[i % 4] if k == 0 else "",
                        "CLASSID": "C-SAAS",
                        "TASKID": f"T-{(i % 4) * 5 + 1:03d}" if k == 0 else "",
                        "GLDIMCOSTCENTER": _COSTCENTERS[(i + k) % len(_COSTCENTERS)][0],
                        "GLDIMCHANNEL": _CHANNELS[i % len(_CHANNELS)][0] if k < 2 else "",
                        "AMOUNT": money(amount),
                        "TRX_AMOUNT": money(trx),
                        "CURRENCY": currency,
                        "BASECURR": currency,
                        "EXCHANGE_RATE": str(rate),
                        "ENTRY_DATE": day(modified // 86400 + EPOCH_ORDINAL),
                        **self._common(modified, modified, entity),
                    }
                )
            paid = i % 4 == 0
            headers.append(
                {
                    "RECORDNO": str(header_no),
                    "RECORDID": f"INV-{i + 1:05d}",
                    "DOCNUMBER": f"INV-{i + 1:05d}",
                    "CUSTOMERID": f"CUST-{i % N_CUSTOMERS + 1:04d}",
                    "CUSTOMERNAME": f"Customer {i % N_CUSTOMERS + 1:03d} Holdings",
                    "STATE": "Paid" if paid else "Posted",
                    "WHENCREATED": day(modified // 86400 + EPOCH_ORDINAL),
                    "WHENDUE": day(modified // 86400 + EPOCH_ORDINAL + 30),
                    "WHENPAID": day(modified // 86400 + EPOCH_ORDINAL + 20) if paid else "",
                    "AUWHENCREATED": self.stamp(modified),
                    "CURRENCY": currency,
                    "BASECURR": currency,
                    "EXCHANGE_RATE": str(rate),
                    "TOTALENTERED": money(amount_total),
                    "TRX_TOTALENTERED": money(trx_total),
                    "TOTALPAID": money(amount_total if paid else 0),
                    "TOTALDUE": money(0 if paid else amount_total),
                    "SUPDOCID": "",
                    **self._common(None, modified, entity),
                }
            )
        return headers, lines

    def payments(self, invoices: list[Row]) -> list[Row]:
        """ARPAYMENT rows paying some of `invoices`, never more than an invoice's total."""
        out = []
        for n, invoice in enumerate(inv for inv in invoices if inv["STATE"] == "Paid"):
            modified = self._when(88, n, N_INVOICES // 4) + 20 * 86400
            out.append(
                {
                    "RECORDNO": str(700 + n + 1),
                    "DOCNUMBER": f"RCPT-{n + 1:05d}",
                    "CUSTOMERID": invoice["CUSTOMERID"],
                    "CUSTOMERNAME": invoice["CUSTOMERNAME"],
                    "PAYMENTMETHOD": ("EFT", "Printed Check", "Credit Card", "Cash")[n % 4],
                    "STATE": "Complete",
                    "WHENCREATED": invoice["WHENPAID"],
                    "WHENPAID": invoice["WHENPAID"],
                    "CURRENCY": invoice["CURRENCY"],
                    "BASECURR": invoice["BASECURR"],
                    "TOTALENTERED": invoice["TOTALENTERED"],
                    "TRX_TOTALENTERED": invoice["TRX_TOTALENTERED"],
                    "INVOICEKEY": invoice["RECORDNO"],
                    # in the entity of the invoice it pays
                    **self._common(None, modified, (int(invoice["RECORDNO"]) - 3001) % 3),
                }
            )
        return out

    def dimension(
        self, values: tuple[tuple[str, str], ...], salt: int, *, with_description: bool
    ) -> list[Row]:
        """Rows of a user-defined dimension: one per (ID, name) of `values`."""
        out = []
        for n, (ident, name) in enumerate(values):
            created = _T0 - 30 * 86400 + n * 3600 + self.h(salt, n) % 600
            row = {
                "RECORDNO": str(n + 1),
                "ID": ident,
                "NAME": name,
                "STATUS": "active",
                "WHENCREATED": self.stamp(created),
                "WHENMODIFIED": self.stamp(created + 60),
                "CREATEDBY": "1",
                "MODIFIEDBY": "1",
            }
            if with_description:
                row["DESCRIPTION"] = f"{name} cost center"
            out.append(row)
        return out

    def contracts(self) -> list[Row]:
        """Rows of the custom object saas_contract."""
        out = []
        for n in range(N_CONTRACTS):
            created = self._when(89, n, N_CONTRACTS)
            start = created // 86400 + EPOCH_ORDINAL
            out.append(
                {
                    "RECORDNO": str(n + 1),
                    "NAME": f"Contract {n + 1:03d}",
                    "VENDORID": f"V-{n % 10 + 1:05d}",
                    "START_DATE": day(start),
                    "END_DATE": day(start + 365),
                    "ANNUAL_VALUE": money(100000 + self.h(90, n) % 5000000),
                    "SEATS": str(2 + n % 4),
                    "AUTO_RENEW": "true" if n % 2 else "false",
                    "WHENCREATED": self.stamp(created),
                    "WHENMODIFIED": self.stamp(created + 86400),
                    "CREATEDBY": "1",
                    "MODIFIEDBY": "1",
                }
            )
        return out

    def seats(self) -> list[Row]:
        """Rows of the custom object saas_contract_seat, each naming its contract (RSAAS_CONTRACT)."""
        out: list[Row] = []
        for n in range(N_CONTRACTS):
            created = self._when(89, n, N_CONTRACTS) + 2 * 86400
            for k in range(2 + n % 4):
                out.append(
                    {
                        "RECORDNO": str(len(out) + 1),
                        "RSAAS_CONTRACT": str(n + 1),
                        "EMPLOYEEID": EMPLOYEES[(n + k) % len(EMPLOYEES)],
                        "ASSIGNED_ON": day(created // 86400 + EPOCH_ORDINAL),
                        "ROLE": _SEAT_ROLES[k % 3],
                        "WHENCREATED": self.stamp(created + k),
                        "WHENMODIFIED": self.stamp(created + k),
                        "CREATEDBY": "1",
                        "MODIFIEDBY": "1",
                    }
                )
        return out

    def budgets(self) -> list[Row]:
        """GLBUDGETHEADER rows: an object without WHENMODIFIED."""
        out = []
        for n, ident in enumerate(("FY2023", "FY2024", "FY2025")):
            created = _T0 + n * 365 * 86400 - 30 * 86400
            row = {
                "RECORDNO": str(n + 1),
                "BUDGETID": ident,
                "DESCRIPTION": f"Operating budget {ident}",
                "ISDEFAULT": "true" if n == 2 else "false",
                "STATUS": "active",
                **self._common(created, None),
            }
            out.append(row)
        return out

    def periods(self) -> list[Row]:
        """REPORTINGPERIOD rows: keyed by NAME, no RECORDNO, which `query` refuses."""
        out = []
        for n in range(30):
            year, month = 2023 + n // 12, n % 12 + 1
            first = _ordinal(year, month, 1)
            last = _ordinal(year + month // 12, month % 12 + 1, 1) - 1
            created = _T0 - 60 * 86400 + n * 60
            out.append(
                {
                    # The store keys rows by RECORDNO; REPORTINGPERIOD has none in its definition,
                    # so this one is never served.
                    "RECORDNO": str(n + 1),
                    "NAME": f"Month Ended {day(last)}",
                    "HEADER1": f"{year}",
                    "HEADER2": f"{month:02d}",
                    "START_DATE": day(first),
                    "END_DATE": day(last),
                    "BUDGETING": "true",
                    "STATUS": "active",
                    "WHENCREATED": self.stamp(created),
                    "WHENMODIFIED": self.stamp(created),
                }
            )
        return out

    def generated(self, n: int) -> list[Row]:
        """Three rows of generated custom object number n (x_object_<n>)."""
        out = []
        for k in range(3):
            created = _T0 + n * 3600 + k * 60
            out.append(
                {
                    "RECORDNO": str(k + 1),
                    "NAME": f"Generated {n:03d}/{k + 1}",
                    "AMOUNT": money(self.h(91, n * 3 + k) % 100000),
                    "QUANTITY": str(k + 1),
                    "ACTIVE": "true",
                    "NOTE": "",
                    "WHENCREATED": self.stamp(created),
                    "WHENMODIFIED": self.stamp(created),
                    "CREATEDBY": "1",
                    "MODIFIEDBY": "1",
                }
            )
        return out


def _ordinal(year: int, month: int, day_: int) -> int:
    return date(year, month, day_).toordinal()


__all__ = ["RowBuilder"]

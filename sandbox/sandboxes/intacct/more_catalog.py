"""Definitions of the objects beyond AP the sandbox serves (rows: more_objects.py).

Field lists follow Sage Intacct's object references (https://developer.intacct.com/api/accounts-receivable/,
/api/company-console/, /api/platform-services/). The special cases, each as Intacct has them:

* `costcenter` and `channel` are user-defined dimensions: platform objects with lower-case names, listed by
  `getDimensions` (https://developer.intacct.com/api/platform-services/dimensions/) and carried on AR
  invoice lines as `GLDIMCOSTCENTER` / `GLDIMCHANNEL` (the dimension record's ID).
* `saas_contract` and `saas_contract_seat` are custom (platform) objects; a seat points to its contract
  through the relationship field `RSAAS_CONTRACT`
  (https://developer.intacct.com/api/platform-services/records/).
* GLBUDGETHEADER has no WHENMODIFIED (it can only be read whole).
* REPORTINGPERIOD has no RECORDNO (keyed by NAME) and `query` refuses it: only `readByQuery` reads it.
* `--extra-objects N` adds N generated custom objects `x_object_001`.. (a company with many objects).
"""

from __future__ import annotations

from sandboxes.intacct.catalog import ObjectDef, Relationship, fields_of

_TAIL = "CREATEDBY:INTEGER MODIFIEDBY:INTEGER MEGAENTITYKEY:INTEGER MEGAENTITYID MEGAENTITYNAME"
_PLATFORM_TAIL = "WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP CREATEDBY:INTEGER MODIFIEDBY:INTEGER"
_STATUS = ("active", "inactive")

#: name -> (fields, valid values, natural id, transaction, relationships)
_DEFS: dict[str, tuple[str, dict[str, tuple[str, ...]], str, bool, list[Relationship]]] = {
    "CUSTOMER": (
        "RECORDNO:INTEGER CUSTOMERID NAME CUSTTYPE STATUS:ENUM CURRENCY TOTALDUE:CURRENCY "
        "CREDITLIMIT:CURRENCY DISPLAYCONTACT.EMAIL1 TERMNAME WHENCREATED:TIMESTAMP "
        "WHENMODIFIED:TIMESTAMP " + _TAIL,
        {"STATUS": _STATUS},
        "CUSTOMERID",
        False,
        [],
    ),
    "EMPLOYEE": (
        "RECORDNO:INTEGER EMPLOYEEID PERSONALINFO.CONTACTNAME PERSONALINFO.FIRSTNAME "
        "PERSONALINFO.LASTNAME PERSONALINFO.EMAIL1 TITLE DEPARTMENTID LOCATIONID "
        "STARTDATE:DATE STATUS:ENUM CURRENCY WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL,
        {"STATUS": _STATUS},
        "EMPLOYEEID",
        False,
        [
            Relationship("DEPARTMENT", "DEPARTMENT", "DEPARTMENTID"),
            Relationship("LOCATION", "LOCATION", "LOCATIONID"),
        ],
    ),
    "ITEM": (
        "RECORDNO:INTEGER ITEMID NAME ITEMTYPE:ENUM STATUS:ENUM BASEPRICE:CURRENCY "
        "STANDARD_COST:CURRENCY GLACCOUNT WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL,
        {
            "STATUS": _STATUS,
            "ITEMTYPE": ("Inventory", "Non-Inventory", "Non-Inventory (Sales only)"),
        },
        "ITEMID",
        False,
        [],
    ),
    "TASK": (
        "RECORDNO:INTEGER TASKID NAME PROJECTID PROJECTKEY:INTEGER STATUS:ENUM PLANNEDBEGINDATE:DATE "
        "PLANNEDENDDATE:DATE BUDGETQTY:DECIMAL WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP "
        + _TAIL,
        {"STATUS": _STATUS},
        "TASKID",
        False,
        [Relationship("PROJECT", "PROJECT", "PROJECTID")],
    ),
    "ARINVOICE": (
        "RECORDNO:INTEGER RECORDID DOCNUMBER CUSTOMERID CUSTOMERNAME STATE:ENUM WHENCREATED:DATE "
        "WHENDUE:DATE WHENPAID:DATE AUWHENCREATED:TIMESTAMP CURRENCY BASECURR EXCHANGE_RATE:DECIMAL "
        "TOTALENTERED:CURRENCY TRX_TOTALENTERED:CURRENCY TOTALPAID:CURRENCY TOTALDUE:CURRENCY "
        "SUPDOCID WHENMODIFIED:TIMESTAMP " + _TAIL,
        {"STATE": ("Draft", "Posted", "Partially Paid", "Paid", "Reversed")},
        "RECORDNO",
        True,
        [Relationship("CUSTOMER", "CUSTOMER", "CUSTOMERID")],
    ),
    "ARINVOICEITEM": (
        "RECORDNO:INTEGER RECORDKEY:INTEGER LINE_NO:INTEGER ACCOUNTNO ITEMID ENTRYDESCRIPTION "
        "DEPARTMENTID LOCATIONID PROJECTID CLASSID TASKID GLDIMCOSTCENTER GLDIMCHANNEL "
        "AMOUNT:CURRENCY TRX_AMOUNT:CURRENCY CURRENCY BASECURR EXCHANGE_RATE:DECIMAL ENTRY_DATE:DATE "
        "WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL,
        {},
        "RECORDNO",
        True,
        [
            Relationship("ARINVOICE", "ARINVOICE", "RECORDKEY"),
            Relationship("ITEM", "ITEM", "ITEMID"),
            Relationship("costcenter", "costcenter", "GLDIMCOSTCENTER"),
            Relationship("channel", "channel", "GLDIMCHANNEL"),
        ],
    ),
    "ARPAYMENT": (
        "RECORDNO:INTEGER DOCNUMBER CUSTOMERID CUSTOMERNAME PAYMENTMETHOD:ENUM STATE:ENUM "
        "WHENCREATED:DATE WHENPAID:DATE CURRENCY BASECURR TOTALENTERED:CURRENCY "
        "TRX_TOTALENTERED:CURRENCY INVOICEKEY:INTEGER WHENMODIFIED:TIMESTAMP " + _TAIL,
        {"PAYMENTMETHOD": ("Printed Check", "EFT", "Credit Card", "Cash"), "STATE": ("Complete",)},
        "RECORDNO",
        True,
        [Relationship("ARINVOICE", "ARINVOICE", "INVOICEKEY")],
    ),
    "costcenter": (
        "RECORDNO:INTEGER ID NAME DESCRIPTION STATUS:ENUM " + _PLATFORM_TAIL,
        {"STATUS": _STATUS},
        "RECORDNO",
        True,
        [],
    ),
    "channel": (
        "RECORDNO:INTEGER ID NAME STATUS:ENUM " + _PLATFORM_TAIL,
        {"STATUS": _STATUS},
        "RECORDNO",
        True,
        [],
    ),
    "saas_contract": (
        "RECORDNO:INTEGER NAME VENDORID START_DATE:DATE END_DATE:DATE ANNUAL_VALUE:CURRENCY "
        "SEATS:INTEGER AUTO_RENEW:BOOLEAN " + _PLATFORM_TAIL,
        {},
        "RECORDNO",
        True,
        [Relationship("VENDOR", "VENDOR", "VENDORID")],
    ),
    "saas_contract_seat": (
        "RECORDNO:INTEGER RSAAS_CONTRACT:INTEGER EMPLOYEEID ASSIGNED_ON:DATE ROLE "
        + _PLATFORM_TAIL,
        {},
        "RECORDNO",
        True,
        [
            Relationship("saas_contract", "saas_contract", "RSAAS_CONTRACT"),
            Relationship("EMPLOYEE", "EMPLOYEE", "EMPLOYEEID"),
        ],
    ),
    "GLBUDGETHEADER": (
        "RECORDNO:INTEGER BUDGETID DESCRIPTION ISDEFAULT:BOOLEAN STATUS:ENUM "
        "WHENCREATED:TIMESTAMP " + _TAIL,
        {"STATUS": _STATUS},
        "RECORDNO",
        True,
        [],
    ),
    "REPORTINGPERIOD": (
        "NAME HEADER1 HEADER2 START_DATE:DATE END_DATE:DATE BUDGETING:BOOLEAN STATUS:ENUM "
        "WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP",
        {"STATUS": _STATUS},
        "NAME",
        False,
        [],
    ),
}

#: Objects `query` refuses; readByQuery reads them.
QUERY_REFUSED = frozenset({"REPORTINGPERIOD"})
#: The user-defined dimensions, as getDimensions names them (object, label).
USER_DIMENSIONS = (("costcenter", "Cost center"), ("channel", "Sales channel"))
LINE_PARENTS_MORE = {"ARINVOICEITEM": ("ARINVOICE", "RECORDKEY")}


def build_more_objects(extra_objects: int = 0) -> dict[str, ObjectDef]:
    """The object definitions of this module, plus `extra_objects` generated custom objects."""
    out: dict[str, ObjectDef] = {}
    for name, (spec, enums, natural, transaction, relationships) in _DEFS.items():
        out[name] = ObjectDef(
            name=name,
            fields=fields_of(spec, enums),
            natural_id=natural,
            parent=LINE_PARENTS_MORE.get(name),
            transaction=transaction,
            relationships=relationships,
            custom=name.islower(),
            query_refused=name in QUERY_REFUSED,
        )
    for n in range(1, extra_objects + 1):
        name = f"x_object_{n:03d}"
        spec = (
            "RECORDNO:INTEGER NAME AMOUNT:CURRENCY QUANTITY:INTEGER ACTIVE:BOOLEAN NOTE "
            + _PLATFORM_TAIL
        )
        out[name] = ObjectDef(name=name, fields=fields_of(spec), transaction=True, custom=True)
    return out


__all__ = ["QUERY_REFUSED", "USER_DIMENSIONS", "build_more_objects"]

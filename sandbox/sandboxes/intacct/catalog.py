"""Object definitions the sandbox serves: field names, lookup DATATYPEs, valid values, relationships.

The field lists are the objects' standard Intacct fields plus the demo company's custom fields. APBILL
is EXACTLY the field list (names and order) of a real APBILL `readByQuery` answer, kept with invented
values in the test fixture
`tests/fixtures/intacct/03_readByQuery_apbill_page1_numremaining_resultId.xml`, plus the custom fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TEXT, INTEGER, DECIMAL, CURRENCY, PERCENT = "TEXT", "INTEGER", "DECIMAL", "CURRENCY", "PERCENT"
DATE, TIMESTAMP, BOOLEAN, ENUM = "DATE", "TIMESTAMP", "BOOLEAN", "ENUM"
NUMERIC_TYPES = frozenset({INTEGER, DECIMAL, CURRENCY, PERCENT})

#: Fields every object carries (contract: "Every object has ...").
COMMON_TAIL = ("CREATEDBY", "MODIFIEDBY", "MEGAENTITYKEY", "MEGAENTITYID", "MEGAENTITYNAME")

#: Fields `query` accepts in `select` on any object although lookup does not list them: real
#: responses carry a RECORD_URL and clients such as sageintacctsdk select it by default.
VIRTUAL_FIELDS = ("RECORD_URL",)


@dataclass(frozen=True)
class FieldDef:
    """One field as `lookup` describes it: name, DATATYPE, label, valid values, custom, required."""

    name: str
    datatype: str
    label: str
    valid_values: tuple[str, ...] = ()
    custom: bool = False
    required: bool = False
    readonly: bool = False


@dataclass(frozen=True)
class Relationship:
    """A `lookup` relationship: the related object and the field that joins them."""

    path: str
    object_name: str
    related_by: str


@dataclass
class ObjectDef:
    """One Intacct object: its fields, natural id, header (for lines) and relationships."""

    name: str
    fields: list[FieldDef]
    natural_id: str = "RECORDNO"
    #: For line objects: (header object, field holding the header RECORDNO).
    parent: tuple[str, str] | None = None
    transaction: bool = False
    relationships: list[Relationship] = field(default_factory=list)
    by_name: dict[str, FieldDef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_name = {f.name: f for f in self.fields}

    @property
    def field_names(self) -> list[str]:
        """The object's field names, in lookup order."""
        return [f.name for f in self.fields]

    def datatype(self, name: str) -> str:
        """A field's DATATYPE (TEXT for a name the object does not have)."""
        found = self.by_name.get(name)
        return found.datatype if found else TEXT

    def selectable(self, name: str) -> bool:
        """Whether `query` may select this name: a field of the object, or a virtual one."""
        return name in self.by_name or name in VIRTUAL_FIELDS


def _label(name: str) -> str:
    return name.replace("_", " ").replace(".", " ").title()


def _fields(spec: str, enums: dict[str, tuple[str, ...]] | None = None) -> list[FieldDef]:
    """Parse `NAME:TYPE NAME:TYPE ...` (TYPE defaults to TEXT); `*` after the name marks a custom field."""
    enums = enums or {}
    out: list[FieldDef] = []
    for token in spec.split():
        name, _, datatype = token.partition(":")
        custom = name.endswith("*")
        name = name.rstrip("*")
        out.append(
            FieldDef(
                name=name,
                datatype=datatype or TEXT,
                label=_label(name),
                valid_values=enums.get(name, ()),
                custom=custom,
                required=name in ("RECORDNO",),
                readonly=name in ("RECORDNO", "WHENMODIFIED", "CREATEDBY", "MODIFIEDBY"),
            )
        )
    return out


_TAIL = "CREATEDBY:INTEGER MODIFIEDBY:INTEGER MEGAENTITYKEY:INTEGER MEGAENTITYID MEGAENTITYNAME"

APBILL_SAMPLE_FIELDS = (
    "RECORDNO:INTEGER RECORDTYPE RECORDID FINANCIALENTITY STATE:ENUM RAWSTATE VENDORID VENDORNAME "
    "FORM1099TYPE FORM1099BOX VENDTYPE1099TYPE TRX_ENTITYDUE:CURRENCY DOCNUMBER DESCRIPTION DESCRIPTION2 "
    "TERMNAME TERMKEY:INTEGER TERMVALUE WHENCREATED:DATE WHENPOSTED:DATE WHENDISCOUNT:DATE WHENDUE:DATE "
    "WHENPAID:DATE RECPAYMENTDATE:DATE PAYMENTPRIORITY ONHOLD:BOOLEAN BASECURR CURRENCY EXCH_RATE_DATE:DATE "
    "EXCH_RATE_TYPE_ID EXCHANGE_RATE:DECIMAL TOTALENTERED:CURRENCY TOTALSELECTED:CURRENCY TOTALPAID:CURRENCY "
    "TOTALDUE:CURRENCY TRX_TOTALENTERED:CURRENCY TRX_TOTALSELECTED:CURRENCY TRX_TOTALPAID:CURRENCY "
    "TRX_TOTALDUE:CURRENCY BILLTOPAYTOCONTACTNAME SHIPTORETURNTOCONTACTNAME BILLTOPAYTOKEY:INTEGER "
    "SHIPTORETURNTOKEY:INTEGER PRBATCH PRBATCHKEY:INTEGER MODULEKEY SCHOPKEY:INTEGER SYSTEMGENERATED "
    "AUWHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP CREATEDBY:INTEGER MODIFIEDBY:INTEGER DUE_IN_DAYS:INTEGER "
    "PAYTO.TAXGROUP.NAME PAYTO.TAXGROUP.RECORDNO:INTEGER PAYTO.TAXID INCLUSIVETAX:BOOLEAN TAXSOLUTIONKEY:INTEGER "
    "TAXSOLUTIONID SHOWMULTILINETAX:BOOLEAN TAXMETHOD RETAINAGEPERCENTAGE:PERCENT TRX_TOTALRETAINED:CURRENCY "
    "TRX_TOTALRELEASED:CURRENCY TOTALRETAINED:CURRENCY SUPDOCID MEGAENTITYKEY:INTEGER MEGAENTITYID "
    "MEGAENTITYNAME VENDOR_NOTES VOUCHER_NUMBER EXCHRATEDATE:DATE EXCHRATETYPE EXCHRATE:DECIMAL "
    "PAYTOCONTACTNAME RETURNTOCONTACTNAME"
)

COST_CENTER_OWNERS = ("Engineering", "Product", "Sales", "Marketing", "Finance", "People", "IT")
WIDE_EXTRA_FIELDS = 40

_ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "VENDOR": {"STATUS": ("active", "inactive")},
    "CLASS": {"STATUS": ("active", "inactive")},
    "PROJECT": {"STATUS": ("active", "inactive")},
    "DEPARTMENT": {"STATUS": ("active", "inactive")},
    "LOCATION": {"STATUS": ("active", "inactive")},
    "GLACCOUNT": {
        "STATUS": ("active", "inactive"),
        "ACCOUNTTYPE": ("incomestatement", "balancesheet"),
        "NORMALBALANCE": ("debit", "credit"),
    },
    "APBILL": {
        "STATE": ("Draft", "Submitted", "Approved", "Posted", "Partially Paid", "Paid", "Reversed"),
        "COST_CENTER_OWNER": COST_CENTER_OWNERS,
    },
    "CCTRANSACTION": {"STATE": ("Posted", "Paid", "Reversed", "Partially Paid")},
    "EEXPENSES": {"STATE": ("Draft", "Submitted", "Approved", "Paid", "Declined", "Reversed")},
    "EPPAYMENT": {"STATE": ("Draft", "Submitted", "Approved", "Complete", "Voided")},
    "APPYMT": {
        "PAYMENTMETHOD": ("Printed Check", "EFT", "ACH", "Credit Card", "Cash", "Wire"),
        "STATE": ("Draft", "Submitted", "Approved", "Complete", "Voided"),
    },
    "PODOCUMENT": {
        "DOCPARID": ("Purchase Order", "Purchase Requisition", "Vendor Invoice"),
        "STATE": ("Draft", "Pending", "Closed", "Converted", "Partially Converted"),
    },
    "APRECURBILL": {
        "REPEATBY": ("Days", "Weeks", "Months", "Years"),
        "STATUS": ("active", "inactive"),
    },
}

_SPECS: dict[str, str] = {
    "VENDOR": (
        "RECORDNO:INTEGER VENDORID NAME PARENTKEY:INTEGER PARENTID PARENTNAME DISPLAYCONTACT.CONTACTNAME "
        "DISPLAYCONTACT.COMPANYNAME DISPLAYCONTACT.FIRSTNAME DISPLAYCONTACT.LASTNAME DISPLAYCONTACT.INITIAL "
        "DISPLAYCONTACT.PRINTAS DISPLAYCONTACT.PHONE1 DISPLAYCONTACT.PHONE2 DISPLAYCONTACT.EMAIL1 "
        "DISPLAYCONTACT.EMAIL2 DISPLAYCONTACT.URL1 PAYTOCONTACT.CONTACTNAME VENDORACCOUNTNO VENDTYPE ACCOUNTLABEL APACCOUNT "
        "APACCOUNTTITLE STATUS:ENUM TAXID CURRENCY TOTALDUE:CURRENCY CREDITLIMIT:CURRENCY ONETIME:BOOLEAN "
        "ONHOLD:BOOLEAN WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL + " SAAS_CATEGORY*"
    ),
    "DEPARTMENT": (
        "RECORDNO:INTEGER DEPARTMENTID TITLE PARENTKEY:INTEGER PARENTID SUPERVISORNAME STATUS:ENUM CUSTTITLE "
        "WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "LOCATION": (
        "RECORDNO:INTEGER LOCATIONID NAME PARENTID CURRENCY ENTITY:BOOLEAN STATUS:ENUM "
        "WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "GLACCOUNT": (
        "RECORDNO:INTEGER ACCOUNTNO TITLE ACCOUNTTYPE:ENUM NORMALBALANCE:ENUM CLOSINGTYPE CATEGORY "
        "ALTERNATIVEACCOUNT STATUS:ENUM WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "CCTRANSACTION": (
        "RECORDNO:INTEGER RECORDID FINANCIALENTITY DESCRIPTION PAYEE STATE:ENUM RAWSTATE CLEARED "
        "WHENCREATED:DATE WHENPAID:DATE AUWHENCREATED:TIMESTAMP CURRENCY BASECURR EXCHANGE_RATE:DECIMAL "
        "TOTALENTERED:CURRENCY TRX_TOTALENTERED:CURRENCY TOTALPAID:CURRENCY TRX_TOTALPAID:CURRENCY "
        "TOTALSELECTED:CURRENCY TRX_TOTALSELECTED:CURRENCY TOTALDUE:CURRENCY TRX_TOTALDUE:CURRENCY "
        "INCLUSIVETAX:BOOLEAN TAXSOLUTIONID TAXMETHOD WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "CCTRANSACTIONENTRY": (
        "RECORDNO:INTEGER RECORDKEY:INTEGER LINE_NO:INTEGER ACCOUNTNO ACCOUNTTITLE DEPARTMENTID LOCATIONID "
        "DESCRIPTION VENDORID AMOUNT:CURRENCY TRX_AMOUNT:CURRENCY CURRENCY BASECURR EXCHANGE_RATE:DECIMAL "
        "ENTRY_DATE:DATE WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "EEXPENSES": (
        "RECORDNO:INTEGER RECORDID EMPLOYEEID DESCRIPTION MEMO STATE:ENUM RAWSTATE WHENCREATED:DATE "
        "WHENPOSTED:DATE CURRENCY BASECURR TOTALENTERED:CURRENCY TRX_TOTALENTERED:CURRENCY "
        "TOTALPAID:CURRENCY TOTALDUE:CURRENCY WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "EEXPENSESITEM": (
        "RECORDNO:INTEGER RECORDKEY:INTEGER LINE_NO:INTEGER EXPENSETYPE ACCOUNTNO DEPARTMENTID LOCATIONID "
        "DESCRIPTION VENDORID AMOUNT:CURRENCY TRX_AMOUNT:CURRENCY CURRENCY BASECURR EXCHANGE_RATE:DECIMAL "
        "ENTRY_DATE:DATE WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "EPPAYMENT": (
        "RECORDNO:INTEGER EMPLOYEEID FINANCIALENTITY PAYMENTMETHOD STATE:ENUM WHENCREATED:DATE WHENPAID:DATE "
        "CURRENCY BASECURR TOTALENTERED:CURRENCY TRX_TOTALENTERED:CURRENCY DESCRIPTION RECORDKEY:INTEGER "
        "WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "APBILLITEM": (
        "RECORDNO:INTEGER RECORDKEY:INTEGER LINE_NO:INTEGER ACCOUNTNO ACCOUNTTITLE DEPARTMENTID LOCATIONID "
        "ENTRYDESCRIPTION VENDORID AMOUNT:CURRENCY TRX_AMOUNT:CURRENCY CURRENCY BASECURR EXCHANGE_RATE:DECIMAL "
        "ENTRY_DATE:DATE WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "APPYMT": (
        "RECORDNO:INTEGER DOCNUMBER VENDORID VENDORNAME FINANCIALENTITY PAYMENTMETHOD:ENUM STATE:ENUM "
        "WHENCREATED:DATE WHENPAID:DATE CURRENCY BASECURR EXCHANGE_RATE:DECIMAL TOTALENTERED:CURRENCY "
        "TRX_TOTALENTERED:CURRENCY WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "APPYMTDETAIL": (
        "RECORDNO:INTEGER PAYMENTKEY:INTEGER RECORDKEY:INTEGER ENTRYKEY:INTEGER PAYMENTAMOUNT:CURRENCY "
        "TRX_PAYMENTAMOUNT:CURRENCY CURRENCY WHENCREATED:DATE WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "PODOCUMENT": (
        "RECORDNO:INTEGER DOCNO DOCID DOCPARID:ENUM STATE:ENUM CUSTVENDID CUSTVENDNAME WHENCREATED:DATE "
        "WHENDUE:DATE CURRENCY BASECURR EXCHRATE:DECIMAL TOTAL:CURRENCY TRX_TOTAL:CURRENCY "
        "PRRECORDKEY:INTEGER WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "PODOCUMENTENTRY": (
        "RECORDNO:INTEGER DOCHDRNO:INTEGER DOCHDRID LINE_NO:INTEGER ITEMID ITEMDESC QUANTITY:DECIMAL "
        "PRICE:CURRENCY UIPRICE:CURRENCY TOTAL:CURRENCY TRX_TOTAL:CURRENCY DEPARTMENTID LOCATIONID CURRENCY "
        "WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "APRECURBILL": (
        "RECORDNO:INTEGER VENDORID VENDORNAME DESCRIPTION STARTDATE:DATE ENDDATE:DATE REPEATBY:ENUM "
        "REPEATINTERVAL:INTEGER CURRENCY TOTALENTERED:CURRENCY STATUS:ENUM WHENCREATED:TIMESTAMP "
        "WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    # CLASS and PROJECT: small dimensions (field lists of the sample answers tests/fixtures/intacct/04 and 05).
    "CLASS": (
        "RECORDNO:INTEGER CLASSID NAME DESCRIPTION STATUS:ENUM PARENTKEY:INTEGER PARENTID PARENTNAME "
        "WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "PROJECT": (
        "RECORDNO:INTEGER PROJECTID NAME DESCRIPTION STATUS:ENUM WHENCREATED:TIMESTAMP "
        "WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
    "AUDITHISTORY": (
        "ID:INTEGER OBJECTTYPE OBJECTKEY ACCESSMODE ACCESSTIME:TIMESTAMP USERID WORKFLOWACTION IPADDRESS "
        "SOURCE RECORDNO:INTEGER WHENMODIFIED:TIMESTAMP " + _TAIL
    ),
}

_NATURAL_IDS = {
    "VENDOR": "VENDORID",
    "DEPARTMENT": "DEPARTMENTID",
    "LOCATION": "LOCATIONID",
    "GLACCOUNT": "ACCOUNTNO",
    "CLASS": "CLASSID",
    "PROJECT": "PROJECTID",
}

#: line object -> (header object, field holding the header RECORDNO)
LINE_PARENTS = {
    "APBILLITEM": ("APBILL", "RECORDKEY"),
    "CCTRANSACTIONENTRY": ("CCTRANSACTION", "RECORDKEY"),
    "EEXPENSESITEM": ("EEXPENSES", "RECORDKEY"),
    "PODOCUMENTENTRY": ("PODOCUMENT", "DOCHDRNO"),
    "APPYMTDETAIL": ("APPYMT", "PAYMENTKEY"),
}

MASTER_OBJECTS = ("VENDOR", "DEPARTMENT", "LOCATION", "GLACCOUNT", "CLASS", "PROJECT")

_RELATIONSHIPS: dict[str, list[Relationship]] = {
    "APBILL": [Relationship("VENDOR", "VENDOR", "VENDORID")],
    "APBILLITEM": [
        Relationship("APBILL", "APBILL", "RECORDKEY"),
        Relationship("GLACCOUNT", "GLACCOUNT", "ACCOUNTNO"),
        Relationship("DEPARTMENT", "DEPARTMENT", "DEPARTMENTID"),
        Relationship("LOCATION", "LOCATION", "LOCATIONID"),
    ],
    "APPYMT": [Relationship("VENDOR", "VENDOR", "VENDORID")],
    "APPYMTDETAIL": [
        Relationship("APPYMT", "APPYMT", "PAYMENTKEY"),
        Relationship("APBILL", "APBILL", "RECORDKEY"),
    ],
    "CCTRANSACTIONENTRY": [Relationship("CCTRANSACTION", "CCTRANSACTION", "RECORDKEY")],
    "EEXPENSESITEM": [Relationship("EEXPENSES", "EEXPENSES", "RECORDKEY")],
    "EPPAYMENT": [Relationship("EEXPENSES", "EEXPENSES", "RECORDKEY")],
    "PODOCUMENT": [Relationship("VENDOR", "VENDOR", "CUSTVENDID")],
    "PODOCUMENTENTRY": [Relationship("PODOCUMENT", "PODOCUMENT", "DOCHDRNO")],
    "APRECURBILL": [Relationship("VENDOR", "VENDOR", "VENDORID")],
}


def build_catalog(*, wide: bool = False) -> dict[str, ObjectDef]:
    """Every object the sandbox serves by name; `wide` adds custom fields so APBILL has ~120."""
    specs = dict(_SPECS)
    apbill = APBILL_SAMPLE_FIELDS + " SAAS_CONTRACT_ID* RENEWAL_DATE*:DATE COST_CENTER_OWNER*:ENUM"
    if wide:
        apbill += "".join(f" CUSTOM_FIELD_{n:02d}*" for n in range(1, WIDE_EXTRA_FIELDS + 1))
    specs["APBILL"] = apbill
    catalog: dict[str, ObjectDef] = {}
    for name, spec in specs.items():
        catalog[name] = ObjectDef(
            name=name,
            fields=_fields(spec, _ENUMS.get(name)),
            natural_id=_NATURAL_IDS.get(name, "ID" if name == "AUDITHISTORY" else "RECORDNO"),
            parent=LINE_PARENTS.get(name),
            transaction=name not in MASTER_OBJECTS and name != "AUDITHISTORY",
            relationships=_RELATIONSHIPS.get(name, []),
        )
    return catalog

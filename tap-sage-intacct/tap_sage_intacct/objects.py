"""The catalog of Intacct objects the tap extracts: plain data, no behaviour.

Field lists are the fallback schemas used when `lookup` is denied: the objects' standard Intacct fields
plus the demo company's custom fields and, for APBILL, the field list of a real APBILL `readByQuery`
answer (kept, with invented values, in the test fixture
tests/fixtures/intacct/03_readByQuery_apbill_page1_numremaining_resultId.xml). Each entry is
`NAME:DATATYPE` (DATATYPE defaults to TEXT) with Intacct's own lookup DATATYPE names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectSpec:
    """How one Intacct object becomes one Singer stream."""

    stream_name: str
    object_name: str
    fallback_fields: str = ""
    key_properties: tuple[str, ...] = ("RECORDNO",)
    replication_key: str = "WHENMODIFIED"
    #: The natural id AUDITHISTORY uses as OBJECTKEY for this object (RECORDNO: `<n>--REC`).
    natural_id: str = "RECORDNO"
    #: For line objects: (header object, field holding the header RECORDNO). Informational: line
    #: streams are incremental streams of their own (see streams.py for why).
    parent: tuple[str, str] | None = None
    #: False for streams a run extracts only when selected: personal data (employees).
    selected_by_default: bool = True

    @property
    def audit_object_type(self) -> str:
        """AUDITHISTORY.OBJECTTYPE is the lower-case object name
        (https://developer.intacct.com/api/company-console/audit-trails/)."""
        return self.object_name.lower()

    def fallback_field_types(self) -> dict[str, str]:
        """Field name -> datatype from `fallback_fields` ("NAME:TYPE"; TEXT when untyped)."""
        out: dict[str, str] = {}
        for token in self.fallback_fields.split():
            name, _, datatype = token.partition(":")
            out[name] = datatype or "TEXT"
        return out


_TAIL = "CREATEDBY:INTEGER MODIFIEDBY:INTEGER MEGAENTITYKEY:INTEGER MEGAENTITYID MEGAENTITYNAME"

_APBILL = (
    "RECORDNO:INTEGER RECORDTYPE RECORDID FINANCIALENTITY STATE:ENUM RAWSTATE VENDORID VENDORNAME "
    "FORM1099TYPE FORM1099BOX VENDTYPE1099TYPE TRX_ENTITYDUE:CURRENCY DOCNUMBER DESCRIPTION DESCRIPTION2 "
    "TERMNAME TERMKEY:INTEGER TERMVALUE WHENCREATED:DATE WHENPOSTED:DATE WHENDISCOUNT:DATE WHENDUE:DATE "
    "WHENPAID:DATE RECPAYMENTDATE:DATE PAYMENTPRIORITY ONHOLD:BOOLEAN BASECURR CURRENCY EXCH_RATE_DATE:DATE "
    "EXCH_RATE_TYPE_ID EXCHANGE_RATE:DECIMAL TOTALENTERED:CURRENCY TOTALSELECTED:CURRENCY TOTALPAID:CURRENCY "
    "TOTALDUE:CURRENCY TRX_TOTALENTERED:CURRENCY TRX_TOTALSELECTED:CURRENCY TRX_TOTALPAID:CURRENCY "
    "TRX_TOTALDUE:CURRENCY BILLTOPAYTOCONTACTNAME SHIPTORETURNTOCONTACTNAME BILLTOPAYTOKEY:INTEGER "
    "SHIPTORETURNTOKEY:INTEGER PRBATCH PRBATCHKEY:INTEGER MODULEKEY SCHOPKEY:INTEGER SYSTEMGENERATED "
    "AUWHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP CREATEDBY:INTEGER MODIFIEDBY:INTEGER DUE_IN_DAYS:INTEGER "
    "PAYTO.TAXGROUP.NAME PAYTO.TAXGROUP.RECORDNO:INTEGER PAYTO.TAXID INCLUSIVETAX:BOOLEAN "
    "TAXSOLUTIONKEY:INTEGER TAXSOLUTIONID SHOWMULTILINETAX:BOOLEAN TAXMETHOD RETAINAGEPERCENTAGE:PERCENT "
    "TRX_TOTALRETAINED:CURRENCY TRX_TOTALRELEASED:CURRENCY TOTALRETAINED:CURRENCY SUPDOCID "
    "MEGAENTITYKEY:INTEGER MEGAENTITYID MEGAENTITYNAME VENDOR_NOTES VOUCHER_NUMBER EXCHRATEDATE:DATE "
    "EXCHRATETYPE EXCHRATE:DECIMAL PAYTOCONTACTNAME RETURNTOCONTACTNAME "
    "SAAS_CONTRACT_ID RENEWAL_DATE:DATE COST_CENTER_OWNER:ENUM"
)

STANDARD_OBJECTS: tuple[ObjectSpec, ...] = (
    ObjectSpec(
        "vendor",
        "VENDOR",
        "RECORDNO:INTEGER VENDORID NAME PARENTKEY:INTEGER PARENTID PARENTNAME "
        "DISPLAYCONTACT.CONTACTNAME DISPLAYCONTACT.COMPANYNAME DISPLAYCONTACT.EMAIL1 "
        "DISPLAYCONTACT.URL1 VENDTYPE STATUS:ENUM TAXID CURRENCY TOTALDUE:CURRENCY "
        "CREDITLIMIT:CURRENCY ONETIME:BOOLEAN ONHOLD:BOOLEAN WHENCREATED:TIMESTAMP "
        "WHENMODIFIED:TIMESTAMP " + _TAIL + " SAAS_CATEGORY",
        natural_id="VENDORID",
    ),
    ObjectSpec(
        "department",
        "DEPARTMENT",
        "RECORDNO:INTEGER DEPARTMENTID TITLE PARENTKEY:INTEGER PARENTID STATUS:ENUM "
        "WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL,
        natural_id="DEPARTMENTID",
    ),
    ObjectSpec(
        "location",
        "LOCATION",
        "RECORDNO:INTEGER LOCATIONID NAME PARENTID CURRENCY ENTITY:BOOLEAN STATUS:ENUM "
        "WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL,
        natural_id="LOCATIONID",
    ),
    ObjectSpec(
        "gl_account",
        "GLACCOUNT",
        "RECORDNO:INTEGER ACCOUNTNO TITLE ACCOUNTTYPE:ENUM NORMALBALANCE:ENUM CATEGORY STATUS:ENUM "
        "WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL,
        natural_id="ACCOUNTNO",
    ),
    ObjectSpec(
        "cc_transaction",
        "CCTRANSACTION",
        "RECORDNO:INTEGER RECORDID FINANCIALENTITY DESCRIPTION PAYEE STATE:ENUM WHENCREATED:DATE "
        "WHENPAID:DATE AUWHENCREATED:TIMESTAMP CURRENCY BASECURR EXCHANGE_RATE:DECIMAL "
        "TOTALENTERED:CURRENCY TRX_TOTALENTERED:CURRENCY TOTALPAID:CURRENCY TOTALDUE:CURRENCY "
        "WHENMODIFIED:TIMESTAMP " + _TAIL,
    ),
    ObjectSpec(
        "cc_transaction_entry",
        "CCTRANSACTIONENTRY",
        "RECORDNO:INTEGER RECORDKEY:INTEGER LINE_NO:INTEGER ACCOUNTNO DEPARTMENTID LOCATIONID "
        "DESCRIPTION VENDORID AMOUNT:CURRENCY TRX_AMOUNT:CURRENCY CURRENCY BASECURR "
        "EXCHANGE_RATE:DECIMAL ENTRY_DATE:DATE WHENMODIFIED:TIMESTAMP " + _TAIL,
        parent=("CCTRANSACTION", "RECORDKEY"),
    ),
    ObjectSpec(
        "expense_report",
        "EEXPENSES",
        "RECORDNO:INTEGER RECORDID EMPLOYEEID DESCRIPTION STATE:ENUM WHENCREATED:DATE "
        "WHENPOSTED:DATE CURRENCY BASECURR TOTALENTERED:CURRENCY TRX_TOTALENTERED:CURRENCY "
        "TOTALPAID:CURRENCY TOTALDUE:CURRENCY WHENMODIFIED:TIMESTAMP " + _TAIL,
    ),
    ObjectSpec(
        "expense_report_item",
        "EEXPENSESITEM",
        "RECORDNO:INTEGER RECORDKEY:INTEGER LINE_NO:INTEGER EXPENSETYPE ACCOUNTNO DEPARTMENTID "
        "LOCATIONID DESCRIPTION VENDORID AMOUNT:CURRENCY TRX_AMOUNT:CURRENCY CURRENCY BASECURR "
        "EXCHANGE_RATE:DECIMAL ENTRY_DATE:DATE WHENMODIFIED:TIMESTAMP " + _TAIL,
        parent=("EEXPENSES", "RECORDKEY"),
    ),
    ObjectSpec("ap_bill", "APBILL", _APBILL),
    ObjectSpec(
        "ap_bill_item",
        "APBILLITEM",
        "RECORDNO:INTEGER RECORDKEY:INTEGER LINE_NO:INTEGER ACCOUNTNO ACCOUNTTITLE DEPARTMENTID "
        "LOCATIONID ENTRYDESCRIPTION VENDORID AMOUNT:CURRENCY TRX_AMOUNT:CURRENCY CURRENCY BASECURR "
        "EXCHANGE_RATE:DECIMAL ENTRY_DATE:DATE WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP "
        + _TAIL,
        parent=("APBILL", "RECORDKEY"),
    ),
    ObjectSpec(
        "ap_payment",
        "APPYMT",
        "RECORDNO:INTEGER DOCNUMBER VENDORID VENDORNAME FINANCIALENTITY PAYMENTMETHOD:ENUM "
        "STATE:ENUM WHENCREATED:DATE WHENPAID:DATE CURRENCY BASECURR EXCHANGE_RATE:DECIMAL "
        "TOTALENTERED:CURRENCY TRX_TOTALENTERED:CURRENCY WHENMODIFIED:TIMESTAMP " + _TAIL,
    ),
    ObjectSpec(
        "ap_payment_detail",
        "APPYMTDETAIL",
        "RECORDNO:INTEGER PAYMENTKEY:INTEGER RECORDKEY:INTEGER ENTRYKEY:INTEGER "
        "PAYMENTAMOUNT:CURRENCY TRX_PAYMENTAMOUNT:CURRENCY CURRENCY WHENCREATED:DATE "
        "WHENMODIFIED:TIMESTAMP " + _TAIL,
        parent=("APPYMT", "PAYMENTKEY"),
    ),
    ObjectSpec(
        "po_document",
        "PODOCUMENT",
        "RECORDNO:INTEGER DOCNO DOCID DOCPARID:ENUM STATE:ENUM CUSTVENDID CUSTVENDNAME "
        "WHENCREATED:DATE WHENDUE:DATE CURRENCY BASECURR EXCHRATE:DECIMAL TOTAL:CURRENCY "
        "TRX_TOTAL:CURRENCY PRRECORDKEY:INTEGER WHENMODIFIED:TIMESTAMP " + _TAIL,
    ),
    ObjectSpec(
        "po_document_entry",
        "PODOCUMENTENTRY",
        "RECORDNO:INTEGER DOCHDRNO:INTEGER DOCHDRID LINE_NO:INTEGER ITEMID ITEMDESC QUANTITY:DECIMAL "
        "PRICE:CURRENCY UIPRICE:CURRENCY TOTAL:CURRENCY TRX_TOTAL:CURRENCY DEPARTMENTID LOCATIONID "
        "CURRENCY WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL,
        parent=("PODOCUMENT", "DOCHDRNO"),
    ),
    ObjectSpec(
        "ap_recurring_bill",
        "APRECURBILL",
        "RECORDNO:INTEGER VENDORID VENDORNAME DESCRIPTION STARTDATE:DATE ENDDATE:DATE REPEATBY:ENUM "
        "REPEATINTERVAL:INTEGER CURRENCY TOTALENTERED:CURRENCY STATUS:ENUM WHENCREATED:TIMESTAMP "
        "WHENMODIFIED:TIMESTAMP " + _TAIL,
    ),
    # Employees' names and work e-mail: personal data, so extracted only when selected (for
    # target-leanix's owner subscriptions).
    ObjectSpec(
        "employee",
        "EMPLOYEE",
        "RECORDNO:INTEGER EMPLOYEEID PERSONALINFO.CONTACTNAME PERSONALINFO.FIRSTNAME "
        "PERSONALINFO.LASTNAME PERSONALINFO.EMAIL1 TITLE DEPARTMENTID LOCATIONID STATUS:ENUM "
        "WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL,
        natural_id="EMPLOYEEID",
        selected_by_default=False,
    ),
    ObjectSpec(
        "employee_payment",
        "EPPAYMENT",
        "RECORDNO:INTEGER EMPLOYEEID FINANCIALENTITY PAYMENTMETHOD STATE:ENUM WHENCREATED:DATE "
        "WHENPAID:DATE CURRENCY BASECURR TOTALENTERED:CURRENCY TRX_TOTALENTERED:CURRENCY "
        "DESCRIPTION RECORDKEY:INTEGER WHENMODIFIED:TIMESTAMP " + _TAIL,
    ),
)

#: Fields every object carries; the fallback for an extra object named in config without lookup.
GENERIC_FALLBACK = "RECORDNO:INTEGER WHENCREATED:TIMESTAMP WHENMODIFIED:TIMESTAMP " + _TAIL

#: Natural ids AUDITHISTORY uses for master data objects not in the list above.
KNOWN_NATURAL_IDS = {
    "CUSTOMER": "CUSTOMERID",
    "EMPLOYEE": "EMPLOYEEID",
    "CLASS": "CLASSID",
    "PROJECT": "PROJECTID",
    "ITEM": "ITEMID",
}

AUDIT_OBJECT = "AUDITHISTORY"
AUDIT_FIELDS = ("ID", "OBJECTTYPE", "OBJECTKEY", "ACCESSMODE", "ACCESSTIME")
#: The key field of one deleted row in AUDITHISTORY.OBJECTKEY: `<RECORDNO>--REC`, as Estuary's
#: connector parses it
#: (https://github.com/estuary/connectors/blob/HEAD/source-sage-intacct/source_sage_intacct/models.py).
RECORDNO_KEY_SUFFIX = "--REC"

#: Every tombstone carries this column (the target cascades a header's delete to its lines).
DELETED_AT = "_sdc_deleted_at"


def spec_for_extra(object_name: str) -> ObjectSpec:
    """An object named in `extra_objects`: stream named by the object in lower case."""
    name = object_name.strip().upper()
    return ObjectSpec(
        stream_name=name.lower(),
        object_name=name,
        fallback_fields=GENERIC_FALLBACK,
        natural_id=KNOWN_NATURAL_IDS.get(name, "RECORDNO"),
    )

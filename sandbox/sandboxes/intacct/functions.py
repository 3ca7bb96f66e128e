"""The gateway functions: query, readByQuery/readMore, read, readByName, lookup, get_list, user and entity info.

Each handler takes the parsed `<function>` child and returns a `Result`. Errors the real gateway reports at
function level (unknown object, invalid fields, permission denial, page size) come back as a failure
`Result`; nothing here raises to the HTTP layer.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from sandboxes.intacct.catalog import ObjectDef, resolve
from sandboxes.intacct.filters import (
    And,
    Cmp,
    FilterError,
    Node,
    Not,
    Or,
    parse_query_string,
    parse_xml_filter,
)
from sandboxes.intacct.formats import format_offset
from sandboxes.intacct.more_catalog import USER_DIMENSIONS
from sandboxes.intacct.protocol import GatewayError, element, errormessage, esc, esc_attr, text_of
from sandboxes.intacct.reference_data import ENTITIES
from sandboxes.intacct.render import template
from sandboxes.intacct.state import Cursor, IntacctState, Order, Session
from sandboxes.intacct.store import ALL_ENTITIES, ENTITY_INDEX, TOP_LEVEL, Page

QUERY_MAX_PAGESIZE = 2000  # https://developer.intacct.com/web-services/queries/
READBYQUERY_MAX_PAGESIZE = 1000
DEFAULT_PAGESIZE = 100


@dataclass
class Result:
    """One function's `<result>`: status (success, failure, aborted), content or errors."""

    status: str  # success | failure | aborted
    inner: str | list[bytes] = ""  # list: UTF-8 pieces, records already encoded (render.py)
    errors: list[GatewayError] = field(default_factory=list)
    object_name: str = ""

    def render_inner(self) -> list[bytes]:
        """The result's body as UTF-8 pieces: its errormessage, or its content."""
        inner = errormessage(self.errors) if self.errors else self.inner
        return inner if isinstance(inner, list) else [inner.encode()]


class FunctionFailure(Exception):  # noqa: N818
    def __init__(self, error: GatewayError) -> None:
        super().__init__(error.description2)
        self.error = error


def fail(
    description2: str, errorno: str = "DL02000001", description: str = "", correction: str = ""
) -> FunctionFailure:
    return FunctionFailure(GatewayError(errorno, description2, description, correction))


@dataclass
class Context:
    """What a function runs with: the sandbox state, the caller's session and the base URL."""

    state: IntacctState
    session: Session
    base_url: str

    @property
    def now(self) -> float:
        """The sandbox clock's current instant, in epoch seconds."""
        return self.state.now().timestamp()


Handler = Callable[[Context, etree._Element], Result]


def visibility(session: Session, *, showprivate: bool) -> frozenset[int]:
    """Top level sees top-level rows (+ entity rows with showprivate); an entity session sees its
    entity's rows plus top-level rows (https://developer.intacct.com/web-services/queries/,
    "showprivate"; https://developer.intacct.com/api/company-console/entities/)."""
    if session.entity:
        return frozenset({TOP_LEVEL, ENTITY_INDEX[session.entity]})
    return ALL_ENTITIES if showprivate else frozenset({TOP_LEVEL})


def _object(ctx: Context, raw: str, operation: str, *, lookup: bool = False) -> ObjectDef:
    obj = resolve(ctx.state.catalog, raw)
    if obj is None:
        raise fail(f"Object definition {raw.strip()} not found", description="Query Failed")
    name = obj.name.upper()
    denied = ctx.state.denied_lookup if lookup else ctx.state.denied
    if name in denied:
        raise fail(
            f"You do not have permission for API operation {operation} on objects of type {name.lower()}",
            errorno="PL04000005",
            description="Permission Denied",
        )
    return obj


def _check_fields(obj: ObjectDef, fields: list[str]) -> None:
    bad = [f for f in fields if not obj.selectable(f)]
    if bad:
        raise fail(f"Invalid fields list {', '.join(bad)}", description="Invalid fields list")


def _int(raw: str, default: int, name: str) -> int:
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise fail(f"{name} must be an integer, got '{raw}'") from None


def _with_virtual(
    ctx: Context, obj: ObjectDef, fields: tuple[str, ...], rows: list[dict[str, str]]
) -> list[dict[str, str]]:
    if "RECORD_URL" not in fields:
        return rows
    base = f"{ctx.base_url}/ia/acct/ur.phtml?.r="
    return [dict(row, RECORD_URL=f"{base}{row.get('RECORDNO', '')}&.o={obj.name}") for row in rows]


def _docpar(node: Node | None, obj: ObjectDef, docparid: str) -> Node | None:
    if not docparid or "DOCPARID" not in obj.by_name:
        return node
    clause = Cmp("DOCPARID", "eq", (docparid,))
    return clause if node is None else And((node, clause))


# ---------------------------------------------------------------------------------------------- query
def query(ctx: Context, body: etree._Element) -> Result:
    obj = _object(ctx, text_of(body, "object"), "QUERY")
    if obj.query_refused:
        # Some objects are readable by readByQuery only (as `query` also rejects some fields
        # readByQuery returns: https://github.com/Intacct/intacct-sdk-net/issues/150).
        raise fail(
            f"Object {obj.name} is not supported by the query function. Use readByQuery.",
            description="Query Failed",
        )
    select = body.find("select")
    fields = (
        [] if select is None else [(f.text or "").strip().upper() for f in select.findall("field")]
    )
    if select is not None and any(c.tag != "field" for c in select if isinstance(c.tag, str)):
        raise fail("Aggregate functions in select are not supported by the sandbox")
    if not fields:
        raise fail("query requires a select element with at least one field")
    _check_fields(obj, fields)
    node: Node | None = None
    filter_el = body.find("filter")
    try:
        if filter_el is not None and len(filter_el):
            node = parse_xml_filter(filter_el)
    except FilterError as exc:
        raise fail(str(exc)) from None
    node = _docpar(node, obj, text_of(body, "docparid"))
    orderby: list[Order] = []
    order_el = body.find("orderby")
    if order_el is not None:
        for order in order_el.findall("order"):
            name = text_of(order, "field").upper()
            orderby.append(Order(name, descending=order.find("descending") is not None))
        _check_fields(obj, [o.field for o in orderby])
    options = body.find("options")
    case_insensitive = text_of(options, "caseinsensitive").lower() == "true"
    showprivate = text_of(options, "showprivate").lower() == "true"
    returnformat = text_of(options, "returnformat", "xml").lower() or "xml"
    if returnformat != "xml":
        raise fail(f"returnformat {returnformat} is not supported by the sandbox; use xml")
    pagesize = _int(text_of(body, "pagesize"), DEFAULT_PAGESIZE, "pagesize")
    if not 1 <= pagesize <= QUERY_MAX_PAGESIZE:
        raise fail(
            f"pagesize must be between 1 and {QUERY_MAX_PAGESIZE}, got {pagesize}",
            errorno="DL02000001",
            description="Invalid pagesize",
        )
    offset = _int(text_of(body, "offset"), 0, "offset")
    if offset < 0:
        raise fail(f"offset must not be negative, got {offset}")
    page = _run(
        ctx,
        obj,
        node,
        visibility(ctx.session, showprivate=showprivate),
        orderby,
        offset,
        pagesize,
        case_insensitive=case_insensitive,
        fields=tuple(fields),
    )
    count = len(page.items)
    remaining = max(0, page.total - offset - count)
    attrs = f'listtype="{obj.name}" totalcount="{page.total}" offset="{offset}" count="{count}" numremaining="{remaining}"'
    return Result(
        "success",
        _data(attrs, _records(ctx, obj, obj.name, tuple(fields), page)),
        object_name=obj.name,
    )


def _run(  # noqa: PLR0917 - internal helper mirroring Store.query
    ctx: Context,
    obj: ObjectDef,
    node: Node | None,
    allowed: frozenset[int],
    orderby: list[Order],
    offset: int,
    limit: int,
    *,
    case_insensitive: bool = False,
    fields: tuple[str, ...] = (),
) -> Page:
    try:
        return ctx.state.store.query(
            obj.name,
            node,
            allowed=allowed,
            orderby=orderby,
            offset=offset,
            limit=limit,
            now=ctx.now,
            case_insensitive=case_insensitive,
            cache_key=repr(node),
            fields=fields,
        )
    except FilterError as exc:
        raise fail(str(exc)) from None


def _data(attrs: str, records: list[bytes]) -> list[bytes]:
    """The `<data>` element as UTF-8 pieces (a page of rows is copied once, into the answer)."""
    if not any(records):
        return [f"<data {attrs}/>".encode()]
    return [f"<data {attrs}>".encode(), *records, b"</data>"]


def _records(
    ctx: Context, obj: ObjectDef, tag: str, fields: tuple[str, ...], page: Page
) -> list[bytes]:
    if "RECORD_URL" in fields:
        rows = _with_virtual(ctx, obj, fields, page.rows)
        return [template(tag, fields).render_many(rows).encode()]
    return template(tag, fields).render_page(page.items, page.source)


# ---------------------------------------------------------------------------------------------- readByQuery
def _field_list(obj: ObjectDef, raw: str) -> tuple[str, ...]:
    raw = raw.strip()
    if not raw or raw == "*":
        return tuple(obj.field_names)
    fields = [f.strip().upper() for f in raw.split(",") if f.strip()]
    _check_fields(obj, fields)
    return tuple(fields)


def read_by_query(ctx: Context, body: etree._Element) -> Result:
    obj = _object(ctx, text_of(body, "object"), "READ_BY_QUERY")
    fields = _field_list(obj, text_of(body, "fields"))
    query_el = body.find("query")
    try:
        node = parse_query_string(None if query_el is None else query_el.text)
    except FilterError as exc:
        raise fail(str(exc)) from None
    node = _docpar(node, obj, text_of(body, "docparid"))
    if obj.name == "AUDITHISTORY":
        node = _access_words(node)
    returnformat = (text_of(body, "returnFormat") or "xml").lower()
    if returnformat != "xml":
        raise fail(f"returnFormat {returnformat} is not supported by the sandbox; use xml")
    pagesize = _int(text_of(body, "pagesize"), DEFAULT_PAGESIZE, "pagesize")
    if not 1 <= pagesize <= READBYQUERY_MAX_PAGESIZE:
        raise fail(
            f"pagesize must be between 1 and {READBYQUERY_MAX_PAGESIZE}, got {pagesize}",
            description="Invalid pagesize",
        )
    cursor = Cursor(
        object_name=obj.name,
        node=node,
        fields=fields,
        pagesize=pagesize,
        allowed=visibility(ctx.session, showprivate=False),
        cache_key=repr(node),
        delivered=0,
        sessionid=ctx.session.sessionid,
    )
    return _cursor_page(ctx, obj, cursor, None)


_ACCESS_WORDS = {"access": "A", "modify": "M", "create": "C", "delete": "D"}


def _access_words(node: Node | None) -> Node | None:
    """readByQuery filters AUDITHISTORY.ACCESSMODE with words (`Delete`), query with codes (`D`)
    (https://developer.intacct.com/api/company-console/audit-trails/)."""
    if node is None:
        return None
    if isinstance(node, Cmp):
        if node.field != "ACCESSMODE":
            return node
        values = tuple(_ACCESS_WORDS.get(v.lower(), v) for v in node.values)
        return Cmp(node.field, node.op, values)
    if isinstance(node, Not):
        return Not(_access_words(node.child) or node.child)
    children = tuple(_access_words(c) or c for c in node.children)
    return And(children) if isinstance(node, And) else Or(children)


def _cursor_page(ctx: Context, obj: ObjectDef, cursor: Cursor, token: str | None) -> Result:
    page = _run(
        ctx,
        obj,
        cursor.node,
        cursor.allowed,
        [],
        cursor.delivered,
        cursor.pagesize,
        fields=cursor.fields,
    )
    count = len(page.items)
    cursor.delivered += count
    remaining = max(0, page.total - cursor.delivered)
    if remaining and token is None:
        token = ctx.state.new_cursor(cursor)
    if not remaining:
        if token is not None:
            ctx.state.cursors.pop(token, None)
        token = ""
    tag = obj.name.lower()
    attrs = (
        f'listtype="{tag}" count="{count}" totalcount="{page.total}" '
        f'numremaining="{remaining}" resultId="{esc_attr(token or "")}"'
    )
    return Result(
        "success", _data(attrs, _records(ctx, obj, tag, cursor.fields, page)), object_name=obj.name
    )


def read_more(ctx: Context, body: etree._Element) -> Result:
    token = text_of(body, "resultId")
    cursor = ctx.state.cursors.get(token) if token else None
    if not token:
        wanted = text_of(body, "object").upper()
        for key, candidate in reversed(list(ctx.state.cursors.items())):
            if candidate.object_name == wanted and candidate.sessionid == ctx.session.sessionid:
                token, cursor = key, candidate
                break
    if cursor is None or token is None:
        raise fail(
            f"Unknown or expired resultId '{token}': run readByQuery again",
            description="Invalid resultId",
        )
    obj = _object(ctx, cursor.object_name, "READ_MORE")
    return _cursor_page(ctx, obj, cursor, token)


# ---------------------------------------------------------------------------------------------- read / readByName
def read(ctx: Context, body: etree._Element) -> Result:
    obj = _object(ctx, text_of(body, "object"), "READ")
    fields = _field_list(obj, text_of(body, "fields"))
    keys = [k.strip() for k in text_of(body, "keys").split(",") if k.strip()]
    return _keyed(ctx, obj, fields, "RECORDNO", keys)


def read_by_name(ctx: Context, body: etree._Element) -> Result:
    name = text_of(body, "object").upper()
    keys = [k.strip() for k in text_of(body, "keys").split(",") if k.strip()]
    if name == "USERINFO":
        return _userinfo(ctx, keys)
    obj = _object(ctx, name, "READ_BY_NAME")
    fields = _field_list(obj, text_of(body, "fields"))
    return _keyed(ctx, obj, fields, obj.natural_id, keys)


def _keyed(
    ctx: Context, obj: ObjectDef, fields: tuple[str, ...], key_field: str, keys: list[str]
) -> Result:
    rows: list[dict[str, str]] = []
    allowed = visibility(ctx.session, showprivate=True)
    for key in keys:
        page = _run(ctx, obj, Cmp(key_field, "eq", (key,)), allowed, [], 0, 1)
        rows.extend(page.rows)
    rows = _with_virtual(ctx, obj, fields, rows)
    attrs = f'listtype="{obj.name}" count="{len(rows)}"'
    return Result(
        "success",
        _data(attrs, [template(obj.name, fields).render_many(rows).encode()]),
        object_name=obj.name,
    )


def _userinfo(ctx: Context, keys: list[str]) -> Result:
    config = ctx.state.config
    rows = [
        {
            "RECORDNO": str(config.user_recordno),
            "LOGINID": config.user_id,
            "DESCRIPTION": "Sandbox API user",
            "USERTYPE": "business user",
            "ADMIN": "Full",
            "STATUS": "active",
        }
        for key in keys
        if key == config.user_id
    ]
    fields = ("RECORDNO", "LOGINID", "DESCRIPTION", "USERTYPE", "ADMIN", "STATUS")
    attrs = f'listtype="USERINFO" count="{len(rows)}"'
    return Result(
        "success",
        _data(attrs, [template("USERINFO", fields).render_many(rows).encode()]),
        object_name="USERINFO",
    )


def read_user_formatting(ctx: Context, body: etree._Element) -> Result:
    """The API user's date format and GMT offset
    (https://developer.intacct.com/api/company-console/users/)."""
    config = ctx.state.config
    key = text_of(body, "key")
    if key and key != str(config.user_recordno):
        raise fail(f"No user with record number {key}")
    inner = (
        "<data><userformatting>"
        f"{element('recordno', str(config.user_recordno))}<locale>en_US</locale>"
        "<dateformat>/mdY</dateformat>"
        f"{element('gmtoffset', format_offset(config.gmt_offset_seconds))}<clock>24</clock>"
        "</userformatting></data>"
    )
    return Result("success", inner, object_name="USERINFO")


def read_entity_details(ctx: Context, body: etree._Element) -> Result:
    """Entities the current user can access, lowercase elements
    (https://developer.intacct.com/api/company-console/entities/)."""
    entities = [
        e for e in ENTITIES if not ctx.session.entity or e.location_id == ctx.session.entity
    ]
    records = "".join(
        "<entity>"
        f"{element('id', e.location_id)}{element('name', e.name)}{element('recordno', str(e.recordno))}"
        f"{element('currency', e.currency)}<firstfiscalmonth>1</firstfiscalmonth><weekstart>1</weekstart>"
        f"{element('taxid', f'{90 + e.recordno}-{1234567 + e.recordno}')}"
        "</entity>"
        for e in entities
    )
    return Result(
        "success",
        _data(f'listtype="entity" count="{len(entities)}"', [records.encode()]),
        object_name="ENTITY",
    )


# ---------------------------------------------------------------------------------------------- lookup
def lookup(ctx: Context, body: etree._Element) -> Result:
    """<Type Name=.. DocumentType=""><Fields><Field>..</Field></Fields><Relationships>.. as in
    tests/fixtures/intacct/08_lookup_glbatch_type_definition_EXCERPT.xml."""
    obj = _object(ctx, text_of(body, "object"), "LOOKUP", lookup=True)
    fields = []
    for f in obj.fields:
        valid = (
            "<VALIDVALUES>"
            + "".join(element("VALIDVALUE", v) for v in f.valid_values)
            + "</VALIDVALUES>"
            if f.valid_values
            else ""
        )
        fields.append(
            "<Field>"
            f"{element('ID', f.name)}{element('LABEL', f.label)}{element('DESCRIPTION', f.label)}"
            f"{element('REQUIRED', _bool(f.required))}{element('READONLY', _bool(f.readonly))}"
            f"{element('DATATYPE', f.datatype)}{valid}{element('ISCUSTOM', _bool(f.custom))}"
            "</Field>"
        )
    relationships = "".join(
        "<Relationship>"
        f"{element('OBJECTPATH', r.path)}{element('OBJECTNAME', r.object_name)}<LABEL></LABEL>"
        f"<RELATIONSHIPTYPE>MANY2ONE</RELATIONSHIPTYPE>{element('RELATEDBY', r.related_by)}"
        "</Relationship>"
        for r in obj.relationships
    )
    docpar = esc_attr(text_of(body, "docparid"))
    inner = (
        f'<data><Type Name="{obj.name}" DocumentType="{docpar}"><Fields>{"".join(fields)}</Fields>'
        f"<Relationships>{relationships}</Relationships></Type></data>"
    )
    return Result("success", inner, object_name=obj.name)


def _bool(value: bool) -> str:  # noqa: FBT001 - a formatter
    return "true" if value else "false"


# ---------------------------------------------------------------------------------------------- attachments
_PDF = base64.b64encode(b"%PDF-1.4\n% sandbox attachment\n%%EOF\n").decode("ascii")


def supdoc_count(state: IntacctState) -> int:
    """Bills i % 3 == 0 carry SUPDOCID ATT-<i+1>: one supporting document each."""
    return (state.company.sources["APBILL"].count + 2) // 3


def _sheet(k: int) -> str:
    body = b"PK\x03\x04" + bytes((k * 31 + n * 7) % 256 for n in range(3000))
    return base64.b64encode(body).decode("ascii")


def get_list(ctx: Context, body: etree._Element) -> Result:
    """Legacy get_list of supdoc (attachments of bills with SUPDOCID;
    https://developer.intacct.com/api/company-console/attachments/)."""
    object_name = (body.get("object") or "").strip()
    if object_name.lower() != "supdoc":
        raise fail(f"get_list of '{object_name}' is not supported by the sandbox (only supdoc)")
    if "SUPDOC" in ctx.state.denied:
        raise fail(
            "You do not have permission for API operation GET_LIST on objects of type supdoc",
            errorno="PL04000005",
            description="Permission Denied",
        )
    start = _int(body.get("start") or "", 0, "start")
    maxitems = _int(body.get("maxitems") or "", 100, "maxitems")
    total = supdoc_count(ctx.state)
    bills = ctx.state.company.sources["APBILL"]
    items = []
    for k in range(start, min(total, start + maxitems)):
        row = bills.row(3 * k)
        # Every 7th document also holds a spreadsheet (~3 kB): documents can hold several files.
        sheet = (
            "<attachment>"
            f"{element('attachmentname', row['RECORDID'] + ' detail')}<attachmenttype>xlsx</attachmenttype>"
            f"<attachmentdata>{_sheet(k)}</attachmentdata></attachment>"
            if k % 7 == 0
            else ""
        )
        items.append(
            "<supdoc>"
            f"{element('recordno', str(k + 1))}{element('supdocid', row['SUPDOCID'])}"
            f"{element('supdocname', 'Invoice ' + row['RECORDID'])}<folder>Bills</folder><description/>"
            f"{element('creationdate', row['WHENCREATED'])}<createdby>admin</createdby>"
            "<attachments><attachment>"
            f"{element('attachmentname', row['RECORDID'])}<attachmenttype>pdf</attachmenttype>"
            f"<attachmentdata>{_PDF}</attachmentdata>"
            f"</attachment>{sheet}</attachments></supdoc>"
        )
    end = start + len(items) - 1
    inner = f'<listtype start="{start}" end="{end}" total="{total}">supdoc</listtype><data>{"".join(items)}</data>'
    return Result("success", inner, object_name="SUPDOC")


# ---------------------------------------------------------------------------------------------- inspect
def inspect(ctx: Context, body: etree._Element) -> Result:
    """`inspect` of `*`: every object, typenames in lower case, custom ones too
    (https://developer.intacct.com/api/platform-services/objects/#list-objects)."""
    wanted = text_of(body, "object") or text_of(body, "name")
    if wanted != "*":
        raise fail("The sandbox answers inspect of '*' only; use lookup for one object")
    types = "".join(
        f"<type typename='{esc_attr(obj.name.lower())}'>{esc(_title(obj.name))}</type>"
        for obj in ctx.state.catalog.values()
    )
    return Result("success", f"<data listtype='All' count='1'>{types}</data>", object_name="*")


def _title(name: str) -> str:
    return name.replace("_", " ").title() if name.islower() else name.title()


def get_dimensions(ctx: Context, body: etree._Element) -> Result:
    """The company's dimensions, standard and user-defined
    (https://developer.intacct.com/api/platform-services/dimensions/#list-dimensions)."""
    standard = [
        (
            name,
            name.title(),
            name in ("DEPARTMENT", "LOCATION", "PROJECT", "CUSTOMER", "VENDOR", "ITEM", "CLASS"),
        )
        for name in (
            "DEPARTMENT",
            "LOCATION",
            "PROJECT",
            "CUSTOMER",
            "VENDOR",
            "EMPLOYEE",
            "ITEM",
            "CLASS",
            "TASK",
        )
    ]
    dims = [(n, label, enabled, False) for n, label, enabled in standard]
    dims += [(n, label, True, True) for n, label in USER_DIMENSIONS if n in ctx.state.catalog]
    items = "".join(
        "<dimension>"
        f"{element('objectName', name)}{element('objectLabel', label)}{element('termLabel', label)}"
        f"{element('userDefinedDimension', _bool(udd))}{element('enabledInGL', _bool(enabled))}"
        "</dimension>"
        for name, label, enabled, udd in dims
    )
    return Result("success", f"<data><dimensions>{items}</dimensions></data>", object_name="")


HANDLERS: dict[str, Handler] = {
    "query": query,
    "readByQuery": read_by_query,
    "readMore": read_more,
    "read": read,
    "readByName": read_by_name,
    "readUserFormatting": read_user_formatting,
    "readEntityDetails": read_entity_details,
    "lookup": lookup,
    "get_list": get_list,
    "inspect": inspect,
    "getDimensions": get_dimensions,
}


def run_function(ctx: Context, name: str, body: etree._Element) -> Result:
    """Run one `<function>` by name; unknown names and function errors become failure results."""
    handler = HANDLERS.get(name)
    if handler is None:
        return Result(
            "failure",
            errors=[
                GatewayError(
                    "XL03000004",
                    f"The function '{name}' is not supported by the Intacct sandbox.",
                    "Unsupported function",
                )
            ],
        )
    try:
        return handler(ctx, body)
    except FunctionFailure as failure:
        return Result(
            "failure", errors=[failure.error], object_name=text_of(body, "object").upper()
        )


__all__ = ["Context", "Result", "run_function", "visibility"]

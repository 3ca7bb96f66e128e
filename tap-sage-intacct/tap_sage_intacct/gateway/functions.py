"""Request building: the `<request>` envelope, login and session blocks, the read functions and
the filter language of `query`. Every value is XML-escaped here; each builder returns a fragment.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

#: `query` pages hold 1..2000 rows (https://developer.intacct.com/web-services/queries/).
MAX_QUERY_PAGE_SIZE = 2000


def _x(value: object) -> str:
    return escape(str(value))


def envelope(
    *,
    sender_id: str,
    sender_password: str,
    authentication: str,
    functions: Sequence[str],
) -> bytes:
    """The `<request>` document, elements in the order the official SDKs write them."""
    content = "".join(
        f'<function controlid="{uuid.uuid4().hex}">{fn}</function>' for fn in functions
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><request><control>'
        f"<senderid>{_x(sender_id)}</senderid><password>{_x(sender_password)}</password>"
        f"<controlid>{uuid.uuid4().hex}</controlid><uniqueid>false</uniqueid>"
        "<dtdversion>3.0</dtdversion><includewhitespace>false</includewhitespace></control>"
        f'<operation transaction="false"><authentication>{authentication}</authentication>'
        f"<content>{content}</content></operation></request>"
    ).encode()


def login_block(user_id: str, company_id: str, user_password: str, entity_id: str = "") -> str:
    """The `<login>` authentication block; `<locationid>` opens an entity session."""
    # <password> must follow <companyid>, or the login fails.
    location = f"<locationid>{_x(entity_id)}</locationid>" if entity_id else ""
    return (
        f"<login><userid>{_x(user_id)}</userid><companyid>{_x(company_id)}</companyid>"
        f"<password>{_x(user_password)}</password>{location}</login>"
    )


def session_block(session_id: str) -> str:
    """The `<sessionid>` authentication block of a request made within a session."""
    return f"<sessionid>{_x(session_id)}</sessionid>"


def fn_get_api_session() -> str:
    """`getAPISession`: returns the session id and the endpoint to use for it."""
    return "<getAPISession/>"


def fn_lookup(object_name: str) -> str:
    """`lookup`: an object's field definitions (names, datatypes, valid values)."""
    return f"<lookup><object>{_x(object_name)}</object></lookup>"


def fn_inspect_all() -> str:
    """Every object the company has, custom ones included
    (https://developer.intacct.com/api/platform-services/objects/#list-objects)."""
    return "<inspect><object>*</object></inspect>"


def fn_get_dimensions() -> str:
    """The company's dimensions, user-defined ones included
    (https://developer.intacct.com/api/platform-services/dimensions/#list-dimensions)."""
    return "<getDimensions/>"


#: readByQuery pages hold 1..1000 rows (https://developer.intacct.com/web-services/queries/).
MAX_READ_BY_QUERY_PAGE_SIZE = 1000


def fn_read_by_query(object_name: str, fields: Sequence[str], query: str, page_size: int) -> str:
    """The legacy read, for objects `query` refuses; `query` is the SQL-like filter text."""
    return (
        f"<readByQuery><object>{_x(object_name)}</object><fields>{_x(','.join(fields))}</fields>"
        f"<query>{_x(query)}</query><pagesize>{int(page_size)}</pagesize>"
        "<returnFormat>xml</returnFormat></readByQuery>"
    )


def fn_read_more(result_id: str) -> str:
    """The `readMore` function: the next page of a readByQuery result set."""
    return f"<readMore><resultId>{_x(result_id)}</resultId></readMore>"


def fn_read_entity_details() -> str:
    """`readEntityDetails`: the entities the user can open a session in."""
    return "<readEntityDetails/>"


def fn_read_by_name(object_name: str, keys: str, fields: str = "*") -> str:
    """`readByName` of comma-separated natural keys, answered as XML."""
    return (
        f"<readByName><object>{_x(object_name)}</object><keys>{_x(keys)}</keys>"
        f"<fields>{_x(fields)}</fields><returnFormat>xml</returnFormat></readByName>"
    )


def fn_read_user_formatting(user_recordno: str) -> str:
    """`readUserFormatting` of one user RECORDNO: its date format and GMT offset."""
    return f"<readUserFormatting><key>{_x(user_recordno)}</key></readUserFormatting>"


# Filters for the `query` function (https://developer.intacct.com/web-services/queries/).
# Each returns an XML fragment.


def f_cmp(op: str, field_name: str, value: object) -> str:
    """A `query` filter comparing one field with one value under operator element `op`."""
    return f"<{op}><field>{_x(field_name)}</field><value>{_x(value)}</value></{op}>"


def f_eq(field_name: str, value: object) -> str:
    """Filter: field equals value (`<equalto>`)."""
    return f_cmp("equalto", field_name, value)


def f_gt(field_name: str, value: object) -> str:
    """Filter: field strictly after value (`<greaterthan>`), for keyset paging."""
    return f_cmp("greaterthan", field_name, value)


def f_ge(field_name: str, value: object) -> str:
    """Filter: field at or after value (`<greaterthanorequalto>`)."""
    return f_cmp("greaterthanorequalto", field_name, value)


def f_in(field_name: str, values: Iterable[object]) -> str:
    """Filter: field is one of the values (`<in>`)."""
    inner = "".join(f"<value>{_x(v)}</value>" for v in values)
    return f"<in><field>{_x(field_name)}</field>{inner}</in>"


def f_isnull(field_name: str) -> str:
    """Filter: field is empty (`<isnull>`)."""
    return f"<isnull><field>{_x(field_name)}</field></isnull>"


def f_isnotnull(field_name: str) -> str:
    """Filter: field has a value (`<isnotnull>`)."""
    return f"<isnotnull><field>{_x(field_name)}</field></isnotnull>"


def _combine(op: str, parts: Sequence[str | None]) -> str | None:
    kept = [p for p in parts if p]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return f"<{op}>{''.join(kept)}</{op}>"


def f_and(*parts: str | None) -> str | None:
    """`<and>` of the parts that are not None; one part is returned alone, none gives None."""
    return _combine("and", parts)


def f_or(*parts: str | None) -> str | None:
    """`<or>` of the parts that are not None; one part is returned alone, none gives None."""
    return _combine("or", parts)


def fn_query(
    object_name: str,
    fields: Sequence[str],
    *,
    filter_xml: str | None = None,
    order_by: Sequence[str] = (),
    page_size: int = MAX_QUERY_PAGE_SIZE,
    show_private: bool = False,
    offset: int | None = None,
) -> str:
    """A `query` page of `page_size` rows: selected fields, optional filter, ascending order."""
    select = "".join(f"<field>{_x(f)}</field>" for f in fields)
    filt = f"<filter>{filter_xml}</filter>" if filter_xml else ""
    order = (
        "<orderby>"
        + "".join(f"<order><field>{_x(f)}</field><ascending/></order>" for f in order_by)
        + "</orderby>"
        if order_by
        else ""
    )
    options = "<options><showprivate>true</showprivate></options>" if show_private else ""
    off = f"<offset>{int(offset)}</offset>" if offset is not None else ""
    return (
        f"<query><object>{_x(object_name)}</object><select>{select}</select>{filt}{order}"
        f"{options}<pagesize>{int(page_size)}</pagesize>{off}</query>"
    )


def function_name(fragment: str) -> str:
    """`<query>...` -> `query`: the function an XML fragment calls."""
    end = len(fragment)
    for stop in (" ", ">", "/"):
        pos = fragment.find(stop, 1)
        if pos != -1:
            end = min(end, pos)
    return fragment[1:end]

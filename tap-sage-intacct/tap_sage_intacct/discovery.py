"""Discovery: every object the user may read, from Intacct's own listing, each with its behaviour.

One login, then:
  1. `inspect` of `*` (every object, custom ones included, type names in lower case:
     https://developer.intacct.com/api/platform-services/objects/#list-objects) and `getDimensions`
     (https://developer.intacct.com/api/platform-services/dimensions/#list-dimensions), in one request;
  2. `lookup` of every object, `LOOKUPS_PER_REQUEST` functions a request: its canonical name
     (`<Type Name>`: upper case for standard objects, lower case for custom ones), fields and
     relationships;
  3. a one-row `query` of every object, as many a request: an object `query` refuses is then probed
     with `readByQuery` and, when that reads it, is extracted with readByQuery.
Each object's key, replication, parent and read function are decided here from those answers and
written into the catalog metadata (`catalog_metadata.py`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree

from tap_sage_intacct import gateway
from tap_sage_intacct.attachments import SUPDOC_SCHEMA, SUPDOC_SPEC, fn_get_list_supdoc
from tap_sage_intacct.objects import (
    GENERIC_FALLBACK,
    KNOWN_NATURAL_IDS,
    QUERY,
    READ_BY_QUERY,
    STANDARD_OBJECTS,
    ObjectSpec,
)
from tap_sage_intacct.schema import (
    TIMESTAMP,
    FieldDef,
    fields_from_lookup,
    fields_from_spec,
    json_schema,
)

LOGGER = logging.getLogger("tap_sage_intacct")

#: How many `lookup` (or probe) functions travel in one request.
LOOKUPS_PER_REQUEST = 50
RECORDNO = "RECORDNO"
WHENMODIFIED = "WHENMODIFIED"
#: At most this many objects are discovered (a listing longer than any company's is cut, with a warning).
MAX_OBJECTS = 5000
MAX_NAME_LENGTH = 100
#: Objects listed by `inspect` that are no table to extract.
NOT_EXTRACTED = frozenset({"DIMENSIONS"})


@dataclass(frozen=True)
class Dimension:
    """One `getDimensions` entry."""

    object_name: str
    label: str
    user_defined: bool


@dataclass
class Discovered:
    """One object as discovery found it: how it becomes a stream, and its schema."""

    spec: ObjectSpec
    schema: dict[str, Any]


@dataclass(frozen=True)
class _Lookup:
    name: str
    fields: list[FieldDef]
    relationships: list[tuple[str, str]]  # (OBJECTNAME, RELATEDBY)


def discover_objects(
    conn: gateway.IntacctConnection, extra_objects: Iterable[str]
) -> list[Discovered]:
    """Every readable object (module docstring); defaults first, in the tap's usual order."""
    listed, dimensions = _list_objects(conn)
    defaults = {s.object_name.upper(): s for s in STANDARD_OBJECTS}
    names: dict[str, str] = {s.object_name.upper(): s.object_name for s in STANDARD_OBJECTS}
    for name in [*listed, *(str(n).strip() for n in extra_objects)]:
        if not _plain_name(name):
            LOGGER.warning("Leaving out object %r: not a plain object name", name[:80])
        elif name.upper() not in names and name.upper() not in NOT_EXTRACTED:
            names[name.upper()] = name
    if len(names) > MAX_OBJECTS:
        LOGGER.warning(
            "Intacct lists %d objects; discovering the first %d", len(names), MAX_OBJECTS
        )
        names = dict(list(names.items())[:MAX_OBJECTS])
    found: list[Discovered] = []
    if names.pop(SUPDOC_SPEC.object_name.upper(), None) is not None:
        # Supporting documents have no lookup and no query: a stream of their own (attachments.py).
        found.append(Discovered(SUPDOC_SPEC, copy.deepcopy(SUPDOC_SCHEMA)))
    for batch in _batches(list(names.values())):
        results = _call(conn, [gateway.fn_lookup(n) for n in batch], "lookup (discovery)")
        for asked, result in zip(batch, results, strict=True):
            default = defaults.get(asked.upper())
            lookup = _read_lookup(asked, result, default)
            if lookup is None and default is None:
                continue
            found.append(_discovered(asked, lookup, default, dimensions))
    _probe_read_functions(conn, found)
    return _unique_stream_names(found)


def _unique_stream_names(found: list[Discovered]) -> list[Discovered]:
    """One stream per name: an object whose lower-case name is a stream already is left out."""
    kept: dict[str, Discovered] = {}
    for item in found:
        name = item.spec.stream_name
        if name in kept:
            LOGGER.warning(
                "Leaving out object %s: its stream name '%s' is %s's already",
                item.spec.object_name,
                name,
                kept[name].spec.object_name,
            )
            continue
        kept[name] = item
    return list(kept.values())


def _plain_name(name: str) -> bool:
    """An object name as Intacct spells them: letters, digits and `_`, at most 100 characters
    (it becomes a stream and a table name)."""
    return 0 < len(name) <= MAX_NAME_LENGTH and name.isascii() and name.replace("_", "").isalnum()


def _call(
    conn: gateway.IntacctConnection, functions: list[str], where: str
) -> list[gateway.FunctionResult]:
    """One request; an answer with another number of results than functions is refused."""
    results = conn.call(functions, where)
    if len(results) != len(functions):
        raise gateway.FatalError(f"{where}: {len(results)} results for {len(functions)} functions")
    return results


def _batches(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), LOOKUPS_PER_REQUEST):
        yield items[start : start + LOOKUPS_PER_REQUEST]


def _list_objects(conn: gateway.IntacctConnection) -> tuple[list[str], dict[str, Dimension]]:
    """Type names from `inspect *` (plus `supdoc` when `get_list` reads it) and the dimensions;
    an unreadable listing leaves the defaults."""
    listing, dims, supdoc = _call(
        conn,
        [gateway.fn_inspect_all(), gateway.fn_get_dimensions(), fn_get_list_supdoc(0, 1)],
        "inspect * (discovery)",
    )
    names: list[str] = []
    if listing.ok and listing.data is not None:
        names = [t.get("typename", "").strip() for t in listing.data.iterfind("type")]
    else:
        error = gateway.classify_errors("result", listing.errors, "inspect *")
        LOGGER.warning("Discovering the default streams only: %s", error.message)
    dimensions: dict[str, Dimension] = {}
    if dims.ok and dims.data is not None:
        for dim in dims.data.iterfind("dimensions/dimension"):
            name = (dim.findtext("objectName") or "").strip()
            if name:
                dimensions[name.upper()] = Dimension(
                    name,
                    (dim.findtext("termLabel") or dim.findtext("objectLabel") or name).strip(),
                    (dim.findtext("userDefinedDimension") or "").strip().lower() == "true",
                )
    if supdoc.ok:
        names.append(SUPDOC_SPEC.object_name)
    else:
        error = gateway.classify_errors("result", supdoc.errors, "get_list supdoc")
        LOGGER.info("Leaving out object supdoc: %s", error.message)
    return [n for n in names if n], dimensions


def _read_lookup(
    asked: str, result: gateway.FunctionResult, default: ObjectSpec | None
) -> _Lookup | None:
    """The lookup's canonical name, fields and relationships; None when refused, with one line
    naming the object left out (a default stream is kept, with its built-in schema)."""
    if not result.ok:
        error = gateway.classify_errors("result", result.errors, f"lookup {asked}")
        if default is not None:
            LOGGER.warning(
                "Using the built-in schema for '%s': %s", default.stream_name, error.message
            )
        else:
            denied = isinstance(error, gateway.PermissionDeniedError)
            LOGGER.log(
                logging.INFO if denied else logging.WARNING,
                "Leaving out object %s: %s",
                asked,
                error.message,
            )
        return None
    fields = fields_from_lookup(result.data)
    if not fields:
        if default is None:
            LOGGER.warning("Leaving out object %s: its lookup lists no fields", asked)
        return None
    type_el = None if result.data is None else result.data.find(".//Type")
    name = (type_el.get("Name") if type_el is not None else None) or asked
    return _Lookup(name.strip(), fields, _relationships(type_el))


def _relationships(type_el: etree._Element | None) -> list[tuple[str, str]]:
    if type_el is None:
        return []
    return [
        ((r.findtext("OBJECTNAME") or "").strip(), (r.findtext("RELATEDBY") or "").strip())
        for r in type_el.iterfind("Relationships/Relationship")
    ]


def _discovered(
    asked: str, lookup: _Lookup | None, default: ObjectSpec | None, dims: dict[str, Dimension]
) -> Discovered:
    if lookup is None:
        # A default stream keeps its built-in schema when lookup is refused (as it always has).
        assert default is not None  # noqa: S101 - the caller drops the other case
        return Discovered(default, json_schema(fields_from_spec(default.fallback_field_types())))
    spec = behaviour_from_lookup(lookup.name, lookup.fields, lookup.relationships, default)
    schema = json_schema(lookup.fields)
    _describe_dimension_fields(schema, dims)
    return Discovered(spec, schema)


def behaviour_from_lookup(
    name: str,
    fields: Sequence[FieldDef],
    relationships: Sequence[tuple[str, str]],
    default: ObjectSpec | None = None,
) -> ObjectSpec:
    """Key, replication, parent and natural id of one object, from its lookup."""
    by_name = {f.name: f for f in fields}
    upper = name.upper()
    key = next(
        (k for k in (RECORDNO, f"{upper}ID", "ID", "NAME") if k in by_name),
        next((f.name for f in fields), RECORDNO),
    )
    modified = by_name.get(WHENMODIFIED)
    if modified is not None and modified.datatype == TIMESTAMP:
        replication_key, reason = WHENMODIFIED, "WHENMODIFIED"
    else:
        replication_key, reason = "", "full table: the lookup has no WHENMODIFIED timestamp"
    parent = default.parent if default is not None else None
    if parent is None:
        # A line names its header in a MANY2ONE relationship, and its name extends the header's
        # (APBILL -> APBILLITEM, ARINVOICE -> ARINVOICEITEM, saas_contract -> saas_contract_seat).
        parent = next(
            (
                (target, by)
                for target, by in relationships
                if target
                and by in by_name
                and upper.startswith(target.upper())
                and upper != target.upper()
            ),
            None,
        )
    natural = KNOWN_NATURAL_IDS.get(upper, RECORDNO if RECORDNO in by_name else key)
    base = default or ObjectSpec(
        stream_name=name.lower(), object_name=name, fallback_fields=GENERIC_FALLBACK
    )
    return replace(
        base,
        object_name=name,
        key_properties=(key,),
        replication_key=replication_key,
        replication_reason=reason,
        natural_id=default.natural_id if default is not None else natural,
        parent=parent,
        custom=name.islower(),
        selected_by_default=default is not None and default.selected_by_default,
    )


def _describe_dimension_fields(schema: dict[str, Any], dims: dict[str, Dimension]) -> None:
    """A `GLDIM<NAME>` field holds the ID of a record of the user-defined dimension <name>."""
    for field_name, prop in schema["properties"].items():
        if not field_name.startswith("GLDIM"):
            continue
        dim = dims.get(field_name.removeprefix("GLDIM"))
        if dim is not None:
            prop["description"] = (
                f"User-defined dimension {dim.object_name} ({dim.label}): the ID of one of its records"
            )


def _probe_read_functions(conn: gateway.IntacctConnection, found: list[Discovered]) -> None:
    """One-row `query` of each object; where query refuses it, a one-row `readByQuery`."""
    refused: list[Discovered] = []
    probed = [d for d in found if d.spec.read_function in (QUERY, READ_BY_QUERY)]
    for start in range(0, len(probed), LOOKUPS_PER_REQUEST):
        batch = probed[start : start + LOOKUPS_PER_REQUEST]
        probes = [
            gateway.fn_query(d.spec.object_name, [d.spec.key_properties[0]], page_size=1)
            for d in batch
        ]
        for item, result in zip(batch, _call(conn, probes, "query (discovery probe)"), strict=True):
            if result.ok:
                continue
            error = gateway.classify_errors("result", result.errors, "query")
            if not isinstance(error, gateway.PermissionDeniedError):
                refused.append(item)
    for start in range(0, len(refused), LOOKUPS_PER_REQUEST):
        batch = refused[start : start + LOOKUPS_PER_REQUEST]
        probes = [
            gateway.fn_read_by_query(d.spec.object_name, [d.spec.key_properties[0]], "", 1)
            for d in batch
        ]
        for item, result in zip(
            batch, conn.call(probes, "readByQuery (discovery probe)"), strict=False
        ):
            if result.ok:
                LOGGER.info("query refuses %s; it is read with readByQuery", item.spec.object_name)
                item.spec = replace(item.spec, read_function=READ_BY_QUERY)


__all__ = [
    "LOOKUPS_PER_REQUEST",
    "Dimension",
    "Discovered",
    "behaviour_from_lookup",
    "discover_objects",
]

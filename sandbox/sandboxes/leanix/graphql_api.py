"""Pathfinder GraphQL (`POST /services/pathfinder/v1/graphql`), built with graphql-core.

https://docs-eam.leanix.net/docs/graphql-basics

The schema is the part of LeanIX's that a client needs to verify what an integration wrote:
`allFactSheets(first, after, filter{externalIds, ids, facetFilters})` with forward-only Relay
cursors and `totalCount` (https://docs-eam.leanix.net/reference/pagination-in-graphql),
`factSheet(id)`, the `BaseFactSheet` interface with one concrete type per fact sheet type, per-type
relation fields (`relApplicationToITComponent`, ...) and documents. Errors are answered as HTTP 200
with an `errors` array (LeanIX's example error response,
https://docs-eam.leanix.net/reference/manage-relations-between-fact-sheets).

`costTotalAnnual` is a `Decimal` scalar here, not `Float`: a double cannot hold 1234567890123.45 to the
cent. It serialises as an exact JSON number (the same text LeanIX would send), so clients reading with
`parse_float=Decimal` get the exact amount and clients reading floats see the usual number.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
    graphql_sync,
)
from graphql.language import ast

from sandboxes.leanix import mutations, subscriptions
from sandboxes.leanix.exactjson import decimal_text
from sandboxes.leanix.metamodel import FACT_SHEET_TYPES, relation_fields_for, relation_type
from sandboxes.leanix.workspace import ACTIVE, ARCHIVED, Document, FactSheet, Workspace

_EXTRA_FIELDS = {
    "Application": ("businessCriticality", "functionalSuitability", "technicalSuitability"),
    "ITComponent": ("technicalSuitability",),
}

_BASE_FIELDS = """
  id: ID!
  rev: Long
  name: String!
  displayName: String
  fullName: String
  type: String!
  category: String
  description: String
  status: String
  externalId: ExternalId
  alias: String
  release: String
  lifecycle: Lifecycle
  tags: [Tag]
  subscriptions: SubscriptionConnection
  documents(first: Int, after: String): DocumentConnection
  createdAt: String
  updatedAt: String
"""


def _sdl() -> str:
    types = []
    for fs_type in FACT_SHEET_TYPES:
        extra = "".join(f"  {name}: String\n" for name in _EXTRA_FIELDS.get(fs_type, ()))
        relations = "".join(
            f"  {name}(first: Int, after: String): FactSheetRelationConnection\n"
            for name in relation_fields_for(fs_type)
        )
        types.append(
            f"type {fs_type} implements BaseFactSheet {{\n{_BASE_FIELDS}{extra}{relations}}}\n"
        )
    type_enum = " ".join(FACT_SHEET_TYPES)
    return f"""
scalar Long
scalar Decimal
scalar JSON

enum FactSheetType {{ {type_enum} }}
enum FacetKeyOperator {{ OR AND NOR }}

input FacetFilterInput {{
  facetKey: String!
  keys: [String]
  operator: FacetKeyOperator
  dateFilter: JSON
  subscriptionFilter: JSON
  relationFieldsFilterOperator: JSON
  relationFieldsFilter: JSON
}}

input FilterInput {{
  externalIds: [String]
  ids: [ID]
  facetFilters: [FacetFilterInput]
  fullTextSearch: String
  responseOptions: JSON
}}

enum SortOrder {{ asc desc }}
input Sorting {{ key: String mode: String order: SortOrder }}

input BaseFactSheetInput {{
  name: String!
  type: FactSheetType!
}}

enum PatchOperation {{ add replace remove }}

input Patch {{
  op: PatchOperation!
  path: String!
  value: String
}}

type PageInfo {{
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}}

type ExternalId {{
  type: String
  externalId: String
  externalUrl: String
  externalVersion: String
  comment: String
  status: String
  forceWrite: Boolean
}}

type TagGroup {{ id: ID name: String shortName: String }}
type User {{ id: ID userName: String email: String firstName: String lastName: String }}
type SubscriptionRole {{ id: ID name: String comment: String }}
type Subscription {{ id: ID type: String user: User roles: [SubscriptionRole] }}
type SubscriptionEdge {{ node: Subscription }}
type SubscriptionConnection {{ totalCount: Int edges: [SubscriptionEdge] }}
type Tag {{ id: ID name: String color: String description: String tagGroup: TagGroup }}

type LifecyclePhase {{ phase: String startDate: String }}
type Lifecycle {{ asString: String phases: [LifecyclePhase] }}

type Document {{
  id: ID!
  name: String
  url: String
  description: String
  documentType: String
  origin: String
  metadata: String
  createdAt: String
}}
type DocumentEdge {{ node: Document cursor: String }}
type DocumentConnection {{ totalCount: Int! edges: [DocumentEdge] pageInfo: PageInfo }}

type FactSheetRelation {{
  id: ID!
  type: String
  description: String
  activeFrom: String
  activeUntil: String
  costTotalAnnual: Decimal
  factSheet: BaseFactSheet
}}
type FactSheetRelationEdge {{ node: FactSheetRelation cursor: String }}
type FactSheetRelationConnection {{
  totalCount: Int!
  edges: [FactSheetRelationEdge]
  pageInfo: PageInfo
}}

interface BaseFactSheet {{
{_BASE_FIELDS}}}

{"".join(types)}

type FactSheetEdge {{ node: BaseFactSheet cursor: String }}
type FactSheetConnection {{ totalCount: Long! pageInfo: PageInfo! edges: [FactSheetEdge] }}

type FactSheetResult {{ factSheet: BaseFactSheet }}

type Query {{
  allFactSheets(first: Int, after: String, filter: FilterInput, factSheetType: FactSheetType, sort: [Sorting]): FactSheetConnection
  factSheet(id: ID!): BaseFactSheet
}}

type Mutation {{
  createFactSheet(input: BaseFactSheetInput!, patches: [Patch], validateOnly: Boolean): FactSheetResult
  updateFactSheet(id: ID!, patches: [Patch]!, comment: String, validateOnly: Boolean, rev: Long): FactSheetResult
}}
"""


def _parse_decimal(value: object) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise GraphQLError(f"Decimal cannot represent {value!r}") from error
    if not number.is_finite():
        raise GraphQLError(f"Decimal cannot represent {value!r}")
    return number


def _parse_decimal_literal(
    node: ast.ValueNode, _variables: dict[str, Any] | None = None
) -> Decimal:
    if isinstance(node, ast.IntValueNode | ast.FloatValueNode | ast.StringValueNode):
        return _parse_decimal(node.value)
    raise GraphQLError("Decimal needs a number")


def _parse_json_literal(node: ast.ValueNode, variables: dict[str, Any] | None = None) -> Any:  # noqa: ANN401
    from graphql.utilities import value_from_ast_untyped  # noqa: PLC0415 - only for JSON literals

    return value_from_ast_untyped(node, variables)


def build() -> GraphQLSchema:
    schema = build_schema(_sdl())
    decimal = schema.type_map["Decimal"]
    assert isinstance(decimal, GraphQLScalarType)  # noqa: S101 - defined in the SDL above
    decimal.serialize = _parse_decimal  # type: ignore[method-assign]
    decimal.parse_value = _parse_decimal  # type: ignore[method-assign]
    decimal.parse_literal = _parse_decimal_literal  # type: ignore[method-assign,assignment]
    json_scalar = schema.type_map["JSON"]
    assert isinstance(json_scalar, GraphQLScalarType)  # noqa: S101
    json_scalar.parse_literal = _parse_json_literal  # type: ignore[method-assign]
    return schema


_SORT_KEYS: dict[str, Callable[[FactSheet], str]] = {
    "displayName": lambda sheet: sheet.display_name.lower(),
    "name": lambda sheet: sheet.name.lower(),
    "updatedAt": lambda sheet: sheet.updated_at,
    "createdAt": lambda sheet: sheet.created_at,
}


def _cursor(key: list[str]) -> str:
    return base64.b64encode(json.dumps(key).encode()).decode()


def _decode_cursor(cursor: str) -> list[str]:
    try:
        key = json.loads(base64.b64decode(cursor.encode(), validate=True))
    except ValueError as error:
        raise GraphQLError(f"Invalid cursor {cursor!r}") from error
    if not isinstance(key, list):
        raise GraphQLError(f"Invalid cursor {cursor!r}")
    return [str(part) for part in key]


def _page(
    items: list[Any],
    key: Callable[[Any], list[str]],
    first: int | None,
    after: str | None,
    *,
    descending: bool = False,
) -> tuple[list[tuple[Any, str]], bool]:
    """Forward-only keyset pagination: pages follow live data, as LeanIX's do
    (https://docs-eam.leanix.net/reference/pagination-in-graphql)."""
    ordered = sorted(items, key=key, reverse=descending)
    if after:
        boundary = _decode_cursor(after)
        ordered = [
            item
            for item in ordered
            if (key(item) < boundary if descending else key(item) > boundary)
        ]
    if first is not None and first < 0:
        raise GraphQLError("'first' must not be negative")
    page = ordered if first is None else ordered[:first]
    return [(item, _cursor(key(item))) for item in page], len(page) < len(ordered)


def _page_info(edges: list[tuple[Any, str]], *, has_next: bool) -> dict[str, Any]:
    return {
        "hasNextPage": has_next,
        "hasPreviousPage": False,
        "startCursor": edges[0][1] if edges else None,
        "endCursor": edges[-1][1] if edges else None,
    }


class GraphQLApi:
    """Pathfinder GraphQL over the workspace: fact sheet queries and create/update mutations."""

    def __init__(self, workspace: Workspace, now: Callable[[], str]) -> None:
        self.workspace = workspace
        self.now = now
        self.schema = build()

    def execute(self, body: object) -> dict[str, Any]:
        """Run one GraphQL request body; errors go in `errors` (LeanIX answers HTTP 200)."""
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return {"errors": [{"message": "The request needs a 'query' string"}]}
        variables = body.get("variables")
        with self.workspace.lock:
            result = graphql_sync(
                self.schema,
                body["query"],
                root_value=self._root(),
                variable_values=variables if isinstance(variables, dict) else None,
                operation_name=body.get("operationName"),
            )
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        if result.data is not None or not result.errors:
            payload["data"] = result.data
        return payload

    def _root(self) -> dict[str, Any]:
        return {
            "allFactSheets": self._all_fact_sheets,
            "factSheet": self._fact_sheet,
            "createFactSheet": self._create,
            "updateFactSheet": self._update,
        }

    # -- queries ------------------------------------------------------------------------------

    def _fact_sheet(self, _info: object, id: str) -> dict[str, Any] | None:
        sheet = self.workspace.fact_sheet(id)
        return self.node(sheet) if sheet else None

    def _all_fact_sheets(
        self,
        _info: object,
        first: int | None = None,
        after: str | None = None,
        filter: dict[str, Any] | None = None,
        factSheetType: str | None = None,  # noqa: N803
        sort: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        sheets = self._filtered(filter or {}, factSheetType)
        order = (sort or [{}])[0] or {}
        field_name = order.get("key") or "displayName"
        if field_name not in _SORT_KEYS:
            raise GraphQLError(f"Cannot sort by '{field_name}': use one of {sorted(_SORT_KEYS)}")
        sort_value = _SORT_KEYS[field_name]
        edges, has_next = _page(
            sheets,
            lambda s: [sort_value(s), s.id],
            first,
            after,
            descending=order.get("order") == "desc",
        )
        return {
            "totalCount": len(sheets),
            "pageInfo": _page_info(edges, has_next=has_next),
            "edges": [{"node": self.node(sheet), "cursor": cursor} for sheet, cursor in edges],
        }

    def _filtered(self, spec: dict[str, Any], fs_type: str | None) -> list[FactSheet]:
        selection = _Selection.parse(spec, fs_type)
        if selection.external_ids is not None or selection.ids:
            candidates = self.workspace.fact_sheets_matching(
                ids=selection.ids or None, external_ids=selection.external_ids
            )
        else:
            candidates = self.workspace.fact_sheets()
        return [sheet for sheet in candidates if selection.accepts(sheet)]

    # -- nodes --------------------------------------------------------------------------------

    def node(self, sheet: FactSheet) -> dict[str, Any]:
        """A fact sheet as a GraphQL node: base fields, lifecycle, tags and documents."""
        attrs = sheet.attrs
        lifecycle = attrs.get("lifecycle") or {}
        phases = lifecycle.get("phases", []) if isinstance(lifecycle, dict) else []
        node: dict[str, Any] = {
            "__typename": sheet.type,
            "id": sheet.id,
            "rev": sheet.rev,
            "name": sheet.name,
            "displayName": sheet.display_name,
            "fullName": sheet.display_name,
            "type": sheet.type,
            "category": attrs.get("category"),
            "description": attrs.get("description"),
            "status": sheet.status,
            "externalId": (
                {"type": "ExternalId", "externalId": sheet.external_id, "status": "LINKED"}
                if sheet.external_id
                else None
            ),
            "alias": attrs.get("alias"),
            "release": attrs.get("release"),
            "lifecycle": ({"asString": phases[-1]["phase"], "phases": phases} if phases else None),
            "tags": lambda _info: self._tags(sheet),
            "subscriptions": lambda _info: subscriptions.graphql_nodes(self.workspace, sheet.id),
            "createdAt": sheet.created_at,
            "updatedAt": sheet.updated_at,
            "documents": lambda _info, first=None, after=None: self._documents(sheet, first, after),
        }
        for name in _EXTRA_FIELDS.get(sheet.type, ()):
            value = attrs.get(name)
            node[name] = None if value is None else str(value)
        for name in relation_fields_for(sheet.type):
            node[name] = self._relation_resolver(sheet, name)
        return node

    def _tags(self, sheet: FactSheet) -> list[dict[str, Any]]:
        groups = {group.id: group for group in self.workspace.tag_groups()}
        result = []
        for tag in self.workspace.tags_of(sheet.id):
            group = groups.get(tag.group_id)
            result.append(
                {
                    "id": tag.id,
                    "name": tag.name,
                    "color": tag.attrs.get("color"),
                    "description": tag.attrs.get("description"),
                    "tagGroup": (
                        {
                            "id": group.id,
                            "name": group.name,
                            "shortName": group.attrs.get("shortName"),
                        }
                        if group
                        else None
                    ),
                }
            )
        return result

    def _documents(self, sheet: FactSheet, first: int | None, after: str | None) -> dict[str, Any]:
        documents = self.workspace.documents_of(sheet.id)
        edges, has_next = _page(documents, lambda d: [f"{d.seq:012d}", d.id], first, after)
        return {
            "totalCount": len(documents),
            "pageInfo": _page_info(edges, has_next=has_next),
            "edges": [{"node": _document_node(doc), "cursor": cursor} for doc, cursor in edges],
        }

    def _relation_resolver(self, sheet: FactSheet, name: str) -> Callable[..., dict[str, Any]]:
        def resolve(
            _info: object, first: int | None = None, after: str | None = None
        ) -> dict[str, Any]:
            rel = relation_type(name)
            rows = []
            for relation in self.workspace.relations_touching(sheet.id):
                if relation.type != rel.canonical:
                    continue
                mine, other = (
                    (relation.to_id, relation.from_id)
                    if rel.swapped
                    else (relation.from_id, relation.to_id)
                )
                if mine != sheet.id:
                    continue
                other_sheet = self.workspace.fact_sheet(other)
                if other_sheet is None or other_sheet.status != ACTIVE:
                    continue
                rows.append((relation, other_sheet))
            edges, has_next = _page(
                rows, lambda row: [f"{row[0].seq:012d}", row[0].id], first, after
            )
            return {
                "totalCount": len(rows),
                "pageInfo": _page_info(edges, has_next=has_next),
                "edges": [
                    {
                        "cursor": cursor,
                        "node": {
                            "id": relation.id,
                            "type": name,
                            "description": relation.attrs.get("description"),
                            "activeFrom": relation.attrs.get("activeFrom"),
                            "activeUntil": relation.attrs.get("activeUntil"),
                            "costTotalAnnual": relation.attrs.get("costTotalAnnual"),
                            "factSheet": self.node(other_sheet),
                        },
                    }
                    for (relation, other_sheet), cursor in edges
                ],
            }

        return resolve

    # -- mutations ----------------------------------------------------------------------------

    def _create(
        self,
        _info: object,
        input: dict[str, Any],
        patches: list[dict[str, Any]] | None = None,
        validateOnly: bool | None = None,  # noqa: N803, FBT001
    ) -> dict[str, Any]:
        sheet = mutations.create(
            self.workspace, input, patches or [], self.now, validate_only=bool(validateOnly)
        )
        return {"factSheet": self.node(sheet)}

    def _update(
        self,
        _info: object,
        id: str,
        patches: list[dict[str, Any]],
        comment: str | None = None,
        validateOnly: bool | None = None,  # noqa: N803, FBT001
        rev: int | None = None,
    ) -> dict[str, Any]:
        sheet = mutations.update(
            self.workspace, id, patches, self.now, validate_only=bool(validateOnly), rev=rev
        )
        return {"factSheet": self.node(sheet)}


@dataclass
class _Selection:
    """What an `allFactSheets` filter selects (facet keys, ids, `externalId/<value>` entries)."""

    statuses: set[str] = field(default_factory=lambda: {ACTIVE})
    types: set[str] | None = None
    excluded: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    external_ids: set[str] | None = None
    needle: str = ""

    @classmethod
    def parse(cls, spec: dict[str, Any], fs_type: str | None) -> _Selection:
        selection = cls(types={fs_type} if fs_type else None)
        for facet in spec.get("facetFilters") or []:
            selection.add_facet(facet)
        selection.ids = set(spec.get("ids") or [])
        if spec.get("externalIds") is not None:
            selection.external_ids = set()
            for entry in spec["externalIds"]:
                field_name, slash, value = str(entry).partition("/")
                if not slash or field_name != "externalId":
                    raise GraphQLError(
                        f"Invalid externalIds entry {entry!r}: expected 'externalId/<value>'"
                    )
                selection.external_ids.add(value)
        selection.needle = (spec.get("fullTextSearch") or "").lower()
        return selection

    def add_facet(self, facet: dict[str, Any]) -> None:
        # An unknown facet key is an error, not an empty result (LeanIX since 2023-08-15,
        # https://updates.leanix.net/announcements/graphql-api-response-to-invalid-facet-keys).
        key, keys = facet.get("facetKey"), set(facet.get("keys") or [])
        operator = facet.get("operator") or "OR"
        if key == "FactSheetTypes":
            unknown = keys - set(FACT_SHEET_TYPES)
            if unknown:
                raise GraphQLError(f"Invalid facet keys for FactSheetTypes: {sorted(unknown)}")
            if operator == "NOR":
                self.excluded |= keys
            elif operator == "AND" and len(keys) > 1:
                self.types = set()
            elif keys:
                self.types = keys if self.types is None else self.types & keys
        elif key == "TrashBin":
            # Archived fact sheets are hidden unless asked for (LeanIX's trash bin facet).
            if keys - {"archived"}:
                raise GraphQLError(f"Invalid facet keys for TrashBin: {sorted(keys)}")
            if keys:
                self.statuses = {ARCHIVED}
        else:
            raise GraphQLError(f"Invalid facet key '{key}'")

    def accepts(self, sheet: FactSheet) -> bool:
        return (
            sheet.status in self.statuses
            and sheet.type not in self.excluded
            and (self.types is None or sheet.type in self.types)
            and (not self.ids or sheet.id in self.ids)
            and (self.external_ids is None or sheet.external_id in self.external_ids)
            and (not self.needle or self.needle in sheet.display_name.lower())
        )


def _document_node(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "name": document.name,
        "url": document.attrs.get("url"),
        "description": document.attrs.get("description"),
        "documentType": document.attrs.get("documentType"),
        "origin": document.attrs.get("origin"),
        "metadata": document.attrs.get("metadata"),
        "createdAt": document.created_at,
    }


__all__ = ["GraphQLApi", "decimal_text"]

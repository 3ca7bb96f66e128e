"""`createFactSheet` / `updateFactSheet` with JSON-Patch-style patches.

https://docs-eam.leanix.net/reference/create-and-update-fact-sheets,
https://docs-eam.leanix.net/reference/manage-relations-between-fact-sheets.

Patch `value`s are strings; complex values are JSON inside the string (`/externalId`, relations).
Relations are patched on the source fact sheet: `/relApplicationToITComponent/new_1` adds one
(`{"factSheetId": ..., "costTotalAnnual": ...}`), `/<relationName>/<relationId>` replaces or removes it.
A second relation to the same target is refused with LeanIX's
`FS_VALIDATION_RELATION_NOT_UNIQUE_OUTGOING` error (the example error response of
https://docs-eam.leanix.net/reference/manage-relations-between-fact-sheets). `/status` = `ARCHIVED`
archives, as the public LeanIX client https://github.com/cwittenberg/leanix does
(`archive_factsheet`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import GraphQLError

from sandboxes.leanix.exactjson import loads
from sandboxes.leanix.metamodel import UnknownRelationError, relation_type
from sandboxes.leanix.processors import NUMERIC_RELATION_FIELDS
from sandboxes.leanix.workspace import ACTIVE, ARCHIVED, FactSheet, Relation, Workspace, new_id

_TEXT_FIELDS = ("description", "category", "alias", "release")


def _error(message: str, sheet: FactSheet | None, path: str, error_type: str) -> GraphQLError:
    return GraphQLError(
        message,
        extensions={
            "entityType": "FACT_SHEET",
            "objectId": sheet.id if sheet else None,
            "objectPath": path,
            "errorType": error_type,
        },
    )


def create(
    workspace: Workspace,
    fields: dict[str, Any],
    patches: list[dict[str, Any]],
    now: Callable[[], str],
    *,
    validate_only: bool,
) -> FactSheet:
    """createFactSheet: a new fact sheet with the patches applied (not stored if validateOnly)."""
    if not str(fields.get("name") or "").strip():
        raise _error(
            "[FS_VALIDATION_NAME_MANDATORY] name is mandatory", None, "/name", "VALIDATION"
        )
    stamp = now()
    sheet = FactSheet(
        id=new_id(),
        type=str(fields["type"]),
        name=str(fields["name"]),
        created_at=stamp,
        updated_at=stamp,
    )
    scope = workspace.dry_run() if validate_only else workspace.transaction()
    with scope:
        workspace.save_fact_sheet(sheet)
        _apply(workspace, sheet, patches, now)
    return sheet


def update(
    workspace: Workspace,
    fact_sheet_id: str,
    patches: list[dict[str, Any]],
    now: Callable[[], str],
    *,
    validate_only: bool,
    rev: int | None,
) -> FactSheet:
    """updateFactSheet: apply the patches to an existing fact sheet, checking `rev` if given."""
    sheet = workspace.fact_sheet(fact_sheet_id)
    if sheet is None:
        raise _error(
            f"[FS_NOT_FOUND] Fact sheet '{fact_sheet_id}' does not exist", None, "/", "NOT_FOUND"
        )
    if rev is not None and rev != sheet.rev:
        raise _error(
            f"[FS_REVISION_MISMATCH] expected rev {rev}, current rev is {sheet.rev}",
            sheet,
            "/rev",
            "CONCURRENT_MODIFICATION",
        )
    scope = workspace.dry_run() if validate_only else workspace.transaction()
    with scope:
        _apply(workspace, sheet, patches, now)
    return sheet


def _apply(
    workspace: Workspace, sheet: FactSheet, patches: list[dict[str, Any]], now: Callable[[], str]
) -> None:
    changed = False
    for patch in patches:
        op, path, value = str(patch.get("op")), str(patch.get("path", "")), patch.get("value")
        parts = path.strip("/").split("/")
        if parts[0].startswith("rel") and len(parts) == 2:
            _relation_patch(
                workspace, sheet, op=op, name=parts[0], key=parts[1], value=value, now=now
            )
            continue
        if len(parts) != 1 or not parts[0]:
            raise _error(
                f"[FS_VALIDATION_PATH] unsupported patch path {path!r}", sheet, path, "VALIDATION"
            )
        _field_patch(workspace, sheet, op, parts[0], value)
        changed = True
    if changed:
        sheet.rev += 1
        sheet.updated_at = now()
        workspace.save_fact_sheet(sheet)


def _field_patch(
    workspace: Workspace, sheet: FactSheet, op: str, field: str, value: str | None
) -> None:
    path = f"/{field}"
    if op == "remove":
        if field == "externalId":
            sheet.external_id = None
        elif field == "name":
            raise _error(
                "[FS_VALIDATION_NAME_MANDATORY] name is mandatory", sheet, path, "VALIDATION"
            )
        else:
            sheet.attrs.pop(field, None)
        return
    text = "" if value is None else str(value)
    if field == "name":
        if not text.strip():
            raise _error(
                "[FS_VALIDATION_NAME_MANDATORY] name is mandatory", sheet, path, "VALIDATION"
            )
        sheet.name = text
    elif field == "externalId":
        _set_external_id(workspace, sheet, text)
    elif field == "status":
        if text not in {ACTIVE, ARCHIVED}:
            raise _error(
                f"[FS_VALIDATION_STATUS] unknown status {text!r}", sheet, path, "VALIDATION"
            )
        sheet.status = text
    elif field == "lifecycle":
        sheet.attrs["lifecycle"] = _json_or_text(text)
    elif field in _TEXT_FIELDS:
        sheet.attrs[field] = text
    else:
        sheet.attrs[field] = _json_or_text(text)


def _set_external_id(workspace: Workspace, sheet: FactSheet, text: str) -> None:
    """The value is `{"type":"ExternalId","externalId":...}` as a JSON string
    (https://docs-eam.leanix.net/reference/create-and-update-fact-sheets) or plain text."""
    external = _json_or_text(text)
    external_id = str(external.get("externalId", "")) if isinstance(external, dict) else text
    other = workspace.fact_sheet_by_external_id(sheet.type, external_id)
    if other is not None and other.id != sheet.id:
        raise _error(
            f"[FS_VALIDATION_EXTERNAL_ID_NOT_UNIQUE] externalId '{external_id}' is already used "
            f"by '{other.name}'",
            sheet,
            "/externalId",
            "MODEL_COMPLIANT",
        )
    sheet.external_id = external_id or None


def _json_or_text(text: str) -> Any:  # noqa: ANN401
    try:
        return loads(text) if text[:1] in "{[" else text
    except json.JSONDecodeError:
        return text


def _relation_patch(
    workspace: Workspace,
    sheet: FactSheet,
    *,
    op: str,
    name: str,
    key: str,
    value: str | None,
    now: Callable[[], str],
) -> None:
    path = f"/{name}/{key}"
    try:
        rel = relation_type(name)
    except UnknownRelationError as error:
        raise _error(f"[FS_VALIDATION_RELATION] {error}", sheet, path, "MODEL_COMPLIANT") from error
    if rel.from_type is not None and rel.from_type != sheet.type:
        raise _error(
            f"[FS_VALIDATION_RELATION] relation '{name}' does not exist on type '{sheet.type}'",
            sheet,
            path,
            "MODEL_COMPLIANT",
        )
    existing = None if key.startswith("new_") else workspace.relation_by_id(key)
    if op == "remove":
        if existing is None:
            raise _error(
                f"[FS_RELATION_NOT_FOUND] relation '{key}' not found", sheet, path, "NOT_FOUND"
            )
        workspace.delete_relation(existing.id)
        return
    body = _json_or_text(value or "")
    if not isinstance(body, dict) or not body.get("factSheetId"):
        raise _error(
            "[FS_VALIDATION_RELATION] relation value needs a 'factSheetId'",
            sheet,
            path,
            "VALIDATION",
        )
    target = workspace.fact_sheet(str(body["factSheetId"]))
    if target is None or (rel.to_type is not None and target.type != rel.to_type):
        raise _error(
            f"[FS_VALIDATION_RELATION] target fact sheet '{body['factSheetId']}' does not exist "
            f"or is not of type {rel.to_type}",
            sheet,
            path,
            "MODEL_COMPLIANT",
        )
    from_id, to_id = (target.id, sheet.id) if rel.swapped else (sheet.id, target.id)
    duplicate = workspace.relation(rel.canonical, from_id, to_id)
    if duplicate is not None and (existing is None or duplicate.id != existing.id):
        raise _error(
            "[FS_VALIDATION_RELATION_NOT_UNIQUE_OUTGOING] Outgoing relation occurred twice! "
            f"relation name = '{name}', from = '{sheet.name}', from type = '{sheet.type}', "
            f"to = '{target.name}', to type = '{target.type}'",
            sheet,
            f"/{name}/{duplicate.id}",
            "MODEL_COMPLIANT",
        )
    attrs = _relation_attrs(existing.attrs if existing else {}, body, sheet, path)
    stamp = now()
    if existing is None:
        if not key.startswith("new_"):
            raise _error(
                f"[FS_RELATION_NOT_FOUND] relation '{key}' not found", sheet, path, "NOT_FOUND"
            )
        workspace.save_relation(
            Relation(new_id(), rel.canonical, from_id, to_id, attrs, stamp, stamp)
        )
        return
    existing.from_id, existing.to_id, existing.attrs, existing.updated_at = (
        from_id,
        to_id,
        attrs,
        stamp,
    )
    workspace.save_relation(existing)


def _relation_attrs(
    current: dict[str, Any], body: dict[str, Any], sheet: FactSheet, path: str
) -> dict[str, Any]:
    """Relation fields from a patch value; numbers stay exact Decimals, `null` removes a field."""
    attrs = dict(current)
    for field, item in body.items():
        if field == "factSheetId":
            continue
        if field in NUMERIC_RELATION_FIELDS:
            try:
                attrs[field] = Decimal(str(item))
            except InvalidOperation as error:
                raise _error(
                    f"[FS_VALIDATION_NUMBER] {field} is not a number", sheet, path, "VALIDATION"
                ) from error
        elif item is None:
            attrs.pop(field, None)
        else:
            attrs[field] = item
    return attrs

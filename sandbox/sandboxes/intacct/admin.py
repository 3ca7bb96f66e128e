"""Intacct-specific admin routes (ground truth, mutations, permissions, sessions). See README.md."""

from __future__ import annotations

import json
from typing import Any

from sandboxes.common.http import Request, Response
from sandboxes.intacct.catalog import FieldDef, resolve
from sandboxes.intacct.functions import supdoc_count
from sandboxes.intacct.mutations import MutationError, Mutator
from sandboxes.intacct.state import IntacctState
from sandboxes.intacct.store import ALL_ENTITIES, ENTITY_INDEX, TOP_LEVEL


def _error(message: str, status: int = 400) -> Response:
    return Response.json({"error": message}, status=status)


def _allowed(request: Request) -> frozenset[int] | None:
    """`?entity=` absent: every row; `US01`: what a US01 session sees; `TOP`: top-level rows only."""
    entity = request.query_value("entity")
    if entity is None or entity == "":
        return ALL_ENTITIES
    if entity.upper() == "TOP":
        return frozenset({TOP_LEVEL})
    if entity not in ENTITY_INDEX:
        return None
    return frozenset({TOP_LEVEL, ENTITY_INDEX[entity]})


def handle(state: IntacctState, request: Request) -> Response:
    """Route one /admin/* request: ground truth, mutations, permissions, sessions (JSON answers)."""
    parts = [p for p in request.path.split("/") if p][1:]  # drop "admin"
    method = request.method
    try:
        if parts == ["mutate"] and method == "POST":
            body: Any = request.json()
            ops: Any = body.get("ops") if isinstance(body, dict) else body
            return Response.json({"results": Mutator(state).apply(ops)})
        if parts == ["permissions"]:
            if method == "POST":
                body = request.json() or {}
                state.denied = {str(o).upper() for o in body.get("deny", [])}
                state.denied_lookup = {str(o).upper() for o in body.get("deny_lookup", [])}
            return Response.json(
                {"deny": sorted(state.denied), "deny_lookup": sorted(state.denied_lookup)}
            )
        if parts == ["sessions"]:
            if method == "DELETE":
                with state.lock:
                    state.sessions.clear()
            return Response.json(
                {
                    "sessions": [
                        {"entity": s.entity, "expires_at": s.expires_at.isoformat()}
                        for s in state.sessions.values()
                    ]
                }
            )
        if parts == ["objects"]:
            return Response.json(
                {
                    name: state.store.query(
                        name,
                        None,
                        allowed=ALL_ENTITIES,
                        orderby=[],
                        offset=0,
                        limit=0,
                        now=state.now().timestamp(),
                    ).total
                    for name in state.catalog
                }
            )
        if parts == ["supdoc"]:
            return Response.json({"object": "SUPDOC", "count": supdoc_count(state)})
        if parts == ["schema"] and method == "POST":
            return _schema(state, request.json() or {})
        if len(parts) >= 2 and parts[0] in ("objects", "deleted"):
            return _objects(state, request, parts)
    except MutationError as exc:
        return _error(str(exc))
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        return _error(f"bad request: {exc}")
    return _error(f"no admin route {method} {request.path}", 404)


def _schema(state: IntacctState, body: dict[str, Any]) -> Response:
    """Schema drift: drop fields from an object (gone from `lookup`, refused in `select`, absent
    from answers) or add new ones (empty in existing rows)."""
    obj = resolve(state.catalog, str(body.get("object", "")))
    if obj is None:
        return _error(f"unknown object {body.get('object')!r}", 404)
    drop = {str(name).upper() for name in body.get("drop", [])}
    missing = sorted(drop - set(obj.by_name))
    if missing:
        return _error(f"{obj.name} has no field {missing[0]}")
    fields = [f for f in obj.fields if f.name not in drop]
    for added in body.get("add", []):
        name = str(added["name"]).upper()
        if name in obj.by_name:
            return _error(f"{obj.name} already has a field {name}")
        datatype = str(added.get("datatype", "TEXT")).upper()
        fields.append(FieldDef(name, datatype, name.title(), custom=True))
    with state.store.lock:
        obj.set_fields(fields)
        state.store.version += 1  # cached scans hold rows of the old shape
    return Response.json({"object": obj.name, "fields": obj.field_names})


def _objects(state: IntacctState, request: Request, parts: list[str]) -> Response:
    obj = resolve(state.catalog, parts[1])
    if obj is None:
        return _error(f"unknown object {parts[1]}", 404)
    name = obj.name
    now = state.now().timestamp()
    if parts[0] == "deleted":
        audit = state.store.query(
            "AUDITHISTORY", None, allowed=ALL_ENTITIES, orderby=[], offset=0, limit=10**9, now=now
        )
        rows = [r for r in audit.rows if r["OBJECTTYPE"] == name.lower() and r["ACCESSMODE"] == "D"]
        return Response.json({"object": name, "count": len(rows), "deleted": rows})
    allowed = _allowed(request)
    if allowed is None:
        return _error(f"unknown entity {request.query_value('entity')}")
    if len(parts) == 3 and parts[2] == "count":
        page = state.store.query(
            name, None, allowed=allowed, orderby=[], offset=0, limit=0, now=now
        )
        return Response.json({"object": name, "count": page.total})
    offset = int(request.query_value("offset", "0") or 0)
    limit = int(request.query_value("limit", "100000") or 100000)
    page = state.store.query(
        name, None, allowed=allowed, orderby=[], offset=offset, limit=limit, now=now
    )
    return Response.json(
        {
            "object": name,
            "total": page.total,
            "offset": offset,
            "count": len(page.rows),
            "rows": page.rows,
        }
    )

"""Sandbox-only admin routes: the workspace as ground truth for tests and the demo.

`GET /admin/export` returns the whole workspace as JSON with a stable order and decimals as strings;
`GET /admin/spend-report` sums the metrics points it holds per service and month (actual spend by
source, committed spend by source); `POST /admin/reset` empties it (configurations and runs included); `GET /admin/runs/<id>` shows one run
with its status history; `POST /admin/rate-limit {"per_second": n}` sets the per-user limit (0 = off). The common routes (`/admin/health`, `/admin/faults`, ...) are served by
`sandboxes.common.http` before these.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any, Protocol

from sandboxes.common.http import Request, Response, SandboxState
from sandboxes.leanix import subscriptions
from sandboxes.leanix.exactjson import to_plain
from sandboxes.leanix.metamodel import FACT_SHEET_TYPES, all_relation_names, relation_type
from sandboxes.leanix.ratelimit import RateLimiter
from sandboxes.leanix.workspace import FactSheet, Workspace


class AdminTarget(Protocol):
    """What the admin routes read and change: the app's workspace, common state and rate limiter."""

    state: SandboxState
    workspace: Workspace
    rate_limiter: RateLimiter | None


def handle(app: AdminTarget, request: Request, path: str) -> Response:
    """Answer one sandbox-only admin route of the LeanIX app."""
    if path == "/admin/export" and request.method == "GET":
        return Response.json(export(app.workspace))
    if path == "/admin/spend-report" and request.method == "GET":
        return Response.json(spend_report(app.workspace))
    if path == "/admin/reset" and request.method == "POST":
        app.workspace.reset()
        return Response.json({"reset": True})
    if path == "/admin/rate-limit" and request.method == "POST":
        per_second = float((request.json() or {}).get("per_second", 0))
        app.rate_limiter = (
            RateLimiter(per_second, app.state.clock.monotonic) if per_second > 0 else None
        )
        return Response.json({"per_second": per_second})
    if path.startswith("/admin/runs/") and request.method == "GET":
        run = app.workspace.run(path.removeprefix("/admin/runs/"))
        if run is None:
            return Response.json({"errors": ["no such run"]}, status=404)
        return Response.json(_run(app.workspace, run))
    return Response.json({"errors": [f"no admin route {request.method} {path}"]}, status=404)


def _sheet_ref(sheet: FactSheet | None, fallback_id: str) -> dict[str, Any]:
    if sheet is None:
        return {"id": fallback_id, "type": None, "name": None, "externalId": None}
    return {"id": sheet.id, "type": sheet.type, "name": sheet.name, "externalId": sheet.external_id}


def _run(workspace: Workspace, run: Any) -> dict[str, Any]:  # noqa: ANN401 - a workspace Run
    exported: dict[str, Any] = to_plain(
        {
            "id": run.id,
            "status": run.status,
            "test": run.test,
            "binding": run.binding,
            "description": run.description,
            "message": run.message,
            "createdAt": run.created_at,
            "contentCount": run.content_count,
            "history": run.history,
            "progress": run.progress,
            "warnings": workspace.warnings(run.id),
        }
    )
    return exported


def export(workspace: Workspace) -> dict[str, Any]:
    """Everything, in an order that depends only on the data (not on when it was written)."""
    with workspace.lock:
        sheets = workspace.fact_sheets()
        by_id = {sheet.id: sheet for sheet in sheets}
        fact_sheets = sorted(
            sheets, key=lambda s: (s.type, s.external_id or "", s.name, s.status, s.seq)
        )
        relations: list[dict[str, Any]] = []
        for relation in workspace.relations():
            source, target = by_id.get(relation.from_id), by_id.get(relation.to_id)
            relations.append(
                {
                    "id": relation.id,
                    "type": relation.type,
                    "from": _sheet_ref(source, relation.from_id),
                    "to": _sheet_ref(target, relation.to_id),
                    "fields": dict(sorted(relation.attrs.items())),
                    "createdAt": relation.created_at,
                    "updatedAt": relation.updated_at,
                }
            )
        relations.sort(
            key=lambda r: (
                r["type"],
                r["from"]["externalId"] or "",
                r["to"]["externalId"] or "",
                r["from"]["id"],
                r["to"]["id"],
            )
        )
        documents: list[dict[str, Any]] = []
        for document in workspace.documents():
            owner = by_id.get(document.fact_sheet_id)
            documents.append(
                {
                    "id": document.id,
                    "factSheet": _sheet_ref(owner, document.fact_sheet_id),
                    "name": document.name,
                    **{key: document.attrs.get(key) for key in _DOCUMENT_FIELDS},
                    "createdAt": document.created_at,
                    "updatedAt": document.updated_at,
                }
            )
        documents.sort(
            key=lambda d: (d["factSheet"]["externalId"] or "", d["factSheet"]["id"], d["name"])
        )
        groups = {group.id: group for group in workspace.tag_groups()}
        tags = workspace.tags()
        tag_names = {
            tag.id: {
                "group": groups[tag.group_id].name if tag.group_id in groups else None,
                "name": tag.name,
            }
            for tag in tags
        }
        exported_sheets = []
        for sheet in fact_sheets:
            entry = sheet.export()
            entry["subscriptions"] = subscriptions.export(workspace, sheet.id)
            entry["tags"] = sorted(
                (tag_names[tag.id] for tag in workspace.tags_of(sheet.id)),
                key=lambda t: (t["group"] or "", t["name"]),
            )
            exported_sheets.append(entry)
        exported: dict[str, Any] = to_plain(
            {
                "workspace": {
                    "id": workspace.meta("workspace_id", ""),
                    "name": workspace.meta("workspace_name", ""),
                },
                "factSheets": exported_sheets,
                "users": [
                    {"email": user.email, **user.attrs} for user in subscriptions.users(workspace)
                ],
                "tagGroups": [{"name": group.name, **group.attrs} for group in groups.values()],
                "tags": sorted(
                    ({**tag_names[tag.id], **tag.attrs} for tag in tags),
                    key=lambda t: (t["group"] or "", t["name"]),
                ),
                "relations": relations,
                "documents": documents,
                "metrics": [point.export() for point in workspace.metric_points()],
                "configurations": sorted(
                    workspace.configurations(),
                    key=lambda c: [str(c.get(k, "")) for k in ("connectorType", "connectorId")],
                ),
                "runs": [_run(workspace, run) for run in workspace.runs()],
            }
        )
        return exported


_DOCUMENT_FIELDS = ("description", "url", "origin", "documentType", "metadata")


def data_model() -> dict[str, Any]:
    """A minimal `models/dataModel` answer: the types and relations the sandbox accepts."""
    relations = {}
    for name in all_relation_names():
        rel = relation_type(name)
        if not rel.swapped:
            relations[name] = {
                "from": rel.from_type,
                "to": rel.to_type,
                "fields": {"costTotalAnnual": {"type": "DOUBLE"}}
                if name == "relApplicationToITComponent"
                else {},
            }
    return {
        "factSheets": {
            fs_type: {"fields": {"name": {"type": "STRING"}, "externalId": {"type": "EXTERNAL_ID"}}}
            for fs_type in FACT_SHEET_TYPES
        },
        "relations": relations,
    }


#: The measurements of actual and committed spend that target-leanix writes.
ACTUAL_MEASUREMENT = "intacctSpend"
COMMITTED_MEASUREMENT = "intacctCommitted"
#: The source of an actual-spend point that carries no `source` tag.
UNTAGGED = "untagged"


def spend_report(workspace: Workspace) -> dict[str, Any]:
    """Per service and month, actual spend by source and committed spend by source, per currency,
    summed exactly from the metrics points the workspace holds; and the same sums as points of
    LeanIX's metrics shape (measurement, time, tags as key/value pairs, fields), for reconciling."""
    sums: dict[tuple[str, str, str, str, str, str], Decimal] = defaultdict(Decimal)
    with workspace.lock:
        points = workspace.metric_points()
    for point in points:
        if point.measurement not in (ACTUAL_MEASUREMENT, COMMITTED_MEASUREMENT):
            continue
        tags = dict(point.tags)
        kind = "actual" if point.measurement == ACTUAL_MEASUREMENT else "committed"
        key = (
            tags.get("service", ""),
            point.time[:7],
            kind,
            tags.get("source", UNTAGGED),
            tags.get("currency", ""),
            point.measurement,
        )
        sums[key] += sum(point.fields.values(), Decimal(0))
    services: dict[str, dict[str, dict[str, dict[str, dict[str, Decimal]]]]] = {}
    aggregated = []
    for (service, month, kind, source, currency, measurement), amount in sorted(sums.items()):
        months = services.setdefault(service, {})
        entry = months.setdefault(month, {"actual": {}, "committed": {}})
        entry[kind].setdefault(source, {})[currency] = amount
        aggregated.append(
            {
                "measurement": measurement,
                "time": f"{month}-01T00:00:00.000000Z",
                "tags": [
                    {"key": "currency", "value": currency},
                    {"key": "service", "value": service},
                    {"key": "source", "value": source},
                ],
                "fields": {"amount": amount},
            }
        )
    report: dict[str, Any] = to_plain({"services": services, "points": aggregated})
    return report

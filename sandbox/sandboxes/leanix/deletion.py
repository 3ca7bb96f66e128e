"""`deletionScope` of full-mode runs ("Auto deletion",
https://docs-eam.leanix.net/reference/inbound-processors).

Only when the LDIF says `processingMode: full` and the configuration has a `deletionScope`: every fact
sheet, relation and document inside a scope that the run did not touch is archived (fact sheets) or
removed (relations, documents). `maximumDeletionRatio{factSheets, relations, documents}` (percent of the
items in scope) cancels that part of the deletion when exceeded, with a warning instead.
Scopes support the `FactSheetTypes` facet (keys may be JUEL, e.g. `${header.customFields.type}`) and
`ids`; any other facet makes the scope entry a warning and it deletes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandboxes.leanix import juel
from sandboxes.leanix.metamodel import UnknownRelationError, relation_type
from sandboxes.leanix.workspace import ACTIVE, ARCHIVED, FactSheet, Workspace

CATEGORY_DELETION = "DELETION"


@dataclass
class Touched:
    """What a run created, updated or confirmed unchanged: never deleted by its own scope."""

    fact_sheets: set[str] = field(default_factory=set)
    relations: set[str] = field(default_factory=set)
    #: Documents by seq: they are deleted by it (their ids are not indexed).
    documents: set[int] = field(default_factory=set)


class ScopeError(ValueError):
    """A deletionScope the sandbox cannot apply (a facet other than FactSheetTypes)."""


def _scope_filter(scope: dict[str, Any], context: dict[str, Any]) -> Callable[[FactSheet], bool]:
    include: set[str] | None = None
    exclude: set[str] = set()
    for facet in scope.get("facetFilters") or []:
        if facet.get("facetKey") != "FactSheetTypes":
            raise ScopeError(
                f"deletionScope facet '{facet.get('facetKey')}' is not supported by the sandbox"
            )
        keys = {juel.as_text(juel.evaluate(str(key), context)) for key in facet.get("keys") or []}
        if (facet.get("operator") or "OR") == "NOR":
            exclude |= keys
        else:
            include = keys if include is None else include & keys
    ids = set(scope.get("ids") or [])
    return lambda sheet: (
        (include is None or sheet.type in include)
        and sheet.type not in exclude
        and (not ids or sheet.id in ids)
    )


@dataclass
class DeletionOutcome:
    """What full-mode deletion did: warnings (e.g. ratio exceeded) and how much it deleted."""

    warnings: list[dict[str, Any]] = field(default_factory=list)
    deleted: int = 0


def apply_deletion_scope(
    workspace: Workspace,
    config: dict[str, Any],
    header: dict[str, Any],
    touched: Touched,
    now: Callable[[], str],
) -> DeletionOutcome:
    """Full mode: delete fact sheets, relations and documents in scope that the run left out."""
    deleter = _Deleter(workspace, config.get("deletionScope") or {}, header, now)
    deleter.fact_sheets(touched.fact_sheets)
    deleter.relations(touched.relations)
    deleter.documents(touched.documents)
    return deleter.outcome


class _Deleter:
    def __init__(
        self,
        workspace: Workspace,
        spec: dict[str, Any],
        header: dict[str, Any],
        now: Callable[[], str],
    ) -> None:
        self.workspace = workspace
        self.spec = spec
        self.ratios = spec.get("maximumDeletionRatio") or {}
        self.context = {"header": header, "customFields": header.get("customFields") or {}}
        self.now = now
        self.sheets = [sheet for sheet in workspace.fact_sheets() if sheet.status == ACTIVE]
        self.outcome = DeletionOutcome()

    def warn(self, message: str) -> None:
        self.outcome.warnings.append(
            {
                "processor": None,
                "content": None,
                "message": message,
                "detail": "",
                "category": CATEGORY_DELETION,
                "status": "WARNING",
            }
        )

    def allowed(self, kind: str, doomed: int, in_scope: int) -> bool:
        limit = self.ratios.get(kind)
        if limit is None or in_scope == 0 or doomed * 100 <= int(limit) * in_scope:
            return True
        self.warn(
            f"Deletion of {doomed} of {in_scope} {kind} in scope exceeds maximumDeletionRatio "
            f"{limit}%; no {kind} were deleted"
        )
        return False

    def in_scope(self, entry: dict[str, Any]) -> list[FactSheet] | None:
        try:
            accepts = _scope_filter(entry.get("scope") or {}, self.context)
        except ScopeError as error:
            self.warn(str(error))
            return None
        return [sheet for sheet in self.sheets if accepts(sheet)]

    def fact_sheets(self, touched: set[str]) -> None:
        """Untouched fact sheets in scope are archived, never hard-deleted."""
        scoped: dict[str, FactSheet] = {}
        for entry in self.spec.get("factSheets") or []:
            for sheet in self.in_scope(entry) or []:
                scoped[sheet.id] = sheet
        doomed = [sheet for sheet_id, sheet in scoped.items() if sheet_id not in touched]
        if not doomed or not self.allowed("factSheets", len(doomed), len(scoped)):
            return
        for sheet in doomed:
            sheet.status = ARCHIVED
            sheet.rev += 1
            sheet.updated_at = self.now()
            self.workspace.save_fact_sheet(sheet)
        self.outcome.deleted += len(doomed)

    def relations(self, touched: set[str]) -> None:
        """Relations of the listed types whose source (as the type name reads) is in scope."""
        scoped: set[str] = set()
        for entry in self.spec.get("relations") or []:
            members = self.in_scope(entry)
            if members is None:
                continue
            member_ids = {sheet.id for sheet in members}
            for name in entry.get("relationTypes") or []:
                try:
                    rel = relation_type(str(name))
                except UnknownRelationError as error:
                    self.warn(str(error))
                    continue
                scoped |= {
                    relation.id
                    for relation in self.workspace.relations()
                    if relation.type == rel.canonical
                    and (relation.to_id if rel.swapped else relation.from_id) in member_ids
                }
        doomed = scoped - touched
        if not doomed or not self.allowed("relations", len(doomed), len(scoped)):
            return
        for relation_id in sorted(doomed):
            self.workspace.delete_relation(relation_id)
        self.outcome.deleted += len(doomed)

    def documents(self, touched: set[int]) -> None:
        """Documents whose names match one of `documentMatches` (whole-name Java regexes)."""
        scoped: set[int] = set()
        for entry in self.spec.get("documents") or []:
            patterns = [str(p) for p in entry.get("documentMatches") or [".*"]]
            for sheet in self.in_scope(entry) or []:
                scoped |= {
                    document.seq
                    for document in self.workspace.documents_of(sheet.id)
                    if any(re.fullmatch(pattern, document.name) for pattern in patterns)
                }
        doomed = scoped - touched
        if not doomed or not self.allowed("documents", len(doomed), len(scoped)):
            return
        for seq in sorted(doomed):
            self.workspace.delete_document(seq)
        self.outcome.deleted += len(doomed)

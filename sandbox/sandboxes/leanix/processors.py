"""The inbound processor engine: applies an LDIF to the workspace, driven only by a stored configuration.

Semantics follow the Integration API documentation
(https://docs-eam.leanix.net/reference/inbound-processors):
- processors run level by level, ordered by `run`; inside a level every content item goes through every
  processor whose `filter` matches (`exactType`, `type`/`id` as Java regexes that must match whole
  strings, `advanced` as a JUEL boolean), optionally once per element of `forEach`;
- `inboundFactSheet` upserts by external id (`name` is mandatory to create); `mode: delete` archives
  and an archived fact sheet is never revived: the same externalId later creates a new one ("Auto
  deletion");
- `inboundRelation` is unique per (type, from, to); `inboundDocument` is unique per (fact sheet, name);
  `inboundMetrics` points are unique per (measurement, time, tags);
- a problem with one item is a warning for that item, never a failed run ("Flexible error handling",
  https://docs-eam.leanix.net/reference/integration-api).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sandboxes.leanix import juel
from sandboxes.leanix.deletion import Touched
from sandboxes.leanix.metamodel import (
    FACT_SHEET_TYPES,
    RelationType,
    UnknownRelationError,
    relation_type,
)
from sandboxes.leanix.subscriptions import apply_subscription_processor
from sandboxes.leanix.tagging import apply_tag_processor
from sandboxes.leanix.updates import (
    CATEGORY_EXPRESSION,
    CATEGORY_MISSING_VALUE,
    CATEGORY_NOT_FOUND,
    CATEGORY_VALIDATION,
    EvaluatedUpdate,
    ItemError,
    Processor,
    evaluate_updates,
    template_value,
    text_of,
)
from sandboxes.leanix.workspace import (
    ACTIVE,
    ARCHIVED,
    Document,
    FactSheet,
    MetricPoint,
    Relation,
    Workspace,
    new_id,
)

NUMERIC_RELATION_FIELDS = frozenset({"costTotalAnnual"})


@dataclass
class Counters:
    """Sandbox run counters: items processed, ERROR warnings, and what was created ... deleted."""

    processed_content: int = 0
    errors: int = 0
    run_level_index: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


@dataclass
class Outcome:
    """What processing a run produced: its warnings and counters."""

    warnings: list[dict[str, Any]] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)
    stopped: bool = False


def _decimal(key: str, value: object) -> Decimal:
    if isinstance(value, bool):
        raise ItemError(f"Value for '{key}' is not a number", category=CATEGORY_VALIDATION)
    try:
        number = value if isinstance(value, Decimal) else Decimal(text_of(value).strip())
    except InvalidOperation as error:
        raise ItemError(
            f"Value {text_of(value)!r} for '{key}' is not a number",
            category=CATEGORY_VALIDATION,
            status="ERROR",
        ) from error
    if not number.is_finite():
        raise ItemError(
            f"Value for '{key}' is not a finite number",
            category=CATEGORY_VALIDATION,
            status="ERROR",
        )
    return number


@functools.lru_cache(maxsize=4096)
def _normalise_time(text: str) -> str:
    """Cached: a run's points share a few dozen instants (months)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise ItemError(
            f"Metrics time {text!r} is not an ISO-8601 instant",
            category=CATEGORY_VALIDATION,
            status="ERROR",
        ) from error
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


# -- the engine ------------------------------------------------------------------------------------


class Level:
    """The processors of one `run` level, in configuration order, with their `exactType` filters."""

    def __init__(self, processors: list[Processor]) -> None:
        self.processors = processors
        self._by_type: dict[str, list[Processor]] = {}

    def for_type(self, item_type: str) -> list[Processor]:
        """The processors whose `exactType` (if any) is this item type: one dict lookup per item."""
        found = self._by_type.get(item_type)
        if found is None:
            found = [
                processor
                for processor in self.processors
                if "exactType" not in (processor.spec.get("filter") or {})
                or processor.spec["filter"]["exactType"] == item_type
            ]
            self._by_type[item_type] = found
        return found


class Engine:
    """Executes one LDIF against one configuration."""

    def __init__(
        self,
        workspace: Workspace,
        config: dict[str, Any],
        ldif: dict[str, Any],
        now: Callable[[], str],
    ) -> None:
        self.workspace = workspace
        self.config = config
        self.ldif = ldif
        self.now = now
        #: The time written on what the current chunk changes (one clock read per chunk, not per item).
        self.stamp = now()
        self.header = {key: value for key, value in ldif.items() if key != "content"}
        self.header.setdefault("customFields", {})
        self.variables = config.get("variables") or {}
        self.content: list[dict[str, Any]] = list(ldif.get("content") or [])
        self.outcome = Outcome()
        #: Problems found while applying one processor to one item that did not stop it.
        self.pending: list[ItemError] = []
        #: What this run wrote or confirmed; a full-mode deletionScope spares these.
        self.touched = Touched()
        #: Fact sheets by (type or None, externalId), valid inside one chunk (one transaction):
        #: relation and document items name the same few fact sheets over and over.
        self._sheets: dict[tuple[str | None, str], list[FactSheet]] = {}
        self._relation_types: dict[str, RelationType] = {}

    def levels(self) -> list[Level]:
        """The enabled processors grouped by their `run` number, in ascending order."""
        enabled = [
            Processor.compile(index, spec)
            for index, spec in enumerate(self.config.get("processors", []))
            if spec.get("enabled", True) is not False
        ]
        runs = sorted({int(p.spec.get("run", 0)) for p in enabled})
        return [Level([p for p in enabled if int(p.spec.get("run", 0)) == run]) for run in runs]

    def begin_chunk(self) -> None:
        """A new transaction: forget what other API calls may have changed since the last one."""
        self.stamp = self.now()
        self._sheets.clear()

    def process_item(self, level: Level, item: dict[str, Any]) -> None:
        """Apply the level's processors whose filter matches the item; problems become warnings."""
        data = item.get("data")
        base = {
            "content": {"id": item.get("id"), "type": item.get("type"), "data": data},
            "data": data or {},
            "header": self.header,
            "integration": {},
            "variables": self.variables,
        }
        for processor in level.for_type(text_of(item.get("type"))):
            try:
                if processor.filter and not self._matches(processor.filter, item, base):
                    continue
                contexts = self._each(processor.spec, base) if processor.for_each else (base,)
                for context in contexts:
                    self.pending = []
                    try:
                        self._apply(processor, context)
                    except ItemError as stopped:
                        self.pending.append(stopped)
                    for pending in self.pending:
                        self._warn(processor, item, pending)
            except ItemError as problem:
                self._warn(processor, item, problem)
            except juel.JuelError as error:
                self._warn(
                    processor,
                    item,
                    ItemError(str(error), category=CATEGORY_EXPRESSION, status="ERROR"),
                )
        self.outcome.counters.processed_content += 1

    def _warn(self, processor: Processor, item: dict[str, Any], problem: ItemError) -> None:
        if problem.status == "ERROR":
            self.outcome.counters.errors += 1
        self.outcome.warnings.append(
            {
                "processor": {"name": processor.name, "index": processor.index},
                "content": {"type": item.get("type"), "id": item.get("id")},
                "message": problem.message,
                "detail": problem.detail,
                "category": problem.category,
                "status": problem.status,
            }
        )

    @staticmethod
    def _matches(spec: dict[str, Any], item: dict[str, Any], context: dict[str, Any]) -> bool:
        item_type, item_id = text_of(item.get("type")), text_of(item.get("id"))
        if "type" in spec and not juel.java_matches(item_type, str(spec["type"])):
            return False
        if "id" in spec and not juel.java_matches(item_id, str(spec["id"])):
            return False
        if spec.get("advanced"):
            try:
                return juel.is_true(str(spec["advanced"]), context)
            except juel.JuelError as error:
                raise ItemError(
                    f"Filter expression failed: {error}",
                    category=CATEGORY_EXPRESSION,
                    status="ERROR",
                ) from error
        return True

    @staticmethod
    def _each(processor: dict[str, Any], base: dict[str, Any]) -> Iterator[dict[str, Any]]:
        spec = processor.get("forEach")
        if not spec:
            yield base
            return
        element_of = spec.get("elementOf") if isinstance(spec, dict) else spec
        element_filter = spec.get("filter") if isinstance(spec, dict) else None
        elements = juel.evaluate(str(element_of), base)
        if elements is None:
            return
        pairs = (
            list(elements.items())
            if isinstance(elements, dict)
            else list(enumerate(elements if isinstance(elements, list) else [elements]))
        )
        for key, value in pairs:
            context = dict(base)
            context["integration"] = {
                **base["integration"],
                "valueOfForEach": value,
                "keyOfForEach": key,
                "indexOfForEach": key,
            }
            if element_filter and not juel.is_true(str(element_filter), context):
                continue
            yield context

    def _apply(self, processor: Processor, context: dict[str, Any]) -> None:
        kind = processor.kind
        if kind == "inboundMetrics":
            self._metrics(processor, context)
        elif kind == "inboundDocument":
            self._document(processor, context)
        elif kind == "inboundRelation":
            self._relation(processor, context)
        elif kind == "inboundFactSheet":
            self._fact_sheet(processor, context)
        elif kind == "inboundTag":
            apply_tag_processor(self, processor, context)
        elif kind == "inboundSubscription":
            apply_subscription_processor(self, processor, context)

    # -- identifiers --------------------------------------------------------------------------

    def identify(
        self, identifier: dict[str, Any], fs_type: str | None, context: dict[str, Any], role: str
    ) -> tuple[FactSheet | None, str | None]:
        """The fact sheet an identifier names (or None) and the external id it carries (if any)."""
        if "external" in identifier:
            external = identifier["external"] or {}
            external_id = text_of(template_value(external.get("id"), context))
            id_field = text_of(template_value(external.get("type") or "externalId", context))
            if id_field != "externalId":
                raise ItemError(
                    f"External id field '{id_field}' is unknown (only 'externalId' exists)",
                    category=CATEGORY_VALIDATION,
                    status="ERROR",
                )
            if not external_id:
                raise ItemError(
                    f"The {role} external id evaluated to an empty value",
                    category=CATEGORY_MISSING_VALUE,
                )
            return self.by_external_id(fs_type, external_id, role), external_id
        if "internal" in identifier:
            internal = identifier["internal"]
            internal_id = text_of(template_value(internal, context))
            sheet = self.workspace.fact_sheet(internal_id) if internal_id else None
            if sheet is not None and (
                sheet.status != ACTIVE or (fs_type is not None and sheet.type != fs_type)
            ):
                sheet = None
            if sheet is None:
                raise ItemError(
                    f"No {fs_type or 'fact sheet'} with internal id '{internal_id}' exists",
                    category=CATEGORY_NOT_FOUND,
                )
            return sheet, None
        raise ItemError(
            "Only 'external' and 'internal' identifiers are supported",
            category=CATEGORY_VALIDATION,
            status="ERROR",
        )

    def by_external_id(self, fs_type: str | None, external_id: str, role: str) -> FactSheet | None:
        """The active fact sheet with this external id; without a type it must be unambiguous."""
        key = (fs_type, external_id)
        found = self._sheets.get(key)
        if found is None:
            if fs_type is not None:
                sheet = self.workspace.fact_sheet_by_external_id(fs_type, external_id)
                found = [sheet] if sheet is not None else []
            else:
                found = self.workspace.fact_sheets_by_external_id(external_id)
            self._sheets[key] = found
        if len(found) > 1:
            raise ItemError(
                f"The {role} external id '{external_id}' matches fact sheets of several types "
                f"({', '.join(sorted({sheet.type for sheet in found}))})",
                category=CATEGORY_VALIDATION,
            )
        return found[0] if found else None

    def save_fact_sheet(self, sheet: FactSheet, *, old_external_id: str | None) -> None:
        """Write a fact sheet and drop what the lookup cache may know wrongly about it now."""
        self.workspace.save_fact_sheet(sheet)
        for external_id in {old_external_id, sheet.external_id}:
            if external_id is not None:
                self._sheets.pop((sheet.type, external_id), None)
                self._sheets.pop((None, external_id), None)

    def _relation_type(self, name: str) -> RelationType:
        rel = self._relation_types.get(name)
        if rel is None:
            try:
                rel = relation_type(name)
            except UnknownRelationError as error:
                raise ItemError(str(error), category=CATEGORY_VALIDATION, status="ERROR") from error
            self._relation_types[name] = rel
        return rel

    # -- inboundFactSheet ---------------------------------------------------------------------

    def _fact_sheet(self, processor: Processor, context: dict[str, Any]) -> None:
        spec = processor.spec
        fs_type = text_of(template_value(spec.get("type"), context))
        if fs_type not in FACT_SHEET_TYPES:
            raise ItemError(
                f"Fact sheet type '{fs_type}' does not exist in the data model",
                category=CATEGORY_VALIDATION,
                status="ERROR",
            )
        sheet, external_id = self.identify(spec["identifier"], fs_type, context, "fact sheet")
        counters = self.outcome.counters
        if processor.delete:
            if sheet is not None:
                sheet.status = ARCHIVED
                sheet.rev += 1
                sheet.updated_at = self.stamp
                self.save_fact_sheet(sheet, old_external_id=sheet.external_id)
                counters.deleted += 1
            return
        updates = evaluate_updates(processor.updates, context, self.pending)
        if sheet is None:
            names = [text_of(values[0]) for key, values, _ in updates if key == "name"]
            if not names or not names[0].strip():
                raise ItemError(
                    f"Fact Sheet of type '{fs_type}' with externalId '{external_id}' could not be "
                    "created: 'name' is mandatory",
                    category=CATEGORY_MISSING_VALUE,
                    status="ERROR",
                )
            sheet = FactSheet(
                id=new_id(),
                type=fs_type,
                name=names[0],
                external_id=external_id,
                created_at=self.stamp,
                updated_at=self.stamp,
            )
            self._set_fact_sheet_fields(sheet, updates)
            self.save_fact_sheet(sheet, old_external_id=None)
            self.touched.fact_sheets.add(sheet.id)
            counters.created += 1
            return
        self.touched.fact_sheets.add(sheet.id)
        before = (
            sheet.name,
            sheet.external_id,
            json.dumps(sheet.attrs, default=str, sort_keys=True),
        )
        self._set_fact_sheet_fields(sheet, updates)
        after = (
            sheet.name,
            sheet.external_id,
            json.dumps(sheet.attrs, default=str, sort_keys=True),
        )
        if before == after:
            counters.unchanged += 1
            return
        sheet.rev += 1
        sheet.updated_at = self.stamp
        self.save_fact_sheet(sheet, old_external_id=before[1])
        counters.updated += 1

    def _set_fact_sheet_fields(self, sheet: FactSheet, updates: list[EvaluatedUpdate]) -> None:
        for key, values, op in updates:
            first = values[0]
            if key == "name":
                if text_of(first).strip():
                    sheet.name = text_of(first)
            elif key == "externalId":
                sheet.external_id = text_of(first) or sheet.external_id
            elif key in {"description", "category", "alias", "release"}:
                text = text_of(first)
                if text:
                    sheet.attrs[key] = text
                else:
                    sheet.attrs.pop(key, None)
            elif key == "lifecycle" or key.startswith("lifecycle."):
                self._set_lifecycle(sheet, key, values)
            else:
                value: Any = first if len(values) == 1 else list(values)
                existing = sheet.attrs.get(key)
                if op == "add" and isinstance(existing, list):
                    additions = value if isinstance(value, list) else [value]
                    value = existing + [item for item in additions if item not in existing]
                sheet.attrs[key] = value

    def _set_lifecycle(self, sheet: FactSheet, key: str, values: list[Any]) -> None:
        """`lifecycle.<phase>` (the documented Integration API form) or `lifecycle` maps."""
        lifecycle: dict[str, Any] | None
        try:
            if key == "lifecycle":
                lifecycle = _merge_lifecycle(sheet.attrs.get("lifecycle"), values)
            else:
                phase = key.removeprefix("lifecycle.")
                lifecycle = _set_phase(sheet.attrs.get("lifecycle"), phase, values[0])
        except ItemError as problem:
            self.pending.append(problem)
            return
        if lifecycle is None:
            sheet.attrs.pop("lifecycle", None)
        else:
            sheet.attrs["lifecycle"] = lifecycle

    # -- inboundRelation ----------------------------------------------------------------------

    def _relation(self, processor: Processor, context: dict[str, Any]) -> None:
        spec = processor.spec
        name = text_of(template_value(spec.get("type"), context))
        rel = self._relation_type(name)
        source, source_ext = self.identify(spec["from"], rel.from_type, context, "source")
        target, target_ext = self.identify(spec["to"], rel.to_type, context, "target")
        for sheet, ext, role, expected in (
            (source, source_ext, "source", rel.from_type),
            (target, target_ext, "target", rel.to_type),
        ):
            if sheet is None:
                raise ItemError(
                    f"Relation '{name}' could not be processed: {role} fact sheet "
                    f"{('of type ' + expected + ' ') if expected else ''}with externalId '{ext}' "
                    "does not exist",
                    category=CATEGORY_NOT_FOUND,
                )
        assert source is not None  # noqa: S101 - narrowed by the loop above
        assert target is not None  # noqa: S101
        from_sheet, to_sheet = (target, source) if rel.swapped else (source, target)
        existing = self.workspace.relation(rel.canonical, from_sheet.id, to_sheet.id)
        counters = self.outcome.counters
        if processor.delete:
            if existing is not None:
                self.workspace.delete_relation(existing.id)
                counters.deleted += 1
            return
        updates = evaluate_updates(processor.updates, context, self.pending)
        attrs = dict(existing.attrs) if existing else {}
        for key, values, _ in updates:
            first = values[0]
            if key in NUMERIC_RELATION_FIELDS:
                attrs[key] = _decimal(key, first)
            elif isinstance(first, str | Decimal | int) and not text_of(first):
                attrs.pop(key, None)
            else:
                attrs[key] = first if isinstance(first, Decimal | dict | list) else text_of(first)
        now = self.stamp
        if existing is None:
            relation = Relation(
                new_id(), rel.canonical, from_sheet.id, to_sheet.id, attrs, now, now
            )
            self.workspace.save_relation(relation)
            self.touched.relations.add(relation.id)
            counters.created += 1
            return
        self.touched.relations.add(existing.id)
        if attrs != existing.attrs:
            existing.attrs = attrs
            existing.updated_at = now
            self.workspace.save_relation(existing)
            counters.updated += 1
        else:
            counters.unchanged += 1

    # -- inboundDocument ----------------------------------------------------------------------

    def _document(self, processor: Processor, context: dict[str, Any]) -> None:
        spec = processor.spec
        fs_type = text_of(template_value(spec.get("type"), context)) or None
        sheet, external_id = self.identify(spec["identifier"], fs_type, context, "fact sheet")
        if sheet is None:
            raise ItemError(
                f"Document could not be attached: fact sheet with externalId '{external_id}' "
                "does not exist",
                category=CATEGORY_NOT_FOUND,
            )
        updates = {
            key: values[0]
            for key, values, _ in evaluate_updates(processor.updates, context, self.pending)
        }
        name = text_of(updates.get("name", "")).strip()
        if not name:
            raise ItemError(
                "Document could not be processed: 'name' is mandatory",
                category=CATEGORY_MISSING_VALUE,
                status="ERROR",
            )
        counters = self.outcome.counters
        changes: dict[str, str] = {}
        for key in ("description", "url", "origin", "documentType", "metadata"):
            if key not in updates:
                continue
            value = updates[key]
            if key == "metadata" and not isinstance(value, str):
                value = json.dumps(value, sort_keys=True, default=str)
            changes[key] = text_of(value)
        now = self.stamp
        if not processor.delete:
            # Most documents of a run are new: try the insert first, read only when it exists.
            document = Document(new_id(), sheet.id, name, changes, now, now)
            if self.workspace.insert_document(document):
                self.touched.documents.add(document.seq)
                counters.created += 1
                return
        existing = self.workspace.document(sheet.id, name)
        if processor.delete:
            if existing is not None:
                self.workspace.delete_document(existing.seq)
                counters.deleted += 1
            return
        assert existing is not None  # noqa: S101 - the insert just found it, inside this transaction
        self.touched.documents.add(existing.seq)
        attrs = {**existing.attrs, **changes}
        if attrs != existing.attrs:
            existing.attrs = attrs
            existing.updated_at = now
            self.workspace.save_document(existing)
            counters.updated += 1
        else:
            counters.unchanged += 1

    # -- inboundMetrics -----------------------------------------------------------------------

    def _metrics(self, processor: Processor, context: dict[str, Any]) -> None:
        updates = {
            key: values
            for key, values, _ in evaluate_updates(processor.updates, context, self.pending)
        }

        def single(key: str) -> str:
            values = updates.get(key)
            return text_of(values[0]).strip() if values else ""

        measurement, time = single("measurement"), single("time")
        if not measurement or not time:
            raise ItemError(
                "Metrics point needs 'measurement' and 'time'",
                category=CATEGORY_MISSING_VALUE,
                status="ERROR",
            )
        tags: list[tuple[str, str]] = []
        if single("tagKey"):
            tags.append((single("tagKey"), single("tagValue")))
        for tag in updates.get("tags", ()):
            if isinstance(tag, dict) and (key := text_of(tag.get("key"))):
                entry = (key, text_of(tag.get("value")))
                if entry not in tags:
                    tags.append(entry)
        point = MetricPoint(measurement, _normalise_time(time), tags, {}, self.stamp)
        counters = self.outcome.counters
        if processor.delete:
            if self.workspace.delete_metric_point(point.measurement, point.time, point.tags_key):
                counters.deleted += 1
            return
        field_key = single("fieldKey")
        values = updates.get("fieldValueNumber")
        if not field_key or not values:
            raise ItemError(
                "Metrics point needs 'fieldKey' and 'fieldValueNumber'",
                category=CATEGORY_MISSING_VALUE,
                status="ERROR",
            )
        number = _decimal("fieldValueNumber", values[0])
        point.fields = {field_key: number}
        # Most points of a run are new: try the insert first, read only when the point exists.
        if self.workspace.insert_metric_point(point):
            counters.created += 1
            return
        existing = self.workspace.metric_fields(point.measurement, point.time, point.tags_key)
        assert existing is not None  # noqa: S101 - the insert just found it, inside this transaction
        if existing.get(field_key) == number:
            counters.unchanged += 1
            return
        point.fields = {**existing, field_key: number}
        self.workspace.save_metric_point(point)
        counters.updated += 1


_PHASE_ORDER = ("plan", "phaseIn", "active", "phaseOut", "endOfLife")


def _set_phase(current: object, phase: str, value: object) -> dict[str, Any] | None:
    """`lifecycle.<phase>` = a `yyyy-mm-dd` date ("Lifecycle Management",
    https://help.sap.com/docs/leanix/ea/inbound-processors); null resets the phase. The other
    phases are kept. A lifecycle without phases is none at all (GraphQL `lifecycle: null`)."""
    if phase not in _PHASE_ORDER:
        raise ItemError(
            f"Lifecycle phase '{phase}' does not exist (standard phases: {', '.join(_PHASE_ORDER)})",
            category=CATEGORY_VALIDATION,
            status="ERROR",
        )
    phases: dict[str, str] = {}
    if isinstance(current, dict):
        phases = {p["phase"]: p["startDate"] for p in current.get("phases", [])}
    if value is None:
        phases.pop(phase, None)
    else:
        text = text_of(value).strip()
        if not _DATE.fullmatch(text):
            raise ItemError(
                f"Value '{text[:60]}' of 'lifecycle.{phase}' is no date in the format yyyy-mm-dd",
                category=CATEGORY_VALIDATION,
            )
        phases[phase] = text
    if not phases:
        return None
    ordered = sorted(phases.items(), key=lambda kv: _PHASE_ORDER.index(kv[0]))
    return {"phases": [{"phase": p, "startDate": date} for p, date in ordered]}


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _merge_lifecycle(current: object, values: list[Any]) -> dict[str, Any]:
    """Lifecycle values are maps/objects `{phase, startDate}`; each one sets the date of its phase."""
    phases: dict[str, str] = {}
    if isinstance(current, dict):
        phases = {p["phase"]: p["startDate"] for p in current.get("phases", [])}
    for value in values:
        if not isinstance(value, dict) or not value.get("phase") or not value.get("startDate"):
            raise ItemError(
                "Lifecycle values must be maps with 'phase' and 'startDate'",
                category=CATEGORY_VALIDATION,
                status="ERROR",
            )
        phases[text_of(value["phase"])] = text_of(value["startDate"])
    ordered = sorted(
        phases.items(),
        key=lambda kv: (_PHASE_ORDER.index(kv[0]) if kv[0] in _PHASE_ORDER else 99, kv[0]),
    )
    return {"phases": [{"phase": phase, "startDate": date} for phase, date in ordered]}

"""The `inboundTag` processor: tag groups, tags, and their assignment to fact sheets.

Keys ("Inbound Tag", https://docs-eam.leanix.net/reference/inbound-processors): `name`,
`description`, `color` of the tag; `group.name`, `group.shortName`, `group.description`,
`group.mode` (`SINGLE`|`MULTIPLE`), `group.restrictToFactSheetTypes` of its group; `tagsReadOnly`
(only assign existing tags). Fact sheets are
named by `factSheets.external{ids, type}` (ids may be one id or a list) or by `identifier`; a processor
without either only maintains groups and tags. A tag without `group.name` lives outside any group
("Other tags"). The documentation says the tag processor does not create tag groups on its own: a group
is created only when the processor gives group metadata besides its name. `mode: delete` removes the
tag from the fact sheets.
"""

from __future__ import annotations

from typing import Any, Protocol

from sandboxes.leanix.deletion import Touched
from sandboxes.leanix.updates import (
    CATEGORY_NOT_FOUND,
    CATEGORY_VALIDATION,
    ItemError,
    Processor,
    evaluate_updates,
    template_value,
    text_of,
)
from sandboxes.leanix.workspace import FactSheet, Tag, TagGroup, Workspace, new_id

_GROUP_KEYS = ("shortName", "description", "mode", "restrictToFactSheetTypes")


class TagEngine(Protocol):
    """What the tag processor uses of the running engine (`processors.Engine` provides it)."""

    workspace: Workspace
    pending: list[ItemError]
    touched: Touched

    def identify(
        self, identifier: dict[str, Any], fs_type: str | None, context: dict[str, Any], role: str
    ) -> tuple[FactSheet | None, str | None]:
        """The fact sheet an identifier names (or None), and the external ID it carries (if any)."""

    def by_external_id(self, fs_type: str | None, external_id: str, role: str) -> FactSheet | None:
        """The active fact sheet with this external ID; without a type it must be unambiguous."""


def apply_tag_processor(engine: TagEngine, processor: Processor, context: dict[str, Any]) -> None:
    """Apply one `inboundTag` processor to one item: groups, tags and their assignments."""
    values = {
        key: found for key, found, _ in evaluate_updates(processor.updates, context, engine.pending)
    }

    def single(key: str) -> str:
        found = values.get(key)
        return text_of(found[0]).strip() if found else ""

    read_only = single("tagsReadOnly").lower() == "true"
    group = _group(engine, values, single("group.name"), read_only=read_only)
    name = single("name")
    if not name:
        return
    tag = _tag(engine, group, name, values, read_only=read_only)
    delete = processor.delete
    for sheet in _fact_sheets(engine, processor.spec, context):
        restrict = group.attrs.get("restrictToFactSheetTypes") if group else None
        if restrict and sheet.type not in restrict:
            raise ItemError(
                f"Tag group '{group.name if group else ''}' is restricted to {restrict}; "
                f"fact sheet '{sheet.name}' is a {sheet.type}",
                category=CATEGORY_VALIDATION,
            )
        if not delete and group is not None and group.attrs.get("mode") == "SINGLE":
            for other in engine.workspace.tags_of(sheet.id):
                if other.group_id == group.id and other.id != tag.id:
                    engine.workspace.set_tagged(sheet.id, other.id, tagged=False)
        if engine.workspace.set_tagged(sheet.id, tag.id, tagged=not delete):
            engine.touched.fact_sheets.add(sheet.id)


def _group(
    engine: TagEngine, values: dict[str, list[Any]], name: str, *, read_only: bool
) -> TagGroup | None:
    if not name:
        return None
    group = engine.workspace.tag_group(name)
    metadata: dict[str, Any] = {}
    for key in _GROUP_KEYS:
        found = values.get(f"group.{key}")
        if found:
            metadata[key] = (
                [text_of(v) for v in found]
                if key == "restrictToFactSheetTypes"
                else text_of(found[0])
            )
    if group is None:
        if read_only or not metadata:
            raise ItemError(
                f"Tag group '{name}' does not exist (the tag processor does not create tag groups "
                "without group metadata)",
                category=CATEGORY_NOT_FOUND,
            )
        group = TagGroup(new_id(), name, metadata)
        engine.workspace.save_tag_group(group)
    elif metadata and not read_only and {**group.attrs, **metadata} != group.attrs:
        group.attrs = {**group.attrs, **metadata}
        engine.workspace.save_tag_group(group)
    return group


def _tag(
    engine: TagEngine,
    group: TagGroup | None,
    name: str,
    values: dict[str, list[Any]],
    *,
    read_only: bool,
) -> Tag:
    group_id = group.id if group else ""
    tag = engine.workspace.tag(group_id, name)
    attrs = {key: text_of(values[key][0]) for key in ("description", "color") if values.get(key)}
    if tag is None:
        if read_only:
            raise ItemError(
                f"Tag '{name}' does not exist (tagsReadOnly)", category=CATEGORY_NOT_FOUND
            )
        tag = Tag(new_id(), group_id, name, attrs)
        engine.workspace.save_tag(tag)
    elif attrs and not read_only and {**tag.attrs, **attrs} != tag.attrs:
        tag.attrs = {**tag.attrs, **attrs}
        engine.workspace.save_tag(tag)
    return tag


def _fact_sheets(
    engine: TagEngine, processor: dict[str, Any], context: dict[str, Any]
) -> list[FactSheet]:
    fs_type = text_of(template_value(processor.get("type"), context)) or None
    if "identifier" in processor:
        sheet, external_id = engine.identify(
            processor["identifier"], fs_type, context, "fact sheet"
        )
        if sheet is None:
            raise ItemError(
                f"Tag could not be assigned: fact sheet with externalId '{external_id}' does not exist",
                category=CATEGORY_NOT_FOUND,
            )
        return [sheet]
    spec = processor.get("factSheets") or {}
    external = spec.get("external")
    if not isinstance(external, dict):
        return []
    ids = template_value(external.get("ids"), context)
    found = []
    id_field = text_of(template_value(external.get("type") or "externalId", context))
    if id_field != "externalId":
        raise ItemError(
            f"External id field '{id_field}' is unknown (only 'externalId' exists)",
            category=CATEGORY_VALIDATION,
            status="ERROR",
        )
    for external_id in ids if isinstance(ids, list) else [ids]:
        sheet = engine.by_external_id(fs_type, text_of(external_id), "fact sheet")
        if sheet is None:
            raise ItemError(
                f"Tag could not be assigned: fact sheet with externalId '{text_of(external_id)}' "
                "does not exist",
                category=CATEGORY_NOT_FOUND,
            )
        found.append(sheet)
    return found

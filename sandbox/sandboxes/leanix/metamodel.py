"""The slice of the LeanIX meta model v4 the sandbox knows: fact sheet types and relation names.

A relation is one edge seen from both ends: `relApplicationToITComponent` on the Application and
`relITComponentToApplication` on the IT Component are the same relation
(https://docs-eam.leanix.net/reference/manage-relations-between-fact-sheets). The sandbox stores
each edge once, under its canonical (forward) name, and answers the reverse name by swapping ends.
Relation names outside the well-known list are accepted when they have the `rel<From>To<To>` shape;
their endpoint types are then checked only if both parts name a known fact sheet type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Meta model v4 fact sheet types (UserGroup is shown as "Organization" in v4 but keeps its key,
#: https://docs-eam.leanix.net/docs/configure-workspace-with-meta-model-v4),
#: plus the legacy v3 names still found in workspaces.
FACT_SHEET_TYPES = (
    "Application",
    "BusinessCapability",
    "BusinessContext",
    "DataObject",
    "ITComponent",
    "Initiative",
    "Interface",
    "Objective",
    "Organization",
    "Platform",
    "Process",
    "Project",
    "Provider",
    "TechnicalStack",
    "UserGroup",
)

#: Aliases used inside relation names (e.g. relITComponentToTechnologyStack).
_TYPE_ALIASES = {"TechnologyStack": "TechnicalStack"}

#: Well-known relations: forward name, from type, to type, reverse name.
_KNOWN: tuple[tuple[str, str, str, str], ...] = (
    ("relApplicationToITComponent", "Application", "ITComponent", "relITComponentToApplication"),
    ("relITComponentToProvider", "ITComponent", "Provider", "relProviderToITComponent"),
    ("relApplicationToUserGroup", "Application", "UserGroup", "relUserGroupToApplication"),
    ("relProviderToApplication", "Provider", "Application", "relApplicationToProvider"),
    (
        "relApplicationToBusinessCapability",
        "Application",
        "BusinessCapability",
        "relBusinessCapabilityToApplication",
    ),
    ("relApplicationToDataObject", "Application", "DataObject", "relDataObjectToApplication"),
    ("relApplicationToProcess", "Application", "Process", "relProcessToApplication"),
    ("relApplicationToProject", "Application", "Project", "relProjectToApplication"),
    ("relITComponentToUserGroup", "ITComponent", "UserGroup", "relUserGroupToITComponent"),
    (
        "relITComponentToTechnologyStack",
        "ITComponent",
        "TechnicalStack",
        "relTechnologyStackToITComponent",
    ),
    ("relProviderToProject", "Provider", "Project", "relProjectToProvider"),
)

#: Relations between fact sheets of the same type (parent/child, requires, successor).
_SAME_TYPE = (
    ("relToParent", "relToChild"),
    ("relToRequires", "relToRequiredBy"),
    ("relToSuccessor", "relToPredecessor"),
)

_REL_NAME = re.compile(r"rel([A-Z][A-Za-z0-9]*?)To([A-Z][A-Za-z0-9]*)")


@dataclass(frozen=True)
class RelationType:
    """How a relation name maps onto the stored edge."""

    name: str  # as written by the caller
    canonical: str  # the name the edge is stored under
    swapped: bool  # True when `name` looks at the edge from its `to` end
    from_type: str | None  # expected type of the caller's `from` fact sheet (None: any type)
    to_type: str | None


class UnknownRelationError(ValueError):
    """A relation type that is not a relation name of the form `rel<From>To<To>`."""


def _split(name: str) -> tuple[str, str] | None:
    """Split `rel<From>To<To>`, preferring a split where both parts are known types."""
    candidates: list[tuple[str, str]] = []
    for position in range(3, len(name)):
        if name.startswith("To", position) and position > 3:
            left, right = name[3:position], name[position + 2 :]
            if left[:1].isupper() and right[:1].isupper():
                candidates.append((left, right))
    for left, right in candidates:
        if _known_type(left) and _known_type(right):
            return left, right
    return candidates[0] if candidates else None


def _known_type(part: str) -> str | None:
    resolved = _TYPE_ALIASES.get(part, part)
    return resolved if resolved in FACT_SHEET_TYPES else None


def relation_type(name: str) -> RelationType:
    """Resolve a relation name, either direction, to its stored edge and endpoint types."""
    for forward, from_type, to_type, reverse in _KNOWN:
        if name == forward:
            return RelationType(name, forward, swapped=False, from_type=from_type, to_type=to_type)
        if name == reverse:
            return RelationType(name, forward, swapped=True, from_type=to_type, to_type=from_type)
    for forward, reverse in _SAME_TYPE:
        if name in {forward, reverse}:
            return RelationType(name, forward, name == reverse, None, None)
    if not _REL_NAME.fullmatch(name):
        raise UnknownRelationError(
            f"relation type {name!r} is not a relation name (expected rel<From>To<To>)"
        )
    parts = _split(name)
    if parts is None:
        raise UnknownRelationError(f"relation type {name!r} is not a relation name")
    left, right = parts
    reverse = f"rel{right}To{left}"
    # One stored edge per pair, whichever direction a caller happens to write first.
    canonical = min(name, reverse)
    return RelationType(name, canonical, canonical != name, _known_type(left), _known_type(right))


def relation_fields_for(fs_type: str) -> list[str]:
    """Relation field names a fact sheet of this type answers in GraphQL."""
    names: list[str] = []
    for forward, from_type, to_type, reverse in _KNOWN:
        if from_type == fs_type:
            names.append(forward)
        if to_type == fs_type:
            names.append(reverse)
    for forward, reverse in _SAME_TYPE:
        names += [forward, reverse]
    return names


def all_relation_names() -> list[str]:
    """Every relation name the sandbox knows, forward and reverse (for the data model)."""
    names = [name for forward, _, _, reverse in _KNOWN for name in (forward, reverse)]
    return names + [name for pair in _SAME_TYPE for name in pair]

"""The tap's own catalog metadata keys, written at discovery and read back when a catalog is given.

Built on singer-sdk's public `singerlib.StreamMetadata` (a dataclass whose field names become the
catalog's hyphenated keys), so the standard keys and ours travel in one stream-level entry:

| key | value |
|---|---|
| `intacct-object` | the object's name as Intacct spells it (`APBILL`, `saas_contract`) |
| `intacct-read-function` | `query`, or `readByQuery` for an object `query` refuses |
| `intacct-replication` | `WHENMODIFIED`, or why the stream is full table |
| `intacct-parent-object`, `intacct-parent-key` | a line object's header and the field naming it |
| `intacct-natural-id` | the id AUDITHISTORY names deleted rows by (`RECORDNO`: `<n>--REC`) |
| `intacct-deletes` | how deletes are detected |
| `intacct-custom-object` | true for custom (platform) objects |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from singer_sdk.singerlib import StreamMetadata

from tap_sage_intacct.objects import QUERY, STANDARD_OBJECTS, ObjectSpec, spec_for_extra


@dataclass(slots=True)
class IntacctStreamMetadata(StreamMetadata):
    """Stream metadata plus the Intacct keys (module docstring)."""

    intacct_object: str | None = None
    intacct_read_function: str | None = None
    intacct_replication: str | None = None
    intacct_parent_object: str | None = None
    intacct_parent_key: str | None = None
    intacct_natural_id: str | None = None
    intacct_deletes: str | None = None
    intacct_custom_object: bool | None = None


def with_intacct_keys(root: StreamMetadata, spec: ObjectSpec) -> IntacctStreamMetadata:
    """`root` (standard keys as discovered or as the catalog has them) plus the spec's keys."""
    return IntacctStreamMetadata(
        inclusion=root.inclusion,
        selected=root.selected,
        selected_by_default=spec.selected_by_default,
        table_key_properties=root.table_key_properties,
        replication_key=root.replication_key,
        forced_replication_method=root.forced_replication_method,
        valid_replication_keys=root.valid_replication_keys,
        schema_name=root.schema_name,
        intacct_object=spec.object_name,
        intacct_read_function=spec.read_function,
        intacct_replication=spec.replication_reason,
        intacct_parent_object=spec.parent[0] if spec.parent else None,
        intacct_parent_key=spec.parent[1] if spec.parent else None,
        intacct_natural_id=spec.natural_id,
        intacct_deletes=spec.deletes,
        intacct_custom_object=spec.custom,
    )


def root_metadata(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The stream-level (`breadcrumb: []`) metadata dict of one raw catalog entry."""
    for item in entry.get("metadata") or []:
        if isinstance(item, Mapping) and list(item.get("breadcrumb") or []) == []:
            found = item.get("metadata")
            return dict(found) if isinstance(found, Mapping) else {}
    return {}


def spec_from_catalog(stream_id: str, root: Mapping[str, Any]) -> ObjectSpec:
    """The spec of a catalog stream: from its Intacct keys when it has them (a catalog written by
    this version's discovery), else as older versions built it (by stream name)."""
    known = next((s for s in STANDARD_OBJECTS if s.stream_name == stream_id), None)
    meta = IntacctStreamMetadata.from_dict(dict(root))
    if not meta.intacct_object:
        return known or spec_for_extra(stream_id)
    base = known or spec_for_extra(meta.intacct_object)
    keys = tuple(meta.table_key_properties or base.key_properties)
    parent = (
        (meta.intacct_parent_object, meta.intacct_parent_key)
        if meta.intacct_parent_object and meta.intacct_parent_key
        else base.parent
    )
    return replace(
        base,
        stream_name=stream_id,
        object_name=meta.intacct_object,
        key_properties=keys,
        replication_key=meta.replication_key or "",
        replication_reason=meta.intacct_replication or base.replication_reason,
        read_function=meta.intacct_read_function or QUERY,
        natural_id=meta.intacct_natural_id or base.natural_id,
        parent=parent,
        custom=bool(meta.intacct_custom_object),
        selected_by_default=bool(
            meta.selected_by_default if meta.selected_by_default is not None else known
        ),
    )


__all__ = ["IntacctStreamMetadata", "root_metadata", "spec_from_catalog", "with_intacct_keys"]

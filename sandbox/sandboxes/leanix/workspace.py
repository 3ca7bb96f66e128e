"""The LeanIX workspace: fact sheets, relations, documents, metrics points, configurations and runs.

Everything lives in one SQLite file (or `:memory:`) so a workspace survives a restart of the sandbox.
One connection is shared by the HTTP threads and the run worker; an RLock serialises access and
`transaction()` groups statements so a chunk of a run lands all-or-nothing.
Money and other numbers keep their exact digits: JSON columns use the tagged storage form of
`exactjson` (`{"$decimal": "1234567890123.45"}`), never a float.
Defaults named "OpenAPI description" are those of the Integration API's OpenAPI description
(https://github.com/ballerina-platform/openapi-connectors/blob/HEAD/openapi/leanix.integrationapi/openapi.yaml).
"""

from __future__ import annotations

import functools
import json
import random
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandboxes.leanix import exactjson
from sandboxes.leanix.exactjson import decimal_text, from_storage, to_plain, to_storage

#: Bumped whenever a table changes; a file from another version is refused rather than misread.
SCHEMA_VERSION = "2"

# `seq` (insertion order, what lists are sorted by) is the rowid of the big tables, so ordering and
# writes need no separate seq index. Documents are only ever found by fact sheet and name, so their
# random ids are not indexed either. A metric point is keyed by its tags before its time: a run writes
# the months of one service after another, so its inserts land next to each other in the key order.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fact_sheets (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, name TEXT NOT NULL,
    status TEXT NOT NULL, external_id TEXT, attrs TEXT NOT NULL, rev INTEGER NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fact_sheets_external ON fact_sheets (external_id, type, status);
CREATE TABLE IF NOT EXISTS relations (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, from_id TEXT NOT NULL,
    to_id TEXT NOT NULL, attrs TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    UNIQUE (type, from_id, to_id));
CREATE INDEX IF NOT EXISTS relations_to ON relations (to_id);
CREATE INDEX IF NOT EXISTS relations_from ON relations (from_id);
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, fact_sheet_id TEXT NOT NULL,
    name TEXT NOT NULL, attrs TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    UNIQUE (fact_sheet_id, name));
CREATE TABLE IF NOT EXISTS metric_points (
    measurement TEXT NOT NULL, tags TEXT NOT NULL, time TEXT NOT NULL, fields TEXT NOT NULL,
    updated_at TEXT NOT NULL, PRIMARY KEY (measurement, tags, time)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS configurations (
    binding TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, binding TEXT NOT NULL, content_count INTEGER NOT NULL,
    status TEXT NOT NULL, test INTEGER NOT NULL, description TEXT, message TEXT,
    history TEXT NOT NULL, progress TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_seq ON runs (seq);
CREATE TABLE IF NOT EXISTS tag_groups (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT NOT NULL UNIQUE, attrs TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tags (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, group_id TEXT NOT NULL, name TEXT NOT NULL,
    attrs TEXT NOT NULL, UNIQUE (group_id, name));
CREATE TABLE IF NOT EXISTS fact_sheet_tags (
    fact_sheet_id TEXT NOT NULL, tag_id TEXT NOT NULL, PRIMARY KEY (fact_sheet_id, tag_id));
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, attrs TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY, fact_sheet_id TEXT NOT NULL, user_id TEXT NOT NULL, type TEXT NOT NULL,
    roles TEXT NOT NULL, UNIQUE (fact_sheet_id, user_id));
CREATE TABLE IF NOT EXISTS run_bodies (run_id TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS warnings (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (run_id, seq));
"""


class WorkspaceError(Exception):
    """The --db file cannot hold this sandbox's workspace."""


def _upsert(table: str, columns: str) -> str:
    """A new row is inserted, a known one (same seq) updated in place: INSERT OR REPLACE would
    delete and re-insert it in every index."""
    names = columns.split()
    marks = ", ".join("?" for _ in names)
    changes = ", ".join(f"{name} = excluded.{name}" for name in names if name != "seq")
    return (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}) "  # noqa: S608 - fixed names
        f"ON CONFLICT (seq) DO UPDATE SET {changes}"
    )


_SAVE_FACT_SHEET = _upsert(
    "fact_sheets", "seq id type name status external_id attrs rev created_at updated_at"
)
_SAVE_RELATION = _upsert("relations", "seq id type from_id to_id attrs created_at updated_at")
_SAVE_DOCUMENT = _upsert("documents", "seq id fact_sheet_id name attrs created_at updated_at")

#: The five keys that bind an LDIF to a processor configuration; they "need to match exactly"
#: (https://github.com/leanix-public/scripts/blob/HEAD/startIntegrationAPIRun/ReadME.txt).
BINDING_KEYS = (
    "connectorType",
    "connectorId",
    "connectorVersion",
    "processingDirection",
    "processingMode",
)

#: Fact sheet attributes shown as top-level fields; every other update key is a generic field.
STANDARD_ATTRIBUTES = ("description", "category", "alias", "release", "lifecycle")

_json_text = json.encoder.encode_basestring_ascii
_FIELDS = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal)

ACTIVE = "ACTIVE"
ARCHIVED = "ARCHIVED"


def binding_of(document: dict[str, Any]) -> dict[str, str]:
    """The binding of a configuration or an LDIF; processingMode defaults to partial (OpenAPI
    description)."""
    binding = {key: str(document.get(key) or "") for key in BINDING_KEYS}
    binding["processingMode"] = binding["processingMode"] or "partial"
    return binding


def binding_key(binding: dict[str, str]) -> str:
    """The stored key of a binding: JSON of its values in BINDING_KEYS order."""
    return json.dumps([binding[key] for key in BINDING_KEYS])


def timestamp(moment: datetime) -> str:
    """A UTC time as LeanIX writes it: ISO 8601 with milliseconds and `Z`."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@functools.lru_cache(maxsize=4096)  # the points of a run share a few hundred tag sets
def _tags_key(tags: tuple[tuple[str, str], ...]) -> str:
    pairs = ", ".join([f"[{_json_text(k)}, {_json_text(v)}]" for k, v in sorted(tags)])
    return f"[{pairs}]"


def new_id() -> str:
    """A random (version 4) UUID, as LeanIX ids are; not a secret, so the fast generator will do."""
    bits = random.getrandbits(128) & ~_UUID_VERSION_MASK | _UUID_VERSION_4
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


#: The version nibble and variant bits of a UUID (RFC 4122 §4.1.1, §4.1.3), as one mask and value.
_UUID_VERSION_MASK = (0xF000 << 64) | (0xC000 << 48)
_UUID_VERSION_4 = (0x4000 << 64) | (0x8000 << 48)


@dataclass
class FactSheet:
    """A fact sheet: type, name, status (ACTIVE or ARCHIVED), externalId, attributes, rev."""

    id: str
    type: str
    name: str
    status: str = ACTIVE
    external_id: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    rev: int = 1
    created_at: str = ""
    updated_at: str = ""
    seq: int = 0

    @property
    def display_name(self) -> str:
        """The name with its release appended, as LeanIX shows `displayName`."""
        release = self.attrs.get("release")
        return f"{self.name} {release}" if release else self.name

    def export(self) -> dict[str, Any]:
        """Admin export form: non-standard attributes under `fields`, Decimals as text."""
        standard = {key: self.attrs[key] for key in STANDARD_ATTRIBUTES if key in self.attrs}
        generic = {k: v for k, v in sorted(self.attrs.items()) if k not in STANDARD_ATTRIBUTES}
        exported: dict[str, Any] = to_plain(
            {
                "id": self.id,
                "type": self.type,
                "name": self.name,
                "displayName": self.display_name,
                "status": self.status,
                "externalId": self.external_id,
                **standard,
                "fields": generic,
                "rev": self.rev,
                "createdAt": self.created_at,
                "updatedAt": self.updated_at,
            }
        )
        return exported


@dataclass
class Relation:
    """A relation between two fact sheets, unique per (type, from, to); attributes such as cost."""

    id: str
    type: str
    from_id: str
    to_id: str
    attrs: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""
    seq: int = 0


@dataclass
class Document:
    """A document on a fact sheet, unique per (fact sheet, name); url, description, metadata."""

    id: str
    fact_sheet_id: str
    name: str
    attrs: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""
    seq: int = 0


@dataclass
class MetricPoint:
    """A metrics point, identified by (measurement, time, tags); its fields are exact Decimals."""

    measurement: str
    time: str
    #: (key, value) pairs.
    tags: list[tuple[str, str]]
    fields: dict[str, Decimal]
    updated_at: str = ""
    #: The tags as stored: JSON of the sorted pairs, part of the point's identity.
    tags_key: str = field(init=False, repr=False)

    # The stored forms are written out by hand (the same text `json.dumps` would give): with one
    # point per item, the set-up cost of the generic encoder is what a run would spend its time on.
    def __post_init__(self) -> None:
        self.tags_key = _tags_key(tuple(self.tags))

    def fields_text(self) -> str:
        """The fields as stored: a JSON object of exact numbers (every field is a Decimal)."""
        fields = ", ".join([f"{_json_text(k)}: {decimal_text(v)}" for k, v in self.fields.items()])
        return f"{{{fields}}}"

    def export(self) -> dict[str, Any]:
        """The point as the metrics endpoint and admin export show it, Decimals as text."""
        exported: dict[str, Any] = to_plain(
            {
                "measurement": self.measurement,
                "time": self.time,
                "tags": [{"key": key, "value": value} for key, value in sorted(self.tags)],
                "fields": dict(sorted(self.fields.items())),
                "updatedAt": self.updated_at,
            }
        )
        return exported


@dataclass
class TagGroup:
    """A tag group, unique by name; `attrs` holds shortName, mode, restrictToFactSheetTypes."""

    id: str
    name: str
    attrs: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass
class Tag:
    """A tag; `group_id` is "" for tags outside any group (LeanIX's "Other tags")."""

    id: str
    group_id: str
    name: str
    attrs: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass
class Run:
    """A synchronization run: binding, status and its history, counters; the LDIF when loaded."""

    id: str
    binding: dict[str, str]
    #: The LDIF is loaded only where a run is executed: status polls must stay cheap for big LDIFs.
    ldif: dict[str, Any] | None
    status: str
    test: bool
    created_at: str
    description: str | None = None
    message: str | None = None
    history: list[dict[str, str]] = field(default_factory=list)
    progress: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    content_count: int = 0


class Workspace:
    """The whole workspace in one SQLite file, shared by HTTP threads and the run worker."""

    def __init__(self, path: str) -> None:
        self.lock = threading.RLock()
        self._depth = 0
        self._seqs: dict[str, int] = {}
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        tables = {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master")}
        version = (
            self._conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if "meta" in tables
            else None
        )
        if tables and (version is None or version[0] != SCHEMA_VERSION):
            self._conn.close()
            raise WorkspaceError(
                f"{path} holds a workspace of another leanix-sandbox version (schema "
                f"{version[0] if version else 1}, this one uses {SCHEMA_VERSION}); "
                "delete it or pass another --db"
            )
        self._conn.executescript(_SCHEMA)
        self.set_meta("schema", SCHEMA_VERSION)

    def close(self) -> None:
        """Close the shared SQLite connection (when the server stops)."""
        with self.lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing; nested calls join the outer transaction."""
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    @contextmanager
    def dry_run(self) -> Iterator[None]:
        """A transaction that is always rolled back: `test=true` runs change nothing (OpenAPI
        description)."""
        with self.lock:
            if self._depth:
                raise RuntimeError("a dry run cannot join another transaction")
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                self._conn.execute("ROLLBACK")

    def _one(self, sql: str, *args: object) -> sqlite3.Row | None:
        with self.lock:
            row: sqlite3.Row | None = self._conn.execute(sql, args).fetchone()
            return row

    def _all(self, sql: str, *args: object) -> list[sqlite3.Row]:
        with self.lock:
            return list(self._conn.execute(sql, args).fetchall())

    def _run(self, sql: str, *args: object) -> None:
        with self.lock:
            self._conn.execute(sql, args)

    def _next_seq(self, table: str) -> int:
        """Insertion order; counted in memory since this connection is the file's only writer."""
        with self.lock:
            last = self._seqs.get(table)
            if last is None:
                row = self._one(f"SELECT COALESCE(MAX(seq), 0) AS last FROM {table}")  # noqa: S608
                last = int(row["last"]) if row else 0
            self._seqs[table] = last + 1
            return last + 1

    # -- meta ---------------------------------------------------------------------------------
    def meta(self, key: str, default: str) -> str:
        """A persistent setting; the default is stored on first use so it stays the same later."""
        with self.lock:
            row = self._one("SELECT value FROM meta WHERE key = ?", key)
            if row is not None:
                return str(row["value"])
            self._run("INSERT INTO meta (key, value) VALUES (?, ?)", key, default)
            return default

    def set_meta(self, key: str, value: str) -> None:
        """Overwrite a persistent setting (unlike `meta`, which keeps the first value)."""
        self._run("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value)

    # -- fact sheets --------------------------------------------------------------------------
    @staticmethod
    def _fact_sheet(row: sqlite3.Row) -> FactSheet:
        return FactSheet(
            id=row["id"],
            type=row["type"],
            name=row["name"],
            status=row["status"],
            external_id=row["external_id"],
            attrs=from_storage(row["attrs"]),
            rev=row["rev"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            seq=row["seq"],
        )

    def fact_sheet(self, fact_sheet_id: str) -> FactSheet | None:
        """The fact sheet with this ID, archived or not; None if there is none."""
        row = self._one("SELECT * FROM fact_sheets WHERE id = ?", fact_sheet_id)
        return self._fact_sheet(row) if row else None

    def fact_sheet_by_external_id(self, fs_type: str, external_id: str) -> FactSheet | None:
        """The active fact sheet of a type with this externalId; archived ones are never revived."""
        row = self._one(
            "SELECT * FROM fact_sheets WHERE external_id = ? AND type = ? AND status = ? "
            "ORDER BY seq LIMIT 1",
            external_id,
            fs_type,
            ACTIVE,
        )
        return self._fact_sheet(row) if row else None

    def fact_sheets_by_external_id(self, external_id: str) -> list[FactSheet]:
        """The active fact sheets carrying this externalId, oldest first."""
        rows = self._all(
            "SELECT * FROM fact_sheets WHERE external_id = ? AND status = ? ORDER BY seq",
            external_id,
            ACTIVE,
        )
        return [self._fact_sheet(row) for row in rows]

    def fact_sheets_matching(
        self, *, ids: set[str] | None = None, external_ids: set[str] | None = None
    ) -> list[FactSheet]:
        """Candidates by id or external id (any status), without scanning the whole workspace."""
        found: dict[str, FactSheet] = {}
        for column, values in (("id", ids), ("external_id", external_ids)):
            for value in sorted(values or ()):
                rows = self._all(
                    f"SELECT * FROM fact_sheets WHERE {column} = ? ORDER BY seq",  # noqa: S608
                    value,
                )
                for row in rows:
                    found.setdefault(row["id"], self._fact_sheet(row))
        return sorted(found.values(), key=lambda sheet: sheet.seq)

    def fact_sheets(self) -> list[FactSheet]:
        """Every fact sheet, archived ones included, in creation order."""
        return [
            self._fact_sheet(row) for row in self._all("SELECT * FROM fact_sheets ORDER BY seq")
        ]

    def save_fact_sheet(self, sheet: FactSheet) -> None:
        """Insert or replace a fact sheet; a new one gets the next creation sequence number."""
        with self.lock:
            if not sheet.seq:
                sheet.seq = self._next_seq("fact_sheets")
            self._run(
                _SAVE_FACT_SHEET,
                sheet.seq,
                sheet.id,
                sheet.type,
                sheet.name,
                sheet.status,
                sheet.external_id,
                to_storage(sheet.attrs),
                sheet.rev,
                sheet.created_at,
                sheet.updated_at,
            )

    # -- relations ----------------------------------------------------------------------------
    @staticmethod
    def _relation(row: sqlite3.Row) -> Relation:
        return Relation(
            id=row["id"],
            type=row["type"],
            from_id=row["from_id"],
            to_id=row["to_id"],
            attrs=from_storage(row["attrs"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            seq=row["seq"],
        )

    def relation(self, rel_type: str, from_id: str, to_id: str) -> Relation | None:
        """The relation of this type between two fact sheets, or None."""
        row = self._one(
            "SELECT * FROM relations WHERE type = ? AND from_id = ? AND to_id = ?",
            rel_type,
            from_id,
            to_id,
        )
        return self._relation(row) if row else None

    def relation_by_id(self, relation_id: str) -> Relation | None:
        """The relation a `/rel<X>/<relationId>` patch names, or None."""
        row = self._one("SELECT * FROM relations WHERE id = ?", relation_id)
        return self._relation(row) if row else None

    def relations_touching(self, fact_sheet_id: str) -> list[Relation]:
        """Relations from or to a fact sheet, in creation order."""
        rows = self._all(
            "SELECT * FROM relations WHERE from_id = ? OR to_id = ? ORDER BY seq",
            fact_sheet_id,
            fact_sheet_id,
        )
        return [self._relation(row) for row in rows]

    def relations(self) -> list[Relation]:
        """Every relation, in creation order."""
        return [self._relation(row) for row in self._all("SELECT * FROM relations ORDER BY seq")]

    def save_relation(self, relation: Relation) -> None:
        """Insert or replace a relation; a new one gets the next creation sequence number."""
        with self.lock:
            if not relation.seq:
                relation.seq = self._next_seq("relations")
            self._run(
                _SAVE_RELATION,
                relation.seq,
                relation.id,
                relation.type,
                relation.from_id,
                relation.to_id,
                to_storage(relation.attrs),
                relation.created_at,
                relation.updated_at,
            )

    def delete_relation(self, relation_id: str) -> None:
        """Remove a relation by its ID (nothing happens if it is gone already)."""
        self._run("DELETE FROM relations WHERE id = ?", relation_id)

    # -- documents ----------------------------------------------------------------------------
    @staticmethod
    def _document(row: sqlite3.Row) -> Document:
        return Document(
            id=row["id"],
            fact_sheet_id=row["fact_sheet_id"],
            name=row["name"],
            attrs=from_storage(row["attrs"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            seq=row["seq"],
        )

    def document(self, fact_sheet_id: str, name: str) -> Document | None:
        """The document of this name on a fact sheet, or None."""
        row = self._one(
            "SELECT * FROM documents WHERE fact_sheet_id = ? AND name = ?", fact_sheet_id, name
        )
        return self._document(row) if row else None

    def documents_of(self, fact_sheet_id: str) -> list[Document]:
        """The documents of a fact sheet, in creation order."""
        rows = self._all(
            "SELECT * FROM documents WHERE fact_sheet_id = ? ORDER BY seq", fact_sheet_id
        )
        return [self._document(row) for row in rows]

    def documents(self) -> list[Document]:
        """Every document, in creation order."""
        return [self._document(row) for row in self._all("SELECT * FROM documents ORDER BY seq")]

    def save_document(self, document: Document) -> None:
        """Insert or replace a document; a new one gets the next creation sequence number."""
        with self.lock:
            if not document.seq:
                document.seq = self._next_seq("documents")
            self._run(_SAVE_DOCUMENT, *_document_row(document.seq, document))

    def insert_document(self, document: Document) -> bool:
        """Store a new document; False (and nothing written) when its fact sheet has one of that
        name already."""
        with self.lock:
            seq = self._next_seq("documents")
            cursor = self._conn.execute(
                "INSERT INTO documents (seq, id, fact_sheet_id, name, attrs, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                _document_row(seq, document),
            )
            if cursor.rowcount <= 0:
                return False
            document.seq = seq
            return True

    def delete_document(self, seq: int) -> None:
        """Remove a document by its row number (`seq`, the table's primary key)."""
        self._run("DELETE FROM documents WHERE seq = ?", seq)

    # -- metrics ------------------------------------------------------------------------------
    @staticmethod
    def _point(row: sqlite3.Row) -> MetricPoint:
        return MetricPoint(
            measurement=row["measurement"],
            time=row["time"],
            tags=[(key, value) for key, value in json.loads(row["tags"])],
            fields=_FIELDS.decode(row["fields"]),
            updated_at=row["updated_at"],
        )

    def metric_fields(self, measurement: str, time: str, tags_key: str) -> dict[str, Any] | None:
        """The fields of a stored point, or None when there is no such point."""
        row = self._one(
            "SELECT fields FROM metric_points WHERE measurement = ? AND tags = ? AND time = ?",
            measurement,
            tags_key,
            time,
        )
        return _FIELDS.decode(row["fields"]) if row else None

    def insert_metric_point(self, point: MetricPoint) -> bool:
        """Store a new point; False (and nothing written) when the point exists already."""
        with self.lock:
            cursor = self._conn.execute(
                "INSERT INTO metric_points (measurement, tags, time, fields, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    point.measurement,
                    point.tags_key,
                    point.time,
                    point.fields_text(),
                    point.updated_at,
                ),
            )
            return cursor.rowcount > 0

    def save_metric_point(self, point: MetricPoint) -> None:
        """Upsert a point by (measurement, tags, time): its fields and updatedAt are replaced."""
        self._run(
            "INSERT INTO metric_points (measurement, tags, time, fields, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (measurement, tags, time) "
            "DO UPDATE SET fields = excluded.fields, updated_at = excluded.updated_at",
            point.measurement,
            point.tags_key,
            point.time,
            point.fields_text(),
            point.updated_at,
        )

    def delete_metric_point(self, measurement: str, time: str, tags_key: str) -> bool:
        """Remove the point with this identity; False when there was none."""
        with self.lock:
            cursor = self._conn.execute(
                "DELETE FROM metric_points WHERE measurement = ? AND tags = ? AND time = ?",
                (measurement, tags_key, time),
            )
            return cursor.rowcount > 0

    def metric_points(self, measurement: str | None = None) -> list[MetricPoint]:
        """Stored points, of one measurement or all, ordered by time and tags."""
        if measurement is None:
            rows = self._all("SELECT * FROM metric_points ORDER BY measurement, time, tags")
        else:
            rows = self._all(
                "SELECT * FROM metric_points WHERE measurement = ? ORDER BY time, tags",
                measurement,
            )
        return [self._point(row) for row in rows]

    # -- tags ---------------------------------------------------------------------------------
    def tag_group(self, name: str) -> TagGroup | None:
        """The tag group of this name (names are unique), or None."""
        row = self._one("SELECT * FROM tag_groups WHERE name = ?", name)
        return (
            TagGroup(row["id"], row["name"], from_storage(row["attrs"]), row["seq"])
            if row
            else None
        )

    def tag_groups(self) -> list[TagGroup]:
        """Every tag group, by name."""
        rows = self._all("SELECT * FROM tag_groups ORDER BY name")
        return [TagGroup(r["id"], r["name"], from_storage(r["attrs"]), r["seq"]) for r in rows]

    def save_tag_group(self, group: TagGroup) -> None:
        """Insert or replace a tag group; a new one gets the next creation sequence number."""
        with self.lock:
            if not group.seq:
                group.seq = self._next_seq("tag_groups")
            self._run(
                "INSERT OR REPLACE INTO tag_groups (id, seq, name, attrs) VALUES (?, ?, ?, ?)",
                group.id,
                group.seq,
                group.name,
                to_storage(group.attrs),
            )

    @staticmethod
    def _tag(row: sqlite3.Row) -> Tag:
        return Tag(row["id"], row["group_id"], row["name"], from_storage(row["attrs"]), row["seq"])

    def tag(self, group_id: str, name: str) -> Tag | None:
        """The tag of this name in a group (group_id "": Other tags), or None."""
        row = self._one("SELECT * FROM tags WHERE group_id = ? AND name = ?", group_id, name)
        return self._tag(row) if row else None

    def tags(self) -> list[Tag]:
        """Every tag, in creation order."""
        return [self._tag(row) for row in self._all("SELECT * FROM tags ORDER BY seq")]

    def save_tag(self, tag: Tag) -> None:
        """Insert or replace a tag; a new one gets the next creation sequence number."""
        with self.lock:
            if not tag.seq:
                tag.seq = self._next_seq("tags")
            self._run(
                "INSERT OR REPLACE INTO tags (id, seq, group_id, name, attrs) VALUES (?, ?, ?, ?, ?)",
                tag.id,
                tag.seq,
                tag.group_id,
                tag.name,
                to_storage(tag.attrs),
            )

    def tags_of(self, fact_sheet_id: str) -> list[Tag]:
        """The tags assigned to a fact sheet, in creation order."""
        rows = self._all(
            "SELECT tags.* FROM tags JOIN fact_sheet_tags ON fact_sheet_tags.tag_id = tags.id "
            "WHERE fact_sheet_tags.fact_sheet_id = ? ORDER BY tags.seq",
            fact_sheet_id,
        )
        return [self._tag(row) for row in rows]

    def set_tagged(self, fact_sheet_id: str, tag_id: str, *, tagged: bool) -> bool:
        """Assign or remove a tag; True when that changed anything."""
        with self.lock:
            if tagged:
                cursor = self._conn.execute(
                    "INSERT OR IGNORE INTO fact_sheet_tags (fact_sheet_id, tag_id) VALUES (?, ?)",
                    (fact_sheet_id, tag_id),
                )
            else:
                cursor = self._conn.execute(
                    "DELETE FROM fact_sheet_tags WHERE fact_sheet_id = ? AND tag_id = ?",
                    (fact_sheet_id, tag_id),
                )
            return cursor.rowcount > 0

    # -- configurations -----------------------------------------------------------------------
    def put_configuration(self, body: dict[str, Any], now: str) -> None:
        """Store a processor configuration, replacing the one with the same binding."""
        key = binding_key(binding_of(body))
        with self.lock:
            existing = self._one("SELECT seq FROM configurations WHERE binding = ?", key)
            seq = int(existing["seq"]) if existing else self._next_seq("configurations")
            self._run(
                "INSERT OR REPLACE INTO configurations (binding, seq, body, updated_at) "
                "VALUES (?, ?, ?, ?)",
                key,
                seq,
                to_storage(body),
                now,
            )

    def configuration(self, binding: dict[str, str]) -> dict[str, Any] | None:
        """The configuration stored under this binding, or None."""
        row = self._one("SELECT body FROM configurations WHERE binding = ?", binding_key(binding))
        return from_storage(row["body"]) if row else None

    def configurations(self) -> list[dict[str, Any]]:
        """Every stored configuration, in the order first stored."""
        rows = self._all("SELECT body FROM configurations ORDER BY seq")
        return [from_storage(row["body"]) for row in rows]

    def delete_configuration(self, binding: dict[str, str]) -> bool:
        """Remove the configuration under this binding; False when there was none."""
        with self.lock:
            cursor = self._conn.execute(
                "DELETE FROM configurations WHERE binding = ?", (binding_key(binding),)
            )
            return cursor.rowcount > 0

    # -- runs ---------------------------------------------------------------------------------
    @staticmethod
    def _run_row(row: sqlite3.Row) -> Run:
        return Run(
            id=row["id"],
            binding=json.loads(row["binding"]),
            ldif=None,
            content_count=row["content_count"],
            status=row["status"],
            test=bool(row["test"]),
            created_at=row["created_at"],
            description=row["description"],
            message=row["message"],
            history=json.loads(row["history"]),
            progress=json.loads(row["progress"]),
            seq=row["seq"],
        )

    def save_run(self, run: Run) -> None:
        """Insert or replace a run's row (without its LDIF); a new run gets the next number."""
        with self.lock:
            if not run.seq:
                run.seq = self._next_seq("runs")
            self._run(
                "INSERT OR REPLACE INTO runs (id, seq, binding, content_count, status, test, description, "
                "message, history, progress, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                run.id,
                run.seq,
                json.dumps(run.binding),
                run.content_count,
                run.status,
                int(run.test),
                run.description,
                run.message,
                json.dumps(run.history),
                json.dumps(run.progress),
                run.created_at,
            )

    def save_run_body(self, run_id: str, body: bytes) -> None:
        """The LDIF as the client sent it: exact JSON already, so it is kept without re-encoding."""
        self._run("INSERT OR REPLACE INTO run_bodies (run_id, body) VALUES (?, ?)", run_id, body)

    def run(self, run_id: str, *, with_ldif: bool = False) -> Run | None:
        """The run with this ID, with its LDIF if `with_ldif`; None if there is none."""
        row = self._one("SELECT * FROM runs WHERE id = ?", run_id)
        if row is None:
            return None
        run = self._run_row(row)
        if with_ldif:
            stored = self._one("SELECT body FROM run_bodies WHERE run_id = ?", run_id)
            run.ldif = exactjson.loads(stored["body"]) if stored else {}
        return run

    def runs(self, statuses: tuple[str, ...] = ()) -> list[Run]:
        """Runs in creation order, only those in `statuses` when given."""
        if not statuses:
            return [self._run_row(row) for row in self._all("SELECT * FROM runs ORDER BY seq")]
        marks = ", ".join("?" for _ in statuses)
        rows = self._all(
            f"SELECT * FROM runs WHERE status IN ({marks}) ORDER BY seq",  # noqa: S608 - placeholders only
            *statuses,
        )
        return [self._run_row(row) for row in rows]

    def add_warnings(self, run_id: str, warnings: list[dict[str, Any]]) -> None:
        """Append warnings to a run's list, after those it already has."""
        if not warnings:
            return
        with self.lock:
            row = self._one(
                "SELECT COALESCE(MAX(seq), 0) AS last FROM warnings WHERE run_id = ?", run_id
            )
            start = int(row["last"]) if row else 0
            self._conn.executemany(
                "INSERT INTO warnings (run_id, seq, body) VALUES (?, ?, ?)",
                [
                    (run_id, start + index + 1, to_storage(body))
                    for index, body in enumerate(warnings)
                ],
            )

    def warnings(self, run_id: str, offset: int = 0, limit: int = -1) -> list[dict[str, Any]]:
        """A page of a run's warnings in order (`limit` -1: all after `offset`)."""
        rows = self._all(
            "SELECT body FROM warnings WHERE run_id = ? ORDER BY seq LIMIT ? OFFSET ?",
            run_id,
            limit,
            offset,
        )
        return [from_storage(row["body"]) for row in rows]

    def warning_count(self, run_id: str) -> int:
        """How many warnings a run has (`warningsCount` in its progress)."""
        row = self._one("SELECT COUNT(*) AS n FROM warnings WHERE run_id = ?", run_id)
        return int(row["n"]) if row else 0

    # -- whole workspace ----------------------------------------------------------------------
    def reset(self) -> None:
        """Empty the workspace (every table) in one transaction; meta settings stay."""
        with self.transaction():
            for table in (
                "fact_sheets",
                "relations",
                "documents",
                "metric_points",
                "configurations",
                "runs",
                "run_bodies",
                "tag_groups",
                "tags",
                "fact_sheet_tags",
                "users",
                "subscriptions",
                "warnings",
            ):
                self._run(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            self._seqs.clear()


def _document_row(seq: int, document: Document) -> tuple[Any, ...]:
    """A document's columns in table order (seq, id, fact_sheet_id, name, attrs, created_at,
    updated_at), as both the upsert and the insert write them."""
    return (
        seq,
        document.id,
        document.fact_sheet_id,
        document.name,
        to_storage(document.attrs),
        document.created_at,
        document.updated_at,
    )

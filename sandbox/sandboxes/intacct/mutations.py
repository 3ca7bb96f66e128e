"""`POST /admin/mutate`: modify, insert, delete and seeded random changes, with AUDITHISTORY.

Every change stamps WHENMODIFIED (and MODIFIEDBY) with the sandbox clock, rendered in the user's
offset. A version becomes visible at `now + visible_after_seconds` (default
`--late-visibility-seconds`), so late visibility can be reproduced: Intacct is eventually
consistent, which is why Estuary's connector re-reads behind its bookmark
(https://github.com/estuary/connectors/blob/HEAD/source-sage-intacct/source_sage_intacct/resources.py).

Header/line consistency: `insert` of a header may carry `"lines": [{...}, ...]`; the lines are inserted
into the line object with the header's RECORDNO and the header totals are set to the sums of the lines.
Deleting a header deletes its lines too, each with its own AUDITHISTORY row.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal
from typing import Any

from sandboxes.intacct.catalog import LINE_PARENTS, MASTER_OBJECTS
from sandboxes.intacct.company import Row
from sandboxes.intacct.formats import convert_cents, decimal_or_none, money, parse_money_cents
from sandboxes.intacct.reference_data import ENTITIES
from sandboxes.intacct.state import IntacctState
from sandboxes.intacct.store import Version

HEADER_LINES = {parent: (line, key) for line, (parent, key) in LINE_PARENTS.items()}
RANDOM_OBJECTS = ("APBILL", "CCTRANSACTION", "EEXPENSES", "PODOCUMENT", "APPYMT", "APRECURBILL")
NEW_NATURAL_IDS = {
    "VENDOR": "V-{n:05d}",
    "DEPARTMENT": "DEPT-{n}",
    "LOCATION": "LOC-{n}",
    "GLACCOUNT": "7{n:03d}",
    "CLASS": "C-{n}",
    "PROJECT": "P-{n}",
}
ACCESS_MODES = {"insert": "C", "modify": "M", "delete": "D"}


class MutationError(ValueError):
    """An admin mutation the sandbox refuses; the message names the op and what is wrong."""


class Mutator:
    """Applies /admin/mutate ops to the store: new versions, audit trail, late visibility."""

    def __init__(self, state: IntacctState, *, at: float | None = None) -> None:
        self.state = state
        self.store = state.store
        #: a fixed instant instead of the clock (used to write the company's pre-existing history)
        self.at = at

    # ------------------------------------------------------------------ entry point
    def apply(self, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Apply ops in order under the store lock; one result dict per op."""
        if not isinstance(ops, list):
            raise MutationError('body must be a list of ops (or {"ops": [...]})')
        with self.store.lock:
            return [self.apply_one(op, n) for n, op in enumerate(ops)]

    def apply_one(self, op: dict[str, Any], position: int = 0) -> dict[str, Any]:
        """Apply one op (modify, insert, delete or random); MutationError names its position."""
        kind = op.get("op")
        if kind == "random":
            return {
                "op": "random",
                "done": self.random(int(op.get("count", 10)), int(op.get("seed", 0))),
            }
        name = str(op.get("object", "")).upper()
        if name not in self.state.catalog or name == "AUDITHISTORY":
            raise MutationError(f"op #{position}: unknown or read-only object {op.get('object')!r}")
        delay = float(op.get("visible_after_seconds", self.state.config.late_visibility_seconds))
        if kind == "modify":
            return self.modify(name, _recordno(op, position), dict(op.get("fields", {})), delay)
        if kind == "insert":
            return self.insert(name, dict(op.get("fields", {})), list(op.get("lines", [])), delay)
        if kind == "delete":
            return self.delete(name, _recordno(op, position), delay)
        raise MutationError(
            f"op #{position}: 'op' must be modify, insert, delete or random, got {kind!r}"
        )

    # ------------------------------------------------------------------ primitives
    def _now(self) -> float:
        return self.at if self.at is not None else self.state.now().timestamp()

    def _stamp(self) -> str:
        return self.state.tf.timestamp(int(self._now()))

    def _write(self, name: str, recordno: int, row: Row | None, delay: float) -> None:
        overlay = self.store.overlays[name]
        overlay.versions.setdefault(recordno, []).append(Version(row, self._now() + delay))
        self.store.version += 1

    def _audit(self, name: str, row: Row, mode: str, delay: float) -> None:
        obj = self.state.catalog[name]
        key = (
            row.get(obj.natural_id, "")
            if name in MASTER_OBJECTS
            else f"{row.get('RECORDNO', '')}--REC"
        )
        audit = self.store.overlays["AUDITHISTORY"]
        audit_id = overlay_next(audit)
        epoch = int(self._now())
        entry: Row = {
            "ID": str(audit_id),
            "OBJECTTYPE": name.lower(),
            "OBJECTKEY": key,
            "ACCESSMODE": mode,
            # ADVAUDITHISTORY.ACCESSTIME is GMT regardless of preferences
            # (https://developer.intacct.com/api/company-console/advanced-audit-trails/)
            "ACCESSTIME": _gmt(epoch),
            "USERID": self.state.config.user_id,
            "WORKFLOWACTION": {"C": "create", "M": "modify", "D": "delete"}[mode],
            "IPADDRESS": "127.0.0.1",
            "SOURCE": "api",
            "RECORDNO": str(audit_id),
            "WHENMODIFIED": self.state.tf.timestamp(epoch),
            "CREATEDBY": "1",
            "MODIFIEDBY": "1",
            "MEGAENTITYKEY": "",
            "MEGAENTITYID": "",
            "MEGAENTITYNAME": "",
        }
        audit.versions[audit_id] = [Version(entry, self._now() + delay)]

    def modify(
        self, name: str, recordno: int, fields: dict[str, Any], delay: float
    ) -> dict[str, Any]:
        """Write a modified version of a live record with a new WHENMODIFIED, and audit it."""
        current = self.store.latest_row(name, recordno)
        if current is None:
            raise MutationError(f"{name} {recordno} does not exist (or is deleted)")
        row = self._merge(name, current, fields)
        row["WHENMODIFIED"] = self._stamp()
        row["MODIFIEDBY"] = "1"
        self._write(name, recordno, row, delay)
        self._audit(name, row, "M", delay)
        return {
            "op": "modify",
            "object": name,
            "recordno": recordno,
            "whenmodified": row["WHENMODIFIED"],
        }

    def _merge(self, name: str, base: Row, fields: dict[str, Any]) -> Row:
        obj = self.state.catalog[name]
        row = dict(base)
        for key, value in fields.items():
            field = key.upper()
            if field not in obj.by_name:
                raise MutationError(f"{name} has no field {key!r}")
            if field == "RECORDNO":
                raise MutationError("RECORDNO cannot be changed")
            row[field] = "" if value is None else str(value)
        if "MEGAENTITYID" in {k.upper() for k in fields}:
            entity = next((e for e in ENTITIES if e.location_id == row["MEGAENTITYID"]), None)
            row["MEGAENTITYKEY"] = str(entity.recordno) if entity else ""
            row["MEGAENTITYNAME"] = entity.name if entity else ""
        return row

    def insert(
        self, name: str, fields: dict[str, Any], lines: list[dict[str, Any]], delay: float
    ) -> dict[str, Any]:
        """Insert a row like an existing one as the next RECORDNO; header totals sum its lines."""
        source = self.store.source(name)
        if source.count == 0:
            template: Row = dict.fromkeys(self.state.catalog[name].field_names, "")
        else:
            seed_index = len(self.store.overlays[name].versions) * 7919 % source.count
            template = source.row(seed_index)
        recordno = overlay_next(self.store.overlays[name])
        row = self._merge(name, template, fields)
        row["RECORDNO"] = str(recordno)
        natural = self.state.catalog[name].natural_id
        if name in MASTER_OBJECTS and natural.upper() not in {k.upper() for k in fields}:
            # masters are keyed by their natural id too: never copy the template's
            row[natural] = NEW_NATURAL_IDS.get(name, "{n}").format(n=recordno)
        stamp = self._stamp()
        row["WHENMODIFIED"] = stamp
        for created in ("AUWHENCREATED",):
            if created in row:
                row[created] = stamp
        if "WHENCREATED" in row and self.state.catalog[name].datatype("WHENCREATED") == "TIMESTAMP":
            row["WHENCREATED"] = stamp
        line_results: list[int] = []
        if name in HEADER_LINES and lines:
            line_object, key_field = HEADER_LINES[name]
            line_rows = [self._line_row(line_object, key_field, row, spec) for spec in lines]
            _set_header_totals(name, row, line_rows)
            self._write(name, recordno, row, delay)
            self._audit(name, row, "C", delay)
            for line_row in line_rows:
                self._write(line_object, int(line_row["RECORDNO"]), line_row, delay)
                self._audit(line_object, line_row, "C", delay)
                line_results.append(int(line_row["RECORDNO"]))
        else:
            self._write(name, recordno, row, delay)
            self._audit(name, row, "C", delay)
        result: dict[str, Any] = {
            "op": "insert",
            "object": name,
            "recordno": recordno,
            "whenmodified": stamp,
        }
        if line_results:
            result["lines"] = line_results
        return result

    def _line_row(self, line_object: str, key_field: str, header: Row, spec: dict[str, Any]) -> Row:
        source = self.store.source(line_object)
        template = source.row(
            len(self.store.overlays[line_object].versions) * 104729 % source.count
        )
        recordno = overlay_next(self.store.overlays[line_object])
        row = self._merge(line_object, template, spec)
        row["RECORDNO"] = str(recordno)
        row[key_field] = header["RECORDNO"]
        row["WHENMODIFIED"] = header["WHENMODIFIED"]
        for shared in (
            "CURRENCY",
            "BASECURR",
            "EXCHANGE_RATE",
            "MEGAENTITYKEY",
            "MEGAENTITYID",
            "MEGAENTITYNAME",
        ):
            if (
                shared in row
                and shared in header
                and shared.upper() not in {k.upper() for k in spec}
            ):
                row[shared] = header[shared]
        if "EXCHRATE" in header and "EXCHANGE_RATE" not in header and "EXCHANGE_RATE" in row:
            row["EXCHANGE_RATE"] = header["EXCHRATE"]
        if "TRX_AMOUNT" in row and "AMOUNT" not in {k.upper() for k in spec}:
            rate = decimal_or_none(row.get("EXCHANGE_RATE", "1") or "1")
            row["AMOUNT"] = money(
                convert_cents(parse_money_cents(row["TRX_AMOUNT"]), rate or Decimal(1))
            )
        if "TRX_TOTAL" in row and "TOTAL" not in {k.upper() for k in spec}:
            rate = decimal_or_none(header.get("EXCHRATE", "1") or "1")
            row["TOTAL"] = money(
                convert_cents(parse_money_cents(row["TRX_TOTAL"]), rate or Decimal(1))
            )
        return row

    def delete(self, name: str, recordno: int, delay: float) -> dict[str, Any]:
        """Delete a record (and a header's lines), leaving AUDITHISTORY entries to find them by."""
        current = self.store.latest_row(name, recordno)
        if current is None:
            raise MutationError(f"{name} {recordno} does not exist (or is already deleted)")
        self._write(name, recordno, None, delay)
        self._audit(name, current, "D", delay)
        deleted_lines: list[int] = []
        if name in HEADER_LINES:
            line_object, key_field = HEADER_LINES[name]
            for line in self._lines_of(name, recordno, line_object, key_field):
                number = int(line["RECORDNO"])
                self._write(line_object, number, None, delay)
                self._audit(line_object, line, "D", delay)
                deleted_lines.append(number)
        result: dict[str, Any] = {"op": "delete", "object": name, "recordno": recordno}
        if deleted_lines:
            result["lines"] = deleted_lines
        return result

    def _lines_of(self, header: str, recordno: int, line_object: str, key_field: str) -> list[Row]:
        found: dict[int, Row] = {}
        fanout = self.state.company.fanouts.get(line_object)
        header_source = self.store.source(header)
        parent = header_source.index_of(recordno)
        line_source = self.store.source(line_object)
        if fanout is not None and parent is not None:
            first, count = fanout.first_child(parent), fanout.lines(parent)
            for index in range(first, first + count):
                number = line_source.recordno(index)
                row = self.store.latest_row(line_object, number)
                if row is not None and row.get(key_field) == str(recordno):
                    found[number] = row
        for number, versions in self.store.overlays[line_object].versions.items():
            row = versions[-1].row
            if row is not None and row.get(key_field) == str(recordno):
                found[number] = row
        return [found[k] for k in sorted(found)]

    # ------------------------------------------------------------------ random
    def random(self, count: int, seed: int) -> list[dict[str, Any]]:
        """Up to count seeded random changes: about 60% modify, 25% insert, 15% delete."""
        rng = random.Random(seed)  # noqa: S311 - reproducibility, not security
        done: list[dict[str, Any]] = []
        for _ in range(count):
            name = rng.choice(RANDOM_OBJECTS)
            source = self.store.source(name)
            roll = rng.random()
            recordno = source.recordno(rng.randrange(source.count))
            if roll < 0.6:
                if self.store.latest_row(name, recordno) is None:
                    continue
                fields = (
                    {"DESCRIPTION": f"Edited #{rng.randrange(10**6)}"}
                    if "DESCRIPTION" in self.state.catalog[name].by_name
                    else {"STATE": "Complete"}
                )
                done.append(
                    self.modify(name, recordno, fields, self.state.config.late_visibility_seconds)
                )
            elif roll < 0.85:
                lines: list[dict[str, Any]] = (
                    [{}] * rng.randint(1, 3) if name in HEADER_LINES else []
                )
                done.append(self.insert(name, {}, lines, self.state.config.late_visibility_seconds))
            else:
                if self.store.latest_row(name, recordno) is None:
                    continue
                done.append(self.delete(name, recordno, self.state.config.late_visibility_seconds))
        return done


def overlay_next(overlay: Any) -> int:  # noqa: ANN401 - store.Overlay
    """Take the overlay's next free RECORDNO."""
    number: int = overlay.next_recordno
    overlay.next_recordno += 1
    return number


def _recordno(op: dict[str, Any], position: int) -> int:
    try:
        return int(op["recordno"])
    except (KeyError, TypeError, ValueError):
        raise MutationError(f"op #{position}: needs an integer 'recordno'") from None


def _gmt(epoch: int) -> str:
    return time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(epoch))


def _set_header_totals(name: str, header: Row, lines: list[Row]) -> None:
    """Header totals are the exact sums of their lines (contract), in integer cents."""

    def total(field: str) -> str:
        return money(sum(parse_money_cents(line.get(field) or "0") for line in lines))

    if name == "PODOCUMENT":
        header["TOTAL"], header["TRX_TOTAL"] = total("TOTAL"), total("TRX_TOTAL")
        return
    if name == "APPYMT":
        header["TOTALENTERED"], header["TRX_TOTALENTERED"] = (
            total("PAYMENTAMOUNT"),
            total("TRX_PAYMENTAMOUNT"),
        )
        return
    amount, trx = total("AMOUNT"), total("TRX_AMOUNT")
    header["TOTALENTERED"], header["TRX_TOTALENTERED"] = amount, trx
    paid = header.get("STATE") == "Paid"
    for field, value in (
        ("TOTALPAID", amount if paid else "0"),
        ("TRX_TOTALPAID", trx if paid else "0"),
        ("TOTALDUE", "0" if paid else amount),
        ("TRX_TOTALDUE", "0" if paid else trx),
        ("TRX_ENTITYDUE", "0" if paid else trx),
    ):
        if field in header:
            header[field] = value


#: Records deleted before the sandbox starts: visible only in AUDITHISTORY (object, RECORDNO).
#: Odd APBILL indices are unpaid, so no payment points at them; the VENDOR, DEPARTMENT and GLACCOUNT
#: rows are the extra masters nothing references.
PRE_DELETED = (
    ("APBILL", 1018),
    ("APBILL", 1334),
    ("CCTRANSACTION", 2010),
    ("EEXPENSES", 403),
    ("PODOCUMENT", 105),
)


def seed_history(state: IntacctState, epoch: float) -> None:
    """Write the deletes that happened before the sandbox started (at fixed instants after base data)."""
    for n, (name, recordno) in enumerate(PRE_DELETED):
        if state.store.latest_row(name, recordno) is not None:
            Mutator(state, at=epoch + n * 3600).delete(name, recordno, 0.0)
    for n, name in enumerate(("VENDOR", "DEPARTMENT", "GLACCOUNT")):
        source = state.store.source(name)
        last = int(source.row(source.count - 1)["RECORDNO"])
        Mutator(state, at=epoch + (10 + n) * 3600).delete(name, last, 0.0)

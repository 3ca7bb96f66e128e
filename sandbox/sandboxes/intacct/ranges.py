"""Turn a filter into an index range of an object's base rows, so keyset queries binary-search.

Base rows have WHENMODIFIED non-decreasing and RECORDNO increasing with the index (company.py), so a
comparison on either field selects a contiguous index range. The result is `(lo, hi, exact)`: every
matching base row lies in [lo, hi); when `exact` every base row in [lo, hi) matches, which lets the engine
count and page without generating rows.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable

from sandboxes.intacct.company import Source
from sandboxes.intacct.filters import And, Cmp, Node, Not, Or
from sandboxes.intacct.formats import TimeFormat

IndexRange = tuple[int, int, bool]


class _TsView:
    """A read-only sequence view of `source.ts` for bisect."""

    def __init__(self, ts: Callable[[int], int | None], count: int) -> None:
        self.ts = ts
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> int:
        value = self.ts(index)
        return 0 if value is None else value


def index_range(node: Node | None, source: Source, tf: TimeFormat) -> IndexRange:
    """(lo, hi, exact) of base rows the filter can match; the full range when it cannot narrow."""
    full: IndexRange = (0, source.count, node is None)
    if node is None or not source.monotonic:
        return (0, source.count, node is None)
    return _range(node, source, tf) or (full[0], full[1], False)


def _range(node: Node, source: Source, tf: TimeFormat) -> IndexRange | None:
    n = source.count
    if isinstance(node, And):
        lo, hi, exact = 0, n, True
        for child in node.children:
            got = _range(child, source, tf)
            if got is None:
                exact = False
                continue
            lo, hi, exact = max(lo, got[0]), min(hi, got[1]), exact and got[2]
        return (lo, max(lo, hi), exact)
    if isinstance(node, Or):
        parts = [_range(child, source, tf) for child in node.children]
        if any(p is None for p in parts):
            return None
        ranges = sorted((p for p in parts if p is not None), key=lambda p: p[0])
        exact = all(p[2] for p in ranges)
        lo, hi = ranges[0][0], ranges[0][1]
        for start, end, _ in ranges[1:]:
            if start > hi:
                exact = False
            hi = max(hi, end)
        return (lo, hi, exact)
    if isinstance(node, Not):
        return None
    return _cmp_range(node, source, tf)


def _cmp_range(node: Cmp, source: Source, tf: TimeFormat) -> IndexRange | None:  # noqa: PLR0912 - one branch per operator
    n = source.count
    if node.field == "RECORDNO":
        try:
            bounds = [int(v) - source.base - 1 for v in node.values]
        except ValueError:
            return None

        def left(v: int) -> int:  # first index with recordno >= value
            return min(max(v, 0), n)

        def right(v: int) -> int:  # first index with recordno > value
            return min(max(v + 1, 0), n)

    elif node.field == "WHENMODIFIED":
        epochs = [tf.parse_timestamp(v) for v in node.values]
        if any(e is None for e in epochs):
            return None
        bounds = [e for e in epochs if e is not None]
        view = _TsView(source.ts, n)

        def left(v: int) -> int:
            return bisect_left(view, v)

        def right(v: int) -> int:
            return bisect_right(view, v)

    else:
        return None
    op = node.op
    if op == "isnotnull":
        return (0, n, True)
    if op == "isnull":
        return (0, 0, True)
    if op in ("eq", "in") and len(bounds) == 1:
        return (left(bounds[0]), right(bounds[0]), True)
    if op == "in":
        return (left(min(bounds)), right(max(bounds)), False)
    if op == "lt":
        return (0, left(bounds[0]), True)
    if op == "le":
        return (0, right(bounds[0]), True)
    if op == "gt":
        return (right(bounds[0]), n, True)
    if op == "ge":
        return (left(bounds[0]), n, True)
    if op == "between":
        return (left(bounds[0]), right(bounds[1]), True)
    return None


def entity_set(
    node: Node, entity_index: dict[str, int], everything: frozenset[int]
) -> frozenset[int] | None:
    """The owning entities a condition on MEGAENTITYID/MEGAENTITYKEY admits, or None if it is not one.

    Taps narrow reads to an entity with such conditions (`MEGAENTITYID = 'US01' OR MEGAENTITYID IS
    NULL`); turning them into a visibility set keeps the rest of the filter range-exact.
    """
    top = -1
    entities = everything - {top}
    if isinstance(node, Or | And):
        parts = [entity_set(c, entity_index, everything) for c in node.children]
        if any(p is None for p in parts):
            return None
        sets = [p for p in parts if p is not None]
        if isinstance(node, Or):
            return frozenset().union(*sets)
        out = everything
        for s in sets:
            out &= s
        return out
    if not isinstance(node, Cmp) or node.field not in ("MEGAENTITYID", "MEGAENTITYKEY"):
        return None
    # entity LOCATION RECORDNOs are 1..n (company.py)
    index = {str(n + 1): n for n in entities} if node.field == "MEGAENTITYKEY" else entity_index
    named = frozenset(index[v] for v in node.values if v in index)
    if node.op == "isnull":
        return frozenset({top})
    if node.op == "isnotnull":
        return entities
    if node.op in ("eq", "in"):
        return named
    if node.op in ("ne", "notin"):
        return entities - named
    return None


def split_entity_conditions(
    node: Node | None, entity_index: dict[str, int], everything: frozenset[int]
) -> tuple[Node | None, frozenset[int]]:
    """Move entity conditions out of a filter: (rest of the filter, entities still admitted)."""
    if node is None:
        return None, everything
    whole = entity_set(node, entity_index, everything)
    if whole is not None:
        return None, whole
    if not isinstance(node, And):
        return node, everything
    admitted = everything
    rest: list[Node] = []
    for child in node.children:
        got = entity_set(child, entity_index, everything)
        if got is None:
            rest.append(child)
        else:
            admitted &= got
    if not rest:
        return None, admitted
    return (rest[0] if len(rest) == 1 else And(tuple(rest))), admitted

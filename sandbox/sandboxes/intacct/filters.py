"""Filters: the `query` XML filter and the readByQuery SQL-like query string, parsed to one small AST.

Sage Intacct's query documentation (https://developer.intacct.com/web-services/queries/): operators
equalto, notequalto, lessthan, lessthanorequalto, greaterthan, greaterthanorequalto, between, in,
notin, like, notlike, isnull, isnotnull; `and`/`or` nest. readByQuery strings use `= < > <= >= <> !=
like, not like, in, not in, IS NULL, IS NOT NULL, AND, OR, NOT`, parentheses, quoted literals with
backslash escapes. Values compare by the field's lookup DATATYPE; an empty value is NULL and fails
every comparison except IS NULL (SQL semantics).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree

from sandboxes.intacct.catalog import DATE, NUMERIC_TYPES, TIMESTAMP, ObjectDef
from sandboxes.intacct.formats import date_key, decimal_or_none, timestamp_key

Row = dict[str, str]
Predicate = Callable[[Row], bool]


class FilterError(ValueError):
    """A filter the gateway would reject; the message becomes the function error's description2."""


@dataclass(frozen=True)
class Cmp:
    """One comparison of a field with values (two for between, any number for in)."""

    field: str
    op: str  # eq ne lt le gt ge between in notin like notlike isnull isnotnull
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class And:
    """True when every child is."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """True when any child is."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """True when the child is not."""

    child: Node


Node = Cmp | And | Or | Not

XML_OPERATORS = {
    "equalto": "eq",
    "notequalto": "ne",
    "lessthan": "lt",
    "lessthanorequalto": "le",
    "greaterthan": "gt",
    "greaterthanorequalto": "ge",
    "between": "between",
    "in": "in",
    "notin": "notin",
    "like": "like",
    "notlike": "notlike",
    "isnull": "isnull",
    "isnotnull": "isnotnull",
}


def fields_of(node: Node | None) -> set[str]:
    """Every field name a filter tree compares (empty for no filter)."""
    if node is None:
        return set()
    if isinstance(node, Cmp):
        return {node.field}
    if isinstance(node, Not):
        return fields_of(node.child)
    out: set[str] = set()
    for child in node.children:
        out |= fields_of(child)
    return out


# ---------------------------------------------------------------------------------------------- XML
def parse_xml_filter(element: etree._Element) -> Node:
    """`<filter>` holds exactly one operator
    (https://developer.intacct.com/web-services/queries/)."""
    children = [c for c in element if isinstance(c.tag, str)]
    if len(children) != 1:
        raise FilterError("filter must contain exactly one operator element")
    return _xml_node(children[0])


def _xml_node(element: etree._Element) -> Node:
    tag = str(element.tag)
    children = [c for c in element if isinstance(c.tag, str)]
    if tag in ("and", "or"):
        nodes = tuple(_xml_node(c) for c in children)
        if len(nodes) < 2:
            raise FilterError(f"'{tag}' needs two or more conditions")
        return And(nodes) if tag == "and" else Or(nodes)
    op = XML_OPERATORS.get(tag)
    if op is None:
        raise FilterError(f"Unknown filter operator '{tag}'")
    fields = [c.text or "" for c in children if c.tag == "field"]
    values = tuple((c.text or "") for c in children if c.tag == "value")
    if len(fields) != 1 or not fields[0].strip():
        raise FilterError(f"'{tag}' needs exactly one field")
    field = fields[0].strip().upper()
    if op in ("isnull", "isnotnull"):
        return Cmp(field, op)
    if op == "between" and len(values) != 2:
        raise FilterError("'between' needs exactly two values")
    if op in ("in", "notin"):
        if not 1 <= len(values) <= 1000:
            raise FilterError(f"'{tag}' needs 1 to 1000 values")
    elif op != "between" and len(values) != 1:
        raise FilterError(f"'{tag}' needs exactly one value")
    return Cmp(field, op, values)


# ---------------------------------------------------------------------------------------------- SQL-like
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.)*')
      | (?P<op><>|!=|<=|>=|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<num>-?\d+(?:\.\d+)?)
    )""",
    re.VERBOSE,
)
_SQL_OPS = {"=": "eq", "<>": "ne", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise FilterError(f"Query syntax error near '{text[pos : pos + 20]}'")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
        pos = match.end()
    return tokens


class _SqlParser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def keyword(self, word: str) -> bool:
        kind, value = self.peek()
        if kind == "word" and value.upper() == word:
            self.pos += 1
            return True
        return False

    def expect(self, kind: str, value: str | None = None) -> str:
        got_kind, got = self.peek()
        if got_kind != kind or (value is not None and got != value):
            raise FilterError(
                f"Query syntax error: expected {value or kind}, found '{got or 'end'}'"
            )
        self.pos += 1
        return got

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek()[0] != "end":
            raise FilterError(f"Query syntax error near '{self.peek()[1]}'")
        return node

    def or_expr(self) -> Node:
        nodes = [self.and_expr()]
        while self.keyword("OR"):
            nodes.append(self.and_expr())
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def and_expr(self) -> Node:
        nodes = [self.unary()]
        while self.keyword("AND"):
            nodes.append(self.unary())
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def unary(self) -> Node:
        if self.keyword("NOT"):
            return Not(self.unary())
        if self.peek() == ("punct", "("):
            self.pos += 1
            node = self.or_expr()
            self.expect("punct", ")")
            return node
        return self.comparison()

    def value(self) -> str:
        kind, value = self.peek()
        if kind in ("str", "num", "word"):
            self.pos += 1
            return value
        raise FilterError(f"Query syntax error: expected a value, found '{value or 'end'}'")

    def comparison(self) -> Node:
        field = self.expect("word").upper()
        kind, value = self.peek()
        if kind == "op":
            self.pos += 1
            return Cmp(field, _SQL_OPS[value], (self.value(),))
        negate = self.keyword("NOT")
        if self.keyword("LIKE"):
            return Cmp(field, "notlike" if negate else "like", (self.value(),))
        if self.keyword("IN"):
            self.expect("punct", "(")
            values = [self.value()]
            while self.peek() == ("punct", ","):
                self.pos += 1
                values.append(self.value())
            self.expect("punct", ")")
            return Cmp(field, "notin" if negate else "in", tuple(values))
        if not negate and self.keyword("IS"):
            is_not = self.keyword("NOT")
            if not self.keyword("NULL"):
                raise FilterError("Query syntax error: expected NULL after IS")
            return Cmp(field, "isnotnull" if is_not else "isnull")
        raise FilterError(f"Query syntax error near '{field} {value}'")


def parse_query_string(text: str | None) -> Node | None:
    """The AST of a readByQuery `<query>` string (None when empty); FilterError if malformed."""
    if text is None or not text.strip():
        return None
    return _SqlParser(text).parse()


# ---------------------------------------------------------------------------------------------- compile
def _keyer(datatype: str, *, case_insensitive: bool) -> Callable[[str], Any]:
    if datatype in NUMERIC_TYPES:
        return decimal_or_none
    if datatype == TIMESTAMP:
        return timestamp_key
    if datatype == DATE:
        return date_key
    if case_insensitive:
        return lambda v: v.lower()
    return lambda v: v


def _like_regex(pattern: str, *, case_insensitive: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return re.compile(
        "".join(parts) + r"\Z", re.DOTALL | (re.IGNORECASE if case_insensitive else 0)
    )


def compile_filter(
    node: Node | None, obj: ObjectDef, *, case_insensitive: bool = False
) -> Predicate:
    """A row predicate for the filter, comparing by each field's DATATYPE (no filter: all rows)."""
    if node is None:
        return lambda row: True
    return _compile(node, obj, ci=case_insensitive)


def _compile(node: Node, obj: ObjectDef, *, ci: bool) -> Predicate:
    if isinstance(node, And):
        parts = [_compile(c, obj, ci=ci) for c in node.children]
        return lambda row: all(p(row) for p in parts)
    if isinstance(node, Or):
        parts = [_compile(c, obj, ci=ci) for c in node.children]
        return lambda row: any(p(row) for p in parts)
    if isinstance(node, Not):
        inner = _compile(node.child, obj, ci=ci)
        return lambda row: not inner(row)
    return _compile_cmp(node, obj, ci=ci)


def _compile_cmp(node: Cmp, obj: ObjectDef, *, ci: bool) -> Predicate:
    name, op = node.field, node.op
    if not obj.selectable(name):
        raise FilterError(f"Invalid field '{name}' in filter for object {obj.name}")
    if op == "isnull":
        return lambda row: not row.get(name, "")
    if op == "isnotnull":
        return lambda row: bool(row.get(name, ""))
    datatype = obj.datatype(name)
    if op in ("like", "notlike"):
        regex = _like_regex(node.values[0], case_insensitive=ci)
        want = op == "like"
        return lambda row: bool(v := row.get(name, "")) and bool(regex.match(v)) == want
    key = _keyer(datatype, case_insensitive=ci)
    targets = []
    for raw in node.values:
        converted = key(raw)
        if converted is None:
            raise FilterError(f"Invalid value '{raw}' for field {name} of type {datatype}")
        targets.append(converted)

    def value_of(row: Row) -> Any:  # noqa: ANN401 - Decimal or str
        raw = row.get(name, "")
        return key(raw) if raw else None

    target = targets[0] if targets else None
    if op in ("in", "notin"):
        members = set(targets)
        want_in = op == "in"
        return lambda row: (v := value_of(row)) is not None and (v in members) == want_in
    if op == "between":
        low, high = targets
        return lambda row: (v := value_of(row)) is not None and low <= v <= high
    compare: dict[str, Callable[[Any, Any], bool]] = {
        "eq": lambda a, b: a == b,
        "ne": lambda a, b: a != b,
        "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b,
        "gt": lambda a, b: a > b,
        "ge": lambda a, b: a >= b,
    }
    fn = compare[op]
    return lambda row: (v := value_of(row)) is not None and fn(v, target)


def sort_key(datatype: str, value: str) -> tuple[int, Any]:
    """Order of `orderby`: typed, NULLs after values in ascending order."""
    if not value:
        return (1, "")
    if datatype in NUMERIC_TYPES:
        number = decimal_or_none(value)
        return (0, number if number is not None else Decimal(0))
    if datatype == TIMESTAMP:
        return (0, timestamp_key(value) or value)
    if datatype == DATE:
        return (0, date_key(value) or value)
    return (0, value)

"""A small JUEL (Java Unified Expression Language) evaluator for processor configurations.

The Integration API evaluates `${...}` expressions against the LDIF item being processed
(https://docs-eam.leanix.net/reference/inbound-processors: `${content.id}`, `${content.type}`,
`${data.x}`, `${header.customFields.x}`, `${integration.valueOfForEach}`, and string templates such
as `"${data.displayName} (${content.id})"`).
This module implements the part of JUEL those configurations use: property paths (`a.b`, `a['b']`),
literals, comparison and logical operators (symbolic and word forms), `empty`, `not`, the ternary
operator, arithmetic, and the common Java String/List/Map methods (`equals`, `contains`, `toLowerCase`...).

EL semantics kept on purpose: a property of `null` is `null` (no error), a missing map key is `null`,
and in a template with literal text around expressions `null` renders as the empty string.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sandboxes.leanix.exactjson import decimal_text


class JuelError(ValueError):
    """An expression that cannot be parsed or evaluated; the message names the expression."""


@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "str", "id", "op", "end"
    text: str
    value: object = None


_WORD_OPERATORS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
}
# Longest first, so `==` is never read as two `=`.
_SYMBOLS: tuple[str, ...] = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*")
_SYMBOLS += ("/", "%", "?", ":", ".", ",", "(", ")", "[", "]")
_NUMBER = re.compile(r"\d+(\.\d+)?([eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def _tokenize(source: str) -> list[_Token]:  # noqa: PLR0912 - one branch per token kind
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        char = source[position]
        if char.isspace():
            position += 1
            continue
        if char in "'\"":
            text, position = _read_string(source, position)
            tokens.append(_Token("str", text, text))
            continue
        number = _NUMBER.match(source, position)
        if number:
            text = number.group(0)
            value: object = Decimal(text) if ("." in text or "e" in text.lower()) else int(text)
            tokens.append(_Token("num", text, value))
            position = number.end()
            continue
        ident = _IDENT.match(source, position)
        if ident:
            word = ident.group(0)
            if word in _WORD_OPERATORS:
                tokens.append(_Token("op", _WORD_OPERATORS[word]))
            elif word in {"true", "false"}:
                tokens.append(_Token("lit", word, word == "true"))
            elif word == "null":
                tokens.append(_Token("lit", word, None))
            elif word == "empty":
                tokens.append(_Token("op", "empty"))
            else:
                tokens.append(_Token("id", word))
            position = ident.end()
            continue
        for symbol in _SYMBOLS:
            if source.startswith(symbol, position):
                tokens.append(_Token("op", symbol))
                position += len(symbol)
                break
        else:
            raise JuelError(f"unexpected character {char!r} in expression {source!r}")
    tokens.append(_Token("end", ""))
    return tokens


def _read_string(source: str, start: int) -> tuple[str, int]:
    quote = source[start]
    chars: list[str] = []
    position = start + 1
    while position < len(source):
        char = source[position]
        if char == "\\" and position + 1 < len(source):
            chars.append(source[position + 1])
            position += 2
            continue
        if char == quote:
            return "".join(chars), position + 1
        chars.append(char)
        position += 1
    raise JuelError(f"unterminated string literal in expression {source!r}")


# An expression compiles to a closure over the evaluation context (a mapping of top-level names).
Node = Callable[[Mapping[str, Any]], Any]


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(source)
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, *ops: str) -> str | None:
        token = self.peek()
        if token.kind == "op" and token.text in ops:
            self.index += 1
            return token.text
        return None

    def expect(self, op: str) -> None:
        if self.accept(op) is None:
            raise JuelError(f"expected {op!r} in expression {self.source!r}")

    def parse(self) -> Node:
        node = self.ternary()
        if self.peek().kind != "end":
            raise JuelError(f"unexpected {self.peek().text!r} in expression {self.source!r}")
        return node

    def ternary(self) -> Node:
        condition = self.binary(0)
        if self.accept("?") is None:
            return condition
        when_true = self.ternary()
        self.expect(":")
        when_false = self.ternary()
        return lambda ctx: when_true(ctx) if _truthy(condition(ctx)) else when_false(ctx)

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("||",),
        ("&&",),
        ("==", "!="),
        ("<", ">", "<=", ">="),
        ("+", "-"),
        ("*", "/", "%"),
    )

    def binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while (op := self.accept(*self._LEVELS[level])) is not None:
            right = self.binary(level + 1)
            left = _combine(op, left, right)
        return left

    def unary(self) -> Node:
        op = self.accept("!", "-", "empty")
        if op is None:
            return self.postfix()
        operand = self.unary()
        if op == "!":
            return lambda ctx: not _truthy(operand(ctx))
        if op == "empty":
            return lambda ctx: _is_empty(operand(ctx))
        return lambda ctx: -_number(operand(ctx))

    def postfix(self) -> Node:
        # `a.b['c']` is one path node, not one closure per step: paths are what templates are made of.
        path = [self.peek().text] if self.peek().kind == "id" else None
        node = self.primary()
        while True:
            if self.accept(".") is not None:
                name_token = self.take()
                if name_token.kind not in {"id", "lit"} and not (
                    name_token.kind == "op" and name_token.text.isalpha()
                ):
                    raise JuelError(f"expected a property name in expression {self.source!r}")
                name = name_token.text
                if self.accept("(") is not None:
                    node = _method_call(
                        _path(path) if path else node, name, self.arguments(), self.source
                    )
                    path = None
                elif path is not None:
                    path.append(name)
                else:
                    node = _attribute(node, name)
            elif self.accept("[") is not None:
                literal = self.peek()
                if path is not None and literal.kind == "str" and self._next_is("]"):
                    self.take()
                    path.append(str(literal.value))
                else:
                    if path is not None:
                        node, path = _path(path), None
                    key = self.ternary()
                    node = _property(node, key)
                self.expect("]")
            else:
                return _path(path) if path else node

    def _next_is(self, op: str) -> bool:
        token = self.tokens[self.index + 1]
        return token.kind == "op" and token.text == op

    def arguments(self) -> list[Node]:
        args: list[Node] = []
        if self.accept(")") is not None:
            return args
        while True:
            args.append(self.ternary())
            if self.accept(")") is not None:
                return args
            self.expect(",")

    def primary(self) -> Node:
        token = self.take()
        if token.kind in {"num", "str", "lit"}:
            value = token.value
            return lambda _ctx: value
        if token.kind == "id":
            name = token.text
            return lambda ctx: ctx.get(name)
        if token.kind == "op" and token.text == "(":
            node = self.ternary()
            self.expect(")")
            return node
        raise JuelError(f"unexpected {token.text or 'end'!r} in expression {self.source!r}")


def _constant(value: object) -> Node:
    return lambda _ctx: value


def _lookup(value: object, name: object) -> Any:  # noqa: ANN401
    if value is None:
        return None  # EL: a property of null is null
    if isinstance(value, Mapping):
        return value.get(str(name))
    if isinstance(value, list):
        try:
            return value[int(name)]  # type: ignore[call-overload]
        except (ValueError, IndexError):
            return None
    return None


def _property(base: Node, key: Node) -> Node:
    return lambda ctx: _lookup(base(ctx), key(ctx))


def _attribute(base: Node, name: str) -> Node:
    """`(expr).b`: the common case, a JSON object of the LDIF, costs one dict lookup."""

    def resolve(ctx: Mapping[str, Any]) -> Any:  # noqa: ANN401
        value = base(ctx)
        if type(value) is dict:
            return value.get(name)
        return _lookup(value, name)

    return resolve


def _path(names: list[str]) -> Node:
    """`a.b.c` from the context in one call."""
    first, rest = names[0], tuple(names[1:])
    if not rest:
        return lambda ctx: ctx.get(first)

    def resolve(ctx: Mapping[str, Any]) -> Any:  # noqa: ANN401
        value = ctx.get(first)
        for name in rest:
            value = value.get(name) if type(value) is dict else _lookup(value, name)
        return value

    return resolve


def _to_text(value: object) -> str:
    """How Java would print a value inside a template."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    return str(value)


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value) if value is not None else False


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str | list | dict | tuple):
        return len(value) == 0
    return False


def _number(value: object) -> Decimal | int:
    if isinstance(value, bool):
        raise JuelError("a boolean is not a number")
    if isinstance(value, int | Decimal):
        return value
    if value is None:
        return 0
    try:
        text = str(value).strip()
        return int(text) if re.fullmatch(r"[+-]?\d+", text) else Decimal(text)
    except InvalidOperation as error:
        raise JuelError(f"{value!r} is not a number") from error


def _equal(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is right
    numeric = (int, Decimal)
    if isinstance(left, numeric) and not isinstance(left, bool):
        return _number(left) == _number(right)
    if isinstance(right, numeric) and not isinstance(right, bool):
        return _number(left) == _number(right)
    if isinstance(left, bool) or isinstance(right, bool):
        return _truthy(left) == _truthy(right)
    return _to_text(left) == _to_text(right)


def _combine(op: str, left: Node, right: Node) -> Node:
    if op == "&&":
        return lambda ctx: _truthy(left(ctx)) and _truthy(right(ctx))
    if op == "||":
        return lambda ctx: _truthy(left(ctx)) or _truthy(right(ctx))
    if op == "==":
        return lambda ctx: _equal(left(ctx), right(ctx))
    if op == "!=":
        return lambda ctx: not _equal(left(ctx), right(ctx))
    if op in {"<", ">", "<=", ">="}:
        return lambda ctx: _compare(op, left(ctx), right(ctx))
    return lambda ctx: _arithmetic(op, left(ctx), right(ctx))


def _compare(op: str, left: object, right: object) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        a: Any = left
        b: Any = right
    else:
        a, b = _number(left), _number(right)
    return bool({"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op])


def _arithmetic(op: str, left: object, right: object) -> Decimal | int:
    a, b = _number(left), _number(right)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise JuelError("division by zero")
    if op == "/":
        return Decimal(a) / Decimal(b)
    return a % b


def _java_replacement(replacement: str) -> str:
    """Java's `$1` group references become Python's `\\g<1>`."""
    return re.sub(r"\$(\d+)", r"\\g<\1>", replacement.replace("\\", "\\\\"))


def java_replace_all(text: str, pattern: str, replacement: str) -> str:
    """Java `String.replaceAll`: `$1` groups in the replacement; bad regexes raise JuelError."""
    try:
        return re.sub(pattern, _java_replacement(replacement), text)
    except re.error as error:
        raise JuelError(f"invalid regular expression {pattern!r}: {error}") from error


def java_matches(text: str, pattern: str) -> bool:
    """Java's String.matches: the whole string must match."""
    try:
        return re.fullmatch(pattern, text, flags=re.DOTALL) is not None
    except re.error as error:
        raise JuelError(f"invalid regular expression {pattern!r}: {error}") from error


def _call(target: object, name: str, args: list[Any], source: str) -> Any:  # noqa: ANN401, PLR0912
    if target is None:
        raise JuelError(f"cannot call {name}() on null in expression {source!r}")
    if isinstance(target, Mapping):
        if name == "get" and len(args) == 1:
            return target.get(str(args[0]))
        if name == "containsKey" and len(args) == 1:
            return str(args[0]) in target
        if name == "size":
            return len(target)
        if name == "isEmpty":
            return len(target) == 0
        if name == "keySet":
            return list(target.keys())
        if name == "values":
            return list(target.values())
    elif isinstance(target, list):
        if name == "size":
            return len(target)
        if name == "isEmpty":
            return len(target) == 0
        if name == "get" and len(args) == 1:
            return target[int(args[0])]
        if name == "contains" and len(args) == 1:
            return any(_equal(item, args[0]) for item in target)
    else:
        text = _to_text(target)
        simple: dict[str, Callable[[], Any]] = {
            "toLowerCase": text.lower,
            "toUpperCase": text.upper,
            "trim": text.strip,
            "length": lambda: len(text),
            "isEmpty": lambda: len(text) == 0,
            "toString": lambda: text,
        }
        if name in simple and not args:
            return simple[name]()
        one = _to_text(args[0]) if args else ""
        if len(args) == 1:
            if name == "equals":
                return _equal(target, args[0]) if not isinstance(target, str) else text == one
            if name == "equalsIgnoreCase":
                return text.lower() == one.lower()
            if name == "contains":
                return one in text
            if name == "startsWith":
                return text.startswith(one)
            if name == "endsWith":
                return text.endswith(one)
            if name == "matches":
                return java_matches(text, one)
            if name == "indexOf":
                return text.find(one)
            if name == "concat":
                return text + one
            if name == "split":
                return re.split(one, text)
            if name == "substring":
                return text[int(args[0]) :]
        if len(args) == 2:
            if name == "replace":
                return text.replace(one, _to_text(args[1]))
            if name == "replaceAll":
                return java_replace_all(text, one, _to_text(args[1]))
            if name == "substring":
                return text[int(args[0]) : int(args[1])]
    raise JuelError(f"unsupported method {name}() with {len(args)} argument(s) in {source!r}")


def _method_call(target: Node, name: str, args: list[Node], source: str) -> Node:
    return lambda ctx: _call(target(ctx), name, [arg(ctx) for arg in args], source)


def _compile_expression(source: str) -> Node:
    """The inside of one `${...}`."""
    return _Parser(source).parse()


def _split_template(template: str) -> list[tuple[bool, str]]:
    """Literal text and `${...}` parts; braces inside quoted strings do not close an expression."""
    parts: list[tuple[bool, str]] = []
    position = 0
    while position < len(template):
        start = template.find("${", position)
        if start < 0:
            parts.append((False, template[position:]))
            break
        if start > position:
            parts.append((False, template[position:start]))
        cursor = start + 2
        quote = ""
        while cursor < len(template):
            char = template[cursor]
            if quote:
                if char == "\\":
                    cursor += 1
                elif char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char == "}":
                break
            cursor += 1
        if cursor >= len(template):
            raise JuelError(f"unterminated ${{...}} in {template!r}")
        parts.append((True, template[start + 2 : cursor]))
        position = cursor + 1
    return parts


def compile_template(template: str) -> Node:
    """A template as one callable; cached, because a run evaluates the same templates for every item.

    A lone `${expr}` keeps its type (list, map, number); text around expressions makes a string.
    JuelError on bad syntax.
    """
    node = _templates.get(template)
    if node is None:
        parts = _split_template(template)
        if len(parts) == 1 and parts[0][0]:
            node = _compile_expression(parts[0][1])
        elif not any(is_expression for is_expression, _ in parts):
            node = _constant(template)
        else:
            pieces = [
                _compile_expression(text) if is_expression else _constant(text)
                for is_expression, text in parts
            ]
            node = _joined(pieces)
        if len(_templates) < 10_000:
            _templates[template] = node
    return node


_templates: dict[str, Node] = {}


def _joined(pieces: list[Node]) -> Node:
    return lambda ctx: "".join([_to_text(piece(ctx)) for piece in pieces])


def evaluate(template: str, context: Mapping[str, Any]) -> Any:  # noqa: ANN401
    """Evaluate a template (see `compile_template`)."""
    return compile_template(template)(context)


def check(template: str) -> None:
    """Parse every `${...}` of a template without evaluating it; JuelError on bad syntax."""
    compile_template(template)


def is_true(template: str, context: Mapping[str, Any]) -> bool:
    """Evaluate a JUEL template as a condition (filter.advanced, forEach filters)."""
    return _truthy(evaluate(template, context))


#: How Java prints a value (None as ""); an alias, since it runs several times per item.
as_text = _to_text

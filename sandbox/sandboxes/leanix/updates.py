"""Processors compiled once per run, evaluation of their `updates`, and item-level problems.

Shared by all inbound processors.

An update is `{key{expr}, values[{expr|map|object, regexMatch, regexReplace}], op, optional}`
(`PatchTemplate` of the Integration API's OpenAPI description,
https://github.com/ballerina-platform/openapi-connectors/blob/HEAD/openapi/leanix.integrationapi/openapi.yaml).
`optional` only silences the "missing value" report (it says: "If true, then missing value error
will not be reported").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandboxes.leanix import juel

#: Warning categories. LeanIX does not publish its list; these names are the sandbox's own.
CATEGORY_MISSING_VALUE = "MISSING_VALUE"
CATEGORY_NOT_FOUND = "NOT_FOUND"
CATEGORY_VALIDATION = "VALIDATION"
CATEGORY_EXPRESSION = "EXPRESSION"
CATEGORY_RUN = "RUN"


class ItemError(Exception):
    """One item could not be (fully) processed; becomes a warning entry."""

    def __init__(
        self, message: str, *, category: str, status: str = "WARNING", detail: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.category = category
        self.status = status
        self.detail = detail


# -- evaluation helpers ----------------------------------------------------------------------------


def template_value(spec: object, context: dict[str, Any]) -> Any:  # noqa: ANN401
    """A processor setting may be a plain template string or `{"expr": template}`."""
    if isinstance(spec, dict):
        spec = spec.get("expr")
    if spec is None:
        return None
    if not isinstance(spec, str):
        return spec
    return juel.evaluate(spec, context)


def _template_node(template: str) -> juel.Node:
    """A compiled template; bad syntax fails each evaluation, i.e. each item, as it always did."""
    try:
        return juel.compile_template(template)
    except juel.JuelError as error:
        message = str(error)

        def fail(_ctx: Mapping[str, Any]) -> Any:  # noqa: ANN401
            raise juel.JuelError(message)

        return fail


def _constant(value: object) -> juel.Node:
    return lambda _ctx: value


def _value_node(spec: object) -> juel.Node:
    if isinstance(spec, dict):
        spec = spec.get("expr")
    return _template_node(spec) if isinstance(spec, str) else _constant(spec)


def _deep_node(value: object) -> juel.Node:
    """An `object` value: every string in it is a template."""
    if isinstance(value, str):
        return _template_node(value)
    if isinstance(value, dict):
        items = [(key, _deep_node(item)) for key, item in value.items()]
        return lambda ctx: {key: node(ctx) for key, node in items}
    if isinstance(value, list):
        nodes = [_deep_node(item) for item in value]
        return lambda ctx: [node(ctx) for node in nodes]
    return _constant(value)


def _map_node(entries: list[dict[str, Any]]) -> juel.Node:
    entries_text = [(str(entry.get("key", "")), str(entry.get("value", ""))) for entry in entries]
    keys = [key for key, _ in entries_text]
    if any("${" in key for key in keys) or len(set(keys)) < len(keys):
        pairs = [(_template_node(key), _template_node(value)) for key, value in entries_text]
        return lambda ctx: {juel.as_text(key(ctx)): value(ctx) for key, value in pairs}
    # Plain keys (the usual `{key: "service", value: "${data.service}"}`): start from the constant
    # entries and evaluate only the others.
    template = {key: value if "${" not in value else None for key, value in entries_text}
    dynamic = [(key, _template_node(value)) for key, value in entries_text if "${" in value]

    def build(ctx: Mapping[str, Any]) -> dict[str, Any]:
        result = template.copy()
        for key, node in dynamic:
            result[key] = node(ctx)
        return result

    return build


def _apply_regex(value: object, spec: dict[str, Any]) -> object | None:
    """`regexMatch` selects (whole-string Java match); `regexReplace` rewrites (default `^(.*)$`->`$1`)."""
    match = spec.get("regexMatch")
    if match is not None and not juel.java_matches(juel.as_text(value), str(match)):
        return None
    replace = spec.get("regexReplace")
    if isinstance(replace, dict):
        return juel.java_replace_all(
            juel.as_text(value),
            str(replace.get("match", "^(.*)$")),
            str(replace.get("replace", "$1")),
        )
    return value


#: (key, values, op) of one update; a plain tuple because a run builds several per item.
EvaluatedUpdate = tuple[str, list[Any], str]


@dataclass(frozen=True)
class _CompiledValue:
    node: juel.Node
    #: The value spec when it carries `regexMatch`/`regexReplace`, else None.
    regex: dict[str, Any] | None


@dataclass(frozen=True)
class CompiledUpdate:
    """One entry of a processor's `updates`, compiled: key, values, op and `optional`."""

    #: The key when it is plain text (as it nearly always is), else how to compute it.
    key: str | juel.Node
    key_replace: dict[str, Any] | None
    values: tuple[_CompiledValue, ...]
    op: str
    optional: bool
    #: The one value's node when the key is plain text and the value has no regex: the common case,
    #: evaluated without the general loop.
    single: juel.Node | None


def compile_updates(processor: dict[str, Any]) -> list[CompiledUpdate]:
    """A processor's `updates`, compiled once per run instead of being re-read for every item."""
    compiled = []
    for update in processor.get("updates", []):
        key_spec = update.get("key", {})
        key_replace = key_spec.get("regexReplace") if isinstance(key_spec, dict) else None
        values = []
        for value_spec in update.get("values", []):
            if "map" in value_spec:
                node = _map_node(value_spec["map"])
            elif "object" in value_spec:
                node = _deep_node(value_spec["object"])
            else:
                node = _value_node(value_spec.get("expr"))
            has_regex = "regexMatch" in value_spec or "regexReplace" in value_spec
            values.append(_CompiledValue(node, value_spec if has_regex else None))
        key_template = key_spec.get("expr") if isinstance(key_spec, dict) else key_spec
        plain_key = isinstance(key_template, str) and "${" not in key_template
        key_replace = key_replace if isinstance(key_replace, dict) else None
        simple = plain_key and key_replace is None and len(values) == 1 and not values[0].regex
        compiled.append(
            CompiledUpdate(
                key=str(key_template) if plain_key else _value_node(key_spec),
                key_replace=key_replace,
                values=tuple(values),
                op=str(update.get("op", "replace")),
                optional=bool(update.get("optional", False)),
                single=values[0].node if simple else None,
            )
        )
    return compiled


@dataclass
class Processor:
    """One configured processor, compiled once per run: the parts read for every item are ready."""

    index: int
    spec: dict[str, Any]
    kind: str
    name: str
    delete: bool
    #: The filter without `exactType`, which the run level already dispatched on.
    filter: dict[str, Any]
    for_each: bool
    updates: list[CompiledUpdate]

    @classmethod
    def compile(cls, index: int, spec: dict[str, Any]) -> Processor:
        """Compile one processor spec (filter, forEach, updates) at `index` in the configuration."""
        rest = dict(spec.get("filter") or {})
        rest.pop("exactType", None)
        return cls(
            index=index,
            spec=spec,
            kind=str(spec.get("processorType")),
            name=spec.get("processorName", ""),
            delete=spec.get("mode") == "delete",
            filter=rest,
            for_each=bool(spec.get("forEach")),
            updates=compile_updates(spec),
        )


def evaluate_updates(
    updates: list[CompiledUpdate], context: dict[str, Any], problems: list[ItemError]
) -> list[EvaluatedUpdate]:
    """Evaluate `updates`; a key whose every value is null is a missing value (unless optional).

    A missing value is reported but does not stop the item: the other keys are still applied.
    """
    evaluated: list[EvaluatedUpdate] = []
    for update in updates:
        if update.single is not None:
            raw = update.single(context)
            if raw is not None:
                evaluated.append((update.key, [raw], update.op))  # type: ignore[arg-type]
                continue
        key = update.key if isinstance(update.key, str) else juel.as_text(update.key(context))
        if update.key_replace is not None:
            key = juel.as_text(_apply_regex(key, {"regexReplace": update.key_replace}))
        values: list[Any] = []
        nulls = 0
        for value in update.values:
            raw = value.node(context)
            if raw is None:
                nulls += 1
                continue
            selected = raw if value.regex is None else _apply_regex(raw, value.regex)
            if selected is not None:
                values.append(selected)
        if not values and nulls and nulls == len(update.values):
            if key.startswith("lifecycle."):
                # "In case Values array contains null values after evaluating all configured
                # elements [...] the Integration API will try to reset the configured field"
                # (https://help.sap.com/docs/leanix/ea/advanced-use-cases-for-integration-api).
                evaluated.append((key, [None], update.op))
                continue
            if not update.optional:
                problems.append(
                    ItemError(
                        f"Missing value for key '{key}'",
                        category=CATEGORY_MISSING_VALUE,
                        detail="every value expression evaluated to null; "
                        "set 'optional': true to allow",
                    )
                )
            continue
        if values:
            evaluated.append((key, values, update.op))
    return evaluated


text_of = juel.as_text

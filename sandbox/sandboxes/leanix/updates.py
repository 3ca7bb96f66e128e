"""Evaluation of processor `updates` and item-level problems, shared by all inbound processors.

An update is `{key{expr}, values[{expr|map|object, regexMatch, regexReplace}], op, optional}` (IA-OAS
`PatchTemplate`). `optional` only silences the "missing value" report (IA-OAS: "If true, then missing
value error will not be reported").
"""

from __future__ import annotations

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


def _deep_evaluate(value: object, context: dict[str, Any]) -> Any:  # noqa: ANN401
    if isinstance(value, str):
        return juel.evaluate(value, context)
    if isinstance(value, dict):
        return {key: _deep_evaluate(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep_evaluate(item, context) for item in value]
    return value


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


@dataclass
class EvaluatedUpdate:
    key: str
    values: list[Any]
    op: str


def evaluate_updates(
    processor: dict[str, Any], context: dict[str, Any], problems: list[ItemError]
) -> list[EvaluatedUpdate]:
    """Evaluate `updates`; a key whose every value is null is a missing value (unless optional).

    A missing value is reported but does not stop the item: the other keys are still applied.
    """
    evaluated: list[EvaluatedUpdate] = []
    for update in processor.get("updates", []):
        key_spec = update.get("key", {})
        key = juel.as_text(template_value(key_spec, context))
        if isinstance(key_spec, dict) and isinstance(key_spec.get("regexReplace"), dict):
            key = juel.as_text(_apply_regex(key, {"regexReplace": key_spec["regexReplace"]}))
        values: list[Any] = []
        nulls = 0
        for value_spec in update.get("values", []):
            if "map" in value_spec:
                raw: Any = {
                    juel.as_text(juel.evaluate(str(entry.get("key", "")), context)): juel.evaluate(
                        str(entry.get("value", "")), context
                    )
                    for entry in value_spec["map"]
                }
            elif "object" in value_spec:
                raw = _deep_evaluate(value_spec["object"], context)
            else:
                raw = template_value(value_spec.get("expr"), context)
            if raw is None:
                nulls += 1
                continue
            selected = _apply_regex(raw, value_spec)
            if selected is not None:
                values.append(selected)
        if not values and nulls and nulls == len(update.get("values", [])):
            if not update.get("optional", False):
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
            evaluated.append(EvaluatedUpdate(key, values, str(update.get("op", "replace"))))
    return evaluated


def text_of(value: object) -> str:
    return juel.as_text(value)

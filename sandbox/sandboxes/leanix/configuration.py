"""Processor configurations: what `PUT /configurations` accepts and what a run can execute.

Validation follows the schemas `InboundProcessorConfiguration`, `InboundProcessor` and
`PatchTemplate` of the Integration API's OpenAPI description
(https://github.com/ballerina-platform/openapi-connectors/blob/HEAD/openapi/leanix.integrationapi/openapi.yaml):
the binding keys, known processor types, identifiers and JUEL that parses. Executable in the
sandbox: inboundFactSheet, inboundRelation, inboundDocument, inboundMetrics and inboundTag; the
other documented types are stored but make a run fail with a clear message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sandboxes.leanix import juel
from sandboxes.leanix.metamodel import UnknownRelationError, relation_type

INBOUND_TYPES = (
    "inboundFactSheet",
    "inboundRelation",
    "inboundTag",
    "inboundDocument",
    "inboundSubscription",
    "inboundMetrics",
    "inboundImpact",
    "variableProcessor",
)
EXECUTABLE_TYPES = (
    "inboundFactSheet",
    "inboundRelation",
    "inboundDocument",
    "inboundMetrics",
    "inboundTag",
    "inboundSubscription",
)

#: Relation fields whose values are numbers; stored as exact Decimals (never floats).


class ConfigurationError(ValueError):
    """A configuration that cannot be stored or executed; the message names the processor."""


# -- configuration validation ---------------------------------------------------------------------


def _expressions_of(value: object) -> Iterator[str]:
    if isinstance(value, str):
        if "${" in value:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _expressions_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from _expressions_of(item)


def validate_configuration(config: object) -> None:
    """Reject what LeanIX would reject on PUT (structure, processor types, unparsable expressions)."""
    if not isinstance(config, dict):
        raise ConfigurationError("the configuration must be a JSON object")
    for key in ("connectorType", "connectorId", "connectorVersion", "processingDirection"):
        if not isinstance(config.get(key), str) or not config[key]:
            raise ConfigurationError(f"configuration field '{key}' is required")
    if config["processingDirection"] not in {"inbound", "outbound"}:
        raise ConfigurationError("processingDirection must be 'inbound' or 'outbound'")
    if config.get("processingMode", "partial") not in {"partial", "full"}:
        raise ConfigurationError("processingMode must be 'partial' or 'full'")
    if "sequentialExecution" in config and not isinstance(config["sequentialExecution"], bool):
        raise ConfigurationError("sequentialExecution must be a boolean")
    processors = config.get("processors", [])
    if not isinstance(processors, list):
        raise ConfigurationError("'processors' must be a list")
    if config["processingDirection"] == "outbound":
        return
    for index, processor in enumerate(processors):
        _validate_processor(index, processor)


def _validate_processor(index: int, processor: object) -> None:  # noqa: PLR0912
    if not isinstance(processor, dict):
        raise ConfigurationError(f"processor {index} must be a JSON object")
    label = f"processor {index} ({processor.get('processorName', 'unnamed')!s})"
    kind = processor.get("processorType")
    if kind not in INBOUND_TYPES:
        raise ConfigurationError(f"{label}: unknown processorType {kind!r}")
    run = processor.get("run", 0)
    if not isinstance(run, int) or isinstance(run, bool) or run < 0:
        raise ConfigurationError(f"{label}: 'run' must be an integer >= 0")
    if processor.get("mode", "createOrUpdate") not in {"createOrUpdate", "delete"}:
        raise ConfigurationError(f"{label}: 'mode' must be 'createOrUpdate' or 'delete'")
    if "filter" in processor and not isinstance(processor["filter"], dict):
        raise ConfigurationError(f"{label}: 'filter' must be an object")
    updates = processor.get("updates", [])
    if not isinstance(updates, list):
        raise ConfigurationError(f"{label}: 'updates' must be a list")
    for position, update in enumerate(updates):
        if (
            not isinstance(update, dict)
            or not isinstance(update.get("key"), dict)
            or not isinstance(update.get("values"), list)
        ):
            raise ConfigurationError(
                f"{label}: update {position} needs 'key' {{expr}} and 'values' []"
            )
    required = {
        "inboundFactSheet": ("type", "identifier"),
        "inboundRelation": ("type", "from", "to"),
        "inboundDocument": ("identifier",),
        "inboundSubscription": ("identifier",),
        "inboundImpact": ("identifier",),
    }.get(str(kind), ())
    for key in required:
        if key not in processor:
            raise ConfigurationError(f"{label}: '{key}' is required for {kind}")
    for key in ("identifier", "from", "to", "factSheets"):
        if key in processor:
            identifier = processor[key]
            if not isinstance(identifier, dict) or not (
                {"external", "internal", "search"} & set(identifier)
            ):
                raise ConfigurationError(
                    f"{label}: '{key}' needs 'external', 'internal' or 'search'"
                )
    if kind == "inboundRelation" and isinstance(processor.get("type"), str):
        name = processor["type"]
        if "${" not in name:
            try:
                relation_type(name)
            except UnknownRelationError as error:
                raise ConfigurationError(f"{label}: {error}") from error
    for template in _expressions_of(processor):
        try:
            juel.check(template)  # syntax only: what an expression yields depends on the data
        except juel.JuelError as error:
            raise ConfigurationError(f"{label}: {error}") from error


def execution_problem(config: dict[str, Any]) -> str | None:
    """A run-level reason this configuration cannot run in the sandbox, or None."""
    if config.get("processingDirection") == "outbound":
        return "Outbound processor configurations are not supported by the LeanIX sandbox"
    for index, processor in enumerate(config.get("processors", [])):
        kind = processor.get("processorType")
        if processor.get("enabled", True) is not False and kind not in EXECUTABLE_TYPES:
            return (
                f"processor {index}: processorType '{kind}' is not supported by the LeanIX sandbox"
            )
        for key in ("identifier", "from", "to"):
            if "search" in (processor.get(key) or {}):
                return f"processor {index}: 'search' identifiers are not supported by the LeanIX sandbox"
    return None

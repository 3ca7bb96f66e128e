"""The tap's settings: their schema, the one home of every default, and filling those defaults in."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from singer_sdk import typing as th

from tap_sage_intacct import gateway

#: Upper bounds of two settings, so that no well-typed value can crash a run.
MAX_LOOKBACK_MINUTES = 366 * 24 * 60
MAX_REQUEST_TIMEOUT_SECONDS = 3600
DEFAULT_SUPDOC_MAX_BYTES = 10 * 1024 * 1024


SETTINGS_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property("sender_id", th.StringType, required=True, description="Web Services sender ID."),
    th.Property(
        "sender_password",
        th.StringType,
        required=True,
        secret=True,
        description="Web Services sender password.",
    ),
    th.Property("user_id", th.StringType, required=True, description="Web Services user ID."),
    th.Property(
        "user_password",
        th.StringType,
        required=True,
        secret=True,
        description="Web Services user password.",
    ),
    th.Property("company_id", th.StringType, required=True, description="Intacct company ID."),
    th.Property(
        "start_date",
        th.DateTimeType,
        description="Read records modified at or after this instant on the first run (default: all).",
    ),
    th.Property(
        "api_url",
        th.StringType,
        default=gateway.DEFAULT_API_URL,
        description=(
            "XML gateway URL (https; plain http only to a loopback host). The tap then follows "
            "the endpoint each session names on this origin or an https Sage Intacct host."
        ),
    ),
    th.Property(
        "entity_ids",
        th.ArrayType(th.StringType),
        default=[],
        description=(
            "Entities to read. Empty: the top level (with showprivate, every record once). "
            'A list logs in to each entity. ["*"]: every entity the user can reach.'
        ),
    ),
    th.Property(
        "page_size",
        th.IntegerType(minimum=1, maximum=gateway.MAX_QUERY_PAGE_SIZE),
        default=gateway.MAX_QUERY_PAGE_SIZE,
        description="Rows per `query` page (1..2000).",
    ),
    th.Property(
        "lookback_minutes",
        # At most a year: far more would reach before year 1 and fail the run (OverflowError).
        th.NumberType(minimum=0, maximum=MAX_LOOKBACK_MINUTES),
        default=120,
        description="Re-read this many minutes before the bookmark, for rows that become visible late.",
    ),
    th.Property(
        "timezone_offset",
        th.StringType(pattern=r"^([+-]\d{1,2}:?\d{2}|Z|UTC|GMT)$"),
        description=(
            "The Web Services user's GMT offset, e.g. -08:00. Default: read from the API "
            "(readUserFormatting, else the session timestamp)."
        ),
    ),
    th.Property(
        "send_deletes_once",
        th.BooleanType,
        default=False,
        description=(
            "Remember in the state (bounded) which deletes were sent, so the lookback does not "
            "send their tombstones again. Off: deletes inside the lookback are sent again each run."
        ),
    ),
    th.Property(
        "extra_objects",
        th.ArrayType(th.StringType),
        default=[],
        description=(
            "Objects to discover besides those Intacct's inspect lists; each stream is named by "
            "the object in lower case."
        ),
    ),
    th.Property(
        "supdoc_content",
        th.BooleanType,
        default=False,
        description="Emit the content (base64) of supporting-document attachments in the supdoc stream.",
    ),
    th.Property(
        "supdoc_max_bytes",
        th.IntegerType(minimum=0),
        default=DEFAULT_SUPDOC_MAX_BYTES,
        description="With supdoc_content: the largest attachment whose content is emitted (bytes).",
    ),
    th.Property(
        "max_concurrent_requests",
        th.IntegerType(minimum=1),
        default=2,
        description="Requests in flight at once for the company (Intacct allows 2 by default).",
    ),
    th.Property(
        "max_tries",
        th.IntegerType(minimum=1),
        default=gateway.DEFAULT_MAX_TRIES,
        description="Attempts per request before a transient failure fails the run.",
    ),
    th.Property(
        "retry_wait_seconds",
        th.NumberType(minimum=0),
        default=gateway.DEFAULT_RETRY_WAIT_SECONDS,
        description="First backoff wait; doubles per retry, capped at 60 s, with full jitter.",
    ),
    th.Property(
        "request_timeout_seconds",
        # Sockets refuse a timeout of ~1e10 s or more (OverflowError); an hour is plenty.
        th.NumberType(exclusive_minimum=0, maximum=MAX_REQUEST_TIMEOUT_SECONDS),
        default=gateway.DEFAULT_REQUEST_TIMEOUT_SECONDS,
        description="HTTP timeout per request.",
    ),
).to_dict()


def with_setting_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with each setting left out (or null) at its default from the settings schema."""
    filled = {name: value for name, value in config.items() if value is not None}
    for name, spec in SETTINGS_SCHEMA["properties"].items():
        if "default" in spec:
            filled.setdefault(name, copy.deepcopy(spec["default"]))
    return filled

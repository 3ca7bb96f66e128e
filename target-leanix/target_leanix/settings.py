"""The target's settings: their schema, the one home of every default, and filling those defaults in."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from singer_sdk import typing as th

from target_leanix.leanix import (
    DEFAULT_BACKOFF_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_POLL_INTERVAL_SECONDS,
)
from target_leanix.publisher import DEFAULT_MAX_ITEMS_PER_RUN
from target_leanix.recognition import RECOGNITION_CONFIG_SCHEMA

#: Default of ledger_lock_timeout_seconds: longer than a large publication takes, so a partition
#: waits for another one's publication rather than failing; a stuck holder still ends the wait.
DEFAULT_LEDGER_LOCK_TIMEOUT_SECONDS = 900

SETTINGS_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "company_key",
        th.StringType,
        required=True,
        description="Short key of the Intacct company; the root of every LeanIX external ID.",
    ),
    th.Property(
        "base_url",
        th.StringType,
        description="The LeanIX workspace base URL, e.g. https://eu.leanix.net.",
    ),
    th.Property("api_token", th.StringType, secret=True, description="LeanIX API token."),
    th.Property(
        "dry_run",
        th.BooleanType,
        default=False,
        description="Write the LDIF documents to dry_run_path instead of calling LeanIX.",
    ),
    th.Property(
        "dry_run_path",
        th.StringType,
        default="leanix-dry-run.ldif.jsonl",
        description="File that receives one LDIF per line in dry-run mode (appended).",
    ),
    th.Property(
        "reporting_currency",
        th.StringType,
        default="USD",
        description="Currency of costTotalAnnual; lines are converted with their own rate.",
    ),
    th.Property(
        "exchange_rate_type",
        th.StringType,
        description=(
            "Intacct rate type (EXCHANGERATE TYPENAME) whose tables convert base amounts to the "
            "reporting currency; default: every type (on one date, the name sorting first wins)."
        ),
    ),
    th.Property(
        "rates",
        th.ObjectType(additional_properties=True),
        description=(
            'Fallback rates to the reporting currency, e.g. {"EUR": "1.08", "GBP": '
            '{"2025-01": "1.27"}}: used only where Intacct\'s exchange-rate tables have none.'
        ),
    ),
    th.Property(
        "cost_window_months",
        th.IntegerType,
        default=12,
        description="Trailing window (calendar months) summed into costTotalAnnual.",
    ),
    th.Property(
        "cost_window_end",
        th.DateType,
        description="Last day of the cost window (default: today, UTC).",
    ),
    th.Property(
        "spend_basis",
        th.StringType,
        default="accrual",
        allowed_values=["accrual", "cash"],
        description=(
            "accrual: AP bill lines count in the month of the bill (or over their service period); "
            "cash: AP payment details count in the month paid. Card and reimbursed expense spend "
            "count the same on both."
        ),
    ),
    th.Property(
        "service_terms",
        th.CustomType(
            {
                "type": ["object", "null"],
                "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 120},
            }
        ),
        default={},
        description=(
            "Months a bill line without its own service period covers, by service key or vendor "
            'ID, e.g. {"slack": 12}: the line is spread evenly from the month of the bill.'
        ),
    ),
    th.Property(
        "gl_spend_accounts",
        th.ArrayType(th.StringType),
        default=[],
        description=(
            "GL account numbers whose posted General Ledger journal lines (module 2.GL) count as "
            "spend of the service their memo names; empty: journals never count."
        ),
    ),
    th.Property(
        "intacct_record_url_template",
        th.StringType,
        description=(
            "Link back to an Intacct record; placeholders {recordno}, {object}, "
            "{object_lower}, {company}."
        ),
    ),
    th.Property(
        "recognition",
        th.CustomType(RECOGNITION_CONFIG_SCHEMA),
        description="Service recognition rules (see the recognition package).",
    ),
    th.Property(
        "ledger_path",
        th.StringType,
        description="SQLite file of the ledger (default ./target-leanix-ledger.sqlite).",
    ),
    th.Property(
        "ledger_url",
        th.StringType,
        secret=True,
        description="SQLAlchemy URL of the ledger database, e.g. postgresql+psycopg2://...",
    ),
    th.Property(
        "ledger_table_prefix",
        th.StringType,
        default="lx_",
        description="Prefix of the ledger tables.",
    ),
    th.Property(
        "ledger_lock_timeout_seconds",
        th.IntegerType,
        default=DEFAULT_LEDGER_LOCK_TIMEOUT_SECONDS,
        description=(
            "Longest wait for a ledger that another target process (a partition sharing it) "
            "holds while it writes or publishes."
        ),
    ),
    th.Property(
        "ledger_rebuild",
        th.BooleanType,
        default=False,
        description=(
            "Allow an empty ledger to write over a workspace that already holds this "
            "company's fact sheets (only with a full, stateless tap run)."
        ),
    ),
    th.Property(
        "report_path",
        th.StringType,
        description=(
            "Write the review report (one self-contained HTML file) here after every run, dry runs "
            "included; unset: no report."
        ),
    ),
    th.Property(
        "max_items_per_run",
        th.IntegerType,
        default=DEFAULT_MAX_ITEMS_PER_RUN,
        description="Most LDIF content items in one synchronization run.",
    ),
    th.Property(
        "insight_lifecycle",
        th.BooleanType,
        default=True,
        description=(
            "Set each service's lifecycle: active from its first spend or invoice, phaseOut after "
            "phase_out_after_months without spend; dates a person set in LeanIX are kept."
        ),
    ),
    th.Property(
        "phase_out_after_months",
        th.IntegerType,
        default=6,
        description="Months without spend (up to the cost window's end) before phaseOut is set.",
    ),
    th.Property(
        "insight_payment_channel_tags",
        th.BooleanType,
        default=True,
        description="Tag services by payment channel (invoice, card, reimbursement, journal).",
    ),
    th.Property(
        "insight_shadow_it_tags",
        th.BooleanType,
        default=True,
        description="Tag services paid only by card or expense, with no AP vendor or PO, Shadow IT.",
    ),
    th.Property(
        "insight_duplicate_spend_tags",
        th.BooleanType,
        default=True,
        description=(
            "Tag services paid by several departments, or through several channels in one "
            "month, Duplicate spend."
        ),
    ),
    th.Property(
        "insight_owners",
        th.BooleanType,
        default=False,
        description=(
            "Subscribe the employee who buys a service most often (expense reports) to its "
            "Application, by the e-mail in Intacct; needs the tap's employee stream. Off: no "
            "employee data is kept."
        ),
    ),
    th.Property(
        "owner_subscription_type",
        th.StringType,
        default="RESPONSIBLE",
        allowed_values=["RESPONSIBLE", "ACCOUNTABLE", "OBSERVER"],
        description="Subscription type of an owner subscription.",
    ),
    th.Property(
        "owner_subscription_role",
        th.StringType,
        default="",
        description="Subscription role name of an owner subscription (empty: no role).",
    ),
    th.Property(
        "on_bad_record",
        th.StringType,
        default="fail",
        allowed_values=["fail", "skip"],
        description="fail: stop naming stream and key; skip: leave the record out and report it.",
    ),
    th.Property(
        "on_unknown_stream",
        th.StringType,
        default="skip",
        allowed_values=["fail", "skip"],
        description="What to do with a stream the target does not know.",
    ),
    th.Property(
        "fail_on_run_errors",
        th.BooleanType,
        default=True,
        description="Fail when a finished LeanIX run reports ERROR warnings.",
    ),
    th.Property(
        "poll_interval_seconds",
        th.NumberType,
        default=DEFAULT_POLL_INTERVAL_SECONDS,
        description="First wait between run status polls (grows x1.5 up to 5 s).",
    ),
    th.Property(
        "max_attempts",
        th.IntegerType,
        default=DEFAULT_MAX_ATTEMPTS,
        description="Tries per HTTP call on 429, 5xx and broken connections.",
    ),
    th.Property(
        "backoff_seconds",
        th.NumberType,
        default=DEFAULT_BACKOFF_SECONDS,
        description="First backoff wait; doubles per retry, capped at 30 s, with full jitter; Retry-After is honoured up to 120 s.",
    ),
).to_dict()


def with_setting_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with each setting left out (or null) at its default from the settings schema."""
    filled = {name: value for name, value in config.items() if value is not None}
    for name, spec in SETTINGS_SCHEMA["properties"].items():
        if "default" in spec:
            filled.setdefault(name, copy.deepcopy(spec["default"]))
    return filled

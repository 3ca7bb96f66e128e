"""Every private singer-sdk name the target uses, in one place: the checklist for an SDK upgrade.

The list holds for the range pinned in pyproject.toml (`singer-sdk>=0.54.2,<0.55`). Before widening
it, check each entry below against the new SDK's source: the name still exists, keeps its signature,
and is still called where the comment says. Other modules reach these names only through here, or,
for a private method they override, carry a comment pointing here.

Read through this module:

- `PluginBase._config`: the raw config dict. `_validate_config` must validate (and, with the SDK's
  validator, fill defaults into) the very dict the plugin keeps; the public `config` is a read-only
  view of it, so a default-filling validator cannot run on it.
- `PluginBase._env_var_prefix`: the prefix the SDK gives settings in the environment
  (`TARGET_LEANIX_`), to name the variable at fault when one cannot be read. No public accessor.
- `Target._handle_max_record_age`: the SDK runs it after every record in `_process_record_message`;
  records taken by the fast reader skip that method, so they must run the check themselves. No
  public equivalent (`drain_all` drains unconditionally).
- `BatchSink._get_context`: the sink's pending batch context (started on first use), which the
  fast path fills as the SDK's `_process_record_message` would before `process_record`. No public
  accessor for the current batch.
- `singer_sdk.helpers._typing.get_datelike_property_type`: how the SDK decides a property is a
  date, date-time or time, so the fast reader parses exactly the fields the SDK would. Not exported
  by `singer_sdk.typing` or `singer_sdk.helpers`.

Private methods overridden (each carries a comment pointing here):

- `PluginBase._validate_config` (target.py): messages that name a setting without quoting its
  value. The SDK calls it from `__init__`; there is no public validation hook.
- `Target._process_state_message` (target.py): checkpoints every batch-size of records at a STATE.
  The reader's callbacks are built from these private methods; no public per-message hook.
- `Target._write_state_message` (target.py): publishes to LeanIX before any STATE goes out. Both
  `drain_all` (public, final) and the checkpoint write STATE through it; no public hook before it.
- `Sink._parse_timestamps_in_record` (sinks.py): a date the SDK cannot parse becomes a bad record
  under `on_bad_record`. `process_record` runs after it, too late.
- `Sink._add_sdc_metadata_to_record` (sinks.py): skips per-record metadata the target never reads;
  the public `include_sdc_metadata_properties` must stay on for `_sdc_deleted_at`.
- `Sink._singer_validate_message` (sinks.py): a keyless record goes through `on_bad_record`
  instead of the SDK's exception; `get_validator` runs after it.

Made public instead (no longer private): the reader is `Target.message_reader_class` with only
`process_lines` overridden, which hands every line it does not take to the SDK's own
`process_lines` (no copy of it); sinks are looked up with `sink_exists`/`get_sink`; a checkpoint
writes STATE with `drain_all` instead of reading `_latest_state`.
"""

from __future__ import annotations

import typing as t

from singer_sdk.helpers._typing import get_datelike_property_type

if t.TYPE_CHECKING:
    from singer_sdk import Target
    from singer_sdk.plugin_base import PluginBase
    from singer_sdk.sinks import Sink

__all__ = [
    "batch_context",
    "check_max_record_age",
    "env_var_prefix",
    "get_datelike_property_type",
    "raw_config",
]


def raw_config(plugin: PluginBase) -> dict[str, t.Any]:
    """The plugin's config dict itself (`PluginBase._config`), which validation may fill in."""
    return plugin._config


def env_var_prefix(plugin_class: type[PluginBase]) -> str:
    """The prefix of the plugin's settings in the environment (`PluginBase._env_var_prefix`)."""
    return t.cast("str", plugin_class._env_var_prefix)


def check_max_record_age(target: Target) -> None:
    """Drain all sinks when records wait too long, as after each record on the SDK's path."""
    target._handle_max_record_age()


def batch_context(sink: Sink, record: dict[str, t.Any]) -> dict[str, t.Any]:
    """The sink's context for `record` (its pending batch, started if none), as the SDK gets it."""
    return sink._get_context(record)

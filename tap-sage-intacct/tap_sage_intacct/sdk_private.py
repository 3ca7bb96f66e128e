"""Every private singer-sdk name the tap uses, in one place: the checklist for an SDK upgrade.

The list holds for the range pinned in pyproject.toml (`singer-sdk>=0.54.2,<0.55`). Before widening
it, check each entry below against the new SDK's source: the name still exists, keeps its signature,
and is still called where the comment says. Other modules reach these names only through here, or,
for a private method they override, carry a comment pointing here.

Read through this module:

- `PluginBase._config`: the raw config dict. `_validate_config` must validate (and, with the SDK's
  validator, fill defaults into) the very dict the plugin keeps; the public `config` is a read-only
  view of it, so a default-filling validator cannot run on it.

Private methods overridden (each carries a comment pointing here):

- `PluginBase._validate_config` (tap.py): messages that name a setting without quoting its value.
  The SDK calls it from `__init__`; there is no public validation hook.
- `Stream._increment_stream_state` (client.py): made a no-op, since bookmarks are kept per entity
  after each page. The SDK calls it per record; there is no public switch for it.

A method the SDK marks final (`typing.final`, "not recommended to be overridden"), overridden:

- `Tap.sync_all` (tap.py): logs in before any stream starts, so bad credentials are one line
  before any output, and closes the connections afterwards; it calls the SDK's `sync_all` for the
  sync itself. `Stream.sync` is final too, and a login inside a stream's `get_records` would come
  after its SCHEMA and add the SDK's "unhandled error" line. The alternative was a copy of
  `Tap.invoke`, which an upgrade could silently leave behind.

Made public instead (no longer private): the CLI is the SDK's `Tap.invoke` (called through
`super()`, with its errors turned into one line) instead of a copy that called
`PluginBase.invoke.__func__` and built `_ConfigInput`; the login before the first stream happens in
the public `sync_all`; `--test`'s record limit (the public `ABORT_AT_RECORD_COUNT`) ends a stream
normally instead of through the private `Stream._check_max_record_limit` abort, which the SDK
reports as an unhandled error; the fast path counts its records in the SDK's `record_count` metric
through the public `Stream.get_record_counter` hook and `metrics.Counter.increment`; STATE is
written with the public `Tap.state_writer`, `Stream.tap_state` and `state_manager` instead of
`Stream._write_state_message`; streams keep their own reference to the tap instead of reading
`Stream._tap`.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from singer_sdk.plugin_base import PluginBase

__all__ = ["raw_config"]


def raw_config(plugin: PluginBase) -> dict[str, t.Any]:
    """The plugin's config dict itself (`PluginBase._config`), which validation may fill in."""
    return plugin._config

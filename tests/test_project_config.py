"""meltano.yml and the READMEs say what the plugins accept, as `--about` tells it.

A setting a plugin accepts but meltano.yml does not declare cannot be set with `meltano config`; one that
is secret but not `sensitive: true` would be printed by Meltano. Both are caught here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# Settings singer-sdk adds to every plugin: documented by the SDK, configurable through `config:`.
SDK_BUILTINS = {
    "stream_maps",
    "stream_map_config",
    "faker_config",
    "flattening_enabled",
    "flattening_max_depth",
    "flattening_max_key_length",
    "flattening_separator",
    "add_record_metadata",
    "load_method",
    "validate_records",
}
KIND_OF_TYPE = {
    "integer": {"integer"},
    "number": {"decimal", "integer"},
    "boolean": {"boolean"},
    "array": {"array"},
    "object": {"object"},
}


def about(executable: str) -> dict[str, Any]:
    result = subprocess.run(
        [str(BIN / executable), "--about", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    settings: dict[str, Any] = json.loads(result.stdout)["settings"]["properties"]
    return {name: spec for name, spec in settings.items() if name not in SDK_BUILTINS}


def declared(plugin_type: str, name: str) -> dict[str, dict[str, Any]]:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    plugin = next(p for p in project["plugins"][plugin_type] if p["name"] == name)
    return {setting["name"]: setting for setting in plugin["settings"]}


@pytest.mark.parametrize(
    ("plugin_type", "name", "readme"),
    [
        ("extractors", "tap-sage-intacct", "tap-sage-intacct/README.md"),
        ("loaders", "target-leanix", "target-leanix/README.md"),
    ],
)
def test_meltano_yml_and_readme_match_about(plugin_type: str, name: str, readme: str) -> None:
    accepted = about(name)
    settings = declared(plugin_type, name)
    readme_text = (REPO / readme).read_text()
    for setting, spec in accepted.items():
        assert setting in settings, f"{name}: {setting} is accepted but not declared in meltano.yml"
        declared_setting = settings[setting]
        if spec.get("secret"):
            assert declared_setting.get("sensitive") is True, f"{name}: {setting} must be sensitive"
        types = set(spec.get("type", [])) - {"null"}
        kind = declared_setting.get("kind", "string")
        if spec.get("format") in {"date", "date-time"}:
            assert kind == "date_iso8601", f"{name}: {setting} is a date"
        for json_type in types:
            if json_type in KIND_OF_TYPE:
                assert kind in KIND_OF_TYPE[json_type], (
                    f"{name}: {setting} kind {kind} vs {json_type}"
                )
        assert declared_setting.get("description"), f"{name}: {setting} needs a description"
        documented = f"`{setting}`" in readme_text or f"| {setting} |" in readme_text
        assert documented, f"{readme} does not document {setting}"
    for setting in settings:
        assert setting in accepted, (
            f"{name}: meltano.yml declares {setting}, which the plugin ignores"
        )

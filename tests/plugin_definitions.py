"""Each plugin's Hub-style definition file (`<plugin>/plugin.yml`), derived from its `--about`.

Another Meltano project adds a plugin with `meltano add <type> <name> --from-ref <file or URL>`;
the file holds what Meltano Hub would serve (https://docs.meltano.com/reference/command-line-interface#add):
pip_url, executable, capabilities and every setting with its kind, default, description and whether
it is secret. tests/test_plugin_definitions.py keeps the files in step with `--about`; after a
setting changes, rewrite them with `python tests/plugin_definitions.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: Where the repository lives. A placeholder until it has a public home: replace it here, in both
#: pyproject.toml files and in the READMEs (tests/test_plugin_definitions.py checks they agree).
HOME = "https://git.example.com/intacct-leanix/intacct-leanix"
PLUGINS = {"tap-sage-intacct": "extractors", "target-leanix": "loaders"}
KEYWORDS = {
    "tap-sage-intacct": ["sage", "intacct", "accounting", "erp", "meltano_sdk"],
    "target-leanix": ["leanix", "sap", "enterprise-architecture", "saas", "meltano_sdk"],
}
LABELS = {"tap-sage-intacct": "Sage Intacct", "target-leanix": "SAP LeanIX"}
_KINDS = {"integer": "integer", "number": "decimal", "boolean": "boolean", "array": "array"}


def about(plugin: str) -> dict[str, Any]:
    """The plugin's `--about --format=json`."""
    done = subprocess.run(
        [str(BIN / plugin), "--about", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def pip_url(plugin: str) -> str:
    """The pip_url another project uses: this repository's subdirectory, over git."""
    return f"git+{HOME}.git#subdirectory={plugin}"


def setting_kind(spec: dict[str, Any]) -> str | None:
    """Meltano's `kind` for a JSON-schema property (None: a plain string)."""
    types = [kind for kind in spec.get("type", []) if kind != "null"]
    if spec.get("enum"):
        return "options"
    if spec.get("format") in {"date", "date-time"}:
        return "date_iso8601"
    if "object" in types:
        return "object"
    return next((_KINDS[kind] for kind in types if kind in _KINDS), None)


def _label(name: str, spec: dict[str, Any], labels: dict[str, str]) -> str:
    if name in labels:
        return labels[name]
    if spec.get("title"):
        return str(spec["title"])
    return name.replace("_", " ").capitalize().replace("Api ", "API ").replace(" url", " URL")


def _project_plugin(plugin: str) -> dict[str, Any]:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    entry: dict[str, Any] = next(
        p for p in project["plugins"][PLUGINS[plugin]] if p["name"] == plugin
    )
    return entry


def settings_from_about(plugin: str, info: dict[str, Any]) -> list[dict[str, Any]]:
    """One Meltano setting per `--about` property, in `--about` order."""
    labels = {s["name"]: s["label"] for s in _project_plugin(plugin)["settings"] if "label" in s}
    settings = []
    for name, spec in info["settings"]["properties"].items():
        setting: dict[str, Any] = {"name": name, "label": _label(name, spec, labels)}
        kind = setting_kind(spec)
        if kind:
            setting["kind"] = kind
        if kind == "options":
            setting["options"] = [{"label": str(v), "value": v} for v in spec["enum"]]
        if spec.get("description"):
            setting["description"] = spec["description"]
        if spec.get("secret"):
            setting["sensitive"] = True
        if "default" in spec:
            setting["value"] = spec["default"]
        settings.append(setting)
    return settings


def definition(plugin: str, info: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole Hub-style definition of `plugin`, from its `--about` and meltano.yml."""
    info = info or about(plugin)
    project = _project_plugin(plugin)
    body: dict[str, Any] = {
        "name": plugin,
        "namespace": project["namespace"],
        "label": LABELS[plugin],
        "description": info["description"],
        "repo": HOME,
        "docs": f"{HOME}/blob/main/{plugin}/README.md",
        "pip_url": pip_url(plugin),
        "executable": plugin,
        "capabilities": info["capabilities"],
        "keywords": KEYWORDS[plugin],
    }
    if "settings_group_validation" in project:
        body["settings_group_validation"] = project["settings_group_validation"]
    body["settings"] = settings_from_about(plugin, info)
    return body


HEADER = """\
# {plugin}: a Meltano Hub-style plugin definition, generated from `{plugin} --about`
# (python tests/plugin_definitions.py; tests/test_plugin_definitions.py keeps it in step).
# Add the plugin to any Meltano project without the Hub:
#   meltano add {kind} {plugin} --from-ref {plugin}/plugin.yml
# pip_url points at the repository's home, a PLACEHOLDER until the repository is published:
#   {home}
# Replace it with the URL where the repository lives, or with a local checkout's path.
"""


def render(plugin: str, info: dict[str, Any] | None = None) -> str:
    """The file's text: the header, then the definition as YAML in a stable order."""
    kind = PLUGINS[plugin].removesuffix("s")
    text = yaml.safe_dump(definition(plugin, info), sort_keys=False, allow_unicode=True, width=100)
    return HEADER.format(plugin=plugin, kind=kind, home=HOME) + text


if __name__ == "__main__":
    for name in PLUGINS:
        (REPO / name / "plugin.yml").write_text(render(name))
        print(f"wrote {name}/plugin.yml")

"""The plugin definition files, meltano.yml's capabilities, the package URLs and the README snippets
say what `--about` says, and Meltano reads the definitions as it reads the Hub's."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
import yaml
from meltano.core.plugin.base import PluginDefinition, PluginType

from .plugin_definitions import HOME, PLUGINS, REPO, about, pip_url, render, setting_kind

ABOUT: dict[str, dict[str, Any]] = {}


def about_of(plugin: str) -> dict[str, Any]:
    if plugin not in ABOUT:
        ABOUT[plugin] = about(plugin)
    return ABOUT[plugin]


@pytest.mark.parametrize("plugin", list(PLUGINS))
def test_the_definition_file_is_what_about_says(plugin: str) -> None:
    written = (REPO / plugin / "plugin.yml").read_text()
    assert written == render(plugin, about_of(plugin)), (
        f"{plugin}/plugin.yml is out of step with --about: run python tests/plugin_definitions.py"
    )


@pytest.mark.parametrize("plugin", list(PLUGINS))
def test_each_setting_carries_kind_secret_default_and_description(plugin: str) -> None:
    info = about_of(plugin)
    definition = yaml.safe_load((REPO / plugin / "plugin.yml").read_text())
    settings = {s["name"]: s for s in definition["settings"]}
    assert list(settings) == list(info["settings"]["properties"])
    for name, spec in info["settings"]["properties"].items():
        setting = settings[name]
        assert setting.get("kind") == setting_kind(spec), name
        assert setting.get("sensitive", False) is bool(spec.get("secret")), name
        assert setting.get("value") == spec.get("default"), name
        assert setting.get("description") == spec.get("description"), name
    assert definition["capabilities"] == info["capabilities"]
    assert definition["pip_url"] == pip_url(plugin)


@pytest.mark.parametrize("plugin", list(PLUGINS))
def test_meltano_reads_the_definition_as_a_hub_definition(plugin: str) -> None:
    body = yaml.safe_load((REPO / plugin / "plugin.yml").read_text())
    parsed = PluginDefinition.parse({"plugin_type": PluginType(PLUGINS[plugin]), **body})
    assert parsed.name == plugin
    (variant,) = parsed.variants
    assert variant.pip_url == pip_url(plugin)
    assert variant.capabilities == about_of(plugin)["capabilities"]
    assert {s.name for s in variant.settings} == set(about_of(plugin)["settings"]["properties"])
    secrets = {s.name for s in variant.settings if s.sensitive}
    expected = {n for n, s in about_of(plugin)["settings"]["properties"].items() if s.get("secret")}
    assert secrets == expected


@pytest.mark.parametrize("plugin", list(PLUGINS))
def test_meltano_yml_declares_the_capabilities_about_reports(plugin: str) -> None:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    entry = next(p for p in project["plugins"][PLUGINS[plugin]] if p["name"] == plugin)
    assert entry["capabilities"] == about_of(plugin)["capabilities"]


@pytest.mark.parametrize("plugin", list(PLUGINS))
def test_package_urls_readmes_and_definitions_name_one_home(plugin: str) -> None:
    urls = tomllib.loads((REPO / plugin / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Repository"] == HOME
    assert all(url.startswith(HOME) for url in urls.values())
    kind = PLUGINS[plugin].removesuffix("s")
    add = f"meltano add --plugin-type {kind} {plugin} --from-ref path/to/intacct-leanix/{plugin}/plugin.yml"
    for readme in (REPO / "README.md", REPO / plugin / "README.md"):
        text = readme.read_text()
        assert add in text, readme
        assert f"pip_url: {pip_url(plugin)}" in text, readme
        assert "placeholder" in text.lower(), readme
    capabilities = ", ".join(about_of(plugin)["capabilities"])
    assert f"capabilities: [{capabilities}]" in (REPO / plugin / "README.md").read_text()

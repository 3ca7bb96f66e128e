"""Each plugin builds as a wheel and an sdist with complete metadata, and the wheel alone, installed
into a clean virtual environment, runs `--about`: what a user gets from a package index."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UV = Path(sys.executable).parent / "uv"
PLUGINS = {"tap-sage-intacct": "tap_sage_intacct", "target-leanix": "target_leanix"}

pytestmark = pytest.mark.slow


def uv(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(UV), *args], capture_output=True, text=True, timeout=300, check=False, cwd=cwd
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    for plugin in PLUGINS:
        uv("build", "--quiet", "--out-dir", str(out), str(REPO / plugin))
    return out


@pytest.mark.parametrize("plugin", list(PLUGINS))
def test_wheel_and_sdist_carry_complete_metadata(built: Path, plugin: str) -> None:
    project = tomllib.loads((REPO / plugin / "pyproject.toml").read_text())["project"]
    module, version = PLUGINS[plugin], project["version"]
    (wheel,) = built.glob(f"{module}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = Parser().parsestr(
            archive.read(f"{module}-{version}.dist-info/METADATA").decode()
        )
    assert f"{module}-{version}.dist-info/licenses/LICENSE" in names
    assert f"{module}/py.typed" in names
    assert metadata["Name"] == plugin
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert "Typing :: Typed" in classifiers
    assert metadata["Summary"]
    # Where the repository lives (a placeholder until it is published), as plugin.yml says.
    home = project["urls"]["Repository"]
    assert f"Repository, {home}" in (metadata.get_all("Project-URL") or [])
    assert f"git+{home}.git#subdirectory={plugin}" in (REPO / plugin / "plugin.yml").read_text()
    assert metadata.get_payload().strip()  # the README is the long description
    with tarfile.open(built / f"{module}-{version}.tar.gz") as sdist:
        members = {
            Path(name).relative_to(f"{module}-{version}").as_posix() for name in sdist.getnames()
        }
    assert {"LICENSE", "README.md", "pyproject.toml", f"{module}/__init__.py"} <= members


@pytest.mark.timeout(600)
@pytest.mark.parametrize("plugin", list(PLUGINS))
def test_the_wheel_installs_into_a_clean_venv_and_runs_about(
    built: Path, tmp_path: Path, plugin: str
) -> None:
    version = tomllib.loads((REPO / plugin / "pyproject.toml").read_text())["project"]["version"]
    (wheel,) = built.glob(f"{PLUGINS[plugin]}-{version}-py3-none-any.whl")
    venv = tmp_path / "venv"
    uv("venv", "--quiet", "--python", sys.executable, str(venv))
    uv("pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel))
    about = subprocess.run(
        [str(venv / "bin" / plugin), "--about", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert about.returncode == 0, about.stderr[-2000:]
    info = json.loads(about.stdout)
    assert info["name"] == plugin
    assert info["version"] == version
    assert info["settings"]["properties"]

"""The README's "Use in another Meltano project", run as written in a new Meltano project.

`meltano init`, then the README's `meltano add --from-ref` lines (the plugins' definition files), each
`pip_url` set to this checkout as the README says, `target-jsonl` defined inline (no Meltano Hub at run
time), the README's `meltano config set` lines against an intacct-sandbox process, and
`meltano run tap-sage-intacct target-jsonl`: every record the tap sends lands in the JSONL files. Only
the package registry is used (by uv, through its cache), never the repository's placeholder home.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from sandboxes.common.process import SandboxProcess
from tap_sage_intacct.objects import STANDARD_OBJECTS

from .conftest import GATEWAY_PATH, REPO

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
CHECKOUT = "path/to/intacct-leanix"  # how the README names a checkout of this repository
SANDBOX_URL = "http://127.0.0.1:8081"  # intacct-sandbox's default, as the README's commands use it
SECTION = re.compile(r"^## Use in another Meltano project\n(.*?)^## ", re.MULTILINE | re.DOTALL)
TARGET_JSONL = {
    "name": "target-jsonl",
    "namespace": "target_jsonl",
    # target-jsonl 0.1.4 imports pkg_resources, which setuptools 81 no longer ships.
    "pip_url": "target-jsonl==0.1.4 setuptools<81",
    "executable": "target-jsonl",
    "settings": [{"name": "destination_path"}, {"name": "do_timestamp_file", "kind": "boolean"}],
    "config": {"destination_path": "output", "do_timestamp_file": False},
}


def readme_commands() -> list[list[str]]:
    """The `meltano ...` lines of the root README's section, as argument lists."""
    match = SECTION.search((REPO / "README.md").read_text())
    assert match, "README.md has no 'Use in another Meltano project' section"
    blocks = re.findall(r"```sh\n(.*?)```", match.group(1), re.DOTALL)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line.startswith("meltano ")]


@pytest.fixture
def intacct() -> Iterator[SandboxProcess]:
    with SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", "0.1"]) as sandbox:
        yield sandbox


def meltano(project: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        # uv (Meltano's venv backend here) comes from the test's own environment.
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    # The tap and target must come from the project's own venvs, not from this interpreter's path.
    env.pop("PYTHONPATH", None)
    for name in list(env):
        if name.startswith(("TAP_SAGE_INTACCT_", "TARGET_LEANIX_", "MELTANO_")) and name not in {
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS"
        }:
            del env[name]
    done = subprocess.run(
        [str(BIN / "meltano"), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, (
        f"meltano {' '.join(args)} exited {done.returncode}\n{done.stderr[-6000:]}"
    )
    return done


def edit_project(project: Path, change: dict[str, object]) -> None:
    path = project / "meltano.yml"
    body = yaml.safe_load(path.read_text())
    body.update(change)
    path.write_text(yaml.safe_dump(body, sort_keys=False))


@pytest.mark.timeout(900)
def test_the_readme_adds_both_plugins_to_a_new_project_and_the_tap_runs(
    tmp_path: Path, intacct: SandboxProcess
) -> None:
    commands = readme_commands()
    adds = [c for c in commands if c[:2] == ["meltano", "add"]]
    config = [c for c in commands if c[:3] == ["meltano", "config", "set"]]
    runs = [c for c in commands if c[:2] == ["meltano", "run"]]
    assert len(adds) == 2
    assert config
    assert runs == [["meltano", "run", "tap-sage-intacct", "target-jsonl"]]

    meltano(tmp_path, "init", "--no-usage-stats", "project")
    project = tmp_path / "project"
    edit_project(project, {"venv": {"backend": "uv"}})
    for command in adds:
        args = [arg.replace(CHECKOUT, str(REPO)) for arg in command[1:]]
        meltano(project, *args, "--no-install")

    body = yaml.safe_load((project / "meltano.yml").read_text())
    assert sorted(body["plugins"]) == ["extractors", "loaders"], (
        "each plugin added once, as its type"
    )
    (extractor,) = body["plugins"]["extractors"]
    (loader,) = body["plugins"]["loaders"]
    assert extractor["pip_url"].startswith("git+https://git.example.com/")
    # As the README says: install from the checkout instead of the repository's home.
    extractor["pip_url"] = str(REPO / "tap-sage-intacct")
    loader["pip_url"] = str(REPO / "target-leanix")
    body["plugins"]["loaders"].append(TARGET_JSONL)
    (project / "meltano.yml").write_text(yaml.safe_dump(body, sort_keys=False))

    meltano(project, "install")
    for command in config:
        meltano(project, *[a.replace(SANDBOX_URL, intacct.url) for a in command[1:]])
    # Secrets went to .env, the rest to meltano.yml, as the README says.
    configured = yaml.safe_load((project / "meltano.yml").read_text())["plugins"]["extractors"][0]
    assert configured["config"]["api_url"] == intacct.url + GATEWAY_PATH
    assert not {"sender_password", "user_password"} & set(configured["config"])
    dotenv = (project / ".env").read_text()
    assert "TAP_SAGE_INTACCT_SENDER_PASSWORD" in dotenv
    assert "TAP_SAGE_INTACCT_USER_PASSWORD" in dotenv

    done = meltano(project, *runs[0][1:])
    output = project / "output"
    landed = {
        path.stem: [json.loads(line) for line in path.read_text().splitlines()]
        for path in output.glob("*.jsonl")
    }
    truth = intacct.admin("GET", "/admin/objects/APBILL?limit=1000000")["rows"]
    bills = landed["ap_bill"]
    live = [bill for bill in bills if not bill.get("_sdc_deleted_at")]
    assert {int(b["RECORDNO"]) for b in live} == {int(row["RECORDNO"]) for row in truth}
    # No `select` in a fresh project: Meltano selects every stream discovery lists.
    assert {s.stream_name for s in STANDARD_OBJECTS} <= set(landed)
    assert all(landed.values())
    assert "ERROR" not in done.stderr

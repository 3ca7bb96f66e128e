"""`--help` of both sandboxes: every flag explained with its default, and the plugin settings that
reach the sandbox, which it also prints on its second line of output once listening."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
CASES = {
    "intacct-sandbox": (
        "tap-sage-intacct",
        {
            "api_url": "http://127.0.0.1:8081/ia/xml/xmlgw.phtml",
            "sender_id": "sandbox",
            "sender_password": "sandbox",
            "user_id": "admin",
            "user_password": "admin",
            "company_id": "SANDBOX",
        },
    ),
    "leanix-sandbox": (
        "target-leanix",
        {
            "base_url": "http://127.0.0.1:8082",
            "api_token": "sandbox-token",
            "company_key": "SANDBOX",
        },
    ),
}


def help_text(program: str) -> str:
    done = subprocess.run(
        [str(BIN / program), "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def option_blocks(text: str) -> dict[str, str]:
    """Each option's help, by its first flag, from argparse's `options:` section."""
    section = text.split("options:\n", 1)[1].split("\n\n", 1)[0]
    blocks: dict[str, str] = {}
    current = ""
    for line in section.splitlines():
        stripped = line.strip()
        if line.startswith("  -"):
            current = stripped.split()[0].rstrip(",")
            blocks[current] = " ".join(stripped.split()[1:])
        elif current:
            blocks[current] += " " + stripped
    return blocks


@pytest.mark.parametrize("program", list(CASES))
def test_every_flag_has_help_and_credentials_show_their_defaults(program: str) -> None:
    text = help_text(program)
    blocks = option_blocks(text)
    assert len(blocks) > 5
    for flag, block in blocks.items():
        words = [w for w in block.split() if not w.isupper()]  # drop the metavar
        assert len(words) >= 3, f"{program} {flag} has no help text"
    plugin, settings = CASES[program]
    config = json.loads(text.split("As a --config file:\n\n", 1)[1].split("\n\n", 1)[0])
    assert config == settings
    for name, value in settings.items():
        assert f"meltano config set {plugin} {name} {value}" in text
    if program == "intacct-sandbox":
        for flag in (
            "--sender-id",
            "--sender-password",
            "--company-id",
            "--user-id",
            "--user-password",
        ):
            assert "(default: " in blocks[flag], flag
    else:
        assert "(default: sandbox-token)" in blocks["--token"]


@pytest.mark.parametrize("program", list(CASES))
def test_the_running_sandbox_prints_the_settings_for_its_own_port(
    program: str, tmp_path: Path
) -> None:
    args = [str(BIN / program), "--port", "0"]
    if program == "leanix-sandbox":
        args += ["--db", str(tmp_path / "ws.sqlite"), "--token", "other-token"]
    else:
        args += ["--scale", "0.01", "--user-password", "other-password"]
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split(" listening on ", 1)[1].strip()
            plugin, label = process.stdout.readline().split(" settings: ", 1)
        finally:
            process.terminate()
    settings = json.loads(label)
    assert plugin == CASES[program][0]
    if program == "leanix-sandbox":
        assert settings == {"base_url": url, "api_token": "other-token", "company_key": "SANDBOX"}
    else:
        assert settings["api_url"] == f"{url}/ia/xml/xmlgw.phtml"
        assert settings["user_password"] == "other-password"

"""``target-leanix-recognize`` run as a real process: stdin in, TSV out, exit 2 on bad config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CLI = str(Path(sys.executable).with_name("target-leanix-recognize"))

INPUT = "\n".join(
    [
        "Slack Technologies, LLC",
        "ATLASSIAN* JIRA SYDNEY AU",
        "SLACK JAW BBQ AUSTIN TX",
        "AMZN Mktp US*2K4AB1CD2 Amzn.com/bill WA",
        "V-00012\tAcme Analytics LLC\t6010",
        "V-00013\tSlack Technologies, LLC",
        "",
    ]
)


def _run(*args: str, stdin: str = INPUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def _rows(stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in stdout.splitlines()]


def test_without_config() -> None:
    result = _run()
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert all(len(row) == 4 for row in rows)
    assert rows[0] == [
        "Slack Technologies, LLC",
        "slack",
        "1.00",
        'exact alias "Slack Technologies, LLC"',
    ]
    assert rows[1][:3] == ["ATLASSIAN* JIRA SYDNEY AU", "atlassian", "0.97"]
    assert rows[1][3] == 'descriptor pattern "ATLASSIAN*"'
    # "BBQ" makes it a meal: known not to be software, not merely unmatched.
    assert rows[2][:3] == ["SLACK JAW BBQ AUSTIN TX", "", "0.90"]
    assert rows[3][1] == ""
    assert "retail" in rows[3][3]
    assert rows[4][:2] == ["Acme Analytics LLC", ""]  # no software GL accounts configured
    assert rows[5][1] == "slack"
    assert len(rows) == 6  # the blank line is skipped


def test_with_config_applies_the_recognition_rules(tmp_path: Path) -> None:
    config = tmp_path / "target.json"
    config.write_text(
        json.dumps(
            {
                "base_url": "http://127.0.0.1:1",
                "recognition": {
                    "software_gl_accounts": ["6010"],
                    "exclude_vendor_ids": ["V-00013"],
                    "exclude_patterns": ["^ATLASSIAN"],
                },
            }
        ),
        encoding="utf-8",
    )
    result = _run("--config", str(config))
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert rows[1][1:] == ["", "1.00", 'user rule: exclude_patterns "^ATLASSIAN"']
    assert rows[4][:3] == ["Acme Analytics LLC", "candidate:V-00012", "0.60"]
    assert "software GL account 6010" in rows[4][3]
    assert rows[5][1:] == ["", "1.00", "user rule: exclude_vendor_ids V-00013"]


def test_config_without_recognition_object_uses_defaults(tmp_path: Path) -> None:
    config = tmp_path / "target.json"
    config.write_text(json.dumps({"base_url": "http://127.0.0.1:1"}), encoding="utf-8")
    result = _run("--config", str(config), stdin="Zendesk, Inc.\n")
    assert result.returncode == 0, result.stderr
    assert _rows(result.stdout)[0][1] == "zendesk"


def test_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    cases = {
        "bad-key.json": json.dumps({"recognition": {"include_vendor_ids": ["V-1"], "colour": 1}}),
        "bad-regex.json": json.dumps({"recognition": {"exclude_patterns": ["(unclosed"]}}),
        "not-json.json": "{recognition:",
        "not-object.json": json.dumps({"recognition": ["slack"]}),
    }
    expected = {
        "bad-key.json": "recognition.colour: unknown setting",
        "bad-regex.json": "recognition.exclude_patterns[0]: bad regular expression",
        "not-json.json": "not valid JSON",
        "not-object.json": "recognition: must be a JSON object",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = _run("--config", str(path))
        assert result.returncode == 2, name
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert expected[name] in lines[0]
        assert "Traceback" not in result.stderr
    missing = _run("--config", str(tmp_path / "absent.json"))
    assert missing.returncode == 2
    assert len(missing.stderr.strip().splitlines()) == 1
    assert "cannot read" in missing.stderr


def test_expense_memos_are_read_as_memos() -> None:
    memos = "\n".join(
        [
            "Notion Plus - paid on personal card",
            "kintone スタンダードコース",
            "Zoom call with client - lunch",
            "MONDAY BAKERY",
            "",
        ]
    )
    result = _run(stdin=memos)
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert [row[:2] for row in rows] == [
        ["Notion Plus - paid on personal card", "notion"],
        ["kintone スタンダードコース", "cybozu"],
        ["Zoom call with client - lunch", ""],
        ["MONDAY BAKERY", ""],
    ]
    assert 'plan words "plus"' in rows[0][3]
    assert '("lunch")' in rows[2][3]

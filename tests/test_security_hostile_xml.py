"""Hostile XML from "Intacct": refused with a clear error, no file read, bounded memory.

The Intacct sandbox's `hostile` fault answers every `query` with a body built to hurt the parser
(billion laughs, an external entity naming a local file that holds a secret marker, a 64 MB text node,
100,000 nested elements, bytes that are not UTF-8). The tap runs as a real process; its peak RSS comes
from the kernel (`os.wait4`). Variants with a long comment before the DOCTYPE check that the refusal
does not depend on where the declaration sits.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandboxes.common.process import SandboxProcess
from sandboxes.intacct.hostile import hostile_body
from tap_sage_intacct.gateway import errors, parsing

from .reliability_helpers import TAP, TRACEBACK, discover_catalog, run_with_rusage, tap_config

PEAK_RSS_LIMIT_MB = 300
MARKER = f"TOP-SECRET-{secrets.token_hex(8)}"

VARIANTS = [
    ("billion_laughs", {}),
    ("billion_laughs", {"prolog_padding": 6000}),
    ("external_entity", {}),
    ("external_entity", {"prolog_padding": 6000}),
    ("huge_text", {"megabytes": 64}),
    ("deep_nesting", {"depth": 100_000}),
    ("invalid_utf8", {}),
]
IDS = [f"{v}{'-padded' if p.get('prolog_padding') else ''}" for v, p in VARIANTS]


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text(MARKER + "\n")
    return path


@pytest.fixture(scope="module")
def intacct() -> Iterator[SandboxProcess]:
    with SandboxProcess("intacct-sandbox", ["--seed", "7", "--scale", "0.01"]) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def catalog_path(intacct, tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("catalog")
    (workdir / "tap.json").write_text(json.dumps(tap_config(intacct)))
    path = workdir / "catalog.json"
    path.write_text(json.dumps(discover_catalog(workdir / "tap.json", ["vendor"])))
    return path


def _params(variant: str, extra: dict[str, object], secret_file: Path) -> dict[str, object]:
    params: dict[str, object] = {"variant": variant, **extra}
    if variant == "external_entity":
        params["path"] = str(secret_file)
    return params


@pytest.mark.parametrize(("variant", "extra"), VARIANTS, ids=IDS)
def test_parser_refuses_hostile_body(variant, extra, secret_file):
    """The tap's own parser, in process: an IntacctError, never a tree with the file's content."""
    body = hostile_body(variant, _params(variant, extra, secret_file))
    with pytest.raises(errors.IntacctError) as refused:
        parsing.parse_xml(body)
    assert MARKER not in refused.value.message
    assert "lollollol" not in refused.value.message


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "extra"), VARIANTS, ids=IDS)
def test_tap_refuses_hostile_answer(variant, extra, intacct, catalog_path, secret_file, tmp_path):
    intacct.set_faults(
        [
            {
                "kind": "hostile",
                "count": None,
                "body_contains": "<query>",
                "params": _params(variant, extra, secret_file),
            }
        ]
    )
    try:
        config = tmp_path / "tap.json"
        config.write_text(json.dumps(tap_config(intacct, max_tries=2)))
        stdout, stderr = tmp_path / "out.singer", tmp_path / "err.log"
        code, peak_mb = run_with_rusage(
            [str(TAP), "--config", str(config), "--catalog", str(catalog_path)],
            stdout=stdout,
            stderr=stderr,
        )
        fired = intacct.stats()["faults"].get("hostile", 0)
    finally:
        intacct.clear_faults()
        intacct.reset_stats()
    out = stdout.read_bytes().decode("utf-8", "replace")
    err = stderr.read_bytes().decode("utf-8", "replace")
    print(f"{variant} {extra}: exit {code}, peak RSS {peak_mb} MB, answers served {fired}")
    assert fired >= 1
    assert code != 0, f"the tap accepted a hostile answer:\n{out[-2000:]}"
    last_line = err.strip().splitlines()[-1]
    assert "vendor" in last_line.lower() or "VENDOR" in last_line
    assert any(word in last_line.lower() for word in ("refused", "malformed", "xml")), last_line
    assert TRACEBACK not in err
    assert MARKER not in out + err
    assert "lollollol" not in out + err
    assert '"V-HOSTILE"' not in out, "a record of the hostile answer was emitted"
    assert peak_mb < PEAK_RSS_LIMIT_MB

"""The repository stands alone: no file of it names a path that exists on one machine only.

A user's clone has none of a build machine's directories, so a test, script or document that points at
one fails, skips or misleads there. Sample answers the tests need live in tests/fixtures/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Each pattern spells one letter as a class (`[k]`) so that this file does not match itself. The
# alternatives are literals with at most a bounded repeat: the scan is linear in the text.
MACHINE_PATH = re.compile(
    r"/wor[k]/"  # the build machine's work tree
    r"|/tm[p]/team"  # scratch documents of the people who built it
    r"|/hom[e]/\w"  # a Linux home directory
    r"|/User[s]/"  # a macOS home directory
    r"|[A-Za-z]:\\{1,2}User[s]\\"  # a Windows profile, as text or inside a string literal
    r"|\.\./share[d]"  # a sibling of the checkout, outside the repository
)


def repository_files() -> list[Path]:
    """The files git tracks or would add (untracked but not ignored), or skip outside a git checkout."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed, so the repository's files cannot be listed")
    listing = subprocess.run(
        [git, "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=False,
    )
    if listing.returncode != 0:
        reason = listing.stderr.decode(errors="replace").strip().splitlines()[:1]
        pytest.skip(f"{REPO} is not a git checkout ({' '.join(reason) or 'git ls-files failed'})")
    names = listing.stdout.decode(errors="surrogateescape").split("\0")
    return [REPO / name for name in names if name and (REPO / name).is_file()]


def machine_paths_in(text: str) -> list[str]:
    """Each `line number: match` of a machine path in the text."""
    return [
        f"{number}: {found.group()}"
        for number, line in enumerate(text.splitlines(), start=1)
        for found in MACHINE_PATH.finditer(line)
    ]


def test_no_tracked_text_file_names_a_machine_path() -> None:
    offenders = []
    for path in repository_files():
        content = path.read_bytes()
        if b"\0" in content:  # binary: no text to point anywhere
            continue
        offenders += [
            f"{path.relative_to(REPO)}:{hit}"
            for hit in machine_paths_in(content.decode(errors="replace"))
        ]
    assert not offenders, "machine paths in the repository:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    "parts",
    [
        ("SAMPLES = Path('/wo", "rk/shared/reference/intacct-samples')"),
        ("the data contract is `/tm", "p/team/DATA_CONTRACT.md`"),
        ("open('/ho", "me/alice/costs.singer')"),
        ("/Use", "rs/bob/project/tests"),
        ("C:\\Use", "rs\\carol\\repo"),
        ('"C:\\\\Use', 'rs\\\\carol\\\\repo"'),
        ("Path(__file__).parent / '..' / '../sha", "red/reference'"),
    ],
)
def test_each_kind_of_machine_path_is_caught(parts: tuple[str, str]) -> None:
    # Built from two halves so that this file itself stays clean.
    assert machine_paths_in("ok\n" + "".join(parts)) != []
    assert machine_paths_in("ok\n" + "".join(parts))[0].startswith("2: ")


@pytest.mark.parametrize(
    "text",
    [
        "https://docs-eam.leanix.net/reference/inbound-processors",
        "Path(__file__).resolve().parents[2] / 'tests' / 'fixtures' / 'intacct'",
        "--out costs.singer",
        "tmp_path / 'work' / 'state.json'",
        "C:\\Program Files\\Meltano",
        "/homepage and /users/list",
    ],
)
def test_ordinary_text_is_not_taken_for_a_machine_path(text: str) -> None:
    assert machine_paths_in(text) == []


# Research notes that were never part of the repository: a reader cannot open them, so code and docs
# cite the vendors' own pages instead. One letter of each name is a class: this file does not match.
UNPUBLISHED_DOCUMENT = re.compile(
    r"intacct-xml-ap[i]\.md"
    r"|leanix-ap[i]\.md"
    r"|singer-sdk-and-melta[n]o\.md"
    r"|peer-connector[s]\.md"
    r"|leanix-tags-subscriptions-lifecycl[e]\.md"
    r"|INTACCT_OBJECT[S]"
)


def unpublished_documents_in(text: str) -> list[str]:
    """Each `line number: match` of a citation of a document that is not in the repository."""
    return [
        f"{number}: {found.group()}"
        for number, line in enumerate(text.splitlines(), start=1)
        for found in UNPUBLISHED_DOCUMENT.finditer(line)
    ]


def test_no_tracked_text_file_cites_a_document_outside_the_repository() -> None:
    offenders = []
    for path in repository_files():
        content = path.read_bytes()
        if b"\0" in content:
            continue
        offenders += [
            f"{path.relative_to(REPO)}:{hit}"
            for hit in unpublished_documents_in(content.decode(errors="replace"))
        ]
    assert not offenders, "citations of documents outside the repository:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    "parts",
    [
        ("Order of checks follows intacct-xml-", "api.md §2"),
        ("(leanix-", "api.md §3.2, §6.3)"),
        ("(singer-sdk-and-", "meltano.md §1.6)"),
        ("offset paging loses rows; peer-", "connectors.md §3.1"),
        ("see leanix-tags-subscriptions-", "lifecycle.md"),
        ("field names as in the INTACCT_", "OBJECTS contract"),
    ],
)
def test_each_unpublished_document_is_caught(parts: tuple[str, str]) -> None:
    assert unpublished_documents_in("ok\n" + "".join(parts)) != []
    assert unpublished_documents_in("ok\n" + "".join(parts))[0].startswith("2: ")


@pytest.mark.parametrize(
    "text",
    [
        "https://developer.intacct.com/web-services/queries/",
        "https://docs-eam.leanix.net/reference/inbound-processors",
        "tests/fixtures/intacct/08_lookup_glbatch_type_definition_EXCERPT.xml",
        "objects.py: INTACCT_OBJECT = 'VENDOR'",
    ],
)
def test_vendor_pages_are_not_taken_for_unpublished_documents(text: str) -> None:
    assert unpublished_documents_in(text) == []

"""Files the target writes (the ledger, the dry-run LDIF and processor files) hold vendor names and
amounts: they are readable by their owner only (0600), in directories the target creates 0700, whatever
the umask, and a file that already exists with wider permissions is tightened before it is written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


class PrivateFileError(RuntimeError):
    """A file of the target could not be created or restricted to its owner."""


def make_private_directory(directory: Path) -> None:
    """Create `directory` and its missing parents with mode 0700; existing ones stay as they are."""
    missing = []
    current = directory
    while not current.exists() and current.parent != current:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=DIRECTORY_MODE)
            # The umask may have taken bits away; it may never add any.
            path.chmod(DIRECTORY_MODE)
        except OSError as error:
            raise PrivateFileError(f"cannot create directory {path}: {_reason(error)}") from None


def open_private(path: Path, *, append: bool) -> TextIO:
    """Open `path` for writing text (appending or replacing) as a file only its owner can read."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    return os.fdopen(_open_restricted(path, flags), "a" if append else "w", encoding="utf-8")


def prepare_sqlite_file(url: str) -> None:
    """Create the database file of a SQLite `url` with mode 0600 before SQLite does, or tighten it.

    SQLite gives its -journal, -wal and -shm files the database file's mode, so they follow."""
    parsed = sa.make_url(url)
    database = parsed.database or ""
    if not parsed.drivername.startswith("sqlite") or database in {"", ":memory:"}:
        return
    if database.startswith("file:") or parsed.query.get("uri"):
        return  # a SQLite URI names its own options; leave it to SQLite
    os.close(_open_restricted(Path(database), os.O_RDONLY | os.O_CREAT))


def _open_restricted(path: Path, flags: int) -> int:
    make_private_directory(path.parent)
    try:
        descriptor = os.open(path, flags | os.O_CLOEXEC, FILE_MODE)
    except OSError as error:
        raise PrivateFileError(f"cannot open {path}: {_reason(error)}") from None
    try:
        # os.open's mode applies only to a new file, and only what the umask leaves of it.
        os.fchmod(descriptor, FILE_MODE)
    except OSError as error:
        os.close(descriptor)
        raise PrivateFileError(
            f"cannot make {path} readable by its owner only: {_reason(error)}"
        ) from None
    return descriptor


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__

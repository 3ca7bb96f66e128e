"""Running the repository's Meltano project beside other runs (tests, benchmarks)."""

from __future__ import annotations

from pathlib import Path


def private_sys_dir(work: Path, project: Path) -> Path:
    """A `.meltano` under `work` that shares the project's installed plugins.

    Meltano writes each run's catalog and config under `.meltano/run/<plugin>/`: two runs at once in
    one project overwrite each other's files. The plugin virtualenvs are read-only at run time, so
    they are linked from the project's `.meltano` (installed once by `make plugins`). Point
    `MELTANO_SYS_DIR_ROOT` at the result.
    """
    sys_dir = work / ".meltano"
    sys_dir.mkdir(exist_ok=True)
    for plugin_type in ("extractors", "loaders"):
        link = sys_dir / plugin_type
        if not link.exists():
            link.symlink_to(project / ".meltano" / plugin_type, target_is_directory=True)
    return sys_dir

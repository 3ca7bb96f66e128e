"""No package of the repository has an import cycle, not even one that only type checking or a function sees.

A cycle hidden under `TYPE_CHECKING` or inside a function still means two modules own each other's pieces:
it breaks the day someone moves the import to the top, and it makes each module impossible to read alone.
The graph is built from the source (no module is imported), so every import counts wherever it is written.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = {
    "sandboxes": REPO / "sandbox" / "sandboxes",
    "tap_sage_intacct": REPO / "tap-sage-intacct" / "tap_sage_intacct",
    "target_leanix": REPO / "target-leanix" / "target_leanix",
}


def module_files(package: str, root: Path) -> dict[str, Path]:
    """Map each dotted module name of the package to its source file."""
    modules: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's own modules that `name` imports anywhere in its source, at any depth."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = name.split(".")
                drop = node.level - 1 if is_package else node.level
                base = ".".join(anchor[: len(anchor) - drop])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return {module for module in found if module in modules and module != name}


def import_graph(package: str, root: Path) -> dict[str, set[str]]:
    """Edges from each module of the package to the package's modules it imports."""
    modules = module_files(package, root)
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected component of more than one module, plus one cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [one_cycle(graph, component) for component in components]


def one_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A concrete cycle inside a strongly connected component, starting and ending at its first module."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for target in sorted(graph[node] & members):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    return component


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_package_has_no_import_cycle(package: str) -> None:
    graph = import_graph(package, PACKAGES[package])
    assert graph, f"no modules found for {package}"
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_cycle_finder_sees_cycles_under_type_checking_and_inside_functions(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("from pkg.b import B\n")
    (root / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n"
    )
    (root / "c.py").write_text("def f():\n    from .a import x\n")
    (root / "d.py").write_text("def f():\n    from pkg import e\n")
    (root / "e.py").write_text("import pkg.d\n")
    assert sorted(cycles(import_graph("pkg", root))) == [
        ["pkg.a", "pkg.b", "pkg.a"],
        ["pkg.d", "pkg.e", "pkg.d"],
    ]

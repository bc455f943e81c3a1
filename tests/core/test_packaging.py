"""The installed distribution adds one top-level import name, lists every package, and the engine
has no import cycle (imports inside functions count; `if TYPE_CHECKING:` blocks do not run)."""

from __future__ import annotations

import ast
import tomllib
from importlib.metadata import distribution
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOTS = {"p06audit": REPO / "audit", "p06audit.checks": REPO / "checks", "p06audit.reports": REPO / "reports"}


def module_files() -> dict[str, Path]:
    """Every module of the package, by the name it is imported as."""
    found: dict[str, Path] = {}
    for prefix, root in ROOTS.items():
        for path in root.rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join((prefix, *parts))
            found.setdefault(name, path)
    return found


def test_the_distribution_has_one_top_level_name_and_lists_every_package() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    folders = {name for name, path in module_files().items() if path.name == "__init__.py"}
    assert listed == folders
    assert {name.split(".")[0] for name in listed} == {"p06audit"}
    entry_points = distribution("p06audit").entry_points
    assert {ep.value.split(".")[0] for ep in entry_points} == {"p06audit"}


def _runtime_imports(tree: ast.AST, module: str, package: bool, modules: set[str]) -> set[str]:
    """Modules imported when the code runs, at any depth, except under `if TYPE_CHECKING:`.
    `from pkg import sub` depends on the module `pkg.sub` when there is one, else on `pkg`."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".") if package else module.split(".")[:-1]
                base = ".".join(parent[: len(parent) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_no_import_cycle_counting_imports_inside_functions() -> None:
    files = module_files()
    graph = {
        name: {
            target
            for target in _runtime_imports(
                ast.parse(path.read_text()), name, path.name == "__init__.py", set(files)
            )
            if target in files and target != name
        }
        for name, path in files.items()
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                walk(target, [*trail, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    assert cycles == []

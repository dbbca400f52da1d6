"""The core never imports Qt: `inspector/` must run headless (CLI, central server, tests)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import inspector

CORE = Path(inspector.__file__).parent
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qtawesome", "ui")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_core_module_imports_qt_or_the_ui() -> None:
    offenders = {
        str(path.relative_to(CORE)): sorted(_imports(path) & set(FORBIDDEN))
        for path in CORE.rglob("*.py")
        if _imports(path) & set(FORBIDDEN)
    }
    assert offenders == {}


def test_importing_every_core_module_loads_no_qt() -> None:
    modules = [
        "inspector." + ".".join(p.relative_to(CORE).with_suffix("").parts)
        for p in CORE.rglob("*.py")
        if p.name != "__main__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m.removesuffix('.__init__'))\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_modules_stay_small() -> None:
    big = {str(p.relative_to(CORE)): n for p in CORE.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 800}
    assert big == {}


UI = CORE.parent / "ui"
# What the UI must never reach into: the services' context (store, vault, journal, session).
_PRIVATE = {"store", "vault", "conn", "journal", "session", "db"}


def test_the_ui_never_reaches_into_the_core() -> None:
    """Import contracts (pyproject, `lint-imports`) keep the UI off the store's modules; this keeps
    it off their objects: no `services.ctx`, no `.store`, `.vault` or connection on anything."""
    found: list[str] = []
    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            via_services = node.attr == "ctx" and not (isinstance(node.value, ast.Name) and node.value.id == "self")
            framework = path.name == "ops.py" and node.attr == "session"  # it shares one between threads
            if (node.attr in _PRIVATE or via_services) and not framework:
                found.append(f"{path.relative_to(UI.parent)}:{node.lineno}: .{node.attr}")
    assert found == [], "\n".join(found)


def test_no_import_cycles() -> None:
    """Strongly connected components of the import graph (imports made only for type checking
    excluded: they never run), computed with grimp, which import-linter is built on."""
    import grimp

    graph = grimp.build_graph("inspector", "ui", exclude_type_checking_imports=True, cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in graph.modules:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert cycles == []

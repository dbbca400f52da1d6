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

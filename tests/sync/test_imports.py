"""No import cycles in the sync and central packages (issue 10), counting every import: at module
level, inside functions and under TYPE_CHECKING alike. The device side never imports the server."""

from __future__ import annotations

import ast
from pathlib import Path

import inspector

CORE = Path(inspector.__file__).parent
PACKAGES = ("inspector.sync", "inspector.central")


def _module(path: Path) -> str:
    parts = path.relative_to(CORE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for package in ("sync", "central") for p in (CORE / package).rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()
    for start in sorted(graph):
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph[node]):
                if nxt == start:
                    return [*path, start]
                if nxt not in path and nxt not in done:
                    stack.append((nxt, [*path, nxt]))
        done.add(start)
    return None


def test_no_import_cycles_in_sync_and_central() -> None:
    assert _cycle(_graph()) is None


def test_the_device_side_never_imports_the_server() -> None:
    graph = _graph()
    offenders = {m: sorted(t for t in targets if t.startswith("inspector.central"))
                 for m, targets in graph.items() if m.startswith("inspector.sync")}
    assert {m: t for m, t in offenders.items() if t} == {}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None

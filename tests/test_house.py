"""The house: data flows one way (kg never imports service), modules import each other in one
direction (no cycle, counting imports inside functions too), and no module grows past 1,000
lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kg", "service")
MAX_LINES = 1000


def modules() -> dict[str, Path]:
    """Every module of the packages, by dotted name ("kg.stores.base", "kg.stores")."""
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The first-party modules `name` imports, anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{alias.name}" for alias in node.names]
        for target in targets:
            target = target.removeprefix("ai45kg.")  # installed under the distribution's name
            # the longest known module the import names (a name imported from a module counts
            # as the module)
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, set(known)) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_sees_real_imports() -> None:
    graph = import_graph()
    assert "kg.stores.base" in graph["kg.stores.memory"]
    assert "kg.sparqltext" in graph["kg.stores.remote"]
    assert "kg.stores" in graph["service.backend"]


def test_a_cycle_would_be_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_between_modules() -> None:
    assert cycles(import_graph()) == []


def test_kg_never_imports_service() -> None:
    graph = import_graph()
    assert {(m, t) for m, ts in graph.items() if m.startswith("kg") for t in ts
            if t.startswith("service")} == set()


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_over_1000_lines(name: str) -> None:
    lines = modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it by job"


def test_the_code_runs_under_its_installed_name_only(app: object) -> None:
    """Everything imports the packages as ai45kg.kg and ai45kg.service: a second copy under the
    bare folder names (kg, service) would mean two sets of module state."""
    import sys

    import ai45kg.service.cli  # noqa: F401  (the command line, which imports the most)

    assert "kg" not in sys.modules and "service" not in sys.modules
    assert not [m for m in sys.modules if m.startswith(("kg.", "service."))]

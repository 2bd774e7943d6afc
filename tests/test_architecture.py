"""The layout the issue asks for, checked on the sources: core never reaches up, explorer never imports torch,
no module imports itself round a cycle, features never hold the window, and no thread is left to die at exit."""

from __future__ import annotations

import ast
import re
import tomllib

import grimp
from core_testkit import REPO_ROOT


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components of more than one module (or a module importing itself): the import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_strongly_connected_finds_a_cycle_and_nothing_else() -> None:
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_any_modules() -> None:
    """Every import counts, lazy ones inside functions too (grimp reads them all)."""
    graph = grimp.build_graph("core", "explorer")
    edges = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    assert strongly_connected(edges) == []


def test_core_never_imports_explorer_and_the_contract_has_no_exceptions() -> None:
    graph = grimp.build_graph("core", "explorer")
    reaching_up = [
        (module, imported)
        for module in graph.modules
        if module.startswith("core")
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("explorer")
    ]
    assert reaching_up == []
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    for contract in config["tool"]["importlinter"]["contracts"]:
        assert not contract.get("ignore_imports"), f"{contract['name']} lists exceptions"


def test_explorer_has_no_import_of_torch() -> None:
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}"
        for path in sorted((REPO_ROOT / "explorer").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.match(r"\s*(import torch|from torch)\b", line)
    ]
    assert found == []


def test_only_the_window_names_the_main_window() -> None:
    """Features get what they use (a session, their panels, the registries, a close hook), never the whole window:
    outside explorer/window only the composition roots (the entry point, app start-up, the bench) may name it."""
    roots = {"explorer/__main__.py", "explorer/app.py"}
    naming = [
        path.relative_to(REPO_ROOT).as_posix()
        for path in sorted((REPO_ROOT / "explorer").rglob("*.py"))
        if re.search(r"\bQ?MainWindow\b|main_window", path.read_text())
    ]
    outside = [
        name for name in naming
        if not name.startswith(("explorer/window/", "explorer/bench/")) and name not in roots
    ]  # fmt: skip
    assert outside == []
    taking_a_window = [
        f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.name}"
        for path in sorted((REPO_ROOT / "explorer").rglob("*.py"))
        if not path.relative_to(REPO_ROOT).as_posix().startswith(("explorer/window/", "explorer/bench/"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any(arg.arg == "window" for arg in node.args.args + node.args.kwonlyargs)
    ]
    assert taking_a_window == []


def test_no_daemon_threads_in_explorer() -> None:
    """A daemon thread is killed at exit with its work half done: every background task is joined on close."""
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}"
        for path in sorted((REPO_ROOT / "explorer").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"daemon\s*=\s*True|setDaemon\(", line)
    ]
    assert found == []

"""The import rules of ARCHITECTURE.md, enforced on the source text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import messages_conformance

PACKAGE = Path(messages_conformance.__file__).resolve().parent
CORE = {"findings", "exchange", "spec", "sse", "stream", "semantics", "check", "rules"}
EDGES_AND_ADAPTERS = {
    "cassette",
    "transport",
    "recording",
    "targets",
    "report",
    "diff",
    "matrix",
    "plugin",
    "cli",
    "runner",
    "harness",
    "casebook",
    "gateway",
    "generated",
    "parity",
    "schemathesis_hooks",
    "drift",
    "specdiff",
    "progress",
}


def _imports(path: Path) -> set[str]:
    """Project modules a file imports (first component under messages_conformance)."""
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    package_parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package_parts[: len(package_parts) - node.level + 1])
                module = ".".join([*base, *(node.module.split(".") if node.module else [])])
                names = [module] if node.module else [f"{module}.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
            found.update(names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {
        n.split(".")[1]
        for n in found
        if n.startswith("messages_conformance.") and n.count(".") >= 1
    }


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", _modules(PACKAGE / "gateway"), ids=lambda p: p.name)
def test_gateway_never_imports_the_checker(path: Path) -> None:
    assert _imports(path) <= {"gateway"}, f"{path.name} imports {_imports(path) - {'gateway'}}"


@pytest.mark.parametrize("name", sorted(CORE))
def test_core_imports_only_core(name: str) -> None:
    path = PACKAGE / f"{name}.py"
    if name == "rules":  # the catalogue gathers RULES from the core and the harness
        return
    imported = _imports(path)
    assert imported <= CORE, f"{name} imports edges/adapters: {imported - CORE}"


@pytest.mark.parametrize(
    "name", ["findings", "exchange", "spec", "sse", "stream", "semantics", "check"]
)
def test_core_does_no_network_io(name: str) -> None:
    text = (PACKAGE / f"{name}.py").read_text("utf-8")
    for forbidden in ("import httpx", "import requests", "import socket", "import vcr"):
        assert forbidden not in text, f"{name} has {forbidden!r}"


def test_every_module_is_placed_in_a_layer() -> None:
    names = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    names |= {"gateway"}
    assert names <= CORE | EDGES_AND_ADAPTERS, (
        f"unplaced modules: {names - CORE - EDGES_AND_ADAPTERS}"
    )

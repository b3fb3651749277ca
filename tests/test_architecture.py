"""The layout rules of ARCHITECTURE.md, enforced on the source text.

Each rule is a function over a package folder, so the same rule is shown failing on a small
temporary tree with a deliberately broken import (the tests at the bottom).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import messages_conformance

PACKAGE = Path(messages_conformance.__file__).resolve().parent
NAME = "messages_conformance"
MAX_LINES = 400

# subpackage -> the subpackages it may import (itself included)
LAYERS: dict[str, set[str]] = {
    "core": {"core"},
    "net": {"core", "net"},
    "recordings": {"core", "net", "recordings"},
    "reports": {"core", "recordings", "reports"},
    "transit": {"core", "net", "recordings", "transit"},
    "suite": {"core", "net", "recordings", "reports", "transit", "suite", "gateway"},
    "cli": {"core", "net", "recordings", "reports", "transit", "suite", "cli", "gateway"},
    "gateway": {"gateway"},
}
TOP_LEVEL = {  # the few modules at the top: the public API and historic import paths
    "__init__": {"core", "recordings", "suite"},  # suite: Harness, for users' own checks
    "__main__": {"cli"},
    "plugin": {"suite"},
    "schemathesis_hooks": {"suite"},
}
CHECKER = {"core", "net", "recordings", "reports", "transit"}  # the judging side: never the gateway
NETWORK = ("httpx", "requests", "socket", "urllib", "vcr", "uvicorn", "starlette")


def modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def dotted(root: Path, path: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(root: Path, path: Path) -> set[str]:
    """Every module a file imports (absolute dotted names), lazy imports inside functions too."""
    here = dotted(root, path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def project_modules(root: Path) -> set[str]:
    return {dotted(root, p) for p in modules(root)}


def layer_of(root: Path, path: Path) -> str:
    parts = path.relative_to(root).parts
    return parts[0] if len(parts) > 1 else path.stem


def imported_layers(root: Path, path: Path) -> set[str]:
    known = project_modules(root)
    layers = set()
    for name in imports(root, path) & known:
        parts = name.split(".")
        if len(parts) > 1:
            layers.add(parts[1])
    return layers


def layer_violations(root: Path) -> Iterator[str]:
    for path in modules(root):
        layer = layer_of(root, path)
        allowed = LAYERS.get(layer, TOP_LEVEL.get(layer))
        if allowed is None:
            yield f"{path.relative_to(root)}: in no layer (add it to ARCHITECTURE.md)"
            continue
        extra = imported_layers(root, path) - allowed - {layer}
        if extra:
            yield f"{path.relative_to(root)} ({layer}) imports {sorted(extra)}"


def network_violations(root: Path) -> Iterator[str]:
    for path in modules(root / "core"):
        for name in imports(root, path):
            if name.split(".")[0] in NETWORK:
                yield f"{path.relative_to(root)} imports {name} (the core does no I/O)"


def gateway_violations(root: Path) -> Iterator[str]:
    for path in modules(root):
        layer = layer_of(root, path)
        used = imported_layers(root, path)
        if layer == "gateway" and used - {"gateway"}:
            yield f"{path.relative_to(root)}: the gateway imports the checker {sorted(used)}"
        if layer in CHECKER and "gateway" in used:
            yield f"{path.relative_to(root)}: the checker imports the gateway"


def cycles(root: Path) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), over all project imports."""
    known = project_modules(root)
    graph = {dotted(root, p): imports(root, p) & known for p in modules(root)}
    for name, edges in graph.items():  # `from pkg import mod` names the package and the module
        graph[name] = {e for e in edges if e != name and not name.startswith(e + ".")}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def long_modules(root: Path) -> list[str]:
    return [
        f"{p.relative_to(root)}: {n} lines"
        for p in modules(root)
        if (n := len(p.read_text("utf-8").splitlines())) >= MAX_LINES
    ]


SOURCES = modules(PACKAGE)
LAYER_VIOLATIONS = list(layer_violations(PACKAGE))  # computed once, asserted per module
NETWORK_VIOLATIONS = list(network_violations(PACKAGE))
LONG_MODULES = long_modules(PACKAGE)


def _id(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


@pytest.mark.parametrize("path", SOURCES, ids=_id)
def test_every_module_keeps_to_its_layer(path: Path) -> None:
    assert [v for v in LAYER_VIOLATIONS if v.startswith(_id(path))] == []


@pytest.mark.parametrize("path", modules(PACKAGE / "core"), ids=_id)
def test_core_does_no_network_io(path: Path) -> None:
    assert [v for v in NETWORK_VIOLATIONS if v.startswith(_id(path))] == []


def test_gateway_and_checker_never_import_each_other() -> None:
    assert list(gateway_violations(PACKAGE)) == []


def test_no_import_circle() -> None:
    assert cycles(PACKAGE) == []


@pytest.mark.parametrize("path", SOURCES, ids=_id)
def test_no_module_reaches_the_size_limit(path: Path) -> None:
    assert [v for v in LONG_MODULES if v.startswith(_id(path) + ":")] == []


def test_every_subpackage_says_what_it_holds() -> None:
    for layer in LAYERS:
        doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text("utf-8")))
        assert doc and "import" in doc, f"{layer}/__init__.py must say what it may import"


def test_historic_import_paths_still_work() -> None:
    import importlib

    plugin = importlib.import_module(f"{NAME}.plugin")
    hooks = importlib.import_module(f"{NAME}.schemathesis_hooks")
    assert plugin is importlib.import_module(f"{NAME}.suite.plugin")
    assert hooks is importlib.import_module(f"{NAME}.suite.schemathesis_hooks")
    assert messages_conformance.check_exchange.__module__ == f"{NAME}.core.check"


# --- each rule fails on a deliberately broken tree -------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / NAME
    for layer in [*LAYERS, ""]:
        (root / layer).mkdir(parents=True, exist_ok=True)
        (root / layer / "__init__.py").write_text('"""May import: nothing."""\n')
    for name, text in files.items():
        (root / name).write_text(text)
    return root


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    return _tree(
        tmp_path,
        {
            "core/sse.py": "import httpx\n",
            "core/check.py": "from ..net.transport import send\nfrom . import stream\n",
            "core/stream.py": "def f():\n    from .check import x\n",
            "net/transport.py": "x = 1\n",
            "reports/html.py": "from messages_conformance.gateway import app\n",
            "gateway/app.py": "from ..core.findings import Finding\n",
            "core/findings.py": "x = 1\n" * MAX_LINES,
        },
    )


def test_a_core_module_importing_httpx_is_caught(broken: Path) -> None:
    assert list(network_violations(broken)) == ["core/sse.py imports httpx (the core does no I/O)"]


def test_a_core_module_importing_an_edge_is_caught(broken: Path) -> None:
    assert "core/check.py (core) imports ['net']" in list(layer_violations(broken))


def test_the_gateway_and_the_checker_importing_each_other_are_caught(broken: Path) -> None:
    found = list(gateway_violations(broken))
    assert any(v.startswith("gateway/app.py: the gateway imports the checker") for v in found)
    assert "reports/html.py: the checker imports the gateway" in found


def test_two_modules_importing_each_other_are_caught(broken: Path) -> None:
    assert cycles(broken) == [[f"{NAME}.core.check", f"{NAME}.core.stream"]]


def test_a_long_module_is_caught(broken: Path) -> None:
    assert long_modules(broken) == [f"core/findings.py: {MAX_LINES} lines"]


def test_a_clean_tree_has_no_violations(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"core/sse.py": "from . import findings\n", "core/findings.py": ""})
    assert list(layer_violations(root)) == list(network_violations(root)) == []
    assert cycles(root) == [] and long_modules(root) == []

"""The gateway is an independent implementation: stdlib, starlette and uvicorn only (and httpx
for the reference proxy's upstream leg, in its `proxy*` modules)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import messages_conformance.gateway as gateway

PACKAGE = Path(gateway.__file__).parent
ALLOWED = {"starlette", "uvicorn"}
PROXY_ALLOWED = ALLOWED | {"httpx"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_gateway_imports_only_stdlib_starlette_uvicorn() -> None:
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) > 5
    for path in files:
        for module in _imports(path):
            top = module.split(".")[0]
            allowed = PROXY_ALLOWED if path.name.startswith("proxy") else ALLOWED
            assert top in sys.stdlib_module_names or top in allowed, f"{path.name} imports {module}"


def test_public_api() -> None:
    assert set(gateway.__all__) == {
        "DEFAULT_API_KEY",
        "DEFAULT_MODELS",
        "FAULTS",
        "GatewayConfig",
        "GatewayProcess",
        "RunningGateway",
        "UnknownFault",
        "create_app",
        "serve_in_process",
        "serve_in_thread",
    }
    for name in gateway.__all__:
        assert hasattr(gateway, name)

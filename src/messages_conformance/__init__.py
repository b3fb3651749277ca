"""messages-conformance: contract tests for the Anthropic-format POST /v1/messages.

The public API is the checker core: check an exchange, read recordings, list the rules; and
`Harness`, the `mconf` fixture a pytest project's own checks use (README, "Your own checks").

    from messages_conformance import check_exchange, load_exchanges
    for exchange in load_exchanges(Path("cassette.yaml")):
        for finding in check_exchange(exchange).findings:
            print(finding)

PYTEST_DONT_REWRITE: `mconf run` imports this package before pytest starts; pytest (which
rewrites the asserts of plugin packages) must not warn that it cannot.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers see; at run time each name is imported on first use
    from .core.check import CheckResult, check_exchange
    from .core.exchange import Exchange, Request, Response
    from .core.findings import Finding, Rule, Severity
    from .core.rules import all_rules
    from .core.spec import Spec
    from .recordings.cassette import UnusableInput, load_exchanges
    from .suite.harness import Harness

__all__ = [
    "CheckResult",
    "Exchange",
    "Finding",
    "Harness",
    "Request",
    "Response",
    "Rule",
    "Severity",
    "Spec",
    "UnusableInput",
    "all_rules",
    "check_exchange",
    "load_exchanges",
]

_HOMES = {
    "UnusableInput": "recordings.cassette",
    "load_exchanges": "recordings.cassette",
    "CheckResult": "core.check",
    "check_exchange": "core.check",
    "Exchange": "core.exchange",
    "Request": "core.exchange",
    "Response": "core.exchange",
    "Finding": "core.findings",
    "Rule": "core.findings",
    "Severity": "core.findings",
    "all_rules": "core.rules",
    "Spec": "core.spec",
    "Harness": "suite.harness",
}


def __getattr__(name: str) -> object:
    """Lazy (PEP 562): importing one module, e.g. the gateway or spec, loads nothing else."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

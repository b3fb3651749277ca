"""messages-conformance: contract tests for the Anthropic-format POST /v1/messages.

The public API is the checker core: check an exchange, read recordings, list the rules.

    from messages_conformance import check_exchange, load_exchanges
    for exchange in load_exchanges(Path("cassette.yaml")):
        for finding in check_exchange(exchange).findings:
            print(finding)
"""

from .cassette import UnusableInput, load_exchanges
from .check import CheckResult, check_exchange
from .exchange import Exchange, Request, Response
from .findings import Finding, Rule, Severity
from .rules import all_rules
from .spec import Spec

__all__ = [
    "CheckResult",
    "Exchange",
    "Finding",
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

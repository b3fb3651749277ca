"""The rule catalogue: every rule id the checks and suites can report, in one explicit registry."""

from __future__ import annotations

from typing import Any

from . import bodies, check, expectations, pacing, semantics, spec, stream_rules, transit
from .findings import Rule

_MODULES = (spec, stream_rules, semantics, check, bodies, pacing, expectations, transit)


def all_rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for module in _MODULES:
        for rule in module.RULES:
            rules[rule.id] = rule
    return dict(sorted(rules.items()))


def catalogue() -> dict[str, dict[str, Any]]:
    """rule id -> {severity, description}: what report.json carries."""
    return {
        r.id: {"severity": str(r.severity), "description": r.description}
        for r in all_rules().values()
    }


def lookup(rule_id: str) -> Rule:
    rules = all_rules()
    if rule_id not in rules:
        raise KeyError(f"unknown rule id {rule_id!r}; `mconf rules` lists the known ones")
    return rules[rule_id]


def render_markdown() -> str:
    lines = ["# Rule catalogue", "", "| rule | severity | what it checks |", "|---|---|---|"]
    lines += [f"| `{r.id}` | {r.severity} | {r.description} |" for r in all_rules().values()]
    return "\n".join(lines) + "\n"

"""The terminal's problem list (reports/problem_list): failing generated examples, at most one
curl line per problem, for the first few problems only, never one already shown."""

from __future__ import annotations

from typing import Any

from messages_conformance.reports.problem_list import (
    EXAMPLES_SHOWN,
    TERMINAL_CURL,
    annotate,
    problem_lines,
)


def case(n: int, rule: str, curls: list[str]) -> dict[str, Any]:
    finding = {"rule": rule, "severity": "error", "location": f"/f{n}", "message": "m"}
    examples = [{"rules": [rule], "curl": c, "request": {}, "response": {}} for c in curls]
    return {
        "id": f"test_generated.py::test_positive[case {n}]",
        "outcome": "failed",
        "findings": [{**finding, "exchange": 0}],
        "status": 200,
        "exchanges": 1,
        "request": {"method": "POST", "url": "http://gw/v1/messages", "headers": {}, "body": "{}"},
        "examples": examples,
    }


def report(cases: list[dict[str, Any]]) -> dict[str, Any]:
    built: dict[str, Any] = {"cases": cases, "rules": {}, "target": {"key_env": "KEY"}}
    annotate(built)
    return built


def examples_shown(lines: list[str]) -> list[str]:
    return [line.split("): ", 1)[1] for line in lines if "failing example (" in line]


def test_one_example_per_problem_the_shortest_that_is_not_the_reproduce_line() -> None:
    short, longer = (
        "curl -X POST 'http://gw/a' -d '{}'",
        "curl -X POST 'http://gw/b' -d '{\"x\": 1}'",
    )
    built = report([case(1, "schema.message", [longer, short, "curl " + "x" * TERMINAL_CURL])])
    assert examples_shown(problem_lines(built)) == [short]
    built["problems"][0]["reproduce"] = short  # shown already: the next shortest
    assert examples_shown(problem_lines(built)) == [longer]


def test_examples_only_for_the_first_problems_and_none_for_other_rules() -> None:
    rules = [f"rule.r{n}" for n in range(EXAMPLES_SHOWN + 2)]
    cases = [case(n, rule, [f"curl 'http://gw/{n}'"]) for n, rule in enumerate(rules)]
    cases.append(case(99, "rule.other", []))
    cases[-1]["examples"] = [{"rules": ["rule.unrelated"], "curl": "curl 'http://gw/u'"}]
    lines = problem_lines(report(cases))
    assert len(examples_shown(lines)) == EXAMPLES_SHOWN
    assert "curl 'http://gw/u'" not in "\n".join(lines)


def test_a_report_without_examples_prints_no_example_line() -> None:
    built = report([case(1, "schema.message", [])])
    assert examples_shown(problem_lines(built)) == []
    assert any(line.startswith("     reproduce: curl ") for line in problem_lines(built))

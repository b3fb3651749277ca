"""The first screen of every report: the numbered problem list, what the run spent, and the
generated suite's score; for the terminal, summary.md and report.html.

``annotate`` adds ``problems`` (core.problems grouping) to a report and marks every counted
finding with its problem's number; the totals of findings stay as they were. The renderers
read only the report, so they work on any report.json, old or new.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..core.problems import Problem, group, totals
from ..core.reproduction import curl
from ..core.spend import against
from .generation import line as generation_line

Report = Mapping[str, Any]
TERMINAL_CURL = 400  # longer reproductions are left to summary.md / report.html
EXAMPLES_SHOWN = 3  # problems the terminal gives a failing generated example's curl line


# ---------------------------------------------------------------- report.json


def annotate(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Group the report's findings into problems; store them and return them. ``cases`` may be
    a list (annotated in place) or any re-iterable (a run's spool: read twice here, and every
    later pass gets each counted finding's ``problem`` number as it is read)."""
    cases = report.get("cases", [])
    titles = {rule: str(v.get("description", "")) for rule, v in report.get("rules", {}).items()}
    key_var = str(report.get("target", {}).get("key_env") or "API_KEY")
    problems = group(cases, titles)
    firsts = {p.first.case for p in problems}
    chosen = {c: case for c, case in enumerate(cases) if c in firsts}
    listed = [_problem(n, p, chosen, key_var) for n, p in enumerate(problems, 1)]
    numbers = {(m.case, m.finding): n for n, p in enumerate(problems, 1) for m in p.members}
    if isinstance(cases, list):
        for _ in _number(enumerate(cases), numbers):
            pass
    else:
        report["cases"] = Numbered(cases, numbers)
    report["problems"] = listed
    report["problem_totals"] = totals(problems)
    return listed


class Numbered:
    """A run's cases (any re-iterable), each counted finding with its ``problem`` number."""

    def __init__(self, cases: Iterable[dict[str, Any]], numbers: dict[tuple[int, int], int]):
        self.cases = cases
        self.numbers = numbers

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return _number(enumerate(self.cases), self.numbers)


def _number(
    cases: Iterable[tuple[int, dict[str, Any]]], numbers: Mapping[tuple[int, int], int]
) -> Iterator[dict[str, Any]]:
    for c, case in cases:
        for i, finding in enumerate(case.get("findings") or []):
            if (c, i) in numbers:
                finding["problem"] = numbers[(c, i)]
        yield case


def _problem(
    number: int, problem: Problem, cases: Mapping[int, Any], key_var: str
) -> dict[str, Any]:
    first = problem.first
    case = cases[first.case]
    finding = case["findings"][first.finding]
    example = _example(case, finding)
    return {
        "number": number,
        "key": problem.key,
        "severity": problem.severity,
        "title": problem.title,
        "rules": problem.rules,
        "cases": len(problem.cases),
        "case_ids": problem.cases[:50],
        "responses": problem.responses,
        "findings": len(problem.members),
        "folded": problem.folded,
        "everywhere": problem.everywhere,
        "first": _evidence(case, finding),
        "example": example,
        "reproduce": curl(example["request"], key_var) if example.get("request") else None,
    }


def _example(case: Mapping[str, Any], finding: Mapping[str, Any]) -> dict[str, Any]:
    """The request and response the first finding is about (else the case's last one)."""
    for example in case.get("excerpts") or []:
        if example.get("exchange") == finding.get("exchange"):
            return {"request": example.get("request"), "response": example.get("response")}
    return {"request": case.get("request"), "response": case.get("response")}


def _evidence(case: Mapping[str, Any], finding: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "case": case.get("id"),
        "rule": finding.get("rule"),
        "location": finding.get("location"),
        "message": finding.get("message"),
        "expected": finding.get("expected"),
        "received": finding.get("received"),
    }


# ---------------------------------------------------------------- shared text


def headline(problem: Mapping[str, Any]) -> str:
    """``error: <title> (11 cases, 23 responses)`` or, everywhere, ``on every response: ...``."""
    where = "on every response: " if problem.get("everywhere") else ""
    counts = f"{problem['cases']} case{'s' if problem['cases'] != 1 else ''}"
    if problem.get("responses", 0) != problem["cases"]:
        counts += f", {problem['responses']} responses"
    return f"{where}{str(problem['title']).rstrip('.')} ({counts})"


def first_text(problem: Mapping[str, Any]) -> str:
    first = problem.get("first") or {}
    text = f"{_short(first.get('case'))}: {first.get('rule')}"
    if first.get("location"):
        text += f" at {first['location']}"
    if first.get("received") is not None:
        text += f", received {first['received']}"
    elif first.get("message"):
        text += f": {first['message']}"
    return " ".join(text.split())[:300]


def _short(case_id: Any) -> str:
    path, sep, rest = str(case_id or "").partition("::")
    stem = path.rsplit("/", 1)[-1].removesuffix(".py")
    return f"{stem}{sep}{rest}" if sep else stem


def spend_line(report: Report) -> str:
    """``41 requests (of 100), tokens in ...``; a replayed run says it sent nothing."""
    spend = report.get("spend") or {}
    line = against(spend.get("total") or {}, spend.get("budgets") or {})
    replayed = (report.get("target") or {}).get("mode") == "replay"
    return f"replayed from cassettes, nothing sent: {line}" if replayed else line


def suite_spend_line(report: Report) -> str | None:
    """``auth 4 req (in 40 / out 12), scenarios ...``: the spend of each suite, on one line."""
    suites = (report.get("spend") or {}).get("suites") or {}
    parts = [
        f"{name} {s.get('requests', 0):,} req (in {s.get('input_tokens', 0):,} / out "
        f"{s.get('output_tokens', 0):,}, cache {s.get('cache_write_tokens', 0):,} / "
        f"{s.get('cache_read_tokens', 0):,})"
        for name, s in suites.items()
    ]
    return ", ".join(parts) or None


# ---------------------------------------------------------------- terminal


def problem_lines(report: Report, shown: int | None = None) -> list[str]:
    """The terminal's summary of problems (one numbered entry per root cause, the first
    ``shown`` of them), with the rules behind each."""
    problems = report.get("problems") or []
    sums = report.get("problem_totals") or {}
    if not problems:
        return ["mconf: no problems (no unwaived errors or warnings)"]
    lines = [
        f"mconf: {len(problems)} problem(s) to fix ({sums.get('findings', 0)} findings, "
        f"{sums.get('folded', 0)} folded under their cause):"
    ]
    examples = _examples_by_case(report.get("cases"))
    given = 0  # problems given an example line so far (EXAMPLES_SHOWN at most)
    for problem in problems[:shown]:
        rules = ", ".join(problem.get("rules") or [])
        head = f"  {problem['number']}. {problem['severity']}: {headline(problem)}"
        lines.append(f"{head} [{rules}]" if rules else head)
        if problem.get("everywhere") and problem["severity"] == "warning":
            continue  # one line: it is on every response
        lines.append(f"     first: {first_text(problem)}")
        reproduce = problem.get("reproduce")
        if reproduce and len(reproduce) <= TERMINAL_CURL:
            lines.append(f"     reproduce: {reproduce}")
        elif reproduce:
            lines.append("     reproduce: the curl line is in summary.md and report.html")
        example = failing_example(problem, examples) if given < EXAMPLES_SHOWN else None
        if example:
            given += 1
            lines.append(f"     failing example ({_short(example[0])}): {example[1]}")
    if shown is not None and len(problems) > shown:
        lines.append(f"  … and {len(problems) - shown} more in summary.md and report.html")
    return lines


def _examples_by_case(cases: Any) -> dict[str, list[Mapping[str, Any]]]:
    """The failing generated examples (suite/examples) of the cases a report holds as a list
    (the terminal's: the cases that did not pass)."""
    if not isinstance(cases, list):
        return {}
    return {str(c.get("id")): list(c["examples"]) for c in cases if c.get("examples")}


def failing_example(
    problem: Mapping[str, Any], examples: Mapping[str, list[Mapping[str, Any]]]
) -> tuple[str, str] | None:
    """(case id, curl line) of a failing generated example of ``problem``: one that broke one
    of its rules, in one of its cases, short enough for the terminal and not its reproduce line
    already shown; the shortest, else the first. None when there is none."""
    rules = set(problem.get("rules") or ())
    fits = [
        (len(str(e["curl"])), case_id, str(e["curl"]))
        for case_id in problem.get("case_ids") or []
        for e in examples.get(str(case_id), ())
        if rules & set(e.get("rules") or ())
        and e.get("curl")
        and e["curl"] != problem.get("reproduce")
        and len(str(e["curl"])) <= TERMINAL_CURL
    ]
    if not fits:
        return None
    _, case_id, line = min(fits, key=lambda fit: fit[0])
    return case_id, line


# ---------------------------------------------------------------- summary.md


def markdown(report: Report, md: Any) -> list[str]:
    """The problem list, spend and generated score as Markdown (``md`` escapes table text)."""
    problems = report.get("problems") or []
    sums = report.get("problem_totals") or {}
    lines = ["", f"### Problems to fix: {len(problems)}", ""]
    if not problems:
        lines.append("None: no unwaived errors or warnings.")
    for p in problems:
        lines.append(f"{p['number']}. **{p['severity']}**: {md(headline(p))}")
        if p.get("everywhere") and p["severity"] == "warning":
            continue
        lines.append(f"   - first: {md(first_text(p))}")
        lines.append(f"   - rules: {', '.join(f'`{r}`' for r in p['rules'])}; {_folded(p)}")
        if p.get("reproduce"):
            lines += ["   - reproduce:", "", "     ```sh", f"     {p['reproduce']}", "     ```"]
    if problems:
        n = len(problems)
        lines += ["", f"{sums.get('findings', 0)} findings in {n} problem{'s' if n != 1 else ''}."]
    lines += ["", f"Spend: {md(spend_line(report))}."]
    lines += _spend_table(report)
    score = generation_line(report)
    return lines + (["", f"Generated suite: {md(score)}."] if score else [])


def _folded(problem: Mapping[str, Any]) -> str:
    n, folded = problem["findings"], problem["folded"]
    return f"{n} finding{'s' if n != 1 else ''}" + (f", {folded} folded" if folded else "")


def _spend_table(report: Report) -> list[str]:
    suites = (report.get("spend") or {}).get("suites") or {}
    if not suites:
        return []
    lines = [
        "",
        "| suite | requests | input tokens | output tokens | cache write | cache read |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in suites.items():
        cells = [s.get(k, 0) for k in SPEND_KEYS]
        lines.append(f"| {name} | " + " | ".join(f"{c:,}" for c in cells) + " |")
    return lines


SPEND_KEYS = (
    "requests",
    "input_tokens",
    "output_tokens",
    "cache_write_tokens",
    "cache_read_tokens",
)


# ---------------------------------------------------------------- report.html


def html_section(report: Report) -> str:
    """The first screen of report.html: the problem list, then spend and the generated score."""
    problems = report.get("problems") or []
    items = "".join(_html_item(p) for p in problems) or (
        '<li class="none">No problems: no unwaived errors or warnings.</li>'
    )
    score = generation_line(report)
    extra = f'<div class="muted">generated: {_esc(score)}</div>' if score else ""
    per_suite = suite_spend_line(report)
    suites = f"<div>per suite: {_esc(per_suite)}</div>" if per_suite else ""
    return (
        f'<section class="problems" id="problems"><h2>Problems to fix '
        f'<span class="muted">{len(problems)}, one per root cause</span></h2>'
        f'<ol class="problems">{items}</ol><details class="spend muted"><summary>spend: '
        f"{_esc(spend_line(report))}</summary>{suites}</details>{extra}</section>"
    )


def _html_item(p: Mapping[str, Any]) -> str:
    badge = f'<span class="badge b-{_esc(p["severity"])}">{_esc(p["severity"])}</span>'
    head = f"{badge} <b>{_esc(headline(p))}</b>"
    if p.get("everywhere") and p["severity"] == "warning":
        return f'<li class="problem">{head}</li>'
    rules = ", ".join(f"<code>{_esc(r)}</code>" for r in p["rules"])
    reproduce = ""
    if p.get("reproduce"):
        reproduce = (
            '<details class="reproduce"><summary>reproduce (curl)</summary>'
            f"<pre>{_esc(p['reproduce'])}</pre></details>"
        )
    return (
        f'<li class="problem">{head} <span class="muted">{rules}; {_esc(_folded(p))}</span>'
        f'<div class="first">first: {_esc(first_text(p))}</div>{reproduce}</li>'
    )


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)

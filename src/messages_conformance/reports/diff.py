"""Regression diff between two runs: ``mconf diff OLD NEW [--format markdown|json]``.

What counts as a regression, a fix or drift: changes.py. The exit status is 1 on regressions,
2 (one line on stderr) on an unusable report, 0 otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .changes import (
    CHANGE_FIELDS,
    Diff,
    Drift,
    HeaderChange,
    ProblemChange,
    RuleChange,
    StatusChange,
)
from .markdown import md
from .views import case_label, one_line

__all__ = ["render_markdown", "to_json"]


def to_json(diff: Diff) -> dict[str, Any]:
    """The diff as plain JSON values (tuples become lists)."""
    data: dict[str, Any] = {
        "old": diff.old,
        "new": diff.new,
        "has_regressions": diff.has_regressions,
    }
    for name in CHANGE_FIELDS:
        data[name] = _plain(getattr(diff, name))
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def render_markdown(diff: Diff) -> str:
    """A short Markdown report: regressions first, then fixes, drift and changes."""
    verdict = "REGRESSIONS" if diff.has_regressions else "NO REGRESSIONS"
    lines = [f"## mconf diff: {verdict}", "", f"Old: {md(diff.old)}  ", f"New: {md(diff.new)}"]
    if diff.is_empty:
        return "\n".join([*lines, "", "No changes."]) + "\n"
    lines += _problem_section("New problems", diff.new_problems)
    lines += _problem_section("Problems gone", diff.gone_problems)
    lines += _rule_section("Regressions", diff.regressions)
    lines += _list_section("Cases that started failing without a new rule", _unexplained(diff))
    lines += _rule_section("Fixed", diff.fixed)
    lines += _drift_section("New notices (drift)", diff.new_notices)
    lines += _drift_section("Vanished notices", diff.vanished_notices)
    lines += _status_section(diff.status_changes)
    lines += _header_section(diff.header_changes)
    lines += _list_section("Waivers that can go", diff.waivers_to_drop)
    lines += _list_section("Cases added", [case_label(c) for c in diff.cases_added])
    lines += _list_section("Cases removed", [case_label(c) for c in diff.cases_removed])
    return "\n".join(lines) + "\n"


def _unexplained(diff: Diff) -> list[str]:
    """Newly failing cases not already listed under a regressed rule."""
    listed = {case for change in diff.regressions for case in change.cases}
    return [case_label(c) for c in diff.broken_cases if c not in listed]


def _cases_text(cases: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(md(case_label(c)) for c in cases[:limit])
    return shown + (f" and {len(cases) - limit} more" if len(cases) > limit else "")


def _rule_section(title: str, changes: Sequence[RuleChange]) -> list[str]:
    if not changes:
        return []
    lines = [
        "",
        f"### {title} ({len(changes)})",
        "",
        "| rule | cases | evidence |",
        "|---|---|---|",
    ]
    lines += [f"| `{c.rule}` | {_cases_text(c.cases)} | {md(c.evidence)} |" for c in changes]
    return lines


def _drift_section(title: str, drifts: Sequence[Drift]) -> list[str]:
    if not drifts:
        return []
    lines = ["", f"### {title} ({len(drifts)})", "", "| rule | location | received | cases |"]
    lines.append("|---|---|---|---|")
    for d in drifts:
        received = md(one_line(d.received, 80)) if d.received is not None else ""
        lines.append(f"| `{d.rule}` | {md(d.location)} | {received} | {_cases_text(d.cases)} |")
    return lines


def _status_section(changes: Sequence[StatusChange]) -> list[str]:
    if not changes:
        return []
    lines = ["", f"### Status codes changed ({len(changes)})", "", "| case | old | new |"]
    lines.append("|---|---:|---:|")
    lines += [f"| {md(case_label(c.case))} | {c.old} | {c.new} |" for c in changes]
    return lines


def _header_section(changes: Sequence[HeaderChange]) -> list[str]:
    if not changes:
        return []
    lines = ["", f"### Response header names changed ({len(changes)})", ""]
    lines += ["| case | added | removed |", "|---|---|---|"]
    for c in changes:
        lines.append(
            f"| {md(case_label(c.case))} | {md(', '.join(c.added))} | {md(', '.join(c.removed))} |"
        )
    return lines


def _list_section(title: str, items: Sequence[str]) -> list[str]:
    if not items:
        return []
    shown = [f"- {md(item)}" for item in items[:20]]
    more = [f"- … and {len(items) - 20} more"] if len(items) > 20 else []
    return ["", f"### {title} ({len(items)})", "", *shown, *more]


# ---------------------------------------------------------------- command


def _problem_section(title: str, problems: Sequence[ProblemChange]) -> list[str]:
    if not problems:
        return []
    lines = ["", f"### {title} ({len(problems)})", ""]
    for p in problems:
        cases = f"{p.cases} case{'s' if p.cases != 1 else ''}"
        key = p.key.replace("`", "'")
        lines.append(f"- **{p.severity}**: {md(p.title.rstrip('.'))} ({cases}) `{key}`")
    return lines

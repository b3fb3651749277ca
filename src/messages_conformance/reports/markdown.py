"""``summary.md``: the Markdown summary of one run, short even for big reports.

For a CI job summary or a PR comment; ``md`` (a table cell made safe) is shared with the
diff and matrix Markdown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from . import problem_list
from .timeline import timing_lines
from .views import (
    CASE_KEYS,
    Report,
    case_label,
    evidence,
    is_failing,
    iter_findings,
    one_line,
    target_text,
)

__all__ = ["TOP_RULES", "md", "render_summary", "rule_table"]

TOP_RULES = 10


def render_summary(report: Report) -> str:
    """Markdown for a CI job summary or PR comment (short even for big reports)."""
    lines = [*_summary_head(report), *problem_list.markdown(report, md), *_summary_counts(report)]
    lines += [*_summary_rules(report), *_summary_failed_cases(report)]
    lines += _summary_waivers(report.get("waivers", []))
    lines += timing_lines(report)
    notices = report.get("counts", {}).get("findings", {}).get("notice", 0)
    lines += ["", f"Notices (drift, never fail a run): {notices}. Details: `report.html`."]
    return "\n".join(lines) + "\n"


def _summary_head(report: Report) -> list[str]:
    verdict = str(report.get("verdict", "error")).upper()
    return [
        f"## messages-conformance: {verdict}",
        "",
        f"Target: {md(target_text(report))}; mode: {md(report.get('target', {}).get('mode', '?'))}",
    ]


def _summary_counts(report: Report) -> list[str]:
    counts = report.get("counts", {})
    sev = counts.get("findings", {})
    return [
        "",
        "| cases | passed | failed | skipped | errors | error findings | warnings | notices |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        "| "
        + " | ".join(str(counts.get(k, 0)) for k in CASE_KEYS)
        + " | "
        + " | ".join(str(sev.get(k, 0)) for k in ("error", "warning", "notice"))
        + " |",
    ]


def _summary_rules(report: Report) -> list[str]:
    ranked = rule_table(report)
    if not ranked:
        return ["", "No unwaived error or warning findings."]
    lines = ["", "### Top failing rules (errors, then warnings)", ""]
    lines.append("| rule | severity | count | evidence |")
    lines.append("|---|---|---:|---|")
    for rule, severity, count, proof in ranked[:TOP_RULES]:
        lines.append(f"| `{rule}` | {severity} | {count} | {md(proof)} |")
    if len(ranked) > TOP_RULES:
        lines.append(f"\n… and {len(ranked) - TOP_RULES} more rules (see report.html).")
    return lines


def rule_table(report: Report) -> list[tuple[str, str, int, str]]:
    """(rule, severity, count, first evidence) of unwaived errors and warnings, worst first."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[str, str]] = {}
    for case, finding in iter_findings(report):
        if finding.get("waived") or finding.get("severity") not in ("error", "warning"):
            continue
        counts[finding["rule"]] += 1
        first.setdefault(finding["rule"], (finding["severity"], evidence(case, finding)))
    rows = [(rule, first[rule][0], n, first[rule][1]) for rule, n in counts.items()]
    return sorted(rows, key=lambda r: (r[1] != "error", -r[2], r[0]))


def _summary_failed_cases(report: Report) -> list[str]:
    bare: list[Mapping[str, Any]] = []  # the first five, and how many in all
    count = 0
    for c in report.get("cases", []):
        if c.get("outcome") in ("failed", "error") and not any(map(is_failing, c["findings"])):
            count += 1
            if len(bare) < 5:
                bare.append(c)
    if not bare:
        return []
    shown = ", ".join(f"`{case_label(c['id'])}`" for c in bare)
    more = f" and {count - 5} more" if count > 5 else ""
    lines = ["", f"Failed without a rule finding: {count} case(s): {shown}{more}."]
    if bare[0].get("failure"):
        lines.append(f"First failure: {md(one_line(bare[0]['failure']))}")
    return lines


def _summary_waivers(waivers: Iterable[Mapping[str, Any]]) -> list[str]:
    stale = [w for w in waivers if not w.get("matched")]
    if not stale:
        return []
    lines = ["", "### Waivers that can go", ""]
    lines += [f"- `{w['rule']}`: {md(one_line(w.get('reason', '')))}" for w in stale[:10]]
    return lines


def md(text: Any) -> str:
    """Text safe inside a Markdown table cell (no HTML, no table breaks, no emphasis)."""
    flat = " ".join(str(text).split())
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in flat)


_MD_SPECIAL = frozenset("\\`*_[]<>|~")

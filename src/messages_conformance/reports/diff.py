"""Regression diff between two runs: ``mconf diff OLD NEW [--format markdown|json]``.

What counts (per the severity policy in ARCHITECTURE.md):

- a *regression* is a rule with unwaived error findings in NEW but none in OLD, or a case
  that passed in OLD and failed (or errored) in NEW; either makes the exit status 1;
- *fixed* is the reverse;
- *drift* is a notice (rule + location + received value) that appeared or vanished;
- status-code changes and response header *names* added/removed per case (volatile
  headers such as ``date``, ``request-id``, ``cf-ray`` and rate-limit values are ignored);
- a *waiver that can go* is a NEW waiver whose rule had findings in OLD and has none in NEW
  (``summary.md`` of one run lists the waivers that matched nothing at all).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .report import (
    UnusableReport,
    case_label,
    evidence,
    is_failing,
    iter_findings,
    load_report,
    md,
    one_line,
)

__all__ = [
    "Diff",
    "Drift",
    "HeaderChange",
    "RuleChange",
    "StatusChange",
    "diff_main",
    "diff_reports",
    "render_markdown",
    "to_json",
]

Report = Mapping[str, Any]

VOLATILE_HEADERS = frozenset(
    {
        "date",
        "request-id",
        "x-request-id",
        "cf-ray",
        "cf-cache-status",
        "age",
        "expires",
        "set-cookie",
        "server-timing",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "via",
        "alt-svc",
        "retry-after",
        "x-envoy-upstream-service-time",
        "anthropic-organization-id",
    }
)
VOLATILE_PREFIXES = ("anthropic-ratelimit-", "x-ratelimit-", "ratelimit-")


@dataclass(frozen=True, slots=True)
class RuleChange:
    """A rule that started (regression) or stopped (fixed) failing, with its cases."""

    rule: str
    cases: tuple[str, ...]
    evidence: str


@dataclass(frozen=True, slots=True)
class Drift:
    """A notice identified by rule, location and received value."""

    rule: str
    location: str
    received: str | None
    cases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StatusChange:
    case: str
    old: int | None
    new: int | None


@dataclass(frozen=True, slots=True)
class HeaderChange:
    case: str
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Diff:
    old: str
    new: str
    regressions: tuple[RuleChange, ...] = ()
    broken_cases: tuple[str, ...] = ()
    fixed: tuple[RuleChange, ...] = ()
    repaired_cases: tuple[str, ...] = ()
    new_notices: tuple[Drift, ...] = ()
    vanished_notices: tuple[Drift, ...] = ()
    status_changes: tuple[StatusChange, ...] = ()
    header_changes: tuple[HeaderChange, ...] = ()
    waivers_to_drop: tuple[str, ...] = ()
    cases_added: tuple[str, ...] = ()
    cases_removed: tuple[str, ...] = ()

    @property
    def has_regressions(self) -> bool:
        return bool(self.regressions or self.broken_cases)

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in _CHANGE_FIELDS)


_CHANGE_FIELDS = (
    "regressions",
    "broken_cases",
    "fixed",
    "repaired_cases",
    "new_notices",
    "vanished_notices",
    "status_changes",
    "header_changes",
    "waivers_to_drop",
    "cases_added",
    "cases_removed",
)
_BAD = ("failed", "error")


# ---------------------------------------------------------------- computing


def diff_reports(old: Report, new: Report) -> Diff:
    """Everything that changed from ``old`` to ``new`` (see the module docstring)."""
    old_cases, new_cases = _cases(old), _cases(new)
    both = [cid for cid in new_cases if cid in old_cases]
    return Diff(
        old=label(old),
        new=label(new),
        regressions=_rule_changes(new, old),
        broken_cases=_outcome_changes(old_cases, new_cases, both),
        fixed=_rule_changes(old, new),
        repaired_cases=_outcome_changes(new_cases, old_cases, both),
        new_notices=_drift(new, old),
        vanished_notices=_drift(old, new),
        status_changes=tuple(_status_changes(old_cases, new_cases, both)),
        header_changes=tuple(_header_changes(old_cases, new_cases, both)),
        waivers_to_drop=_stale_waivers(old, new),
        cases_added=tuple(cid for cid in new_cases if cid not in old_cases),
        cases_removed=tuple(cid for cid in old_cases if cid not in new_cases),
    )


def label(report: Report) -> str:
    target = report.get("target", {})
    faults = "+".join(target.get("faults") or [])
    name = f"{target.get('name', '?')}[{faults}]" if faults else str(target.get("name", "?"))
    return f"{name} ({target.get('mode', '?')}, {report.get('started_at', '?')})"


def _cases(report: Report) -> dict[str, Mapping[str, Any]]:
    return {str(c["id"]): c for c in report.get("cases", [])}


def _failing_rules(report: Report) -> dict[str, list[tuple[Mapping[str, Any], Mapping[str, Any]]]]:
    rules: dict[str, list[tuple[Mapping[str, Any], Mapping[str, Any]]]] = {}
    for case, finding in iter_findings(report):
        if is_failing(finding):
            rules.setdefault(str(finding["rule"]), []).append((case, finding))
    return rules


def _rule_changes(now: Report, before: Report) -> tuple[RuleChange, ...]:
    """Rules failing in ``now`` and not in ``before``."""
    was = _failing_rules(before)
    changes = []
    for rule, hits in sorted(_failing_rules(now).items()):
        if rule not in was:
            cases = tuple(dict.fromkeys(str(c["id"]) for c, _ in hits))
            changes.append(RuleChange(rule, cases, evidence(*hits[0])))
    return tuple(changes)


def _outcome_changes(
    before: Mapping[str, Mapping[str, Any]], now: Mapping[str, Mapping[str, Any]], both: list[str]
) -> tuple[str, ...]:
    """Cases that passed in ``before`` and fail in ``now``."""
    return tuple(
        cid
        for cid in both
        if before[cid].get("outcome") == "passed" and now[cid].get("outcome") in _BAD
    )


def _notices(report: Report) -> dict[tuple[str, str, str | None], list[str]]:
    found: dict[tuple[str, str, str | None], list[str]] = {}
    for case, finding in iter_findings(report):
        if finding.get("severity") == "notice":
            key = (
                str(finding["rule"]),
                str(finding.get("location") or ""),
                finding.get("received"),
            )
            found.setdefault(key, []).append(str(case["id"]))
    return found


def _drift(now: Report, before: Report) -> tuple[Drift, ...]:
    was = _notices(before)
    return tuple(
        Drift(rule, location, received, tuple(dict.fromkeys(cases)))
        for (rule, location, received), cases in sorted(_notices(now).items(), key=_drift_key)
        if (rule, location, received) not in was
    )


def _drift_key(item: tuple[tuple[str, str, str | None], list[str]]) -> tuple[str, str, str]:
    (rule, location, received), _ = item
    return (rule, location, received or "")


def _status(case: Mapping[str, Any]) -> int | None:
    status = case.get("status")
    if status is None:
        status = (case.get("response") or {}).get("status")
    return status if isinstance(status, int) else None


def _status_changes(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]], both: list[str]
) -> Iterable[StatusChange]:
    for cid in both:
        before, now = _status(old[cid]), _status(new[cid])
        if before != now:
            yield StatusChange(cid, before, now)


def header_names(case: Mapping[str, Any]) -> frozenset[str] | None:
    """Stable response header names of a case (lower case), None when it has no response."""
    response = case.get("response")
    if not response:
        return None
    names = {str(name).lower() for name in (response.get("headers") or {})}
    return frozenset(
        n for n in names if n not in VOLATILE_HEADERS and not n.startswith(VOLATILE_PREFIXES)
    )


def _header_changes(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]], both: list[str]
) -> Iterable[HeaderChange]:
    for cid in both:
        before, now = header_names(old[cid]), header_names(new[cid])
        if before is None or now is None or before == now:
            continue
        yield HeaderChange(cid, tuple(sorted(now - before)), tuple(sorted(before - now)))


def _stale_waivers(old: Report, new: Report) -> tuple[str, ...]:
    """NEW waivers whose rule had findings in OLD and has none left in NEW."""
    before = {str(f["rule"]) for _, f in iter_findings(old)}
    now = {str(f["rule"]) for _, f in iter_findings(new)}
    rules = dict.fromkeys(str(w["rule"]) for w in new.get("waivers", []))
    return tuple(rule for rule in rules if rule in before and rule not in now)


# ---------------------------------------------------------------- rendering


def to_json(diff: Diff) -> dict[str, Any]:
    """The diff as plain JSON values (tuples become lists)."""
    data: dict[str, Any] = {
        "old": diff.old,
        "new": diff.new,
        "has_regressions": diff.has_regressions,
    }
    for name in _CHANGE_FIELDS:
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


def diff_main(argv: Sequence[str], stdout: IO[str], stderr: IO[str] | None = None) -> int:
    """``mconf diff OLD NEW [--format markdown|json]``: 1 on regressions, 2 on unusable input."""
    err = stderr or sys.stderr
    parser = argparse.ArgumentParser(prog="mconf diff", description="Compare two runs.")
    parser.add_argument("old", type=Path, help="old report.json or run folder")
    parser.add_argument("new", type=Path, help="new report.json or run folder")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    try:
        args = parser.parse_args(list(argv))
        diff = diff_reports(load_report(args.old), load_report(args.new))
    except SystemExit as exc:
        return int(exc.code or 0)
    except UnusableReport as exc:
        print(f"mconf diff: error: {exc}", file=err)
        return 2
    text = (
        json.dumps(to_json(diff), indent=2) + "\n"
        if args.format == "json"
        else render_markdown(diff)
    )
    stdout.write(text)
    return 1 if diff.has_regressions else 0

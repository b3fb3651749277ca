"""Changes between two runs (``diff_reports``): what ``mconf diff`` reports (diff.py).

What counts (per the severity policy in ARCHITECTURE.md):

- a *regression* is a rule with unwaived error findings in NEW but none in OLD, or a case
  that passed in OLD and failed (or errored) in NEW; either makes the exit status 1;
- *fixed* is the reverse;
- *drift* is a notice (rule + location + received value) that appeared or vanished;
- status-code changes and response header *names* added/removed per case (volatile
  headers such as ``date``, ``request-id``, ``cf-ray`` and rate-limit values are ignored);
- a *waiver that can go* is a NEW waiver whose rule had findings in OLD and has none in NEW
  (``summary.md`` of one run lists the waivers that matched nothing at all);
- *new* and *gone problems*: root causes (report.json ``problems``, docs/problems.md) in one run
  and not the other, by key (a report written before problems is grouped on reading).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..core.problems import group
from .views import Report, evidence, is_failing, iter_findings

__all__ = [
    "CHANGE_FIELDS",
    "VOLATILE_HEADERS",
    "Diff",
    "Drift",
    "HeaderChange",
    "ProblemChange",
    "RuleChange",
    "StatusChange",
    "diff_reports",
    "header_names",
    "label",
]

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
class ProblemChange:
    """A root cause present in one run and not in the other."""

    key: str
    severity: str
    title: str
    cases: int


@dataclass(frozen=True, slots=True)
class Diff:
    old: str
    new: str
    new_problems: tuple[ProblemChange, ...] = ()
    gone_problems: tuple[ProblemChange, ...] = ()
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
        return not any(getattr(self, name) for name in CHANGE_FIELDS)


CHANGE_FIELDS = (
    "new_problems",
    "gone_problems",
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
        new_problems=_problem_changes(new, old),
        gone_problems=_problem_changes(old, new),
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


def problems_of(report: Report) -> list[ProblemChange]:
    """A report's problems (report.json ``problems``; grouped here for an older report)."""
    listed = report.get("problems")
    if listed is None:
        rules = report.get("rules") or {}
        titles = {rule: str(v.get("description", "")) for rule, v in rules.items()}
        return [
            ProblemChange(p.key, p.severity, p.title, len(p.cases))
            for p in group(report.get("cases", []), titles)
        ]
    return [
        ProblemChange(str(p["key"]), str(p["severity"]), str(p["title"]), int(p["cases"]))
        for p in listed
    ]


def _problem_changes(now: Report, before: Report) -> tuple[ProblemChange, ...]:
    """Problems of ``now`` whose key ``before`` does not have."""
    was = {p.key for p in problems_of(before)}
    return tuple(p for p in problems_of(now) if p.key not in was)

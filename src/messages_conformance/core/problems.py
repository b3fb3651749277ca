"""Problems: a run's findings grouped by root cause, so a gateway team sees what to fix first.

The grouping model (docs/problems.md has the long form):

1. Only unwaived errors and warnings make problems. Notices (drift) and waived findings are
   counted apart; every finding keeps its place in report.json either way.
2. Every finding has a *cause*: a family and a subject (its normalised evidence).
   - ``field``: a response field that breaks the contract: ``schema.message`` / ``schema.event``
     and the rules that judge one field (``message.stop-reason-null``). The subject is the field's
     pointer with stream prefixes (``events[3]``, ``accumulated``, ``message``, ``delta``) and
     indexes dropped: ``stop_reason`` in a Message, a ``message_delta`` and an accumulated stream
     is one subject.
   - ``envelope``: error bodies that are not Anthropic error envelopes (``http.error-envelope``,
     ``schema.error``).
   - ``rejection``: a request that had to be refused was answered 2xx: ``request.invalid-accepted``,
     ``schema.request`` on an accepted request, and any status expectation that received a 2xx
     where it wanted a 4xx (unknown ``anthropic-version``, unknown beta, ...).
   - ``max-tokens``: ``message.max-tokens`` and ``behaviour.max-tokens``.
   - otherwise the family is the rule id and the subject its location with indexes as ``*``.
3. Restatements and consequences fold under a cause found in the same response (the same case
   when a finding does not say which response): a Schemathesis check restating one of our rules
   (RESTATES), a rule that reads a field already reported broken (DEPENDS: a stop_sequence rule
   reading an unknown stop_reason), a behaviour, message or client rule (a real SDK failing on
   the answer) over a response whose stream or
   status broke or that answered a request due to be refused (DOWNSTREAM), and a status
   expectation whose status was right but whose error type could not be read from a broken
   envelope. A folded finding is counted in its problem's
   ``findings`` and ``folded``, never listed as a problem of its own.
4. Order: errors before warnings, then more cases first, then the key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Record = Mapping[str, Any]
Unit = tuple[str, int | None]  # (case id, response index within the case or None)

FIELD_RULES = {"schema.message", "schema.event"}
FIELD_OF_RULE = {
    "message.stop-reason-null": "stop_reason",
    "stream.stop-reason-missing": "stop_reason",
}
NAMED = {
    "http.error-envelope": "envelope",
    "schema.error": "envelope",
    "request.invalid-accepted": "rejection",
    "schema.request": "rejection",
    "generated.negative_data_rejection": "rejection",
    "generated.missing_required_header": "rejection",
    "message.max-tokens": "max-tokens",
    "behaviour.max-tokens": "max-tokens",
}
TITLES = {
    "envelope": "error bodies are not Anthropic error envelopes",
    "rejection": "requests that must be refused are answered 2xx",
    "max-tokens": "max_tokens is not honoured",
}
# rules whose findings carry "expected <status> <type>" / "<status> <type>" (harness.expect_status)
STATUS_RULES = {
    "auth.missing-key",
    "auth.wrong-key",
    "auth.bearer",
    "version.missing",
    "version.unknown",
    "beta.empty",
    "beta.unknown",
    "request.invalid-status",
    "request.too-large",
    "model.unknown",
    "status.expected",
}
RESTATES: dict[str, tuple[str, ...]] = {  # Schemathesis checks restating our rules
    "generated.response_schema_conformance": ("field:", "envelope", "sse.", "stream."),
    "generated.content_type_conformance": ("http.content-type", "http.stream-not-sse"),
}
DEPENDS: dict[str, tuple[str, ...]] = {  # rules reading a field: they fold under that field
    "message.stop-sequence": ("field:stop_reason", "field:stop_sequence"),
    "message.stop-sequence-key-missing": ("field:stop_sequence",),
    "behaviour.max-tokens": ("field:stop_reason",),
    "message.max-tokens": ("field:usage",),
    "message.max-tokens-stop": ("field:stop_reason", "field:usage"),
    "message.input-tokens-zero": ("field:usage",),
}
# causes after which a response's content can't be judged: its behaviour/message rules fold
# (with a failed status and an accepted invalid request, see _voids_content)
BROKEN = ("transport.", "sse.", "stream.", "http.stream-not-sse", "http.body-not-json")
DOWNSTREAM = ("behaviour.", "message.", "clients.")  # judged from a response's content


@dataclass(frozen=True, slots=True)
class Cause:
    family: str
    subject: str = ""

    @property
    def key(self) -> str:
        return f"{self.family}:{self.subject}" if self.subject else self.family


@dataclass(frozen=True, slots=True)
class Member:
    """One finding of a problem: where it is in the report, and whether it was folded."""

    case: int  # index into report["cases"]
    finding: int  # index into that case's findings
    unit: Unit
    folded: bool


@dataclass(slots=True)
class Problem:
    key: str
    severity: str = "warning"
    title: str = ""
    rules: list[str] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    everywhere: bool = False

    @property
    def cases(self) -> list[str]:
        return list(dict.fromkeys(m.unit[0] for m in self.members))

    @property
    def responses(self) -> int:
        return len({m.unit for m in self.members})

    @property
    def folded(self) -> int:
        return sum(m.folded for m in self.members)

    @property
    def first(self) -> Member:
        return next(m for m in self.members if not m.folded)


def cause_of(finding: Record) -> Cause:
    """A finding's own cause (before folding), from its rule, location and received value."""
    rule = str(finding.get("rule", ""))
    if rule in FIELD_RULES:
        return Cause("field", field_subject(str(finding.get("location") or "")))
    if rule in FIELD_OF_RULE:
        return Cause("field", FIELD_OF_RULE[rule])
    if rule in NAMED:
        return Cause(NAMED[rule])
    if rule in STATUS_RULES:
        if _accepted(finding):
            return Cause("rejection")
        return Cause("status", f"{finding.get('received')} for {finding.get('expected')}")
    return Cause(rule, _indexless(str(finding.get("location") or "")))


def field_subject(location: str) -> str:
    """``events[9]/delta/stop_reason``, ``accumulated/stop_reason`` -> ``stop_reason``."""
    path = re.sub(r"^(request:|accumulated|events\[\d+\])", "", location)
    path = re.sub(r"^/message(?=/|$)", "", path)
    path = re.sub(r"^/delta(?=/stop_)", "", path)
    path = re.sub(r"^/content_block(?=/|$)", "/content/*", path)
    return _indexless(path).strip("/") or "(body)"


def _indexless(location: str) -> str:
    return re.sub(r"(?<=[/\[])\d+(?=[/\]]|$)", "*", location)


def _status(text: Any) -> str:
    return str(text or "").split(" ")[0]


def _accepted(finding: Record) -> bool:
    """A status expectation of a 4xx that received a 2xx: the request was not refused."""
    return _status(finding.get("expected")).startswith("4") and _status(
        finding.get("received")
    ).startswith("2")


def _type_unread(finding: Record) -> bool:
    """A status expectation with the right status whose error type could not be read."""
    expected, received = str(finding.get("expected") or ""), str(finding.get("received") or "")
    return " " in expected and _status(expected) == received.strip()


def counted(finding: Record) -> bool:
    """Findings that make problems: unwaived errors and warnings."""
    return finding.get("severity") in ("error", "warning") and not finding.get("waived", False)


def group(cases: Iterable[Record], titles: Mapping[str, str] | None = None) -> list[Problem]:
    """The problems of a run's case records, worst first (the model in this module's docstring).

    ``titles`` maps rule ids to one-line descriptions (the catalogue) for problems named after
    their rule. ``cases`` is read once, a record at a time (a run's spool): only the counted
    findings are kept.
    """
    rows: list[tuple[_Row, Cause]] = []
    responding: set[str] = set()  # cases with counted findings that got a response
    answered = 0  # every case that got a response
    for c, case in enumerate(cases):
        found = list(_case_rows(c, case))
        if _responded(case):
            answered += 1
            if found:
                responding.add(found[0][0].unit[0])
        rows += found
    hosts = _hosts(rows)
    problems: dict[str, Problem] = {}
    for (row, cause), host in zip(rows, hosts, strict=True):
        problem = problems.setdefault(host or cause.key, Problem(host or cause.key))
        problem.members.append(Member(row.case, row.index, row.unit, folded=host is not None))
    for problem in problems.values():
        if all(m.folded for m in problem.members):  # its causes folded elsewhere: it is one
            problem.members = [Member(m.case, m.finding, m.unit, False) for m in problem.members]
        for member, (row, _) in _rows_of(problem, rows):
            _absorb(problem, row.finding, primary=not member.folded)
    listed = list(problems.values())
    _mark_everywhere(listed, responding, answered)
    for problem in listed:
        problem.title = _title(problem, titles or {})
    return sorted(listed, key=lambda p: (p.severity != "error", -len(p.cases), p.key))


def _hosts(rows: list[tuple[_Row, Cause]]) -> list[str | None]:
    """For each row, the key of the cause it folds under (None: it is a cause), to a fixpoint:
    a host must itself be a cause, not a finding folded elsewhere."""
    hosts: list[str | None] = [None] * len(rows)
    for _ in range(4):
        present = _presence(rows, hosts)
        new = [_folds(row, cause, _around(row, present)) for row, cause in rows]
        if new == hosts:
            break
        hosts = new
    return hosts


def _presence(rows: list[tuple[_Row, Cause]], hosts: list[str | None]) -> dict[Unit, set[str]]:
    present: dict[Unit, set[str]] = {}
    for (row, cause), host in zip(rows, hosts, strict=True):
        if host is None:
            present.setdefault(row.unit, set()).add(cause.key)
    return present


def _around(row: _Row, present: dict[Unit, set[str]]) -> set[str]:
    """Causes in the same response; a finding that names no response sees its whole case."""
    case_id, index = row.unit
    if index is not None:
        return present.get(row.unit, set()) | present.get((case_id, None), set())
    return {key for (cid, _), keys in present.items() if cid == case_id for key in keys}


def _rows_of(
    problem: Problem, rows: list[tuple[_Row, Cause]]
) -> Iterator[tuple[Member, tuple[_Row, Cause]]]:
    where = {(row.case, row.index): (row, cause) for row, cause in rows}
    for member in problem.members:
        yield member, where[(member.case, member.finding)]


@dataclass(frozen=True, slots=True)
class _Row:
    case: int
    index: int
    unit: Unit
    finding: Record


def _case_rows(c: int, case: Record) -> Iterator[tuple[_Row, Cause]]:
    case_id = str(case.get("id", c))
    for i, finding in enumerate(case.get("findings") or []):
        if counted(finding):
            exchange = finding.get("exchange")
            unit = (case_id, exchange if isinstance(exchange, int) else None)
            yield _Row(c, i, unit, finding), cause_of(finding)


def _folds(row: _Row, cause: Cause, present: set[str]) -> str | None:
    """The key of the cause this finding folds under, or None when it is a cause itself."""
    rule = str(row.finding.get("rule", ""))
    others = sorted(present - {cause.key})
    hosts: tuple[str, ...] = RESTATES.get(rule, ()) + DEPENDS.get(rule, ())
    if rule in STATUS_RULES and _type_unread(row.finding):
        hosts += ("envelope",)
    for host in hosts:
        match = next((k for k in others if k == host or k.startswith(host)), None)
        if match:
            return match
    if rule.startswith(DOWNSTREAM):
        return next((k for k in others if _voids_content(k)), None)
    return None


def _voids_content(key: str) -> bool:
    """Causes after which a response's content says nothing: a broken stream or body, a valid
    request that got no 2xx (nothing to judge), an invalid one that got one (no answer due)."""
    failed = key.startswith("status:") and key.endswith(" for 200")
    return key.startswith(BROKEN) or failed or key == "rejection"


def _absorb(problem: Problem, finding: Record, *, primary: bool) -> None:
    """A problem names the rules of its causes; it is an error if any of its findings is."""
    rule = str(finding.get("rule", ""))
    if primary and rule not in problem.rules:
        problem.rules.append(rule)
    if finding.get("severity") == "error":
        problem.severity = "error"


def _responded(case: Record) -> bool:
    return bool(case.get("exchanges")) or case.get("status") is not None


def _mark_everywhere(problems: list[Problem], responding: set[str], answered: int) -> None:
    """A problem in every case that got an answer (a missing header on every response):
    ``responding`` are the answered cases with counted findings, ``answered`` all of them."""
    for problem in problems:
        problem.everywhere = answered > 1 and len(responding & set(problem.cases)) == answered


def _title(problem: Problem, titles: Mapping[str, str]) -> str:
    family, _, subject = problem.key.partition(":")
    if family in TITLES:
        return TITLES[family]
    if family == "field":
        return f"response field {subject} does not match the contract"
    if family == "status":
        got, _, due = subject.partition(" for ")
        return f"answered {got} where {due} is due"
    rule = problem.rules[0] if problem.rules else family
    return titles.get(rule, rule)


def totals(problems: Iterable[Problem]) -> dict[str, int]:
    """How many findings the problems hold (their sum equals the run's counted findings)."""
    listed = list(problems)
    return {
        "problems": len(listed),
        "findings": sum(len(p.members) for p in listed),
        "folded": sum(p.folded for p in listed),
    }

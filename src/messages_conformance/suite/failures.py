"""How failing cases are told: one line per case (``FAILED case - rule: message``), the findings
in full as the failure's text (pytest's ``--tb``, junit.xml bodies), problems grouped by rule,
and GitHub Actions annotations (``::error file=…``) when the run is inside a GitHub workflow.

The one-line form is ``mconf run``'s default (``--mconf-one-line``); a plain pytest run keeps
pytest's own short summary.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..core.findings import Finding

__all__ = [
    "FailureLines",
    "Problem",
    "annotation",
    "failure_text",
    "headline",
    "problems",
    "set_headline",
]


def headline(failing: Sequence[Finding]) -> str:
    """``rule: message`` of the first error finding, ``(+N more)`` when there are others."""
    first = failing[0]
    more = f" (+{len(failing) - 1} more)" if len(failing) > 1 else ""
    return f"{first.rule}: {first.message.splitlines()[0] if first.message else ''}{more}"


def failure_text(failing: Sequence[Finding], examples: Sequence[dict[str, Any]] = ()) -> str:
    """The findings in full, then the failing examples kept (request, response, curl line):
    what ``--tb`` shows and junit.xml carries."""
    from .examples import text

    return "\n".join([headline(failing), *(str(f) for f in failing)]) + text(examples)


def set_headline(report: pytest.TestReport, line: str) -> None:
    """Make ``line`` the failure's one-line message (junit.xml ``message``, ``--tb=line``)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and hasattr(crash, "message"):
        crash.message = line


def _report_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = str(getattr(crash, "message", "") or report.longreprtext or "failed")
    lines = message.strip().splitlines() or ["failed"]
    return lines[0]


# -- problems ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One rule failing in one or more cases: what a reader fixes once."""

    rule: str
    message: str
    cases: tuple[str, ...]


def problems(cases: Iterable[dict[str, Any]]) -> list[Problem]:
    """Failing cases' unwaived error findings grouped by rule (most cases first); a failed or
    untestable case without findings is grouped by its failure's first line."""
    grouped: dict[str, tuple[str, list[str]]] = {}
    for case in cases:
        if case.get("outcome") not in ("failed", "error"):
            continue
        for rule, message in _reasons(case):
            grouped.setdefault(rule, (message, []))[1].append(str(case["id"]))
    ranked = sorted(grouped.items(), key=lambda item: (-len(item[1][1]), item[0]))
    return [Problem(rule, message, tuple(ids)) for rule, (message, ids) in ranked]


def _reasons(case: dict[str, Any]) -> list[tuple[str, str]]:
    errors = [
        f for f in case.get("findings") or [] if f["severity"] == "error" and not f.get("waived")
    ]
    if errors:
        return list({f["rule"]: (f["rule"], f["message"]) for f in errors}.values())
    failure = str(case.get("failure") or "failed").splitlines()[0]
    kind = "could-not-test" if case.get("outcome") == "error" else "failed"
    return [(kind, failure)]


def annotation(problem: Problem, file: str, line: int) -> str:
    """A GitHub Actions workflow command: one error annotation for ``problem``."""
    count = len(problem.cases)
    text = f"{problem.message} ({count} case{'s' if count != 1 else ''}, first {problem.cases[0]})"
    return f"::error file={file},line={line},title={_escape(problem.rule, True)}::{_escape(text)}"


def _escape(text: str, property_value: bool = False) -> str:
    """GitHub's escaping of workflow command data (and of property values)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


# -- the pytest plugin object --------------------------------------------------------------------


class FailureLines:
    """At the end of a run: ``FAILED case - rule: message`` per failing case (with
    ``--mconf-one-line``) and, inside GitHub Actions, one annotation per problem."""

    def __init__(self, config: pytest.Config, cases: Iterable[dict[str, Any]]) -> None:
        self.config = config
        self.cases = cases  # the run's case records, as the Collector gathers them
        self.places: dict[str, tuple[str, int]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            path, line, _ = report.location
            self.places.setdefault(report.nodeid, (self._shown(path), (line or 0) + 1))

    def _shown(self, path: str) -> str:
        full = (self.config.rootpath / path).resolve()
        try:
            return str(full.relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(full)

    def _case(self, report: pytest.TestReport) -> str:
        """The case as pytest names it, its file relative to where mconf was started."""
        path, _, rest = report.nodeid.partition("::")
        return f"{self._shown(path)}::{rest}" if rest else report.nodeid

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.config.getoption("mconf_one_line"):
            for word in ("failed", "error"):
                for report in terminalreporter.stats.get(word, []):
                    if isinstance(report, pytest.TestReport) and report.failed:
                        label = "FAILED" if report.when == "call" else "ERROR"
                        terminalreporter.write_line(
                            f"{label} {self._case(report)} - {_report_line(report)}"
                        )
        if os.environ.get("GITHUB_ACTIONS") == "true":
            self._annotate(terminalreporter)

    def _annotate(self, terminalreporter: Any) -> None:
        for problem in problems(self.cases):
            file, line = self.places.get(problem.cases[0], ("", 1))
            terminalreporter.write_line(annotation(problem, file, line))

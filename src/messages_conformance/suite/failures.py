"""How failing cases are told: one line per case (``FAILED case - rule: message``), the findings
in full as the failure's text (pytest's ``--tb``, junit.xml bodies), and GitHub Actions
annotations (``::error file=…``) when the run is inside a GitHub workflow: one per problem of
the reports' list (core.problems: one per root cause, however many cases it hit), one per group
of cases that failed without a finding.

The one-line form is ``mconf run``'s default (``--mconf-one-line``); a plain pytest run keeps
pytest's own short summary.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..core.findings import Finding

if TYPE_CHECKING:
    from .casebook import Casebook

FILE = re.compile(r"\S+\.(?:yaml|json)\b")  # one cassette per case: reasons differ only there

__all__ = [
    "FailureLines",
    "Problem",
    "annotation",
    "bare_annotation",
    "bare_problems",
    "failure_text",
    "headline",
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
    """Failing cases without a finding (untestable, or failed otherwise), grouped by their
    failure's first line; the findings' problems are core.problems' (reports/problem_list)."""

    rule: str
    message: str
    cases: tuple[str, ...]


def bare_problems(cases: Iterable[dict[str, Any]]) -> list[Problem]:
    """Failed or untestable cases with no unwaived error finding, grouped by their failure's
    first line (most cases first): what the problem list, made of findings, does not hold."""
    grouped: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for case in cases:
        if case.get("outcome") not in ("failed", "error") or _errors(case):
            continue
        failure = str(case.get("failure") or "failed").splitlines()[0]
        kind = "could-not-test" if case.get("outcome") == "error" else "failed"
        group = grouped.setdefault((kind, FILE.sub("FILE", failure)), (failure, []))
        group[1].append(str(case["id"]))
    ranked = sorted(grouped.items(), key=lambda item: (-len(item[1][1]), item[0]))
    return [Problem(kind, message, tuple(ids)) for (kind, _), (message, ids) in ranked]


def _errors(case: dict[str, Any]) -> bool:
    return any(f["severity"] == "error" and not f.get("waived") for f in case.get("findings") or [])


def annotation(problem: Mapping[str, Any], file: str, line: int) -> str:
    """A GitHub Actions workflow command for one problem of the list (reports/problem_list):
    ``::error`` or ``::warning``, titled with its number and rules; the message is its one
    line (cases, responses), its first evidence and, when short, its curl reproduction."""
    from ..reports.problem_list import TERMINAL_CURL, first_text, headline

    level = "error" if problem["severity"] == "error" else "warning"
    title = f"mconf problem {problem['number']}: {', '.join(problem.get('rules') or [])}"
    lines = [headline(problem), f"first: {first_text(problem)}"]
    reproduce = problem.get("reproduce")
    if reproduce and len(reproduce) <= TERMINAL_CURL:
        lines.append(f"reproduce: {reproduce}")
    elif reproduce:
        lines.append("reproduce: the curl line is in summary.md and report.html")
    text = "\n".join(lines)
    return f"::{level} file={file},line={line},title={_escape(title, True)}::{_escape(text)}"


def bare_annotation(problem: Problem, file: str, line: int) -> str:
    """A GitHub Actions error annotation for cases that failed without a finding."""
    count = len(problem.cases)
    cases = f"{count} case{'s' if count != 1 else ''}, first {problem.cases[0]}"
    text = f"{problem.message} ({cases})"
    return f"::error file={file},line={line},title={_escape(problem.rule, True)}::{_escape(text)}"


def _escape(text: str, property_value: bool = False) -> str:
    """GitHub's escaping of workflow command data (and of property values)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


# -- the pytest plugin object --------------------------------------------------------------------


class FailureLines:
    """At the end of a run: ``FAILED case - rule: message`` per failing case (with
    ``--mconf-one-line``) and, inside GitHub Actions, one annotation per problem."""

    def __init__(
        self, config: pytest.Config, casebook: Casebook, key_var: Callable[[], str | None]
    ) -> None:
        self.config = config
        self.casebook = casebook  # the run's case records, as the Collector gathers them
        self.key_var = key_var  # the target's key variable, for curl lines (`$VAR`)
        self.places: dict[str, tuple[str, int]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed and report.nodeid not in self.places:
            self.places[report.nodeid] = self._place(report)

    def _place(self, report: pytest.TestReport) -> tuple[str, int]:
        """The failing test's file and line; a test defined by a library (Schemathesis'
        parametrized tests are located in its builder) is placed at its own ``def``."""
        path, line, _ = report.location
        own, _, rest = report.nodeid.partition("::")
        if path == own:
            return self._shown(path), (line or 0) + 1
        name = rest.split("[", 1)[0].rsplit("::", 1)[-1]
        try:
            lines = (self.config.rootpath / own).read_text("utf-8").splitlines()
        except OSError:
            lines = []
        found = (n for n, text in enumerate(lines, 1) if text.startswith(f"def {name}("))
        return self._shown(own), next(found, 1)

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
        """One annotation per problem of the reports' list, then one per group of cases that
        failed without a finding."""
        for problem in self._problems():
            ids = problem.get("case_ids") or [""]
            file, line = self.places.get(ids[0], ("", 1))
            terminalreporter.write_line(annotation(problem, file, line))
        for bare in bare_problems(self.casebook.cases):
            file, line = self.places.get(bare.cases[0], ("", 1))
            terminalreporter.write_line(bare_annotation(bare, file, line))

    def _problems(self) -> list[dict[str, Any]]:
        """The list the reports opened on; without reports (a plain pytest run), grouped here."""
        if self.casebook.problems is not None:
            return self.casebook.problems
        from ..core.rules import catalogue
        from ..reports.problem_list import annotate

        target = {"key_env": self.key_var()}
        return annotate({"cases": self.casebook.cases, "rules": catalogue(), "target": target})

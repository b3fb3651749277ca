"""junit.xml written as cases finish: each ``<testcase>`` goes to disk when its teardown is
reported, the totals are written at the end (a long run's controller keeps no test's element).

pytest's own writer (``--junitxml``) holds every test's element until the session ends; ``mconf
run`` asks for this one instead (``--mconf-junitxml PATH``). The file says what pytest's says
(junit_family xunit2 or xunit1, junit_suite_name, --junitprefix, junit_duration_report,
junit_logging, user properties, failures, errors on setup and teardown, skips, xfails): only
the order of test cases is the order they finished in. Cases go to a temporary file beside the
report; at the end the header with the totals, the cases and the footer are written to a
temporary name and renamed, so an interrupted run never leaves a half-written junit.xml.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO, Any

import pytest

__all__ = ["JunitFile", "classname_and_name", "xml_text"]

_ILLEGAL = re.compile(
    "[^\u0009\u000a\u000d\u0020-\u007e\u0080-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_XUNIT1 = ("classname", "name", "file", "line", "url")
_XUNIT2 = ("classname", "name")
_HOLE = "mconf-cases-go-here"


def xml_text(value: object) -> str:
    """Characters XML cannot carry shown as ``#xNN`` (as pytest's junit writer does; it also
    does so for characters beyond U+FFFF, which XML can carry and this keeps)."""
    return _ILLEGAL.sub(_shown, str(value))


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"#x{code:02X}" if code <= 0xFF else f"#x{code:04X}"


def classname_and_name(nodeid: str, prefix: str | None = None) -> tuple[str, str]:
    """``suites/test_x.py::Class::test_y[p]`` -> (``suites.test_x.Class``, ``test_y[p]``)."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    classnames = ([prefix] if prefix else []) + names[:-1]
    return ".".join(classnames), names[-1]


class _Case:
    """One test case being reported (setup, call, teardown); written out at its teardown."""

    __slots__ = ("attrs", "duration", "nodes")

    def __init__(self) -> None:
        self.attrs: dict[str, str] = {}
        self.duration = 0.0
        self.nodes: list[ET.Element] = []

    def element(self, properties: list[tuple[str, Any]]) -> ET.Element:
        testcase = ET.Element("testcase", self.attrs, time=f"{self.duration:.3f}")
        if properties:
            holder = ET.SubElement(testcase, "properties")
            for name, value in properties:
                ET.SubElement(holder, "property", name=str(name), value=xml_text(value))
        testcase.extend(self.nodes)
        return testcase


class JunitFile:
    """The pytest plugin object writing junit.xml incrementally (the xdist controller or a
    plain run; workers' reports arrive here like local ones)."""

    def __init__(self, config: pytest.Config, path: Path) -> None:
        self.path = Path(os.path.abspath(os.path.expanduser(path)))
        self.prefix: str | None = config.option.junitprefix
        self.suite_name = str(config.getini("junit_suite_name"))
        self.logging = str(config.getini("junit_logging"))
        self.duration_of = str(config.getini("junit_duration_report"))
        self.log_passing = bool(config.getini("junit_log_passing_tests"))
        family = str(config.getini("junit_family"))
        self.allowed = _XUNIT2 if family == "xunit2" else _XUNIT1
        self.stats = dict.fromkeys(("error", "passed", "failure", "skipped"), 0)
        self.open: dict[tuple[str, object], _Case] = {}
        self.failed_calls: list[pytest.TestReport] = []  # call failed, teardown pending
        self.double_fails = 0
        self.started = time.time()
        self.clock = time.perf_counter()
        self.cases_file = self.path.with_name(f".{self.path.name}.cases-{os.getpid()}")
        self.out: IO[str] | None = None

    # -- pytest hooks -----------------------------------------------------------------------

    def pytest_sessionstart(self) -> None:
        self.started, self.clock = time.time(), time.perf_counter()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.out = self.cases_file.open("w", encoding="utf-8")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """pytest's junitxml state machine, each case written out at its teardown."""
        if report.passed:
            if report.when == "call":
                self._case(report)
                self.stats["passed"] += 1
        elif report.failed:
            if report.when == "teardown" and (pending := self._pending(report)) is not None:
                self._finish(pending)  # call failed and teardown too: two test cases
                self.double_fails += 1
            case = self._case(report)
            if report.when == "call":
                self._failure(case, report)
                self.failed_calls.append(report)
                if not self.log_passing:
                    self._captured(case, report)
            else:
                self._error(case, report)
        elif report.skipped:
            self._skipped(self._case(report), report)
        if self.duration_of in ("total", report.when):
            self._entry(report).duration += getattr(report, "duration", 0.0)
        if report.when == "teardown":
            self._captured(self._case(report), report)
            self._finish(report)
            if (pending := self._pending(report)) is not None:
                self.failed_calls.remove(pending)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.passed:
            return
        case = self._case(report)
        if report.failed:
            self._add(case, "error", "collection failure", str(report.longrepr))
        else:
            self._add(case, "skipped", "collection skipped", str(report.longrepr))
        self._write(self.open.pop(self._key(report)).element([]))

    def pytest_internalerror(self, excrepr: Any) -> None:
        case = _Case()
        case.attrs.update(classname="pytest", name="internal")
        self._add(case, "error", "internal error", str(excrepr))
        self._write(case.element([]))

    def pytest_sessionfinish(self) -> None:
        """The file: header with the totals, the written cases, cases still open (an
        interrupted run), footer; under a temporary name, then renamed."""
        if self.out is None:  # the session never started
            return
        for case in self.open.values():  # interrupted: what has a result (pytest also
            if case.attrs:  # writes a nameless element for a case stopped in its call)
                self._write(case.element([]))
        self.open.clear()
        self.out.close()
        temp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        try:
            with temp.open("w", encoding="utf-8") as file:
                head, tail = self._frame()
                file.write(head)
                with self.cases_file.open(encoding="utf-8") as cases:
                    shutil.copyfileobj(cases, file)
                file.write(tail)
            os.replace(temp, self.path)
        finally:
            temp.unlink(missing_ok=True)
            self.cases_file.unlink(missing_ok=True)

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        if config.get_verbosity() >= 0:
            terminalreporter.write_sep("-", f"generated xml file: {self.path}")

    # -- the parts --------------------------------------------------------------------------

    def _frame(self) -> tuple[str, str]:
        stats = self.stats
        tests = sum(stats.values()) - self.double_fails
        suite = ET.Element(
            "testsuite",
            name=self.suite_name,
            errors=str(stats["error"]),
            failures=str(stats["failure"]),
            skipped=str(stats["skipped"]),
            tests=str(tests),
            time=f"{time.perf_counter() - self.clock:.3f}",
            timestamp=dt.datetime.fromtimestamp(self.started).astimezone().isoformat(),
            hostname=platform.node(),
        )
        ET.SubElement(suite, _HOLE)
        suites = ET.Element("testsuites", name="pytest tests")
        suites.append(suite)
        head, _, tail = ET.tostring(suites, encoding="unicode").partition(f"<{_HOLE} />")
        return '<?xml version="1.0" encoding="utf-8"?>' + head, tail

    @staticmethod
    def _key(report: pytest.TestReport | pytest.CollectReport) -> tuple[str, object]:
        return report.nodeid, getattr(report, "node", None)  # xdist: reports of one worker

    def _entry(self, report: pytest.TestReport) -> _Case:
        return self.open.setdefault(self._key(report), _Case())

    def _case(self, report: pytest.TestReport | pytest.CollectReport) -> _Case:
        case = self.open.setdefault(self._key(report), _Case())
        classname, name = classname_and_name(report.nodeid, self.prefix)
        file, line, _ = report.location or ("", None, "")
        attrs = {"classname": classname, "name": xml_text(name), "file": file}
        if line is not None:
            attrs["line"] = str(line)
        if hasattr(report, "url"):
            attrs["url"] = report.url
        case.attrs = {k: v for k, v in attrs.items() if k in self.allowed}
        return case

    def _pending(self, report: pytest.TestReport) -> pytest.TestReport | None:
        def same(other: pytest.TestReport) -> bool:
            return other.nodeid == report.nodeid and all(
                getattr(other, name, None) == getattr(report, name, None)
                for name in ("item_index", "worker_id")
            )

        return next((r for r in self.failed_calls if same(r)), None)

    def _finish(self, report: pytest.TestReport) -> None:
        case = self.open.pop(self._key(report))
        self._write(case.element(list(report.user_properties)))

    def _write(self, element: ET.Element) -> None:
        if self.out is not None:
            self.out.write(ET.tostring(element, encoding="unicode"))
            self.out.flush()  # on disk now: memory holds no finished case, a crash keeps them

    def _add(self, case: _Case, tag: str, message: str, text: str | None = None) -> None:
        node = ET.Element(tag, message=message)
        node.text = xml_text(text)
        self._append(case, node)

    def _append(self, case: _Case, node: ET.Element) -> None:
        if node.tag in self.stats:
            self.stats[node.tag] += 1
        case.nodes.append(node)

    def _failure(self, case: _Case, report: pytest.TestReport) -> None:
        if hasattr(report, "wasxfail"):
            self._add(case, "skipped", "xfail-marked test passes unexpectedly")
            return
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash is not None else str(report.longrepr)
        self._add(case, "failure", xml_text(message), str(report.longrepr))

    def _error(self, case: _Case, report: pytest.TestReport) -> None:
        crash = getattr(report.longrepr, "reprcrash", None)
        reason = crash.message if crash is not None else str(report.longrepr)
        phase = "teardown" if report.when == "teardown" else "setup"
        self._add(
            case, "error", xml_text(f'failed on {phase} with "{reason}"'), str(report.longrepr)
        )

    def _skipped(self, case: _Case, report: pytest.TestReport) -> None:
        if hasattr(report, "wasxfail"):
            reason = str(report.wasxfail).removeprefix("reason: ")
            self._append(case, ET.Element("skipped", type="pytest.xfail", message=xml_text(reason)))
            return
        longrepr = report.longrepr
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            filename, lineno, reason = longrepr
        else:
            filename, lineno, reason = "", None, str(longrepr)
        reason = str(reason).removeprefix("Skipped: ")
        node = ET.Element("skipped", type="pytest.skip", message=xml_text(reason))
        node.text = xml_text(f"{filename}:{lineno}: {reason}")
        self._append(case, node)
        self._captured(case, report)

    def _captured(self, case: _Case, report: pytest.TestReport) -> None:
        """Captured output as junit_logging asks (nothing by default)."""
        if self.logging == "no" or (not self.log_passing and report.passed):
            return
        logged = ""
        if self.logging in ("log", "all"):
            logged = _section(report.caplog, " Captured Log ")
        if self.logging in ("system-out", "out-err", "all"):
            self._content(case, logged + _section(report.capstdout, " Captured Out "), "system-out")
            logged = ""
        if self.logging in ("system-err", "out-err", "all"):
            self._content(case, logged + _section(report.capstderr, " Captured Err "), "system-err")
            logged = ""
        if logged:
            self._content(case, logged, "system-out")

    def _content(self, case: _Case, text: str, tag: str) -> None:
        node = ET.Element(tag)
        node.text = xml_text(text)
        self._append(case, node)


def _section(content: str, header: str) -> str:
    return "\n".join([header.center(80, "-"), content, ""])

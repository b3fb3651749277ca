"""progress.py: the live display of a run (driven with fake reports, and through pytester)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from rich.console import Console

from messages_conformance.suite.progress import Progress, wanted

pytest_plugins = ["pytester"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class FakeConfig:
    options: dict[str, Any] = field(default_factory=dict)

    def getoption(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)


@dataclass
class FakeReport:
    nodeid: str
    when: str
    failed: bool = False
    user_properties: list[tuple[str, Any]] = field(default_factory=list)


def console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=160), buffer


def finish(progress: Progress, nodeid: str, *, failed: bool = False, **record: int) -> None:
    """The reports of one case: call (with the mconf record), then teardown."""
    call = FakeReport(nodeid, "call", failed, [("mconf", dict(record))] if record else [])
    progress.pytest_runtest_logreport(call)  # type: ignore[arg-type]
    progress.pytest_runtest_logreport(FakeReport(nodeid, "teardown"))  # type: ignore[arg-type]


def shown(buffer: io.StringIO) -> str:
    return ANSI.sub("", buffer.getvalue())


def test_counts_failures_and_budget_are_rendered() -> None:
    term, buffer = console()
    config = FakeConfig({"mconf_max_requests": 50, "mconf_max_output_tokens": 10000})
    progress = Progress(config, console=term)  # type: ignore[arg-type]
    progress.start(5)
    finish(progress, "t::a", exchanges=2, output_tokens=1200)
    finish(progress, "t::b", failed=True, exchanges=1, output_tokens=300)
    finish(progress, "t::c")
    text = shown(buffer)
    assert "3/5" in text
    assert "1 failed · requests 3/50 · output tokens 1,500/10,000" in text
    progress.stop()
    assert (progress.done, progress.requests, progress.output_tokens) == (3, 3, 1500)


def test_without_a_budget_only_the_spend_is_shown() -> None:
    term, buffer = console()
    progress = Progress(FakeConfig(), console=term)  # type: ignore[arg-type]
    progress.start(2)
    finish(progress, "t::a", exchanges=4)
    assert "1/2" in shown(buffer)
    assert "0 failed · requests 4 · output tokens 0" in shown(buffer)


def test_a_failing_setup_and_teardown_count_the_case_once() -> None:
    progress = Progress(FakeConfig(), console=console()[0])  # type: ignore[arg-type]
    progress.start(1)
    progress.pytest_runtest_logreport(FakeReport("t::a", "setup", failed=True))  # type: ignore[arg-type]
    progress.pytest_runtest_logreport(FakeReport("t::a", "teardown", failed=True))  # type: ignore[arg-type]
    assert (progress.done, len(progress.failed)) == (1, 1)


def test_reports_before_start_and_stop_twice_are_harmless() -> None:
    term, buffer = console()
    progress = Progress(FakeConfig(), console=term)  # type: ignore[arg-type]
    finish(progress, "t::a", exchanges=1)
    progress.stop()
    progress.stop()
    assert buffer.getvalue() == "" and progress.requests == 1


def test_xdist_collection_sets_the_total_once() -> None:
    progress = Progress(FakeConfig(), console=console()[0])  # type: ignore[arg-type]
    progress.pytest_xdist_node_collection_finished(node=None, ids=["a", "b", "c"])
    progress.pytest_xdist_node_collection_finished(node=None, ids=["a"])
    assert progress.total == 3
    progress.stop()


@pytest.mark.parametrize(("choice", "expected"), [("on", True), ("off", False)])
def test_the_option_decides(choice: str, expected: bool) -> None:
    assert wanted(FakeConfig({"mconf_progress": choice})) is expected  # type: ignore[arg-type]


def test_auto_is_off_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert wanted(FakeConfig()) is False  # type: ignore[arg-type]


def test_auto_is_off_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", Tty())
    monkeypatch.setenv("CI", "true")
    assert wanted(FakeConfig()) is False  # type: ignore[arg-type]
    monkeypatch.delenv("CI")
    assert wanted(FakeConfig()) is True  # type: ignore[arg-type]


CONFTEST = """
import io, pytest
from rich.console import Console
from messages_conformance.suite.progress import Progress

BUFFER = io.StringIO()

def pytest_configure(config):
    console = Console(file=BUFFER, force_terminal=True, width=160)
    config.pluginmanager.register(Progress(config, console=console), "mconf-progress")

@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        report.user_properties.append(("mconf", {"exchanges": 2, "output_tokens": 10}))
    return report

def pytest_unconfigure(config):
    with open("progress.txt", "w") as fh:
        fh.write(BUFFER.getvalue())
"""


@pytest.mark.parametrize("extra", [[], ["-q"], ["-n", "1"]], ids=["plain", "quiet", "xdist"])
def test_inside_a_real_pytest_run(pytester: pytest.Pytester, extra: list[str]) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_cases="""
        import pytest
        @pytest.mark.parametrize("n", range(4))
        def test_ok(n): pass
        def test_bad(): assert False
        """
    )
    result = pytester.runpytest_subprocess(*extra, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=1)
    text = ANSI.sub("", (pytester.path / "progress.txt").read_text())
    assert "5/5" in text
    assert "1 failed · requests 10 · output tokens 50" in text

"""Live progress of a long run: cases done/total, failures so far, and the requests (generated
ones too) and output tokens spent against the run's budget (``--max-requests``,
``--max-output-tokens``).

A pytest plugin object registered by ``plugin.pytest_configure`` on the controller only (a
plain run or the xdist controller, which receives the workers' reports). It is shown when
``wanted(config)``: ``--mconf-progress`` forces it, ``--no-mconf-progress`` hides it, and by
default it appears only when stderr is a terminal outside CI, so CI logs never carry it.

When pytest writes to the same terminal (stdout is one), the two must not draw over each other:
while the bar is up, pytest's output goes through ``SharedTerminal``: finished lines are printed
above the bar, the line pytest is still writing (its dots) is drawn just above the bar, and the
bar goes away before pytest's summary. Otherwise the bar is drawn on stderr alone.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterable
from typing import IO, Any

import pytest
from rich.console import Console, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.text import Text

__all__ = ["Progress", "wanted"]

OPTION = "mconf_progress"  # dest of --progress / --no-progress: "on", "off" or "auto"


def wanted(config: pytest.Config) -> bool:
    """Show progress? ``--progress`` / ``--no-progress`` decide; else a TTY outside CI."""
    choice = config.getoption(OPTION, "auto")
    if choice in ("on", "off"):
        return bool(choice == "on")
    return bool(sys.stderr.isatty()) and not os.environ.get("CI")


class Bar(RichProgress):
    """rich's progress bar with, above it, the line pytest is still writing."""

    pending = ""

    def get_renderables(self) -> Iterable[RenderableType]:
        if self.pending:
            yield Text.from_ansi(self.pending, no_wrap=True, overflow="ellipsis")
        yield from super().get_renderables()


class SharedTerminal(io.TextIOBase):
    """pytest's terminal file while the bar is shown: whole lines go above the bar, the
    unfinished line is drawn with it (``Bar.pending``)."""

    def __init__(self, bar: Bar, file: IO[str]) -> None:
        self.bar, self.file = bar, file

    def write(self, text: str) -> int:
        *finished, self.bar.pending = (self.bar.pending + text).split("\n")
        if finished:
            self.bar.console.print(Text.from_ansi("\n".join(finished)), soft_wrap=True)
        self.bar.refresh()
        return len(text)

    def flush(self) -> None:
        """Nothing to flush: the bar's console writes what it draws."""

    def isatty(self) -> bool:
        return self.file.isatty()

    def fileno(self) -> int:
        return self.file.fileno()


def _terminal_file(config: pytest.Config) -> tuple[Any, IO[str]] | None:
    """pytest's terminal writer and its file, when that file is a terminal (else None)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    writer = getattr(reporter, "_tw", None) and config.get_terminal_writer()
    file = getattr(writer, "_file", None)  # TerminalWriter keeps it there (pytest 7 to 9)
    if file is None or not hasattr(file, "isatty") or not file.isatty():
        return None
    return writer, file


class Progress:
    """Cases done/total, failures, requests and output tokens, drawn with rich."""

    def __init__(self, config: pytest.Config, console: Console | None = None) -> None:
        self.config = config
        self.given = console
        self.shared: tuple[Any, IO[str]] | None = None
        self.console = console or Console(stderr=True)
        self.max_requests: int | None = config.getoption("mconf_max_requests", None)
        self.max_output_tokens: int | None = config.getoption("mconf_max_output_tokens", None)
        self.total: int | None = None
        self.done = 0
        self.failed: set[str] = set()
        self.requests = 0
        self.output_tokens = 0
        self._bar: Bar | None = None

    # -- pytest hooks ------------------------------------------------------------------

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if session.items:  # the xdist controller collects nothing; its workers report below
            self.start(len(session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.total is None:
            self.start(len(ids))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.record(report)
        self.refresh()

    def pytest_sessionfinish(self) -> None:
        self.stop()

    # -- state ---------------------------------------------------------------------------

    def start(self, total: int) -> None:
        self.total = total
        if self.given is None:  # pytest's terminal is known by now
            self.shared = _terminal_file(self.config)
            if self.shared is not None:
                self.console = Console(file=self.shared[1])
        self._bar = Bar(
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self.console,
            auto_refresh=False,  # redrawn on each report: no thread, no flicker between tests
            transient=True,  # the final pytest summary is left alone
        )
        self._task = self._bar.add_task(self.description(), total=total)
        self._bar.start()
        if self.shared is not None:
            writer, file = self.shared
            writer._file = SharedTerminal(self._bar, file)

    def record(self, report: pytest.TestReport) -> None:
        """Count a finished case (its teardown report), a failure, and the budget it spent."""
        if report.failed:
            self.failed.add(report.nodeid)
        if report.when == "teardown":
            self.done += 1
        for key, value in report.user_properties:
            if key == "mconf" and isinstance(value, dict):
                self.requests += int(value.get("exchanges", 0) or 0)
                self.output_tokens += int(value.get("output_tokens", 0) or 0)

    def description(self) -> str:
        requests = _spent("requests", self.requests, self.max_requests)
        tokens = _spent("output tokens", self.output_tokens, self.max_output_tokens)
        return f"{len(self.failed)} failed · {requests} · {tokens}"

    def refresh(self) -> None:
        if self._bar is None:
            return
        self._bar.update(self._task, completed=self.done, description=self.description())
        self._bar.refresh()

    def stop(self) -> None:
        if self._bar is not None:
            self.refresh()
            self._bar.stop()
            if self.shared is not None:
                writer, file = self.shared
                writer._file = file
                file.write(self._bar.pending)  # the unfinished line, where pytest left it
                file.flush()
            self._bar = None


def _spent(what: str, used: int, limit: int | None) -> str:
    return f"{what} {used:,}/{limit:,}" if limit is not None else f"{what} {used:,}"

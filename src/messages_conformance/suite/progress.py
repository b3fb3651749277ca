"""Live progress of a long run on stderr: cases done/total, failures so far, and the requests
and output tokens spent against the run's budget (``--max-requests``, ``--max-output-tokens``).

A pytest plugin object registered by ``plugin.pytest_configure`` on the controller only (a
plain run or the xdist controller, which receives the workers' reports). It is shown when
``wanted(config)``: ``--progress`` forces it, ``--no-progress`` hides it, and by default it
appears only when stderr is a terminal outside CI, so CI logs never carry it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar

__all__ = ["Progress", "wanted"]

OPTION = "mconf_progress"  # dest of --progress / --no-progress: "on", "off" or "auto"


def wanted(config: pytest.Config) -> bool:
    """Show progress? ``--progress`` / ``--no-progress`` decide; else a TTY outside CI."""
    choice = config.getoption(OPTION, "auto")
    if choice in ("on", "off"):
        return bool(choice == "on")
    return bool(sys.stderr.isatty()) and not os.environ.get("CI")


class Progress:
    """Cases done/total, failures, requests and output tokens, drawn with rich on stderr."""

    def __init__(self, config: pytest.Config, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.max_requests: int | None = config.getoption("max_requests", None)
        self.max_output_tokens: int | None = config.getoption("max_output_tokens", None)
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
            self._bar = None


def _spent(what: str, used: int, limit: int | None) -> str:
    return f"{what} {used:,}/{limit:,}" if limit is not None else f"{what} {used:,}"

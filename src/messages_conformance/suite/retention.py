"""What a long run's processes let go of once a case is reported: nothing per case is kept
beyond what the end of the run shows (benchmarks/load.py measures it).

pytest's terminal reporter keeps every report (three a case) in its stats to the end of the
session for its summary, in xdist workers too (where that summary is never shown), and a
report carries the case's record. ``Shipped`` (a worker) drops a report once xdist sent it to
the controller; ``Counted`` (the controller) replaces a passed one by a stub that only counts
and keeps the progress count without a set of every case's id. ``Released`` (where cases run)
lets go of what pytest's fixtures keep per finished case: a session-scoped fixture holds, until
the session ends, a finalizer with the request of every function-scoped fixture that used it
(~1 KiB a case).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Any

import pytest

__all__ = ["Counted", "RecentIds", "Released", "Shipped"]

RECENT = 4096  # case ids a progress count remembers: a case's reports arrive close together


class Shipped:
    """In an xdist worker: once a report is sent to the controller, the worker forgets it.

    pytest's terminal reporter keeps every report for its end-of-run summary, also in xdist
    workers, where that summary is never shown (the controller prints its own); a case record
    carries its evidence. Kept, they grow a long run's workers by several KiB per case
    (benchmarks/load.py measures it)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(trylast=True)  # after xdist serialized the report for the controller
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        report.user_properties = [p for p in report.user_properties if p[0] != "mconf"]
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if report.failed or terminal is None:
            return
        for reports in getattr(terminal, "stats", {}).values():
            if reports and reports[-1] is report:  # just added by pytest_runtest_logreport
                reports.pop()


class _Counted:
    """What the terminal's summary line needs of a passed report: that it counts."""

    count_towards_summary = True
    when = "call"
    outcome = "passed"
    passed = True
    failed = skipped = False


_PASSED = _Counted()


class Counted:
    """In the controller: a passed phase stays counted, not kept. The terminal's stats hold
    every report (three a case) to the end of the run for its summary, where a passed one is
    only counted; kept, they grow a long run's controller by KiBs per case."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self) -> None:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        seen = getattr(terminal, "_progress_nodeids_reported", None)
        if isinstance(seen, set) and not seen:  # pytest's progress count: a set of every id
            terminal._progress_nodeids_reported = RecentIds()  # type: ignore[union-attr]

    @pytest.hookimpl(trylast=True)  # after the terminal reporter filed the report
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        shown = set(getattr(self.config.option, "reportchars", "") or "")
        if terminal is None or not report.passed or shown & {"A", "P"}:
            return
        for reports in getattr(terminal, "stats", {}).values():
            if reports and reports[-1] is report:
                reports[-1] = _PASSED
                return


class RecentIds:
    """A set's ``add`` and ``len`` for pytest's progress count ("[ 42%]"): how many distinct
    case ids were added, remembering only the last ``RECENT`` (a case's setup, call and
    teardown reports come within a few reports of each other, also from many workers)."""

    def __init__(self) -> None:
        self.count = 0
        self.recent: OrderedDict[str, None] = OrderedDict()

    def add(self, nodeid: str) -> None:
        if nodeid in self.recent:
            return
        self.count += 1
        self.recent[nodeid] = None
        if len(self.recent) > RECENT:
            self.recent.popitem(last=False)

    def __contains__(self, nodeid: object) -> bool:
        return nodeid in self.recent

    def __len__(self) -> int:
        return self.count


class Released:
    """Where cases run (a worker, or a run without xdist): after a case's teardown, the
    finalizers its function-scoped fixtures left on wider-scoped fixtures are dropped (they
    already ran; pytest would call them again, as no-ops, at the end of the session)."""

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Any:
        try:
            return (yield)
        finally:
            release(item)


def release(item: pytest.Item) -> None:
    """Drop finished requests of ``item`` from its wider-scoped fixtures' finalizers."""
    defs = getattr(getattr(item, "_request", None), "_fixture_defs", None)
    if not isinstance(defs, dict):
        return
    for fixturedef in defs.values():
        finalizers = getattr(fixturedef, "_finalizers", None)
        if getattr(fixturedef, "scope", "function") != "function" and isinstance(finalizers, list):
            finalizers[:] = [f for f in finalizers if not _finished(f, item)]


def _finished(finalizer: Any, item: pytest.Item) -> bool:
    if not isinstance(finalizer, functools.partial):
        return False
    request = finalizer.keywords.get("request")
    owner = getattr(finalizer.func, "__self__", None)
    return (
        getattr(request, "_pyfuncitem", None) is item
        and getattr(owner, "scope", None) == "function"
        and getattr(owner, "cached_result", ()) is None
    )

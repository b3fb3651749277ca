"""In-process concurrency (``-j N``): later cases wait on the target while earlier ones are judged.

A live run is I/O-bound: each case waits on the target for most of its time. With ``-j N``,
cases run ahead of their turn in a pool of N threads, each with a harness of its own (the run's
transport, its budget, rate limit and connection pool are shared and thread-safe). At its turn
pytest sets the case up, as always, and its call phase takes the early run's outcome instead of
running the body again: the harness (findings, exchanges; in record mode what it recorded goes
into the case's cassette now, in order) and whatever the body raised. So the reports, their
order, junit.xml and the cassettes are those of a sequential run, with one process, one
embedded gateway and one budget.

A case runs ahead only when its body's arguments can be given without pytest (see
``standins``) and nothing would skip it; every other case runs at its turn, in the main thread,
as it would without ``-j`` (its neighbours still run ahead meanwhile). A generated test runs
at its turn, but its examples are drawn first and their requests sent N at a time
(``drawn_ahead``: Hypothesis draws in one thread only). Replay and vcrpy's partial record
modes stay sequential: vcrpy's patch is process-wide.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from ..core.exchange import Exchange
from ..net.transport import TargetError, Transport
from .harness import Harness
from .options import option, records_itself
from .standins import Arguments, runs_ahead
from .turns import GatedTransport, Turns

__all__ = ["PROVIDED", "Concurrency", "Early", "register", "sequential_because"]

SESSION_VALUES = ("mconf_target", "mconf_transport", "mconf_spec")
PROVIDED = frozenset({"mconf", *SESSION_VALUES})
WINDOW = 4  # cases started ahead per thread, at most: bounds what finished cases hold
SECONDS = pytest.StashKey[float]()  # a case's own duration when it ran ahead


def sequential_because(config: pytest.Config) -> str | None:
    """Why this run's cases run one at a time despite ``-j`` (None: they need not)."""
    if option(config, "mode") == "replay":
        return "replay answers from cassettes: nothing to wait for"
    if option(config, "mode") == "record" and not records_itself(config):
        return f"record mode {option(config, 'record_mode')} replays through vcrpy's patch"
    if hasattr(config, "workerinput") or getattr(config.option, "numprocesses", None):
        return "xdist workers (-n) run their cases one at a time"
    return None


def register(config: pytest.Config, harness_key: Any, recorder_key: Any) -> None:
    """Cases run ahead with ``--mconf-concurrency N`` (N > 1), where a run may."""
    config.addinivalue_line(
        "markers", "mconf_alone: with -j, run this case with nothing else in flight (timing)"
    )
    workers = option(config, "concurrency") or 1
    if workers > 1 and sequential_because(config) is None:
        plugin = Concurrency(config, workers, harness_key, recorder_key)
        config.pluginmanager.register(plugin, "mconf-concurrency")
        from .drawn_ahead import DrawnAhead

        config.pluginmanager.register(DrawnAhead(config, workers), "mconf-drawn-ahead")


@dataclass(slots=True)
class Early:
    """What a case's early run left: its harness, what it raised, what it recorded."""

    harness: Harness | None  # None: it could not run ahead (it runs at its turn)
    error: BaseException | None = None
    recorded: list[Exchange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # Hypothesis' report, as pytest shows it
    seconds: float = 0.0  # how long the body ran


class Concurrency:
    """The pytest plugin object behind ``--mconf-concurrency N`` (``mconf run -j N``)."""

    def __init__(
        self, config: pytest.Config, workers: int, harness_key: Any, recorder_key: Any
    ) -> None:
        self.config = config
        self.workers = workers
        self.harness_key = harness_key
        self.recorder_key = recorder_key
        self.recording = option(config, "mode") == "record"
        self.items: list[pytest.Item] = []
        self.indexes: dict[str, int] = {}
        self.turns: Turns | None = None
        self.eligible: list[bool] = []
        self.position = -1  # index of the case at its turn
        self.next = 0  # index of the next case to consider running ahead
        self.futures: dict[str, Future[Early]] = {}
        self.running: dict[int, Harness] = {}  # by id(): a harness compares by value
        self.lock = threading.RLock()  # a done callback may run in the thread that submits
        self.pool: ThreadPoolExecutor | None = None
        self.provided: dict[str, Any] = {}
        self.stopped = False
        self.changed = threading.Condition(self.lock)
        self.active = 0  # bodies running ahead now
        self.alone = False  # a case that must run alone has its turn: none starts meanwhile

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = list(session.items)
        self.indexes = {item.nodeid: index for index, item in enumerate(self.items)}
        self.eligible = [
            runs_ahead(item, PROVIDED) and not _skipped(item) and not _alone(item)
            for item in self.items
        ]

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        self._turn(item)
        if not _alone(item):
            return (yield)
        with self.changed:  # the cases running ahead finish; none starts until this one ends
            self.alone = True
            while self.active:
                self.changed.wait()
        try:
            return (yield)
        finally:
            with self.changed:
                self.alone = False
                self.changed.notify_all()

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        with self.lock:
            future = self.futures.pop(pyfuncitem.nodeid, None)
        if future is None or future.cancel():  # never started: it runs now, here
            self._top_up()
            return None
        early = future.result()
        self._top_up()
        if early.harness is None:
            return None
        recorder = pyfuncitem.stash.get(self.recorder_key, None)
        early.harness.recorder = recorder
        if recorder is not None:  # record mode: into the case's cassette, in order
            for exchange in early.recorded:
                recorder(exchange)
        pyfuncitem.stash[self.harness_key] = early.harness
        pyfuncitem.stash[SECONDS] = early.seconds
        if early.notes:
            pyfuncitem.hypothesis_report_information = "\n".join(early.notes)  # type: ignore[attr-defined]
        if early.error is not None:
            raise early.error
        return True

    @pytest.hookimpl(wrapper=True, trylast=True)  # inside the plugin's: it reads the duration
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Iterator[None]:
        report: Any = yield
        if call.when == "call" and SECONDS in item.stash:
            report.duration = item.stash[SECONDS]  # its own time, not the wait at its turn
        return report  # type: ignore[no-any-return]

    def pytest_sessionfinish(self) -> None:
        """Cases still running ahead (the run stopped early) stop at their next request."""
        with self.changed:
            self.stopped = True
            self.changed.notify_all()
            futures, self.futures = list(self.futures.values()), {}
            for harness in self.running.values():
                harness.untestable = TargetError("", "the run stopped before this case's turn")
        if self.turns is not None:
            self.turns.stop()
        for future in futures:
            future.cancel()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    # -- running ahead

    def _turn(self, item: pytest.Item) -> None:
        """``item``'s turn came: start the cases after it, up to the window."""
        index = self._index(item)
        if index is None:
            return
        with self.lock:
            self.position = max(self.position, index)
        if self.turns is not None:
            self.turns.turn(index)
        if self.pool is None:
            if not isinstance(item, pytest.Function) or not any(self.eligible[index + 1 :]):
                return
            request = item._request
            self.provided = {name: request.getfixturevalue(name) for name in SESSION_VALUES}
            sending = [_sends(i) for i in self.items]
            target, transport = self.provided["mconf_target"], self.provided["mconf_transport"]
            self.turns = Turns(transport.budget, sending, target.max_tokens)
            self.turns.turn(index)
            self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="mconf-case")
        self._top_up()

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        index = self.indexes.get(nodeid)
        if self.turns is not None and index is not None:
            self.turns.finish(index)

    def _index(self, item: pytest.Item) -> int | None:
        return self.indexes.get(item.nodeid)

    def _top_up(self) -> None:
        with self.lock:
            if self.pool is None or self.stopped:
                return
            while len(self.futures) < self.workers * WINDOW and self.next < len(self.items):
                index, self.next = self.next, self.next + 1
                if index <= self.position or not self.eligible[index]:
                    continue
                item = self.items[index]
                assert isinstance(item, pytest.Function)  # runs_ahead: only functions
                future = self.pool.submit(self._run, item, index)
                self.futures[item.nodeid] = future
                future.add_done_callback(lambda _: self._top_up())

    def _run(self, item: pytest.Function, index: int) -> Early:
        """The case's body, in a pool thread, with arguments of its own."""
        try:
            return self._early(item, index)
        finally:
            if self.turns is not None:
                self.turns.finish(index)

    def _early(self, item: pytest.Function, index: int) -> Early:
        target, transport, spec = (self.provided[name] for name in SESSION_VALUES)
        mode = option(self.config, "mode")
        turns = self.turns
        if turns is not None and turns.limited:  # the budget goes to the cases in order
            transport = cast(Transport, GatedTransport(transport, turns, index))
        harness = Harness(
            target, transport, spec, mode=mode, deadline_s=option(self.config, "deadline_s")
        )
        early = Early(harness)
        if self.recording:
            harness.recorder = early.recorded.append
        arguments = Arguments(item, {"mconf": harness, **self.provided})
        try:
            kwargs = arguments.enter()
        except Exception:  # Unsupported, or a fixture failed: it will, as pytest's, at its turn
            _close(arguments)
            return Early(None)
        with self.changed:
            while self.alone and not self.stopped:
                self.changed.wait()
            self.running[id(harness)] = harness
            self.active += 1
        try:
            if self.stopped:
                raise harness.untestable or TargetError("", "the run stopped")
            started = time.perf_counter()
            try:
                with _reporting(item, early.notes):
                    item.obj(**kwargs)
            finally:
                early.seconds = time.perf_counter() - started
        except BaseException as exc:  # a failure, a skip, "could not test": its outcome
            early.error = exc
        finally:
            with self.changed:
                self.running.pop(id(harness), None)
                self.active -= 1
                self.changed.notify_all()
            _close(arguments)
        return early


def _skipped(item: pytest.Item) -> bool:
    """Whether a marker may skip the case at its turn (then it must not send before)."""
    return (
        any(item.iter_markers("skip"))
        or any(item.iter_markers("skipif"))
        or any(m.kwargs.get("run") is False for m in item.iter_markers("xfail"))
    )


def _sends(item: pytest.Item) -> bool:
    """Whether the case may send through the harness (and so needs the budget)."""
    return "mconf" in getattr(item, "fixturenames", ()) and not _skipped(item)


def _alone(item: pytest.Item) -> bool:
    """``mconf_alone``: the case judges timing on a shared CPU (the embedded gateway's pauses
    against a 0.4 s idle timeout): it runs at its turn with nothing running ahead."""
    return item.get_closest_marker("mconf_alone") is not None


def _close(arguments: Arguments) -> None:
    with contextlib.suppress(Exception):  # pytest tears the real fixtures down at the turn
        arguments.close()


@contextlib.contextmanager
def _reporting(item: pytest.Function, notes: list[str]) -> Iterator[None]:
    """Hypothesis' report of a generated case kept for pytest, not printed from a thread."""
    reporting = sys.modules.get("hypothesis.reporting")
    if reporting is None or not getattr(item.obj, "is_hypothesis_test", False):
        yield
        return
    with reporting.with_reporter(notes.append):
        yield

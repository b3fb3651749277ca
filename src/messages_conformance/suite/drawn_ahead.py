"""Generated cases under ``-j``: drawn first, sent N at a time, judged in order.

A generated test cannot run ahead of its turn as other cases do: Hypothesis draws in one thread
only (drawing in several broke CPython 3.11's AST constructor; a lock around drawing left
nothing to overlap). At its turn, with ``-j N`` in a live or record run, it runs in three steps
instead:

1. its cases are drawn: by the helper process (``draw_worker``), started as soon as the run
   has collected its generated tests, which draws them on the other core while the run sends
   its other cases; else here, by Hypothesis with a body that only keeps them. Either way the
   same cases, in the same order, as a sequential run: generation is derandomized, and the
   test's body never steers it (it raises only when the target cannot be tested);
2. their requests go out through the run's transport, N at a time, in a pool of threads
   (``case.call``, as the body would send them: clamped, with the same headers and hooks);
3. the test's own body runs on each case in order, in the main thread, and its requests are
   answered by those already sent (``Answered``: matched by method, path, headers and body;
   a request nobody sent ahead, a check's probe, goes out then).

What the body checks, its findings, the kept cases and the cassette are those of a sequential
run, and so are the requests the target gets: each once. With a budget (``--max-requests``,
``--max-output-tokens``) the test runs as without ``-j``: the budget goes to the cases in order.
``mconf run -j N -v`` says who drew the examples (and why the helper could not, if it could
not).
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from ..net.results import Sent
from ..net.transport import TargetError, Transport
from .case_records import from_record
from .draw_worker import Helper, drawn
from .generated import clamp_case
from .generation import call_headers
from .harness import Harness
from .options import budgets, option, target_of
from .sending import PLACEHOLDER_BASE, sending

__all__ = ["Answered", "DrawnAhead", "Outcome"]

Key = tuple[str, str, tuple[tuple[str, Any], ...], bytes | None]
Outcome = Sent | BaseException


def key_of(body: Any, options: Mapping[str, Any]) -> Key:
    """What identifies a request: method, path, headers as sent, body."""
    headers = options.get("headers") or {}
    sent = tuple(sorted((str(k).lower(), v) for k, v in headers.items() if v is not None))
    content = body if body is None or isinstance(body, bytes) else repr(body).encode()
    return (str(options.get("method", "POST")), str(options.get("path", "")), sent, content)


@dataclass
class Answers:
    """The answers to requests sent ahead, by request: each is given once."""

    outcomes: dict[Key, collections.deque[Outcome]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, key: Key, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.setdefault(key, collections.deque()).append(outcome)

    def take(self, key: Key) -> Outcome | None:
        with self.lock:
            waiting = self.outcomes.get(key)
            if not waiting:
                return None
            outcome = waiting.popleft()
            if not waiting:
                del self.outcomes[key]
            return outcome


class Answered:
    """The run's transport, answering the requests sent ahead from ``answers``."""

    def __init__(self, transport: Transport, answers: Answers) -> None:
        self.transport = transport
        self.answers = answers

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)

    def send(self, body: Any, **options: Any) -> Sent:
        outcome = self.answers.take(key_of(body, options))
        if outcome is None:
            return self.transport.send(body, **options)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


@dataclass
class _Ahead:
    """What ``HarnessTransport`` sends a case through while the case is sent ahead: the run's
    transport, its answer kept in ``answers`` (raw: the body's harness scrubs it, as always)."""

    transport: Transport
    answers: Answers
    deadline_s: float | None
    stopped: bool = False  # the test ended early (the target could not be tested): send no more

    def new_case(self) -> None:
        pass

    def send(self, body: Any, **options: Any) -> Any:
        if self.stopped:
            raise TargetError("", "the test ended before this request went out")
        deadline = None if self.deadline_s is None else time.monotonic() + self.deadline_s
        key = key_of(body, options)
        try:
            sent = self.transport.send(body, deadline=deadline, **options)
        except TargetError as exc:
            self.answers.put(key, exc)
            if exc.partial is None:
                raise
            sent = exc.partial
        else:
            self.answers.put(key, sent)
        return _Received(sent)


@dataclass(slots=True)
class _Received:
    """The little of a harness ``Result`` that Schemathesis' response is made of."""

    sent: Sent

    @property
    def exchange(self) -> Any:
        return self.sent.exchange


class DrawnAhead:
    """The pytest plugin object that runs generated tests as above under ``-j N``."""

    def __init__(self, config: pytest.Config, workers: int) -> None:
        self.config = config
        self.workers = workers
        self.limited = any(value is not None for value in budgets(config).values())
        self.helper: Helper | None = None
        self.by_helper = self.by_run = 0  # generated tests whose examples each drew

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """The helper process starts drawing the run's generated tests (not with a budget)."""
        if self.limited:
            return
        items = [item for item in session.items if _generated(item)]
        if items:
            self.helper = Helper(self.config, items, target_of(self.config))

    def pytest_sessionfinish(self) -> None:
        if self.helper is not None:
            self.helper.close()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not (self.by_helper or self.by_run) or self.config.option.verbose < 1:
            return
        line = f"mconf: -j: generated tests' examples drawn by a helper process: {self.by_helper}"
        line += f", by the run: {self.by_run}"
        failure = self.helper.failure if self.helper is not None else None
        terminalreporter.write_line(line + (f" (the helper: {failure})" if failure else ""))

    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        handle = getattr(pyfuncitem.obj, "hypothesis", None)
        harness = pyfuncitem.funcargs.get("mconf")
        if handle is None or "mconf_drawn" not in pyfuncitem.funcargs:
            return None
        if self.limited or not isinstance(harness, Harness):
            return None
        if not isinstance(harness.transport, Transport):
            return None
        names = pyfuncitem._fixtureinfo.argnames
        funcargs = {name: pyfuncitem.funcargs[name] for name in names if name != "case"}
        cases = self._cases(pyfuncitem, handle, funcargs)
        transport = harness.transport
        answers = Answers()
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="mconf-drawn")
        ahead = _Ahead(transport, answers, option(self.config, "deadline_s"))
        try:
            futures = [pool.submit(_send, case, harness, ahead) for case in cases]
            harness.transport = cast(Transport, Answered(transport, answers))
            for case, future in zip(cases, futures, strict=True):
                future.exception()  # its answer is in `answers` (or the request went nowhere)
                handle.inner_test(case=case, **funcargs)
        finally:
            harness.transport = transport
            ahead.stopped = True
            pool.shutdown(wait=True, cancel_futures=True)
        return True

    def _cases(self, item: pytest.Function, handle: Any, funcargs: dict[str, Any]) -> list[Any]:
        """The test's examples: drawn by the helper process if it could, else here."""
        records = self.helper.records(item.nodeid) if self.helper is not None else None
        if records is None:
            self.by_run += 1
            return drawn(item, handle, funcargs)
        from schemathesis.generation.hypothesis.builder import ApiOperationMark

        operation = ApiOperationMark.get(item.obj)
        self.by_helper += 1
        funcargs["mconf_drawn"].replaying = True  # clamped and prepared as sent: kept as they are
        return [from_record(operation, record) for record in records]


def _generated(item: pytest.Item) -> bool:
    handle = getattr(getattr(item, "obj", None), "hypothesis", None)
    return handle is not None and "mconf_drawn" in getattr(item, "fixturenames", ())


def _send(case: Any, harness: Harness, ahead: _Ahead) -> None:
    """One case's request, as the test's body will send it (its answer goes to ``ahead``)."""
    clamp_case(case, harness.target)
    with sending(cast(Harness, ahead)):
        case.call(base_url=PLACEHOLDER_BASE, headers=call_headers(case, harness.auth_headers()))

"""The Locust side of `mconf load`: users that send the mix and judge every answer.

This module is a locustfile: ``locust -f <this file> --worker --master-host ...`` runs it in a
Locust worker, and `mconf load` imports it for a local or a master runner. Importing it imports
Locust, which patches the process for gevent: import it only in a process meant for load.

Its settings come in the ``MCONF_LOAD`` environment variable (JSON written by `mconf load`:
the resolved target without its key, the mix, whether to check). Each user has its own
``Transport`` (retries off: a 429 is judged, not waited out); every answer goes through
``check_exchange`` plus the load-only rules, is reported to Locust as a request (a failure when
it has unwaived error findings) and counted in ``TALLY``; workers send their counts to the
master with each Locust stats report (``report_to_master`` / ``worker_report``).
"""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

from locust import User, constant, events

from messages_conformance.core.spec import Spec
from messages_conformance.net.transport import TargetError, Timeouts, Transport, key_headers
from messages_conformance.suite.load_checks import judge, no_answer
from messages_conformance.suite.load_settings import ENV, LoadSettings
from messages_conformance.suite.load_shapes import SHAPES, Shape
from messages_conformance.suite.load_tally import LoadTally

TALLY = LoadTally()


def settings() -> LoadSettings:
    return LoadSettings.from_env()


class ConformanceUser(User):
    """One client of the target: sends shapes of the mix, by weight, as fast as answered."""

    wait_time = constant(0)
    abstract = True  # made concrete by `users()` once the settings are known

    def on_start(self) -> None:
        self.load = settings()
        target = self.load.target
        self.spec = Spec.load()
        self.transport = Transport(
            target.base_url,
            auth_headers=key_headers(target.key() or "", target.auth),
            default_headers={"anthropic-version": "2023-06-01"},
            timeouts=Timeouts(connect=5.0, read=self.load.timeout_s, total=self.load.timeout_s * 4),
            max_retries=0,
        )

    def on_stop(self) -> None:
        self.transport.close()

    def ask(self, shape: Shape) -> None:
        target = self.load.target
        marker = f"mconf-load-{secrets.token_hex(6)}"
        started = time.perf_counter()
        try:
            sent = self.transport.send(shape.build(marker, target.model, target.max_tokens))
        except TargetError as error:
            elapsed = (time.perf_counter() - started) * 1000
            TALLY.add(shape.name, None, [no_answer(error)], waivers=target.waivers)
            self._report(shape, elapsed, 0, f"no answer: {type(error).__name__}")
            return
        elapsed = (time.perf_counter() - started) * 1000
        response = sent.exchange.response
        findings = judge(shape, marker, sent, self.spec) if self.load.checks else []
        failed = TALLY.add(shape.name, response.status, findings, waivers=target.waivers)
        problem = ", ".join(sorted({f.rule for f in findings if f.severity == "error"})[:3])
        self._report(shape, elapsed, len(response.body), problem if failed else None)

    def _report(self, shape: Shape, elapsed_ms: float, length: int, problem: str | None) -> None:
        self.environment.events.request.fire(
            request_type="POST",
            name=shape.name,
            response_time=elapsed_ms,
            response_length=length,
            response=None,
            context={},
            exception=ConformanceFailure(problem) if problem else None,
        )


class ConformanceFailure(Exception):
    """An answer with unwaived error findings (shown by Locust as a failed request)."""


def users(mix: dict[str, int]) -> type[User]:
    """The concrete user class for this mix: one task per shape, weighted."""

    def task_for(shape: Shape) -> Any:
        def run(user: ConformanceUser) -> None:
            user.ask(shape)

        run.__name__ = shape.name
        return run

    tasks = {task_for(SHAPES[name]): weight for name, weight in mix.items()}
    return type("MconfUser", (ConformanceUser,), {"tasks": tasks, "abstract": False})


def _to_master(client_id: str, data: dict[str, Any], **_: Any) -> None:
    """A worker's stats report carries what it counted since the last one."""
    data["mconf"] = TALLY.take()


def _from_worker(client_id: str, data: dict[str, Any], **_: Any) -> None:
    """The master adds each worker's counts to its own."""
    TALLY.merge(data.get("mconf") or {})


events.report_to_master.add_listener(_to_master)  # type: ignore[no-untyped-call]
events.worker_report.add_listener(_from_worker)  # type: ignore[no-untyped-call]


if os.environ.get(ENV):  # run by `locust -f`: the class Locust finds in this module
    MconfUser = users(settings().mix)

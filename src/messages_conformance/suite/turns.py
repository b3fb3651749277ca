"""The run's budget under ``-j``: what is left goes to the cases in their order.

Without a budget (``--max-requests``, ``--max-output-tokens``) cases running ahead send freely.
With one, a request of a case running ahead goes out only while what is left of the budget
also covers one request for every earlier case still to finish (requests), or while nothing
sent in flight could reach it (output tokens, at the target's ``max_tokens`` a request); else
it waits for the earlier cases. The budget itself is never exceeded (``net/limits.Budget``
counts every request under a lock); with one request a case, the same cases run as without
``-j``, and the case the budget stops is the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..net.transport import Budget, Sent, TargetError, Transport

__all__ = ["GatedTransport", "Turns"]


class Turns:
    """Which cases are still to finish, and the requests in flight from cases running ahead."""

    def __init__(self, budget: Budget, sending: list[bool], tokens_per_request: int) -> None:
        self.budget = budget
        self.sending = sending  # by case index: the case sends through the harness
        self.finished = [False] * len(sending)
        self.tokens_per_request = max(tokens_per_request, 1)
        self.position = 0  # the case at its turn; earlier ones are finished
        self.in_flight = 0
        self.stopped = False
        self.changed = threading.Condition()

    @property
    def limited(self) -> bool:
        return self.budget.max_requests is not None or self.budget.max_output_tokens is not None

    def turn(self, index: int) -> None:
        with self.changed:
            self.position = max(self.position, index)
            self.changed.notify_all()

    def finish(self, index: int) -> None:
        with self.changed:
            self.finished[index] = True
            self.changed.notify_all()

    def stop(self) -> None:
        with self.changed:
            self.stopped = True
            self.changed.notify_all()

    def _earlier(self, index: int) -> int:
        """Earlier cases that send and have not finished (each may still need a request)."""
        return sum(
            1 for k in range(self.position, index) if self.sending[k] and not self.finished[k]
        )

    def _fits(self, index: int) -> bool:
        budget = self.budget
        earlier = self._earlier(index)
        if budget.max_requests is not None:
            left = budget.max_requests - budget.requests_sent - self.in_flight
            if left <= earlier:
                return False
        if budget.max_output_tokens is not None:
            reach = budget.output_tokens_spent + (self.in_flight + 1) * self.tokens_per_request
            if reach > budget.max_output_tokens and (self.in_flight or earlier):
                return False
        return True

    def _spent(self) -> bool:
        budget = self.budget
        if budget.max_requests is not None and budget.requests_sent >= budget.max_requests:
            return True
        spent = budget.output_tokens_spent
        return budget.max_output_tokens is not None and spent >= budget.max_output_tokens

    def sending_now(self, index: int, send: Callable[[], Sent]) -> Sent:
        """``send()`` once the budget leaves room for the earlier cases (or is spent: then
        the transport says so, as it would have)."""
        if not self.limited:
            return send()
        with self.changed:
            while not (self.stopped or self._spent() or self._fits(index)):
                self.changed.wait()
            if self.stopped:
                raise TargetError("", "the run stopped before this case's turn")
            self.in_flight += 1
        try:
            return send()
        finally:
            with self.changed:
                self.in_flight -= 1
                self.changed.notify_all()


class GatedTransport:
    """A case's view of the run's transport while it runs ahead: each send waits its turn
    at the budget (``Turns``); everything else is the transport's."""

    def __init__(self, transport: Transport, turns: Turns, index: int) -> None:
        self._transport = transport
        self._turns = turns
        self._index = index

    def send(self, body: Any, **options: Any) -> Sent:
        return self._turns.sending_now(self._index, lambda: self._transport.send(body, **options))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

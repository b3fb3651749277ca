"""The limits of a live run: timeouts, the request/output-token budget and the rate pacer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from .errors import BudgetExhausted

Sleep = Callable[[float], None]

# -- limits ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds: to connect, of silence between two reads, and for one whole attempt."""

    connect: float = 10.0
    read: float = 120.0
    total: float = 600.0

    def for_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(self.read, connect=self.connect)


class Budget:
    """What a run may spend; thread-safe counters shared by every request of the run."""

    def __init__(self, max_requests: int | None = None, max_output_tokens: int | None = None):
        self.max_requests = max_requests
        self.max_output_tokens = max_output_tokens
        self._lock = threading.Lock()
        self._requests = 0
        self._tokens = 0
        self._retries = 0

    @property
    def requests_sent(self) -> int:
        return self._requests

    @property
    def output_tokens_spent(self) -> int:
        return self._tokens

    @property
    def retries(self) -> int:
        return self._retries

    def charge_request(self, url: str = "") -> None:
        """Count one request about to be sent; BudgetExhausted when nothing is left."""
        with self._lock:
            spent = self._spent()
            if spent:
                raise BudgetExhausted(url, spent)
            self._requests += 1

    def charge_tokens(self, n: int) -> None:
        with self._lock:
            self._tokens += max(n, 0)

    def charge_retry(self) -> None:
        with self._lock:
            self._retries += 1

    def _spent(self) -> str:
        if self.max_requests is not None and self._requests >= self.max_requests:
            return f"{self._requests} of max {self.max_requests} requests already sent"
        if self.max_output_tokens is not None and self._tokens >= self.max_output_tokens:
            return f"{self._tokens} of max {self.max_output_tokens} output tokens already spent"
        return ""


class _Pacer:
    """At least ``interval`` seconds between the starts of two requests, across threads."""

    def __init__(self, interval: float, sleep: Sleep) -> None:
        self._interval = interval
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        if self._interval <= 0:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            self._sleep(start - now)

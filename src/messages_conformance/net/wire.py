"""Timing capture on the wire: when a response's status line, each body chunk and its end arrive.

``WireTransport`` is httpx's ``HTTPTransport`` whose connection pool hands every body chunk,
as httpcore reads it off the connection (before content decoding), to the ``Stopwatch`` of
the request in flight on this thread or task (``measuring``). It sits below vcrpy's patch of
``HTTPTransport.handle_request``: a recording run, where vcrpy reads the whole body before
the client sees any of it, is still timed on the real wire, and ``recordings/timings`` keeps
the result with the interaction; replay hands the stored timing to the same stopwatch.

The cost is a clock read and a tuple per chunk (``benchmarks/timing.py`` measures it).
"""

from __future__ import annotations

import contextlib
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from itertools import repeat
from operator import floordiv, sub, truediv
from typing import Any, Final
from urllib.parse import urlsplit

import httpcore
import httpx

from ..core.timing import MEASURED, Timing

__all__ = ["IN_FLIGHT", "Stopwatch", "WireTransport", "in_flight", "measuring", "replayed"]

Clock = Callable[[], int]  # nanoseconds
_ZLIB_CODINGS: Final = frozenset({"gzip", "x-gzip", "deflate"})


class Stopwatch:
    """One request's arrival times, fed by the wire (or by a cassette in replay).

    The clock reads integer nanoseconds (``time.monotonic_ns``). Chunks are kept as raw
    readings and sizes (two lists: the per-chunk cost is two appends); ``timing()`` turns them
    into seconds since the start, to the microsecond as cassettes keep them, once."""

    __slots__ = (
        "_clock",
        "_recorded",
        "_sizer",
        "coding",
        "end_at",
        "sizes",
        "started",
        "status_at",
        "ticks",
    )

    def __init__(self, clock: Clock = time.monotonic_ns) -> None:
        self._clock = clock
        self.started = clock()
        self.status_at: int | None = None  # nanoseconds since the start
        self.end_at: int | None = None
        self.ticks: list[int] = []  # clock readings, one per chunk
        self.sizes: list[int] = []  # decoded bytes, one per chunk
        self.coding = ""
        self._sizer: _Sizer | None = None
        self._recorded: Timing | None = None

    def status(self, coding: str) -> None:
        """The status line and headers arrived; ``coding`` is their content-encoding."""
        self.status_at = self._clock() - self.started
        self.coding = coding
        self._sizer = _Sizer(coding)

    def size_of(self) -> Callable[[bytes], int]:
        """How to size a chunk in decoded bytes (``len`` for an identity body)."""
        return self._sizer.size if self._sizer is not None and self._sizer.inflates else len

    def chunk(self, data: bytes) -> None:
        if data and self._sizer is not None:
            self.ticks.append(self._clock())
            self.sizes.append(self.size_of()(data))

    def end(self) -> None:
        if self.end_at is None and self.status_at is not None:
            self.end_at = self._clock() - self.started

    def replayed(self, timing: Timing | None) -> None:
        """A cassette answered: its stored timing (None: recorded without one)."""
        self._recorded = timing.as_recorded() if timing is not None else None

    def timing(self) -> Timing | None:
        """What was measured, else what a cassette recorded, else None."""
        if self.status_at is None:
            return self._recorded
        end = self.end_at if self.end_at is not None else self._clock() - self.started
        sized = self._sizer.sized if self._sizer is not None else True
        # to the microsecond, as cassettes keep it: live and replay judge the same numbers
        micros = map(floordiv, map(sub, self.ticks, repeat(self.started)), repeat(1000))
        chunks = tuple(zip(map(truediv, micros, repeat(1e6)), self.sizes, strict=True))
        status, end_s = self.status_at // 1000 / 1e6, end // 1000 / 1e6
        return Timing(status, end_s, chunks, self.coding, source=MEASURED, sized=sized)


IN_FLIGHT: ContextVar[Stopwatch | None] = ContextVar("mconf_in_flight", default=None)


def in_flight() -> Stopwatch | None:
    """The stopwatch of the request being sent on this thread or task, if any."""
    return IN_FLIGHT.get()


@contextlib.contextmanager
def measuring(stopwatch: Stopwatch) -> Iterator[Stopwatch]:
    """Time the requests sent inside the block with ``stopwatch``."""
    token = IN_FLIGHT.set(stopwatch)
    try:
        yield stopwatch
    finally:
        IN_FLIGHT.reset(token)


class WireTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` timing each response for the stopwatch in flight (if any)."""

    @classmethod
    def for_url(cls, base_url: str) -> WireTransport:
        """A transport for requests to ``base_url`` that honours the environment's proxy
        (``HTTP(S)_PROXY``, ``NO_PROXY``), as httpx's own transport would: httpx reads the
        environment only for the transport it builds itself."""
        parts = urlsplit(base_url)
        bypass = urllib.request.proxy_bypass(parts.hostname or "")
        proxy = None if bypass else urllib.request.getproxies().get(parts.scheme)
        return cls(proxy=proxy) if proxy else cls()

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # httpx 0.28 keeps its httpcore pool in ``_pool``; without one nothing is timed.
        pool = getattr(self, "_pool", None)
        if pool is not None:
            self._pool = _TimedPool(pool)  # type: ignore[assignment]


class _TimedPool:
    """An httpcore pool (the ``RequestInterface`` httpx calls) whose responses are timed."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        stopwatch = IN_FLIGHT.get()
        response: httpcore.Response = self._pool.handle_request(request)
        if stopwatch is not None:
            stopwatch.status(_coding(response.headers))
            response.stream = _TimedStream(response.stream, stopwatch)
        return response

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> _TimedPool:
        self._pool.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._pool.__exit__(*exc)


class _TimedStream:
    """httpcore's body stream, each chunk stamped as it comes off the connection."""

    def __init__(self, stream: Any, stopwatch: Stopwatch) -> None:
        self._stream = stream
        self._stopwatch = stopwatch

    def __iter__(self) -> Iterator[bytes]:
        stopwatch = self._stopwatch
        clock, tick, sized, size = (
            stopwatch._clock,
            stopwatch.ticks.append,
            stopwatch.sizes.append,
            stopwatch.size_of(),
        )
        for data in self._stream:
            if data:
                tick(clock())
                sized(size(data))
            yield data
        stopwatch.end()

    def close(self) -> None:
        self._stopwatch.end()
        if hasattr(self._stream, "close"):
            self._stream.close()


class _Sizer:
    """Sizes of chunks in the decoded body: gzip and deflate are followed with zlib, other
    codings (br, zstd) leave the sizes in wire bytes (``sized`` False)."""

    __slots__ = ("_inflate", "sized")

    @property
    def inflates(self) -> bool:
        return self._inflate is not None

    def __init__(self, coding: str) -> None:
        codings = [c.strip().lower() for c in coding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        self._inflate: Any = None
        self.sized = True
        if len(codings) == 1 and codings[0] in _ZLIB_CODINGS:
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib framing
        elif codings:
            self.sized = False

    def size(self, data: bytes) -> int:
        if self._inflate is None:
            return len(data)
        try:
            return len(self._inflate.decompress(data))
        except zlib.error:
            self._inflate, self.sized = None, False
            return len(data)


def _coding(headers: Iterable[tuple[bytes, bytes]]) -> str:
    values = [v.decode("latin-1") for k, v in headers if k.lower() == b"content-encoding"]
    return ", ".join(values)


def replayed(timing: Timing | None) -> None:
    """Hand a cassette's stored timing to the request in flight (no-op outside one)."""
    stopwatch = IN_FLIGHT.get()
    if stopwatch is not None:
        stopwatch.replayed(timing)

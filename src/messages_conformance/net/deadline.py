"""The sockets under the transport: a deadline over every read and write, and no cookies.

httpx's timeouts are per socket operation: a server that sends one header line every few
seconds, or pings forever, never trips them. Here every connect, read and write of a request
gets at most the time left until that request's deadline (``within``), so headers and body
together end by then, in every mode. ``direct`` sends past vcrpy's patch of
``httpx.HTTPTransport.handle_request``: when recording, the transport reads (and caps) the
body itself and hands the exchange to the recorder, instead of vcrpy buffering it whole.
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
import time
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Final

import httpcore
import httpx

__all__ = ["DeadlinePassed", "client", "within"]

_HANDLE_REQUEST: Final = httpx.HTTPTransport.handle_request  # before any vcrpy patch


@dataclass(frozen=True, slots=True)
class _Deadline:
    at: float  # time.monotonic()
    seconds: float

    def left(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise DeadlinePassed(f"response not complete within the {self.seconds:g}s deadline")
        return left


_CURRENT: contextvars.ContextVar[_Deadline | None] = contextvars.ContextVar(
    "mconf_deadline", default=None
)


class DeadlinePassed(httpcore.ReadTimeout):
    """A request's deadline passed (httpx maps it to ``httpx.ReadTimeout``, message kept)."""


@contextlib.contextmanager
def within(seconds: float, *, at: float | None = None) -> Iterator[None]:
    """Every socket operation inside ends by ``at`` (default: ``seconds`` from now)."""
    deadline = _Deadline(time.monotonic() + seconds if at is None else at, seconds)
    token = _CURRENT.set(deadline)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def _clamped(timeout: float | None) -> float | None:
    deadline = _CURRENT.get()
    if deadline is None:
        return timeout
    left = deadline.left()
    return left if timeout is None else min(timeout, left)


def _recheck() -> None:
    """After a socket timeout: say so when it was the deadline that ran out."""
    deadline = _CURRENT.get()
    if deadline is not None:
        deadline.left()


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._inner.read(max_bytes, _clamped(timeout))
        except httpcore.TimeoutException:
            _recheck()
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self._inner.write(buffer, _clamped(timeout))
        except httpcore.TimeoutException:
            _recheck()
            raise

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _clamped(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _clamped(timeout), local_address, socket_options
        )
        return _Stream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _clamped(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _under_deadlines(transport: httpx.HTTPTransport) -> None:
    """Give the httpcore pool under ``transport`` (maybe wrapped, e.g. timed) our backend."""
    pool: Any = getattr(transport, "_pool", None)
    while pool is not None and not hasattr(pool, "_network_backend"):
        pool = getattr(pool, "_pool", None)  # net/wire.py's timed pool wraps httpcore's
    if pool is not None:
        pool._network_backend = _Backend(pool._network_backend)


def client(
    timeout: httpx.Timeout, *, direct: bool = False, transport: httpx.HTTPTransport | None = None
) -> httpx.Client:
    """An httpx client over ``transport`` (default: httpx's) with deadlines on its sockets,
    that never keeps a cookie; ``direct``: its requests go past vcrpy's class-level patch."""
    wire = transport or httpx.HTTPTransport()
    _under_deadlines(wire)
    if direct:
        wire.handle_request = types.MethodType(_HANDLE_REQUEST, wire)  # type: ignore[method-assign]
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.Client(timeout=timeout, transport=wire, cookies=jar)

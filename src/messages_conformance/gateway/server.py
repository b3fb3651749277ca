"""Running the app with uvicorn: in a background thread (tests, the suite) or in front (CLI)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType
from typing import Any, Self

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .app import create_app
from .bounds import HEADER_TIMEOUT_S
from .config import GatewayConfig

READY_TIMEOUT_S = 10.0


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one. Raises OSError when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so; without it
    # the response's header and body writes meet Nagle + delayed ACK (40 ms per request)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def uvicorn_server(config: GatewayConfig) -> uvicorn.Server:
    app = create_app(config)
    settings = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", http=HeadTimeoutProtocol
    )
    return uvicorn.Server(settings)


class HeadTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose first request head has not arrived
    within HEADER_TIMEOUT_S (a client trickling header lines holds no connection for long).
    Later requests on the connection are covered by uvicorn's keep-alive timeout."""

    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._head_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._head_late)

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)

    def _head_late(self) -> None:
        self._head_timer = None
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class Served:
    """A gateway being served: a context manager whose ``with`` block ends with ``stop()``."""

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class RunningGateway(Served):
    """A gateway served from a daemon thread; a context manager that stops it on exit."""

    def __init__(self, config: GatewayConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        self._server = uvicorn_server(config)
        self._socket = bind(host, port)
        self.base_url = url_of(self._socket)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> RunningGateway:
        self._thread.start()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(READY_TIMEOUT_S)
        self._socket.close()


def serve_in_thread(
    config: GatewayConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningGateway:
    """Start a gateway on loopback (port 0: a free port) and return once it accepts requests."""
    return RunningGateway(config or GatewayConfig(), host, port).start()

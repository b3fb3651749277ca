"""Running the app with uvicorn: in a background thread (tests, the suite) or in front (CLI)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from .app import create_app
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
    settings = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(settings)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class RunningGateway:
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

    def __enter__(self) -> RunningGateway:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve_in_thread(
    config: GatewayConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningGateway:
    """Start a gateway on loopback (port 0: a free port) and return once it accepts requests."""
    return RunningGateway(config or GatewayConfig(), host, port).start()

"""The gateway in a process of its own: a run with cases in flight (``mconf run -j``) does not
share its interpreter (one GIL) with the gateway it tests, and the gateway gets a core.

The parent binds the listening socket (so the URL is known at once and connections queue in
its backlog) and hands it to ``python -m messages_conformance.gateway.process FD``; the
configuration, keys included, travels on the child's stdin, never on its command line.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from typing import Any

from .config import GatewayConfig
from .server import READY_TIMEOUT_S, Served, bind, url_of

__all__ = ["GatewayProcess", "serve_in_process"]


class GatewayProcess(Served):
    """A gateway served by a child process; a context manager that stops it on exit."""

    def __init__(self, config: GatewayConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        self._socket = bind(host, port)
        self.base_url = url_of(self._socket)
        fd = self._socket.fileno()
        command = [sys.executable, "-m", "messages_conformance.gateway.process", str(fd)]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=(fd,), text=True
        )

    def start(self) -> GatewayProcess:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(dataclasses.asdict(self.config)) + "\n")
        self._process.stdin.close()
        ready: list[str] = []
        reader = threading.Thread(
            target=lambda: ready.append(self._process.stdout.readline()),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(READY_TIMEOUT_S)
        if not ready or ready[0].strip() != "ready":
            self.stop()
            raise RuntimeError("the gateway did not start")
        return self

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(READY_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._socket.close()


def serve_in_process(
    config: GatewayConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> GatewayProcess:
    """Start a gateway in a child process on loopback; return once it serves requests."""
    return GatewayProcess(config or GatewayConfig(), host, port).start()


def main() -> None:
    """The child: the inherited socket (argv[1]), the configuration on stdin."""
    import socket

    from .server import uvicorn_server

    values = json.loads(sys.stdin.readline())
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    server = uvicorn_server(GatewayConfig(**fields))
    sock = socket.socket(fileno=int(sys.argv[1]))
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # nobody reads on: never block on a full pipe
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()

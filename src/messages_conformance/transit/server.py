"""The processes of a transit run: the scripted upstream in a thread, the proxy in a process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from types import TracebackType
from typing import IO

import uvicorn

from .upstream import Upstream, UpstreamConfig

READY_TIMEOUT_S = 15.0


class UpstreamUnavailable(Exception):
    """The upstream cannot listen where asked, or the proxy did not start (one line)."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (0: a free port); raises UpstreamUnavailable."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise UpstreamUnavailable(
            f"cannot serve the upstream on {host}:{port}: {exc.strerror or exc}; "
            "pick a free port for --upstream"
        ) from None
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class RunningUpstream:
    """The scripted upstream served from a daemon thread; stops on exit."""

    def __init__(self, config: UpstreamConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = Upstream(config)
        settings = uvicorn.Config(self.app, log_level="critical", access_log=False, lifespan="off")
        self._server = uvicorn.Server(settings)
        self._socket = bind(host, port)
        self.base_url = url_of(self._socket)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> RunningUpstream:
        self._thread.start()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise UpstreamUnavailable(f"the scripted upstream did not start on {self.base_url}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(READY_TIMEOUT_S)
        self._socket.close()

    def __enter__(self) -> RunningUpstream:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class ProxyProcess:
    """`mconf proxy` in its own process on a free loopback port (the embedded transit target).

    Its own process: the suite's recorder patches HTTP clients in this one, and the proxy's
    upstream leg must stay a real, streaming connection."""

    def __init__(
        self, upstream: str, *, upstream_key: str, client_key: str, faults: tuple[str, ...] = ()
    ) -> None:
        command = [sys.executable, "-m", "messages_conformance", "proxy", "--port", "0"]
        command += ["--upstream", upstream, *[a for f in faults for a in ("--fault", f)]]
        # keys travel in the environment, never on a command line others can read
        env = {
            **os.environ,
            "MCONF_PROXY_UPSTREAM_KEY": upstream_key,
            "MCONF_GATEWAY_API_KEY": client_key,
        }
        self._process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.base_url = self._await_url()

    def _await_url(self) -> str:
        out: IO[str] | None = self._process.stdout
        line = out.readline() if out is not None else ""
        if "listening on " not in line:
            self.stop()
            error = self._process.stderr.read() if self._process.stderr else ""
            reason = (error.strip().splitlines() or [line.strip() or "no output"])[-1]
            raise UpstreamUnavailable(f"the reference proxy did not start: {reason}")
        return line.split("listening on ", 1)[1].split()[0]

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        for pipe in (self._process.stdout, self._process.stderr):
            if pipe is not None:
                pipe.close()

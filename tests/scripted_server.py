"""A loopback HTTP/1.1 server answering every request with one scripted response: a head, then
writes, each after its own silence (a uniquely named helper module, not conftest)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from types import TracebackType

Write = tuple[float, bytes]  # seconds of silence, then these bytes (one chunk of chunked coding)


def head(status: int = 200, content_type: str = "text/event-stream", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status} OK", f"content-type: {content_type}", "connection: close"]
    lines += ["transfer-encoding: chunked"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class ScriptedServer:
    """Serves ``head`` after ``head_delay_s``, then each write as its own chunk."""

    def __init__(self, response_head: bytes, writes: Sequence[Write], head_delay_s: float = 0.0):
        self.head, self.writes, self.head_delay_s = response_head, list(writes), head_delay_s
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            try:
                _read_request(conn)
                time.sleep(self.head_delay_s)
                conn.sendall(self.head)
                for delay, data in self.writes:
                    time.sleep(delay)
                    conn.sendall(b"%x\r\n%s\r\n" % (len(data), data))
                conn.sendall(b"0\r\n\r\n")
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536) or b"\r\n\r\n"
    top, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in top.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        body += conn.recv(65536) or b" " * length

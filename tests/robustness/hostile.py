"""A loopback target that misbehaves on purpose, and `mconf` run in-process against it.

Shared by the hostile-input tests (issue 13). Raw sockets, one request per connection, the
behaviour chosen per test (``HostileServer.mode``); every request is kept (``seen``) with its
headers, so tests can count what was sent and look at what it carried.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.gateway.events import encode, message_events
from messages_conformance.gateway.model import reply

ROOT = Path(__file__).resolve().parents[2]
KEY_VAR = "MCONF_HOSTILE_KEY"
TIMEOUT = "0.5"
# for a target that answers at once, in a test of something else (a budget, a pace): a timeout
# only a hang reaches. 0.5 s is also reached when a loaded machine stalls the test process,
# which serves the target in a thread: a request then "timed out" and the run stopped early.
ANSWERS = "60"


@dataclass
class Seen:
    """One request as the server received it."""

    at: float
    line: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        with contextlib.suppress(ValueError):
            return json.loads(self.body)
        return None


@dataclass
class HostileServer:
    """Answers each request per ``mode`` (a ``do_<mode>`` method)."""

    mode: str = "ok"
    seen: list[Seen] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    sock: socket.socket = field(default_factory=socket.socket)
    key: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def start(self) -> None:
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                seen = read_request(conn)
                if seen is None:
                    return
                self.seen.append(seen)
                getattr(self, f"do_{self.mode.replace('-', '_')}")(conn, seen)
            except OSError:
                pass  # the client gave up (deadline, cap): expected for several modes

    # -- behaviours

    def do_ok(self, conn: socket.socket, seen: Seen) -> None:
        conn.sendall(answer(seen))

    def do_hang(self, conn: socket.socket, seen: Seen) -> None:
        self.stop.wait(300)  # read, never answered: a read timeout before the headers

    def do_garbage_status(self, conn: socket.socket, seen: Seen) -> None:
        conn.sendall(b"HTTP/1.1 OK-ish \x00garbage\r\n\r\n")

    def do_trickle_headers(self, conn: socket.socket, seen: Seen) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
        for n in range(10_000):  # one header line per 0.1 s: never an idle timeout
            if self.stop.wait(0.1):
                return
            conn.sendall(f"x-trickle-{n}: {n}\r\n".encode())

    def do_pings(self, conn: socket.socket, seen: Seen) -> None:
        frames = message_frames(seen, 1)
        conn.sendall(head(200, "text/event-stream") + frames)
        while not self.stop.wait(0.05):  # pings forever: only a deadline ends this
            conn.sendall(b'event: ping\ndata: {"type": "ping"}\n\n')

    def do_huge(self, conn: socket.socket, seen: Seen) -> None:
        conn.sendall(head(200, "application/json", 2**31) + b'{"pad": "')
        chunk = b"x" * 65536
        for _ in range(2**31 // 65536):  # 2 GiB if nobody stopped reading
            conn.sendall(chunk)

    def do_echo_key(self, conn: socket.socket, seen: Seen) -> None:
        """A careless gateway: the caller's key in every disguise, in the body and headers."""
        key = seen.headers.get("x-api-key") or seen.headers.get("authorization", "")
        key = key.removeprefix("Bearer ").strip()
        forms = disguises(key)
        error = {"type": "authentication_error", "message": " | ".join(forms.values())}
        payload = json.dumps({"type": "error", "error": error}, ensure_ascii=True).encode()
        extra = {
            "x-echo-b64": forms["base64"],
            "x-echo-url": forms["url"],
            f"x-{key}": "as a header name",
            "www-authenticate": f'Basic realm="{forms["base64"]}"',
        }
        conn.sendall(head(401, "application/json", len(payload), extra) + payload)

    def do_cookie(self, conn: socket.socket, seen: Seen) -> None:
        extra = {"set-cookie": f"session=s{len(self.seen)}; Path=/"}
        data = answer(seen)
        conn.sendall(data.replace(b"\r\n\r\n", b"\r\n" + _lines(extra) + b"\r\n", 1))

    def do_escapes(self, conn: socket.socket, seen: Seen) -> None:
        evil = "\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\x1b[2J"
        error = {"type": "error", "error": {"type": evil, "message": evil}}
        payload = json.dumps(error).encode()
        conn.sendall(head(400, "application/json", len(payload)) + payload)

    def do_body(self, conn: socket.socket, seen: Seen) -> None:
        """Answer with ``self.key`` as the raw JSON body (a 200 Message-ish document)."""
        payload = self.key.encode()
        conn.sendall(head(200, "application/json", len(payload)) + payload)


def _lines(headers: dict[str, str]) -> bytes:
    return b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items())


def read_request(conn: socket.socket) -> Seen | None:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk or data[:1] == b"\x16" or chunk[:1] == b"\x16":
            return None
        data += chunk
    top, _, body = data.partition(b"\r\n\r\n")
    line, *rest = top.decode("latin-1").split("\r\n")
    headers = {}
    for item in rest:
        name, _, value = item.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return Seen(time.monotonic(), line, headers, body)


def head(
    status: int, content_type: str, length: int | None = None, extra: dict[str, str] | None = None
) -> bytes:
    lines = [f"HTTP/1.1 {status} Hostile", f"content-type: {content_type}", "connection: close"]
    lines += ["request-id: req_hostile000000000000000000000"]
    lines += [f"content-length: {length}"] if length is not None else []
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _request_body(seen: Seen) -> dict[str, Any]:
    body = seen.json()
    return body if isinstance(body, dict) else {}


def message_frames(seen: Seen, count: int | None = None) -> bytes:
    events = message_events(reply(_request_body(seen), b"hostile", 64000))[:count]
    return "".join(encode(event) for event in events).encode()


def answer(seen: Seen) -> bytes:
    """A conformant answer: a Message, or its event stream."""
    body = _request_body(seen)
    if body.get("stream") is True:
        frames = message_frames(seen)
        return head(200, "text/event-stream", len(frames)) + frames
    payload = json.dumps(reply(body, b"hostile", 64000)).encode()
    return head(200, "application/json", len(payload)) + payload


def disguises(key: str) -> dict[str, str]:
    """The ways a key shows up when someone careless prints it."""
    raw = key.encode()
    return {
        "as-is": key,
        "json": json.dumps(key)[1:-1],
        "url": urllib.parse.quote(key, safe=""),
        "base64": base64.b64encode(raw).decode(),
        "base64-url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "base64-basic": base64.b64encode(b"user:" + raw).decode(),
    }


def leak_forms(key: str) -> dict[str, bytes]:
    """Byte patterns that betray ``key``: as-is, stripped, JSON-escaped, URL-encoded, base64
    (every alignment inside a longer base64 text: the stable middle of the encoding)."""
    forms: dict[str, bytes] = {}
    for name, text in disguises(key).items():
        if name != "base64-basic":
            forms[name] = text.encode()
    forms["stripped"] = key.strip().encode()
    forms["json-ascii"] = json.dumps(key, ensure_ascii=True)[1:-1].encode()
    forms["url-plus"] = urllib.parse.quote_plus(key).encode()
    raw = key.encode()
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + raw)
        start = (pad * 4 + 2) // 3 + 1
        forms[f"base64-aligned-{pad}"] = encoded[start : start + (len(raw) * 4) // 3 - 4]
    return {k: v for k, v in forms.items() if len(v) >= 8}


def leaks(key: str, folder: Path, *texts: str) -> list[str]:
    """Where ``key`` shows, in any form, in a file under ``folder`` or in printed text."""
    found = []
    forms = leak_forms(key)
    files = [p for p in sorted(folder.rglob("*")) if p.is_file()]
    blobs = [(str(p), p.read_bytes()) for p in files]
    blobs += [
        (f"printed output #{n}", t.encode("utf-8", "surrogateescape")) for n, t in enumerate(texts)
    ]
    for where, blob in blobs:
        for name, form in forms.items():
            if form in blob:
                found.append(f"{where} ({name})")
    return found


# -- mconf in-process ---------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the user sees: exit code, everything printed, and the report when one was written."""

    code: int
    out: str
    err: str
    report: dict[str, Any] | None
    folder: Path

    @property
    def printed(self) -> str:
        return self.out + self.err

    def cases(self) -> list[dict[str, Any]]:
        assert self.report is not None, f"no report written:\n{self.out}\n{self.err}"
        return list(self.report["cases"])

    def rules(self) -> set[str]:
        return {f["rule"] for case in self.cases() for f in case["findings"]}

    def summary(self) -> str:
        return next(line for line in self.out.splitlines() if line.startswith("mconf: "))


Runner = Callable[..., Outcome]


def make_runner(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> Runner:
    from messages_conformance.cli.main import run

    runs = iter(range(1000))

    def _run(*argv: str, report_dir: Path | None = None) -> Outcome:
        folder = report_dir or tmp_path / f"reports-{next(runs)}"
        full = [*argv]
        if argv and argv[0] == "run" and "--report-dir" not in argv:
            full += ["--report-dir", str(folder)]
        out = io.StringIO()
        code = run(full, out)
        captured = capfd.readouterr()
        report_file = folder / "latest" / "report.json"
        report = json.loads(report_file.read_text()) if report_file.is_file() else None
        return Outcome(code, out.getvalue() + captured.out, captured.err, report, folder)

    return _run


def against(url: str, *extra: str, timeout: str = TIMEOUT) -> tuple[str, ...]:
    """`mconf run` options for a one-off loopback target with small timeouts."""
    return (
        "run",
        "--base-url",
        url,
        "--api-key-env",
        KEY_VAR,
        "--timeout-s",
        timeout,
        "--connect-timeout-s",
        timeout,
        *extra,
    )


@contextlib.contextmanager
def serving(mode: str = "ok") -> Iterator[HostileServer]:
    server = HostileServer(mode=mode)
    server.start()
    try:
        yield server
    finally:
        server.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ONE_JSON = ("--suite", "scenarios", "-k", "test_plain_text and json")
ONE_STREAM = ("--suite", "scenarios", "-k", "test_plain_text and stream")
# one case of generated requests: the negative ones of POST /v1/messages (the other endpoints,
# and the positive cases, are cases of their own); a target that accepts them is judged
GENERATED = ("--suite", "generated", "-k", "not count_tokens and not models and not test_positive")
_ = re


# -- bounded: peak RSS and time of one command in a child process -------------------------------

MAX_RSS_MB = 500
_CHILD = """
import io, json, sys, time
from messages_conformance.cli.main import run
began = time.monotonic()
out = io.StringIO()
code = run(sys.argv[2:], out)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over execve from the forking parent
status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
peak = int(status) / 1024
with open(sys.argv[1], "w") as f:
    json.dump({"code": code, "out": out.getvalue(), "rss_mb": peak,
               "seconds": time.monotonic() - began}, f)
"""


@dataclass
class Measured:
    code: int
    out: str
    err: str
    rss_mb: float
    seconds: float


def measured(
    *argv: str, cwd: Path = ROOT, env: dict[str, str] | None = None, limit_s: float = 120
) -> Measured:
    """`mconf ARGV` in a child process: exit code, output, its own peak RSS (MB) and time."""
    import os
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        result_file = Path(folder) / "result.json"
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, str(result_file), *argv],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=limit_s,
        )
        if not result_file.is_file():
            return Measured(child.returncode, child.stdout, child.stderr, -1.0, -1.0)
        data = json.loads(result_file.read_text())
    return Measured(
        data["code"], data["out"] + child.stdout, child.stderr, data["rss_mb"], data["seconds"]
    )

"""Robust under faults and bad input (issue 6): every fault of the target ends in a report and
the right exit code; every bad input is one line on stderr, exit 2, no traceback.

The line between the two verdicts: when no status line arrived (refused, DNS, TLS, connect or
read timeout before the headers) the target *could not be tested*: the case is an error and
`mconf run` exits 2. When an answer started (any status line), whatever follows is judged:
a stalled or reset body, a truncated stream, bad bytes, an HTML 502 or a 429 storm are
findings and the run exits 1.

Everything stays on loopback: the faults come from a raw socket server in a thread, DNS
failure from a resolver stub, a TLS error from speaking TLS to a plain port.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from messages_conformance.cli import main as cli
from messages_conformance.gateway.events import encode, message_events
from messages_conformance.gateway.model import reply
from messages_conformance.recordings.cassette import load_exchanges

ROOT = Path(__file__).resolve().parents[1]
KEY_VAR = "MCONF_FAULT_TEST_KEY"
TIMEOUT = "0.4"  # idle and connect timeouts: every fault here ends well within a second
CAP = 65536  # --max-body-bytes for the huge-body faults
RETRY_AFTER = 0.15
ONE_JSON = ("--suite", "scenarios", "-k", "test_plain_text and json")
ONE_STREAM = ("--suite", "scenarios", "-k", "test_plain_text and stream")
BOTH = ("--suite", "scenarios", "-k", "test_plain_text")


# -- a loopback server that misbehaves on purpose -------------------------------------------


@dataclass
class Seen:
    """One request as the fault server received it."""

    at: float
    body: dict[str, Any]


@dataclass
class FaultServer:
    """Raw sockets, one request per connection, behaviour chosen per test (``mode``)."""

    mode: str = "ok"
    seen: list[Seen] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    sock: socket.socket = field(default_factory=socket.socket)

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
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in its thread
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
                request = _read_request(conn)
                if request is None:  # a TLS ClientHello: answer in plain HTTP, as a plain port does
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    return
                self.seen.append(Seen(time.monotonic(), request))
                getattr(self, f"do_{self.mode.replace('-', '_')}")(conn, request)
            except OSError:
                pass  # the client gave up (cap reached, timeout): expected for several modes

    # -- behaviours

    def do_ok(self, conn: socket.socket, body: dict[str, Any]) -> None:
        conn.sendall(_answer(body))

    def do_hang(self, conn: socket.socket, body: dict[str, Any]) -> None:
        self.stop.wait(10)  # accepted, read, never answered: a read timeout before the headers

    def do_stall(self, conn: socket.socket, body: dict[str, Any]) -> None:
        conn.sendall(_head(200, "text/event-stream") + _frames(body, 3))
        self.stop.wait(60)  # the stream goes silent mid-way: the idle timeout must fire

    def do_reset(self, conn: socket.socket, body: dict[str, Any]) -> None:
        conn.sendall(_head(200, "text/event-stream") + _frames(body, 3))
        time.sleep(0.05)
        # SO_LINGER 0: close() sends RST, as a crashing upstream does
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def do_truncated(self, conn: socket.socket, body: dict[str, Any]) -> None:
        frames = _frames(body)
        cut = frames[: frames.index(b"event: message_stop")]
        conn.sendall(_head(200, "text/event-stream", len(cut)) + cut)

    def do_bad_utf8(self, conn: socket.socket, body: dict[str, Any]) -> None:
        answer = _answer(body)
        conn.sendall(answer.replace(b"Hello!", b"Hel\xff\xfe!", 1))

    def do_not_json(self, conn: socket.socket, body: dict[str, Any]) -> None:
        payload = b"OK: request accepted"
        conn.sendall(_head(200, "application/json", len(payload)) + payload)

    def do_html_502(self, conn: socket.socket, body: dict[str, Any]) -> None:
        page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>"
        conn.sendall(_head(502, "text/html", len(page)) + page)

    def do_huge(self, conn: socket.socket, body: dict[str, Any]) -> None:
        conn.sendall(_head(200, "application/json", 512 * 1024 * 1024) + b'{"pad": "')
        chunk = b"x" * 65536
        for _ in range(8192):  # 512 MiB if nobody stopped reading: the cap must stop it
            conn.sendall(chunk)

    def do_gzip(self, conn: socket.socket, body: dict[str, Any]) -> None:
        head, _, payload = _answer(body).partition(b"\r\n\r\n")
        packed = gzip.compress(payload)
        head = re.sub(rb"(?i)content-length: \d+", b"content-length: %d" % len(packed), head)
        conn.sendall(head + b"\r\ncontent-encoding: gzip\r\n\r\n" + packed)

    def do_gzip_bomb(self, conn: socket.socket, body: dict[str, Any]) -> None:
        extra = {"content-encoding": "gzip"}
        conn.sendall(_head(200, "application/json", len(BOMB), extra) + BOMB)

    def do_gzip_corrupt(self, conn: socket.socket, body: dict[str, Any]) -> None:
        packed = gzip.compress(_answer(body).partition(b"\r\n\r\n")[2])
        broken = packed[:20] + b"\x00" * 16 + packed[36:]
        extra = {"content-encoding": "gzip"}
        conn.sendall(_head(200, "application/json", len(broken), extra) + broken)

    def do_storm_429(self, conn: socket.socket, body: dict[str, Any]) -> None:
        self._busy(conn, 429, "rate_limit_error")

    def do_storm_529(self, conn: socket.socket, body: dict[str, Any]) -> None:
        self._busy(conn, 529, "overloaded_error")

    def do_flaky(self, conn: socket.socket, body: dict[str, Any]) -> None:
        if len(self.seen) % 2:  # every first attempt is rate limited, every retry answered
            self._busy(conn, 429, "rate_limit_error")
        else:
            conn.sendall(_answer(body))

    def _busy(self, conn: socket.socket, status: int, kind: str) -> None:
        error = {"type": "error", "error": {"type": kind, "message": "slow down"}}
        payload = json.dumps(error).encode()
        extra = {"retry-after": str(RETRY_AFTER)}
        conn.sendall(_head(status, "application/json", len(payload), extra) + payload)


BOMB = gzip.compress(b'{"pad": "' + b" " * (8 * 1024 * 1024) + b'"}')  # 8 MiB from ~8 KiB


def _read_request(conn: socket.socket) -> dict[str, Any] | None:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk or data[:1] == b"\x16" or chunk[:1] == b"\x16":
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    found = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    length = int(found.group(1)) if found else 0
    while len(body) < length:
        body += conn.recv(65536)
    parsed = json.loads(body or b"{}")
    return parsed if isinstance(parsed, dict) else {}


def _head(
    status: int, content_type: str, length: int | None = None, extra: dict[str, str] | None = None
) -> bytes:
    lines = [f"HTTP/1.1 {status} Fault", f"content-type: {content_type}", "connection: close"]
    lines += ["request-id: req_fault0000000000000000000000"]
    lines += [f"content-length: {length}"] if length is not None else []
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _message(body: dict[str, Any]) -> dict[str, Any]:
    return reply(body, b"fault-server", 64000)


def _frames(body: dict[str, Any], count: int | None = None) -> bytes:
    """The answer's SSE events (the first ``count`` of them)."""
    events = message_events(_message(body))[:count]
    return "".join(encode(event) for event in events).encode()


def _answer(body: dict[str, Any]) -> bytes:
    """A conformant answer to ``body``: a Message, or its event stream."""
    if body.get("stream") is True:
        frames = _frames(body)
        return _head(200, "text/event-stream", len(frames)) + frames
    payload = json.dumps(_message(body)).encode()
    return _head(200, "application/json", len(payload)) + payload


@pytest.fixture
def faults() -> Iterator[FaultServer]:
    server = FaultServer()
    server.start()
    yield server
    server.close()


# -- running mconf in-process -----------------------------------------------------------------


@dataclass
class Outcome:
    """What the user sees: exit code, stdout, stderr, and the report when one was written."""

    code: int
    out: str
    err: str
    report: dict[str, Any] | None

    def cases(self) -> list[dict[str, Any]]:
        assert self.report is not None, f"no report written:\n{self.out}\n{self.err}"
        return list(self.report["cases"])

    def rules(self) -> set[str]:
        return {f["rule"] for case in self.cases() for f in case["findings"]}


@pytest.fixture
def mconf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Outcome]:
    """Run `mconf ARGV` in-process from the repo root; read stdout, stderr and the report."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv(KEY_VAR, "sk-ant-fault-test-key-0000000000")
    monkeypatch.delenv("MCONF_GATEWAY_API_KEY", raising=False)
    runs = iter(range(1000))

    def _run(*argv: str) -> Outcome:
        reports = tmp_path / f"reports-{next(runs)}"
        full = [*argv]
        if argv and argv[0] == "run" and "--report-dir" not in argv:
            full += ["-q", "--report-dir", str(reports)]
        out = io.StringIO()
        code = cli.run(full, out)
        captured = capsys.readouterr()
        report_file = reports / "latest" / "report.json"
        report = json.loads(report_file.read_text()) if report_file.is_file() else None
        return Outcome(code, out.getvalue() + captured.out, captured.err, report)

    return _run


def against(server_url: str, *extra: str) -> tuple[str, ...]:
    """`mconf run` options for a one-off loopback target with small timeouts."""
    return (
        "run",
        "--base-url",
        server_url,
        "--api-key-env",
        KEY_VAR,
        "--timeout-s",
        TIMEOUT,
        "--connect-timeout-s",
        TIMEOUT,
        *extra,
    )


def summary_line(outcome: Outcome) -> str:
    return next(line for line in outcome.out.splitlines() if line.startswith("mconf: "))


# -- the target could not be tested: exit 2, each case an error, the report written ----------


def _closed_port() -> int:
    with socket.socket() as sock:  # bound, never listening, then closed: connections refused
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused(mconf: Callable[..., Outcome], faults: FaultServer) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    result = mconf(*against(url, *BOTH))
    assert result.code == 2, result.out
    assert [c["outcome"] for c in result.cases()] == ["error", "error"]
    assert result.cases()[0]["failure"].startswith(f"cannot connect to {url}/v1/messages")
    assert summary_line(result).startswith("mconf: ERROR ")
    assert f"mconf: could not test 2 case(s): cannot connect to {url}" in result.out


def test_dns_failure_via_a_resolver_stub(
    mconf: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo
    asked: list[str] = []

    def resolver(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("127.0.0.1", "localhost"):
            return real(host, *args, **kwargs)
        asked.append(str(host))  # never a real lookup
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    result = mconf(*against("https://gateway.mconf-test.invalid", *ONE_JSON))
    assert result.code == 2, result.out
    assert asked and set(asked) == {"gateway.mconf-test.invalid"}
    failure = result.cases()[0]["failure"]
    assert failure.startswith("cannot connect to https://gateway.mconf-test.invalid/v1/messages")
    assert "Name or service not known" in failure


def test_tls_error_from_a_plain_port(mconf: Callable[..., Outcome], faults: FaultServer) -> None:
    result = mconf(*against(faults.url.replace("http://", "https://"), *ONE_JSON))
    assert result.code == 2, result.out
    failure = result.cases()[0]["failure"]
    assert failure.startswith("TLS failed with https://127.0.0.1:")
    assert not faults.seen  # the handshake failed before any HTTP request


def test_connect_timeout_on_a_full_backlog(mconf: Callable[..., Outcome]) -> None:
    # A listener that never accepts, its backlog filled: the kernel drops further SYNs.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = [socket.socket() for _ in range(4)]
    for filler in fillers:
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
    try:
        began = time.monotonic()
        result = mconf(*against(f"http://127.0.0.1:{port}", *ONE_JSON))
        elapsed = time.monotonic() - began
    finally:
        for sock in [*fillers, listener]:
            sock.close()
    assert result.code == 2, result.out
    assert "timed out waiting for" in result.cases()[0]["failure"]
    assert "ConnectTimeout" in result.cases()[0]["failure"]
    assert elapsed < 15


def test_read_timeout_before_the_headers(
    mconf: Callable[..., Outcome], faults: FaultServer
) -> None:
    faults.mode = "hang"
    result = mconf(*against(faults.url, *ONE_JSON))
    assert result.code == 2, result.out
    failure = result.cases()[0]["failure"]
    assert failure.startswith(f"timed out waiting for {faults.url}/v1/messages: ReadTimeout")


# -- the target answered, badly: findings, exit 1 ---------------------------------------------


def assert_finding(result: Outcome, rule: str, code: int = 1) -> dict[str, Any]:
    assert result.code == code, result.out + result.err
    assert rule in result.rules(), sorted(result.rules())
    assert result.report is not None and result.report["verdict"] == "fail"
    assert all(c["outcome"] == "failed" for c in result.cases())
    return next(f for c in result.cases() for f in c["findings"] if f["rule"] == rule)


def test_stream_that_stalls_mid_way_hits_the_idle_timeout(
    mconf: Callable[..., Outcome], faults: FaultServer
) -> None:
    faults.mode = "stall"
    began = time.monotonic()
    result = mconf(*against(faults.url, *ONE_STREAM))
    assert time.monotonic() - began < 45  # the idle timeout (0.4 s) fired, not the 60 s stall
    finding = assert_finding(result, "transport.body-incomplete")
    assert "ReadTimeout" in finding["received"]
    assert "stream.order.message-stop-missing" in result.rules()  # what arrived is judged too
    assert result.cases()[0]["status"] == 200


def test_connection_reset_mid_stream(mconf: Callable[..., Outcome], faults: FaultServer) -> None:
    faults.mode = "reset"
    result = mconf(*against(faults.url, *ONE_STREAM))
    finding = assert_finding(result, "transport.body-incomplete")
    assert "broken HTTP exchange" in finding["received"]
    assert "stream.order.message-stop-missing" in result.rules()


def test_truncated_sse_without_message_stop(
    mconf: Callable[..., Outcome], faults: FaultServer
) -> None:
    faults.mode = "truncated"
    assert_finding(mconf(*against(faults.url, *ONE_STREAM)), "stream.order.message-stop-missing")


@pytest.mark.parametrize(
    ("select", "rule"),
    [(ONE_STREAM, "sse.invalid-utf8"), (ONE_JSON, "http.body-not-json")],
    ids=["stream", "json"],
)
def test_invalid_utf8(
    mconf: Callable[..., Outcome], faults: FaultServer, select: tuple[str, ...], rule: str
) -> None:
    faults.mode = "bad-utf8"
    assert_finding(mconf(*against(faults.url, *select)), rule)


def test_non_json_200_body(mconf: Callable[..., Outcome], faults: FaultServer) -> None:
    faults.mode = "not-json"
    finding = assert_finding(mconf(*against(faults.url, *ONE_JSON)), "http.body-not-json")
    assert "OK: request accepted" in str(finding["received"])


def test_html_error_page_from_a_cdn(mconf: Callable[..., Outcome], faults: FaultServer) -> None:
    faults.mode = "html-502"
    result = mconf(*against(faults.url, *ONE_JSON))
    finding = assert_finding(result, "http.body-not-json")
    assert "the 502 body is text/html, not JSON or an event stream" in finding["message"]
    assert "status.expected" in result.rules()
    assert result.cases()[0]["status"] == 502


def test_huge_body_is_capped_and_reported(
    mconf: Callable[..., Outcome], faults: FaultServer
) -> None:
    faults.mode = "huge"
    began = time.monotonic()
    result = mconf(*against(faults.url, *ONE_JSON, "--max-body-bytes", str(CAP)))
    assert time.monotonic() - began < 20  # 512 MiB were offered; reading stopped at the cap
    finding = assert_finding(result, "transport.body-too-large")
    assert finding["expected"] == f"<= {CAP} bytes"


def test_gzip_bomb_is_capped_after_decoding(
    mconf: Callable[..., Outcome], faults: FaultServer
) -> None:
    faults.mode = "gzip-bomb"
    result = mconf(*against(faults.url, *ONE_JSON, "--max-body-bytes", str(CAP)))
    assert_finding(result, "transport.body-too-large")
    assert len(BOMB) < CAP  # the wire body was small: the cap counts decoded bytes


def test_gzip_body_is_decoded_and_conforms(
    mconf: Callable[..., Outcome], faults: FaultServer
) -> None:
    faults.mode = "gzip"
    result = mconf(*against(faults.url, *BOTH))
    assert result.code == 0, result.out
    assert [c["outcome"] for c in result.cases()] == ["passed", "passed"]


def test_corrupt_gzip_body(mconf: Callable[..., Outcome], faults: FaultServer) -> None:
    faults.mode = "gzip-corrupt"
    finding = assert_finding(mconf(*against(faults.url, *ONE_JSON)), "transport.body-incomplete")
    assert "DecodingError" in finding["received"]


@pytest.mark.parametrize("status", [429, 529])
def test_busy_storm_is_retried_boundedly_then_a_finding(
    mconf: Callable[..., Outcome], faults: FaultServer, status: int
) -> None:
    faults.mode = f"storm-{status}"
    result = mconf(*against(faults.url, *ONE_JSON))
    finding = assert_finding(result, "status.expected")
    assert str(status) in finding["received"]
    assert finding["message"].endswith("(after 2 retries)")
    assert len(faults.seen) == 3  # the first attempt and two retries, then the verdict
    gaps = [b.at - a.at for a, b in zip(faults.seen, faults.seen[1:], strict=False)]
    assert all(gap >= RETRY_AFTER * 0.9 for gap in gaps), gaps  # retry-after honoured


def test_one_429_then_an_answer_passes(mconf: Callable[..., Outcome], faults: FaultServer) -> None:
    faults.mode = "flaky"
    result = mconf(*against(faults.url, *BOTH))
    assert result.code == 0, result.out
    assert len(faults.seen) == 4  # each case: 429, a wait of retry-after, then the answer


def test_a_clean_answer_passes(mconf: Callable[..., Outcome], faults: FaultServer) -> None:
    faults.mode = "ok"
    result = mconf(*against(faults.url, *BOTH))
    assert result.code == 0, result.out
    assert summary_line(result).startswith("mconf: PASS ")


# -- budgets and keys -------------------------------------------------------------------------


def test_request_budget_skips_the_rest_and_says_so(
    mconf: Callable[..., Outcome], faults: FaultServer
) -> None:
    result = mconf(*against(faults.url, "--suite", "scenarios", "--max-requests", "3"))
    assert result.code == 0, result.out  # what ran conformed; the limit was the user's choice
    assert len(faults.seen) == 3
    cases = result.cases()
    skipped = [c for c in cases if (c["skip_reason"] or "").startswith("budget spent")]
    unlisted = [c for c in cases if "does not list feature" in (c["skip_reason"] or "")]
    assert [c["outcome"] for c in cases].count("passed") == 3
    assert len(skipped) == len(cases) - 3 - len(unlisted) > 20
    assert all(c["outcome"] == "skipped" and c["exchanges"] == 0 for c in skipped)
    assert "budget spent (--max-requests 3" in result.out
    assert f"{len(skipped)} case(s) skipped, not sent" in result.out


def test_request_budget_is_shared_by_xdist_workers(
    mconf: Callable[..., Outcome], faults: FaultServer
) -> None:
    result = mconf(*against(faults.url, *BOTH, "--max-requests", "1", "-n", "2"))
    assert result.code == 0, result.out
    assert len(faults.seen) == 1  # two workers, one request between them
    assert sorted(c["outcome"] for c in result.cases()) == ["passed", "skipped"]


def test_output_token_budget(mconf: Callable[..., Outcome], faults: FaultServer) -> None:
    result = mconf(*against(faults.url, *BOTH, "--max-output-tokens", "1"))
    assert result.code == 0, result.out
    assert len(faults.seen) == 1
    assert "output tokens already spent" in str(result.cases()[1]["skip_reason"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ((), "has no key variable; pass --api-key-env VAR"),
        (("--api-key-env", "MCONF_SURELY_UNSET_VAR"), "needs its key in $MCONF_SURELY_UNSET_VAR"),
    ],
    ids=["no-variable", "unset-variable"],
)
def test_live_mode_refuses_a_remote_target_without_a_key(
    mconf: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
    extra: tuple[str, ...],
    message: str,
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no lookup may happen before the options are checked")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    result = mconf("run", "--base-url", "https://gateway.mconf-test.invalid", *extra)
    assert result.code == 2
    assert message in result.err
    assert result.err.count("\n") == 1 and result.report is None


# -- bad input to the tool: one line, exit 2, no traceback (unless --debug) ------------------


def _spec_copy(tmp_path: Path, breaks: Callable[[Path], None]) -> Path:
    folder = tmp_path / "spec"
    shutil.copytree(ROOT / "spec", folder, ignore=shutil.ignore_patterns("examples"))
    breaks(folder)
    return folder


def _write(relative: str, text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / relative).write_text(text)


def _schema_type_5(folder: Path) -> None:
    path = folder / "schemas" / "message.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "type": 5}))


SPEC_BREAKS: dict[str, tuple[Callable[[Path], None], str]] = {
    "schema-not-json": (_write("schemas/message.json", '{"type":'), "not a JSON file"),
    "schema-invalid": (_schema_type_5, "message.json: not a valid JSON Schema at /type"),
    "schema-missing": (lambda f: (f / "schemas" / "request.json").unlink(), "unusable schemas"),
    "openapi-not-yaml": (_write("messages.openapi.yaml", "openapi: [3.1"), "unreadable OpenAPI"),
    "openapi-not-openapi": (_write("messages.openapi.yaml", "a: 1\n"), "not an OpenAPI 3"),
    "openapi-no-path": (
        _write("messages.openapi.yaml", "openapi: 3.2.0\npaths: {/other: {}}\n"),
        "no /v1/messages path",
    ),
    "no-schemas-folder": (lambda f: shutil.rmtree(f / "schemas"), "not a spec folder"),
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", sorted(SPEC_BREAKS))
def test_malformed_spec_is_one_line(
    mconf: Callable[..., Outcome], tmp_path: Path, case: str, command: str
) -> None:
    breaks, message = SPEC_BREAKS[case]
    folder = _spec_copy(tmp_path, breaks)
    sample = ROOT / "spec" / "examples"
    argv = (command, "--spec-dir", str(folder))
    argv += (str(next(sample.rglob("*.json"))),) if command == "validate" else ONE_JSON
    result = mconf(*argv)
    assert_one_line(result, message)
    assert result.report is None  # nothing ran


CASSETTES: dict[str, tuple[bytes, str]] = {
    "not-yaml": (b"interactions: [unclosed\n", "not valid YAML"),
    "a-mapping": (b"just: a mapping\n", "not a vcrpy cassette"),
    "a-list": (b"- 1\n- 2\n", "not a vcrpy cassette"),
    "binary": (b"\x00\xff\xfe garbage", "not UTF-8 text"),
    "no-interactions": (b"interactions: []\n", "has no interactions"),
    "no-request": (b"interactions:\n- response: {}\n", "interaction has no 'request' mapping"),
    "empty": (b"", "empty file"),
}


@pytest.mark.parametrize("case", sorted(CASSETTES))
def test_bad_cassette_is_one_line(mconf: Callable[..., Outcome], tmp_path: Path, case: str) -> None:
    data, message = CASSETTES[case]
    path = tmp_path / "bad.yaml"
    path.write_bytes(data)
    assert_one_line(mconf("validate", str(path)), message)


def test_bad_cassette_in_replay_is_an_error_case_not_a_crash(
    mconf: Callable[..., Outcome], tmp_path: Path
) -> None:
    folder = tmp_path / "cassettes"
    shutil.copytree(ROOT / "cassettes" / "local" / "test_auth", folder / "local" / "test_auth")
    broken = folder / "local" / "test_auth" / "test_wrong_key_is_401.yaml"
    broken.write_text("interactions: [unclosed\n")
    result = mconf("run", "--mode", "replay", "--cassette-dir", str(folder), "--suite", "auth")
    assert result.code == 2, result.out
    outcomes = {c["id"].split("::")[-1]: c["outcome"] for c in result.cases()}
    assert outcomes["test_wrong_key_is_401"] == "error"
    assert outcomes["test_missing_key_is_401"] == "passed"


BAD_ARGUMENTS: dict[str, tuple[tuple[str, ...], str]] = {
    "unknown-target": (("run", "--target", "nope"), "unknown target 'nope'"),
    "missing-key-variable": (("run", "--target", "ccapi"), "needs its key in $CCAPI_API_KEY"),
    "conflicting-options": (
        ("run", "--target", "local", "--base-url", "http://127.0.0.1:1"),
        "--target and --base-url conflict",
    ),
    "zero-timeout": (("run", "--timeout-s", "0"), "--timeout-s must be more than 0"),
    "negative-cap": (("run", "--max-body-bytes", "-1"), "--max-body-bytes must be more than 0"),
    "not-a-number": (("run", "--max-requests", "many"), "invalid int value: 'many'"),
    "unknown-command": (("frobnicate",), "unknown command 'frobnicate'"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
def test_bad_arguments_are_one_line(
    mconf: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.delenv("CCAPI_API_KEY", raising=False)
    argv, message = BAD_ARGUMENTS[case]
    assert_one_line(mconf(*argv), message)


def test_unknown_waiver_rule_and_bad_profile_file(
    mconf: Callable[..., Outcome], tmp_path: Path
) -> None:
    profile = tmp_path / "targets.toml"
    profile.write_text('[gw]\nbase_url = "http://127.0.0.1:1"\nkey_env = "HOME"\n')
    profile.write_text(profile.read_text() + '[gw.waivers]\n"no.such-rule" = "x"\n')
    assert_one_line(mconf("run", "--targets-file", str(profile), "--target", "gw"), "no.such-rule")
    profile.write_text("[gw\n")
    assert_one_line(mconf("run", "--targets-file", str(profile)), "not valid TOML")


def test_unwritable_report_dir(mconf: Callable[..., Outcome], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = mconf("run", "--report-dir", str(blocker / "reports"), *ONE_JSON)
    assert_one_line(result, "cannot write reports to")


def assert_one_line(result: Outcome, message: str) -> None:
    assert result.code == 2, result.out + result.err
    assert message in result.err, result.err
    assert result.err.count("\n") == 1 and result.err.startswith("mconf: error: ")
    assert "Traceback" not in result.err + result.out


def test_debug_shows_the_traceback(mconf: Callable[..., Outcome], tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("interactions: [unclosed\n")
    result = mconf("validate", "--debug", str(path))
    assert result.code == 2
    assert "Traceback (most recent call last)" in result.err
    assert result.err.rstrip().splitlines()[-1].startswith("mconf: error: ")
    folder = _spec_copy(tmp_path, _schema_type_5)
    assert "Traceback" in mconf("run", "--debug", "--spec-dir", str(folder)).err


def test_cassette_loader_never_sees_partial_writes(tmp_path: Path) -> None:
    """An interrupted atomic write leaves `<name>.yaml.tmp-…`: no loader globs it as a cassette."""
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({"interactions": []}))
    (tmp_path / "a.yaml.tmp-123-456").write_text("interactions: [half")
    assert [p.name for p in tmp_path.rglob("*.yaml")] == ["a.yaml"]


# -- never lose a recording -------------------------------------------------------------------


def test_sigkill_mid_recording_leaves_every_cassette_loadable(tmp_path: Path) -> None:
    """`mconf run --mode record` killed with SIGKILL while it rewrites cassettes: every cassette
    is the old one or the new one, whole, and a replay run still passes from them."""
    cassettes = tmp_path / "cassettes"
    shutil.copytree(ROOT / "cassettes", cassettes)
    for path in cassettes.rglob("*.yaml"):  # recorded by another server: every one is rewritten
        path.write_text(path.read_text().replace("- uvicorn\n", "- uvicorn-before\n"))
    before = {p: p.stat().st_mtime_ns for p in cassettes.rglob("*.yaml")}
    suites = ("--suite", "scenarios", "--suite", "requests", "--suite", "errors")
    command = [sys.executable, "-c", "from messages_conformance.cli.main import main; main()"]
    command += ["run", "-q", "--mode", "record", "--cassette-dir", str(cassettes), *suites]
    command += ["--report-dir", str(tmp_path / "reports")]
    env = {k: v for k, v in os.environ.items() if k != "MCONF_GATEWAY_API_KEY"}
    recorder = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        rewritten = _wait_for_rewrites(before, at_least=8, within_s=60)
    finally:
        os.kill(recorder.pid, signal.SIGKILL)
        recorder.wait()
    assert recorder.returncode == -signal.SIGKILL
    assert 8 <= rewritten < len(before)  # killed mid-run, not before or after it
    after = sorted(cassettes.rglob("*.yaml"))
    assert set(after) == set(before)  # nothing lost, nothing half-named picked up as a cassette
    for path in after:
        assert load_exchanges(path), path  # parses, and is a cassette with interactions
    replay = subprocess.run(
        [
            *command[:3],
            "run",
            "-q",
            "--mode",
            "replay",
            "--cassette-dir",
            str(cassettes),
            *suites,
            "--report-dir",
            str(tmp_path / "replayed"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert replay.returncode == 0, replay.stdout[-2000:] + replay.stderr[-2000:]


def _wait_for_rewrites(before: dict[Path, int], *, at_least: int, within_s: float) -> int:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        changed = sum(p.stat().st_mtime_ns != mtime for p, mtime in before.items() if p.exists())
        if changed >= at_least:
            return changed
        time.sleep(0.01)
    raise AssertionError(f"fewer than {at_least} cassettes rewritten within {within_s}s")

"""The reference gateway does bounded work per request (issue 13, item 8): schemas asking for
a billion characters, bodies declaring gigabytes, 100k-deep JSON and a client trickling its
headers are each answered (or cut off) quickly, with a JSON error envelope, in small memory.
The gateway runs as `mconf serve` in a child process; its peak RSS is read from /proc."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hostile import MAX_RSS_MB

KEY = "mconf-local-key"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01", "content-type": "application/json"}


@dataclass
class Gateway:
    process: subprocess.Popen[str]
    url: str

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    if not Path("/proc/self/status").is_file():
        pytest.skip("peak RSS is read from /proc (Linux)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "messages_conformance", "serve", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    process.stdout.readline()  # "mconf gateway listening on ..."
    yield Gateway(process, f"http://127.0.0.1:{port}")
    process.terminate()
    process.wait(10)


def _forced_tool(schema: dict[str, object]) -> dict[str, object]:
    return {
        "model": "claude-sonnet-4-6",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "use the tool"}],
        "tools": [{"name": "t", "input_schema": {"type": "object", **schema}}],
        "tool_choice": {"type": "tool", "name": "t"},
    }


BIG_SCHEMAS = {
    "minLength-1e9": {
        "properties": {"s": {"type": "string", "minLength": 10**9}},
        "required": ["s"],
    },
    "minItems-1e8": {"properties": {"a": {"type": "array", "minItems": 10**8}}, "required": ["a"]},
    "nested-minItems": {
        "properties": {
            "a": {"type": "array", "minItems": 10**4, "items": {"type": "array", "minItems": 10**4}}
        },
        "required": ["a"],
    },
}


@pytest.mark.parametrize("name", sorted(BIG_SCHEMAS))
def test_a_schema_asking_for_huge_input_is_answered_quickly(gateway: Gateway, name: str) -> None:
    body = json.dumps(_forced_tool(BIG_SCHEMAS[name]))
    assert len(body) < 400
    began = time.monotonic()
    answer = httpx.post(f"{gateway.url}/v1/messages", headers=HEADERS, content=body, timeout=30)
    assert time.monotonic() - began < 3
    assert answer.status_code == 400, answer.text[:300]
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert "more than this gateway generates" in answer.json()["error"]["message"]
    assert gateway.peak_rss_mb() < MAX_RSS_MB / 2


def test_a_declared_huge_body_gets_413_before_it_is_sent(gateway: Gateway) -> None:
    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        head = "".join(f"{k}: {v}\r\n" for k, v in HEADERS.items())
        declared = f"content-length: {2**31}\r\n"
        conn.sendall(f"POST /v1/messages HTTP/1.1\r\nhost: x\r\n{head}{declared}\r\n".encode())
        began = time.monotonic()
        reply = ""
        while "request_too_large" not in reply and time.monotonic() - began < 3:
            chunk = conn.recv(65536).decode("latin-1")
            if not chunk:
                break
            reply += chunk
    assert time.monotonic() - began < 3
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert '"request_too_large"' in reply


def test_a_chunked_body_past_the_limit_gets_413_while_reading(gateway: Gateway) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(64 * 1024):  # 4 GiB if nobody stopped reading
            yield b" " * 65536

    with httpx.Client(timeout=30) as client:
        try:
            answer = client.post(f"{gateway.url}/v1/messages", headers=HEADERS, content=chunks())
        except httpx.HTTPError:  # the gateway answered and closed while we were still sending
            answer = None
    if answer is not None:
        assert answer.status_code == 413
    assert gateway.peak_rss_mb() < MAX_RSS_MB / 2


def test_a_100k_deep_body_gets_a_json_400(gateway: Gateway) -> None:
    body = (
        '{"model": "claude-sonnet-4-6", "max_tokens": 5, "messages": '
        + "[" * 100_000
        + "]" * 100_000
        + "}"
    )
    answer = httpx.post(f"{gateway.url}/v1/messages", headers=HEADERS, content=body, timeout=30)
    assert answer.status_code == 400, answer.text[:300]
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["error"]["type"] == "invalid_request_error"


def test_a_client_trickling_its_headers_is_cut_off(gateway: Gateway) -> None:
    host, port = gateway.url.removeprefix("http://").split(":")
    began = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(b"POST /v1/messages HTTP/1.1\r\nhost: x\r\n")
        closed = False
        for n in range(300):  # one header line every 0.1 s, 30 s if never cut off
            try:
                conn.sendall(f"x-slow-{n}: {n}\r\n".encode())
                time.sleep(0.1)
            except OSError:
                closed = True
                break
        if not closed:
            conn.settimeout(0.5)
            try:
                closed = conn.recv(1) == b""
            except OSError:
                closed = True
    assert closed
    assert time.monotonic() - began < 20

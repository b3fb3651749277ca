"""transport.py against real loopback servers: statuses, streams, retries, errors, limits."""

from __future__ import annotations

import gzip
import json
import pickle
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from messages_conformance.net.transport import (
    WRONG_KEY,
    Budget,
    BudgetExhausted,
    TargetError,
    TargetProtocolError,
    TargetTimeout,
    TargetTLSError,
    TargetUnreachable,
    Timeouts,
    Transport,
    credential_marker,
    key_headers,
)

KEY = "sk-ant-test-key-for-transport-0123456789"
MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "content": [{"type": "text", "text": "hi"}],
    "model": "m",
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 3, "output_tokens": 7},
}
SSE_HEAD = b'event: message_start\ndata: {"type":"message_start","usage":{"output_tokens":1}}\n\n'
SSE_TAIL = (
    b'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":12}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


class Handler(BaseHTTPRequestHandler):
    """One route per behaviour; ``/flaky/<id>`` counts its calls per id."""

    protocol_version = "HTTP/1.1"
    calls: ClassVar[Counter[str]] = Counter()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.request_body = self.rfile.read(int(self.headers.get("content-length", 0)))
        route = self.path.strip("/").split("/")[0].split("?")[0]
        getattr(self, f"route_{route.replace('-', '_')}")()

    do_GET = do_POST

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"content-type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route_v1(self) -> None:
        self.route_echo()

    def route_echo(self) -> None:
        echoed = {"path": self.path, "headers": dict(self.headers.items())}
        self.reply(200, json.dumps({**MESSAGE, "echo": echoed}).encode())

    def route_json(self) -> None:
        self.reply(200, json.dumps(MESSAGE).encode())

    def route_sse(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(SSE_HEAD)
        self.wfile.flush()
        time.sleep(0.15)
        self.wfile.write(SSE_TAIL)
        self.close_connection = True

    def route_flaky(self) -> None:
        Handler.calls[self.path] += 1
        if Handler.calls[self.path] == 1:
            self.reply(429, b'{"type":"error"}', {"retry-after": "7"})
        else:
            self.route_json()

    def route_overloaded(self) -> None:
        self.reply(529, b'{"type":"error","error":{"type":"overloaded_error"}}')

    def route_slow(self) -> None:
        time.sleep(0.6)
        self.route_json()

    def route_reset(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "1000")
        self.end_headers()
        self.wfile.write(b"x" * 10)
        self.wfile.flush()
        # SO_LINGER 0: close() sends RST, as a crashing upstream does.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def route_garbage(self) -> None:
        self.wfile.write(b"THIS IS NOT HTTP\r\n\r\n")
        self.close_connection = True

    def route_big(self) -> None:
        self.reply(200, b"y" * (3 * 1024 * 1024), {"content-type": "text/plain"})

    def route_gzip(self) -> None:
        self.reply(200, gzip.compress(json.dumps(MESSAGE).encode()), {"content-encoding": "gzip"})


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the reset and garbage routes break their connections on purpose


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make(server: str, sleeps: list[float]) -> Iterator[Callable[..., Transport]]:
    made: list[Transport] = []

    def _make(base_url: str = server, **kw: object) -> Transport:
        options: dict[str, object] = {
            "auth_headers": {"x-api-key": KEY},
            "default_headers": {"anthropic-version": "2023-06-01"},
            "timeouts": Timeouts(connect=1.0, read=2.0, total=5.0),
            "sleep": sleeps.append,
            **kw,
        }
        transport = Transport(base_url, **options)  # type: ignore[arg-type]
        made.append(transport)
        return transport

    yield _make
    for transport in made:
        transport.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- answers ------------------------------------------------------------------------------------


def test_json_answer_is_an_exchange(make: Callable[..., Transport]) -> None:
    sent = make().send({"model": "m"}, path="/json")
    assert sent.exchange.response.status == 200
    assert sent.exchange.response.content_type == "application/json"
    assert json.loads(sent.exchange.response.body) == MESSAGE
    assert sent.exchange.request is not None
    assert sent.exchange.request.json() == {"model": "m"}
    assert sent.retries == 0 and not sent.truncated_body
    assert 0 < sent.ttfb_s <= sent.total_s


def test_sse_is_streamed_and_first_byte_is_timed(make: Callable[..., Transport]) -> None:
    sent = make().send({"stream": True}, path="/sse")
    assert sent.exchange.response.content_type == "text/event-stream"
    assert sent.exchange.response.body == SSE_HEAD + SSE_TAIL
    assert sent.total_s - sent.ttfb_s >= 0.1  # the first event came before the pause


def test_gzip_body_is_decoded_and_headers_match_a_replayed_cassette(
    make: Callable[..., Transport],
) -> None:
    response = make().send(None, path="/gzip").exchange.response
    assert json.loads(response.body) == MESSAGE
    assert "content-encoding" not in response.headers
    assert response.headers["content-length"] == str(len(response.body))


@pytest.mark.parametrize("base", ["{}", "{}/", "{}//"])
def test_base_url_and_path_join_with_one_slash(
    make: Callable[..., Transport], server: str, base: str
) -> None:
    transport = make(base.format(server))
    assert transport.url("/v1/messages") == f"{server}/v1/messages"
    sent = transport.send({}, path="/v1/messages?beta=true")
    assert json.loads(sent.exchange.response.body)["echo"]["path"] == "/v1/messages?beta=true"


# -- headers and credentials ------------------------------------------------------------------


def echoed(transport: Transport, **kw: object) -> dict[str, str]:
    sent = transport.send({}, path="/echo", **kw)  # type: ignore[arg-type]
    headers: dict[str, str] = json.loads(sent.exchange.response.body)["echo"]["headers"]
    return {k.lower(): v for k, v in headers.items()}


def test_target_auth_sends_key_and_exchange_redacts_it(make: Callable[..., Transport]) -> None:
    transport = make()
    sent = transport.send({}, path="/echo")
    got = json.loads(sent.exchange.response.body)["echo"]["headers"]
    assert got["x-api-key"] == KEY
    assert got["anthropic-version"] == "2023-06-01"
    assert got["content-type"] == "application/json"
    assert sent.exchange.request is not None
    assert sent.exchange.request.headers["x-api-key"] == "REDACTED:target"
    assert KEY not in repr(sent.exchange.request)


@pytest.mark.parametrize(
    ("auth", "header", "value", "marker"),
    [
        ("wrong", "x-api-key", WRONG_KEY, "REDACTED:wrong"),
        ("bearer", "authorization", f"Bearer {KEY}", "REDACTED:bearer-target"),
        ("x-api-key", "x-api-key", KEY, "REDACTED:target"),
    ],
)
def test_auth_modes(
    make: Callable[..., Transport], auth: str, header: str, value: str, marker: str
) -> None:
    transport = make()
    assert echoed(transport, auth=auth)[header] == value
    sent = transport.send({}, path="/echo", auth=auth)
    assert sent.exchange.request is not None
    assert sent.exchange.request.headers[header] == marker


def test_no_auth_and_header_removal(make: Callable[..., Transport]) -> None:
    got = echoed(make(), auth="none", headers={"anthropic-version": None, "X-Extra": "1"})
    assert "x-api-key" not in got and "authorization" not in got
    assert "anthropic-version" not in got
    assert got["x-extra"] == "1"


def test_bytes_body_is_sent_verbatim(make: Callable[..., Transport]) -> None:
    sent = make().send(b'{"model": "x", "messages": [', path="/echo")
    assert sent.exchange.request is not None
    assert sent.exchange.request.body == b'{"model": "x", "messages": ['
    assert sent.exchange.request.json() is None


def test_unknown_auth_mode_is_refused(make: Callable[..., Transport]) -> None:
    with pytest.raises(ValueError, match="known: target"):
        make().send({}, auth="cookie")


def test_credential_markers_are_idempotent() -> None:
    assert credential_marker("x-api-key", KEY) == "REDACTED:target"
    assert credential_marker("X-Api-Key", WRONG_KEY) == "REDACTED:wrong"
    assert credential_marker("authorization", f"Bearer {WRONG_KEY}") == "REDACTED:bearer-wrong"
    assert credential_marker("x-api-key", "REDACTED:wrong") == "REDACTED:wrong"
    assert key_headers(KEY, "bearer") == {"authorization": f"Bearer {KEY}"}


# -- retries ------------------------------------------------------------------------------------


def test_429_is_retried_honouring_retry_after(
    make: Callable[..., Transport], sleeps: list[float]
) -> None:
    budget = Budget()
    sent = make(budget=budget).send({}, path="/flaky/one")
    assert sent.exchange.response.status == 200
    assert sent.retries == 1 and budget.retries == 1
    assert budget.requests_sent == 2
    assert sleeps == [7.0]


def test_retry_after_is_capped(make: Callable[..., Transport], sleeps: list[float]) -> None:
    make(max_backoff_s=2.0).send({}, path="/flaky/two")
    assert sleeps == [2.0]


def test_529_storm_returns_the_last_529(
    make: Callable[..., Transport], sleeps: list[float]
) -> None:
    sent = make(max_retries=2).send({}, path="/overloaded")
    assert sent.exchange.response.status == 529
    assert sent.retries == 2
    assert sleeps == [0.5, 1.0]  # default backoff 0.5 * 2**n


def test_per_call_retry_limit(make: Callable[..., Transport]) -> None:
    assert make().send({}, path="/overloaded", retries=0).retries == 0


# -- failures to get an answer ------------------------------------------------------------------


def test_connection_refused_is_unreachable(make: Callable[..., Transport]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TargetUnreachable) as caught:
        make(url).send({})
    message = str(caught.value)
    assert message.startswith(f"cannot connect to {url}/v1/messages: ConnectError")
    assert "\n" not in message


def test_read_timeout(make: Callable[..., Transport]) -> None:
    transport = make(timeouts=Timeouts(connect=1.0, read=0.1, total=5.0))
    with pytest.raises(TargetTimeout, match=r"timed out waiting for http://.*/slow: ReadTimeout"):
        transport.send({}, path="/slow")


def test_total_timeout_while_streaming(make: Callable[..., Transport]) -> None:
    transport = make(timeouts=Timeouts(connect=1.0, read=2.0, total=0.05))
    with pytest.raises(TargetTimeout, match=r"within the 0\.05s deadline"):
        transport.send({}, path="/sse")


def test_reset_mid_body_is_a_protocol_error(make: Callable[..., Transport]) -> None:
    with pytest.raises(TargetProtocolError, match=r"broken HTTP exchange with .*/reset"):
        make().send({}, path="/reset")


def test_malformed_http_is_a_protocol_error(make: Callable[..., Transport]) -> None:
    with pytest.raises(TargetProtocolError, match="RemoteProtocolError"):
        make().send({}, path="/garbage")


def test_tls_to_a_plain_http_port_is_a_tls_error(
    make: Callable[..., Transport], server: str
) -> None:
    with pytest.raises(TargetTLSError, match="TLS failed with https://"):
        make(server.replace("http://", "https://")).send({})


def test_target_errors_survive_pickling() -> None:
    error = pickle.loads(pickle.dumps(TargetTimeout("http://h/v1/messages", "ReadTimeout: x")))
    assert isinstance(error, TargetError)
    assert str(error) == "timed out waiting for http://h/v1/messages: ReadTimeout: x"


# -- limits -------------------------------------------------------------------------------------


def test_body_cap_truncates(make: Callable[..., Transport]) -> None:
    sent = make(max_body_bytes=1024 * 1024).send(None, path="/big", method="GET")
    assert sent.truncated_body
    assert len(sent.exchange.response.body) == 1024 * 1024


def test_request_budget_is_enforced(make: Callable[..., Transport]) -> None:
    budget = Budget(max_requests=1)
    transport = make(budget=budget)
    transport.send({}, path="/json")
    with pytest.raises(BudgetExhausted, match=r"budget exhausted, not sending to http://.*/json"):
        transport.send({}, path="/json")
    assert budget.requests_sent == 1


def test_retries_spend_the_request_budget(make: Callable[..., Transport]) -> None:
    with pytest.raises(BudgetExhausted, match="2 of max 2 requests"):
        make(budget=Budget(max_requests=2), max_retries=5).send({}, path="/overloaded")


def test_output_tokens_are_charged_and_enforced(make: Callable[..., Transport]) -> None:
    budget = Budget(max_output_tokens=10)
    transport = make(budget=budget)
    transport.send({}, path="/json")  # usage.output_tokens 7
    assert budget.output_tokens_spent == 7
    transport.send({}, path="/sse")  # final cumulative count 12
    assert budget.output_tokens_spent == 19
    with pytest.raises(BudgetExhausted, match="19 of max 10 output tokens"):
        transport.send({}, path="/json")


def test_budget_counts_are_thread_safe() -> None:
    budget = Budget(max_requests=500)

    def spend() -> None:
        for _ in range(100):
            budget.charge_request()

    threads = [threading.Thread(target=spend) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert budget.requests_sent == 500
    with pytest.raises(BudgetExhausted):
        budget.charge_request()


def test_min_interval_paces_requests(make: Callable[..., Transport]) -> None:
    transport = make(min_interval_s=0.05, sleep=time.sleep)
    started = time.monotonic()
    for _ in range(3):
        transport.send({}, path="/json")
    assert time.monotonic() - started >= 0.1

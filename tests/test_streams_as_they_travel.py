"""Streams as they travel, end to end on loopback: the reference gateway paces a stream (20
events 50 ms apart), the transport times it on the wire, the core judges the timing, and a
recorded cassette of it replays offline to the same verdicts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from messages_conformance.core.check import CheckResult, check_exchange
from messages_conformance.core.pacing import Limits
from messages_conformance.core.timing import MEASURED, RECORDED
from messages_conformance.gateway import GatewayConfig, RunningGateway, serve_in_thread
from messages_conformance.net.transport import Transport
from messages_conformance.recordings.recording import make_vcr, use_cassette

KEY = "mconf-test-key-0000"
WORDS = " ".join(f"w{i}" for i in range(28))  # 14 deltas: 20 events in all
LIMITS = Limits(idle_timeout_s=0.45)  # a loaded machine may stall a read; never by this much
PAUSE = "[mconf:pause=900,ping=50] "  # 0.9 s of thinking, a ping every 50 ms


def body(text: str = "") -> dict[str, Any]:
    content = f"{text}Repeat exactly: {WORDS}"
    return {
        "model": "claude-sonnet-4-6",
        "max_tokens": 64,
        "stream": True,
        "messages": [{"role": "user", "content": content}],
    }


def gateway(*faults: str) -> RunningGateway:
    return serve_in_thread(GatewayConfig(api_keys=(KEY,), faults=faults, event_delay_ms=50))


def send(base_url: str, payload: dict[str, Any]) -> CheckResult:
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    with Transport(base_url, auth_headers=headers, max_retries=0) as transport:
        return check_exchange(transport.send(payload).exchange, limits=LIMITS)


def timing_rules(result: CheckResult) -> list[str]:
    return sorted(f.rule for f in result.findings if f.rule.startswith("timing."))


class _Buffering(BaseHTTPRequestHandler):
    """A proxy that reads the whole upstream answer before it sends a byte (as nginx does
    with proxy_buffering on, or a gateway that collects the stream to inspect it). It talks
    to the upstream over a plain socket (HTTP/1.0, close-delimited), which vcrpy does not
    patch: a recording run records only what the client saw."""

    protocol_version = "HTTP/1.1"
    upstream: tuple[str, int] = ("127.0.0.1", 0)

    def do_POST(self) -> None:
        sent = self.rfile.read(int(self.headers["content-length"]))
        names = ("x-api-key", "anthropic-version", "content-type")
        lines = [f"POST {self.path} HTTP/1.0", f"content-length: {len(sent)}"]
        lines += [f"{n}: {self.headers[n]}" for n in names if self.headers[n]]
        with socket.create_connection(self.upstream) as upstream:
            upstream.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + sent)
            answer = b"".join(iter(lambda: upstream.recv(65536), b""))  # all of it, then send
        top, _, data = answer.partition(b"\r\n\r\n")
        status = int(top.split(b" ")[1])
        heads = dict(line.decode().split(": ", 1) for line in top.split(b"\r\n")[1:])
        self.send_response(status)
        self.send_header("content-type", heads["content-type"])
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def buffering_proxy() -> Iterator[str]:
    with gateway() as upstream:
        host, port = upstream.base_url.removeprefix("http://").split(":")
        handler = type("Handler", (_Buffering,), {"upstream": (host, int(port))})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()
        server.server_close()


def test_a_paced_stream_passes_and_its_events_arrive_as_produced() -> None:
    with gateway() as running:
        result = send(running.base_url, body())
    assert [f.rule for f in result.findings] == []
    trace = result.trace
    assert trace is not None and trace.timing.source == MEASURED
    assert trace.arrivals is not None and len(trace.arrivals) == 20
    spread = trace.arrivals[-1].at - trace.arrivals[0].at
    assert spread > 0.8  # 19 gaps of 50 ms


def test_a_buffering_proxy_in_front_is_reported_as_buffered(buffering_proxy: str) -> None:
    result = send(buffering_proxy, body())
    assert timing_rules(result) == ["timing.buffered-stream"]
    finding = next(f for f in result.findings if f.rule == "timing.buffered-stream")
    assert finding.severity == "warning"  # client side: a fast upstream may burst too
    assert "19 of 19 events" in finding.message


def test_dropped_pings_over_a_pause_longer_than_the_idle_timeout_are_reported() -> None:
    with gateway() as running:
        assert timing_rules(send(running.base_url, body(PAUSE))) == []  # pings keep it alive
    with gateway("drop-pings") as running:
        result = send(running.base_url, body(PAUSE))
    assert timing_rules(result) == ["timing.silent-gap"]
    assert result.trace is not None and result.trace.timing.longest_silence()[1] > 0.85


def test_gzip_on_an_event_stream_is_reported() -> None:
    with gateway("gzip-stream") as running:
        result = send(running.base_url, body())
    assert timing_rules(result) == ["timing.compressed-stream"]
    assert result.message is not None  # the body was decoded and checked as usual
    assert result.trace is not None and result.trace.arrivals is not None
    assert len(result.trace.arrivals) == 20  # gzip chunks followed to the decoded events


def _record_and_replay(
    tmp_path: Path, base_url: str, payload: dict[str, Any]
) -> tuple[CheckResult, CheckResult]:
    recorder = make_vcr(tmp_path, "record", secrets=[KEY])
    with use_cassette(recorder, "paced.yaml"):
        live = send(base_url, payload)
    player = make_vcr(tmp_path, "replay", secrets=[KEY])
    with use_cassette(player, "paced.yaml"):
        replayed = send("http://127.0.0.1:9", payload)  # nothing listens there
    return live, replayed


@pytest.mark.parametrize("case", ["clean", "buffered", "drop-pings", "gzip-stream"])
def test_a_recorded_paced_stream_replays_offline_to_the_same_timing_verdicts(
    tmp_path: Path, buffering_proxy: str, case: str
) -> None:
    if case == "buffered":
        live, replayed = _record_and_replay(tmp_path, buffering_proxy, body())
    else:
        faults = () if case == "clean" else (case,)
        with gateway(*faults) as running:
            live, replayed = _record_and_replay(tmp_path, running.base_url, body(PAUSE))
    assert [f.to_dict() for f in replayed.findings] == [f.to_dict() for f in live.findings]
    assert live.trace is not None and replayed.trace is not None
    assert replayed.trace.timing.source == RECORDED
    assert replayed.trace.figures() == {**live.trace.figures(), "source": RECORDED}
    assert replayed.trace.arrivals == live.trace.arrivals
    expected = {"clean": [], "buffered": ["timing.buffered-stream"]}
    assert timing_rules(live) == expected.get(case, timing_rules(live))
    assert case == "clean" or timing_rules(live)


def test_an_old_cassette_without_timings_replays_with_no_timing_verdict(tmp_path: Path) -> None:
    with gateway("drop-pings") as running:
        live, _ = _record_and_replay(tmp_path, running.base_url, body(PAUSE))
    assert timing_rules(live) == ["timing.silent-gap"]
    path = tmp_path / "paced.yaml"
    cassette = yaml.safe_load(path.read_text())
    for interaction in cassette["interactions"]:
        del interaction["response"]["timing"]
    path.write_text(yaml.safe_dump(cassette))
    with use_cassette(make_vcr(tmp_path, "replay"), "paced.yaml"):
        replayed = send("http://127.0.0.1:9", body(PAUSE))
    assert replayed.trace is None
    assert timing_rules(replayed) == []
    assert [f.rule for f in replayed.findings] == [
        f.rule for f in live.findings if not f.rule.startswith("timing.")
    ]

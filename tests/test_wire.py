"""net.wire: timing measured on a real loopback connection, below content decoding and vcrpy."""

from __future__ import annotations

import gzip
import zlib

import httpx
import pytest
from scripted_server import ScriptedServer, head

from messages_conformance.core.timing import MEASURED
from messages_conformance.net.wire import Stopwatch, WireTransport, in_flight, measuring

PING = b'event: ping\ndata: {"type":"ping"}\n\n'


def fetch(url: str, stopwatch: Stopwatch | None = None) -> httpx.Response:
    with httpx.Client(transport=WireTransport(), timeout=10) as client:
        if stopwatch is None:
            return client.post(url, content=b"{}")
        with measuring(stopwatch):
            return client.post(url, content=b"{}")


def test_status_chunks_and_end_arrive_when_the_server_sent_them() -> None:
    writes = [(0.0, PING), (0.15, PING), (0.15, PING)]
    with ScriptedServer(head(), writes, head_delay_s=0.1) as server:
        stopwatch = Stopwatch()
        response = fetch(server.url, stopwatch)
    timing = stopwatch.timing()
    assert timing is not None and timing.source == MEASURED
    assert response.content == PING * 3
    assert timing.status_s >= 0.09  # the server's 100 ms before the head
    times = [at for at, _ in timing.chunks]
    assert [size for _, size in timing.chunks] == [len(PING)] * 3
    # lower bounds only: a loaded machine delays a read, it never makes one early
    assert times[1] - times[0] >= 0.12 and times[2] - times[1] >= 0.12
    assert timing.status_s <= times[0] <= timing.end_s
    assert timing.longest_silence()[1] >= 0.12


def test_gzip_chunks_are_sized_in_decoded_bytes() -> None:
    encoder = zlib.compressobj(wbits=zlib.MAX_WBITS | 16)
    writes = [(0.02, encoder.compress(PING) + encoder.flush(zlib.Z_SYNC_FLUSH)) for _ in range(3)]
    writes.append((0.0, encoder.flush()))
    with ScriptedServer(head(content_encoding="gzip"), writes) as server:
        stopwatch = Stopwatch()
        response = fetch(server.url, stopwatch)
    timing = stopwatch.timing()
    assert timing is not None and timing.sized and timing.compressed
    assert timing.content_encoding == "gzip"
    assert response.content == PING * 3  # httpx decoded it for the client
    assert [size for _, size in timing.chunks][:3] == [len(PING)] * 3
    assert sum(size for _, size in timing.chunks) == len(PING) * 3


def test_an_encoding_that_cannot_be_followed_keeps_wire_sizes() -> None:
    data = gzip.compress(PING)
    with ScriptedServer(head(content_encoding="br"), [(0.0, data)]) as server:
        stopwatch = Stopwatch()
        client = httpx.Client(transport=WireTransport())
        with client, measuring(stopwatch), client.stream("POST", server.url, content=b"{}") as r:
            raw = b"".join(r.iter_raw())
    timing = stopwatch.timing()
    assert raw == data
    assert timing is not None and not timing.sized
    assert timing.chunks[0][1] == len(data)


def test_nothing_is_timed_without_a_stopwatch_in_flight() -> None:
    with ScriptedServer(head(), [(0.0, PING)]) as server:
        assert fetch(server.url).content == PING
    assert in_flight() is None


def test_a_stopwatch_without_a_response_has_no_timing() -> None:
    stopwatch = Stopwatch()
    assert stopwatch.timing() is None
    with measuring(stopwatch):
        assert in_flight() is stopwatch
    assert in_flight() is None


def test_a_clock_is_injected_for_exact_times() -> None:
    ticks = iter([10_000_000_000, 10_500_000_000, 11_000_000_000, 12_000_000_000])  # ns
    stopwatch = Stopwatch(clock=lambda: next(ticks))
    stopwatch.status("")
    stopwatch.chunk(b"abc")
    stopwatch.chunk(b"")  # an empty read is no chunk
    stopwatch.end()
    timing = stopwatch.timing()
    assert timing is not None
    assert (timing.status_s, timing.chunks, timing.end_s) == (0.5, ((1.0, 3),), 2.0)


def test_the_environments_proxy_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx reads HTTP(S)_PROXY only for a transport it builds; ours does the same."""
    from messages_conformance.net.transport import Transport

    with ScriptedServer(head(content_type="application/json"), [(0.0, b"{}")]) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        # a name that does not resolve: only the proxy can answer for it
        with Transport("http://gateway.invalid", max_retries=0) as transport:
            sent = transport.send({"model": "m"})
    assert sent.exchange.response.status == 200
    assert sent.exchange.response.timing is not None  # timed through the proxy too


def test_no_proxy_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with ScriptedServer(head(), [(0.0, PING)]) as server:
        stopwatch = Stopwatch()
        client = httpx.Client(transport=WireTransport.for_url(server.url))
        with client, measuring(stopwatch):
            assert client.post(server.url, content=b"{}").content == PING
    assert stopwatch.timing() is not None  # straight to the server, timed

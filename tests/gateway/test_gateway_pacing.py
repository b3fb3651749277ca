"""The gateway's pacing: the marker, the beats of a stream, and the pacing faults' rewrites."""

from __future__ import annotations

import gzip
from itertools import pairwise

import pytest
from gateway_helpers import KEY, arrivals, body, sse_events

from messages_conformance.gateway import GatewayConfig, serve_in_thread
from messages_conformance.gateway.pacing import (
    PING_FRAME,
    Beat,
    Pacing,
    beats,
    buffered,
    gzipped,
    pacing_of,
    request_texts,
    without_pings,
)

FRAMES = ["event: message_start\n\n", "event: ping\n\n", "event: a\n\n", "event: b\n\n"]


@pytest.mark.parametrize(
    ("text", "pacing"),
    [
        ("no marker", None),
        ("[mconf:pause=1500] think", Pacing(1.5)),
        ("go [mconf:pause=300,ping=100]", Pacing(0.3, 0.1)),
        ("[mconf:every=40]", Pacing(every_s=0.04)),
        ("[mconf:ping=0,pause=10]", Pacing(0.01, 0.001)),
        ("[mconf:pause=soon]", None),
    ],
)
def test_the_marker(text: str, pacing: Pacing | None) -> None:
    assert pacing_of([text]) == pacing


def test_marker_texts_come_from_strings_and_text_blocks() -> None:
    request = {
        "messages": [
            {"role": "user", "content": "a"},
            {"role": "user", "content": [{"type": "text", "text": "b"}, {"type": "image"}]},
        ]
    }
    assert list(request_texts(request)) == ["a", "b"]


def test_beats_space_events_and_pause_after_the_first_ping() -> None:
    out = beats(FRAMES, 0.01, Pacing(pause_s=0.25, ping_s=0.1))
    assert [b.delay_s for b in out] == pytest.approx([0.0, 0.01, 0.1, 0.1, 0.06, 0.01])
    assert [b.data for b in out[2:4]] == [PING_FRAME, PING_FRAME]
    assert out[4].data == b"event: a\n\n"


def test_every_overrides_the_event_delay() -> None:
    assert [b.delay_s for b in beats(FRAMES, 0.5, Pacing(every_s=0.02))] == [0.0, 0.02, 0.02, 0.02]


def test_buffered_is_one_write_after_the_whole_time() -> None:
    out = buffered([Beat(0.0, b"a"), Beat(0.2, b"b"), Beat(0.3, b"c")])
    assert out == [Beat(pytest.approx(0.5), b"abc")]


def test_without_pings_the_silence_joins_the_next_write() -> None:
    stream = beats(FRAMES, 0.01, Pacing(pause_s=0.3, ping_s=0.1))
    out = without_pings(stream)
    assert not any(b.data.startswith(b"event: ping") for b in out)
    assert sum(b.delay_s for b in out) == pytest.approx(sum(b.delay_s for b in stream))


def test_gzipped_decodes_to_the_same_stream() -> None:
    stream = beats(FRAMES, 0.0)
    out = gzipped(stream)
    assert gzip.decompress(b"".join(b.data for b in out)) == b"".join(b.data for b in stream)
    assert all(b.data for b in out[:-1])  # every write flushed some bytes


def test_a_paced_stream_arrives_event_by_event() -> None:
    """--event-delay-ms 50, 20 events: each event its own chunk, 50 ms apart."""
    words = " ".join(f"w{i}" for i in range(28))
    with serve_in_thread(GatewayConfig(api_keys=(KEY,), event_delay_ms=50)) as running:
        _, chunks = arrivals(running.base_url, body(f"Repeat exactly: {words}", stream=True))
    events = sse_events(b"".join(c for _, c in chunks).decode())
    assert len(events) == 20
    assert len(chunks) >= 15  # one write per event (a stalled reader may merge a few)
    gaps = sorted(b - a for (a, _), (b, _) in pairwise(chunks))
    assert gaps[len(gaps) // 2] > 0.03 and chunks[-1][0] - chunks[0][0] > 0.8


def test_a_pause_is_kept_alive_by_pings() -> None:
    with serve_in_thread(GatewayConfig(api_keys=(KEY,))) as running:
        payload = body("[mconf:pause=400,ping=50] Hi", stream=True)
        _, chunks = arrivals(running.base_url, payload)
    events = [name for name, _ in sse_events(b"".join(c for _, c in chunks).decode())]
    assert events.count("ping") >= 8
    gaps = [b - a for (a, _), (b, _) in pairwise(chunks)]
    assert max(gaps) < 0.3 and chunks[-1][0] > 0.35  # a silent pause would leave 0.4 s

"""core.timing: the timing value, its record form, silences, and event arrivals by chunk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from messages_conformance.core.sse import SSEDecoder
from messages_conformance.core.timing import (
    MEASURED,
    RECORDED,
    Arrival,
    Timing,
    Trace,
    arrivals,
    event_ends,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "spec" / "examples"
CORPUS = ROOT.parent / "shared" / "corpus" / "real"

EVENT = b'event: ping\ndata: {"type":"ping"}\n\n'
DELTA = b'event: content_block_delta\ndata: {"type":"content_block_delta"}\n\n'


def test_record_round_trip_keeps_every_field() -> None:
    timing = Timing(0.01, 1.5, ((0.02, 10), (0.5, 20)), "gzip", sized=False)
    back = Timing.from_record(timing.to_record())
    assert back == timing.as_recorded()
    assert back.source == RECORDED and timing.source == MEASURED


def test_identity_timing_record_is_small() -> None:
    record = Timing(0.0, 0.2, ((0.1, 5),), "identity").to_record()
    assert record == {"format": 1, "status_s": 0.0, "end_s": 0.2, "chunks": [[0.1, 5]]}


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ([], "not a mapping"),
        ({"format": 2, "status_s": 0, "end_s": 0}, "format 2"),
        ({"status_s": "soon", "end_s": 0}, "status_s is not a number"),
        ({"status_s": 0, "end_s": -1}, "end_s is negative"),
        ({"status_s": 0, "end_s": 1, "chunks": {}}, "chunks is not a list"),
        ({"status_s": 0, "end_s": 1, "chunks": [[0.1]]}, "pair"),
        ({"status_s": 0, "end_s": 1, "chunks": [[0.1, -3]]}, "byte count"),
        ({"status_s": 0, "end_s": float("nan")}, "not a number"),
    ],
)
def test_broken_records_are_refused_in_one_line(record: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Timing.from_record(record)


def test_silences_cover_the_whole_exchange() -> None:
    timing = Timing(0.1, 2.0, ((0.2, 1), (1.7, 1), (1.8, 1)))
    stretches = list(timing.silences())
    assert [round(length, 6) for _, length in stretches] == [0.1, 0.1, 1.5, 0.1, 0.2]
    assert timing.longest_silence() == (0.2, pytest.approx(1.5))


def test_the_wait_for_the_status_line_is_not_a_silent_gap_by_default() -> None:
    timing = Timing(5.0, 5.2, ((5.1, 1),))
    assert timing.longest_silence()[1] == pytest.approx(0.1)
    assert timing.longest_silence(after_status=False) == (0.0, 5.0)


def test_ttfb_is_the_first_byte_or_the_status_line() -> None:
    assert Timing(0.1, 0.3, ((0.25, 3),)).ttfb_s == 0.25
    assert Timing(0.1, 0.3).ttfb_s == 0.1
    assert Timing(0.1, 0.3).first_byte_s is None


@pytest.mark.parametrize(
    ("coding", "compressed"), [("", False), ("identity", False), ("gzip", True), (" BR ", True)]
)
def test_compressed_means_a_content_encoding_other_than_identity(
    coding: str, compressed: bool
) -> None:
    assert Timing(0, 0, content_encoding=coding).compressed is compressed


def test_offsets_arrive_with_the_chunk_holding_their_last_byte() -> None:
    timing = Timing(0.0, 1.0, ((0.1, 3), (0.2, 4), (0.3, 2)))
    assert timing.arrival_at([1, 3, 4, 7, 9]) == [0.1, 0.1, 0.2, 0.2, 0.3]
    assert timing.arrival_at([12]) == [1.0]  # past the recorded chunks: the end
    assert Timing(0.0, 1.0, ((0.1, 3),), sized=False).arrival_at([1, 2]) == [1.0, 1.0]


def _arrivals(timing: Timing, body: bytes) -> Trace:
    names = [event.type for event in SSEDecoder().feed(body)]
    return Trace.of(timing, arrivals(timing, body, names))


@pytest.mark.parametrize(
    ("body", "ends"),
    [
        (EVENT + DELTA, [len(EVENT), len(EVENT + DELTA)]),
        (b"data: a\r\n\r\ndata: b\r\rdata: c\n\r\n", [11, 20, 30]),
        (b": keep-alive\n\n\n\ndata: x\n\n", [25]),  # comments and empty lines dispatch nothing
        (b"event: only-a-name\n\ndata\n\n", [26]),  # a bare `data` line is a data field
        (b"\xef\xbb\xbfdata: x\n\n", [12]),
        (b"data: never ended\n", []),
        (b'data: {"metadata": 1}\n\nmetadata: no\n\n', [23]),
    ],
)
def test_event_ends_are_where_a_decoder_dispatches(body: bytes, ends: list[int]) -> None:
    assert event_ends(body) == ends
    assert len(ends) == len(SSEDecoder().feed(body))


def _agree_with_the_decoder(bodies: list[bytes]) -> None:
    for body in bodies:
        assert len(event_ends(body)) == len(SSEDecoder().feed(body) + SSEDecoder().close())


def test_event_ends_agree_with_the_decoder_on_the_spec_examples() -> None:
    bodies = [p.read_bytes() for p in sorted(EXAMPLES.rglob("*.sse"))]
    assert bodies
    _agree_with_the_decoder(bodies)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the real corpus (../shared/corpus/real) is absent")
def test_event_ends_agree_with_the_decoder_on_every_real_stream() -> None:
    bodies = []
    for path in sorted(CORPUS.glob("*.json")):
        sse = json.loads(path.read_text()).get("response", {}).get("sse")
        if isinstance(sse, str):
            bodies.append(sse.encode())
    assert len(bodies) > 20
    _agree_with_the_decoder(bodies)


def test_an_event_arrives_with_the_chunk_carrying_its_blank_line() -> None:
    body = EVENT + DELTA
    cut = len(EVENT) + 5  # the second event starts in the first chunk, ends in the third
    timing = Timing(0.0, 0.5, ((0.1, cut - 1), (0.2, 1), (0.4, len(body) - cut)))
    trace = _arrivals(timing, body)
    assert trace.arrivals == (Arrival(0.1, "ping"), Arrival(0.4, "content_block_delta"))
    assert trace.events == (Arrival(0.4, "content_block_delta"),)
    assert trace.first_event_s == 0.4


@pytest.mark.parametrize("cut", range(1, len(EVENT)))
def test_a_blank_line_split_anywhere_times_the_event_at_its_last_byte(cut: int) -> None:
    timing = Timing(0.0, 1.0, ((0.1, cut), (0.9, len(EVENT) - cut)))
    assert _arrivals(timing, EVENT).arrivals == (Arrival(0.9, "ping"),)


def test_unsized_timings_or_a_disagreeing_count_give_no_arrivals() -> None:
    assert _arrivals(Timing(0.0, 1.0, ((0.1, 2),), "br", sized=False), EVENT).arrivals is None
    assert arrivals(Timing(0.0, 1.0, ((0.1, len(EVENT)),)), EVENT, ["ping", "extra"]) is None


def test_figures_are_what_a_report_shows() -> None:
    body = EVENT + DELTA
    timing = Timing(0.05, 0.9, ((0.1, len(EVENT)), (0.8, len(DELTA))))
    figures = _arrivals(timing, body).figures()
    assert figures == {
        "source": MEASURED,
        "ttfb_s": 0.1,
        "first_event_s": 0.8,
        "total_s": 0.9,
        "longest_gap_s": 0.7,
        "events": 2,
    }


@pytest.mark.parametrize(
    ("block", "dispatches"),
    [
        (b"datax: 1\n\n", False),
        (b"event: a\ndatax\ndata\n\n", True),
        (b"data", False),
        (b"data\n\n", True),
    ],
)
def test_only_a_data_field_dispatches(block: bytes, dispatches: bool) -> None:
    assert bool(event_ends(block)) is dispatches
    assert bool(SSEDecoder().feed(block)) is dispatches

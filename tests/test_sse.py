"""The WHATWG event-stream decoder (sse.py): framing, chunk boundaries, encoding, EOF."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messages_conformance.core.sse import DecodedStream, ServerSentEvent, SSEDecoder, decode

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "spec" / "examples"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"


def stream_body(path: Path) -> bytes:
    """The SSE body of an example or corpus exchange (``.json``) or a bare ``.sse`` body."""
    if path.suffix == ".sse":
        return path.read_bytes()
    sse = json.loads(path.read_text(encoding="utf-8"))["response"]["sse"]
    return sse.encode("utf-8")


def example_streams() -> list[Path]:
    found = [
        *EXAMPLES.glob("valid/exchanges/stream-*.json"),
        *EXAMPLES.glob("invalid/exchanges/sse.*"),
        *EXAMPLES.glob("invalid/exchanges/stream.*.json"),
    ]
    return sorted(found)


def corpus_streams() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    paths = sorted(CORPUS.glob("*.json"))
    return [p for p in paths if json.loads(p.read_text(encoding="utf-8"))["response"]["sse"]]


def feed_all(*chunks: bytes) -> tuple[list[ServerSentEvent], SSEDecoder]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    events += decoder.close()
    return events, decoder


def events_of(body: bytes) -> list[ServerSentEvent]:
    return feed_all(body)[0]


def one_event(body: bytes) -> ServerSentEvent:
    (event,) = events_of(body)
    return event


# -- fields and dispatch (WHATWG §9.2.6) --------------------------------------------


def test_named_event_with_json_data() -> None:
    event = one_event(b'event: ping\ndata: {"type": "ping"}\n\n')
    assert event == ServerSentEvent("ping", '{"type": "ping"}', None, None)


def test_event_without_name_is_none_and_dispatches_as_message() -> None:
    event = one_event(b"data: x\n\n")
    assert event.event is None
    assert event.type == "message"


def test_empty_event_field_counts_as_unnamed() -> None:
    assert one_event(b"event:\ndata: x\n\n").event is None


def test_multiline_data_is_joined_with_lf() -> None:
    assert one_event(b"data: a\ndata: b\ndata:\n\n").data == "a\nb\n"


def test_only_one_leading_space_is_removed() -> None:
    assert one_event(b"data:  two spaces\n\n").data == " two spaces"


def test_value_may_contain_colons() -> None:
    assert one_event(b"data: a: b:c\n\n").data == "a: b:c"


def test_line_without_colon_is_a_field_with_empty_value() -> None:
    assert one_event(b"data\n\n").data == ""


def test_empty_data_field_still_dispatches() -> None:
    assert one_event(b"event: e\ndata:\n\n") == ServerSentEvent("e", "")


def test_block_without_data_dispatches_nothing_and_resets_the_name() -> None:
    events = events_of(b"event: lonely\n\ndata: x\n\n")
    assert events == [ServerSentEvent(None, "x")]


def test_comments_are_ignored() -> None:
    assert events_of(b": keep-alive\n\n:\n\n") == []
    assert one_event(b": hi\nevent: e\n: there\ndata: x\n\n") == ServerSentEvent("e", "x")


def test_unknown_fields_are_ignored() -> None:
    assert one_event(b"foo: bar\nData: no\ndata: yes\n\n").data == "yes"


def test_id_persists_across_events_and_null_ids_are_ignored() -> None:
    events = events_of(b"id: 7\ndata: a\n\ndata: b\n\nid: x\x00y\ndata: c\n\nid\ndata: d\n\n")
    assert [e.id for e in events] == ["7", "7", "7", ""]


def test_retry_needs_ascii_digits() -> None:
    events = events_of(
        b"retry: 1500\ndata: a\n\nretry: 15x\ndata: b\n\nretry: \xd9\xa1\ndata: c\n\n"
    )
    assert [e.retry for e in events] == [1500, None, None]


# -- line endings ----------------------------------------------------------------------


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_ending_gives_the_same_events(newline: bytes) -> None:
    body = b"event: a\ndata: 1\ndata: 2\n\n: c\nevent: b\ndata: 3\n\n".replace(b"\n", newline)
    assert events_of(body) == [ServerSentEvent("a", "1\n2"), ServerSentEvent("b", "3")]


def test_mixed_line_endings() -> None:
    assert events_of(b"data: a\r\ndata: b\rdata: c\n\r\n") == [ServerSentEvent(None, "a\nb\nc")]


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    events, _ = feed_all(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n")
    assert events == [ServerSentEvent(None, "a\nb")]


def test_cr_at_chunk_end_ends_the_line_at_once() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r\r") == [ServerSentEvent(None, "a")]
    assert decoder.feed(b"data: b\n\n") == [ServerSentEvent(None, "b")]


def test_cr_then_an_empty_chunk_then_lf() -> None:
    events, _ = feed_all(b"data: a\r", b"", b"\n", b"\n")
    assert events == [ServerSentEvent(None, "a")]


# -- byte order mark and encoding ------------------------------------------------------


def test_leading_bom_is_stripped_once() -> None:
    assert one_event(b"\xef\xbb\xbfdata: x\n\n").data == "x"
    # a second BOM makes the field name "\ufeffdata", which is not a known field
    assert events_of(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n") == []


def test_bom_split_across_chunks() -> None:
    events, _ = feed_all(b"\xef", b"\xbb", b"\xbfdata: x\n\n")
    assert events == [ServerSentEvent(None, "x")]


def test_bom_later_in_the_stream_is_kept() -> None:
    assert one_event(b"data: \xef\xbb\xbfx\n\n").data == "\ufeffx"


def test_multibyte_characters_split_across_chunks() -> None:
    body = "data: café 👋\n\n".encode()
    for cut in range(len(body) + 1):
        events, decoder = feed_all(body[:cut], body[cut:])
        assert events == [ServerSentEvent(None, "café 👋")], cut
        assert decoder.invalid_utf8 == 0


def test_invalid_utf8_is_replaced_and_counted() -> None:
    events, decoder = feed_all(b"data: caf\xe9 \xff ok\n\n")
    assert events == [ServerSentEvent(None, "caf\ufffd \ufffd ok")]
    assert decoder.invalid_utf8 == 2


def test_genuine_replacement_character_is_not_counted() -> None:
    events, decoder = feed_all("data: \ufffd\n\n".encode(), b"data: \xff\n\n")
    assert [e.data for e in events] == ["\ufffd", "\ufffd"]
    assert decoder.invalid_utf8 == 1


def test_incomplete_multibyte_sequence_at_eof_is_counted() -> None:
    _, decoder = feed_all(b"data: x\n\n\xe2\x82")
    assert decoder.invalid_utf8 == 1
    assert decoder.truncated


# -- end of stream ---------------------------------------------------------------------


def test_unterminated_event_is_discarded_and_flagged() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: b\n") == [ServerSentEvent(None, "a")]
    assert decoder.pending
    assert decoder.close() == []
    assert decoder.truncated
    assert not decoder.pending


@pytest.mark.parametrize(
    "tail", [b"data: b", b"event: x\n", b"data: b\n", b"data: b\r\n"], ids=repr
)
def test_truncated_tails(tail: bytes) -> None:
    events, decoder = feed_all(b"data: a\n\n" + tail)
    assert events == [ServerSentEvent(None, "a")]
    assert decoder.truncated


@pytest.mark.parametrize("tail", [b"", b"\n", b": comment\n", b"\r"], ids=repr)
def test_complete_streams_are_not_truncated(tail: bytes) -> None:
    _, decoder = feed_all(b"data: a\n\n" + tail)
    assert not decoder.truncated


def test_decode_helper_takes_bytes_or_chunks() -> None:
    body = b"data: a\n\ndata: b\n\ndata: c"
    whole = decode(body)
    assert whole == decode([body[:3], body[3:11], body[11:]])
    assert whole == DecodedStream(
        [ServerSentEvent(None, "a"), ServerSentEvent(None, "b")], truncated=True, invalid_utf8=0
    )


def test_state_between_events_is_only_the_unfinished_line() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b'event: ping\ndata: {"type": "ping"}\n\n' * 5000)
    assert len(events) == 5000
    assert not decoder.pending


# -- chunk boundaries on real streams --------------------------------------------------


@pytest.mark.parametrize("path", example_streams(), ids=lambda p: p.name)
@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_examples_split_at_every_offset(path: Path, newline: bytes) -> None:
    body = stream_body(path).replace(b"\n", newline)
    whole, decoder = feed_all(body)
    for cut in range(1, len(body)):
        events, split = feed_all(body[:cut], body[cut:])
        assert events == whole, f"split at byte {cut}"
        assert (split.truncated, split.invalid_utf8) == (decoder.truncated, decoder.invalid_utf8)


@pytest.mark.parametrize("path", example_streams(), ids=lambda p: p.name)
def test_examples_in_one_byte_chunks(path: Path) -> None:
    body = stream_body(path).replace(b"\n", b"\r\n")
    whole = feed_all(body)[0]
    assert feed_all(*(body[i : i + 1] for i in range(len(body))))[0] == whole


def test_corpus_streams_in_one_byte_chunks() -> None:
    paths = corpus_streams()
    if not paths:
        pytest.skip(f"real corpus not found at {CORPUS}")
    for path in paths:
        body = stream_body(path)
        whole, decoder = feed_all(body)
        assert whole, path.name
        assert not decoder.truncated and decoder.invalid_utf8 == 0, path.name
        assert feed_all(*(body[i : i + 1] for i in range(len(body))))[0] == whole, path.name


def test_corpus_streams_are_all_named_json_events() -> None:
    paths = corpus_streams()
    if not paths:
        pytest.skip(f"real corpus not found at {CORPUS}")
    assert len(paths) == 59
    for path in paths:
        for event in events_of(stream_body(path)):
            assert event.event == json.loads(event.data)["type"], path.name


# -- volume (speed is measured in benchmarks/validate_stream.py) ------------------------


def test_decoding_a_long_stream_in_chunks() -> None:
    delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta"}}
    one = f"event: content_block_delta\ndata: {json.dumps(delta)}\n\n".encode()
    body = one * 20_000
    events = decode([body[i : i + 4096] for i in range(0, len(body), 4096)]).events
    assert len(events) == 20_000
    assert {e.event for e in events} == {"content_block_delta"}


# -- the bytes-level decoder against a line-by-line reading of §9.2.6 -------------------


def reference_events(body: bytes) -> tuple[list[ServerSentEvent], bool]:
    """§9.2.6 read literally, line by line over the whole decoded text (slow, obvious)."""
    text = body.decode("utf-8", "replace").removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    partial = lines.pop()
    events: list[ServerSentEvent] = []
    data: list[str] = []
    event: str | None = None
    retry: int | None = None
    last_id: str | None = None
    for line in lines:
        if not line:
            if data:
                events.append(ServerSentEvent(event or None, "\n".join(data), last_id, retry))
            data, event, retry = [], None, None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            retry = int(value)
    return events, bool(partial or data or event is not None)


PIECES = [b"data: ", b"data:", b"event: ", b"id: 7", b"retry: 9", b": c", b"x", b"{}", b"\n"]
PIECES += [b"\r", b"\r\n", b"\n\n", b"\xef\xbb\xbf", b"\xe2\x82\xac", b"\xff", b"\xe2", b"\x00"]


@given(
    st.lists(st.sampled_from(PIECES), max_size=40),
    st.lists(st.integers(min_value=0, max_value=200), max_size=6),
)
@settings(max_examples=400, deadline=None, derandomize=True, database=None)
def test_chunked_decoding_matches_the_line_by_line_reading(
    pieces: list[bytes], cuts: list[int]
) -> None:
    body = b"".join(pieces)
    expected, truncated = reference_events(body)
    bounds = sorted({0, len(body), *(c % (len(body) + 1) for c in cuts)})
    chunks = [body[a:b] for a, b in itertools.pairwise(bounds)]
    events, decoder = feed_all(*chunks)
    assert events == expected
    assert decoder.truncated == truncated
    invalid = len(body.decode("utf-8", "replace")) - len(body.decode("utf-8", "ignore"))
    assert decoder.invalid_utf8 == invalid

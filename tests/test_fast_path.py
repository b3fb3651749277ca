"""The fast path for common deltas (stream.check_stream + payload.read_delta) judges exactly as
the general path does: same findings, same accumulated Message, on streams that break it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from messages_conformance.core.check import check_exchange
from messages_conformance.core.exchange import Exchange, Response
from messages_conformance.core.sse import SSEDecoder
from messages_conformance.core.stream import StreamChecker, check_stream
from messages_conformance.recordings.stream_file import CHUNK_BYTES, open_stream

START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 1},
    },
}


def block_start(index: Any, kind: str) -> dict[str, Any]:
    body = {"text": {"type": "text", "text": ""}, "thinking": {"type": "thinking", "thinking": ""}}
    tool = {"type": "tool_use", "id": "toolu_1", "name": "t", "input": {}}
    return {"type": "content_block_start", "index": index, "content_block": body.get(kind, tool)}


def delta(index: Any, kind: str, text: Any) -> dict[str, Any]:
    field = {"text_delta": "text", "thinking_delta": "thinking"}.get(kind, "partial_json")
    return {"type": "content_block_delta", "index": index, "delta": {"type": kind, field: text}}


STOP = {"type": "content_block_stop", "index": 0}
END = [
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}},
    {"type": "message_stop"},
]
indexes = st.sampled_from([0, 1, 2, -1, 1.0, True, "0"])
kinds = st.sampled_from(["text_delta", "thinking_delta", "input_json_delta", "signature_delta"])
events = st.one_of(
    st.builds(delta, indexes, kinds, st.sampled_from(["a", "{", '"x"}', 3, None])),
    st.builds(block_start, st.sampled_from([0, 1, 2]), st.sampled_from(["text", "thinking", "t"])),
    st.builds(lambda i: {"type": "content_block_stop", "index": i}, st.sampled_from([0, 1, 2])),
    st.sampled_from([START, *END, {"type": "ping"}]),
)


def general(body: bytes) -> tuple[list[Any], Any, int]:
    """Every event through the decoder and StreamChecker.feed: no fast path."""
    decoder, checker = SSEDecoder(), StreamChecker()
    found = []
    parsed = decoder.feed(body)
    for index, event in enumerate(parsed):
        found += checker.feed(event, index)[1]
    decoder.close()
    found += checker.close(truncated=decoder.truncated, invalid_utf8=decoder.invalid_utf8)
    return found, checker.message, len(parsed)


def wire(payloads: list[dict[str, Any]], spaced: bool) -> bytes:
    separators = (", ", ": ") if spaced else (",", ":")
    text = "".join(
        f"event: {p['type']}\ndata: {json.dumps(p, separators=separators)}\n\n" for p in payloads
    )
    return text.encode()


@given(st.lists(events, max_size=12), st.booleans())
@settings(max_examples=600, deadline=None, derandomize=True, database=None)
def test_fast_and_general_paths_agree(payloads: list[dict[str, Any]], spaced: bool) -> None:
    body = wire([START, block_start(0, "text"), *payloads, *END], spaced)
    fast = check_stream(body)
    assert (fast.findings, fast.message, fast.events) == general(body)


def test_the_common_stream_takes_the_fast_path() -> None:
    payloads = [START, block_start(0, "text"), *[delta(0, "text_delta", "a")] * 5, STOP, *END]
    body = wire(payloads, False)
    vouched: list[int] = []
    result = check_stream(body, on_delta=vouched.append)
    assert vouched == [2, 3, 4, 5, 6] and result.findings == []
    assert result.message is not None and result.message["content"][0]["text"] == "aaaaa"


def test_check_exchange_keeps_every_event_name_in_order() -> None:
    payloads = [
        START,
        block_start(0, "text"),
        delta(0, "text_delta", "a"),
        {"type": "ping"},
        STOP,
        *END,
    ]
    headers = {"content-type": "text/event-stream"}
    result = check_exchange(Exchange(Response(200, headers, wire(payloads, True))))
    assert [name for name, _ in result.events] == [p["type"] for p in payloads]
    assert result.events[2] == ("content_block_delta", None)  # its text is in the message
    assert result.events[3] == ("ping", {"type": "ping"})


def test_a_stream_file_is_checked_piece_by_piece_as_if_whole(tmp_path: Path) -> None:
    texts = [delta(0, "text_delta", f" w{i}") for i in range(CHUNK_BYTES // 60)]
    body = wire([START, block_start(0, "text"), *texts, STOP, *END], True)
    path = tmp_path / "long.sse"
    path.write_bytes(b"\xef\xbb\xbf" + body[:-1])  # a BOM, and cut inside the last event
    stream = open_stream(path)
    assert stream is not None
    assert len(list(stream.chunks())) > 1
    pieces = check_exchange(stream.exchange, chunks=stream.chunks())
    whole = check_exchange(
        Exchange(Response(200, {"content-type": "text/event-stream"}, body[:-1]))
    )
    assert pieces.findings == whole.findings and pieces.message == whole.message
    assert [f.rule for f in pieces.findings] == ["stream.order.message-stop-missing"]


def test_only_bare_streams_are_streamed(tmp_path: Path) -> None:
    for name, text, streamed in [
        ("a.sse", "event: ping\n", True),
        ("a.txt", "anything", True),
        ("a.log", "data: x\n", True),
        ("a.log", "hello", False),
        ("a.sse", '{"type": "message"}', False),
        ("a.yaml", "event: ping\n", False),
        ("b.sse", "   ", False),
    ]:
        path = tmp_path / name
        path.write_text(text)
        assert (open_stream(path) is not None) is streamed, (name, text)
    assert open_stream(tmp_path / "missing.sse") is None

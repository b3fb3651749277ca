"""The stream grammar checker and accumulator (stream.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.core.findings import Finding, Severity
from messages_conformance.core.sse import ServerSentEvent, decode
from messages_conformance.core.stream import (
    StreamChecker,
    StreamResult,
    check_stream,
    parse_event,
)
from messages_conformance.core.stream_rules import RULES

ROOT = Path(__file__).resolve().parents[1]
INVALID = ROOT / "spec" / "examples" / "invalid" / "exchanges"
VALID = ROOT / "spec" / "examples" / "valid" / "exchanges"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
RULE_IDS = {rule.id for rule in RULES}


def stream_body(path: Path) -> bytes:
    if path.suffix == ".sse":
        return path.read_bytes()
    return str(json.loads(path.read_text(encoding="utf-8"))["response"]["sse"]).encode("utf-8")


def invalid_examples() -> list[Path]:
    return sorted(p for p in INVALID.glob("*") if p.name.startswith(("sse.", "stream.")))


def rule_of(path: Path) -> str:
    return path.name.removesuffix(path.suffix).split("--")[0]


def corpus_streams() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"real corpus not found at {CORPUS}")
    paths = sorted(CORPUS.glob("*.json"))
    return [p for p in paths if json.loads(p.read_text(encoding="utf-8"))["response"]["sse"]]


# -- building streams in tests ---------------------------------------------------------


def sse(*payloads: dict[str, Any]) -> bytes:
    return "".join(f"event: {p['type']}\ndata: {json.dumps(p)}\n\n" for p in payloads).encode()


USAGE = {"input_tokens": 25, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}


def start(**usage: int) -> dict[str, Any]:
    message = {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
        "model": "claude-sonnet-4-5", "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {**USAGE, "output_tokens": 1, **usage},
    }  # fmt: skip
    return {"type": "message_start", "message": message}


def block(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": body}


def delta(index: int, kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": {"type": kind, **fields}}


def stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def message_delta(reason: str | None = "end_turn", **usage: Any) -> dict[str, Any]:
    return {
        "type": "message_delta",
        "delta": {"stop_reason": reason, "stop_sequence": None},
        "usage": {"output_tokens": 12, **usage},
    }


END = {"type": "message_stop"}
PING = {"type": "ping"}
TEXT = {"type": "text", "text": ""}
TOOL = {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}}


def text_stream(*texts: str) -> list[dict[str, Any]]:
    deltas = [delta(0, "text_delta", text=t) for t in texts]
    return [start(), block(0, TEXT), *deltas, stop(0), message_delta(), END]


def run(*payloads: dict[str, Any]) -> StreamResult:
    return check_stream(sse(*payloads))


def rules(found: list[Finding]) -> list[str]:
    return [f.rule for f in found]


# -- rule catalogue --------------------------------------------------------------------


def test_rule_ids_are_unique_and_namespaced() -> None:
    assert len(RULE_IDS) == len(RULES)
    assert all(rule.id.startswith(("sse.", "stream.")) for rule in RULES)
    assert all(rule.description for rule in RULES)


def test_only_unknown_events_are_notices() -> None:
    notices = {rule.id for rule in RULES if rule.severity is Severity.NOTICE}
    assert notices == {"stream.unknown-event"}


def test_every_rule_has_an_invalid_example() -> None:
    assert {rule_of(path) for path in invalid_examples()} == RULE_IDS


# -- example files ---------------------------------------------------------------------


@pytest.mark.parametrize("path", invalid_examples(), ids=lambda p: p.name)
def test_invalid_example_triggers_its_rule_and_nothing_else(path: Path) -> None:
    result = check_stream(stream_body(path))
    expected = rule_of(path)
    assert expected in rules(result.findings)
    assert set(rules(result.findings)) == {expected}
    found = next(f for f in result.findings if f.rule == expected)
    assert found.location and found.message


@pytest.mark.parametrize("path", sorted(VALID.glob("stream-*.json")), ids=lambda p: p.name)
def test_valid_example_has_no_findings(path: Path) -> None:
    result = check_stream(stream_body(path))
    assert result.findings == []
    assert result.message is not None
    assert result.message["stop_reason"] in ("end_turn", "tool_use")


def test_valid_tool_example_accumulates_the_input() -> None:
    message = check_stream(stream_body(VALID / "stream-tool-use-input-json.json")).message
    assert message is not None
    assert [b["type"] for b in message["content"]] == ["text", "tool_use"]
    assert message["content"][1]["input"] == {"location": "San Francisco, CA"}
    assert message["usage"]["output_tokens"] == 89


def test_valid_thinking_example_accumulates_thinking_and_signature() -> None:
    message = check_stream(stream_body(VALID / "stream-thinking-signature.json")).message
    assert message is not None
    thinking = message["content"][0]
    assert thinking["thinking"].startswith("I need to find the GCD")
    assert thinking["thinking"].endswith("So the GCD is 21.")
    assert thinking["signature"].startswith("EqQB")


# -- real traffic ----------------------------------------------------------------------


def test_real_streams_have_no_findings() -> None:
    paths = corpus_streams()
    assert len(paths) == 59
    for path in paths:
        result = check_stream(stream_body(path))
        assert result.findings == [], f"{path.name}: {[str(f) for f in result.findings]}"
        assert result.message is not None and result.message["stop_reason"], path.name


def test_real_streams_accumulate_like_the_sdk() -> None:
    httpx = pytest.importorskip("httpx")
    beta = pytest.importorskip(
        "anthropic.lib.streaming._beta_messages", reason="anthropic SDK (dev extra) not installed"
    )
    for path in corpus_streams():
        body = stream_body(path)
        snapshot, buffers = None, {}
        for event in decode(body).events:
            payload = json.loads(event.data)
            if payload["type"] not in ("ping", "error"):
                snapshot = beta.accumulate_event(
                    event=payload, current_snapshot=snapshot, json_bufs=buffers,
                    request_headers=httpx.Headers(),
                )  # fmt: skip
        ours = json.loads(json.dumps(check_stream(body).message))
        assert ours == snapshot.to_dict(mode="json"), path.name


# -- framing: parse_event --------------------------------------------------------------


def test_parse_event_returns_the_payload() -> None:
    payload, found = parse_event(ServerSentEvent("ping", '{"type": "ping"}'), 3)
    assert payload == {"type": "ping"}
    assert found == []


@pytest.mark.parametrize(
    ("event", "rule", "location"),
    [
        (ServerSentEvent(None, "[DONE]"), "sse.data-not-json", "events[4]"),
        (ServerSentEvent("ping", ""), "sse.data-not-json", "events[4]"),
        (ServerSentEvent("ping", '"ping"'), "sse.data-not-object", "events[4]"),
        (ServerSentEvent(None, '{"type": "ping"}'), "sse.unnamed-event", "events[4]"),
        (ServerSentEvent("pong", '{"type": "ping"}'), "sse.event-name-mismatch", "events[4]/type"),
    ],
)
def test_parse_event_findings(event: ServerSentEvent, rule: str, location: str) -> None:
    _, found = parse_event(event, 4)
    assert [(f.rule, f.location) for f in found] == [(rule, location)]
    assert found[0].expected is not None and found[0].received is not None


def test_feed_returns_payload_and_findings_and_keeps_the_payload() -> None:
    checker = StreamChecker()
    payload, found = checker.feed(ServerSentEvent("message_start", json.dumps(start())), 0)
    assert payload == start() == checker.last_payload
    assert found == []
    assert checker.feed(ServerSentEvent("ping", "nope"), 1)[0] is None
    assert checker.last_payload is None


def test_unparsed_events_count_but_do_not_take_part_in_the_grammar() -> None:
    checker = StreamChecker()
    assert checker.feed_payload(None, 0) == []
    assert rules(checker.close()) == ["stream.order.message-stop-missing"]


def test_unnamed_events_still_take_part_in_the_grammar() -> None:
    body = b"".join(f"data: {json.dumps(p)}\n\n".encode() for p in text_stream("Hi"))
    result = check_stream(body)
    assert set(rules(result.findings)) == {"sse.unnamed-event"}
    assert result.message is not None and result.message["content"][0]["text"] == "Hi"


# -- order -----------------------------------------------------------------------------


def test_ping_and_error_may_precede_message_start() -> None:
    assert run(PING, *text_stream("Hi")).findings == []
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    assert run(PING, error).findings == []


def test_every_event_before_message_start_is_reported_and_ignored() -> None:
    result = run(block(0, TEXT), stop(0), *text_stream("Hi"))
    assert rules(result.findings) == ["stream.order.first-not-message-start"] * 2
    assert result.message is not None and len(result.message["content"]) == 1


def test_error_event_ends_the_stream_cleanly() -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    checker = StreamChecker()
    for index, payload in enumerate([start(), block(0, TEXT), error]):
        assert checker.feed_payload(payload, index) == []
    assert checker.ended_by == "error"
    assert checker.close() == []


def test_after_error_and_after_stop() -> None:
    error = {"type": "error", "error": {"type": "api_error", "message": "Internal"}}
    assert rules(run(start(), error, END).findings) == ["stream.order.after-error"]
    found = run(*text_stream("Hi"), message_delta()).findings
    assert [(f.rule, f.location) for f in found] == [("stream.order.after-stop", "events[6]/type")]


def test_unknown_events_are_notices_anywhere_before_the_end() -> None:
    found = run({"type": "future_event"}, *text_stream("Hi")).findings
    assert [(f.rule, f.severity) for f in found] == [("stream.unknown-event", Severity.NOTICE)]


def test_several_message_deltas_are_allowed() -> None:
    payloads = [start(), block(0, TEXT), stop(0), message_delta(None), message_delta(), END]
    assert run(*payloads).findings == []


def test_empty_stream() -> None:
    assert rules(check_stream(b"").findings) == ["stream.empty"]
    assert check_stream(b"").message is None


def test_truncated_stream_says_so_and_lists_open_blocks() -> None:
    body = sse(start(), block(0, TEXT)) + b'event: content_block_delta\ndata: {"ty'
    (found,) = check_stream(body).findings
    assert found.rule == "stream.order.message-stop-missing"
    assert "inside an event" in found.message
    assert found.received == "end of stream, block(s) [0] still open"


def test_open_block_at_message_delta_is_reported_once() -> None:
    found = run(start(), block(0, TEXT), message_delta(), END).findings
    assert [(f.rule, f.location) for f in found] == [("stream.block.unclosed", "events[2]")]


def test_stop_reason_missing_needs_a_message_delta() -> None:
    found = run(start(), block(0, TEXT), stop(0), END).findings
    assert rules(found) == ["stream.order.message-delta-missing"]


# -- blocks and deltas -----------------------------------------------------------------


def test_index_counts_positions_not_values() -> None:
    found = run(start(), block(0, TEXT), stop(0), block(0, TEXT), stop(0), message_delta(), END)
    assert [(f.rule, f.expected, f.received) for f in found.findings] == [
        ("stream.block.index", "1", "0")
    ]


def test_boolean_index_is_not_an_int() -> None:
    found = run(start(), block(False, TEXT), stop(0), message_delta(), END).findings  # type: ignore[arg-type]
    assert "stream.block.index" in rules(found)


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("text_delta", {"type": "thinking", "thinking": "", "signature": ""}),
        ("signature_delta", TEXT),
        ("input_json_delta", {"type": "thinking", "thinking": "", "signature": ""}),
        ("compaction_delta", TEXT),
        ("citations_delta", TOOL),
    ],
)
def test_delta_type_must_fit_the_block(kind: str, body: dict[str, Any]) -> None:
    found = run(start(), block(0, body), delta(0, kind), stop(0), message_delta(), END).findings
    assert rules(found) == ["stream.delta.type-mismatch"]
    assert found[0].location == "events[2]/delta/type"


@pytest.mark.parametrize(
    "body",
    [
        {"type": "redacted_thinking", "data": "EmwKAhgB"},
        {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01", "content": []},
        {"type": "container_upload", "file_id": "file_01"},
        {"type": "mcp_tool_result", "tool_use_id": "mcptoolu_01", "content": []},
    ],
)
def test_complete_blocks_take_no_deltas(body: dict[str, Any]) -> None:
    payloads = [start(), block(0, body), delta(0, "text_delta", text="x"), stop(0)]
    found = run(*payloads, message_delta(), END).findings
    assert rules(found) == ["stream.delta.complete-block"]


def test_unknown_block_and_delta_types_are_left_to_the_schema() -> None:
    payloads = [start(), block(0, {"type": "hologram"}), delta(0, "text_delta", text="x")]
    payloads += [stop(0), block(1, TEXT), delta(1, "sparkle_delta"), stop(1)]
    assert run(*payloads, message_delta(), END).findings == []


# -- accumulation ----------------------------------------------------------------------


def test_text_thinking_signature_citations_accumulate() -> None:
    thinking = {"type": "thinking", "thinking": "", "signature": ""}
    citation = {"type": "char_location", "cited_text": "x", "document_index": 0}
    payloads = [
        start(), block(0, thinking), delta(0, "thinking_delta", thinking="a"),
        delta(0, "thinking_delta", thinking="b"), delta(0, "signature_delta", signature="sig"),
        stop(0), block(1, TEXT), delta(1, "text_delta", text="Hel"),
        delta(1, "citations_delta", citation=citation), delta(1, "text_delta", text="lo"),
        delta(1, "citations_delta", citation=citation), stop(1), message_delta(), END,
    ]  # fmt: skip
    message = run(*payloads).message
    assert message is not None
    assert message["content"] == [
        {"type": "thinking", "thinking": "ab", "signature": "sig"},
        {"type": "text", "text": "Hello", "citations": [citation, citation]},
    ]


def test_message_is_readable_mid_stream() -> None:
    checker = StreamChecker()
    for index, payload in enumerate([start(), block(0, TEXT), delta(0, "text_delta", text="Hi")]):
        checker.feed_payload(payload, index)
    assert checker.message is not None
    assert checker.message["content"] == [{"type": "text", "text": "Hi"}]
    assert StreamChecker().message is None


def test_tool_input_is_parsed_at_stop() -> None:
    fragments = ["", '{"location":', ' "Paris"}']
    deltas = [delta(0, "input_json_delta", partial_json=f) for f in fragments]
    result = run(start(), block(0, TOOL), *deltas, stop(0), message_delta("tool_use"), END)
    assert result.findings == []
    assert result.message is not None
    assert result.message["content"][0]["input"] == {"location": "Paris"}


@pytest.mark.parametrize("fragments", [[], [""], ["", ""]], ids=["none", "empty", "two-empty"])
def test_empty_tool_input_keeps_the_start_input(fragments: list[str]) -> None:
    server = {"type": "server_tool_use", "id": "srvtoolu_01", "name": "advisor", "input": {}}
    deltas = [delta(0, "input_json_delta", partial_json=f) for f in fragments]
    result = run(start(), block(0, server), *deltas, stop(0), message_delta(), END)
    assert result.findings == []
    assert result.message is not None and result.message["content"][0]["input"] == {}


@pytest.mark.parametrize("joined", ['{"a": 1', "[1]", "null", "nope"])
def test_tool_input_must_be_a_json_object(joined: str) -> None:
    payloads = [start(), block(0, TOOL), delta(0, "input_json_delta", partial_json=joined)]
    found = run(*payloads, stop(0), message_delta("tool_use"), END).findings
    assert [(f.rule, f.received) for f in found] == [("stream.tool-input-json", joined)]


def test_compaction_delta_sets_the_content_fields() -> None:
    compaction = {"type": "compaction", "content": None}
    payloads = [start(), block(0, compaction), delta(0, "compaction_delta", content="summary")]
    message = run(*payloads, stop(0), message_delta(), END).message
    assert message is not None
    assert message["content"][0] == {
        "type": "compaction", "content": "summary", "encrypted_content": None
    }  # fmt: skip


def test_message_delta_sets_stop_fields_and_keeps_other_keys() -> None:
    container = {"id": "container_01", "expires_at": "2026-04-24T11:13:36Z"}
    final = {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "container": container},
        "usage": {"output_tokens": 9},
        "context_management": {"applied_edits": []},
    }
    message = run(start(), final, END).message
    assert message is not None
    assert message["stop_reason"] == "end_turn"
    assert message["stop_sequence"] is None and message["stop_details"] is None
    assert message["container"] == container
    assert message["context_management"] == {"applied_edits": []}


def test_usage_overwrites_present_non_null_counts() -> None:
    final = message_delta(input_tokens=None, cache_read_input_tokens=7, output_tokens=30)
    message = run(start(cache_read_input_tokens=3), final, END).message
    assert message is not None
    assert message["usage"] == {
        "input_tokens": 25, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 7,
        "output_tokens": 30,
    }  # fmt: skip


# -- usage -----------------------------------------------------------------------------


def test_input_tokens_may_grow_with_server_tools() -> None:
    assert run(start(), message_delta(input_tokens=1595, output_tokens=143), END).findings == []


@pytest.mark.parametrize(
    ("first", "second", "key"),
    [
        ({"output_tokens": 40}, {"output_tokens": 30}, "output_tokens"),
        ({"cache_read_input_tokens": 9}, {"cache_read_input_tokens": 0}, "cache_read_input_tokens"),
        ({"input_tokens": 30}, {"input_tokens": 20}, "input_tokens"),
    ],
)
def test_usage_never_decreases_between_message_deltas(
    first: dict[str, int], second: dict[str, int], key: str
) -> None:
    found = run(start(), message_delta(None, **first), message_delta(**second), END).findings
    assert [(f.rule, f.location) for f in found] == [
        ("stream.usage.decreasing", f"events[2]/usage/{key}")
    ]
    assert "events[1]/usage" in found[0].message


def test_usage_with_iterations_is_not_compared_with_message_start() -> None:
    # Corpus 127 (compaction): cache reads fall from 55096 to 0 in the final iteration.
    final = message_delta(cache_read_input_tokens=0, iterations=[{"type": "compaction"}])
    assert run(start(cache_read_input_tokens=55096), final, END).findings == []


def test_input_zero_is_a_warning_only_when_every_input_count_is_zero() -> None:
    cached = start(input_tokens=0, cache_read_input_tokens=11)
    assert run(cached, message_delta(), END).findings == []
    found = run(start(input_tokens=0), message_delta(), END).findings
    assert [(f.rule, f.severity) for f in found] == [("stream.usage.input-zero", Severity.WARNING)]


# -- end of stream and limits ----------------------------------------------------------


def test_invalid_utf8_and_incomplete_tail_after_stop() -> None:
    checker = StreamChecker()
    for index, payload in enumerate(text_stream("Hi")):
        checker.feed_payload(payload, index)
    found = checker.close(truncated=True, invalid_utf8=2)
    assert [(f.rule, f.severity) for f in found] == [
        ("sse.invalid-utf8", Severity.ERROR),
        ("sse.incomplete-event", Severity.WARNING),
    ]


def test_findings_of_one_rule_are_capped_and_summarised() -> None:
    pings = [PING] * 30
    result = run(*text_stream("Hi"), *pings)
    assert rules(result.findings) == ["stream.order.after-stop"] * 21
    assert "10 more" in result.findings[-1].message
    assert len(run(*text_stream("Hi"), *pings[:20]).findings) == 20


def test_check_stream_runs_an_extra_payload_check_once_per_event() -> None:
    seen: list[int] = []
    vouched: list[int] = []

    def extra(event: ServerSentEvent, payload: dict[str, Any] | None, index: int) -> list[Finding]:
        if payload is not None:
            seen.append(index)
        return [Finding("schema.event", Severity.ERROR, "x")] if index == 1 else []

    body = sse(*text_stream("Hi")) + b"event: ping\ndata: oops\n\n"
    result = check_stream(body, also=extra, on_delta=vouched.append)
    assert seen == [0, 1, 3, 4, 5]  # the text delta took the fast path: schema-shaped already
    assert vouched == [2]
    assert rules(result.findings) == ["schema.event", "sse.data-not-json"]
    assert result.events == 7


# -- volume (speed is measured in benchmarks/validate_stream.py) ------------------------


def test_checking_a_long_stream_in_chunks() -> None:
    texts = [f" word{i}" for i in range(20_000)]
    body = sse(*text_stream(*texts))
    result = check_stream(body[i : i + 4096] for i in range(0, len(body), 4096))
    assert result.findings == [] and result.events == 20_005
    assert result.message is not None
    assert result.message["content"][0]["text"] == "".join(texts)

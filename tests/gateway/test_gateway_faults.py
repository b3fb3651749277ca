"""Each named fault changes what it says on the wire, and nothing happens without it."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_helpers import (
    HEADERS,
    KEY,
    WEATHER_TOOL,
    Post,
    arrivals,
    body,
    make_post,
    sse_events,
)

from messages_conformance.gateway import (
    FAULTS,
    GatewayConfig,
    RunningGateway,
    UnknownFault,
    create_app,
    serve_in_thread,
)
from messages_conformance.gateway.faults import select

TWO_BLOCKS = body("use get_weather: city: Paris", tools=[WEATHER_TOOL])  # text + tool_use
FORCED = body("Hi", tools=[WEATHER_TOOL], tool_choice={"type": "any"})
LONG = body("Repeat exactly: one two three four five six seven eight")


@pytest.fixture
def faulty(request: pytest.FixtureRequest) -> Iterator[Post]:
    """A poster for a gateway running the fault named by the test's parameter."""
    with serve_in_thread(GatewayConfig(api_keys=(KEY,), faults=(request.param,))) as running:
        post = make_post(running.base_url)
        post.base_url = running.base_url  # type: ignore[attr-defined]
        yield post


def fault(name: str) -> Any:
    return pytest.mark.parametrize("faulty", [name], indirect=True)


def streamed(post: Post, payload: dict[str, Any]) -> list[tuple[str, Any]]:
    return sse_events(post({**payload, "stream": True}).text)


def names(events: list[tuple[str, Any]]) -> list[str]:
    return [name for name, _ in events]


def test_registry_has_enough_described_faults() -> None:
    assert len(FAULTS) >= 18
    for name, entry in FAULTS.items():
        assert entry.description and "\n" not in entry.description, name
        assert entry.wire, name


def test_unknown_fault_lists_the_known_ones() -> None:
    with pytest.raises(UnknownFault, match="known faults: bad-key-403, "):
        select(["bad-key-403", "nope"])
    with pytest.raises(UnknownFault):
        create_app(GatewayConfig(faults=("nope",)))


def test_faults_combine() -> None:
    config = GatewayConfig(api_keys=(KEY,), faults=("no-message-stop", "done-terminator"))
    with serve_in_thread(config) as running:
        events = streamed(make_post(running.base_url), body())
    assert "message_stop" not in names(events) and events[-1] == ("", "[DONE]")


@fault("bad-key-403")
def test_bad_key_403(faulty: Post) -> None:
    response = faulty(body(), {**HEADERS, "x-api-key": "wrong"})
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "permission_error"
    assert faulty(body()).status_code == 200


@fault("openai-error-body")
def test_openai_error_body(faulty: Post) -> None:
    payload = faulty(body(model="nope")).json()
    assert payload == {"error": {"message": "model: nope", "type": "not_found_error", "code": None}}


@fault("json-for-stream")
def test_json_for_stream(faulty: Post) -> None:
    response = faulty(body(stream=True))
    assert response.headers["content-type"] == "application/json"
    assert response.json()["type"] == "message"


@fault("done-terminator")
def test_done_terminator(faulty: Post) -> None:
    text = faulty(body(stream=True)).text
    assert text.endswith('event: message_stop\ndata: {"type":"message_stop"}\n\ndata: [DONE]\n\n')


@fault("no-message-stop")
def test_no_message_stop(faulty: Post) -> None:
    assert names(streamed(faulty, body()))[-1] == "message_delta"


@fault("out-of-order")
def test_out_of_order(faulty: Post) -> None:
    listed = names(streamed(faulty, body()))
    assert listed.index("content_block_delta") < listed.index("content_block_start")


@fault("text-delta-in-tool-use")
def test_text_delta_in_tool_use(faulty: Post) -> None:
    events = streamed(faulty, FORCED)
    deltas = [d["delta"] for n, d in events if n == "content_block_delta"]
    assert {d["type"] for d in deltas} == {"text_delta"}
    assert json.loads("".join(d["text"] for d in deltas)) == {"city": "example", "unit": "celsius"}


@fault("ignore-stop-sequences")
def test_ignore_stop_sequences(faulty: Post) -> None:
    message = faulty({**LONG, "stop_sequences": ["three"]}).json()
    assert "three" in message["content"][0]["text"]
    assert message["stop_reason"] == "end_turn" and message["stop_sequence"] is None


@fault("ignore-max-tokens")
def test_ignore_max_tokens(faulty: Post) -> None:
    message = faulty({**LONG, "max_tokens": 2}).json()
    assert message["usage"]["output_tokens"] == 8 > 2
    assert message["stop_reason"] == "end_turn"


@fault("accept-invalid")
def test_accept_invalid(faulty: Post) -> None:
    for bad in ({**body(), "max_tokens": -5}, {"model": "claude-opus-4-7"}, body(foo=1)):
        response = faulty(bad)
        assert response.status_code == 200, bad
        assert response.json()["type"] == "message"
    assert faulty(body(), {**HEADERS, "x-api-key": "wrong"}).status_code == 401


@fault("no-usage")
def test_no_usage(faulty: Post) -> None:
    assert "usage" not in faulty(body()).json()
    events = dict(streamed(faulty, body()))
    assert "usage" not in events["message_start"]["message"]
    assert "usage" not in events["message_delta"]


@fault("unknown-stop-reason")
def test_unknown_stop_reason(faulty: Post) -> None:
    assert faulty(body()).json()["stop_reason"] == "stop"
    assert dict(streamed(faulty, body()))["message_delta"]["delta"]["stop_reason"] == "stop"


@fault("wrong-content-type")
def test_wrong_content_type(faulty: Post) -> None:
    response = faulty(body(stream=True))
    assert response.headers["content-type"] == "application/json"
    assert response.text.startswith("event: message_start\n")


@fault("truncated-stream")
def test_truncated_stream(faulty: Post) -> None:
    listed = names(streamed(faulty, LONG))
    assert listed[0] == "message_start"
    assert "message_delta" not in listed and "message_stop" not in listed
    assert listed.count("content_block_start") > listed.count("content_block_stop")


@fault("no-request-id")
def test_no_request_id(faulty: Post) -> None:
    assert "request-id" not in faulty(body()).headers
    assert "request-id" not in faulty(body(stream=True)).headers


@fault("unknown-model-400")
def test_unknown_model_400(faulty: Post) -> None:
    response = faulty(body(model="nope"))
    assert response.status_code == 400
    assert response.json()["error"] == {"type": "invalid_request_error", "message": "model: nope"}


@fault("empty-tool-input")
def test_empty_tool_input(faulty: Post) -> None:
    assert faulty(FORCED).json()["content"][0]["input"] == {}
    partials = [
        d["delta"]["partial_json"]
        for n, d in streamed(faulty, FORCED)
        if n == "content_block_delta"
    ]
    assert "".join(partials) == "{}"


@fault("zero-usage-stream")
def test_zero_usage_stream(faulty: Post) -> None:
    events = dict(streamed(faulty, body()))
    assert events["message_start"]["message"]["usage"]["input_tokens"] == 0
    assert events["message_delta"]["usage"]["output_tokens"] == 0
    assert faulty(body()).json()["usage"]["output_tokens"] > 0


@fault("error-then-continue")
def test_error_then_continue(faulty: Post) -> None:
    listed = names(streamed(faulty, body()))
    assert "error" in listed
    assert listed.index("error") < len(listed) - 1 and listed[-1] == "message_stop"


@fault("event-name-mismatch")
def test_event_name_mismatch(faulty: Post) -> None:
    events = streamed(faulty, body())
    mismatched = [(n, d["type"]) for n, d in events if n != d["type"]]
    assert mismatched and set(mismatched) == {("delta", "content_block_delta")}


def test_missing_version_is_rejected_without_the_fault(post: Post) -> None:
    assert post(body(), {"x-api-key": KEY}).status_code == 400


@fault("missing-version-ok")
def test_missing_version_ok(faulty: Post) -> None:
    assert faulty(body(), {"x-api-key": KEY}).status_code == 200
    assert faulty(body(), {**HEADERS, "anthropic-version": "1999-01-01"}).status_code == 400


@fault("interleaved-blocks")
def test_interleaved_blocks(faulty: Post) -> None:
    events = streamed(faulty, TWO_BLOCKS)
    starts = [i for i, (n, d) in enumerate(events) if n == "content_block_start"]
    stop_0 = next(
        i for i, (n, d) in enumerate(events) if n == "content_block_stop" and d["index"] == 0
    )
    assert starts[1] < stop_0


@fault("null-stop-reason")
def test_null_stop_reason(faulty: Post) -> None:
    assert faulty(body()).json()["stop_reason"] is None


@fault("wrong-block-index")
def test_wrong_block_index(faulty: Post) -> None:
    indexes = [d["index"] for n, d in streamed(faulty, TWO_BLOCKS) if "index" in d]
    assert min(indexes) == 1 and max(indexes) == 2


@fault("tool-choice-ignored")
def test_tool_choice_ignored(faulty: Post) -> None:
    message = faulty(FORCED).json()
    assert [b["type"] for b in message["content"]] == ["text"]
    assert message["stop_reason"] == "end_turn"


PAUSED = body("[mconf:pause=400,ping=50,every=20] Repeat exactly: " + " ".join(["w"] * 28))


@fault("buffer-stream")
def test_buffer_stream(faulty: Post) -> None:
    _, chunks = arrivals(faulty.base_url, {**PAUSED, "stream": True})  # type: ignore[attr-defined]
    events = sse_events(b"".join(c for _, c in chunks).decode())
    assert names(events)[-1] == "message_stop" and len(events) > 20
    assert chunks[-1][0] - chunks[0][0] < 0.05  # everything in one burst ...
    assert chunks[0][0] > 0.6  # ... after the time the stream took (pause + pacing)


@fault("drop-pings")
def test_drop_pings(faulty: Post) -> None:
    _, chunks = arrivals(faulty.base_url, {**PAUSED, "stream": True})  # type: ignore[attr-defined]
    events = sse_events(b"".join(c for _, c in chunks).decode())
    assert "ping" not in names(events) and names(events)[-1] == "message_stop"
    gaps = [after - before for (before, _), (after, _) in pairwise(chunks)]
    assert max(gaps) > 0.35  # the pause went silent


@fault("gzip-stream")
def test_gzip_stream(faulty: Post) -> None:
    response, chunks = arrivals(faulty.base_url, {**PAUSED, "stream": True})  # type: ignore[attr-defined]
    assert response.headers["content-encoding"] == "gzip"
    text = gzip.decompress(b"".join(c for _, c in chunks)).decode()
    assert names(sse_events(text))[-1] == "message_stop"
    assert chunks[-1][0] - chunks[0][0] > 0.6  # still streamed: each write is flushed


def test_every_fault_has_a_test() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    untested = [name for name in FAULTS if f'@fault("{name}")' not in source]
    assert not untested


def test_default_gateway_shows_none_of_the_deviations(gateway: RunningGateway, post: Post) -> None:
    """The control: the same requests without faults give the official behaviour."""
    events = streamed(post, TWO_BLOCKS)
    assert names(events)[-1] == "message_stop"
    assert all(n == d["type"] for n, d in events)
    assert [d["index"] for n, d in events if n == "content_block_start"] == [0, 1]
    assert post(body(model="nope")).status_code == 404
    assert post(body(), {**HEADERS, "x-api-key": "wrong"}).status_code == 401
    forced = post(FORCED).json()
    assert forced["stop_reason"] == "tool_use" and forced["content"][0]["input"]
    response = httpx.post(f"{gateway.base_url}/v1/messages", json=body(), headers=HEADERS)
    assert response.headers["request-id"] and response.json()["usage"]["output_tokens"] > 0

"""Transit: mconf on both sides of a gateway. Every upstream answer is scripted, both legs are
recorded, and every difference between what was sent and what arrived is the gateway's.

Runs with `mconf run --upstream HOST:PORT` (your gateway forwards there) or `mconf run
--transit` (the reference proxy); skipped otherwise.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from messages_conformance.suite.transit_case import Crossing, TransitCase
from messages_conformance.transit import script

pytestmark = pytest.mark.mconf_area("transit")

BETAS = "interleaved-thinking-2025-05-14,context-management-2025-06-27"
PIXEL_PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode()
WEATHER = {
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
    "cache_control": {"type": "ephemeral"},
}


@pytest.fixture(params=[False, True], ids=["json", "stream"])
def stream(request: pytest.FixtureRequest) -> bool:
    """Each case as a plain request and as a stream."""
    return bool(request.param)


def answer_for(message: dict[str, Any], stream: bool) -> dict[str, Any]:
    return script.stream_answer(message) if stream else script.json_answer(message)


def history(marker: str, previous: str) -> list[dict[str, Any]]:
    """A finished tool turn (with thinking) before the current question."""
    return [
        {"role": "user", "content": f"What is the weather in Paris? [{previous}]"},
        {
            "role": "assistant",
            "content": [
                script.thinking(previous),
                script.tool_use(previous, "get_weather", {"city": "Paris"}),
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": script.tool_id(previous),
                    "content": "18 degrees and sunny",
                },
                {"type": "text", "text": f"Thanks. Now describe this image. [{marker}]"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PIXEL_PNG},
                },
            ],
        },
    ]


def rich_body(transit: TransitCase, marker: str, stream: bool) -> dict[str, Any]:
    """A request using most of what the Messages API takes."""
    return {
        "model": transit.harness.target.model,
        "max_tokens": 8192,
        "system": [
            {
                "type": "text",
                "text": "You are terse.",
                "cache_control": {"type": "ephemeral", "ttl": "1h"},
            },
            {"type": "text", "text": "Answer in English."},
        ],
        "messages": history(marker, marker + "-prev"),
        "tools": [WEATHER],
        "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "metadata": {"user_id": "mconf-transit-user"},
        "stop_sequences": ["\n\nHuman:", "###"],
        "stream": stream,
    }


# -- correlation ------------------------------------------------------------------------------


def test_correlation_by_marker(mconf_transit: TransitCase) -> None:
    """The upstream recognises the forwarded request by the marker in its user text."""
    marker = mconf_transit.marker()
    body = mconf_transit.body(marker)
    crossing = mconf_transit.send(body, script.json_answer(script.message(marker)), marker=marker)
    assert crossing.upstream is not None or crossing.findings  # a lost request is a finding


# -- request fidelity -------------------------------------------------------------------------


def test_request_arrives_unchanged(mconf_transit: TransitCase, stream: bool) -> None:
    """System blocks, cache_control with ttl, strict tools, tool_choice, thinking with its
    signature and tool ids in history, metadata, stop_sequences and an image arrive upstream
    byte-exact, with anthropic-version and every anthropic-beta name; nothing is added."""
    marker = mconf_transit.marker()
    body = rich_body(mconf_transit, marker, stream)
    answer = answer_for(script.message(marker, [script.text("It shows one pixel.")]), stream)
    mconf_transit.send(body, answer, marker=marker, headers={"anthropic-beta": BETAS})


def test_output_config_and_documents_arrive(mconf_transit: TransitCase) -> None:
    """output_config and a document block arrive unchanged."""
    marker = mconf_transit.marker()
    document = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "Transit notes."},
        "title": "notes",
    }
    content = [document, {"type": "text", "text": f"Summarise. [{marker}]"}]
    body = {
        **mconf_transit.body(marker),
        "messages": [{"role": "user", "content": content}],
        "output_config": {"effort": "low"},
        "top_k": 5,
    }
    mconf_transit.send(body, script.json_answer(script.message(marker)), marker=marker)


# -- response fidelity ------------------------------------------------------------------------


def test_response_arrives_unchanged(mconf_transit: TransitCase, stream: bool) -> None:
    """Thinking (signature), text and tool_use blocks, ids, stop_reason tool_use and usage with
    cache fields and server_tool_use reach the client as the upstream sent them."""
    marker = mconf_transit.marker()
    body = mconf_transit.body(
        marker, "What is the weather in Paris?", tools=[WEATHER], stream=stream
    )
    body["thinking"] = {"type": "enabled", "budget_tokens": 1024}
    body["max_tokens"] = 2048
    usage = script.usage(
        30,
        12,
        cache_creation_input_tokens=1024,
        cache_read_input_tokens=2048,
        server_tool_use={"web_search_requests": 0},
    )
    content = [
        script.thinking(marker),
        script.text("Let me check."),
        script.tool_use(marker, "get_weather", {"city": "Paris"}),
    ]
    message = script.message(marker, content, stop_reason="tool_use", usage_=usage)
    mconf_transit.send(body, answer_for(message, stream), marker=marker)


def test_stop_sequence_arrives(mconf_transit: TransitCase, stream: bool) -> None:
    """stop_reason stop_sequence and the matched sequence reach the client."""
    marker = mconf_transit.marker()
    body = mconf_transit.body(marker, stop_sequences=["###"], stream=stream)
    message = script.message(marker, stop_reason="stop_sequence", stop_sequence="###")
    mconf_transit.send(body, answer_for(message, stream), marker=marker)


# -- error mapping ----------------------------------------------------------------------------

ERRORS = [400, 401, 403, 404, 413, 429, 500, 504, 529]
RETRY_AFTER = {429: "7", 529: "3"}


@pytest.mark.parametrize("status", ERRORS)
def test_upstream_error_arrives(mconf_transit: TransitCase, status: int, stream: bool) -> None:
    """An upstream error (before any stream starts) reaches the client with its status, error
    type, a message and retry-after."""
    marker = mconf_transit.marker()
    body = mconf_transit.body(marker, stream=stream)
    answer = script.error_answer(status, retry_after=RETRY_AFTER.get(status))
    mconf_transit.send(body, answer, marker=marker)


def test_error_event_mid_stream(mconf_transit: TransitCase) -> None:
    """An `error` event after the stream started arrives as an error event, nothing after it."""
    marker = mconf_transit.marker()
    body = mconf_transit.body(marker, stream=True)
    message = script.message(marker, [script.text("This answer will not finish.")])
    mconf_transit.send(body, script.stream_answer(message, error_after=4), marker=marker)


def test_cut_stream_is_not_completed(mconf_transit: TransitCase) -> None:
    """A stream the upstream cuts mid-way does not reach the client as a clean message_stop."""
    if mconf_transit.harness.mode != "live":
        pytest.skip("a connection cut cannot be recorded (vcrpy reads whole bodies): live only")
    marker = mconf_transit.marker()
    body = mconf_transit.body(marker, stream=True)
    message = script.message(marker, [script.text("This answer is cut off half-way.")])
    answer = script.stream_answer(message, cut_after=4)
    mconf_transit.send(body, answer, marker=marker, judged=False)


# -- round trips ------------------------------------------------------------------------------


def _next_turn(first: Crossing, body: dict[str, Any], marker: str, result: str) -> dict[str, Any]:
    """The client's next turn: its history as the client received it, plus the tool result."""
    received = first.result.message or {}
    blocks = received.get("content") or []
    uses = [b for b in blocks if b.get("type") == "tool_use"]
    results = [{"type": "tool_result", "tool_use_id": b.get("id"), "content": result} for b in uses]
    turn = [*results, {"type": "text", "text": f"Go on. [{marker}]"}]
    messages = [
        *body["messages"],
        {"role": "assistant", "content": blocks},
        {"role": "user", "content": turn},
    ]
    return {**body, "messages": messages}


def test_signature_and_tool_id_round_trip(mconf_transit: TransitCase, stream: bool) -> None:
    """A thinking signature and a tool_use id the upstream issued come back byte-exact in the
    next turn's forwarded history (tool_use and tool_result)."""
    first_marker, second_marker = mconf_transit.marker(), mconf_transit.marker()
    body = mconf_transit.body(first_marker, "Weather in Paris?", tools=[WEATHER], stream=stream)
    body["thinking"] = {"type": "enabled", "budget_tokens": 1024}
    body["max_tokens"] = 2048
    content = [
        script.thinking(first_marker),
        script.tool_use(first_marker, "get_weather", {"city": "Paris"}),
    ]
    first = mconf_transit.send(
        body,
        answer_for(script.message(first_marker, content, stop_reason="tool_use"), stream),
        marker=first_marker,
    )
    second = _next_turn(first, body, second_marker, "18 degrees")
    answer = answer_for(script.message(second_marker, [script.text("It is 18 degrees.")]), stream)
    mconf_transit.send(second, answer, marker=second_marker, issued=first.upstream)


def test_cache_usage_round_trip(mconf_transit: TransitCase, stream: bool) -> None:
    """The same cached prefix twice: cache_control arrives both times and the upstream's cache
    creation, then cache read, usage reaches the client."""
    long_context = "Reference material. " * 200
    for turn, usage in enumerate(
        [{"cache_creation_input_tokens": 1200}, {"cache_read_input_tokens": 1200}]
    ):
        marker = mconf_transit.marker()
        system = [{"type": "text", "text": long_context, "cache_control": {"type": "ephemeral"}}]
        text = {
            "type": "text",
            "text": f"Question {turn}. [{marker}]",
            "cache_control": {"type": "ephemeral"},
        }
        body = {
            **mconf_transit.body(marker, stream=stream),
            "system": system,
            "messages": [{"role": "user", "content": [text]}],
        }
        message = script.message(marker, usage_=script.usage(8, 5, **usage))
        mconf_transit.send(body, answer_for(message, stream), marker=marker)


# -- concurrency ------------------------------------------------------------------------------


def test_parallel_streams_stay_apart(mconf_transit: TransitCase) -> None:
    """Four streams in flight at once, each with its own content: none crosses or mixes."""
    requests = []
    for index in range(4):
        marker = mconf_transit.marker()
        body = mconf_transit.body(marker, f"Parallel question {index}.", stream=True)
        body["messages"][0]["content"] = f"Parallel question {index}. [{marker}]"
        message = script.message(marker, [script.text(f"Parallel answer {index} for {marker}.")])
        requests.append((body, script.stream_answer(message, event_delay_ms=25), marker))
    mconf_transit.parallel(requests)

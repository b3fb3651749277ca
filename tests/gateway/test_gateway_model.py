"""The deterministic model: repeat, max_tokens, stop sequences, prefill, tools, thinking."""

from __future__ import annotations

import re
from typing import Any

import pytest
from gateway_helpers import WEATHER_TOOL, body

from messages_conformance.gateway.events import text_chunks
from messages_conformance.gateway.model import DEFAULT_REPLY, reply, take
from messages_conformance.gateway.tool_input import minimal, tool_input

SEED = b"seed"


def run(payload: dict[str, Any]) -> dict[str, Any]:
    return reply(payload, SEED, 64000)


def texts(message: dict[str, Any]) -> str:
    return "".join(b["text"] for b in message["content"] if b["type"] == "text")


def test_repeat_exactly_answers_the_text() -> None:
    message = run(body("Repeat exactly: the quick brown fox"))
    assert texts(message) == "the quick brown fox"
    assert message["stop_reason"] == "end_turn" and message["stop_sequence"] is None


def test_other_prompts_get_the_short_fixed_reply() -> None:
    assert texts(run(body("What is 2+2?"))) == DEFAULT_REPLY


def test_message_shape_and_ids() -> None:
    message = run(body())
    assert re.fullmatch(r"msg_[0-9A-Za-z]{24}", message["id"])
    assert message["type"] == "message" and message["role"] == "assistant"
    assert message["model"] == "claude-opus-4-7"
    assert message == run(body()), "same request, same answer"


def test_usage_counts_whitespace_tokens() -> None:
    message = run(body("Repeat exactly: a b c", system="Be brief."))
    assert message["usage"] == {
        "input_tokens": 7,  # 5 in the message + 2 in the system prompt
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 3,
        "service_tier": "standard",
    }


def test_max_tokens_truncates_and_says_so() -> None:
    message = run(body("Repeat exactly: one two three four five", max_tokens=3))
    assert texts(message) == "one two three"
    assert message["stop_reason"] == "max_tokens"
    assert message["usage"]["output_tokens"] == 3


def test_stop_sequence_cuts_before_the_match() -> None:
    message = run(body("Repeat exactly: one two STOP three", stop_sequences=["three", "STOP"]))
    assert texts(message) == "one two "
    assert message["stop_reason"] == "stop_sequence"
    assert message["stop_sequence"] == "STOP"


def test_max_tokens_wins_when_reached_before_the_stop_sequence() -> None:
    payload = body("Repeat exactly: a b c d STOP", stop_sequences=["STOP"], max_tokens=2)
    assert run(payload)["stop_reason"] == "max_tokens"


def test_prefill_is_continued() -> None:
    payload = body("Repeat exactly: one two three")
    payload["messages"].append({"role": "assistant", "content": "one two"})
    assert texts(run(payload)) == " three"


def test_unrelated_prefill_gets_the_answer_after_a_space() -> None:
    payload = body("Repeat exactly: hi")
    payload["messages"].append({"role": "assistant", "content": "Sure:"})
    assert texts(run(payload)) == " hi"


@pytest.mark.parametrize(
    ("choice", "text"),
    [({"type": "any"}, "Hi"), ({"type": "tool", "name": "get_weather"}, "Hi")],
)
def test_forced_tool_choice_calls_the_tool_without_text(choice: dict[str, Any], text: str) -> None:
    message = run(body(text, tools=[WEATHER_TOOL], tool_choice=choice))
    assert [b["type"] for b in message["content"]] == ["tool_use"]
    assert message["stop_reason"] == "tool_use"
    block = message["content"][0]
    assert block["name"] == "get_weather"
    assert re.fullmatch(r"toolu_[0-9A-Za-z]{24}", block["id"])
    assert block["input"] == {"city": "example", "unit": "celsius"}


def test_named_tool_is_called_with_prompted_values() -> None:
    prompt = 'Use the get_weather tool for "Paris" with unit: fahrenheit'
    message = run(body(prompt, tools=[WEATHER_TOOL]))
    assert [b["type"] for b in message["content"]] == ["text", "tool_use"]
    assert message["content"][1]["input"] == {"city": "Paris", "unit": "fahrenheit"}


def test_tool_choice_none_never_calls() -> None:
    message = run(body("use get_weather", tools=[WEATHER_TOOL], tool_choice={"type": "none"}))
    assert message["stop_reason"] == "end_turn"
    assert all(b["type"] == "text" for b in message["content"])


def test_tool_result_is_answered_with_text() -> None:
    first = run(body("use get_weather", tools=[WEATHER_TOOL]))
    tool_use = first["content"][1]
    result = {"type": "tool_result", "tool_use_id": tool_use["id"], "content": "sunny, 21C"}
    payload = body("use get_weather", tools=[WEATHER_TOOL])
    payload["messages"] += [
        {"role": "assistant", "content": first["content"]},
        {"role": "user", "content": [result]},
    ]
    message = run(payload)
    assert texts(message) == "The get_weather tool returned: sunny, 21C"
    assert message["stop_reason"] == "end_turn"


@pytest.mark.parametrize(
    "thinking", [{"type": "enabled", "budget_tokens": 1024}, {"type": "adaptive"}]
)
def test_thinking_comes_first_with_a_signature(thinking: dict[str, Any]) -> None:
    message = run(body("Repeat exactly: ok", max_tokens=2000, thinking=thinking))
    first, second = message["content"]
    assert first["type"] == "thinking" and first["thinking"] and first["signature"]
    assert second == {"type": "text", "text": "ok"}


def test_omitted_thinking_keeps_only_the_signature() -> None:
    message = run(body(max_tokens=2000, thinking={"type": "adaptive", "display": "omitted"}))
    assert message["content"][0]["thinking"] == "" and message["content"][0]["signature"]


def test_images_and_documents_are_acknowledged() -> None:
    image = {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
    document = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "hi"},
    }
    payload = body([image, document, {"type": "text", "text": "Describe"}])
    assert texts(run(payload)).startswith("I see an image. I see a document.")


def test_a_body_the_validator_would_reject_still_gets_an_answer() -> None:
    message = reply({"messages": "nope"}, SEED, 64000)
    assert message["content"] and message["usage"]["input_tokens"] >= 1


def test_take_keeps_spacing() -> None:
    assert take("a  b\nc d", 3) == "a  b\nc"
    assert take("a b", 5) == "a b"
    assert take("a b", 0) == ""


@pytest.mark.parametrize("text", ["", "a", " two three", "Hello!  How are\nyou today? ", "  "])
def test_text_chunks_concatenate_to_the_text(text: str) -> None:
    assert "".join(text_chunks(text)) == text


SCHEMAS = [
    ({"type": "string"}, "example"),
    ({"type": "string", "minLength": 10}, "examplexxx"),
    ({"type": "integer", "minimum": 3}, 3),
    ({"type": "number"}, 0),
    ({"type": "boolean"}, False),
    ({"enum": ["b", "a"]}, "b"),
    ({"const": 7}, 7),
    ({"type": ["null", "integer"]}, 0),
    ({"type": "array", "items": {"type": "integer"}, "minItems": 2}, [0, 0]),
    (
        {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]},
        {"x": "example"},
    ),
]


@pytest.mark.parametrize(("schema", "value"), SCHEMAS)
def test_minimal_values(schema: dict[str, Any], value: Any) -> None:
    assert minimal(schema) == value


def test_tool_input_reads_typed_values_from_the_prompt() -> None:
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer"},
            "flag": {"type": "boolean"},
            "name": {"type": "string"},
        },
        "required": ["n", "flag", "name"],
    }
    assert tool_input(schema, "n: 42, flag=true name='Ada'") == {
        "n": 42,
        "flag": True,
        "name": "Ada",
    }
    assert tool_input(schema, "n: many") == {"n": 0, "flag": False, "name": "example"}

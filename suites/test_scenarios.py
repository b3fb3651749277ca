"""Behaviour scenarios: each a requirement a real model and the reference gateway both meet.

Every scenario runs twice, as a plain JSON request and as a stream; the checks of the core
(schemas, stream grammar, accumulation, semantic rules) run on every answer.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from messages_conformance.suite.harness import Harness, Result

WEATHER_TOOL = {  # strict: its input must match the schema (an error otherwise)
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "strict": True,
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "City name"}},
        "required": ["city"],
        "additionalProperties": False,
    },
}
# A 1x1 transparent PNG.
PIXEL_PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode()


@pytest.fixture(params=[False, True], ids=["json", "stream"])
def stream(request: pytest.FixtureRequest) -> bool:
    """Run the scenario as a plain request and as a stream."""
    return bool(request.param)


def ask(mconf: Harness, stream: bool, text: str = "Say hello.", **extra: Any) -> Result:
    body = mconf.body(text, **extra)
    if stream:
        body["stream"] = True
    result = mconf.send(body)
    mconf.expect_success(result)
    return result


def test_plain_text(mconf: Harness, stream: bool) -> None:
    """A one-turn question gets a Message with a text block."""
    result = ask(mconf, stream)
    mconf.expect(
        "behaviour.echo",
        "text" in result.block_types(),
        "no text block",
        received=result.block_types(),
    )


def test_repeat_exactly(mconf: Harness, stream: bool) -> None:
    """Asked to repeat a phrase exactly, the answer contains the phrase."""
    result = ask(mconf, stream, "Repeat exactly: purple elephant")
    ok = "purple elephant" in result.text.lower()
    mconf.expect(
        "behaviour.echo",
        ok,
        "phrase not repeated",
        expected="purple elephant",
        received=result.text,
    )


def test_system_prompt_string(mconf: Harness, stream: bool) -> None:
    """A system prompt given as a string is accepted."""
    ask(mconf, stream, system="You are terse.")


def test_system_prompt_blocks(mconf: Harness, stream: bool) -> None:
    """A system prompt given as text blocks is accepted."""
    ask(mconf, stream, system=[{"type": "text", "text": "You are terse."}])


def test_multi_turn(mconf: Harness, stream: bool) -> None:
    """A conversation with earlier user and assistant turns is accepted."""
    messages = [
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": "Hello Ada."},
        {"role": "user", "content": "Say hello again."},
    ]
    ask(mconf, stream, messages=messages)


@pytest.mark.mconf_feature("prefill")
def test_assistant_prefill(mconf: Harness, stream: bool) -> None:
    """A final assistant turn is continued (prefill)."""
    messages = [
        {"role": "user", "content": "Repeat exactly: alpha beta gamma"},
        {"role": "assistant", "content": "alpha"},
    ]
    ask(mconf, stream, messages=messages)


def test_stop_sequence(mconf: Harness, stream: bool) -> None:
    """A requested stop sequence is honoured: never in the text; stop_sequence names it."""
    result = ask(
        mconf,
        stream,
        "Repeat exactly: one two three STOP four five",
        stop_sequences=["STOP"],
    )
    mconf.expect(
        "behaviour.stop-sequence",
        "STOP" not in result.text,
        "the text contains the stop sequence: it was not honoured",
        expected="text cut before 'STOP'",
        received=result.text,
    )


def test_max_tokens_stop(mconf: Harness, stream: bool) -> None:
    """A tiny max_tokens on a long answer stops with stop_reason max_tokens."""
    result = ask(mconf, stream, "Count from 1 to 100, separated by spaces.", max_tokens=5)
    reason = (result.message or {}).get("stop_reason")
    mconf.expect(
        "behaviour.max-tokens",
        reason == "max_tokens",
        "not stopped by max_tokens",
        expected="max_tokens",
        received=reason,
    )


@pytest.mark.parametrize(
    "params",
    [{"temperature": 0.0}, {"top_p": 0.9}, {"top_k": 5}],
    ids=["temperature", "top_p", "top_k"],
)
def test_sampling_parameters(mconf: Harness, stream: bool, params: dict[str, Any]) -> None:
    """temperature, top_p and top_k in range are accepted."""
    if "top_k" in params and "top_k" not in mconf.target.features:
        pytest.skip("the target profile does not list feature 'top_k'")
    ask(mconf, stream, **params)


def test_metadata_user_id(mconf: Harness, stream: bool) -> None:
    """metadata.user_id is accepted."""
    ask(mconf, stream, metadata={"user_id": "mconf-user-1"})


def _tool_uses(result: Result) -> list[dict[str, Any]]:
    blocks = (result.message or {}).get("content") or []
    return [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use"]


def test_tool_choice_forced(mconf: Harness, stream: bool) -> None:
    """tool_choice {type: tool} makes the model call that tool with a valid input."""
    choice = {"type": "tool", "name": "get_weather"}
    result = ask(
        mconf, stream, "What is the weather in Paris?", tools=[WEATHER_TOOL], tool_choice=choice
    )
    names = [b.get("name") for b in _tool_uses(result)]
    mconf.expect(
        "behaviour.tool-use", "get_weather" in names, "forced tool not called", received=names
    )


def test_tool_choice_any(mconf: Harness, stream: bool) -> None:
    """tool_choice {type: any} makes the model call some tool."""
    result = ask(
        mconf, stream, "Weather in Oslo?", tools=[WEATHER_TOOL], tool_choice={"type": "any"}
    )
    mconf.expect(
        "behaviour.tool-use",
        bool(_tool_uses(result)),
        "no tool called",
        received=result.block_types(),
    )


def test_tool_choice_auto(mconf: Harness, stream: bool) -> None:
    """tool_choice {type: auto} with a prompt naming the tool is answered (tool use optional)."""
    ask(
        mconf,
        stream,
        "Use the get_weather tool for Rome.",
        tools=[WEATHER_TOOL],
        tool_choice={"type": "auto"},
    )


def test_tool_choice_none(mconf: Harness, stream: bool) -> None:
    """tool_choice {type: none} never produces a tool_use block (message.tool-choice-none)."""
    ask(
        mconf,
        stream,
        "Use the get_weather tool for Rome.",
        tools=[WEATHER_TOOL],
        tool_choice={"type": "none"},
    )


def test_tool_result_round_trip(mconf: Harness, stream: bool) -> None:
    """A tool_result answering an earlier tool_use is answered with text."""
    messages = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_01mconfRoundTrip",
                    "name": "get_weather",
                    "input": {"city": "Paris"},
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_01mconfRoundTrip",
                    "content": "18 C, sunny",
                }
            ],
        },
    ]
    result = ask(mconf, stream, messages=messages, tools=[WEATHER_TOOL])
    mconf.expect(
        "behaviour.tool-result",
        bool(result.text),
        "no text after the tool result",
        received=result.block_types(),
    )


@pytest.mark.mconf_feature("thinking")
def test_thinking(mconf: Harness, stream: bool) -> None:
    """With thinking enabled the answer starts with a thinking block that carries a signature."""
    thinking = {"type": "enabled", "budget_tokens": 1024}
    result = ask(mconf, stream, "What is 17 * 23?", max_tokens=1100, thinking=thinking)
    types = result.block_types()
    mconf.expect(
        "behaviour.thinking", types[:1] == ["thinking"], "no thinking block first", received=types
    )


@pytest.mark.mconf_feature("images")
def test_image_input(mconf: Harness, stream: bool) -> None:
    """A base64 PNG image block in the user turn is accepted."""
    content = [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": PIXEL_PNG},
        },
        {"type": "text", "text": "What is in this image? One word."},
    ]
    ask(mconf, stream, messages=[{"role": "user", "content": content}])


def test_stream_and_json_have_the_same_shape(mconf: Harness) -> None:
    """The same request streamed and not streamed gives the same block types and stop_reason."""
    plain = ask(mconf, False, "Repeat exactly: same shape")
    streamed = ask(mconf, True, "Repeat exactly: same shape")
    shape = (plain.block_types(), (plain.message or {}).get("stop_reason"))
    other = (streamed.block_types(), (streamed.message or {}).get("stop_reason"))
    mconf.expect(
        "behaviour.stream-shape", shape == other, "shapes differ", expected=shape, received=other
    )

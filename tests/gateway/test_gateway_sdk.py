"""The official `anthropic` SDK as a real client of the gateway, end to end."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from gateway_helpers import KEY, WEATHER_TOOL

from messages_conformance.gateway import RunningGateway

anthropic = pytest.importorskip("anthropic", reason="the anthropic SDK is a dev dependency")

MODEL = "claude-sonnet-4-6"


@pytest.fixture
def client(gateway: RunningGateway) -> Iterator[Any]:
    with anthropic.Anthropic(api_key=KEY, base_url=gateway.base_url, max_retries=0) as sdk:
        yield sdk


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def test_create(client: Any) -> None:
    message = client.messages.create(
        model=MODEL,
        max_tokens=50,
        messages=user("Repeat exactly: hello there"),
        extra_body={"temperature": 0.0},
    )
    assert message.content[0].text == "hello there"
    assert message.stop_reason == "end_turn"
    assert message.model == MODEL
    assert message.usage.output_tokens == 2
    assert message._request_id.startswith("req_")


def test_create_with_max_tokens_and_stop_sequences(client: Any) -> None:
    text = "Repeat exactly: a b c d e"
    short = client.messages.create(model=MODEL, max_tokens=2, messages=user(text))
    assert (short.content[0].text, short.stop_reason) == ("a b", "max_tokens")
    stopped = client.messages.create(
        model=MODEL, max_tokens=50, messages=user(text), stop_sequences=["d"]
    )
    assert (stopped.stop_reason, stopped.stop_sequence) == ("stop_sequence", "d")


def test_stream_accumulates_the_final_message(client: Any) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=50, messages=user("Repeat exactly: one two three four five")
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 1 and "".join(pieces) == "one two three four five"
    assert final.content[0].text == "one two three four five"
    assert final.stop_reason == "end_turn"
    assert final.usage.input_tokens == 7 and final.usage.output_tokens == 5


@pytest.mark.parametrize("streaming", [False, True])
def test_tool_use_round_trip(client: Any, streaming: bool) -> None:
    messages = user("What is the weather? Use the get_weather tool with city: Paris")
    kwargs = {"model": MODEL, "max_tokens": 200, "tools": [WEATHER_TOOL]}
    first = _create(client, streaming, messages=messages, **kwargs)
    assert first.stop_reason == "tool_use"
    tool_use = first.content[-1]
    assert tool_use.type == "tool_use" and tool_use.name == "get_weather"
    assert tool_use.input == {"city": "Paris", "unit": "celsius"}
    messages += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": tool_use.id, "content": "18C and sunny"}
            ],
        },
    ]
    second = _create(client, streaming, messages=messages, **kwargs)
    assert second.stop_reason == "end_turn"
    assert "18C and sunny" in second.content[0].text


def _create(client: Any, streaming: bool, **kwargs: Any) -> Any:
    if not streaming:
        return client.messages.create(**kwargs)
    with client.messages.stream(**kwargs) as stream:
        return stream.get_final_message()


@pytest.mark.parametrize("streaming", [False, True])
def test_thinking(client: Any, streaming: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # thinking.type=enabled may be deprecated in the SDK
        message = _create(
            client,
            streaming,
            model=MODEL,
            max_tokens=4096,
            thinking={"type": "enabled", "budget_tokens": 2048},
            messages=user("Repeat exactly: done"),
        )
    thinking, text = message.content
    assert thinking.type == "thinking" and thinking.thinking and thinking.signature
    assert text.text == "done"


ERRORS = [
    ({"model": "no-such-model"}, "NotFoundError", 404),
    ({"model": "mconf-test-429"}, "RateLimitError", 429),
    ({"model": "mconf-test-500"}, "InternalServerError", 500),
    ({"model": "mconf-test-529"}, "APIStatusError", 529),
    ({"max_tokens": -1}, "BadRequestError", 400),
]


@pytest.mark.parametrize(("changes", "exception", "status"), ERRORS, ids=[e[1] for e in ERRORS])
def test_errors_map_to_sdk_exceptions(
    client: Any, changes: dict[str, Any], exception: str, status: int
) -> None:
    kwargs = {"model": MODEL, "max_tokens": 10, "messages": user("Hi"), **changes}
    with pytest.raises(getattr(anthropic, exception)) as raised:
        client.messages.create(**kwargs)
    assert raised.value.status_code == status
    assert raised.value.request_id.startswith("req_")


def test_overloaded_carries_its_error_type(client: Any) -> None:
    with pytest.raises(anthropic.APIStatusError) as raised:
        client.messages.create(model="mconf-test-529", max_tokens=10, messages=user("Hi"))
    assert raised.value.body["error"]["type"] == "overloaded_error"


def test_bad_key_is_authentication_error(gateway: RunningGateway) -> None:
    sdk = anthropic.Anthropic(api_key="wrong", base_url=gateway.base_url, max_retries=0)
    with sdk, pytest.raises(anthropic.AuthenticationError):
        sdk.messages.create(model=MODEL, max_tokens=10, messages=user("Hi"))


def test_stream_error_event_raises(client: Any) -> None:
    with (
        pytest.raises(anthropic.APIStatusError, match="Overloaded"),
        client.messages.stream(
            model="mconf-test-stream-error", max_tokens=10, messages=user("Hi")
        ) as stream,
    ):
        for _ in stream:
            pass

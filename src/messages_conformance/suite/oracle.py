"""The official Python SDK as an oracle client: each step drives one SDK path against a
target and returns what it got; any exception it raises (HTTP error, validation or parse
failure inside the SDK) is the finding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
from anthropic.types import MessageParam
from anthropic.types.beta import BetaMessageParam
from pydantic import BaseModel

Step = Callable[[anthropic.Anthropic, str], Any]


class Answer(BaseModel):
    """The structured output `parse` asks for."""

    answer: int
    unit: str


def client_for(base_url: str, api_key: str) -> anthropic.Anthropic:
    """An SDK client without retries (a retried failure would hide the first answer)."""
    return anthropic.Anthropic(base_url=base_url, api_key=api_key, max_retries=0, timeout=30)


def _user(text: str) -> list[MessageParam]:
    return [{"role": "user", "content": text}]


def _beta_user(text: str) -> list[BetaMessageParam]:
    return [{"role": "user", "content": text}]


def create(client: anthropic.Anthropic, model: str) -> str:
    message = client.messages.create(
        model=model, max_tokens=256, messages=_user("Repeat exactly: hello from the SDK")
    )
    return "".join(b.text for b in message.content if b.type == "text")


def prewarm(client: anthropic.Anthropic, model: str) -> int:
    """`max_tokens: 0` populates the prompt cache without generating (facts §4.1)."""
    message = client.messages.create(model=model, max_tokens=0, messages=_user("Cache this."))
    return message.usage.output_tokens


def stream(client: anthropic.Anthropic, model: str) -> str | None:
    with client.messages.stream(
        model=model, max_tokens=256, messages=_user("Repeat exactly: streamed")
    ) as events:
        return events.get_final_message().stop_reason


def tool_runner(client: anthropic.Anthropic, model: str) -> str:
    @anthropic.beta_tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"Sunny in {city}"

    runner = client.beta.messages.tool_runner(
        model=model,
        max_tokens=512,
        tools=[get_weather],
        max_iterations=4,
        messages=_beta_user('Call the get_weather tool with city: "Paris"'),
    )
    final = runner.until_done()
    return "".join(b.text for b in final.content if b.type == "text")


def parse(client: anthropic.Anthropic, model: str) -> Answer:
    message = client.messages.parse(
        model=model, max_tokens=256, messages=_user("What is 2+2?"), output_format=Answer
    )
    if message.parsed_output is None:
        raise ValueError("messages.parse returned no parsed_output")
    return message.parsed_output


def count_tokens(client: anthropic.Anthropic, model: str) -> int:
    return client.messages.count_tokens(model=model, messages=_user("Count me")).input_tokens


def models_list(client: anthropic.Anthropic, model: str) -> list[str]:
    ids = [info.id for info in client.models.list(limit=2).data]
    client.models.retrieve(ids[0])
    return ids


STEPS: dict[str, Step] = {
    "create": create,
    "prewarm": prewarm,
    "stream": stream,
    "tool_runner": tool_runner,
    "parse": parse,
    "count_tokens": count_tokens,
    "models_list": models_list,
}

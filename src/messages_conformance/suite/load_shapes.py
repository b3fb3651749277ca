"""The request shapes a load run sends, in a weighted mix: what `mconf load` users ask for.

Each shape is one of the suite's request kinds (a JSON answer, a stream, a forced tool call as
JSON and as a stream, an invalid request that must be refused) with what its answer must show.
Every request carries a fresh marker; shapes that ask the model to repeat it let a load run see
answers crossed between concurrent requests (another request's marker in this answer).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_MIX", "MARKER", "SHAPES", "Shape", "parse_mix"]

MARKER = re.compile(r"mconf-load-[0-9a-f]{12}")
Body = dict[str, Any]
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@dataclass(frozen=True, slots=True)
class Shape:
    """One kind of request: how to build it and which status its answer must have."""

    name: str
    build: Callable[[str, str, int], Body]  # (marker, model, max_tokens) -> body
    valid: bool = True  # False: the request is invalid on purpose and must get a 400
    echoes: bool = False  # the answer should repeat the marker (crossed answers are visible)


def _repeat(marker: str, model: str, max_tokens: int) -> Body:
    text = f"Repeat exactly: {marker}"
    return {
        "model": model,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": text}],
    }


def _stream(marker: str, model: str, max_tokens: int) -> Body:
    return {**_repeat(marker, model, max_tokens), "stream": True}


def _tool(marker: str, model: str, max_tokens: int) -> Body:
    text = f"What is the weather in Paris? ({marker})"
    return {
        "model": model,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": text}],
        "tools": [WEATHER_TOOL],
        "tool_choice": {"type": "tool", "name": "get_weather"},
    }


def _tool_stream(marker: str, model: str, max_tokens: int) -> Body:
    return {**_tool(marker, model, max_tokens), "stream": True}


def _invalid(marker: str, model: str, max_tokens: int) -> Body:
    # max_tokens is required (facts §2): every conforming server answers 400 invalid_request_error
    return {"model": model, "messages": [{"role": "user", "content": marker}]}


SHAPES: Mapping[str, Shape] = {
    "json": Shape("json", _repeat, echoes=True),
    "stream": Shape("stream", _stream, echoes=True),
    "tools": Shape("tools", _tool),
    "tools-stream": Shape("tools-stream", _tool_stream),
    "errors": Shape("errors", _invalid, valid=False),
}
DEFAULT_MIX: Mapping[str, int] = {
    "json": 3,
    "stream": 4,
    "tools": 1,
    "tools-stream": 1,
    "errors": 1,
}


def parse_mix(text: str) -> dict[str, int]:
    """``"json=3,stream=4"`` -> ``{"json": 3, "stream": 4}``; raises ValueError naming the fix."""
    mix: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, weight = part.partition("=")
        if name not in SHAPES:
            raise ValueError(f"unknown request shape {name!r} in --mix; known: {', '.join(SHAPES)}")
        if not weight.isdigit():
            raise ValueError(f"--mix {part!r}: give a whole weight, e.g. {name}=3")
        mix[name] = int(weight)
    if not any(mix.values()):
        raise ValueError(f"--mix {text!r} gives no shape a weight above 0; e.g. json=3,stream=4")
    return {name: weight for name, weight in mix.items() if weight}

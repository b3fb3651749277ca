"""Wire helpers shared by the gateway tests (a uniquely named module, not conftest)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

KEY = "test-key"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
Post = Callable[..., httpx.Response]
Event = tuple[str, Any]


def body(text: str = "Hello", **fields: Any) -> dict[str, Any]:
    """A minimal valid request body."""
    return {
        "model": "claude-opus-4-7",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": text}],
        **fields,
    }


WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city", "unit"],
    },
}


def sse_events(text: str) -> list[Event]:
    """(event name, parsed data) for each SSE event; unnamed data gets name ''."""
    events = []
    for chunk in text.split("\n\n"):
        lines = [line for line in chunk.split("\n") if line]
        if not lines:
            continue
        name = next((ln[7:] for ln in lines if ln.startswith("event: ")), "")
        data = "".join(ln[6:] for ln in lines if ln.startswith("data: "))
        events.append((name, data if data == "[DONE]" else json.loads(data)))
    return events


def make_post(base_url: str) -> Post:
    def post(payload: Any, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        sent = HEADERS if headers is None else headers
        if isinstance(payload, bytes):
            return httpx.post(f"{base_url}/v1/messages", content=payload, headers=sent, **kw)
        return httpx.post(f"{base_url}/v1/messages", json=payload, headers=sent, **kw)

    return post


def arrivals(base_url: str, payload: Any) -> tuple[httpx.Response, list[tuple[float, bytes]]]:
    """A streamed answer read chunk by chunk as it comes off the wire (still encoded): each
    chunk with its arrival in seconds after sending."""
    started = time.monotonic()
    chunks: list[tuple[float, bytes]] = []
    url = f"{base_url}/v1/messages"
    with httpx.stream("POST", url, json=payload, headers=HEADERS, timeout=30) as response:
        for chunk in response.iter_raw():
            chunks.append((time.monotonic() - started, chunk))
    return response, chunks

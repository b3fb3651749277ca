"""A Message told as its stream of events (facts §6.2 to §6.5).

`message_start` → `ping` → per block `content_block_start` / deltas / `content_block_stop`
→ `message_delta` → `message_stop`. An event is its SSE name and its JSON data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .errors import OVERLOADED

Event = tuple[str, dict[str, Any]]
TEXT_CHUNK_TOKENS = 2
JSON_CHUNK_CHARS = 12


def message_events(message: Mapping[str, Any]) -> list[Event]:
    """Every event of a stream that ends in `message`."""
    events = [_message_start(message), _event("ping")]
    for index, block in enumerate(message["content"]):
        events.extend(block_events(index, block))
    events.append(_message_delta(message))
    events.append(_event("message_stop"))
    return events


def stream_error_events(message: Mapping[str, Any]) -> list[Event]:
    """A stream that fails after its first text delta with `event: error` (facts §6.6)."""
    error = {"type": OVERLOADED.type, "message": OVERLOADED.message}
    return [
        _message_start(message),
        _event("content_block_start", index=0, content_block={"type": "text", "text": ""}),
        _delta(0, {"type": "text_delta", "text": "Hello"}),
        _event("error", error=error),
    ]


def _event(name: str, **data: Any) -> Event:
    return name, {"type": name, **data}


def _message_start(message: Mapping[str, Any]) -> Event:
    snapshot = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    if "usage" in message:
        snapshot["usage"] = {
            **message["usage"],
            "output_tokens": min(1, message["usage"]["output_tokens"]),
        }
    return _event("message_start", message=snapshot)


def _message_delta(message: Mapping[str, Any]) -> Event:
    delta = {
        "stop_reason": message.get("stop_reason"),
        "stop_sequence": message.get("stop_sequence"),
    }
    if "usage" not in message:
        return _event("message_delta", delta=delta)
    usage = {k: v for k, v in message["usage"].items() if k != "service_tier"}
    return _event("message_delta", delta=delta, usage=usage)  # cumulative (facts §6.5)


def _delta(index: int, delta: dict[str, Any]) -> Event:
    return _event("content_block_delta", index=index, delta=delta)


def block_events(index: int, block: Mapping[str, Any]) -> Iterator[Event]:
    start, deltas = BLOCK_STREAMS[block["type"]](block)
    yield _event("content_block_start", index=index, content_block=start)
    for delta in deltas:
        yield _delta(index, delta)
    yield _event("content_block_stop", index=index)


def _text_stream(block: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    chunks = text_chunks(block["text"])
    return {"type": "text", "text": ""}, [{"type": "text_delta", "text": c} for c in chunks]


def _thinking_stream(block: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    deltas = [{"type": "thinking_delta", "thinking": c} for c in text_chunks(block["thinking"])]
    deltas.append({"type": "signature_delta", "signature": block["signature"]})
    return {"type": "thinking", "thinking": "", "signature": ""}, deltas


def _tool_use_stream(block: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    text = json.dumps(block["input"])
    chunks = [""] + [text[i : i + JSON_CHUNK_CHARS] for i in range(0, len(text), JSON_CHUNK_CHARS)]
    start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
    return start, [{"type": "input_json_delta", "partial_json": c} for c in chunks]


BLOCK_STREAMS = {"text": _text_stream, "thinking": _thinking_stream, "tool_use": _tool_use_stream}


def text_chunks(text: str) -> list[str]:
    """`text` in pieces of a few tokens whose concatenation is exactly `text`."""
    words = re.findall(r"\s*\S+", text)
    tail = text[len("".join(words)) :]
    pieces = [*words[:-1], words[-1] + tail] if words else ([tail] if tail else [])
    return [
        "".join(pieces[i : i + TEXT_CHUNK_TOKENS]) for i in range(0, len(pieces), TEXT_CHUNK_TOKENS)
    ]


def encode(event: Event) -> str:
    """One SSE event: `event:` line, `data:` line, blank line (facts §6.1)."""
    name, data = event
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"

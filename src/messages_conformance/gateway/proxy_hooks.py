"""The hooks of the reference proxy's faults (`proxy_faults`): small pure transformations."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from .ids import base62, digest

Json = dict[str, Any]
Headers = dict[str, str]
Answer = tuple[int, Headers, bytes]
Frames = AsyncIterator[bytes]


# --- request hooks ---------------------------------------------------------------------------


def drop_header(name: str) -> Callable[[Headers, Headers], Headers]:
    def drop(headers: Headers, client: Headers) -> Headers:
        return {k: v for k, v in headers.items() if k != name}

    return drop


def client_key(headers: Headers, client: Headers) -> Headers:
    credentials = {k: v for k, v in client.items() if k in ("x-api-key", "authorization")}
    return {**{k: v for k, v in headers.items() if k != "x-api-key"}, **credentials}


def _without_key(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_key(key, v) for k, v in value.items() if k != key}
    if isinstance(value, list):
        return [_without_key(key, v) for v in value]
    return value


def no_cache_control(body: Json) -> Json:
    result: Json = _without_key("cache_control", body)
    return result


def no_signatures(body: Json) -> Json:
    """Thinking blocks in the history lose their signature (a re-serialising model)."""
    messages = [
        {**m, "content": [_unsigned(b) for b in m["content"]]}
        if isinstance(m, dict) and isinstance(m.get("content"), list)
        else m
        for m in body.get("messages") or []
    ]
    return {**body, "messages": messages}


def _unsigned(block: Any) -> Any:
    if isinstance(block, dict) and block.get("type") == "thinking":
        return {k: v for k, v in block.items() if k != "signature"}
    return block


def with_temperature(body: Json) -> Json:
    return {"temperature": 1.0, **body}


def clamped(body: Json) -> Json:
    tokens = body.get("max_tokens")
    return {**body, "max_tokens": min(tokens, 4096)} if isinstance(tokens, int) else body


# --- answer hooks ----------------------------------------------------------------------------


def remapped(source: int, status: int, error_type: str) -> Callable[[Answer], Answer]:
    def remap(answer: Answer) -> Answer:
        code, headers, _ = answer
        if code != source:
            return answer
        envelope = {"type": "error", "error": {"type": error_type, "message": "Upstream error"}}
        return status, headers, json.dumps(envelope).encode()

    return remap


def no_retry_after(answer: Answer) -> Answer:
    status, headers, body = answer
    return status, {k: v for k, v in headers.items() if k != "retry-after"}, body


def json_message(change: Callable[[Json], Json]) -> Callable[[Answer], Answer]:
    def apply(answer: Answer) -> Answer:
        status, headers, body = answer
        try:
            message = json.loads(body)
        except ValueError:
            return answer
        if not isinstance(message, dict) or message.get("type") != "message":
            return answer
        return status, headers, json.dumps(change(message)).encode()

    return apply


def openai_tool_id(tool_id: str) -> str:
    return "call_" + base62(digest(tool_id), 24)


def rewrite_ids(message: Json) -> Json:
    content = [
        {**b, "id": openai_tool_id(b["id"])} if b.get("type") == "tool_use" else b
        for b in message.get("content") or []
    ]
    return {**message, "content": content}


def _zero_cache(usage: Any) -> Any:
    if not isinstance(usage, dict):
        return usage
    return {k: 0 if k.startswith("cache_") and isinstance(v, int) else v for k, v in usage.items()}


def zero_cache_message(message: Json) -> Json:
    return {**message, "usage": _zero_cache(message.get("usage"))}


def end_turn(message: Json) -> Json:
    stopped = message.get("stop_reason") == "stop_sequence"
    return {**message, "stop_reason": "end_turn", "stop_sequence": None} if stopped else message


# --- stream hooks ----------------------------------------------------------------------------


def frame_data(frame: bytes) -> Json | None:
    """The JSON data of one SSE frame, or None."""
    for line in frame.decode("utf-8", "replace").splitlines():
        if line.startswith("data:"):
            try:
                data = json.loads(line[5:].strip())
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
    return None


def encode(data: Json) -> bytes:
    return f"event: {data.get('type')}\ndata: {json.dumps(data)}\n\n".encode()


def each_event(change: Callable[[Json], Json | None]) -> Callable[[Frames], Frames]:
    """A stream hook from a per-event change (None drops the event)."""

    async def transform(frames: Frames) -> Frames:
        async for frame in frames:
            data = frame_data(frame)
            if data is None:
                yield frame
                continue
            changed = change(data)
            if changed is not None:
                yield frame if changed == data else encode(changed)

    return transform


def stream_ids(data: Json) -> Json:
    block = data.get("content_block")
    if data.get("type") == "content_block_start" and isinstance(block, dict) and _is_tool(block):
        return {**data, "content_block": {**block, "id": openai_tool_id(block["id"])}}
    return data


def _is_tool(block: Json) -> bool:
    return block.get("type") == "tool_use"


def stream_cache(data: Json) -> Json:
    if data.get("type") == "message_start" and isinstance(data.get("message"), dict):
        return {**data, "message": zero_cache_message(data["message"])}
    if data.get("type") == "message_delta" and "usage" in data:
        return {**data, "usage": _zero_cache(data["usage"])}
    return data


def stream_stop(data: Json) -> Json:
    delta = data.get("delta")
    if data.get("type") == "message_delta" and isinstance(delta, dict):
        return {**data, "delta": end_turn(delta)}
    return data


def swallow_error(frames: Frames) -> Frames:
    """An upstream error event is dropped and the stream is closed as if it had finished."""

    async def transform(frames: Frames) -> Frames:
        async for frame in frames:
            data = frame_data(frame)
            if data is not None and data.get("type") == "error":
                yield encode(ENDING_DELTA)
                yield encode({"type": "message_stop"})
                return
            yield frame

    return transform(frames)


def held_back(frames: Frames) -> Frames:
    """Every frame held until the upstream stream is over, then sent in one write."""

    async def transform(frames: Frames) -> Frames:
        held = [frame async for frame in frames]
        if held:
            yield b"".join(held)

    return transform(frames)


def no_ping(data: Json) -> Json | None:
    return None if data.get("type") == "ping" else data


ENDING_DELTA: Json = {
    "type": "message_delta",
    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
    "usage": {"output_tokens": 1},
}
ENDING = (encode(ENDING_DELTA), encode({"type": "message_stop"}))

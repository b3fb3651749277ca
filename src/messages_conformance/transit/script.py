"""Scripts: the answers the upstream gives transit cases, built as plain JSON values.

Every id, signature and usage number is derived from the case's marker, so record and replay
runs script the same bytes, and a value that shows up where it does not belong is traceable.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

Json = dict[str, Any]
Event = list[Any]  # [name, data]
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def _digest(marker: str, what: str) -> bytes:
    return hashlib.sha256(f"{marker}/{what}".encode()).digest()


def _id(prefix: str, marker: str, what: str) -> str:
    return prefix + base64.b32encode(_digest(marker, what)).decode().rstrip("=").lower()[:24]


def signature(marker: str) -> str:
    """A thinking signature (opaque base64, as the API's are)."""
    return base64.b64encode(_digest(marker, "signature") * 3).decode()


def tool_id(marker: str, index: int = 0) -> str:
    return _id("toolu_", marker, f"tool/{index}")


def usage(input_tokens: int = 12, output_tokens: int = 7, **extra: Any) -> Json:
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
        **extra,
    }


def text(value: str) -> Json:
    return {"type": "text", "text": value}


def thinking(marker: str, value: str = "I should answer briefly.") -> Json:
    return {"type": "thinking", "thinking": value, "signature": signature(marker)}


def tool_use(marker: str, name: str, inputs: Json, index: int = 0) -> Json:
    return {"type": "tool_use", "id": tool_id(marker, index), "name": name, "input": inputs}


def message(
    marker: str,
    content: list[Json] | None = None,
    *,
    model: str = "claude-sonnet-4-6",
    stop_reason: str = "end_turn",
    stop_sequence: str | None = None,
    usage_: Json | None = None,
) -> Json:
    """A Message answering a case (default: one text block naming the marker)."""
    return {
        "id": _id("msg_", marker, "message"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content if content is not None else [text(f"Answer for {marker}.")],
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": usage_ or usage(),
    }


def json_answer(msg: Json, *, headers: dict[str, str] | None = None) -> Json:
    return {"status": 200, "headers": headers or {}, "json": msg}


def error_answer(status: int, *, retry_after: str | None = None, message_: str = "") -> Json:
    """An error envelope with the type the status stands for (and retry-after)."""
    kind = ERROR_TYPES[status]
    body = {
        "type": "error",
        "error": {"type": kind, "message": message_ or f"Scripted upstream {kind}"},
        "request_id": f"req_scripted_{status}",
    }
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return {"status": status, "headers": headers, "json": body}


def stream_answer(
    msg: Json,
    *,
    cut_after: int | None = None,
    error_after: int | None = None,
    event_delay_ms: float = 0,
) -> Json:
    """The Message as a stream; ``cut_after`` events the connection drops, or after
    ``error_after`` events an `error` event ends the stream."""
    events = events_of(msg)
    if error_after is not None:
        error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        events = [*events[:error_after], ["error", error]]
    answer: Json = {"status": 200, "headers": {}, "events": events}
    if cut_after is not None:
        answer["cut_after"] = cut_after
    if event_delay_ms:
        answer["event_delay_ms"] = event_delay_ms
    return answer


def events_of(msg: Json) -> list[Event]:
    """message_start, ping, each block (start, deltas, stop), message_delta, message_stop."""
    start = {**msg, "content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = {**msg["usage"], "output_tokens": 1}
    events: list[Event] = [["message_start", {"type": "message_start", "message": start}]]
    events.append(["ping", {"type": "ping"}])
    for index, block in enumerate(msg["content"]):
        events += _block_events(index, block)
    delta = {"stop_reason": msg["stop_reason"], "stop_sequence": msg["stop_sequence"]}
    events.append(
        ["message_delta", {"type": "message_delta", "delta": delta, "usage": msg["usage"]}]
    )
    events.append(["message_stop", {"type": "message_stop"}])
    return events


def _block_events(index: int, block: Json) -> list[Event]:
    kind = block["type"]
    if kind == "text":
        empty: Json = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": part} for part in _halves(block["text"])]
    elif kind == "thinking":
        empty = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in _halves(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    else:
        empty = {**block, "input": {}}
        deltas = [
            {"type": "input_json_delta", "partial_json": p}
            for p in _halves(json.dumps(block["input"]))
        ]
    start = {"type": "content_block_start", "index": index, "content_block": empty}
    middle = [{"type": "content_block_delta", "index": index, "delta": d} for d in deltas]
    stop = {"type": "content_block_stop", "index": index}
    return [[e["type"], e] for e in (start, *middle, stop)]


def _halves(value: str) -> list[str]:
    cut = len(value) // 2
    return [part for part in (value[:cut], value[cut:]) if part]

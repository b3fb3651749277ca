"""The transformations the named faults apply, grouped by the hook they plug into."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import ApiError
from .events import Event

Json = dict[str, Any]
ErrorAnswer = tuple[int, Json]  # status, body


# --- error hooks -------------------------------------------------------------------------


def _retyped(answer: ErrorAnswer, status: int, error_type: str) -> ErrorAnswer:
    _, body = answer
    return status, {**body, "error": {**body["error"], "type": error_type}}


def _bad_key_403(answer: ErrorAnswer) -> ErrorAnswer:
    return _retyped(answer, 403, "permission_error") if answer[0] == 401 else answer


def _unknown_model_400(answer: ErrorAnswer) -> ErrorAnswer:
    is_model = answer[0] == 404 and answer[1]["error"]["message"].startswith("model:")
    return _retyped(answer, 400, "invalid_request_error") if is_model else answer


def _openai_error_body(answer: ErrorAnswer) -> ErrorAnswer:
    status, body = answer
    error = body["error"]
    return status, {"error": {"message": error["message"], "type": error["type"], "code": None}}


# --- request hooks -----------------------------------------------------------------------


def _without(key: str) -> Callable[[Json], Json]:
    def drop(body: Json) -> Json:
        return {k: v for k, v in body.items() if k != key}

    return drop


def _not_streamed(body: Json) -> Json:
    return {**body, "stream": False}


def _tool_choice_ignored(body: Json) -> Json:
    forced = isinstance(body.get("tool_choice"), dict) and body["tool_choice"].get("type") in (
        "any",
        "tool",
    )
    return {**body, "tool_choice": {"type": "none"}} if forced else body


# --- message hooks -----------------------------------------------------------------------


def _no_usage(message: Json) -> Json:
    return {k: v for k, v in message.items() if k != "usage"}


def _stop_reason(value: str | None) -> Callable[[Json], Json]:
    def replace(message: Json) -> Json:
        return {**message, "stop_reason": value}

    return replace


def _empty_tool_input(message: Json) -> Json:
    content = [{**b, "input": {}} if b["type"] == "tool_use" else b for b in message["content"]]
    return {**message, "content": content}


# --- event hooks -------------------------------------------------------------------------


def _named(events: list[Event], name: str) -> list[int]:
    return [i for i, (event_name, _) in enumerate(events) if event_name == name]


def _no_message_stop(events: list[Event]) -> list[Event]:
    return [e for e in events if e[0] != "message_stop"]


def _out_of_order(events: list[Event]) -> list[Event]:
    """The first content_block_delta is sent before its content_block_start."""
    starts, deltas = _named(events, "content_block_start"), _named(events, "content_block_delta")
    if not starts or not deltas:
        return events
    moved = events[deltas[0]]
    rest = events[: deltas[0]] + events[deltas[0] + 1 :]
    return [*rest[: starts[0]], moved, *rest[starts[0] :]]


def _text_delta_in_tool_use(events: list[Event]) -> list[Event]:
    return [_as_text_delta(e) for e in events]


def _as_text_delta(event: Event) -> Event:
    name, data = event
    delta = data.get("delta", {})
    if name != "content_block_delta" or delta.get("type") != "input_json_delta":
        return event
    return name, {**data, "delta": {"type": "text_delta", "text": delta["partial_json"]}}


def _truncated(events: list[Event]) -> list[Event]:
    """The connection closes half-way: no message_delta, no message_stop."""
    kept = events[: max(3, len(events) // 2)]
    return [e for e in kept if e[0] not in ("message_delta", "message_stop")]


def _zero_usage(events: list[Event]) -> list[Event]:
    return [_zeroed(e) for e in events]


def _zeroed(event: Event) -> Event:
    name, data = event
    if name == "message_start" and "usage" in data["message"]:
        usage = _zeros(data["message"]["usage"])
        return name, {**data, "message": {**data["message"], "usage": usage}}
    if name == "message_delta" and "usage" in data:
        return name, {**data, "usage": _zeros(data["usage"])}
    return event


def _zeros(usage: Json) -> Json:
    return {k: 0 if isinstance(v, int) else v for k, v in usage.items()}


OVERLOADED_EVENT: Event = (
    "error",
    {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
)


def _error_then_continue(events: list[Event]) -> list[Event]:
    """An error event after the first delta, then the rest of the stream anyway."""
    deltas = _named(events, "content_block_delta")
    at = deltas[0] + 1 if deltas else 1
    return [*events[:at], OVERLOADED_EVENT, *events[at:]]


def _event_name_mismatch(events: list[Event]) -> list[Event]:
    return [("delta", d) if n == "content_block_delta" else (n, d) for n, d in events]


def _interleaved(events: list[Event]) -> list[Event]:
    """Block 1 starts before block 0 stops (needs a reply with two blocks or more)."""
    starts = _named(events, "content_block_start")
    if len(starts) < 2:
        return events
    second = events[starts[1]]
    rest = events[: starts[1]] + events[starts[1] + 1 :]
    return [*rest[: starts[0] + 1], second, *rest[starts[0] + 1 :]]


def _wrong_block_index(events: list[Event]) -> list[Event]:
    return [(n, {**d, "index": d["index"] + 1}) if "index" in d else (n, d) for n, d in events]


# --- frame and header hooks --------------------------------------------------------------


def _done_terminator(frames: list[str]) -> list[str]:
    return [*frames, "data: [DONE]\n\n"]


def _json_content_type(headers: dict[str, str], streaming: bool) -> dict[str, str]:
    return {**headers, "content-type": "application/json"} if streaming else headers


def _no_request_id(headers: dict[str, str], streaming: bool) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != "request-id"}


def _is_invalid(error: ApiError) -> bool:
    return error.type == "invalid_request_error"


def _is_missing_version(error: ApiError) -> bool:
    return error.message == "anthropic-version: header is required"

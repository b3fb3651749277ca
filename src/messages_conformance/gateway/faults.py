"""Named faults: realistic gateway deviations, each a small transformation at one hook.

Hooks, in the order a request meets them: `waive` (let a request error through),
`request` (rewrite the parsed body), `error` (rewrite an error answer), `message`
(rewrite the Message), `events` (rewrite the event list), `frames` (rewrite the encoded
SSE text), `headers` (rewrite response headers). `FAULTS` is the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .errors import ApiError
from .events import Event

Json = dict[str, Any]
ErrorAnswer = tuple[int, Json]  # status, body


def _same(value: Any) -> Any:
    return value


def _never(error: ApiError) -> bool:
    return False


def _same_headers(headers: dict[str, str], streaming: bool) -> dict[str, str]:
    return headers


@dataclass(frozen=True, slots=True)
class Fault:
    """One deviation: what it is, what changes on the wire, and its hooks."""

    description: str
    wire: str
    waive: Callable[[ApiError], bool] = _never
    request: Callable[[Json], Json] = _same
    error: Callable[[ErrorAnswer], ErrorAnswer] = _same
    message: Callable[[Json], Json] = _same
    events: Callable[[list[Event]], list[Event]] = _same
    frames: Callable[[list[str]], list[str]] = _same
    headers: Callable[[dict[str, str], bool], dict[str, str]] = _same_headers


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


FAULTS: dict[str, Fault] = {
    "bad-key-403": Fault(
        "a bad or missing API key gets 403 permission_error instead of 401",
        "status 403, error.type permission_error",
        error=_bad_key_403,
    ),
    "openai-error-body": Fault(
        "errors use the OpenAI envelope instead of Anthropic's",
        'body {"error":{"message","type","code"}}: no top-level type, no request_id',
        error=_openai_error_body,
    ),
    "json-for-stream": Fault(
        "stream:true is answered with a JSON Message",
        "content-type application/json, a Message body, no events",
        request=_not_streamed,
    ),
    "done-terminator": Fault(
        "streams end with an OpenAI-style data: [DONE] line",
        "extra unnamed event data: [DONE] after message_stop",
        frames=_done_terminator,
    ),
    "no-message-stop": Fault(
        "streams end without message_stop",
        "last event is message_delta",
        events=_no_message_stop,
    ),
    "out-of-order": Fault(
        "the first content_block_delta comes before its content_block_start",
        "content_block_delta precedes content_block_start",
        events=_out_of_order,
    ),
    "text-delta-in-tool-use": Fault(
        "tool input is streamed as text_delta instead of input_json_delta",
        "text_delta events inside a tool_use block",
        events=_text_delta_in_tool_use,
    ),
    "ignore-stop-sequences": Fault(
        "stop_sequences are ignored",
        "text runs past the stop sequence; stop_reason end_turn, stop_sequence null",
        request=_without("stop_sequences"),
    ),
    "ignore-max-tokens": Fault(
        "max_tokens is ignored",
        "more output tokens than max_tokens; stop_reason end_turn",
        request=_without("max_tokens"),
    ),
    "accept-invalid": Fault(
        "invalid requests are answered 200 instead of 400",
        "status 200 and a Message where an invalid_request_error was due",
        waive=_is_invalid,
    ),
    "no-usage": Fault(
        "usage is missing from Messages and stream events",
        "no usage key in the Message, message_start or message_delta",
        message=_no_usage,
    ),
    "unknown-stop-reason": Fault(
        'stop_reason is the OpenAI-style "stop"',
        'stop_reason "stop" (Message and message_delta)',
        message=_stop_reason("stop"),
    ),
    "wrong-content-type": Fault(
        "streams are served as application/json",
        "content-type application/json on an SSE body",
        headers=_json_content_type,
    ),
    "truncated-stream": Fault(
        "the stream is cut half-way",
        "no content_block_stop for the last block, no message_delta, no message_stop",
        events=_truncated,
    ),
    "no-request-id": Fault(
        "responses lack the request-id header",
        "no request-id header",
        headers=_no_request_id,
    ),
    "unknown-model-400": Fault(
        "an unknown model gets 400 instead of 404",
        "status 400 invalid_request_error with message model: <id>",
        error=_unknown_model_400,
    ),
    "empty-tool-input": Fault(
        "tool_use input is always {}",
        "tool_use.input {} although the schema requires properties",
        message=_empty_tool_input,
    ),
    "zero-usage-stream": Fault(
        "streams report zero usage",
        "usage 0 in message_start and message_delta",
        events=_zero_usage,
    ),
    "error-then-continue": Fault(
        "an error event is followed by more events",
        "event: error after the first delta, then the rest of the stream",
        events=_error_then_continue,
    ),
    "event-name-mismatch": Fault(
        "content_block_delta events are sent as event: delta",
        "SSE event name differs from data.type",
        events=_event_name_mismatch,
    ),
    "missing-version-ok": Fault(
        "a missing anthropic-version header is accepted under the require policy",
        "status 200 instead of 400 without anthropic-version",
        waive=_is_missing_version,
    ),
    "interleaved-blocks": Fault(
        "content blocks overlap in streams (block 1 starts before block 0 stops)",
        "content_block_start index 1 before content_block_stop index 0",
        events=_interleaved,
    ),
    "null-stop-reason": Fault(
        "stop_reason is null in the final Message",
        "stop_reason null in the Message (and in message_delta)",
        message=_stop_reason(None),
    ),
    "wrong-block-index": Fault(
        "stream block indexes start at 1",
        "content_block_* index = position + 1",
        events=_wrong_block_index,
    ),
    "tool-choice-ignored": Fault(
        "forced tool_choice (any/tool) is answered with text",
        "text block and stop_reason end_turn where tool_use was forced",
        request=_tool_choice_ignored,
    ),
}


class UnknownFault(ValueError):
    """A fault name that is not in the registry."""


@dataclass(frozen=True, slots=True)
class FaultSet:
    """The selected faults composed at each hook."""

    faults: tuple[Fault, ...] = ()

    def waives(self, error: ApiError) -> bool:
        return any(fault.waive(error) for fault in self.faults)

    def request(self, body: Json) -> Json:
        for fault in self.faults:
            body = fault.request(body)
        return body

    def error(self, answer: ErrorAnswer) -> ErrorAnswer:
        for fault in self.faults:
            answer = fault.error(answer)
        return answer

    def message(self, message: Json) -> Json:
        for fault in self.faults:
            message = fault.message(message)
        return message

    def events(self, events: list[Event]) -> list[Event]:
        for fault in self.faults:
            events = fault.events(events)
        return events

    def frames(self, frames: list[str]) -> list[str]:
        for fault in self.faults:
            frames = fault.frames(frames)
        return frames

    def headers(self, headers: dict[str, str], streaming: bool) -> dict[str, str]:
        for fault in self.faults:
            headers = fault.headers(headers, streaming)
        return headers


def select(names: Iterable[str]) -> FaultSet:
    """The faults named; an unknown name raises and lists the known ones."""
    unknown = [name for name in names if name not in FAULTS]
    if unknown:
        raise UnknownFault(f"unknown fault {unknown[0]!r}; known faults: {', '.join(FAULTS)}")
    return FaultSet(tuple(FAULTS[name] for name in names))

"""Named faults: realistic gateway deviations, each a small transformation at one hook.

Hooks, in the order a request meets them: `waive` (let a request error through),
`request` (rewrite the parsed body), `error` (rewrite an error answer), `message`
(rewrite the Message), `events` (rewrite the event list), `frames` (rewrite the encoded
SSE text), `headers` (rewrite response headers), `delivery` (rewrite the writes of a stream
and the silences between them, see `pacing`). `FAULTS` is the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import pacing
from .errors import ApiError
from .events import Event
from .fault_hooks import (
    ErrorAnswer,
    Json,
    _bad_key_403,
    _done_terminator,
    _empty_tool_input,
    _error_then_continue,
    _event_name_mismatch,
    _interleaved,
    _is_invalid,
    _is_missing_version,
    _json_content_type,
    _no_message_stop,
    _no_request_id,
    _no_usage,
    _not_streamed,
    _openai_error_body,
    _out_of_order,
    _stop_reason,
    _text_delta_in_tool_use,
    _tool_choice_ignored,
    _truncated,
    _unknown_model_400,
    _without,
    _wrong_block_index,
    _zero_usage,
)
from .pacing import Beat


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
    delivery: Callable[[list[Beat]], list[Beat]] = _same  # the writes of a stream (pacing)


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
    "buffer-stream": Fault(
        "the whole stream is held back and sent in one write at its end",
        "every event arrives at once, after the time the stream took",
        delivery=pacing.buffered,
    ),
    "drop-pings": Fault(
        "ping events are not sent, so a long thinking pause goes silent",
        "no ping; no byte at all during the pause",
        delivery=pacing.without_pings,
    ),
    "gzip-stream": Fault(
        "the event stream is gzip-encoded (content-encoding: gzip)",
        "content-encoding gzip on text/event-stream; each write flushed",
        delivery=pacing.gzipped,
        headers=pacing.gzip_header,
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

    def delivery(self, beats: list[Beat]) -> list[Beat]:
        for fault in self.faults:
            beats = fault.delivery(beats)
        return beats


def select(names: Iterable[str]) -> FaultSet:
    """The faults named; an unknown name raises and lists the known ones."""
    unknown = [name for name in names if name not in FAULTS]
    if unknown:
        raise UnknownFault(f"unknown fault {unknown[0]!r}; known faults: {', '.join(FAULTS)}")
    return FaultSet(tuple(FAULTS[name] for name in names))

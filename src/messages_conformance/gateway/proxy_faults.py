"""Named faults of the reference proxy: what real pass-through gateways get wrong.

Each fault is a small transformation at one hook, in the order a request meets them:
`headers` (the headers sent upstream, given the client's), `body` (the parsed body sent
upstream), `answer` (a whole non-stream answer: status, headers, body), `events` (a stream,
frame by frame, as an async transformation), and two flags: `coalesce` (parallel streams of
the same shape share one upstream stream) and `on_cut` (what to send when the upstream stream
breaks). `PROXY_FAULTS` is the registry; an unknown name raises and lists the known ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import proxy_hooks as hook
from .proxy_hooks import Answer, Frames, Headers, Json


def _same(value: Any) -> Any:
    return value


def _same_headers(headers: Headers, client: Headers) -> Headers:
    return headers


def _same_frames(frames: Frames) -> Frames:
    return frames


@dataclass(frozen=True, slots=True)
class ProxyFault:
    """One deviation: what it is, what the wire shows, and its hooks."""

    description: str
    wire: str
    headers: Callable[[Headers, Headers], Headers] = _same_headers
    body: Callable[[Json], Json] | None = None  # None: the client's bytes go upstream as-is
    answer: Callable[[Answer], Answer] = _same
    events: Callable[[Frames], Frames] = _same_frames
    coalesce: bool = False
    on_cut: tuple[bytes, ...] = ()  # frames sent instead of breaking the client's stream


PROXY_FAULTS: dict[str, ProxyFault] = {
    "drop-beta-header": ProxyFault(
        "anthropic-beta is not forwarded",
        "the upstream request has no anthropic-beta header",
        headers=hook.drop_header("anthropic-beta"),
    ),
    "drop-version-header": ProxyFault(
        "anthropic-version is not forwarded",
        "the upstream request has no anthropic-version header",
        headers=hook.drop_header("anthropic-version"),
    ),
    "forward-client-key": ProxyFault(
        "the client's own key is sent upstream instead of the proxy's",
        "x-api-key / authorization upstream carry the client's credential",
        headers=hook.client_key,
    ),
    "drop-cache-control": ProxyFault(
        "cache_control breakpoints are stripped from the request",
        "no cache_control anywhere in the forwarded body",
        body=hook.no_cache_control,
    ),
    "strip-signature": ProxyFault(
        "thinking signatures are dropped from the history",
        "thinking blocks in forwarded messages have no signature",
        body=hook.no_signatures,
    ),
    "add-temperature": ProxyFault(
        "a default temperature is added to every request",
        "temperature 1.0 in the forwarded body",
        body=hook.with_temperature,
    ),
    "clamp-max-tokens": ProxyFault(
        "max_tokens is capped at 4096 without saying so",
        "max_tokens above 4096 arrives upstream as 4096",
        body=hook.clamped,
    ),
    "rewrite-tool-ids": ProxyFault(
        "tool_use ids are rewritten to OpenAI-style call_ ids (and not mapped back)",
        "tool_use.id call_… in Messages and content_block_start",
        answer=hook.json_message(hook.rewrite_ids),
        events=hook.each_event(hook.stream_ids),
    ),
    "zero-cache-usage": ProxyFault(
        "cache usage is reported as zero",
        "cache_creation_input_tokens / cache_read_input_tokens 0 to the client",
        answer=hook.json_message(hook.zero_cache_message),
        events=hook.each_event(hook.stream_cache),
    ),
    "rewrite-stop-reason": ProxyFault(
        "stop_sequence endings are reported as end_turn",
        "stop_reason end_turn and stop_sequence null where the upstream said stop_sequence",
        answer=hook.json_message(hook.end_turn),
        events=hook.each_event(hook.stream_stop),
    ),
    "map-529-to-500": ProxyFault(
        "upstream 529 overloaded_error is flattened to 500 api_error",
        "status 500 api_error where the upstream answered 529",
        answer=hook.remapped(529, 500, "api_error"),
    ),
    "map-413-to-400": ProxyFault(
        "upstream 413 request_too_large becomes 400 invalid_request_error",
        "status 400 invalid_request_error where the upstream answered 413",
        answer=hook.remapped(413, 400, "invalid_request_error"),
    ),
    "drop-retry-after": ProxyFault(
        "retry-after from the upstream is not passed on",
        "429 / 529 answers without retry-after",
        answer=hook.no_retry_after,
    ),
    "invent-ending": ProxyFault(
        "a stream the upstream cut is completed with an invented end_turn",
        "message_delta end_turn + message_stop after an upstream connection cut",
        on_cut=hook.ENDING,
    ),
    "swallow-stream-error": ProxyFault(
        "an error event from the upstream is replaced by a clean ending",
        "no error event; message_delta end_turn + message_stop instead",
        events=hook.swallow_error,
    ),
    "buffer-stream": ProxyFault(
        "the stream is held back until the upstream ends, then sent in one write",
        "every event arrives at once, after the time the upstream took",
        events=hook.held_back,
    ),
    "drop-pings": ProxyFault(
        "ping events from the upstream are not passed on",
        "no ping; a long thinking pause reaches the client as silence",
        events=hook.each_event(hook.no_ping),
    ),
    "cross-streams": ProxyFault(
        "parallel streams of the same shape share one upstream stream (request coalescing)",
        "a client receives the events of another, concurrent request",
        coalesce=True,
    ),
}


class UnknownProxyFault(ValueError):
    """A proxy fault name that is not in the registry."""


@dataclass(frozen=True, slots=True)
class ProxyFaultSet:
    """The selected faults composed at each hook."""

    faults: tuple[ProxyFault, ...] = ()

    @property
    def rewrites_body(self) -> bool:
        return any(fault.body is not None for fault in self.faults)

    @property
    def coalesce(self) -> bool:
        return any(fault.coalesce for fault in self.faults)

    @property
    def on_cut(self) -> tuple[bytes, ...]:
        return next((fault.on_cut for fault in self.faults if fault.on_cut), ())

    def headers(self, headers: Headers, client: Headers) -> Headers:
        for fault in self.faults:
            headers = fault.headers(headers, client)
        return headers

    def body(self, body: Json) -> Json:
        for fault in self.faults:
            body = fault.body(body) if fault.body is not None else body
        return body

    def answer(self, answer: Answer) -> Answer:
        for fault in self.faults:
            answer = fault.answer(answer)
        return answer

    def events(self, frames: Frames) -> Frames:
        for fault in self.faults:
            frames = fault.events(frames)
        return frames


def select_proxy_faults(names: Iterable[str]) -> ProxyFaultSet:
    """The faults named; an unknown name raises and lists the known ones."""
    unknown = [name for name in names if name not in PROXY_FAULTS]
    if unknown:
        known = ", ".join(PROXY_FAULTS)
        raise UnknownProxyFault(f"unknown proxy fault {unknown[0]!r}; known faults: {known}")
    return ProxyFaultSet(tuple(PROXY_FAULTS[name] for name in names))

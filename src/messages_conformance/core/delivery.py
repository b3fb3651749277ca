"""Response fidelity: what the upstream answered vs what the gateway delivered to the client.

The client must get the upstream's status, error type, retry-after, content, ids, stop reason
and usage; a stream must arrive as the same events (pings may differ: a notice), an `error`
event must arrive with nothing after it, and a stream the upstream cut must not arrive as one
that ended cleanly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .difference import Change, Difference, differences
from .exchange import Response
from .findings import Finding, Rule, Severity
from .forwarding import summary
from .sse import decode
from .stream import StreamChecker

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTICE

STATUS = Rule("transit.response.status", E, "the client gets the upstream's success status")
BODY = Rule("transit.response.body", E, "the client gets the kind of body the upstream sent")
CONTENT = Rule("transit.response.content", E, "content blocks arrive as the upstream sent them")
TOOL_ID = Rule("transit.response.tool-id", E, "tool_use ids arrive as the upstream issued them")
SIGNATURE = Rule(
    "transit.response.signature",
    E,
    "thinking signatures arrive byte-exact (the next turn needs them)",
)
STOP = Rule("transit.response.stop", E, "stop_reason and stop_sequence arrive unchanged")
USAGE = Rule(
    "transit.response.usage", E, "usage arrives unchanged (incl. cache fields, server_tool_use)"
)
MESSAGE_ID = Rule("transit.response.message-id", W, "the Message id arrives as the upstream's")
MODEL = Rule("transit.response.model", W, "the Message's model is the upstream's or the one asked")
ADDED = Rule("transit.response.added-field", N, "the gateway adds fields to the Message or events")
REQUEST_ID = Rule(
    "transit.response.request-id", W, "a request-id arrives (the upstream's or the gateway's own)"
)
ERROR_STATUS = Rule(
    "transit.error.status", E, "an upstream error status arrives unchanged (529 stays 529)"
)
ERROR_TYPE = Rule("transit.error.type", E, "an upstream error arrives with its error type")
ERROR_MESSAGE = Rule("transit.error.message", E, "an upstream error arrives with a message")
RETRY_AFTER = Rule("transit.error.retry-after", E, "an upstream retry-after reaches the client")
RETRY_AFTER_CHANGED = Rule(
    "transit.error.retry-after-changed", W, "an upstream retry-after reaches the client unchanged"
)
NOT_STREAMED = Rule("transit.stream.not-streamed", E, "an upstream stream arrives as a stream")
EVENTS = Rule("transit.stream.events", E, "a stream arrives as the same events, in order")
ERROR_LOST = Rule(
    "transit.stream.error-lost", E, "an upstream `error` event mid-stream reaches the client"
)
AFTER_ERROR = Rule(
    "transit.stream.after-error", E, "nothing follows an `error` event the upstream sent"
)
INVENTED_ENDING = Rule(
    "transit.stream.invented-ending",
    E,
    "a stream the upstream cut does not reach the client as one that ended cleanly",
)
PINGS = Rule("transit.stream.pings", N, "pings differ between the upstream and the client stream")
RULES = (
    STATUS,
    BODY,
    CONTENT,
    TOOL_ID,
    SIGNATURE,
    STOP,
    USAGE,
    MESSAGE_ID,
    MODEL,
    ADDED,
    REQUEST_ID,
    ERROR_STATUS,
    ERROR_TYPE,
    ERROR_MESSAGE,
    RETRY_AFTER,
    RETRY_AFTER_CHANGED,
    NOT_STREAMED,
    EVENTS,
    ERROR_LOST,
    AFTER_ERROR,
    INVENTED_ENDING,
    PINGS,
)
Event = tuple[int, str | None, Any]  # position in the stream, event name, payload


@dataclass(slots=True)
class Answer:
    """One side's response as the comparison reads it."""

    status: int
    kind: str  # json | sse | other | empty
    body: Any = None
    events: list[Event] = field(default_factory=list)  # pings left out
    pings: int = 0
    message: dict[str, Any] | None = None

    @property
    def error(self) -> dict[str, Any] | None:
        """The inner error object of an envelope (body or `error` event)."""
        envelope = self.body if self.kind == "json" else None
        for _, name, payload in self.events:
            if name == "error":
                envelope = payload
        inner = envelope.get("error") if isinstance(envelope, dict) else None
        return inner if isinstance(inner, dict) else None

    def names(self) -> list[str | None]:
        return [name for _, name, _ in self.events]


def read(response: Response) -> Answer:
    body = response.body
    if response.content_type == "text/event-stream" and not body.lstrip().startswith(b"{"):
        return _read_stream(response.status, body)
    if not body.strip():
        return Answer(response.status, "empty")
    try:
        parsed = json.loads(body)
    except ValueError:
        return Answer(response.status, "other", body[:200])
    message = parsed if isinstance(parsed, dict) and parsed.get("type") == "message" else None
    return Answer(response.status, "json", parsed, message=message)


def _read_stream(status: int, body: bytes) -> Answer:
    """Every event (the comparison needs them all, so no fast path) and the Message."""
    answer = Answer(status, "sse")
    checker = StreamChecker()
    for index, event in enumerate(decode(body).events):
        payload, _ = checker.feed(event, index)
        name = event.event or (payload.get("type") if isinstance(payload, dict) else None)
        if name == "ping":
            answer.pings += 1
        else:
            answer.events.append((index, name, payload if payload is not None else event.data))
    answer.message = checker.message
    return answer


def compare_response(
    upstream: Response, client: Response, *, cut: bool = False, asked_model: str | None = None
) -> Iterator[Finding]:
    """Findings about one delivered answer (``upstream`` sent it, ``client`` received it)."""
    up, down = read(upstream), read(client)
    yield from _request_id(upstream, client)
    if up.status >= 400:
        yield from _error(up, down, upstream, client)
    elif up.status != down.status:
        message = f"the upstream answered {up.status}; the client received {down.status}"
        yield STATUS.finding(message, location="status", expected=up.status, received=down.status)
    elif up.kind == "sse":
        yield from _stream(up, down, cut, asked_model)
    elif up.kind == "json" and up.message is not None:
        yield from _message(up.message, down, asked_model)


def _request_id(upstream: Response, client: Response) -> Iterator[Finding]:
    if "request-id" in upstream.headers and "request-id" not in client.headers:
        yield REQUEST_ID.finding(
            "the upstream sent a request-id; the client received none",
            location="header:request-id",
            expected=upstream.headers["request-id"],
        )


def _kind(answer: Answer) -> str:
    error = answer.error or {}
    return f"{answer.status} {error.get('type') or ''}".strip()


def _error(up: Answer, down: Answer, upstream: Response, client: Response) -> Iterator[Finding]:
    if up.status != down.status:
        message = f"the upstream answered {_kind(up)}; the client received {_kind(down)}"
        yield ERROR_STATUS.finding(
            message, location="status", expected=_kind(up), received=_kind(down)
        )
    else:
        yield from _error_body(up, down)
    yield from _retry_after(upstream, client)


def _error_body(up: Answer, down: Answer) -> Iterator[Finding]:
    sent, got = up.error or {}, down.error
    if got is None or got.get("type") != sent.get("type"):
        received = got.get("type") if got else down.body
        yield ERROR_TYPE.finding(
            f"the upstream sent a {sent.get('type')}; the client received {received!r}",
            location="/error/type",
            expected=sent.get("type"),
            received=received,
        )
    elif not isinstance(got.get("message"), str) or not got["message"]:
        yield ERROR_MESSAGE.finding(
            "the upstream's error had a message; the client's has none",
            location="/error/message",
            expected=sent.get("message"),
            received=got.get("message"),
        )


def _retry_after(upstream: Response, client: Response) -> Iterator[Finding]:
    sent = upstream.headers.get("retry-after")
    if sent is None:
        return
    got = client.headers.get("retry-after")
    if got is None:
        message = f"the upstream sent retry-after: {sent}; the client received none"
        yield RETRY_AFTER.finding(message, location="header:retry-after", expected=sent)
    elif got.strip() != sent.strip():
        message = f"the upstream sent retry-after: {sent}; the client received {got}"
        yield RETRY_AFTER_CHANGED.finding(
            message, location="header:retry-after", expected=sent, received=got
        )


# -- success answers -------------------------------------------------------------------------


def _message(sent: dict[str, Any], down: Answer, asked: str | None) -> Iterator[Finding]:
    if down.message is None:
        kind = "a stream" if down.kind == "sse" else f"a {down.kind} body"
        yield BODY.finding(
            f"the upstream sent a JSON Message; the client received {kind}",
            location="body",
            expected="a JSON Message",
            received=down.body if down.kind != "sse" else down.names()[:8],
        )
        return
    yield from _grouped(
        differences(sent, down.message), _message_rule, "response:", asked, down.message
    )


def _grouped(
    found: Iterator[Difference],
    rule_of: Any,
    prefix: str,
    asked: str | None,
    received: dict[str, Any] | None,
) -> Iterator[Finding]:
    groups: dict[str, list[Difference]] = {}
    for difference in found:
        rule = rule_of(difference)
        if rule is MODEL and received is not None and received.get("model") == asked:
            continue  # the gateway mapped the upstream's model back to the one asked for
        groups.setdefault(rule.id, []).append(difference)
    for rule in RULES:
        if rule.id in groups:
            yield summary(rule, groups[rule.id], prefix, "the upstream", "the client")


def _message_rule(difference: Difference) -> Rule:
    parts = difference.parts()
    if "signature" in parts:
        return SIGNATURE
    if parts[:1] == ["content"] and parts[-1:] in (["id"], ["tool_use_id"]):
        return TOOL_ID
    if "usage" in parts:
        return USAGE
    if parts in (["stop_reason"], ["stop_sequence"]):
        return STOP
    if parts == ["id"]:
        return MESSAGE_ID
    if parts == ["model"]:
        return MODEL
    if difference.change is Change.ADDED and not (parts[:1] == ["content"] and len(parts) == 2):
        return ADDED
    return CONTENT


def _event_rule(difference: Difference) -> Rule:
    parts = difference.parts()[1:]  # past the event position
    inner = parts[1:] if parts[:1] in (["message"], ["delta"], ["content_block"]) else parts
    if parts[:1] == ["content_block"] and inner in (["id"], ["tool_use_id"]):
        return TOOL_ID
    return _message_rule(Difference("/" + "/".join(inner), difference.change, None, None))


def _stream(up: Answer, down: Answer, cut: bool, asked: str | None) -> Iterator[Finding]:
    if down.kind != "sse":
        yield NOT_STREAMED.finding(
            f"the upstream streamed {len(up.events)} events; the client received {down.kind}",
            location="body",
            expected="text/event-stream",
            received=down.body,
        )
        return
    if up.pings != down.pings:
        message = f"the upstream sent {up.pings} ping(s); the client received {down.pings}"
        yield PINGS.finding(message, location="events", expected=up.pings, received=down.pings)
    failed = "error" in up.names()
    if failed:
        yield from _error_event(up, down)
    if cut:
        yield from _ending(up, down)
    if failed or cut:
        yield from _prefix(up, down, asked)
        return
    accumulated = list(
        _grouped(
            differences(up.message, down.message), _message_rule, "accumulated", asked, down.message
        )
    )
    yield from accumulated
    if not accumulated:
        yield from _sequence(up, down)


def _error_event(up: Answer, down: Answer) -> Iterator[Finding]:
    names = down.names()
    sent = next(payload for _, name, payload in up.events if name == "error")
    if "error" not in names:
        yield ERROR_LOST.finding(
            "the upstream sent an error event mid-stream; the client received none",
            location="events",
            expected=sent,
            received=names[-6:],
        )
        return
    after = names[names.index("error") + 1 :]
    if after:
        at = down.events[names.index("error") + 1][0]
        yield AFTER_ERROR.finding(
            f"after the error event the client received {len(after)} more event(s)",
            location=f"events[{at}]",
            expected="nothing after error",
            received=after[:6],
        )


def _ending(up: Answer, down: Answer) -> Iterator[Finding]:
    """The upstream cut the stream: the client must not see a clean end it never sent."""
    names = down.names()
    invented = [n for n in ("message_delta", "message_stop") if n in names and n not in up.names()]
    if invented:
        at = down.events[names.index(invented[0])][0]
        stop = (down.message or {}).get("stop_reason")
        yield INVENTED_ENDING.finding(
            f"the upstream cut the stream after {len(up.events)} events; the client received "
            f"{' and '.join(invented)} (stop_reason {stop!r}) the upstream never sent",
            location=f"events[{at}]",
            expected="a stream that breaks off (or an error event)",
            received=names[-4:],
        )


def _prefix(up: Answer, down: Answer, asked: str | None) -> Iterator[Finding]:
    """Events before an error or a cut must arrive as sent."""
    pairs = zip(up.events, down.events, strict=False)
    found: list[Difference] = []
    for (_, name, sent), (at, got_name, got) in pairs:
        if name in ("error",) or got_name in ("error", "message_delta", "message_stop"):
            break
        found.extend(differences(sent, got, f"[{at}]"))
    yield from _grouped(iter(found), _event_rule, "events", asked, down.message)


def _sequence(up: Answer, down: Answer) -> Iterator[Finding]:
    one = [(name, payload) for _, name, payload in up.events]
    two = [(name, payload) for _, name, payload in down.events]
    if one == two:
        return
    index = next((i for i, (a, b) in enumerate(zip(one, two, strict=False)) if a != b), None)
    index = min(len(one), len(two)) if index is None else index
    expected = one[index] if index < len(one) else "(no more events)"
    received = two[index] if index < len(two) else "(no more events)"
    yield EVENTS.finding(
        f"the same Message, but the events differ from position {index} "
        f"({len(one)} events sent upstream-side, {len(two)} received)",
        location=f"events[{down.events[index][0] if index < len(two) else index}]",
        expected=expected,
        received=received,
    )

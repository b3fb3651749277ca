"""Check one exchange: decode the body, validate schemas, the stream grammar and the semantics.

Pure: the exchange comes in as values, findings go out. Live traffic and replay look the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import bodies, semantics
from .endpoints import Endpoint, endpoint_of
from .exchange import Exchange
from .findings import Finding, Rule, Severity
from .pacing import Limits, check_timing
from .spec import Spec
from .sse import ServerSentEvent
from .stream import check_stream
from .timing import Trace

Payload = dict[str, Any] | None
BODY_NOT_JSON = Rule(
    "http.body-not-json",
    Severity.ERROR,
    "a JSON response body (per content-type or status) does not parse",
)
RULES = (BODY_NOT_JSON,)


@dataclass(slots=True)
class CheckResult:
    """What the checks saw in one exchange, and what they found."""

    findings: list[Finding] = field(default_factory=list)
    body_kind: str = "empty"  # json | sse | empty | other
    body: Any = None  # the parsed JSON body (json kind)
    # (event name, payload) of every event in order; a common content_block_delta (the fast
    # path) is kept as ("content_block_delta", None): its text is in the accumulated message
    events: list[tuple[str | None, Any]] = field(default_factory=list)
    message: dict[str, Any] | None = None  # the Message: parsed, or accumulated from the stream
    trace: Trace | None = None  # timing and event arrivals (None: the exchange has no timing)

    @property
    def error(self) -> dict[str, Any] | None:
        """The error envelope of the body or of an `error` event, if any."""
        if isinstance(self.body, dict) and self.body.get("type") == "error":
            return self.body
        for name, payload in self.events:
            if name == "error" and isinstance(payload, dict):
                return payload
        return None


def body_kind(exchange: Exchange) -> str:
    body = exchange.response.body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if exchange.response.content_type == "text/event-stream" and body[:1] not in (b"{", b"["):
        return "sse"
    if not body:
        return "empty"
    if body[:1] in (b"{", b"["):
        return "json"
    if exchange.response.content_type == "text/event-stream" or body.startswith(
        (b"event:", b"data:", b":", b"id:", b"retry:")
    ):
        return "sse"
    return "other"


def check_exchange(
    exchange: Exchange,
    spec: Spec | None = None,
    *,
    chunks: Iterable[bytes] | None = None,
    limits: Limits | None = None,
) -> CheckResult:
    """Every check over one exchange. ``chunks``: the body of an event stream piece by piece
    (a long recorded stream read from disk) in place of ``exchange.response.body``;
    ``limits``: the timing rules' thresholds (the profile's ``[NAME.timing]``, else defaults)."""
    spec = spec or Spec.load()
    endpoint = endpoint_of(exchange.request)
    result = CheckResult(body_kind="sse" if chunks is not None else body_kind(exchange))
    request_body = exchange.request.json() if exchange.request else None
    result.findings.extend(
        semantics.check_http(exchange.request, exchange.response, body_kind=result.body_kind)
    )
    answered = 200 <= exchange.response.status < 300
    if isinstance(request_body, dict) and answered and endpoint.request_kind is not None:
        # An answered request must have been a valid one: a gateway that accepts what the
        # official API rejects (Extra inputs, ranges, ...) is caught here.
        kind = endpoint.request_kind
        result.findings.extend(spec.validate(kind, request_body, location_prefix="request:"))
    if result.body_kind == "sse":
        _check_stream(exchange.response.body if chunks is None else chunks, spec, result)
    elif result.body_kind == "json" or exchange.response.content_type == "application/json":
        _check_json(exchange, spec, result, endpoint)
    elif result.body_kind == "other" and endpoint.success_kind is not None:
        # Every body of this endpoint is JSON (a Message, an error envelope) or an event
        # stream (facts §3): plain text, or the HTML page a proxy or CDN sends for 502/504, is not.
        received = exchange.response.body[:200]
        kind = exchange.response.content_type or "no content-type"
        message = f"the {exchange.response.status} body is {kind}, not JSON or an event stream"
        result.findings.append(BODY_NOT_JSON.finding(message, received=received))
    if result.message is not None and result.error is None and endpoint.is_messages:
        streamed = result.body_kind == "sse"
        result.findings.extend(
            semantics.check_message(request_body, result.message, streamed=streamed)
        )
    if exchange.response.timing is not None:
        result.trace = _trace(exchange, result)
    result.findings.extend(check_timing(result.trace, limits))
    return result


def _trace(exchange: Exchange, result: CheckResult) -> Trace:
    """The exchange's timing, and for a stream when each of its events arrived."""
    timing = exchange.response.timing
    assert timing is not None
    if result.body_kind != "sse":
        return Trace(timing)
    names = tuple(name or _type(payload) for name, payload in result.events)
    return Trace(timing, True, names, exchange.response.body)


def _type(payload: dict[str, Any] | None) -> str:
    kind = payload.get("type") if payload is not None else None
    return kind if isinstance(kind, str) else "message"


def _check_json(exchange: Exchange, spec: Spec, result: CheckResult, endpoint: Endpoint) -> None:
    try:
        body = bodies.loads(exchange.response.body)
    except bodies.Unusable as unusable:
        result.findings.append(unusable.finding)
        return
    except ValueError as exc:
        result.findings.append(
            BODY_NOT_JSON.finding(f"body is not JSON: {exc}", received=exchange.response.body[:200])
        )
        return
    result.body = body
    status = exchange.response.status
    success = endpoint.success_kind
    if not isinstance(body, dict):
        kind = success if 200 <= status < 300 else "error"
        if kind is not None:
            result.findings.extend(spec.validate(kind, body))
        return
    result.findings.extend(semantics.check_error(status, body))
    if body.get("type") == "error" or not 200 <= status < 300:
        result.findings.extend(spec.validate("error", body))
    elif success is not None:
        result.findings.extend(spec.validate(success, body))
        result.message = body if endpoint.is_messages else None


_DELTA_EVENT = ("content_block_delta", None)


def _check_stream(body: bytes | Iterable[bytes], spec: Spec, result: CheckResult) -> None:
    def each(
        event: ServerSentEvent, payload: dict[str, Any] | None, index: int
    ) -> Iterable[Finding]:
        result.events.append((event.event, payload))
        if payload is None or spec.is_valid("event", payload):
            return ()
        return spec.validate("event", payload, location_prefix=f"events[{index}]")

    events = result.events
    streamed = check_stream(body, also=each, on_delta=lambda _: events.append(_DELTA_EVENT))
    result.findings.extend(streamed.findings)
    result.message = streamed.message
    if result.message is not None:
        accumulated = spec.validate("message", result.message, location_prefix="accumulated")
        result.findings.extend(accumulated)

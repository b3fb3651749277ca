"""Semantic checks of a response's status and headers and of error envelopes (http.*)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .exchange import Request, Response
from .findings import Finding
from .semantic_rules import (
    _CLIENT_ERROR_TYPES,
    _SPEND_CAP_CODE,
    CONTENT_TYPE,
    ERROR_ENVELOPE,
    REQUEST_ID,
    RETRY_AFTER,
    STATUS_ERROR_TYPE,
    STATUS_ERROR_TYPES,
    STREAM_NOT_SSE,
    SUCCESS_WITH_ERROR,
    _dict,
    _is_success,
)

# --- HTTP -----------------------------------------------------------------------------------


def check_http(request: Request | None, response: Response, *, body_kind: str) -> Iterator[Finding]:
    """Status, content-type and header rules; ``body_kind`` is json | sse | empty | other."""
    yield from _stream_not_sse(request, response, body_kind)
    yield from _content_type(response, body_kind)
    yield from _request_id(response)
    yield from _retry_after(response)


def _stream_not_sse(
    request: Request | None, response: Response, body_kind: str
) -> Iterator[Finding]:
    # §1.1: "stream": true answers 200 text/event-stream; errors before the stream are JSON (§6.1).
    body = request.json() if request is not None else None
    if not isinstance(body, dict) or body.get("stream") is not True:
        return
    if _is_success(response.status) and body_kind != "sse":
        yield STREAM_NOT_SSE.finding(
            f"the request asked for a stream but the {response.status} body is {body_kind}",
            expected="an event stream (text/event-stream)",
            received=body_kind,
        )


def _content_type(response: Response, body_kind: str) -> Iterator[Finding]:
    # §3: application/json for JSON bodies and errors, text/event-stream for streams.
    if body_kind not in ("json", "sse") or not response.headers:
        return  # nothing to label, or the recording kept no headers at all
    received = response.headers.get("content-type")
    expected = _expected_content_type(response.status, body_kind, response.content_type)
    if expected is not None:
        yield CONTENT_TYPE.finding(
            f"a {body_kind.upper()} body is labelled {received or 'with no content-type'}",
            location="header:content-type",
            expected=expected,
            received=received,
        )


def _expected_content_type(status: int, body_kind: str, content_type: str) -> str | None:
    """The content-type the body needs, or None when the one given is fine."""
    if body_kind == "sse":
        return None if content_type == "text/event-stream" else "text/event-stream"
    if _is_success(status):
        return None if content_type == "application/json" else "application/json"
    return None if content_type.endswith("json") else "application/json"


def _request_id(response: Response) -> Iterator[Finding]:
    # §3: request-id is sent on every response.
    if _headers_recorded(response) and "request-id" not in response.headers:
        yield REQUEST_ID.finding(
            "the response has no request-id header",
            location="header:request-id",
            expected="req_…",
            received=None,
        )


def _retry_after(response: Response) -> Iterator[Finding]:
    # §3, §7.2: 429 carries retry-after (529 may); the spend-cap 429 does not.
    if response.status not in (429, 529) or not _headers_recorded(response):
        return
    if "retry-after" in response.headers or _is_spend_cap(response.body):
        return
    yield RETRY_AFTER.finding(
        f"a {response.status} without retry-after leaves clients guessing when to retry",
        location="header:retry-after",
        expected="integer seconds",
    )


def _headers_recorded(response: Response) -> bool:
    """Whether the response kept real headers: a bare body file or a filtered recording has at
    most a content-type, so the absence of a header proves nothing there."""
    return any(name != "content-type" for name in response.headers)


def _is_spend_cap(body: bytes) -> bool:
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    details = _dict(_dict(parsed).get("error")).get("details")
    return _dict(details).get("error_code") == _SPEND_CAP_CODE


# --- error envelopes ------------------------------------------------------------------------


def check_error(status: int, body: dict[str, Any]) -> Iterator[Finding]:
    """Rules over a parsed JSON body and its status. ``status`` 0 means unknown (a bare file)."""
    if _is_success(status):
        yield from _success_with_error(status, body)
        return
    if not _is_envelope(body):
        yield ERROR_ENVELOPE.finding(
            f"the {status or 'error'} body is not an error envelope",
            location="/type",
            expected='{"type": "error", "error": {"type": …, "message": …}}',
            received=body,
        )
        return
    yield from _status_error_type(status, body["error"].get("type"))


def _success_with_error(status: int, body: dict[str, Any]) -> Iterator[Finding]:
    # §7.3: errors arrive with their status; after a 200 only as an SSE error event.
    if body.get("type") == "error":
        yield SUCCESS_WITH_ERROR.finding(
            f"status {status} carries an error envelope",
            location="/type",
            expected="a Message (or the error's own status, §7.2)",
            received=body.get("error"),
        )


def _is_envelope(body: dict[str, Any]) -> bool:
    return body.get("type") == "error" and isinstance(body.get("error"), dict)


def _status_error_type(status: int, error_type: Any) -> Iterator[Finding]:
    if not isinstance(error_type, str) or _pairs(status, error_type):
        return  # a missing error.type is schema.error's to report
    yield STATUS_ERROR_TYPE.finding(
        f"status {status} does not pair with error.type {error_type!r}",
        location="/error/type",
        expected=_expected_error_type(status),
        received=error_type,
    )


def _pairs(status: int, error_type: str) -> bool:
    # §7.2: invalid_request_error "may also be used for other 4XX status codes not listed".
    if status in STATUS_ERROR_TYPES:
        return STATUS_ERROR_TYPES[status] == error_type
    if 400 <= status < 500:
        return error_type == "invalid_request_error"
    if 500 <= status < 600:
        return error_type not in _CLIENT_ERROR_TYPES  # undocumented 5xx: any server-side type
    return True  # unknown status (0) or not an error status: nothing to pair


def _expected_error_type(status: int) -> str:
    if status in STATUS_ERROR_TYPES:
        return STATUS_ERROR_TYPES[status]
    return "invalid_request_error" if status < 500 else "a server-side error type (api_error, …)"

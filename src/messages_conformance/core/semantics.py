"""Semantic rules over one exchange: status and headers, error pairing, a request and its Message.

Pure: values in, findings out; a rule returns early when it does not apply (no request body, no
recorded headers, ...). Section numbers (§) refer to the wire facts in the reference notes
(``messages-api-facts.md``); every rule here was run against the real-traffic corpus and must stay
silent on it (errors) — a rule that rejects real traffic is a bug in the rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, TypeGuard

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .exchange import Request, Response
from .findings import Finding, Rule, Severity

_E, _W = Severity.ERROR, Severity.WARNING

STREAM_NOT_SSE = Rule(
    "http.stream-not-sse", _E, 'a 2xx answer to a "stream": true request is not an event stream'
)
CONTENT_TYPE = Rule(
    "http.content-type",
    _E,
    "content-type does not match the body (SSE: text/event-stream, JSON: application/json)",
)
REQUEST_ID = Rule("http.request-id", _W, "the response has no request-id header")
RETRY_AFTER = Rule(
    "http.retry-after", _W, "a 429/529 has no retry-after header (the spend-cap 429 is exempt)"
)
SUCCESS_WITH_ERROR = Rule(
    "http.success-with-error", _E, 'a 2xx response carries an error envelope ({"type": "error"})'
)
STATUS_ERROR_TYPE = Rule(
    "http.status-error-type", _E, "the HTTP status and error.type do not pair as documented"
)
ERROR_ENVELOPE = Rule(
    "http.error-envelope",
    _E,
    'a non-2xx JSON body is not an error envelope ({"type": "error", "error": {...}})',
)
STOP_REASON_NULL = Rule("message.stop-reason-null", _E, "the final Message has no stop_reason")
STOP_SEQUENCE = Rule(
    "message.stop-sequence",
    _E,
    "stop_sequence does not agree with stop_reason and the request's stop_sequences",
)
STOP_SEQUENCE_KEY = Rule(
    "message.stop-sequence-key-missing", _W, "a non-streamed Message omits the stop_sequence key"
)
TOOL_USE_MISSING = Rule(
    "message.tool-use-missing", _E, "stop_reason is tool_use but the content has no tool use block"
)
TOOL_CHOICE_FORCED = Rule(
    "message.tool-choice-forced", _E, "tool_choice any/tool was not honoured by the content"
)
TOOL_CHOICE_NONE = Rule(
    "message.tool-choice-none", _E, "tool_choice none, yet the content has tool_use blocks"
)
TOOL_UNKNOWN = Rule("message.tool-unknown", _E, "a tool_use names a tool the request did not offer")
TOOL_INPUT_SCHEMA = Rule(
    "message.tool-input-schema",
    _E,
    "a tool_use input does not validate against the tool's input_schema",
)
MAX_TOKENS = Rule("message.max-tokens", _E, "usage.output_tokens exceeds the request's max_tokens")
MAX_TOKENS_STOP = Rule(
    "message.max-tokens-stop",
    _E,
    "stop_reason is max_tokens but usage.output_tokens is below max_tokens",
)
INPUT_TOKENS_ZERO = Rule(
    "message.input-tokens-zero",
    _W,
    "usage reports zero input tokens (input + cache creation + cache read)",
)

RULES: tuple[Rule, ...] = (
    STREAM_NOT_SSE,
    CONTENT_TYPE,
    REQUEST_ID,
    RETRY_AFTER,
    SUCCESS_WITH_ERROR,
    STATUS_ERROR_TYPE,
    ERROR_ENVELOPE,
    STOP_REASON_NULL,
    STOP_SEQUENCE,
    STOP_SEQUENCE_KEY,
    TOOL_USE_MISSING,
    TOOL_CHOICE_FORCED,
    TOOL_CHOICE_NONE,
    TOOL_UNKNOWN,
    TOOL_INPUT_SCHEMA,
    MAX_TOKENS,
    MAX_TOKENS_STOP,
    INPUT_TOKENS_ZERO,
)

# §7.2: the documented status ↔ error.type pairs.
STATUS_ERROR_TYPES: Mapping[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_CLIENT_ERROR_TYPES = frozenset(t for s, t in STATUS_ERROR_TYPES.items() if s < 500)
_SPEND_CAP_CODE = "enforced_spend_limit_reached"  # §7.2: the spend-cap 429 has no retry-after
_TOOL_USE_TYPES = ("tool_use", "server_tool_use", "mcp_tool_use")


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


# --- Message --------------------------------------------------------------------------------


def check_message(
    request_body: dict[str, Any] | None, message: dict[str, Any], *, streamed: bool
) -> Iterator[Finding]:
    """Rules over a request and its (parsed or accumulated) Message."""
    if not isinstance(message, dict) or message.get("type") != "message":
        return  # not a Message: the schema rules say so
    request = request_body if isinstance(request_body, dict) else {}
    yield from _stop_reason(message)
    yield from _stop_sequence(request, message)
    if not streamed:
        yield from _stop_sequence_key(message)
    yield from _tool_use_missing(message)
    yield from _tool_choice(request, message)
    yield from _tool_unknown(request, message)
    yield from _tool_input_schema(request, message)
    yield from _usage(request, message)


def _stop_reason(message: dict[str, Any]) -> Iterator[Finding]:
    # §5.4: the final Message always says why it stopped (null only in message_start).
    if message.get("stop_reason") is None:
        yield STOP_REASON_NULL.finding(
            "the final Message has no stop_reason",
            location="/stop_reason",
            expected="end_turn | max_tokens | stop_sequence | tool_use | pause_turn | refusal | …",
            received=message.get("stop_reason"),
        )


def _stop_sequence(request: dict[str, Any], message: dict[str, Any]) -> Iterator[Finding]:
    # §4.1, §5.1: stop_sequence echoes the matched custom stop sequence, and only then.
    reason, matched = message.get("stop_reason"), message.get("stop_sequence")
    if reason != "stop_sequence":
        if matched is not None:
            yield STOP_SEQUENCE.finding(
                f"stop_sequence is set while stop_reason is {reason!r}",
                location="/stop_sequence",
                expected=None,
                received=matched,
            )
        return
    offered = _stop_sequences(request)
    if matched is None or (offered is not None and matched not in offered):
        yield STOP_SEQUENCE.finding(
            "stop_reason is stop_sequence but stop_sequence is not one the request sent",
            location="/stop_sequence",
            expected=offered if offered is not None else "one of the request's stop sequences",
            received=matched,
        )


def _stop_sequences(request: dict[str, Any]) -> list[Any] | None:
    """The request's stop sequences ([] when it sent none), or None without a request."""
    if not request:
        return None
    offered = request.get("stop_sequences")
    return offered if isinstance(offered, list) else []


def _stop_sequence_key(message: dict[str, Any]) -> Iterator[Finding]:
    # §5.1: stop_sequence is R+null; official responses always carry the key.
    if "stop_sequence" not in message:
        yield STOP_SEQUENCE_KEY.finding(
            "the Message omits stop_sequence (official responses send it, null when unused)",
            location="/stop_sequence",
            expected="null or the matched stop sequence",
            received="(absent)",
        )


def _tool_use_missing(message: dict[str, Any]) -> Iterator[Finding]:
    # §5.4: tool_use means "the model invoked one or more tools".
    if message.get("stop_reason") == "tool_use" and not _tool_uses(message, _TOOL_USE_TYPES):
        yield TOOL_USE_MISSING.finding(
            "stop_reason is tool_use but no tool_use, server_tool_use or mcp_tool_use block",
            location="/content",
            expected="a tool use block",
            received=[block.get("type") for _, block in _blocks(message)],
        )


def _tool_choice(request: dict[str, Any], message: dict[str, Any]) -> Iterator[Finding]:
    # §4.8: any → must use some tool; tool → must use the named tool; none → no tool use.
    choice = _dict(request.get("tool_choice"))
    kind = choice.get("type")
    if kind == "none":
        yield from _tool_choice_none(message)
    elif kind in ("any", "tool") and message.get("stop_reason") not in ("max_tokens", "refusal"):
        yield from _tool_choice_forced(choice, message)


def _tool_choice_none(message: dict[str, Any]) -> Iterator[Finding]:
    for index, block in _tool_uses(message, ("tool_use",)):
        yield TOOL_CHOICE_NONE.finding(
            f"tool_choice none, yet the model called {block.get('name')!r}",
            location=f"/content/{index}",
            expected="no tool_use blocks",
            received=block.get("name"),
        )


def _tool_choice_forced(choice: dict[str, Any], message: dict[str, Any]) -> Iterator[Finding]:
    names = [block.get("name") for _, block in _tool_uses(message, ("tool_use", "server_tool_use"))]
    wanted = choice.get("name") if choice.get("type") == "tool" else None
    if (wanted is None and names) or (wanted is not None and wanted in names):
        return
    yield TOOL_CHOICE_FORCED.finding(
        f"tool_choice {choice.get('type')} was not honoured",
        location="/content",
        expected=f"a tool_use of {wanted!r}" if wanted else "at least one tool_use block",
        received=names or [block.get("type") for _, block in _blocks(message)],
    )


def _tool_unknown(request: dict[str, Any], message: dict[str, Any]) -> Iterator[Finding]:
    # §4.7: client tool_use names one of the request's tools (custom or Anthropic-defined client
    # tools such as bash/memory; deferred tools count: they are still listed in `tools`).
    offered = _offered_tool_names(request)
    if offered is None:
        return
    for index, block in _tool_uses(message, ("tool_use",)):
        if block.get("name") not in offered:
            yield TOOL_UNKNOWN.finding(
                f"tool_use names {block.get('name')!r}, which the request did not offer",
                location=f"/content/{index}/name",
                expected=sorted(offered),
                received=block.get("name"),
            )


def _offered_tool_names(request: dict[str, Any]) -> frozenset[str] | None:
    """The names of the request's tools, or None when they cannot be known from the request:
    no request body, a nameless toolset (mcp_toolset, browser/computer toolsets), or tools added
    mid-conversation by tool_addition blocks."""
    tools = request.get("tools", [])
    if not request or not isinstance(tools, list) or _adds_tools(request):
        return None
    names = [_dict(tool).get("name") for tool in tools]
    if not all(isinstance(name, str) for name in names):
        return None
    return frozenset(name for name in names if isinstance(name, str))


def _adds_tools(request: dict[str, Any]) -> bool:
    messages = request.get("messages")
    for turn in messages if isinstance(messages, list) else []:
        content = _dict(turn).get("content")
        blocks = content if isinstance(content, list) else []
        if any(_dict(block).get("type") == "tool_addition" for block in blocks):
            return True
    return False


def _tool_input_schema(request: dict[str, Any], message: dict[str, Any]) -> Iterator[Finding]:
    # §4.7.1, §10.4: input is an object that satisfies the custom tool's input_schema.
    schemas = _input_schemas(request)
    for index, block in _tool_uses(message, ("tool_use",)):
        schema = schemas.get(block.get("name"))
        if schema is not None:
            yield from _validate_input(schema, block.get("input"), index)


def _input_schemas(request: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    tools = request.get("tools")
    found: dict[Any, dict[str, Any]] = {}
    for tool in tools if isinstance(tools, list) else []:
        schema = _dict(tool).get("input_schema")
        if isinstance(schema, dict):
            found[_dict(tool).get("name")] = schema
    return found


def _validate_input(schema: dict[str, Any], value: Any, index: int) -> Iterator[Finding]:
    try:
        Draft202012Validator.check_schema(schema)
        errors = list(Draft202012Validator(schema).iter_errors(value))
    except SchemaError:
        return  # a broken input_schema is the client's problem, not the server's
    except Exception:  # unresolvable $ref, bad regex, runaway recursion: same, never raise
        return
    for error in errors[:5]:
        pointer = "".join(f"/{part}" for part in error.absolute_path)
        yield TOOL_INPUT_SCHEMA.finding(
            f"tool_use input does not match input_schema: {error.message}",
            location=f"/content/{index}/input{pointer}",
            expected=error.schema if isinstance(error.schema, dict) else None,
            received=error.instance,
        )


def _usage(request: dict[str, Any], message: dict[str, Any]) -> Iterator[Finding]:
    usage = _dict(message.get("usage"))
    output, limit = usage.get("output_tokens"), request.get("max_tokens")
    if _is_int(output) and _is_int(limit):
        yield from _max_tokens(output, limit, message.get("stop_reason"))
    yield from _input_tokens_zero(usage)


def _max_tokens(output: int, limit: int, stop_reason: Any) -> Iterator[Finding]:
    # §4.1: max_tokens caps the generated tokens (thinking included); hitting it stops the
    # turn with max_tokens, which the corpus shows only at output_tokens == max_tokens.
    if output > limit:
        yield MAX_TOKENS.finding(
            f"output_tokens {output} exceeds max_tokens {limit}",
            location="/usage/output_tokens",
            expected=f"<= {limit}",
            received=output,
        )
    elif stop_reason == "max_tokens" and output < limit:
        yield MAX_TOKENS_STOP.finding(
            f"stop_reason max_tokens after only {output} of {limit} tokens",
            location="/stop_reason",
            expected=f"output_tokens == {limit}, or another stop_reason",
            received=output,
        )


def _input_tokens_zero(usage: dict[str, Any]) -> Iterator[Finding]:
    # §5.6: every request has a prompt, so some input token is always counted somewhere.
    keys = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    counts = [usage.get(key) for key in keys]
    if _is_int(counts[0]) and sum(c for c in counts if _is_int(c)) == 0:
        yield INPUT_TOKENS_ZERO.finding(
            "usage counts no input tokens at all",
            location="/usage/input_tokens",
            expected="> 0 (input + cache creation + cache read)",
            received={k: c for k, c in zip(keys, counts, strict=True) if c is not None},
        )


# --- helpers --------------------------------------------------------------------------------


def _blocks(message: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    content = message.get("content")
    items = content if isinstance(content, list) else []
    return [(index, block) for index, block in enumerate(items) if isinstance(block, dict)]


def _tool_uses(message: dict[str, Any], types: tuple[str, ...]) -> list[tuple[int, dict[str, Any]]]:
    return [(index, block) for index, block in _blocks(message) if block.get("type") in types]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_success(status: int) -> bool:
    return 200 <= status < 300

"""The semantic rules (http.*, message.*), the status/error-type pairs and small value helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from .findings import Rule, Severity

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
    "a tool_use input does not validate against the tool's input_schema: an error for a "
    "`strict: true` tool, a warning otherwise (only strict tools promise schema-valid input; "
    'real traffic has non-strict input under another field name, or "True" for a boolean)',
)
OUTPUT_FORMAT = Rule(
    "message.output-format",
    _E,
    "the answer to a json_schema output format (output_config.format, beta output_format) is "
    "not JSON valid against that schema (unless it stopped early: max_tokens, refusal, tool_use)",
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
    OUTPUT_FORMAT,
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

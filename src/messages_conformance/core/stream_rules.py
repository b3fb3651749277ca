"""The rules of the event stream (sse.* framing, stream.* grammar) and the grammar's facts:
which delta types fit which block types, which blocks arrive whole."""

from __future__ import annotations

from .findings import Rule, Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTICE

DATA_NOT_JSON = Rule("sse.data-not-json", E, "An event's data is not JSON (e.g. `[DONE]`).")
DATA_NOT_OBJECT = Rule("sse.data-not-object", E, "An event's data is JSON but not an object.")
NAME_MISMATCH = Rule("sse.event-name-mismatch", E, "The SSE `event:` name differs from data.type.")
UNNAMED = Rule("sse.unnamed-event", E, "An event has no `event:` name (SDKs drop such events).")
INVALID_UTF8 = Rule("sse.invalid-utf8", E, "The stream contains bytes that are not valid UTF-8.")
INCOMPLETE = Rule("sse.incomplete-event", W, "Bytes after the last complete event are discarded.")
EMPTY = Rule("stream.empty", E, "The event stream contains no events.")
UNKNOWN = Rule("stream.unknown-event", N, "An event type the contract does not define (ignored).")
FIRST = Rule(
    "stream.order.first-not-message-start", E, "An event other than ping precedes message_start."
)
DUP_START = Rule("stream.order.duplicate-message-start", E, "message_start appears more than once.")
DELTA_EARLY = Rule(
    "stream.order.delta-before-start", E, "content_block_delta for a block not yet started."
)
BLOCK_LATE = Rule(
    "stream.order.block-after-message-delta", E, "A content block event follows message_delta."
)
DELTA_MISSING = Rule(
    "stream.order.message-delta-missing", E, "message_stop without a message_delta before it."
)
STOP_MISSING = Rule(
    "stream.order.message-stop-missing", E, "The stream ends without message_stop or error."
)
AFTER_STOP = Rule("stream.order.after-stop", E, "An event follows message_stop.")
AFTER_ERROR = Rule("stream.order.after-error", E, "An event follows an error event.")
INDEX = Rule("stream.block.index", E, "A block's index is not its position (0, 1, 2, ...).")
INTERLEAVED = Rule(
    "stream.block.interleaved", E, "content_block_start while another block is still open."
)
STOP_UNOPENED = Rule(
    "stream.block.stop-without-start", E, "content_block_stop for a block that is not open."
)
DELTA_CLOSED = Rule(
    "stream.block.delta-after-stop", E, "content_block_delta for a block already stopped."
)
UNCLOSED = Rule(
    "stream.block.unclosed", E, "A block is still open at message_delta or message_stop."
)
DELTA_TYPE = Rule("stream.delta.type-mismatch", E, "The delta type does not fit the block type.")
DELTA_COMPLETE = Rule(
    "stream.delta.complete-block", E, "A delta for a block type that arrives complete."
)
TOOL_JSON = Rule(
    "stream.tool-input-json", E, "Joined input_json_delta fragments do not parse to an object."
)
USAGE_DOWN = Rule("stream.usage.decreasing", E, "A cumulative usage count went down.")
INPUT_ZERO = Rule(
    "stream.usage.input-zero", W, "message_start reports zero input tokens of every kind."
)
STOP_REASON = Rule(
    "stream.stop-reason-missing", E, "stop_reason is still null when message_stop arrives."
)

RULES: tuple[Rule, ...] = (
    DATA_NOT_JSON,
    DATA_NOT_OBJECT,
    NAME_MISMATCH,
    UNNAMED,
    INVALID_UTF8,
    INCOMPLETE,
    EMPTY,
    UNKNOWN,
    FIRST,
    DUP_START,
    DELTA_EARLY,
    BLOCK_LATE,
    DELTA_MISSING,
    STOP_MISSING,
    AFTER_STOP,
    AFTER_ERROR,
    INDEX,
    INTERLEAVED,
    STOP_UNOPENED,
    DELTA_CLOSED,
    UNCLOSED,
    DELTA_TYPE,
    DELTA_COMPLETE,
    TOOL_JSON,
    USAGE_DOWN,
    INPUT_ZERO,
    STOP_REASON,
)

# Facts §6.3: which block types each delta type may target.
DELTA_TARGETS: dict[str, frozenset[str]] = {
    "text_delta": frozenset({"text"}),
    "citations_delta": frozenset({"text"}),
    "input_json_delta": frozenset({"tool_use", "server_tool_use", "mcp_tool_use"}),
    "thinking_delta": frozenset({"thinking"}),
    "signature_delta": frozenset({"thinking"}),
    "compaction_delta": frozenset({"compaction"}),
}
STREAMED_BLOCKS: frozenset[str] = frozenset().union(*DELTA_TARGETS.values())
# Facts §6.2/§6.4: blocks with no delta type arrive whole in content_block_start.
COMPLETE_BLOCKS = frozenset(
    {
        "redacted_thinking",
        "web_search_tool_result",
        "web_fetch_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "tool_search_tool_result",
        "container_upload",
        "mcp_tool_result",
        "advisor_tool_result",
        "fallback",
    }
)
# Deltas whose string field is concatenated onto the block field of the same name.

"""The Messages event stream: grammar checks and accumulation of the final Message.

Works on events decoded by ``sse``; does no I/O and never raises for bad data. The
grammar (facts §6.4, Anthropic streaming docs "Event types" + what the SDK accumulators
assume)::

    stream := message_start  block*  message_delta+  message_stop     (ping anywhere)
    block  := content_block_start(i)  content_block_delta(i)*  content_block_stop(i)
    error  := may replace the rest of the stream; nothing follows it

JSON Schema validation of each payload is not done here (``spec`` does it); the caller
composes both and parses each payload once::

    checker = StreamChecker()
    for index, event in enumerate(events):
        payload, found = parse_event(event, index)     # sse.* framing rules
        found += checker.feed_payload(payload, index)   # stream.* rules (None is counted)
        if payload is not None:
            ...schema findings for payload...
    found += checker.close(truncated=decoder.truncated, invalid_utf8=decoder.invalid_utf8)
    checker.message                                     # the accumulated Message

``payload, found = checker.feed(event, index)`` does the first two steps in one call;
``check_stream(body)`` runs decoding and checking over a whole body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .findings import Finding, Rule, Severity
from .sse import ServerSentEvent, SSEDecoder

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
_APPENDED = {"text_delta": "text", "thinking_delta": "thinking", "input_json_delta": "partial_json"}
_USAGE_COUNTS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)
_ALWAYS_SET = ("stop_reason", "stop_sequence", "stop_details")  # by every message_delta
_DEFAULT_LIMIT = 20  # findings of one rule reported per stream before summarising


def parse_event(event: ServerSentEvent, index: int) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The event's JSON payload (None when unusable) and the framing findings (facts §6.1)."""
    where = f"events[{index}]"
    try:
        payload = json.loads(event.data)
    except ValueError:
        return None, [
            DATA_NOT_JSON.finding(
                "Every event's data must be one JSON object; this one does not parse.",
                location=where,
                expected="a JSON object",
                received=event.data,
            )
        ]
    if not isinstance(payload, dict):
        return None, [
            DATA_NOT_OBJECT.finding(
                "Every event's data must be a JSON object with a `type`.",
                location=where,
                expected="a JSON object",
                received=event.data,
            )
        ]
    return payload, _name_findings(event.event, payload.get("type"), where)


def _name_findings(name: str | None, kind: Any, where: str) -> list[Finding]:
    if name == kind:
        return []
    if name is None:
        return [
            UNNAMED.finding(
                "Every event must be named (`event: <type>`); the official SDKs skip unnamed ones.",
                location=where,
                expected=f"event: {kind}",
                received="no event field",
            )
        ]
    return [
        NAME_MISMATCH.finding(
            "The SSE `event:` name must equal the payload's `type`.",
            location=f"{where}/type",
            expected=name,
            received=kind,
        )
    ]


_FOLD_AT = 4096


class _Block:
    """Bookkeeping for one content block: its start body and the deltas seen so far."""

    __slots__ = ("body", "folded", "index", "open", "parts", "position", "type")

    def __init__(self, body: dict[str, Any], index: int, position: int) -> None:
        self.body = body
        self.type = body.get("type")
        self.index = index
        self.position = position
        self.open = True
        self.parts: list[str] = []  # text / thinking / partial_json fragments, in order
        self.folded: list[str] = []  # runs of _FOLD_AT fragments joined into one string

    def append(self, fragment: str) -> None:
        """Keep a fragment; fold runs of them so a long stream costs its text, not one string
        object per delta (a 200 MB stream stays well under 100 MB of memory)."""
        parts = self.parts
        parts.append(fragment)
        if len(parts) >= _FOLD_AT:
            self.folded.append("".join(parts))
            self.parts = []

    def joined(self) -> str:
        """Every fragment so far, in order."""
        return "".join(self.folded) + "".join(self.parts)

    def take(self) -> str:
        """Every fragment so far, then forget them."""
        text = self.joined()
        self.parts, self.folded = [], []
        return text

    def render(self) -> dict[str, Any]:
        """The block as accumulated so far (tool input is parsed at stop, not here)."""
        field = _joined_field(self.type)
        if field is None or not (self.parts or self.folded):
            return dict(self.body)
        start = self.body.get(field)
        return {**self.body, field: (start if isinstance(start, str) else "") + self.joined()}


def _joined_field(block_type: Any) -> str | None:
    if block_type == "text":
        return "text"
    return "thinking" if block_type == "thinking" else None


class StreamChecker:
    """Checks the event grammar of one stream and accumulates its Message.

    Feed every decoded event in order (``feed``), or every parsed payload
    (``feed_payload``) when the caller parses; then call ``close()`` once.
    Each method returns the findings it produced. ``limit`` caps the findings of
    one rule per stream; ``close`` reports how many more were suppressed.
    """

    def __init__(self, *, limit: int = _DEFAULT_LIMIT) -> None:
        self._limit = limit
        self._counts: dict[str, int] = {}
        self._message: dict[str, Any] | None = None
        self._blocks: list[_Block] = []
        self._by_index: dict[int, _Block] = {}
        self._open = 0
        self._usage: dict[str, Any] = {}  # the last usage seen, to check "never decreases"
        self._usage_where = ""
        self._events = 0
        self._deltas = 0  # message_delta events seen
        self._ended_by: str | None = None  # "message_stop" or "error"
        self.last_payload: dict[str, Any] | None = None
        self._handlers: dict[str, Callable[[dict[str, Any], int], list[Finding]]] = {
            "message_start": self._message_start,
            "content_block_start": self._block_start,
            "content_block_delta": self._block_delta,
            "content_block_stop": self._block_stop,
            "message_delta": self._message_delta,
            "message_stop": self._message_stop,
            "ping": self._ping,
            "error": self._error,
        }

    # -- public API ---------------------------------------------------------------

    @property
    def message(self) -> dict[str, Any] | None:
        """The Message accumulated as the official SDKs do (None before message_start)."""
        if self._message is None:
            return None
        return {**self._message, "content": [block.render() for block in self._blocks]}

    @property
    def ended_by(self) -> str | None:
        """``"message_stop"``, ``"error"`` or None while the stream is still open."""
        return self._ended_by

    def feed(
        self, event: ServerSentEvent, index: int
    ) -> tuple[dict[str, Any] | None, list[Finding]]:
        """Parse one decoded event (``parse_event``) and check it.

        Returns the payload (None when the data is not a JSON object), so the caller can
        validate it against its schema without parsing twice, and the findings; the
        payload is also kept as ``last_payload``."""
        payload, found = parse_event(event, index)
        self.last_payload = payload
        grammar = self.feed_payload(payload, index)
        return payload, (self._capped(found) + grammar) if found else grammar

    def feed_payload(self, payload: dict[str, Any] | None, index: int) -> list[Finding]:
        """Check one parsed event payload; ``index`` is its position in the stream.

        Pass None for an event whose data did not parse (``parse_event`` gave None):
        it is counted but takes no part in the grammar."""
        self._events += 1
        if payload is None:
            return []
        if self._ended_by is not None:
            return self._after_end(payload, index)
        kind = payload.get("type")
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            return self._unknown(kind, index)
        if self._message is None and kind not in ("message_start", "ping", "error"):
            return self._report(
                FIRST,
                f"{kind} arrives before message_start; the SDK accumulators raise on it.",
                f"events[{index}]/type",
                "message_start",
                kind,
            )
        return handler(payload, index)

    def close(self, *, truncated: bool = False, invalid_utf8: int = 0) -> list[Finding]:
        """End of stream: pass the decoder's ``truncated`` and ``invalid_utf8``."""
        found = self._encoding(invalid_utf8) + self._ending(truncated)
        return found + self._suppressed()

    # -- events -------------------------------------------------------------------

    def _message_start(self, payload: dict[str, Any], index: int) -> list[Finding]:
        if self._message is not None:
            return self._report(
                DUP_START,
                "message_start must appear exactly once.",
                f"events[{index}]/type",
                "one message_start",
                "another",
            )
        message = payload.get("message")
        self._message = dict(message) if isinstance(message, dict) else {}
        usage = self._message.get("usage")
        self._usage = dict(usage) if isinstance(usage, dict) else {}
        if self._usage:
            self._message["usage"] = dict(self._usage)
        self._usage_where = f"events[{index}]/message/usage"
        return self._input_zero(self._usage, index)

    def _block_start(self, payload: dict[str, Any], index: int) -> list[Finding]:
        found = self._block_late(index) if self._deltas else []
        block_index = payload.get("index")
        body = payload.get("content_block")
        block = _Block(dict(body) if isinstance(body, dict) else {}, -1, len(self._blocks))
        if self._open:
            found += self._report(
                INTERLEAVED,
                "A block started before the open one stopped; blocks must not interleave.",
                f"events[{index}]",
                "content_block_stop first",
                self._open_indexes(),
            )
        if block_index != block.position or isinstance(block_index, bool):
            found += self._report(
                INDEX,
                "content_block_start index must be the block's position "
                "in content, counting from 0.",
                f"events[{index}]/index",
                block.position,
                block_index,
            )
        if isinstance(block_index, int):
            block.index = block_index
            self._by_index[block_index] = block
        self._blocks.append(block)
        self._open += 1
        return found

    def _block_delta(self, payload: dict[str, Any], index: int) -> list[Finding]:
        found = self._block_late(index) if self._deltas else []
        block = self._find_block(payload.get("index"))
        if block is None:
            return found + self._report(
                DELTA_EARLY,
                "content_block_delta for an index that no content_block_start opened.",
                f"events[{index}]/index",
                self._open_indexes(),
                payload.get("index"),
            )
        if not block.open:
            found += self._report(
                DELTA_CLOSED,
                "content_block_delta after that block's content_block_stop.",
                f"events[{index}]/index",
                self._open_indexes(),
                block.index,
            )
        delta = payload.get("delta")
        if isinstance(delta, dict):
            found += self._apply_delta(block, delta, index)
        return found

    def _block_stop(self, payload: dict[str, Any], index: int) -> list[Finding]:
        found = self._block_late(index) if self._deltas else []
        block = self._find_block(payload.get("index"))
        if block is None or not block.open:
            state = "was never started" if block is None else "is already stopped"
            return found + self._report(
                STOP_UNOPENED,
                f"content_block_stop for a block that {state}.",
                f"events[{index}]/index",
                self._open_indexes(),
                payload.get("index"),
            )
        self._shut(block)
        return found + self._finish_tool_input(block, index)

    def _message_delta(self, payload: dict[str, Any], index: int) -> list[Finding]:
        assert self._message is not None  # guaranteed by feed_payload
        found = self._unclosed(f"events[{index}]", "message_delta")
        self._deltas += 1
        delta = payload.get("delta")
        if isinstance(delta, dict):
            _apply_message_delta(self._message, delta)
        management = payload.get("context_management")
        if management is not None:
            self._message["context_management"] = management
        usage = payload.get("usage")
        if isinstance(usage, dict):
            found += self._usage_delta(usage, index)
        return found

    def _message_stop(self, payload: dict[str, Any], index: int) -> list[Finding]:
        assert self._message is not None  # guaranteed by feed_payload
        self._ended_by = "message_stop"
        found = self._unclosed(f"events[{index}]", "message_stop")
        if not self._deltas:
            return found + self._report(
                DELTA_MISSING,
                "message_delta (with stop_reason and usage) must come before message_stop.",
                f"events[{index}]/type",
                "message_delta",
                "message_stop",
            )
        if self._message.get("stop_reason") is None:
            found += self._report(
                STOP_REASON,
                "No message_delta set a stop_reason before message_stop.",
                f"events[{index}]",
                "a stop_reason such as end_turn",
                None,
            )
        return found

    def _ping(self, payload: dict[str, Any], index: int) -> list[Finding]:
        return []  # facts §6.4: ping may appear between any two events

    def _error(self, payload: dict[str, Any], index: int) -> list[Finding]:
        self._ended_by = "error"  # facts §6.6: terminal, and not a grammar violation
        return []

    def _unknown(self, kind: Any, index: int) -> list[Finding]:
        return self._report(
            UNKNOWN,
            "Unknown event type; clients must ignore it (versioning policy, facts §1.4).",
            f"events[{index}]/type",
            "a documented event type",
            kind,
        )

    def _after_end(self, payload: dict[str, Any], index: int) -> list[Finding]:
        rule = AFTER_STOP if self._ended_by == "message_stop" else AFTER_ERROR
        return self._report(
            rule,
            f"Nothing may follow {self._ended_by}.",
            f"events[{index}]/type",
            "end of stream",
            payload.get("type"),
        )

    # -- deltas -------------------------------------------------------------------

    def _apply_delta(self, block: _Block, delta: dict[str, Any], index: int) -> list[Finding]:
        kind = delta.get("type")
        if block.type in COMPLETE_BLOCKS:
            return self._report(
                DELTA_COMPLETE,
                f"{block.type} blocks arrive complete in content_block_start and take no deltas.",
                f"events[{index}]/delta/type",
                "no delta",
                kind,
            )
        targets = DELTA_TARGETS.get(kind) if isinstance(kind, str) else None
        if targets is None or not isinstance(kind, str) or block.type not in STREAMED_BLOCKS:
            return []  # an unknown delta or block type: the schema check reports it
        if block.type not in targets:
            return self._report(
                DELTA_TYPE,
                f"{kind} cannot target a {block.type} block.",
                f"events[{index}]/delta/type",
                f"a delta for {block.type}",
                kind,
            )
        _accumulate(block, kind, delta)
        return []

    def _finish_tool_input(self, block: _Block, index: int) -> list[Finding]:
        # Facts §6.3: the concatenated partial_json parses into `input` at stop; an
        # empty concatenation keeps the start's input (SDKs skip parsing it).
        if block.type not in DELTA_TARGETS["input_json_delta"]:
            return []
        text = block.take()
        if not text:  # no fragments, or only "" (corpus 125: advisor with no input)
            return []
        value = _json_or_none(text)
        if isinstance(value, dict):
            block.body["input"] = value
            return []
        return self._report(
            TOOL_JSON,
            "The joined input_json_delta fragments must parse to a JSON object.",
            f"events[{index}]",
            "a JSON object",
            text,
        )

    # -- usage --------------------------------------------------------------------

    def _input_zero(self, usage: dict[str, Any], index: int) -> list[Finding]:
        counts = [usage.get(key) for key in _USAGE_COUNTS if key != "output_tokens"]
        if any(not isinstance(count, int) or count for count in counts):
            return []  # some input was counted (or a count is absent/invalid: schema's job)
        return self._report(
            INPUT_ZERO,
            "Every request has input; zero input, cache-creation "
            "and cache-read tokens means usage was not counted.",
            f"events[{index}]/message/usage/input_tokens",
            "> 0",
            0,
        )

    def _usage_delta(self, usage: dict[str, Any], index: int) -> list[Finding]:
        assert self._message is not None
        _apply_usage(self._message, usage)
        if "iterations" in usage:
            # With context management (compaction) the top-level counts describe the
            # last iteration only; cache reads may fall to 0 (corpus 127), so the
            # message_start counts are no baseline.
            self._usage = {}
        found = self._decreases(usage, index)
        self._usage = {**self._usage, **{k: v for k, v in usage.items() if v is not None}}
        self._usage_where = f"events[{index}]/usage"
        return found

    def _decreases(self, usage: dict[str, Any], index: int) -> list[Finding]:
        # Facts §6.5: message_delta usage is cumulative, so no count may go down
        # (input_tokens may go up: server tools add input).
        found: list[Finding] = []
        for key in _USAGE_COUNTS:
            now, before = usage.get(key), self._usage.get(key)
            if type(now) is int and type(before) is int and now < before:
                found += self._report(
                    USAGE_DOWN,
                    f"Cumulative usage.{key} went down from {before} (at {self._usage_where}).",
                    f"events[{index}]/usage/{key}",
                    f">= {before}",
                    now,
                )
        return found

    # -- end of stream ------------------------------------------------------------

    def _encoding(self, invalid_utf8: int) -> list[Finding]:
        if not invalid_utf8:
            return []
        return self._report(
            INVALID_UTF8,
            f"{invalid_utf8} invalid UTF-8 sequence(s) were replaced "
            "by U+FFFD; text/event-stream is always UTF-8 (WHATWG §9.2.5).",
            "body",
            "UTF-8",
            f"{invalid_utf8} invalid sequence(s)",
        )

    def _ending(self, truncated: bool) -> list[Finding]:
        if not self._events:
            return self._report(
                EMPTY,
                "A 200 stream must carry at least message_start ... message_stop.",
                "events",
                "message_start",
                "no events",
            )
        if self._ended_by is not None:
            return self._incomplete() if truncated else []
        cut = " The body ends inside an event (no blank line after it)." if truncated else ""
        still_open = self._open_indexes()
        seen = f"end of stream, block(s) {still_open} still open" if still_open else "end of stream"
        return self._report(
            STOP_MISSING,
            f"The stream ends without message_stop or error; it looks truncated.{cut}",
            f"events[{self._events}]",
            "message_stop",
            seen,
        )

    def _incomplete(self) -> list[Finding]:
        return self._report(
            INCOMPLETE,
            "Bytes after the last event do not end with a blank line; "
            "clients discard them (WHATWG §9.2.6).",
            f"events[{self._events}]",
            "a blank line or nothing",
            "an unterminated event",
        )

    def _suppressed(self) -> list[Finding]:
        found: list[Finding] = []
        for rule in RULES:
            extra = self._counts.get(rule.id, 0) - self._limit
            if extra > 0:
                found.append(
                    rule.finding(
                        f"... and {extra} more finding(s) of this rule in this stream, not shown."
                    )
                )
        return found

    # -- helpers ------------------------------------------------------------------

    def _report(
        self, rule: Rule, message: str, location: str, expected: Any, received: Any
    ) -> list[Finding]:
        count = self._counts.get(rule.id, 0) + 1
        self._counts[rule.id] = count
        if count > self._limit:
            return []
        return [rule.finding(message, location=location, expected=expected, received=received)]

    def _capped(self, found: list[Finding]) -> list[Finding]:
        if not found:
            return found
        kept: list[Finding] = []
        for finding in found:
            count = self._counts[finding.rule] = self._counts.get(finding.rule, 0) + 1
            if count <= self._limit:
                kept.append(finding)
        return kept

    def _find_block(self, block_index: Any) -> _Block | None:
        if type(block_index) is not int:
            return None
        return self._by_index.get(block_index)

    def _shut(self, block: _Block) -> None:
        block.open = False
        self._open -= 1

    def _open_indexes(self) -> list[int]:
        return [block.index for block in self._blocks if block.open]

    def _block_late(self, index: int) -> list[Finding]:
        return self._report(
            BLOCK_LATE,
            "Content block events must all come before message_delta.",
            f"events[{index}]/type",
            "message_delta+ then message_stop",
            "a content block event",
        )

    def _unclosed(self, where: str, at: str) -> list[Finding]:
        if not self._open:
            return []
        found: list[Finding] = []
        for block in self._blocks:
            if block.open:
                self._shut(block)
                found += self._report(
                    UNCLOSED,
                    f"Block {block.index} ({block.type}) has no content_block_stop before {at}.",
                    where,
                    f"content_block_stop for index {block.index}",
                    at,
                )
        return found


def _accumulate(block: _Block, kind: str, delta: dict[str, Any]) -> None:
    """Apply one delta the way the SDK accumulators do (``accumulate_event``)."""
    field = _APPENDED.get(kind)
    if field is not None:
        value = delta.get(field)
        if isinstance(value, str):
            block.append(value)
    elif kind == "signature_delta":
        block.body["signature"] = delta.get("signature")
    elif kind == "citations_delta":
        citations = block.body.get("citations")
        block.body["citations"] = [*(citations or ()), delta.get("citation")]
    else:  # compaction_delta: sets both content fields, as the SDK does
        block.body["content"] = delta.get("content")
        block.body["encrypted_content"] = delta.get("encrypted_content")


def _apply_message_delta(message: dict[str, Any], delta: dict[str, Any]) -> None:
    # SDK: stop_reason, stop_sequence and stop_details are set from every
    # message_delta; container only when not null; other keys are carried over.
    for key in _ALWAYS_SET:
        message[key] = delta.get(key)
    for key, value in delta.items():
        if key != "container" or value is not None:
            message[key] = value


def _apply_usage(message: dict[str, Any], usage: dict[str, Any]) -> None:
    # Facts §6.5: output_tokens is overwritten; other counts only when present and not null.
    total = message.get("usage")
    total = dict(total) if isinstance(total, dict) else {}
    total["output_tokens"] = usage.get("output_tokens")
    total.update((k, v) for k, v in usage.items() if v is not None)
    message["usage"] = total


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class StreamResult:
    """What ``check_stream`` found: framing and grammar findings, the Message, the events."""

    findings: list[Finding]
    message: dict[str, Any] | None
    events: int


EventCheck = Callable[[ServerSentEvent, dict[str, Any] | None, int], Iterable[Finding]]


def check_stream(
    chunks: bytes | Iterable[bytes], *, also: EventCheck | None = None
) -> StreamResult:
    """Decode and check a body chunk by chunk; ``also(event, payload, index)`` sees every
    event with its parsed payload (None when the data is not a JSON object) and adds
    per-event findings (e.g. JSON Schema validation) without parsing the payload twice."""
    decoder, checker = SSEDecoder(), StreamChecker()
    found: list[Finding] = []
    index = 0
    for chunk in [chunks] if isinstance(chunks, bytes | bytearray) else chunks:
        for event in decoder.feed(bytes(chunk)):
            payload, event_found = checker.feed(event, index)
            found += event_found
            if also is not None:
                found += also(event, payload, index)
            index += 1
    decoder.close()
    found += checker.close(truncated=decoder.truncated, invalid_utf8=decoder.invalid_utf8)
    return StreamResult(found, checker.message, index)

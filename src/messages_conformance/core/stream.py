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

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .accumulate import Block, accumulate, apply_message_delta, json_or_none
from .findings import Finding
from .framing import parse_event
from .payload import KIND, read_delta
from .sse import ServerSentEvent, SSEDecoder
from .stream_book import _DEFAULT_LIMIT, StreamBook
from .stream_rules import (
    AFTER_ERROR,
    AFTER_STOP,
    COMPLETE_BLOCKS,
    DELTA_CLOSED,
    DELTA_COMPLETE,
    DELTA_EARLY,
    DELTA_MISSING,
    DELTA_TARGETS,
    DELTA_TYPE,
    DUP_START,
    FIRST,
    INDEX,
    INTERLEAVED,
    STOP_REASON,
    STOP_UNOPENED,
    STREAMED_BLOCKS,
    TOOL_JSON,
    UNKNOWN,
)


class StreamChecker(StreamBook):
    """Checks the event grammar of one stream and accumulates its Message.

    Feed every decoded event in order (``feed``), or every parsed payload
    (``feed_payload``) when the caller parses; then call ``close()`` once.
    Each method returns the findings it produced. ``limit`` caps the findings of
    one rule per stream; ``close`` reports how many more were suppressed.
    """

    def __init__(self, *, limit: int = _DEFAULT_LIMIT) -> None:
        super().__init__(limit=limit)
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
        block = Block(dict(body) if isinstance(body, dict) else {}, -1, len(self._blocks))
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
            apply_message_delta(self._message, delta)
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

    def _apply_delta(self, block: Block, delta: dict[str, Any], index: int) -> list[Finding]:
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
        accumulate(block, kind, delta)
        return []

    def _finish_tool_input(self, block: Block, index: int) -> list[Finding]:
        # Facts §6.3: the concatenated partial_json parses into `input` at stop; an
        # empty concatenation keeps the start's input (SDKs skip parsing it).
        if block.type not in DELTA_TARGETS["input_json_delta"]:
            return []
        text = block.take()
        if not text:  # no fragments, or only "" (corpus 125: advisor with no input)
            return []
        value = json_or_none(text)
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


@dataclass(frozen=True, slots=True)
class StreamResult:
    """What ``check_stream`` found: framing and grammar findings, the Message, the events."""

    findings: list[Finding]
    message: dict[str, Any] | None
    events: int


EventCheck = Callable[[ServerSentEvent, dict[str, Any] | None, int], Iterable[Finding]]
_DELTA_HEAD = b"event: content_block_delta\ndata: "  # the one shape of a delta block on the wire


def check_stream(
    chunks: bytes | Iterable[bytes],
    *,
    also: EventCheck | None = None,
    on_delta: Callable[[int], object] | None = None,
) -> StreamResult:
    """Decode and check a body chunk by chunk; ``also(event, payload, index)`` sees every
    event with its parsed payload (None when the data is not a JSON object) and adds
    per-event findings (e.g. JSON Schema validation) without parsing the payload twice.

    The common ``content_block_delta`` (``payload.read_delta``: the schema's shape, so no
    schema check is needed) that the grammar accepts as it is (``feed_text_delta``) takes
    the fast path: no event object, no dict, no ``also``; ``on_delta(index)`` is told."""
    decoder, checker = SSEDecoder(), StreamChecker()
    found: list[Finding] = []
    index = 0
    head = len(_DELTA_HEAD)
    for chunk in [chunks] if isinstance(chunks, bytes | bytearray) else chunks:
        for block in decoder.feed_blocks(bytes(chunk)):
            if block.startswith(_DELTA_HEAD) and block.find(b"\n", head) < 0:
                read = read_delta(block[head:])
                if read is not None and checker.feed_text_delta(
                    read.index, KIND[type(read.delta)], read.delta.text
                ):
                    if on_delta is not None:
                        on_delta(index)
                    index += 1
                    continue
            event = decoder.parse_block(block)
            if event is None:
                continue
            payload, event_found = checker.feed(event, index)
            found += event_found
            if also is not None:
                found += also(event, payload, index)
            index += 1
    decoder.close()
    found += checker.close(truncated=decoder.truncated, invalid_utf8=decoder.invalid_utf8)
    return StreamResult(found, checker.message, index)

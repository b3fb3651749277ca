"""What one stream has shown so far (blocks, usage, findings per rule) and the checks that need
nothing more: usage never decreasing, the encoding, the ending, the cap of findings per rule."""

from __future__ import annotations

from typing import Any

from .accumulate import USAGE_COUNTS, Block, apply_usage
from .findings import Finding, Rule
from .stream_rules import (
    BLOCK_LATE,
    DELTA_TARGETS,
    EMPTY,
    INCOMPLETE,
    INPUT_ZERO,
    INVALID_UTF8,
    RULES,
    STOP_MISSING,
    UNCLOSED,
    USAGE_DOWN,
)

_DEFAULT_LIMIT = 20  # findings of one rule reported per stream before summarising


class StreamBook:
    """The state a stream checker keeps, and its bookkeeping checks."""

    def __init__(self, *, limit: int = _DEFAULT_LIMIT) -> None:
        self._limit = limit
        self._counts: dict[str, int] = {}
        self._message: dict[str, Any] | None = None
        self._blocks: list[Block] = []
        self._by_index: dict[int, Block] = {}
        self._open = 0
        self._usage: dict[str, Any] = {}  # the last usage seen, to check "never decreases"
        self._usage_where = ""
        self._events = 0
        self._deltas = 0  # message_delta events seen
        self._ended_by: str | None = None  # "message_stop" or "error"
        self.last_payload: dict[str, Any] | None = None

    def feed_text_delta(self, block_index: int, kind: str, text: str) -> bool:
        """The common content_block_delta, judged without a dict: a text, thinking or
        input_json delta (``kind``) appending ``text`` to the open block ``block_index``.
        True when the general path would find nothing either (after message_start, before
        any message_delta, the block open and of a type the delta fits): the event is
        counted and accumulated. False, with nothing changed, when it must go the general
        way (``StreamChecker.feed_payload``), which then reports what is wrong."""
        if self._message is None or self._ended_by is not None or self._deltas:
            return False
        block = self._by_index.get(block_index)
        if block is None or not block.open or block.type not in DELTA_TARGETS[kind]:
            return False
        self._events += 1
        block.append(text)
        return True

    def _input_zero(self, usage: dict[str, Any], index: int) -> list[Finding]:
        counts = [usage.get(key) for key in USAGE_COUNTS if key != "output_tokens"]
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
        apply_usage(self._message, usage)
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
        for key in USAGE_COUNTS:
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

    def _find_block(self, block_index: Any) -> Block | None:
        if type(block_index) is not int:
            return None
        return self._by_index.get(block_index)

    def _shut(self, block: Block) -> None:
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

"""Accumulating a streamed Message as the official SDKs do: blocks, deltas, usage."""

from __future__ import annotations

import json
from typing import Any

_APPENDED = {"text_delta": "text", "thinking_delta": "thinking", "input_json_delta": "partial_json"}
USAGE_COUNTS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)
_ALWAYS_SET = ("stop_reason", "stop_sequence", "stop_details")  # by every message_delta

_FOLD_AT = 4096


class Block:
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
        field = joined_field(self.type)
        if field is None or not (self.parts or self.folded):
            return dict(self.body)
        start = self.body.get(field)
        return {**self.body, field: (start if isinstance(start, str) else "") + self.joined()}


def joined_field(block_type: Any) -> str | None:
    if block_type == "text":
        return "text"
    return "thinking" if block_type == "thinking" else None


def accumulate(block: Block, kind: str, delta: dict[str, Any]) -> None:
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


def apply_message_delta(message: dict[str, Any], delta: dict[str, Any]) -> None:
    # SDK: stop_reason, stop_sequence and stop_details are set from every
    # message_delta; container only when not null; other keys are carried over.
    for key in _ALWAYS_SET:
        message[key] = delta.get(key)
    for key, value in delta.items():
        if key != "container" or value is not None:
            message[key] = value


def apply_usage(message: dict[str, Any], usage: dict[str, Any]) -> None:
    # Facts §6.5: output_tokens is overwritten; other counts only when present and not null.
    total = message.get("usage")
    total = dict(total) if isinstance(total, dict) else {}
    total["output_tokens"] = usage.get("output_tokens")
    total.update((k, v) for k, v in usage.items() if v is not None)
    message["usage"] = total


def json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None

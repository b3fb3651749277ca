"""Event payloads off the wire: JSON decoding in C, and typed shapes that vouch for the schema.

A long stream is mostly ``content_block_delta`` events carrying a text, thinking or
input_json delta. ``read_delta`` decodes such a payload straight into a typed value with
msgspec, which checks the shape while it parses. Each shape is at least as strict as the JSON
Schema of the event (``events/content_block_delta.json`` and ``deltas.json``): a payload
``read_delta`` accepts is one the schema accepts, so its schema check can be skipped. Anything
else (another event type, a float or negative index, a delta type not listed here, bad UTF-8,
JSON that does not parse) gives None, and the event goes the general way: ``parse_json``, the
JSON Schema, the grammar over the dict, which then say precisely what is wrong.

``parse_json`` gives exactly what ``json.loads`` gives (msgspec first; the standard library
for what msgspec refuses but Python's JSON reads: NaN, lone surrogates, huge exponents).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import msgspec

__all__ = ["BlockDelta", "parse_json", "read_delta"]


class _Text(msgspec.Struct, tag="text_delta", tag_field="type"):
    text: str


class _Thinking(msgspec.Struct, tag="thinking_delta", tag_field="type"):
    text: str = msgspec.field(name="thinking")


class _InputJson(msgspec.Struct, tag="input_json_delta", tag_field="type"):
    text: str = msgspec.field(name="partial_json")


class BlockDelta(msgspec.Struct):
    """A ``content_block_delta`` whose delta appends text to its block (the schema's shape)."""

    type: Literal["content_block_delta"]
    index: Annotated[int, msgspec.Meta(ge=0)]
    delta: _Text | _Thinking | _InputJson


KIND: dict[type, str] = {
    _Text: "text_delta",
    _Thinking: "thinking_delta",
    _InputJson: "input_json_delta",
}
_decode_delta = msgspec.json.Decoder(BlockDelta).decode
_decode_any = msgspec.json.Decoder().decode
_DecodeError = msgspec.DecodeError


def read_delta(data: bytes) -> BlockDelta | None:
    """The payload as a typed delta when it has exactly the common shape, else None."""
    try:
        return _decode_delta(data)
    except _DecodeError:
        return None


def parse_json(data: bytes | str) -> Any:
    """``json.loads(data)``, faster; raises ``ValueError`` where it would."""
    try:
        return _decode_any(data)
    except _DecodeError:
        return json.loads(data)

"""How much work one request may cost the gateway: bytes read, nesting followed, tool input
generated, time to send the headers. Each bound turns a tiny hostile request into a quick
error envelope instead of seconds of a blocked event loop and gigabytes of memory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

MAX_NESTING: Final = 64  # no Messages request nests deeper (facts §4: blocks in messages)
MAX_TOOL_INPUT: Final = 100_000  # characters / items a generated tool input may hold
HARD_READ_BYTES: Final = 64 * 1024 * 1024  # read at most this, even when a fault waives 413
HEADER_TIMEOUT_S: Final = 10.0  # a client must finish sending its request head by then


def nesting(value: Any, limit: int = MAX_NESTING) -> int:
    """How deep ``value`` nests (iteratively; stops counting past ``limit``)."""
    deepest = 0
    todo: list[tuple[Any, int]] = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = item.values() if isinstance(item, dict) else item
        todo += [(child, depth + 1) for child in children]
    return deepest


def input_size(schema: Mapping[str, Any], depth: int = 0) -> int:
    """At least how many characters / items the smallest input valid against ``schema``
    holds (what ``tool_input.minimal`` would build), without building it."""
    if depth > MAX_NESTING:
        return MAX_TOOL_INPUT + 1
    kind = schema.get("type")
    if kind == "string":
        return _count(schema.get("minLength"))
    if kind == "array":
        items = schema.get("items")
        each = input_size(items, depth + 1) if isinstance(items, Mapping) else 1
        return _count(schema.get("minItems")) * max(each, 1)
    if kind == "object":
        properties = schema.get("properties") or {}
        required = schema.get("required") or ()
        parts = [properties.get(name) for name in required if isinstance(name, str)]
        return 1 + sum(input_size(p, depth + 1) for p in parts if isinstance(p, Mapping))
    return 1


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(min(max(value, 0), MAX_TOOL_INPUT * 10))

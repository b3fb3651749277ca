"""Minimal valid tool input generated from a tool's `input_schema` (facts §4.7.1).

Required properties get a value; a value the prompt spells out (`city: Paris`,
`city="Paris"`) wins, then quoted strings in order, then a type-appropriate default.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

Schema = Mapping[str, Any]
QUOTED = re.compile(r"\"([^\"]+)\"|'([^']+)'")


def schema_value(schema: Schema, prompt: str) -> Any:
    """A value valid against `schema` (refs to `$defs` resolved), filled from `prompt`."""
    resolved = inline_refs(schema, schema)
    if _type(resolved) == "object":
        return tool_input(resolved, prompt)
    return minimal(resolved)


def inline_refs(schema: Any, root: Schema, depth: int = 0) -> Any:
    """`schema` with local `$ref`s replaced by their targets and the first `anyOf`/`oneOf`
    branch chosen (bounded depth: a recursive schema ends in `{}`)."""
    if depth > 16 or not isinstance(schema, Mapping):
        return schema if not isinstance(schema, Mapping) else {}
    if isinstance(schema.get("$ref"), str):
        return inline_refs(_target(schema["$ref"], root), root, depth + 1)
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            rest = {k: v for k, v in schema.items() if k != key}
            return inline_refs({**rest, **_first(branches)}, root, depth + 1)
    return {k: _inline_value(k, v, root, depth) for k, v in schema.items()}


def _first(branches: list[Any]) -> Schema:
    usable = [b for b in branches if isinstance(b, Mapping) and b.get("type") != "null"]
    return (usable or [b for b in branches if isinstance(b, Mapping)] or [{}])[0]


def _inline_value(key: str, value: Any, root: Schema, depth: int) -> Any:
    if key == "properties" and isinstance(value, Mapping):
        return {name: inline_refs(sub, root, depth + 1) for name, sub in value.items()}
    if key == "items" and isinstance(value, Mapping):
        return inline_refs(value, root, depth + 1)
    return value


def _target(ref: str, root: Schema) -> Any:
    node: Any = root
    for part in ref.removeprefix("#/").split("/") if ref.startswith("#/") else ["?"]:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def tool_input(schema: Schema, prompt: str) -> dict[str, Any]:
    """An object valid against `schema` (type object), filled from `prompt` where possible."""
    quoted = iter([a or b for a, b in QUOTED.findall(prompt)])
    properties = schema.get("properties") or {}
    return {
        name: _prompted(name, properties.get(name) or {}, prompt, quoted)
        for name in schema.get("required") or ()
    }


def _prompted(name: str, schema: Schema, prompt: str, quoted: Iterator[str]) -> Any:
    spelled = _spelled_value(name, prompt)
    if spelled is not None and _fits(spelled, schema):
        return _coerce(spelled, schema)
    if _type(schema) == "string" and not FIXED.intersection(schema):
        text = next(quoted, None)
        return text if text is not None and _fits(text, schema) else minimal(schema)
    return minimal(schema)


FIXED = frozenset({"enum", "const", "pattern", "format"})  # values a prompt's text may not fit


def _spelled_value(name: str, prompt: str) -> str | None:
    pattern = rf"\b{re.escape(name)}\s*[:=]\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s,;]+))"
    match = re.search(pattern, prompt)
    return None if match is None else next(g for g in match.groups() if g is not None)


def _fits(value: str, schema: Schema) -> bool:
    try:
        coerced = _coerce(value, schema)
    except (ValueError, KeyError):
        return False
    if isinstance(coerced, str) and (FIXED - {"enum"}).intersection(schema):
        return False
    if isinstance(coerced, str) and not _length_fits(coerced, schema):
        return False
    if isinstance(coerced, int | float) and not isinstance(coerced, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and coerced < low) or (high is not None and coerced > high):
            return False
    return "enum" not in schema or coerced in schema["enum"]


def _length_fits(text: str, schema: Schema) -> bool:
    return int(schema.get("minLength", 0)) <= len(text) <= int(schema.get("maxLength", len(text)))


def _coerce(value: str, schema: Schema) -> Any:
    kind = _type(schema)
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        return BOOLEANS[value.lower()]
    return value


BOOLEANS = {"true": True, "false": False}


def _type(schema: Schema) -> str:
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        return next((k for k in kind if k != "null"), "null")
    return str(kind)


def minimal(schema: Schema) -> Any:
    """The smallest value valid against `schema` (enum/const first, then by type)."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    return MINIMAL_BY_TYPE.get(_type(schema), _null)(schema)


FORMATS = {  # JSON Schema `format`s structured outputs support, each with a valid value
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "hostname": "example.com",
    "uri": "https://example.com/",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def _padded(schema: Schema) -> str:
    if schema.get("format") in FORMATS:
        return FORMATS[schema["format"]]
    low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 1 << 20))
    text = "example" if low <= 7 else "example" + "x" * (low - 7)
    return text[: max(high, low)]


def _number(schema: Schema) -> int | float:
    low: int | float = schema.get("minimum", schema.get("exclusiveMinimum", 0))
    value = max(low, 0) if "maximum" not in schema else min(max(low, 0), schema["maximum"])
    return value + 1 if "exclusiveMinimum" in schema and value <= low else value


def _integer(schema: Schema) -> int:
    return int(_number(schema))


def _array(schema: Schema) -> list[Any]:
    return [minimal(schema.get("items") or {}) for _ in range(int(schema.get("minItems", 0)))]


def _object(schema: Schema) -> dict[str, Any]:
    return tool_input(schema, "")


def _null(schema: Schema) -> None:
    return None


MINIMAL_BY_TYPE = {
    "string": _padded,
    "integer": _integer,
    "number": _number,
    "boolean": lambda schema: False,
    "array": _array,
    "object": _object,
    "null": _null,
}

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
    if _type(schema) == "string" and "enum" not in schema and "const" not in schema:
        return next(quoted, None) or minimal(schema)
    return minimal(schema)


def _spelled_value(name: str, prompt: str) -> str | None:
    pattern = rf"\b{re.escape(name)}\s*[:=]\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s,;]+))"
    match = re.search(pattern, prompt)
    return None if match is None else next(g for g in match.groups() if g is not None)


def _fits(value: str, schema: Schema) -> bool:
    try:
        coerced = _coerce(value, schema)
    except (ValueError, KeyError):
        return False
    return "enum" not in schema or coerced in schema["enum"]


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


def _padded(schema: Schema) -> str:
    length = int(schema.get("minLength", 0))
    return "example" if length <= 7 else "example" + "x" * (length - 7)


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

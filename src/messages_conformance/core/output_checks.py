"""Structured outputs (facts §4.10): with `output_config.format` (or the beta `output_format`)
of type json_schema, the answer's text is JSON valid against that schema."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from .findings import Finding
from .request_schemas import schema_errors
from .semantic_rules import OUTPUT_FORMAT, _dict

EARLY_STOPS = frozenset(
    {"max_tokens", "refusal", "tool_use", "pause_turn", "model_context_window_exceeded"}
)


def output_schema(request: Mapping[str, Any]) -> dict[str, Any] | None:
    """The JSON Schema the request asks the answer to follow, if it asks for one."""
    for output_format in (
        _dict(request.get("output_config")).get("format"),
        request.get("output_format"),
    ):
        if _dict(output_format).get("type") == "json_schema":
            schema = _dict(output_format).get("schema")
            return schema if isinstance(schema, dict) else None
    return None


def check_output_format(
    request: Mapping[str, Any], message: Mapping[str, Any]
) -> Iterator[Finding]:
    schema = output_schema(request)
    if schema is None or message.get("stop_reason") in EARLY_STOPS:
        return
    text = "".join(
        str(block.get("text", ""))
        for block in message.get("content") or []
        if isinstance(block, dict) and block.get("type") == "text"
    )
    try:
        value = json.loads(text)
    except ValueError as exc:
        yield OUTPUT_FORMAT.finding(
            f"the answer to a json_schema output format is not JSON: {exc}",
            location="/content",
            expected="JSON text valid against output_config.format.schema",
            received=text[:200],
        )
        return
    for error in schema_errors(schema, value)[:5]:
        pointer = "".join(f"/{part}" for part in error.absolute_path)
        yield OUTPUT_FORMAT.finding(
            f"the structured output does not match the schema: {error.message}",
            location=f"/content(json){pointer}",
            expected=error.schema if isinstance(error.schema, dict) else None,
            received=error.instance,
        )

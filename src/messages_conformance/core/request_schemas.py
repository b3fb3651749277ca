"""JSON Schemas that travel in a request (a tool's input_schema, an output format's schema),
applied to what the model answered. Broken schemas are the client's problem: never raise.
"""

from __future__ import annotations

import functools
import json
from typing import Any


@functools.lru_cache(maxsize=64)
def _validator(schema_json: str) -> Any:
    """A validator for one schema (compiled once per distinct schema), or None when the
    schema itself is broken."""
    from jsonschema import Draft202012Validator  # imported when a schema is applied

    schema = json.loads(schema_json)
    try:
        Draft202012Validator.check_schema(schema)
        return Draft202012Validator(schema)
    except Exception:  # SchemaError, bad regex, runaway recursion: never raise
        return None


def schema_errors(schema: dict[str, Any], value: Any) -> list[Any]:
    """The jsonschema errors of `value` against `schema` (none for a schema that is broken)."""
    try:
        validator = _validator(json.dumps(schema, sort_keys=True))
        return list(validator.iter_errors(value)) if validator is not None else []
    except Exception:  # unresolvable $ref, runaway recursion, unserializable schema: never raise
        return []

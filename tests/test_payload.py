"""The fast payload readers (core/payload.py) never disagree with json.loads or the schema."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from messages_conformance.core.payload import KIND, parse_json, read_delta
from messages_conformance.core.spec import Spec

SPEC = Spec.load()
FAST = settings(max_examples=300, deadline=None, derandomize=True, database=None)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def same(one: Any, two: Any) -> bool:
    if isinstance(one, float) and isinstance(two, float):
        return one == two or (math.isnan(one) and math.isnan(two))
    return type(one) is type(two) and one == two


@given(json_values)
@FAST
def test_parse_json_reads_what_json_loads_reads(value: Any) -> None:
    text = json.dumps(value)
    assert same(parse_json(text.encode()), json.loads(text))
    assert parse_json(text) == json.loads(text)


@given(st.binary(max_size=30) | st.sampled_from([b"NaN", b'"\\ud800"', b"1e400", b"[1,]", b"{"]))
@FAST
def test_parse_json_fails_where_json_loads_fails(data: bytes) -> None:
    try:
        expected: Any = json.loads(data)
    except ValueError:
        expected = ValueError
    try:
        got: Any = parse_json(data)
    except ValueError:
        got = ValueError
    assert got is expected or same(got, expected) or (got != got and expected != expected)


# Payloads near the common delta shape: right and wrong types, extra and missing fields.
near_values = st.one_of(
    st.integers(min_value=-2, max_value=3),
    st.sampled_from([0.0, 1.0, True, None, "0", 2**70]),
    st.text(max_size=3),
)
deltas = st.fixed_dictionaries(
    {"type": st.sampled_from([*KIND.values(), "signature_delta", "citations_delta", "x"])},
    optional={
        "text": near_values,
        "thinking": near_values,
        "partial_json": near_values,
        "extra": near_values,
    },
)
payloads = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["content_block_delta", "content_block_start", 1]),
        "index": near_values,
        "delta": deltas | near_values,
        "extra": near_values,
    },
)


@given(payloads)
@settings(max_examples=1500, deadline=None, derandomize=True, database=None)
def test_read_delta_vouches_only_for_what_the_schema_accepts(payload: dict[str, Any]) -> None:
    read = read_delta(json.dumps(payload).encode())
    if read is None:
        return
    assert SPEC.is_valid("event", payload), payload
    delta = payload["delta"]
    assert (read.index, KIND[type(read.delta)]) == (payload["index"], delta["type"])
    field = {"text_delta": "text", "thinking_delta": "thinking"}.get(delta["type"], "partial_json")
    assert read.delta.text == delta[field]


def test_read_delta_takes_the_common_shapes() -> None:
    for kind, field in (
        ("text_delta", "text"),
        ("thinking_delta", "thinking"),
        ("input_json_delta", "partial_json"),
    ):
        payload = {"type": "content_block_delta", "index": 2, "delta": {"type": kind, field: "é"}}
        read = read_delta(json.dumps(payload).encode())
        assert read is not None and (read.index, read.delta.text) == (2, "é")
        assert KIND[type(read.delta)] == kind
    assert (
        read_delta(b'{"type": "content_block_delta", "index": 0, "delta": {"type": "x"}}') is None
    )
    assert read_delta(b"\xff") is None

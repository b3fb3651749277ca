"""Why a request does not match its recording, said as a field: ``/max_tokens: 64 vs 65``.

vcrpy's "no match" report lists the matchers that failed with their messages; a body matcher
that only says the bodies differ leaves the reader diffing two JSON documents by eye.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["body_difference", "first_difference"]

_ABSENT = object()


def first_difference(one: Any, two: Any, pointer: str = "") -> tuple[str, Any, Any] | None:
    """The JSON pointer of the first place ``one`` and ``two`` differ, with both values there
    (``_ABSENT`` where a key or item is missing); None when they are equal."""
    if isinstance(one, dict) and isinstance(two, dict):
        for key in sorted(set(one) | set(two), key=str):
            inner = first_difference(
                one.get(key, _ABSENT), two.get(key, _ABSENT), f"{pointer}/{_escape(key)}"
            )
            if inner is not None:
                return inner
        return None
    if isinstance(one, list) and isinstance(two, list):
        for index in range(max(len(one), len(two))):
            left = one[index] if index < len(one) else _ABSENT
            right = two[index] if index < len(two) else _ABSENT
            inner = first_difference(left, right, f"{pointer}/{index}")
            if inner is not None:
                return inner
        return None
    if one == two and type(one) is type(two):
        return None
    return pointer or "/", one, two


def _escape(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _shown(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else f"{text[:37]}..."


def body_difference(one: bytes, two: bytes) -> str:
    """``bodies differ at /max_tokens: 64 vs 65`` (sent vs recorded), or, for bodies that are
    not both JSON, their sizes."""
    try:
        left, right = json.loads(one), json.loads(two)
    except ValueError:
        return f"bodies differ ({len(one)} vs {len(two)} bytes, not both JSON)"
    found = first_difference(left, right)
    if found is None:
        return "bodies differ in spacing or key order only"
    where, a, b = found
    return f"bodies differ at {where}: {_shown(a)} vs {_shown(b)}"

"""Differences between two JSON values: what was sent and what arrived, by JSON pointer.

Pure and exact: strings compare byte for byte, `true` is not `1`, key order does not matter,
and JSON's one number type makes `1` and `1.0` the same value.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final


class Change(StrEnum):
    DROPPED = "dropped"  # on the sending side only
    ADDED = "added"  # on the arriving side only
    CHANGED = "changed"  # on both, with another value


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final[Any] = _Missing()


@dataclass(frozen=True, slots=True)
class Difference:
    """One place where the two values differ; ``sent``/``arrived`` is MISSING on one side."""

    pointer: str
    change: Change
    sent: Any
    arrived: Any

    def parts(self) -> list[str]:
        """The pointer's reference tokens, unescaped."""
        if not self.pointer:
            return []
        return [p.replace("~1", "/").replace("~0", "~") for p in self.pointer[1:].split("/")]


def escape(token: str | int) -> str:
    """One JSON pointer reference token (RFC 6901 §3)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def same(one: Any, two: Any) -> bool:
    """JSON equality: exact strings, booleans apart from numbers, `1 == 1.0`."""
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    if isinstance(one, int | float) and isinstance(two, int | float):
        return one == two
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(same(one[k], two[k]) for k in one)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(same(a, b) for a, b in zip(one, two, strict=True))
    return type(one) is type(two) and one == two


def differences(sent: Any, arrived: Any, pointer: str = "") -> Iterator[Difference]:
    """Every leaf-most place where ``arrived`` differs from ``sent``, in document order."""
    if isinstance(sent, dict) and isinstance(arrived, dict):
        yield from _objects(sent, arrived, pointer)
    elif isinstance(sent, list) and isinstance(arrived, list):
        yield from _arrays(sent, arrived, pointer)
    elif not same(sent, arrived):
        yield Difference(pointer, Change.CHANGED, sent, arrived)


def _objects(sent: dict[str, Any], arrived: dict[str, Any], pointer: str) -> Iterator[Difference]:
    for key, value in sent.items():
        where = f"{pointer}/{escape(key)}"
        if key not in arrived:
            yield Difference(where, Change.DROPPED, value, MISSING)
        else:
            yield from differences(value, arrived[key], where)
    for key, value in arrived.items():
        if key not in sent:
            yield Difference(f"{pointer}/{escape(key)}", Change.ADDED, MISSING, value)


def _arrays(sent: list[Any], arrived: list[Any], pointer: str) -> Iterator[Difference]:
    """Element by element; one element dropped or added in between is named as that (the
    rest of the list is not reported as shifted)."""
    first = next(
        (i for i, (a, b) in enumerate(zip(sent, arrived, strict=False)) if not same(a, b)), None
    )
    at = min(len(sent), len(arrived)) if first is None else first
    if len(sent) == len(arrived) + 1 and same(sent[at + 1 :], arrived[at:]):
        yield Difference(f"{pointer}/{at}", Change.DROPPED, sent[at], MISSING)
        return
    if len(arrived) == len(sent) + 1 and same(sent[at:], arrived[at + 1 :]):
        yield Difference(f"{pointer}/{at}", Change.ADDED, MISSING, arrived[at])
        return
    for index, (one, two) in enumerate(zip(sent, arrived, strict=False)):
        yield from differences(one, two, f"{pointer}/{index}")
    for index in range(len(arrived), len(sent)):
        yield Difference(f"{pointer}/{index}", Change.DROPPED, sent[index], MISSING)
    for index in range(len(sent), len(arrived)):
        yield Difference(f"{pointer}/{index}", Change.ADDED, MISSING, arrived[index])


def at(document: Any, parts: list[str]) -> Any:
    """The value at a pointer's tokens, or MISSING."""
    for part in parts:
        if isinstance(document, dict) and part in document:
            document = document[part]
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return MISSING
    return document

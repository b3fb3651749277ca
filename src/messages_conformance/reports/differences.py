"""Differences between our schemas and upstream ones, found by walking two ``Shape`` trees.

Paths are JSON-pointer-like: ``*`` is an array item, ``[type=text]`` the variant of a union
discriminated by ``type``. Required-ness is not compared (see specdiff.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .shapes import Alternatives, Shape, Shapes, canon, ids

__all__ = ["KIND_TEXT", "MAX_DEPTH", "Comparison", "Difference"]

MAX_DEPTH = 24
KIND_TEXT: Mapping[str, str] = {
    "property-only-upstream": "property only upstream",
    "property-only-ours": "property only ours",
    "enum-only-upstream": "enum value only upstream",
    "enum-only-ours": "enum value only ours",
    "enum-closed-upstream": "upstream closes an enum ours leaves open",
    "enum-closed-ours": "ours closes an enum upstream leaves open",
    "type": "type differs",
    "schema-only-ours": "schema only ours",
    "schema-only-upstream": "schema only upstream",
}


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference. ``schema`` is ours (``message``, ``event:ping``); ``path`` is inside it."""

    schema: str
    path: str
    kind: str  # a key of KIND_TEXT
    ours: str | None = None
    upstream: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "schema": self.schema,
            "path": self.path,
            "kind": self.kind,
            "ours": self.ours,
            "upstream": self.upstream,
        }


class Comparison:
    """Walks our schema and the upstream one side by side (each pair of nodes once)."""

    def __init__(self, ours: Shapes, upstream: Shapes) -> None:
        self.ours, self.upstream = ours, upstream
        self.seen: set[Any] = set()

    def compare(
        self,
        schema: str,
        path: str,
        ours: Alternatives,
        up: Alternatives,
        depth: int = 0,
        skip: str | None = None,
    ) -> Iterator[Difference]:
        """Differences at ``path``; ``skip`` names a variant's discriminator (already compared)."""
        key = (ids(ours), ids(up), skip)
        if key in self.seen or depth > MAX_DEPTH:
            return
        self.seen.add(key)
        mine, theirs = self.ours.of(ours), self.upstream.of(up)
        yield from _type_difference(schema, path, mine, theirs)
        if mine.variants and theirs.variants:
            yield from self._variants(schema, path, mine, theirs, depth)
            return
        if not mine.null_only and not theirs.null_only:
            yield from _enum_differences(schema, path, mine.enum, theirs.enum)
        yield from self._properties(schema, path, mine, theirs, depth, skip)
        if mine.items and theirs.items:
            yield from self.compare(schema, f"{path}/*", mine.items, theirs.items, depth + 1)

    def _variants(
        self, schema: str, path: str, mine: Shape, theirs: Shape, depth: int
    ) -> Iterator[Difference]:
        name = mine.discriminator
        ours_v, up_v = mine.variants or {}, theirs.variants or {}
        where = f"{path}/{name}"
        yield from _enum_differences(schema, where, _canon_set(ours_v), _canon_set(up_v))
        for value in sorted(set(ours_v) & set(up_v)):
            variant = f"{path}[{name}={value}]"
            yield from self.compare(
                schema, variant, ours_v[value], up_v[value], depth + 1, skip=name
            )

    def _properties(
        self, schema: str, path: str, mine: Shape, theirs: Shape, depth: int, skip: str | None
    ) -> Iterator[Difference]:
        if not mine.properties or not theirs.properties:
            return  # one side names no properties at all: nothing to pair up
        for name in sorted(set(theirs.properties) - set(mine.properties)):
            yield Difference(schema, f"{path}/{_escape(name)}", "property-only-upstream")
        for name in sorted(set(mine.properties) - set(theirs.properties)):
            yield Difference(schema, f"{path}/{_escape(name)}", "property-only-ours")
        for name in sorted(set(mine.properties) & set(theirs.properties) - {skip}):
            where = f"{path}/{_escape(name)}"
            yield from self.compare(
                schema, where, mine.properties[name], theirs.properties[name], depth + 1
            )


def _canon_set(variants: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(canon(v) for v in variants)


def _type_difference(schema: str, path: str, mine: Shape, theirs: Shape) -> Iterator[Difference]:
    if mine.types is None or theirs.types is None:
        return  # one side does not say: not a difference we can name
    if _widen(mine.types) != _widen(theirs.types):
        yield Difference(schema, path, "type", _list(mine.types), _list(theirs.types))


def _widen(types: frozenset[str]) -> frozenset[str]:
    """``integer`` inside ``number`` is no difference (JSON Schema §6.1.1)."""
    return types - {"integer"} if "number" in types else types


def _enum_differences(
    schema: str, path: str, mine: frozenset[str] | None, theirs: frozenset[str] | None
) -> Iterator[Difference]:
    if mine is None and theirs is None:
        return
    if mine is None:
        shown = _list(theirs or frozenset())
        yield Difference(schema, path, "enum-closed-upstream", "(open)", shown)
        return
    if theirs is None:
        yield Difference(schema, path, "enum-closed-ours", _list(mine), "(open)")
        return
    for value in sorted(theirs - mine):
        yield Difference(schema, path, "enum-only-upstream", None, value)
    for value in sorted(mine - theirs):
        yield Difference(schema, path, "enum-only-ours", value, None)


def _list(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")

"""Shapes: what a JSON Schema allows, normalised so that two spellings of it compare equal.

Ours spells unions as ``allOf`` of ``if``/``then`` on a ``type`` const and nullables as
``if null / else``; Stainless as ``oneOf`` + ``discriminator`` and ``anyOf [X, null]``. Both
become a ``Shape``: types (with ``null``), enum values (without ``null``), properties, items
and discriminated variants (see specdiff.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .schema_walk import Node, Resolver, child

__all__ = [
    "DISCRIMINATOR",
    "Alternatives",
    "Group",
    "Shape",
    "Shapes",
    "canon",
    "ids",
]

DISCRIMINATOR = "type"
COMBINATORS = frozenset(
    {"$ref", "allOf", "anyOf", "oneOf", "if", "then", "else", "not", "discriminator"}
)


Group = tuple[Node, ...]  # nodes that all apply (allOf)
Alternatives = tuple[Group, ...]  # groups of which one applies (anyOf); () is "not said"
MAX_ALTERNATIVES = 64


@dataclass(slots=True)
class Shape:
    """What a schema allows, normalised: ``None`` means unconstrained.

    ``enum`` holds canonical JSON texts and never ``null`` (nullability is in ``types``).
    Properties and items are kept as alternatives of node groups and read lazily, so
    recursive schemas cost nothing until a comparison walks into them.
    """

    types: frozenset[str] | None = None
    enum: frozenset[str] | None = None
    properties: dict[str, Alternatives] = field(default_factory=dict)
    items: Alternatives = ()
    variants: dict[str, Alternatives] | None = None
    discriminator: str = DISCRIMINATOR

    @property
    def null_only(self) -> bool:
        return self.types == frozenset({"null"})


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def canon(value: Any) -> str:
    """``value`` as canonical JSON text (sorted keys): how enum values are compared."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _all(parts: Sequence[Shape]) -> Shape:
    """Every part applies (``allOf``, ``$ref`` beside keywords): constraints intersect."""
    out = Shape()
    for part in parts:
        out.types = _meet(out.types, part.types)
        out.enum = _meet(out.enum, part.enum)
        for name, alternatives in part.properties.items():
            out.properties[name] = _both(out.properties.get(name, ()), alternatives)
        out.items = _both(out.items, part.items)
        _take_variants(out, part)
    return out


def _any(parts: Sequence[Shape]) -> Shape:
    """One part applies (``anyOf``/``oneOf``/``if``-``else``): constraints unite."""
    if not parts:
        return Shape()
    out = Shape(types=frozenset())
    enums = [p.enum for p in parts if not p.null_only]
    out.enum = None if not enums or None in enums else frozenset().union(*enums)  # type: ignore[arg-type]
    for part in parts:
        out.types = None if out.types is None or part.types is None else out.types | part.types
        for name, alternatives in part.properties.items():
            out.properties[name] = out.properties.get(name, ()) + alternatives
        out.items += part.items
        _take_variants(out, part)
    return out


def _both(a: Alternatives, b: Alternatives) -> Alternatives:
    """Alternatives of ``a`` and ``b`` together: every pairing (bounded)."""
    if not a or not b:
        return a or b
    return tuple(x + y for x in a for y in b)[:MAX_ALTERNATIVES]


def _meet(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    if "number" in a and "integer" in b:  # integer is a number (JSON Schema §6.1.1)
        a = a | {"integer"}
    if "number" in b and "integer" in a:
        b = b | {"integer"}
    return a & b


def _take_variants(out: Shape, part: Shape) -> None:
    if part.variants:
        out.variants = {**(out.variants or {}), **part.variants}
        out.discriminator = part.discriminator


class Shapes:
    """Builds (and caches) the ``Shape`` of nodes read through one ``Resolver``."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._cache: dict[tuple[tuple[int, ...], ...], Shape] = {}
        self._stripped: dict[int, Node] = {}
        self._active: set[int] = set()  # nodes being built (a $ref cycle reads as {})
        self._unions: set[int] = set()  # nodes whose variants are being found

    def of(self, alternatives: Alternatives) -> Shape:
        """The shape of alternatives of node groups (see ``Alternatives``)."""
        key = ids(alternatives)
        if key not in self._cache:
            shapes = [_all([self._node(n) for n in group]) for group in alternatives]
            self._cache[key] = shapes[0] if len(shapes) == 1 else _any(shapes)
        return self._cache[key]

    def _node(self, node: Node) -> Shape:
        if id(node.schema) in self._active:
            return Shape()
        self._active.add(id(node.schema))
        try:
            return self._build(node)
        finally:
            self._active.discard(id(node.schema))

    def _build(self, node: Node) -> Shape:
        schema = node.schema
        parts = [_own(node)]
        if "$ref" in schema:
            parts.append(self._node(self.resolver.follow(node)))
        plain, switches = _split_all_of(schema.get("allOf", []))
        parts.extend(self._node(child(node, sub)) for sub in plain)
        alternatives = [self._node(child(node, sw["then"])) for sw in switches if "then" in sw]
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                alternatives_of = [self._node(child(node, sub)) for sub in schema[key]]
                parts.append(_any(alternatives_of))
        if "if" in schema:
            parts.append(self._conditional(node))
        if alternatives:
            parts.append(_any(alternatives))
        shape = _all(parts)
        shape.variants = self.variants(node)
        if shape.variants is not None:
            shape.discriminator = _discriminator_name(schema)
        return shape

    def _conditional(self, node: Node) -> Shape:
        schema = node.schema
        then = self._node(child(node, schema["then"])) if "then" in schema else Shape()
        other = self._node(child(node, schema["else"])) if "else" in schema else Shape()
        if _is_null_check(schema["if"]):  # `if null then … else X`: null or X
            return _any([_all([Shape(types=frozenset({"null"})), then]), other])
        return _any([then, other])

    # -- discriminated unions ------------------------------------------------------------

    def variants(self, node: Node) -> dict[str, Alternatives] | None:
        """Discriminator value -> nodes of that variant, or None when ``node`` is no union."""
        if id(node.schema) in self._unions:
            return None
        self._unions.add(id(node.schema))
        try:
            return self._variants(node)
        finally:
            self._unions.discard(id(node.schema))

    def _variants(self, node: Node) -> dict[str, Alternatives] | None:
        schema = node.schema
        found: dict[str, Alternatives] = {}
        _, switches = _split_all_of(schema.get("allOf", []))
        for switch in switches:
            value = _switch_value(switch["if"])
            if value is not None and "then" in switch:
                found[value] = ((self._strip(node), child(node, switch["then"])),)
        branches = [child(node, sub) for key in ("anyOf", "oneOf") for sub in schema.get(key, [])]
        if "if" in schema and not _is_null_check(schema["if"]):
            branches += [child(node, schema[k]) for k in ("then", "else") if k in schema]
        keyed = self._keyed(branches)
        if keyed is not None:
            found.update(keyed)
        if not found and "$ref" in schema:
            return self.variants(self.resolver.follow(node))
        return found or None

    def _keyed(self, branches: list[Node]) -> dict[str, Alternatives] | None:
        found: dict[str, Alternatives] = {}
        for branch in branches:
            if self._node(branch).null_only:
                continue
            nested = self.variants(branch)
            keys = self._keys(branch) if nested is None else None
            if nested is None and not keys:
                return None  # a branch without a discriminator: not a discriminated union
            found.update(nested or {key: ((branch,),) for key in keys or ()})
        return found or None

    def _keys(self, branch: Node) -> list[str]:
        alternatives = self._node(branch).properties.get(DISCRIMINATOR)
        enum = self.of(alternatives).enum if alternatives else None
        return sorted(str(json.loads(v)) for v in enum or ())

    def _strip(self, node: Node) -> Node:
        """``node`` without its union keywords: what every variant shares."""
        key = id(node.schema)
        if key not in self._stripped:
            rest = {k: v for k, v in node.schema.items() if k not in COMBINATORS}
            self._stripped[key] = Node(rest, node.base)
        return self._stripped[key]


def _own(node: Node) -> Shape:
    schema = node.schema
    shape = Shape(types=_types(schema), enum=_enum(schema))
    for name, sub in (schema.get("properties") or {}).items():
        shape.properties[str(name)] = ((child(node, sub),),)
    items = [schema["items"]] if isinstance(schema.get("items"), Mapping | bool) else []
    items += schema.get("prefixItems", [])
    shape.items = tuple((child(node, sub),) for sub in items)
    return shape


def ids(alternatives: Alternatives) -> tuple[tuple[int, ...], ...]:
    """A hashable key for alternatives: the identity of each node's schema."""
    return tuple(tuple(id(n.schema) for n in group) for group in alternatives)


def _types(schema: Mapping[str, Any]) -> frozenset[str] | None:
    declared = schema.get("type")
    if isinstance(declared, str):
        types = frozenset({declared})
    elif isinstance(declared, list):
        types = frozenset(str(t) for t in declared)
    elif "const" in schema:
        types = frozenset({_json_type(schema["const"])})
    elif isinstance(schema.get("enum"), list):
        types = frozenset(_json_type(v) for v in schema["enum"])
    else:
        return None
    return types | {"null"} if schema.get("nullable") is True else types  # OpenAPI 3.0


def _enum(schema: Mapping[str, Any]) -> frozenset[str] | None:
    if "const" in schema:
        values = [schema["const"]]
    elif isinstance(schema.get("enum"), list):
        values = schema["enum"]
    else:
        return None
    return frozenset(canon(v) for v in values if v is not None)


def _split_all_of(parts: Any) -> tuple[list[Any], list[Mapping[str, Any]]]:
    """``allOf`` entries: plain subschemas, and ``if type == X then …`` switches."""
    plain: list[Any] = []
    switches: list[Mapping[str, Any]] = []
    for part in parts if isinstance(parts, list) else []:
        is_switch = isinstance(part, Mapping) and _switch_value(part.get("if")) is not None
        (switches if is_switch else plain).append(part)
    return plain, switches


def _switch_value(condition: Any) -> str | None:
    """``X`` for an ``if`` of the form ``{properties: {type: {const: X}}}``."""
    if not isinstance(condition, Mapping):
        return None
    prop = (condition.get("properties") or {}).get(DISCRIMINATOR)
    if isinstance(prop, Mapping) and isinstance(prop.get("const"), str):
        return str(prop["const"])
    return None


def _is_null_check(condition: Any) -> bool:
    return isinstance(condition, Mapping) and condition.get("type") == "null"


def _discriminator_name(schema: Mapping[str, Any]) -> str:
    found = schema.get("discriminator")
    if isinstance(found, Mapping) and isinstance(found.get("propertyName"), str):
        return str(found["propertyName"])
    return DISCRIMINATOR

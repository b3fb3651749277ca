"""Spec diff: ``mconf spec-diff UPSTREAM_OPENAPI [--format markdown|json]``.

Compares our schemas (``spec/schemas``) with an upstream OpenAPI document (the official
Stainless spec, or any subset of it) and lists what differs: properties only one side names,
enum values only one side allows, enums one side closes and the other leaves open, and type
differences, at JSON-pointer-like paths (``/content/*[type=text]/citations``: ``*`` is an array
item, ``[type=text]`` the variant of a union discriminated by ``type``).

The two sides spell the same thing differently (ours: ``allOf`` of ``if``/``then`` on a
``type`` const and ``if null / else``; Stainless: ``oneOf`` + ``discriminator`` and
``anyOf [X, null]``), so both are normalised into ``Shape`` s first: types (with ``null``),
enum values (without ``null``), properties, items and discriminated variants. Required-ness
is not compared: our response schemas are wire-tolerant on purpose (facts §9, item 2).

Exit codes: 0 identical, 1 differences, 2 unusable input (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urldefrag, urljoin

import yaml

from ..core.spec import EVENT_TYPES, Spec

__all__ = [
    "Difference",
    "Node",
    "Resolver",
    "Shape",
    "Shapes",
    "UnusableUpstream",
    "compare_specs",
    "load_upstream",
    "render_markdown",
    "specdiff_main",
    "to_json",
]

UPSTREAM_BASE = "https://upstream.invalid/openapi.json"
DISCRIMINATOR = "type"
MAX_DEPTH = 24
COMBINATORS = frozenset(
    {"$ref", "allOf", "anyOf", "oneOf", "if", "then", "else", "not", "discriminator"}
)
# Our top-level schemas and the upstream component each one maps to (events: see _pairs).
TOP_LEVEL: tuple[tuple[str, str, str], ...] = (
    ("request", "request.json", "CreateMessageParams"),
    ("message", "message.json", "Message"),
    ("error", "error.json", "ErrorResponse"),
)
EVENT_NAMES: Mapping[str, str] = {
    "message_start": "MessageStartEvent",
    "content_block_start": "ContentBlockStartEvent",
    "content_block_delta": "ContentBlockDeltaEvent",
    "content_block_stop": "ContentBlockStopEvent",
    "message_delta": "MessageDeltaEvent",
    "message_stop": "MessageStopEvent",
    "ping": "Ping",
    "error": "ErrorEvent",
}
UPSTREAM_UNION = "MessageStreamEvent"
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


class UnusableUpstream(Exception):
    """The upstream document cannot be read as OpenAPI with components.schemas (one line)."""


# --------------------------------------------------------------------------- resolving


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """A subschema and the URI of the document that holds it (for relative ``$ref`` s)."""

    schema: Mapping[str, Any]
    base: str


class Resolver:
    """Follows ``$ref`` across a set of documents keyed by URI (RFC 3986 joins, RFC 6901)."""

    def __init__(self, documents: Mapping[str, Any]) -> None:
        self.documents = documents
        self.missing: set[str] = set()  # refs that point nowhere; their target reads as {}

    @classmethod
    def for_spec(cls, spec: Spec) -> Resolver:
        return cls({str(s.get("$id", name)): s for name, s in spec.schemas.items()})

    def node(self, uri: str) -> Node:
        """The node at an absolute URI with an optional JSON-pointer fragment."""
        doc_uri, fragment = urldefrag(uri)
        target: Any = self.documents.get(doc_uri)
        for part in fragment.lstrip("/").split("/") if fragment else []:
            key = unquote(part).replace("~1", "/").replace("~0", "~")
            target = _step(target, key)
        if not isinstance(target, Mapping):
            self.missing.add(uri)
            return Node(_boolean_schema(target), doc_uri)
        return Node(target, doc_uri)

    def follow(self, node: Node) -> Node:
        """The target of ``node``'s ``$ref``."""
        return self.node(urljoin(node.base, str(node.schema["$ref"])))


def _step(target: Any, key: str) -> Any:
    if isinstance(target, Mapping):
        return target.get(key)
    if isinstance(target, list) and key.isdigit() and int(key) < len(target):
        return target[int(key)]
    return None


def _boolean_schema(value: Any) -> Mapping[str, Any]:
    return {"not": {}} if value is False else {}


def child(parent: Node, schema: Any) -> Node:
    """A subschema of ``parent`` (same base); ``true``/``false`` become ``{}``/``{not: {}}``."""
    return Node(schema if isinstance(schema, Mapping) else _boolean_schema(schema), parent.base)


# --------------------------------------------------------------------------- shapes


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


def _canon(value: Any) -> str:
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
        key = _ids(alternatives)
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


def _ids(alternatives: Alternatives) -> tuple[tuple[int, ...], ...]:
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
    return frozenset(_canon(v) for v in values if v is not None)


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


# --------------------------------------------------------------------------- comparing


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


class _Comparison:
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
        key = (_ids(ours), _ids(up), skip)
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
    return frozenset(_canon(v) for v in variants)


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


# --------------------------------------------------------------------------- top level


def load_upstream(path: Path) -> dict[str, Any]:
    """An OpenAPI document (JSON or YAML) with ``components.schemas``; else UnusableUpstream."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UnusableUpstream(f"{path}: cannot read the file ({problem})") from None
    try:
        doc = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnusableUpstream(f"{path}: not valid JSON or YAML ({first})") from None
    components = doc.get("components") if isinstance(doc, dict) else None
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if not isinstance(doc, dict) or not isinstance(schemas, dict) or not schemas:
        raise UnusableUpstream(
            f"{path}: no components.schemas; give an OpenAPI document such as the official "
            "Stainless spec"
        )
    return doc


def compare_specs(upstream: Mapping[str, Any], spec: Spec | None = None) -> list[Difference]:
    """Every difference between our top-level schemas and ``upstream``'s, in a stable order."""
    spec = spec or Spec.load()
    ours_res, up_res = Resolver.for_spec(spec), Resolver({UPSTREAM_BASE: upstream})
    ours, theirs = Shapes(ours_res), Shapes(up_res)
    comparison = _Comparison(ours, theirs)
    found: list[Difference] = []
    for schema, our_uri, up_nodes in _pairs(spec, up_res, theirs):
        our_node = ours_res.node(our_uri)
        if up_nodes is None:
            found.append(Difference(schema, "", "schema-only-ours"))
            continue
        found.extend(comparison.compare(schema, "", ((our_node,),), up_nodes))
    found.extend(_upstream_only_events(up_res, theirs))
    return _collapse(found)


_VARIANT = re.compile(r"\[([^=\]]+)=([^\]]*)\]")
_KIND_ORDER = {kind: i for i, kind in enumerate(KIND_TEXT)}


def _collapse(found: list[Difference]) -> list[Difference]:
    """Sort by schema, path, kind; merge rows that differ only in one variant's value
    (``/tools/*[type=a|b]/allowed_callers/*``: the same difference in several variants)."""
    schemas = list(dict.fromkeys(d.schema for d in found))
    groups: dict[tuple[str | None, ...], list[Difference]] = {}
    for d in found:
        shape = _VARIANT.sub(lambda m: f"[{m.group(1)}=]", d.path)
        groups.setdefault((d.schema, shape, d.kind, d.ours, d.upstream), []).append(d)
    merged = [m for group in groups.values() for m in _merge(group)]
    return sorted(
        merged,
        key=lambda d: (
            schemas.index(d.schema),
            d.path,
            _KIND_ORDER[d.kind],
            d.ours or "",
            d.upstream or "",
        ),
    )


def _merge(group: list[Difference]) -> list[Difference]:
    values = [[m.group(2) for m in _VARIANT.finditer(d.path)] for d in group]
    varying = [i for i in range(len(values[0])) if len({v[i] for v in values}) > 1]
    if len(group) == 1 or len(varying) != 1:
        return group
    position, first = varying[0], group[0]
    joined = "|".join(sorted({v[position] for v in values}))
    matches = list(_VARIANT.finditer(first.path))
    hit = matches[position]
    path = f"{first.path[: hit.start(2)]}{joined}{first.path[hit.end(2) :]}"
    return [Difference(first.schema, path, first.kind, first.ours, first.upstream)]


def _pairs(
    spec: Spec, up_res: Resolver, theirs: Shapes
) -> Iterator[tuple[str, str, Alternatives | None]]:
    base = _our_base(spec)
    for schema, file, name in TOP_LEVEL:
        yield schema, base + file, _component(up_res, name)
    events = _upstream_events(up_res, theirs)
    for event in EVENT_TYPES:
        nodes = events.get(event) or _component(up_res, EVENT_NAMES[event])
        yield f"event:{event}", f"{base}events/{event}.json", nodes


def _our_base(spec: Spec) -> str:
    message_id = str(spec.schema("message.json").get("$id", "message.json"))
    return message_id.removesuffix("message.json")


def _component(resolver: Resolver, name: str) -> Alternatives | None:
    schemas = resolver.documents[UPSTREAM_BASE]["components"]["schemas"]
    if name not in schemas:
        return None
    return ((resolver.node(f"{UPSTREAM_BASE}#/components/schemas/{name}"),),)


def _upstream_events(resolver: Resolver, shapes: Shapes) -> dict[str, Alternatives]:
    union = _component(resolver, UPSTREAM_UNION)
    return (shapes.variants(union[0][0]) or {}) if union else {}


def _upstream_only_events(resolver: Resolver, shapes: Shapes) -> Iterator[Difference]:
    for event in sorted(set(_upstream_events(resolver, shapes)) - set(EVENT_TYPES)):
        yield Difference(f"event:{event}", "", "schema-only-upstream")


# --------------------------------------------------------------------------- output


def to_json(differences: Sequence[Difference], upstream: str) -> dict[str, Any]:
    return {
        "upstream": upstream,
        "identical": not differences,
        "counts": _counts(differences),
        "differences": [d.to_dict() for d in differences],
    }


def _counts(differences: Sequence[Difference]) -> dict[str, int]:
    counts = dict.fromkeys(KIND_TEXT, 0)
    for difference in differences:
        counts[difference.kind] += 1
    return counts


def render_markdown(differences: Sequence[Difference], upstream: str) -> str:
    lines = [f"# Spec diff: ours vs {upstream}", ""]
    if not differences:
        return "\n".join([*lines, "No differences.", ""])
    counts = ", ".join(f"{n} {KIND_TEXT[k]}" for k, n in _counts(differences).items() if n)
    lines += [f"{len(differences)} difference(s): {counts}.", ""]
    for schema in dict.fromkeys(d.schema for d in differences):
        lines += [
            f"## {schema}",
            "",
            "| path | difference | ours | upstream |",
            "|---|---|---|---|",
        ]
        lines += [_row(d) for d in differences if d.schema == schema]
        lines.append("")
    return "\n".join(lines)


def _row(difference: Difference) -> str:
    path = _cell(difference.path or "(whole schema)")
    values = (_cell(difference.ours or ""), _cell(difference.upstream or ""))
    return f"| {path} | {KIND_TEXT[difference.kind]} | {values[0]} | {values[1]} |"


def _cell(value: str) -> str:
    """Inline code in a Markdown table cell (``|`` escaped: GFM splits cells on it)."""
    return f"`{value}`".replace("|", "\\|") if value else ""


def _label(doc: Mapping[str, Any], path: Path) -> str:
    info = doc.get("info") if isinstance(doc.get("info"), Mapping) else {}
    version = f" ({info['version']})" if isinstance(info, Mapping) and info.get("version") else ""
    return f"{path.name}{version}"


def _our_spec(folder: Path | None) -> Spec:
    if folder is not None and not (folder / "schemas").is_dir():
        raise UnusableUpstream(f"{folder}: no schemas/ folder; give a spec folder like spec/")
    try:
        return Spec.load(folder)
    except (OSError, ValueError, KeyError) as exc:
        raise UnusableUpstream(f"{folder}: cannot load the spec ({exc})") from None


def specdiff_main(argv: Sequence[str], stdout: IO[str], stderr: IO[str] | None = None) -> int:
    """``mconf spec-diff UPSTREAM [--format markdown|json]``: 0 same, 1 differences, 2 unusable."""
    err = stderr or sys.stderr
    parser = argparse.ArgumentParser(
        prog="mconf spec-diff", description="Compare our schemas with an upstream OpenAPI document."
    )
    parser.add_argument("upstream", type=Path, help="upstream OpenAPI document (JSON or YAML)")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--spec-dir", type=Path, help="our spec folder (default: spec/)")
    try:
        args = parser.parse_args(list(argv))
        upstream = load_upstream(args.upstream)
        spec = _our_spec(args.spec_dir)
    except SystemExit as exc:
        return int(exc.code or 0)
    except UnusableUpstream as exc:
        print(f"mconf spec-diff: error: {exc}", file=err)
        return 2
    differences = compare_specs(upstream, spec)
    label = _label(upstream, args.upstream)
    if args.format == "json":
        stdout.write(json.dumps(to_json(differences, label), indent=2) + "\n")
    else:
        stdout.write(render_markdown(differences, label))
    return 1 if differences else 0

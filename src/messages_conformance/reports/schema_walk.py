"""Walking JSON Schema trees: ``$ref`` across documents, and the subschemas that apply to a value.

``Node`` (a subschema and the URI of its document), ``Resolver`` (follows ``$ref`` s) and
``child`` are the tree both spec-diff (shapes.py) and drift (sightings.py) walk. ``SchemaWalk``
is drift's value-guided walk: which subschemas constrain a value, and which keys they declare.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

from ..core.spec import Spec

__all__ = ["MAX_DEPTH", "Node", "Resolver", "SchemaWalk", "child", "json_equal"]

MAX_DEPTH = 64


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


# --------------------------------------------------------------------------- values


def _type_ok(expected: Any, value: Any) -> bool:
    names = expected if isinstance(expected, list) else [expected]
    return any(_is_type(str(name), value) for name in names)


def _is_type(name: str, value: Any) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    kinds: Mapping[str, type | tuple[type, ...]] = {
        "string": str,
        "boolean": bool,
        "object": dict,
        "array": list,
        "null": type(None),
    }
    return isinstance(value, kinds.get(name, object))


class SchemaWalk:
    """Which subschemas apply to a value, and what they declare (read-only, no findings)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    def applicable(self, nodes: Iterable[Node], value: Any) -> list[Node]:
        """Every node that constrains ``value``: refs, allOf, matching branches, if/then."""
        found: list[Node] = []
        seen: set[int] = set()
        for node in nodes:
            self._expand(node, value, found, seen)
        return found

    def _expand(self, node: Node, value: Any, found: list[Node], seen: set[int]) -> None:
        if id(node.schema) in seen or len(seen) > 4096:
            return
        seen.add(id(node.schema))
        found.append(node)
        for sub in self._parts(node, value):
            self._expand(sub, value, found, seen)

    def _parts(self, node: Node, value: Any) -> Iterator[Node]:
        schema = node.schema
        if "$ref" in schema:
            yield self.resolver.follow(node)
        yield from (child(node, sub) for sub in schema.get("allOf", []))
        for key in ("anyOf", "oneOf"):
            branches = [child(node, sub) for sub in schema.get(key, [])]
            matching = [b for b in branches if self.matches(b, value)]
            yield from matching or branches  # none matches: every branch may name the keys
        if "if" in schema:
            chosen = "then" if self.matches(child(node, schema["if"]), value) else "else"
            if chosen in schema:
                yield child(node, schema[chosen])

    def matches(self, node: Node, value: Any, depth: int = 0) -> bool:
        """A small validator for branch selection: type, const, enum, required, properties,
        not, $ref and the combinators; other keywords are assumed to hold."""
        schema = node.schema
        if depth > MAX_DEPTH:
            return True
        if "$ref" in schema and not self.matches(self.resolver.follow(node), value, depth + 1):
            return False
        if not _local_ok(schema, value):
            return False
        if "not" in schema and self.matches(child(node, schema["not"]), value, depth + 1):
            return False
        if isinstance(value, dict) and not self._properties_ok(node, value, depth):
            return False
        subs = [child(node, s) for s in schema.get("allOf", [])]
        if not all(self.matches(s, value, depth + 1) for s in subs):
            return False
        return all(
            any(self.matches(child(node, s), value, depth + 1) for s in schema[key])
            for key in ("anyOf", "oneOf")
            if schema.get(key)
        )

    def _properties_ok(self, node: Node, value: dict[str, Any], depth: int) -> bool:
        props = node.schema.get("properties") or {}
        return all(
            self.matches(child(node, sub), value[name], depth + 1)
            for name, sub in props.items()
            if name in value
        )

    def declared(self, nodes: Iterable[Node], key: str) -> list[Node] | None:
        """The subschemas declaring object key ``key``, or None when none names it."""
        found: list[Node] = []
        for node in nodes:
            schema = node.schema
            props = schema.get("properties") or {}
            if key in props:
                found.append(child(node, props[key]))
            for pattern, sub in (schema.get("patternProperties") or {}).items():
                if re.search(pattern, key):
                    found.append(child(node, sub))
            extra = schema.get("additionalProperties")
            if isinstance(extra, Mapping) and extra and key not in props:
                found.append(child(node, extra))
        return found or None

    def items(self, nodes: Iterable[Node], index: int) -> list[Node]:
        found: list[Node] = []
        for node in nodes:
            prefix = node.schema.get("prefixItems") or []
            if index < len(prefix):
                found.append(child(node, prefix[index]))
            elif isinstance(node.schema.get("items"), Mapping):
                found.append(child(node, node.schema["items"]))
        return found


def _local_ok(schema: Mapping[str, Any], value: Any) -> bool:
    if "type" in schema and not _type_ok(schema["type"], value):
        return False
    if "const" in schema and not json_equal(schema["const"], value):
        return False
    if isinstance(schema.get("enum"), list) and not any(
        json_equal(v, value) for v in schema["enum"]
    ):
        return False
    required = schema.get("required")
    return not (isinstance(value, dict) and isinstance(required, list)) or all(
        name in value for name in required
    )


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, but ``1`` is ``1.0``."""
    if _is_type("number", a) and _is_type("number", b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)

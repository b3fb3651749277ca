"""Drift from recorded traffic: ``mconf drift RECORDING... [--format text|json]``.

Lists what real responses carry that our spec does not name, with a count (exchanges it was
seen in) and the first exchange that showed it (``file#index`` for cassettes):

* response JSON **field paths** no schema declares: the Message, the error envelope and each
  SSE event payload are walked together with their schema (``$ref`` across ``spec/schemas``,
  ``allOf``, the ``anyOf``/``oneOf`` branches the value matches, ``if``/``then``/``else``).
  A key is declared only when a ``properties`` / ``patternProperties`` entry or an
  ``additionalProperties`` *schema* names it; ``additionalProperties: true`` or absent does
  not declare anything (the point is what our spec does not name). Array items are ``*``:
  ``/content/*/citations``. Below an undeclared key nothing more is listed;
* **SSE event types** outside the spec's (facts §6.1: clients must ignore unknown events);
* **response header names** outside the OpenAPI response headers and ``STANDARD_HEADERS``;
* **values** of enum-like fields outside the spec's enums (stop_reason, content block type,
  delta type, error type, ...: every ``enum`` met on the walk, named by its schema ``title``),
  and of fields the spec leaves open on purpose but whose documented values are known
  (``OPEN_ENUMS``, e.g. ``usage.service_tier``).

Drift is a notice, never a failure: the exit status is 0 whenever the inputs are usable, 2
(one line on stderr) when one is not.
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

import yaml

from ..core.check import body_kind
from ..core.exchange import Exchange
from ..core.spec import EVENT_TYPES, Spec
from ..core.sse import decode
from ..recordings.cassette import UnusableInput, load_exchanges
from .specdiff import Node, Resolver, child

__all__ = [
    "KINDS",
    "OPEN_ENUMS",
    "STANDARD_HEADERS",
    "DriftReport",
    "SchemaWalk",
    "Sighting",
    "drift_main",
    "find_drift",
    "known_headers",
    "recordings",
    "render_text",
    "to_json",
]

KINDS = ("field", "event", "header", "value")
KIND_TITLES: Mapping[str, str] = {
    "field": "Undeclared response fields",
    "event": "Unknown SSE event types",
    "header": "Undeclared response headers",
    "value": "Values outside the spec's enums",
}
RECORDING_SUFFIXES = (".yaml", ".yml", ".json", ".sse")

# Infrastructure headers any HTTP server, proxy or CDN may add (RFC 9110/9111/9112, W3C
# trace context, HSTS/CSP, Cloudflare, Envoy, Google front ends). Anything else that the
# OpenAPI document does not list is drift.
STANDARD_HEADERS = frozenset(
    {
        "accept-ranges",
        "access-control-allow-credentials",
        "access-control-allow-headers",
        "access-control-allow-methods",
        "access-control-allow-origin",
        "access-control-expose-headers",
        "access-control-max-age",
        "age",
        "alt-svc",
        "cache-control",
        "connection",
        "content-encoding",
        "content-language",
        "content-length",
        "content-security-policy",
        "content-type",
        "date",
        "etag",
        "expires",
        "keep-alive",
        "last-modified",
        "nel",
        "pragma",
        "referrer-policy",
        "report-to",
        "server",
        "server-timing",
        "set-cookie",
        "strict-transport-security",
        "timing-allow-origin",
        "traceparent",
        "traceresponse",
        "tracestate",
        "transfer-encoding",
        "vary",
        "via",
        "x-content-type-options",
        "x-frame-options",
        "x-robots-tag",
        "x-xss-protection",
        "cf-cache-status",
        "cf-ray",
        "x-cloud-trace-context",
        "x-request-id",
        "x-served-by",
        "x-cache",
        "x-cache-hits",
        "x-timer",
    }
)
STANDARD_PREFIXES = ("x-envoy-", "cf-", "x-amz-cf-", "x-goog-")
# Fields our schemas keep open on purpose (facts §9 item 1) whose documented values are
# known: a value outside these is still worth a notice. Keyed by the path's tail.
OPEN_ENUMS: Mapping[str, tuple[str, frozenset[str]]] = {
    "/usage/service_tier": (
        "usage.service_tier",
        frozenset({"standard", "priority", "batch"}),  # facts §5.6
    ),
}
# Caller-defined data inside responses: the keys are the caller's, not the API's.
FREE_FORM = re.compile(r"/(content/\*|content_block)/input$")
_MAX_DEPTH = 64


@dataclass(slots=True)
class Sighting:
    """One kind of drift: what it is, how many exchanges showed it, and the first one."""

    kind: str  # field | event | header | value
    context: str  # message | error | event:<type> for fields; the field label for values
    name: str  # field path, event type, header name, or the value (JSON)
    count: int = 0
    first_seen: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "context": self.context,
            "name": self.name,
            "count": self.count,
            "first_seen": self.first_seen,
        }


@dataclass(slots=True)
class DriftReport:
    exchanges: int = 0
    files: int = 0
    sightings: dict[tuple[str, str, str], Sighting] = field(default_factory=dict)

    def add(self, exchange: str, keys: Iterable[tuple[str, str, str]]) -> None:
        """Count each key once for this exchange."""
        for key in dict.fromkeys(keys):
            sighting = self.sightings.get(key)
            if sighting is None:
                sighting = self.sightings[key] = Sighting(*key, first_seen=exchange)
            sighting.count += 1

    def of_kind(self, kind: str) -> list[Sighting]:
        found = [s for s in self.sightings.values() if s.kind == kind]
        return sorted(found, key=lambda s: (s.context, s.name))


# --------------------------------------------------------------------------- schemas


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
        if depth > _MAX_DEPTH:
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
    if "const" in schema and not _same(schema["const"], value):
        return False
    if isinstance(schema.get("enum"), list) and not any(_same(v, value) for v in schema["enum"]):
        return False
    required = schema.get("required")
    return not (isinstance(value, dict) and isinstance(required, list)) or all(
        name in value for name in required
    )


def _same(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, but ``1`` is ``1.0``."""
    if _is_type("number", a) and _is_type("number", b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


# --------------------------------------------------------------------------- walking


class _Scan:
    """Walks one exchange's response; ``keys`` collects what it carries that we do not name."""

    def __init__(self, walk: SchemaWalk, roots: Mapping[str, Node], headers: frozenset[str]):
        self.walk, self.roots, self.headers = walk, roots, headers
        self.keys: list[tuple[str, str, str]] = []

    def exchange(self, exchange: Exchange) -> None:
        self._headers(exchange.response.headers)
        kind = body_kind(exchange)
        if kind == "sse":
            self._stream(exchange.response.body)
        elif kind == "json":
            self._json(exchange)

    def _headers(self, headers: Mapping[str, str]) -> None:
        for name in headers:
            lowered = name.lower()
            if lowered not in self.headers and not lowered.startswith(STANDARD_PREFIXES):
                self.keys.append(("header", "", lowered))

    def _json(self, exchange: Exchange) -> None:
        try:
            body = json.loads(exchange.response.body)
        except ValueError:
            return  # not drift: `mconf validate` reports unparseable bodies
        if not isinstance(body, dict):
            return
        ok = 200 <= exchange.response.status < 300 and body.get("type") != "error"
        self.value(body, "message" if ok else "error")

    def _stream(self, body: bytes) -> None:
        for event in decode(body).events:
            try:
                payload = json.loads(event.data)
            except ValueError:
                continue
            declared = payload.get("type") if isinstance(payload, dict) else None
            name = event.event or (declared if isinstance(declared, str) else None)
            if name is None:
                continue
            if name not in EVENT_TYPES:
                self.keys.append(("event", "", name))
            elif isinstance(payload, dict):
                self.value(payload, f"event:{name}")

    def value(self, value: Any, context: str) -> None:
        self._walk(value, [self.roots[context]], "", context, 0)

    def _walk(self, value: Any, nodes: list[Node], path: str, context: str, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        applicable = self.walk.applicable(nodes, value) if nodes else []
        if isinstance(value, dict):
            self._object(value, applicable, path, context, depth)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                items = self.walk.items(applicable, index)
                self._walk(item, items, f"{path}/*", context, depth + 1)
        else:
            self._scalar(value, applicable, path)

    def _object(
        self, value: dict[str, Any], nodes: list[Node], path: str, context: str, depth: int
    ) -> None:
        for key, item in value.items():
            where = f"{path}/{_escape(key)}"
            declared = self.walk.declared(nodes, key)
            if declared is None:
                self.keys.append(("field", context, where))
            elif not FREE_FORM.search(where):
                self._walk(item, declared, where, context, depth + 1)

    def _scalar(self, value: Any, nodes: list[Node], path: str) -> None:
        for node in nodes:
            enum = node.schema.get("enum")
            if isinstance(enum, list) and not any(_same(v, value) for v in enum):
                label = str(node.schema.get("title") or path)
                self.keys.append(("value", label, json.dumps(value, ensure_ascii=False)))
        for tail, (label, known) in OPEN_ENUMS.items():
            if path.endswith(tail) and isinstance(value, str) and value not in known:
                self.keys.append(("value", label, json.dumps(value, ensure_ascii=False)))


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


# --------------------------------------------------------------------------- top level


def known_headers(spec: Spec) -> frozenset[str]:
    """Response header names the OpenAPI document lists, plus ``STANDARD_HEADERS``."""
    try:
        doc = yaml.safe_load(spec.openapi_path.read_text("utf-8"))
    except (OSError, yaml.YAMLError):
        doc = None
    return STANDARD_HEADERS | frozenset(_openapi_headers(doc))


def _openapi_headers(doc: Any) -> Iterator[str]:
    if not isinstance(doc, Mapping):
        return
    responses: list[Any] = list((doc.get("components") or {}).get("responses", {}).values())
    for item in (doc.get("paths") or {}).values():
        for operation in item.values() if isinstance(item, Mapping) else ():
            if isinstance(operation, Mapping):
                responses.extend((operation.get("responses") or {}).values())
    for response in responses:
        if isinstance(response, Mapping):
            yield from (str(name).lower() for name in response.get("headers") or {})


def _roots(spec: Spec, resolver: Resolver) -> dict[str, Node]:
    base = str(spec.schema("message.json")["$id"]).removesuffix("message.json")
    roots = {kind: resolver.node(f"{base}{kind}.json") for kind in ("message", "error")}
    for event in EVENT_TYPES:
        roots[f"event:{event}"] = resolver.node(f"{base}events/{event}.json")
    return roots


def recordings(paths: Sequence[Path]) -> list[Path]:
    """The files to read: each path, or the recordings under a folder (sorted)."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        inside = sorted(p for p in path.rglob("*") if p.suffix.lower() in RECORDING_SUFFIXES)
        if not inside:
            raise UnusableInput(f"{path}: no recordings (*.yaml, *.json, *.sse) in this folder")
        found.extend(inside)
    return found


def find_drift(paths: Sequence[Path], spec: Spec | None = None) -> DriftReport:
    """Drift over every exchange recorded in ``paths``; raises ``UnusableInput``."""
    spec = spec or Spec.load()
    resolver = Resolver.for_spec(spec)
    roots, headers = _roots(spec, resolver), known_headers(spec)
    walk = SchemaWalk(resolver)
    report = DriftReport()
    for path in recordings(paths):
        exchanges = load_exchanges(path)
        report.files += 1
        for exchange in exchanges:
            scan = _Scan(walk, roots, headers)
            scan.exchange(exchange)
            report.exchanges += 1
            report.add(exchange.name or str(path), scan.keys)
    return report


def to_json(report: DriftReport) -> dict[str, Any]:
    return {
        "exchanges": report.exchanges,
        "files": report.files,
        "counts": {kind: len(report.of_kind(kind)) for kind in KINDS},
        "drift": [s.to_dict() for kind in KINDS for s in report.of_kind(kind)],
    }


def render_text(report: DriftReport) -> str:
    counts = ", ".join(f"{len(report.of_kind(k))} {k}(s)" for k in KINDS)
    lines = [f"drift over {report.exchanges} exchange(s) in {report.files} file(s): {counts}"]
    for kind in KINDS:
        sightings = report.of_kind(kind)
        if sightings:
            lines += ["", f"{KIND_TITLES[kind]} (exchanges, first seen):"]
            lines += [_line(s) for s in sightings]
    if not report.sightings:
        lines += ["", "No drift: every field, event, header and value is in the spec."]
    return "\n".join(lines) + "\n"


def _line(sighting: Sighting) -> str:
    what = f"{sighting.context} {sighting.name}" if sighting.context else sighting.name
    return f"  {sighting.count:>5}  {what}  ({sighting.first_seen})"


def _spec(folder: Path | None) -> Spec:
    if folder is not None and not (folder / "schemas").is_dir():
        raise UnusableInput(f"{folder}: not a spec folder (no schemas/); pass one like spec/")
    return Spec.load(folder)


def drift_main(argv: Sequence[str], stdout: IO[str], stderr: IO[str] | None = None) -> int:
    """``mconf drift RECORDING... [--format text|json]``: 0 when read, 2 on unusable input."""
    err = stderr or sys.stderr
    parser = argparse.ArgumentParser(
        prog="mconf drift", description="List what recorded responses carry that the spec omits."
    )
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="RECORDING",
        help="vcrpy cassettes, corpus exchanges, response bodies, or folders of them",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--spec-dir", type=Path, help="the contract to compare with (spec/)")
    try:
        args = parser.parse_args(list(argv))
        report = find_drift(args.paths, _spec(args.spec_dir))
    except SystemExit as exc:
        return int(exc.code or 0)
    except UnusableInput as exc:
        print(f"mconf drift: error: {exc}", file=err)
        return 2
    if args.format == "json":
        stdout.write(json.dumps(to_json(report), indent=2) + "\n")
    else:
        stdout.write(render_text(report))
    return 0

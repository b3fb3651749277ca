"""Sightings: what recorded responses carry that our spec does not name (``find_drift``).

Each sighting has a count (exchanges it was seen in) and the first exchange that showed it
(``file#index`` for cassettes):

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
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..core.check import body_kind
from ..core.endpoints import COUNT_TOKENS, MODEL, MODELS, endpoint_of
from ..core.exchange import Exchange
from ..core.spec import EVENT_TYPES, Spec
from ..core.spec import KINDS as SCHEMA_FILES
from ..core.sse import decode
from ..recordings.cassette import load_exchanges, recording_files
from .schema_walk import MAX_DEPTH, Node, Resolver, SchemaWalk, json_equal

__all__ = [
    "KINDS",
    "OPEN_ENUMS",
    "STANDARD_HEADERS",
    "DriftReport",
    "Sighting",
    "find_drift",
    "known_headers",
    "recordings",
]

KINDS = ("field", "event", "header", "value")

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
        endpoint = endpoint_of(exchange.request)
        context = ("message" if endpoint.is_messages else endpoint.success_kind) if ok else "error"
        if context is not None and context in self.roots:  # else not the contract's (HEAD /, ...)
            self.value(body, context)

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
        if depth > MAX_DEPTH:
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
            if isinstance(enum, list) and not any(json_equal(v, value) for v in enum):
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
    for kind in (COUNT_TOKENS, MODELS, MODEL):  # a spec folder may leave these endpoints out
        file = SCHEMA_FILES[str(kind.success_kind)]
        if file in spec.schemas:
            roots[str(kind.success_kind)] = resolver.node(f"{base}{file}")
    for event in EVENT_TYPES:
        roots[f"event:{event}"] = resolver.node(f"{base}events/{event}.json")
    return roots


def recordings(paths: Sequence[Path]) -> list[Path]:
    """The files to read: each path, or the recordings under a folder (sorted)."""
    return recording_files(paths)


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

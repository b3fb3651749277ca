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

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..core.spec import EVENT_TYPES, Spec
from .differences import KIND_TEXT, Comparison, Difference
from .schema_walk import Resolver
from .shapes import Alternatives, Shapes

__all__ = [
    "UnusableUpstream",
    "compare_specs",
    "load_upstream",
    "render_markdown",
    "to_json",
]

UPSTREAM_BASE = "https://upstream.invalid/openapi.json"
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


class UnusableUpstream(Exception):
    """The upstream document cannot be read as OpenAPI with components.schemas (one line)."""


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


def compare_specs(
    upstream: Mapping[str, Any],
    spec: Spec | None = None,
    *,
    top_level: Sequence[tuple[str, str, str]] = TOP_LEVEL,
) -> list[Difference]:
    """Every difference between our top-level schemas and ``upstream``'s, in a stable order
    (``top_level``: our schema name, our file, the upstream component, for each pair)."""
    spec = spec or Spec.load()
    ours_res, up_res = Resolver.for_spec(spec), Resolver({UPSTREAM_BASE: upstream})
    ours, theirs = Shapes(ours_res), Shapes(up_res)
    comparison = Comparison(ours, theirs)
    found: list[Difference] = []
    for schema, our_uri, up_nodes in _pairs(spec, up_res, theirs, top_level):
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
    spec: Spec, up_res: Resolver, theirs: Shapes, top_level: Sequence[tuple[str, str, str]]
) -> Iterator[tuple[str, str, Alternatives | None]]:
    base = _our_base(spec)
    for schema, file, name in top_level:
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


def label_of(doc: Mapping[str, Any], path: Path) -> str:
    info = doc.get("info") if isinstance(doc.get("info"), Mapping) else {}
    version = f" ({info['version']})" if isinstance(info, Mapping) and info.get("version") else ""
    return f"{path.name}{version}"


def our_spec(folder: Path | None) -> Spec:
    if folder is not None and not (folder / "schemas").is_dir():
        raise UnusableUpstream(f"{folder}: no schemas/ folder; give a spec folder like spec/")
    try:
        return Spec.load(folder)
    except (OSError, ValueError, KeyError) as exc:
        raise UnusableUpstream(f"{folder}: cannot load the spec ({exc})") from None

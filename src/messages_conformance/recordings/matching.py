"""How a request is matched with its recording, and why it does not match, said as a field
(``/max_tokens: 64 vs 65``).

vcrpy's "no match" report lists the matchers that failed with their messages; a body matcher
that only says the bodies differ leaves the reader diffing two JSON documents by eye. Each
matcher compares one value per request, computed once per request object (``PerRequest``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from vcr.util import read_body  # type: ignore[import-untyped]

from ..net.secrets import CREDENTIAL_HEADERS, REDACTED, credential_marker

__all__ = ["MATCHERS", "PerRequest", "body_difference", "credential_class", "first_difference"]

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
    return parsed_difference(left, right)


def parsed_difference(left: Any, right: Any) -> str:
    """``body_difference`` of two parsed JSON bodies."""
    found = first_difference(left, right)
    if found is None:
        return "bodies differ in spacing or key order only"
    where, a, b = found
    return f"bodies differ at {where}: {_shown(a)} vs {_shown(b)}"


def header_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class PerRequest:
    """One value of a request (its query, its canonical body...), computed once per request
    object: replay compares each request with every recording of its cassette, and vcrpy scans
    them twice a request, so the recorded side's values would be computed again on every
    comparison (most of a generated test's replay time). The request is kept with its value,
    so an id is never mistaken for a later object's; the memo is emptied when it grows large."""

    LIMIT: Final = 8192

    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.values: dict[int, tuple[Any, Any]] = {}

    def __call__(self, request: Any) -> Any:
        hit = self.values.get(id(request))
        if hit is not None and hit[0] is request:
            return hit[1]
        if len(self.values) >= self.LIMIT:
            self.values.clear()
        value = self.compute(request)
        self.values[id(request)] = (request, value)
        return value


def credential_class(headers: Mapping[str, Any]) -> str:
    """``none``, ``target``, ``wrong``, ``bearer-target``, … (``+``-joined when both are sent)."""
    classes = [
        credential_marker(name, header_text(headers[name])).removeprefix(REDACTED)
        for name in CREDENTIAL_HEADERS
        if name in headers
    ]
    return "+".join(classes) or "none"


_CREDENTIAL = PerRequest(lambda request: credential_class(request.headers))


def credential(r1: Any, r2: Any) -> None:
    """No-key and wrong-key probes must never get the authenticated recording."""
    one, two = _CREDENTIAL(r1), _CREDENTIAL(r2)
    if one != two:
        raise AssertionError(f"{one} != {two}")


def _header(request: Any, name: str) -> str | None:
    return header_text(request.headers[name]) if name in request.headers else None


_VERSION = PerRequest(lambda request: _header(request, "anthropic-version"))


def anthropic_version(r1: Any, r2: Any) -> None:
    one, two = _VERSION(r1), _VERSION(r2)
    if one != two:
        raise AssertionError(f"{one!r} != {two!r}")


def _betas(request: Any) -> list[str] | None:
    value = _header(request, "anthropic-beta")
    return None if value is None else [b.strip() for b in value.split(",")]


_BETAS = PerRequest(_betas)


def anthropic_beta(r1: Any, r2: Any) -> None:
    one, two = _BETAS(r1), _BETAS(r2)
    if one != two:
        raise AssertionError(f"{one!r} != {two!r}")


_NOT_JSON = object()


def _canonical_body(request: Any) -> tuple[bytes, Any]:
    """The body as canonical JSON (key order and spacing ignored) or as it is, and its parsed
    value (kept for the message when bodies differ: not parsed again for each recording)."""
    body = read_body(request)
    raw = body.encode() if isinstance(body, str) else bytes(body or b"")
    try:
        parsed = json.loads(raw)
    except ValueError:
        return raw, _NOT_JSON
    return json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode(), parsed


_BODY = PerRequest(_canonical_body)


def json_body(r1: Any, r2: Any) -> None:
    """Bodies equal as JSON (key order and spacing ignored), else byte for byte."""
    (one, left), (two, right) = _BODY(r1), _BODY(r2)
    if one == two:
        return
    if left is _NOT_JSON or right is _NOT_JSON:
        raise AssertionError(f"bodies differ ({len(one)} vs {len(two)} bytes, not both JSON)")
    raise AssertionError(parsed_difference(left, right))


_PATH = PerRequest(lambda request: request.path or "/")  # RFC 3986 6.2.3, as vcrpy's "path"
_QUERY = PerRequest(lambda request: request.query)


def path(r1: Any, r2: Any) -> None:
    """vcrpy's ``path`` matcher, its values computed once per request."""
    if _PATH(r1) != _PATH(r2):
        raise AssertionError(f"{r1.path} != {r2.path}")


def query(r1: Any, r2: Any) -> None:
    """vcrpy's ``query`` matcher (parsed, sorted pairs), its values computed once per request."""
    one, two = _QUERY(r1), _QUERY(r2)
    if one != two:
        raise AssertionError(f"{one} != {two}")


MATCHERS: Final = {
    "path": path,
    "query": query,
    "json_body": json_body,
    "credential": credential,
    "anthropic_version": anthropic_version,
    "anthropic_beta": anthropic_beta,
}

"""Which transit case a forwarded request belongs to.

Every transit case puts a marker (``mconf-case-`` + 12 hex digits) into its user text, a place
a gateway has no reason to touch, and sends it again in the ``x-mconf-case`` header. The
upstream looks for the marker in every string of the forwarded JSON body (so re-serialised,
escaped or re-shaped bodies still match), then in the header, and last, when no other traffic
shares the upstream (``exclusive``), takes the only case still waiting for its request. A
request none of these places is unmatched: a finding of the case that waited for it, never a
crash.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any, Final

from .exchange import Request
from .findings import Rule, Severity

MARKER: Final = re.compile(r"mconf-case-[0-9a-f]{12}")
CASE_HEADER: Final = "x-mconf-case"

UNMATCHED = Rule(
    "transit.correlation.unmatched",
    Severity.ERROR,
    "no request carrying the case's marker reached the upstream (not forwarded, or unrecognisable)",
)
FALLBACK = Rule(
    "transit.correlation.fallback",
    Severity.WARNING,
    "the forwarded body lost the case's marker; it was matched by header or as the only open case",
)
RETRIED = Rule(
    "transit.request.retried",
    Severity.WARNING,
    "one client request reached the upstream more than once (the gateway retried it)",
)
RULES = (UNMATCHED, FALLBACK, RETRIED)


@dataclass(frozen=True, slots=True)
class Match:
    """The case a request belongs to (None: unmatched) and how it was recognised."""

    case: str | None
    how: str  # "marker" | "header" | "only-open" | "none"


def marker_for(seed: str) -> str:
    """The stable marker of a case (the same in record and replay runs)."""
    return "mconf-case-" + hashlib.sha256(seed.encode()).hexdigest()[:12]


def markers_in(request: Request) -> list[str]:
    """Markers in the request body's strings (raw text when the body is not JSON)."""
    parsed = request.json()
    texts = _strings(parsed) if parsed is not None else [request.body.decode("utf-8", "replace")]
    return [m for text in texts for m in MARKER.findall(text)]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def correlate(request: Request, open_cases: Collection[str], *, exclusive: bool = False) -> Match:
    """Match a forwarded request to one of the cases waiting for theirs."""
    for marker in markers_in(request):
        if marker in open_cases:
            return Match(marker, "marker")
    header = request.headers.get(CASE_HEADER, "").strip()
    if header in open_cases:
        return Match(header, "header")
    if exclusive and len(open_cases) == 1 and _carries_no_marker(request):
        return Match(next(iter(open_cases)), "only-open")
    return Match(None, "none")


def _carries_no_marker(request: Request) -> bool:
    """A request that names another (closed) case is no candidate for the fallback."""
    return not markers_in(request) and CASE_HEADER not in request.headers


def marked_text(marker: str, text: str) -> str:
    """User text that carries the marker (what the cases send)."""
    return f"{text} [{marker}]"


def describe(request: Request) -> str:
    """A short line naming a request, for evidence."""
    body = request.json()
    model = body.get("model") if isinstance(body, dict) else None
    return json.dumps({"path": request.url, "model": model, "markers": markers_in(request)})

"""Judging one answer of a load run: the core checks plus what only load shows.

No Locust here (it patches the process for gevent): `load_users` calls ``judge`` for every
answer, and the tests call it directly.
"""

from __future__ import annotations

from typing import Any

from ..core.check import check_exchange
from ..core.expectations import LOAD_CROSSED, LOAD_NO_ANSWER, SUITE_RULES
from ..core.findings import Finding
from ..core.spec import Spec
from ..net.transport import Sent, TargetError
from .load_shapes import MARKER, Shape

__all__ = ["crossed", "judge", "no_answer", "status_findings"]

_SUITE = {rule.id: rule for rule in SUITE_RULES}
_BUSY = (429, 529)  # a valid request may be turned away under load: http.* rules judge how


def judge(shape: Shape, marker: str, sent: Sent, spec: Spec) -> list[Finding]:
    """Every finding about one answer: the core checks, its status, crossed answers."""
    checked = check_exchange(sent.exchange, spec)
    status = sent.exchange.response.status
    return [
        *checked.findings,
        *status_findings(shape, status),
        *crossed(marker, _texts(checked.message)),
    ]


def no_answer(error: TargetError) -> Finding:
    return LOAD_NO_ANSWER.finding(
        "The request got no HTTP answer under load (refused, reset or timed out).",
        received=str(error),
    )


def status_findings(shape: Shape, status: int) -> list[Finding]:
    """A valid shape must be answered 2xx (or turned away with 429/529); an invalid one 4xx."""
    if shape.valid and not 200 <= status < 300 and status not in _BUSY:
        rule, expected = "status.expected", "200"
    elif not shape.valid and 200 <= status < 300:
        rule, expected = "request.invalid-accepted", "400"
    else:
        return []
    message = f"a {shape.name} request got {status}"
    return [_SUITE[rule].finding(message, expected=expected, received=status)]


def crossed(marker: str, message_text: str) -> list[Finding]:
    """Another concurrent request's marker in this answer: answers were crossed."""
    foreign = sorted({m for m in MARKER.findall(message_text) if m != marker})
    if not foreign:
        return []
    return [
        LOAD_CROSSED.finding(
            "The answer carries the marker of another concurrent request: answers were crossed.",
            expected=marker,
            received=", ".join(foreign[:3]),
        )
    ]


def _texts(message: dict[str, Any] | None) -> str:
    blocks = (message or {}).get("content") or []
    return " ".join(
        b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"
    )

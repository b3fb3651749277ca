"""One event's framing: its data parsed as a JSON object and its `event:` name checked (sse.*)."""

from __future__ import annotations

from typing import Any

from . import bodies
from .findings import Finding
from .sse import ServerSentEvent
from .stream_rules import DATA_NOT_JSON, DATA_NOT_OBJECT, NAME_MISMATCH, UNNAMED


def parse_event(event: ServerSentEvent, index: int) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The event's JSON payload (None when unusable) and the framing findings (facts §6.1)."""
    where = f"events[{index}]"
    try:
        payload = bodies.loads(event.data, location=where)
    except bodies.Unusable as unusable:
        return None, [unusable.finding]
    except ValueError:
        return None, [
            DATA_NOT_JSON.finding(
                "Every event's data must be one JSON object; this one does not parse.",
                location=where,
                expected="a JSON object",
                received=event.data,
            )
        ]
    if not isinstance(payload, dict):
        return None, [
            DATA_NOT_OBJECT.finding(
                "Every event's data must be a JSON object with a `type`.",
                location=where,
                expected="a JSON object",
                received=event.data,
            )
        ]
    return payload, _name_findings(event.event, payload.get("type"), where)


def _name_findings(name: str | None, kind: Any, where: str) -> list[Finding]:
    if name == kind:
        return []
    if name is None:
        return [
            UNNAMED.finding(
                "Every event must be named (`event: <type>`); the official SDKs skip unnamed ones.",
                location=where,
                expected=f"event: {kind}",
                received="no event field",
            )
        ]
    return [
        NAME_MISMATCH.finding(
            "The SSE `event:` name must equal the payload's `type`.",
            location=f"{where}/type",
            expected=name,
            received=kind,
        )
    ]

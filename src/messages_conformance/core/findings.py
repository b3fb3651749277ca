"""Findings: what every check yields, and the rules they belong to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a finding matters (see ARCHITECTURE.md, severity policy)."""

    ERROR = "error"  # breaks the documented contract; fails the run
    WARNING = "warning"  # differs from the official API in a way clients may notice
    NOTICE = "notice"  # drift signal; never fails a run


@dataclass(frozen=True, slots=True)
class Rule:
    """A check with a stable id, a default severity and a one-line description."""

    id: str
    severity: Severity
    description: str

    def finding(
        self,
        message: str,
        *,
        location: str = "",
        expected: Any = None,
        received: Any = None,
    ) -> Finding:
        return Finding(
            rule=self.id,
            severity=self.severity,
            message=message,
            location=location,
            expected=_show(expected),
            received=_show(received),
        )


@dataclass(frozen=True, slots=True)
class Finding:
    """One observation about one exchange.

    ``location`` is a JSON pointer into the body (``/content/0/type``), an event
    position plus pointer (``events[3]/delta/type``) or a header (``header:content-type``).
    """

    rule: str
    severity: Severity
    message: str
    location: str = ""
    expected: str | None = None
    received: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "location": self.location,
            "expected": self.expected,
            "received": self.received,
        }

    def __str__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        text = f"[{self.severity}] {self.rule}{where}: {self.message}"
        if self.expected is not None:
            text += f"\n  Expected: {self.expected}"
        if self.received is not None:
            text += f"\n  Received: {self.received}"
        return text


def _show(value: Any, limit: int = 300) -> str | None:
    """Render an expected/received value as short text (None stays None)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)

"""Findings: what every check yields, and the rules they belong to."""

from __future__ import annotations

import json
import re
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
            message=printable(message),
            location=printable(location),
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
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# C0 controls but tab and newline, DEL, C1 controls (ESC starts a terminal escape sequence:
# OSC 52 writes the clipboard, OSC 0 the window title), bidi overrides, lone surrogates.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` safe for a terminal, a Markdown file or a UTF-8 writer: every control
    character, bidi override and lone surrogate shown as its escape (``\\x1b``, ``\\ud800``)."""
    return _UNPRINTABLE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)

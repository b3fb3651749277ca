"""One HTTP exchange (request + response) as the checks see it: plain values, no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .timing import Timing


def lower_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Header names folded to lower case (the checks never care about case)."""
    return {k.lower(): v for k, v in (headers or {}).items()}


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except (ValueError, RecursionError):  # not JSON, or too deep / huge to take
            return None


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    timing: Timing | None = None  # how it travelled (None: not measured, or an old recording)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True, slots=True)
class Exchange:
    response: Response
    request: Request | None = None
    name: str = ""  # where it came from: a file, a cassette + index, a test id

"""How to reproduce a finding: the request of a case record as one curl command line.

The key never appears: a redacted credential header becomes ``$VAR`` (the target's key
variable), so the line can be pasted into a shell where that variable is set. A wrong key the
suite sent on purpose stays a wrong key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CREDENTIALS = ("x-api-key", "authorization", "proxy-authorization")
WRONG = "REDACTED:wrong"
WRONG_KEY = "sk-ant-not-a-valid-key"
SKIPPED = frozenset(
    {
        "host",
        "content-length",
        "accept-encoding",
        "connection",
        "user-agent",
        "accept",
        "x-schemathesis-testcaseid",
    }
)
CUT = "…"  # report excerpts end so when the body was longer than the excerpt


def curl(request: Mapping[str, Any], key_var: str = "API_KEY") -> str:
    """``curl -sS -N -X POST 'URL' -H ... --data-binary '{...}'`` for a request record."""
    method = str(request.get("method") or "POST")
    parts = ["curl -sS -N", f"-X {method}", quote(str(request.get("url") or ""))]
    headers: Mapping[str, Any] = request.get("headers") or {}
    for name, value in headers.items():
        if name.lower() not in SKIPPED:
            parts.append(f"-H {_header(name.lower(), str(value), key_var)}")
    body = request.get("body")
    if body:
        parts.append(f"--data-binary {quote(str(body))}")
    line = " ".join(parts)
    return line + ("  # body cut at 4 KB in the report" if str(body or "").endswith(CUT) else "")


def _header(name: str, value: str, key_var: str) -> str:
    if name not in CREDENTIALS or not _redacted(value):
        return quote(f"{name}: {value}")
    if value.startswith(WRONG):
        secret = WRONG_KEY
        return quote(f"{name}: Bearer {secret}" if "bearer" in value else f"{name}: {secret}")
    bearer = name != "x-api-key"
    return f'"{name}: {"Bearer " if bearer else ""}${key_var}"'


def _redacted(value: str) -> bool:
    return value.upper().startswith(("REDACTED", "[REDACTED]"))


def quote(text: str) -> str:
    """Single-quoted for a POSIX shell (a quote inside becomes '\\'')."""
    return "'" + text.replace("'", "'\\''") + "'"

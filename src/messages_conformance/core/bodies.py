"""JSON bodies the checks cannot take as they are: too deep, a lone surrogate, a huge integer.

Each is valid JSON text a target may send, and each broke a parser or the validator (Python's
recursion limit, the 4300-digit integer limit, a string that is not Unicode). Here they become
findings on the exchange: the body is what the target sent.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .findings import Finding, Rule, Severity
from .payload import parse_json

E = Severity.ERROR
TOO_DEEP = Rule(
    "http.body-too-deep",
    E,
    "a JSON body nests deeper than the checks can follow (no Message or error is that deep)",
)
LONE_SURROGATE = Rule(
    "http.body-lone-surrogate",
    E,
    "a JSON string holds a lone UTF-16 surrogate such as \\ud800: not Unicode text (RFC 8259 §8.2)",
)
HUGE_NUMBER = Rule(
    "http.body-huge-number",
    E,
    "a JSON number has more digits than a client can convert (over 4300)",
)
RULES = (TOO_DEEP, LONE_SURROGATE, HUGE_NUMBER)
# a \\uD800-\\uDFFF escape in the text: then (rarely) the parsed strings are searched
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class Unusable(ValueError):
    """A body that parses as JSON text but cannot be checked; ``finding`` says why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def loads(data: bytes | str, *, location: str = "") -> Any:
    """``json.loads`` (via ``payload.parse_json``), raising ``Unusable`` (a ValueError carrying
    the finding) for a body nested too deeply, with a huge integer or a lone surrogate; other
    ValueErrors are left as they are."""
    try:
        value = parse_json(data)
    except RecursionError:
        raise Unusable(too_deep(location)) from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
        message = f"a number in the body has more than 4300 digits ({exc})"
        raise Unusable(HUGE_NUMBER.finding(message, location=location)) from None
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _SURROGATE_ESCAPE.search(raw):
        where = _surrogate_at(value)
        if where is not None:
            raise Unusable(_lone(where[1], location + where[0]))
    return value


def _surrogate_at(value: Any) -> tuple[str, str] | None:
    """(JSON pointer, string) of the first string holding a lone surrogate, iteratively."""
    todo: list[tuple[str, Any]] = [("", value)]
    while todo:
        pointer, item = todo.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return pointer, item
        elif isinstance(item, dict):
            todo += [(f"{pointer}/{k}", v) for k, v in item.items()]
            todo += [(pointer, k) for k in item]
        elif isinstance(item, list):
            todo += [(f"{pointer}/{i}", v) for i, v in enumerate(item)]
    return None


def _lone(text: str, location: str) -> Finding:
    shown = text.encode("utf-8", "backslashreplace").decode()[:80]
    message = "a string in the body holds a lone surrogate (not Unicode text)"
    return LONE_SURROGATE.finding(message, location=location, received=shown)


def too_deep(location: str = "") -> Finding:
    return TOO_DEEP.finding(
        "the body nests too deeply to be checked", location=location, expected="at most 255 levels"
    )


def unvalidatable(exc: Exception, location: str = "") -> Finding | None:
    """The finding for an error the validator raised on a parsed body, or None."""
    if isinstance(exc, UnicodeEncodeError):
        bad = exc.object[exc.start : exc.end] if isinstance(exc.object, str) else ""
        return _lone(bad, location)
    if isinstance(exc, RecursionError) or "recursion limit" in str(exc).lower():
        return too_deep(location)
    return None

"""Stable recordings: re-recording an unchanged target leaves its cassettes as they were.

Every answer carries values that differ on each call without meaning anything: the date, the
request id (in a header and in error bodies), rate-limit reset times, message and tool ids, the
loopback port of the embedded gateway, Schemathesis' random test-case id, the order of headers.
A new recording is compared with the one on disk *with those values left out* (``comparable``);
an interaction that is the same keeps its recording byte for byte, values and all (the checks
read them: request-id, retry-after, content-type are never dropped). A cassette whose
interactions all stay the same is not written at all.

Only the request and response essentials are compared (method, path and query, headers, body,
status); anything else an interaction carries (its response's ``timing``, which differs on
every run) rides along with the recording that is kept, and an old recording is kept only when
it carries everything the new one does (re-recording a cassette made before timings existed
adds them). ``VOLATILE_HEADERS`` and ``VOLATILE_VALUES`` name what does not count.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = [
    "VOLATILE_HEADERS",
    "VOLATILE_VALUES",
    "comparable",
    "is_volatile_header",
    "keep_unchanged",
]

VOLATILE_HEADERS: Final = frozenset(
    {
        "date",
        "host",  # the embedded gateway's random port
        "request-id",
        "x-request-id",
        "cf-ray",
        "x-schemathesis-testcaseid",
        "content-length",  # follows the body, which is compared
        # what httpx offers depends on what is installed (brotli, pulled in by the dev extra,
        # adds `br`): not the target's behaviour, and the recorded body is stored decoded
        "accept-encoding",
    }
)
VOLATILE_SUFFIXES: Final = ("-reset",)  # anthropic-ratelimit-*-reset: a time
# ids minted per call, in headers and bodies: req_…, msg_…, toolu_…, srvtoolu_…
VOLATILE_VALUES: Final = re.compile(r"\b(req|msg|toolu|srvtoolu)_[A-Za-z0-9]{8,}")


def is_volatile_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in VOLATILE_HEADERS or lowered.endswith(VOLATILE_SUFFIXES)


def comparable(interaction: dict[str, Any]) -> Any:
    """What must be equal for a new recording to be "the same" as an old one."""
    request = interaction.get("request") or {}
    response = interaction.get("response") or {}
    parts = urlsplit(str(request.get("uri", "")))
    status = response.get("status") or {}
    return (
        str(request.get("method", "")).upper(),
        parts.path,
        parts.query,
        _headers(request.get("headers")),
        _body(request.get("body")),
        status.get("code") if isinstance(status, dict) else status,
        _headers(response.get("headers")),
        _body(response.get("body")),
    )


def _headers(headers: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(headers, dict):
        return ()
    kept = []
    for name, values in headers.items():
        if is_volatile_header(str(name)):
            continue
        for value in values if isinstance(values, list) else [values]:
            kept.append((str(name).lower(), VOLATILE_VALUES.sub(r"\1_", str(value))))
    return tuple(sorted(kept))


def _body(body: Any) -> str:
    if isinstance(body, dict):
        body = body.get("string", "")
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    text = "" if body is None else str(body)
    try:
        parsed = json.loads(text)
    except ValueError:
        return VOLATILE_VALUES.sub(r"\1_", text)
    if isinstance(parsed, dict):
        parsed.pop("request_id", None)
    canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return VOLATILE_VALUES.sub(r"\1_", canonical)


def keep_unchanged(
    old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``new``, with every interaction that equals an unused old one (as ``comparable``) replaced
    by that old one."""
    unused = [(comparable(item), item) for item in old]
    kept = []
    for item in new:
        key = comparable(item)
        index = next(
            (i for i, (other, was) in enumerate(unused) if other == key and _carries(was, item)),
            None,
        )
        kept.append(item if index is None else unused.pop(index)[1])
    return kept


def _carries(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """The old interaction has every part the new one has (request, response and their keys)."""
    if not set(new) <= set(old):
        return False
    return all(
        set(new[part]) <= set(old[part])
        for part in ("request", "response")
        if isinstance(new.get(part), dict) and isinstance(old.get(part), dict)
    )


def stable_text(old_text: str | None, new_text: str, serializer: Any) -> str | None:
    """The cassette text to write instead of ``new_text`` (unchanged interactions kept as
    recorded), or None when the cassette on disk already says all of it."""
    if old_text is None:
        return new_text
    try:
        old, new = serializer.deserialize(old_text), serializer.deserialize(new_text)
        before, after = list(old["interactions"]), list(new["interactions"])
    except Exception:  # an unreadable old cassette is simply replaced
        return new_text
    merged = keep_unchanged(before, after)
    if len(merged) == len(before) and all(a is b for a, b in zip(merged, before, strict=True)):
        return None
    text: str = serializer.serialize({**new, "interactions": merged})
    return text

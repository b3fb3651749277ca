"""Secrets and the disguises they wear when something careless prints them.

A gateway may echo the key JSON-escaped, URL-encoded or base64-encoded (a Basic realm, a debug
header); a ``--base-url`` may carry one in its userinfo, its query or its path. ``forms`` lists
what to scrub for one secret, ``url_secrets`` finds the secrets of a URL and ``shown_url`` is
that URL as reports show it. ``key_problem`` refuses keys no HTTP library sends cleanly.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

__all__ = [
    "MIN_SECRET_CHARS",
    "URL_MARKER",
    "forms",
    "key_problem",
    "scrub",
    "scrub_bytes",
    "shown_url",
    "url_secrets",
]

MIN_SECRET_CHARS: Final = 8  # shorter "keys" (test stubs) are not scrubbed out of bodies
MARKER: Final = "REDACTED:target"
URL_MARKER: Final = "REDACTED:url"
# a path segment this long with letters and digits is taken for a key (…/k/<token>/v1)
_KEYLIKE_SEGMENT: Final = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9._~+=-]{16,}$")


@lru_cache(maxsize=64)
def forms(secret: str) -> tuple[str, ...]:
    """Every text that betrays ``secret``, longest first: as-is, stripped, JSON-escaped,
    URL-encoded, and base64 (standard and URL-safe, alone and at each alignment inside a
    longer encoded text: the middle that depends on the secret's bytes only)."""
    found = {secret, secret.strip()}
    found |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    found |= {urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
    raw = secret.encode("utf-8", "surrogatepass")
    whole = base64.b64encode(raw).decode()
    texts = {whole, whole.rstrip("=")}
    for pad in range(3):  # the key's bytes at each offset of a 3-byte group
        encoded = base64.b64encode(b"\0" * pad + raw).decode()
        texts.add(encoded[4 : len(raw) * 4 // 3 - 4])
    found |= texts | {t.replace("+", "-").replace("/", "_") for t in texts}
    usable = (f for f in found if len(f) >= MIN_SECRET_CHARS)
    return tuple(sorted(usable, key=len, reverse=True))


def scrub(text: str, secrets: Iterable[str | None], marker: str = MARKER) -> str:
    """``text`` with every form of every secret replaced by ``marker``."""
    for secret in secrets:
        if secret and len(secret.strip()) >= MIN_SECRET_CHARS:
            for form in forms(secret):
                text = text.replace(form, marker)
    return text


def scrub_bytes(data: bytes, secrets: Iterable[str | None], marker: str = MARKER) -> bytes:
    for secret in secrets:
        if secret and len(secret.strip()) >= MIN_SECRET_CHARS:
            for form in forms(secret):
                data = data.replace(form.encode("utf-8", "surrogatepass"), marker.encode())
    return data


def url_secrets(url: str) -> tuple[str, ...]:
    """The secrets a URL carries: userinfo, query values, and key-like path segments."""
    parts = urllib.parse.urlsplit(url)
    found = [parts.username or "", parts.password or ""]
    found += [value for _, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
    found += [s for s in parts.path.split("/") if _KEYLIKE_SEGMENT.match(urllib.parse.unquote(s))]
    return tuple(dict.fromkeys(s for s in found if len(s) >= MIN_SECRET_CHARS))


def shown_url(url: str) -> str:
    """``url`` as reports and messages show it: its secrets replaced by ``REDACTED:url``."""
    return scrub(url, url_secrets(url), URL_MARKER)


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot go into an HTTP header as it is, without quoting it; or None."""
    if key != key.strip():
        return "starts or ends with whitespace (a newline or space from the shell?)"
    for position, char in enumerate(key):
        if not char.isascii():
            return f"has a non-ASCII character at position {position}"
        if not char.isprintable():
            return f"has a control character at position {position}"
    return None

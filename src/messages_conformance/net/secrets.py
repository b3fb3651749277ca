"""Credentials on the wire: which headers carry secrets, their redacted markers, and scrubbing
the key out of everything an exchange holds."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final, TypeVar

from ..core.exchange import Exchange, Request, Response
from . import disguises

WRONG_KEY: Final = "sk-ant-mconf-wrong-key-0000"
REDACTED: Final = "REDACTED:"
CREDENTIAL_HEADERS: Final = ("x-api-key", "authorization")
MIN_SECRET_CHARS: Final = disguises.MIN_SECRET_CHARS  # shorter "keys" are left in bodies

# Header names that carry secrets: whole dash-separated words, so "...-tokens-limit" is kept.
_SECRET_NAME: Final = re.compile(
    r"(?:^|-)(?:api-?key|auth|authorization|token|secret|password|passwd|cookie|"
    r"session|credentials?|signature|organization|organization-id)(?:$|-)"
)
_SECRET_VALUE: Final = re.compile(r"^(?:bearer\s+)?sk-[a-z0-9_-]{16,}$", re.IGNORECASE)
_Text = TypeVar("_Text", str, bytes)


def credential_marker(name: str, value: str) -> str:
    """The class of a credential value, e.g. ``REDACTED:wrong``, ``REDACTED:bearer-target``.

    Idempotent: a marker maps to itself, so filters can run again on recorded values.
    """
    if value.startswith(REDACTED):
        return value
    scheme, _, token = value.strip().partition(" ")
    bearer = name.lower() == "authorization" and scheme.lower() == "bearer"
    secret = token.strip() if bearer else value.strip()
    kind = "wrong" if secret == WRONG_KEY else "target"
    return f"{REDACTED}{'bearer-' if bearer else ''}{kind}"


def secret_header(name: str, value: str) -> bool:
    """Whether a header (request or response) carries a secret: by name, or a key-like value."""
    lowered = name.lower().replace("_", "-")
    return bool(_SECRET_NAME.search(lowered) or _SECRET_VALUE.match(value.strip()))


def redact_header(name: str, value: str) -> str:
    """The value to show or store for a header: a class marker for secrets, else itself."""
    return credential_marker(name, value) if secret_header(name, value) else value


def key_headers(key: str, style: str = "x-api-key") -> dict[str, str]:
    """The auth headers of a target profile's style ("x-api-key" or "bearer")."""
    if style == "bearer":
        return {"authorization": f"Bearer {key}"}
    if style == "x-api-key":
        return {"x-api-key": key}
    raise ValueError(f"unknown auth style {style!r}; known: x-api-key, bearer")


def _redacted(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): redact_header(name, value) for name, value in headers}


def scrubbed(exchange: Exchange, secrets: Iterable[str | None]) -> Exchange:
    """``exchange`` with every secret value replaced by ``REDACTED:target`` wherever it shows
    up: a gateway may echo the key in an error message or a header. Secrets shorter than
    ``MIN_SECRET_CHARS`` are left alone (a stub key would mangle ordinary text)."""
    keys = tuple(s for s in secrets if s and len(s) >= MIN_SECRET_CHARS)
    if not keys:
        return exchange
    request = exchange.request
    if request is not None:
        headers = {_scrub(k, keys): _scrub(v, keys) for k, v in request.headers.items()}
        request = Request(
            request.method, _scrub(request.url, keys), headers, _scrub(request.body, keys)
        )
    answer = exchange.response
    headers = {_scrub(k, keys): _scrub(v, keys) for k, v in answer.headers.items()}
    return Exchange(
        Response(answer.status, headers, _scrub(answer.body, keys), answer.timing),
        request,
        exchange.name,
    )


def _scrub(data: _Text, secrets: tuple[str, ...]) -> _Text:
    """Every form of every secret (as-is, JSON-escaped, URL-encoded, base64) replaced."""
    if isinstance(data, bytes):
        return disguises.scrub_bytes(data, secrets)
    return disguises.scrub(data, secrets)

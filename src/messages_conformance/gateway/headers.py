"""Request headers the gateway checks and response headers it sends (facts §2, §3)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from .betas import KNOWN_BETAS
from .config import VersionPolicy
from .errors import ApiError, invalid

# facts §2, plus the version the anthropic Python SDK 2.x sends (`_constants.py`)
VERSIONS = frozenset({"2023-06-01", "2023-01-01", "2026-10-21"})
DEFAULT_VERSION = "2023-06-01"
ORGANIZATION_ID = "00000000-0000-4000-8000-00000000c0f1"
REQUEST_LIMIT = 4000
TOKEN_LIMIT = 400000


def check_auth(headers: Mapping[str, str], keys: frozenset[str]) -> ApiError | None:
    """`x-api-key` or `Authorization: Bearer` must carry an accepted key (facts §2)."""
    api_key = headers.get("x-api-key")
    bearer = headers.get("authorization", "")
    token = bearer[7:].strip() if bearer[:7].lower() == "bearer " else None
    if api_key is None and token is None:
        return ApiError("authentication_error", "x-api-key header is required")
    if api_key in keys or token in keys:
        return None
    which = "invalid x-api-key" if api_key is not None else "invalid bearer token"
    return ApiError("authentication_error", which)


def check_version(headers: Mapping[str, str], policy: VersionPolicy) -> ApiError | None:
    """`anthropic-version`: required officially; ccapi-style gateways default it."""
    version = headers.get("anthropic-version", "").strip()
    if not version:
        return invalid("anthropic-version: header is required") if policy == "require" else None
    if version not in VERSIONS:
        return invalid(f'anthropic-version: "{version}" is not a valid version')
    return None


def betas(headers: Mapping[str, str]) -> frozenset[str]:
    """The names in `anthropic-beta`, a comma list (empty is fine)."""
    value = headers.get("anthropic-beta", "")
    return frozenset(name.strip() for name in value.split(",") if name.strip())


def check_betas(names: frozenset[str]) -> ApiError | None:
    unknown = sorted(names - KNOWN_BETAS)
    return invalid(f"Unsupported beta header: {unknown[0]}") if unknown else None


def response_headers(request_id: str, content_type: str) -> dict[str, str]:
    """Headers on every answer: request id, organization, rate limits (facts §3)."""
    reset = _reset_time()
    return {
        "content-type": content_type,
        "request-id": request_id,
        "anthropic-organization-id": ORGANIZATION_ID,
        "anthropic-ratelimit-requests-limit": str(REQUEST_LIMIT),
        "anthropic-ratelimit-requests-remaining": str(REQUEST_LIMIT - 1),
        "anthropic-ratelimit-requests-reset": reset,
        "anthropic-ratelimit-tokens-limit": str(TOKEN_LIMIT),
        "anthropic-ratelimit-tokens-remaining": str(TOKEN_LIMIT),
        "anthropic-ratelimit-tokens-reset": reset,
        "anthropic-ratelimit-input-tokens-limit": str(TOKEN_LIMIT),
        "anthropic-ratelimit-input-tokens-remaining": str(TOKEN_LIMIT),
        "anthropic-ratelimit-input-tokens-reset": reset,
        "anthropic-ratelimit-output-tokens-limit": str(TOKEN_LIMIT),
        "anthropic-ratelimit-output-tokens-remaining": str(TOKEN_LIMIT),
        "anthropic-ratelimit-output-tokens-reset": reset,
    }


_reset_cache: dict[int, str] = {}


def _reset_time() -> str:
    """RFC 3339 time one second from now, formatted once per second (cheap per request)."""
    now = int(time.time())
    if now not in _reset_cache:
        _reset_cache.clear()
        _reset_cache[now] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 1))
    return _reset_cache[now]

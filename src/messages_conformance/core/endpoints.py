"""Which endpoint an exchange belongs to: `/v1/messages` and the neighbours real clients call
(`/v1/messages/count_tokens`, `/v1/models`, `/v1/models/{model_id}`), by the request's path.

Each endpoint names the schema kinds of its request body and of its 2xx JSON body
(`spec.KINDS`); an exchange without a request (a lone recorded body) is a Messages one.
"""

from __future__ import annotations

from dataclasses import dataclass

from .exchange import Request


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An endpoint: its name and the schema kinds of its request and 2xx bodies."""

    name: str
    request_kind: str | None
    success_kind: str | None

    @property
    def is_messages(self) -> bool:
        return self.name == "messages"


MESSAGES = Endpoint("messages", "request", "message")
COUNT_TOKENS = Endpoint("count_tokens", "count_tokens_request", "token_count")
MODELS = Endpoint("models", None, "model_list")
MODEL = Endpoint("model", None, "model_info")
OTHER = Endpoint("other", None, None)  # e.g. `HEAD /`: only the HTTP-level checks apply


def endpoint_of(request: Request | None) -> Endpoint:
    """The endpoint of `request` (by path; the query, e.g. `?beta=true`, does not matter)."""
    if request is None or not request.url:  # a lone recorded body: a Messages exchange
        return MESSAGES
    path = _path(request.url)
    if path.endswith("/v1/messages/count_tokens"):
        return COUNT_TOKENS
    if path.endswith("/v1/messages"):
        return MESSAGES
    if path.endswith("/v1/models"):
        return MODELS
    if "/v1/models/" in path:
        return MODEL
    return OTHER


def _path(url: str) -> str:
    """The path of an absolute or relative URL, without query, fragment or trailing slash."""
    rest = url.split("://", 1)[1] if "://" in url else url
    path = (
        rest[rest.find("/") :] if "://" in url and "/" in rest else ("" if "://" in url else rest)
    )
    return path.split("?", 1)[0].split("#", 1)[0].rstrip("/")

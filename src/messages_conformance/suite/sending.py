"""Generated cases go out through the project's transport: one HTTP path for every case.

Schemathesis sends through ``schema.transport``: ``case.call`` and the probes its checks send
(``ignored_auth`` repeats a request without credentials). ``route`` makes that transport a
``HarnessTransport``: it prepares each request as Schemathesis' requests transport would (the
same bytes on the wire), then sends it with the case's ``Harness``, so the run's budget, body
cap, deadline, rate limit, retries, redaction, recording and the "could not test" verdict
apply; Schemathesis' checks get the scrubbed answer as its ``Response``.
"""

from __future__ import annotations

import contextlib
import contextvars
import http.client
from collections.abc import Iterator, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict
from schemathesis.core.transport import Response
from schemathesis.transport.requests import REQUESTS_TRANSPORT, RequestsTransport

from .harness import Harness, Result

__all__ = ["PLACEHOLDER_BASE", "HarnessTransport", "call", "route", "sending"]

# Schemathesis builds URLs on this; the harness puts the path under the target's real base URL
# (which may carry a query or a path of its own, and secrets that must stay out of messages).
PLACEHOLDER_BASE: Final = "http://mconf.invalid"
_PREPARED_KEYS: Final = ("method", "url", "headers", "params", "cookies", "json", "data", "files")
_HARNESS: contextvars.ContextVar[Harness | None] = contextvars.ContextVar(
    "mconf_generated_harness", default=None
)


@contextlib.contextmanager
def sending(harness: Harness) -> Iterator[None]:
    """Generated requests inside go through ``harness``; a new case (its deadline) starts."""
    harness.new_case()
    token = _HARNESS.set(harness)
    try:
        yield
    finally:
        _HARNESS.reset(token)


class HarnessTransport(RequestsTransport):
    """Schemathesis' requests transport, with the sending done by the current Harness."""

    def __init__(self) -> None:
        super().__init__()
        self._copy_serializers_from(REQUESTS_TRANSPORT)

    def send(self, case: Any, *, session: Any = None, **kwargs: Any) -> Response:
        harness = _HARNESS.get()
        if harness is None:
            raise RuntimeError("generated cases are sent inside `sending(harness)`")
        kwargs.pop("app", None)
        kwargs["base_url"] = PLACEHOLDER_BASE
        data = self._build_request_data(case, kwargs)
        prepared = requests.Request(**{k: data[k] for k in _PREPARED_KEYS if k in data}).prepare()
        if data.get("auth") is not None:
            prepared.prepare_auth(data["auth"])
        parts = urlsplit(str(prepared.url))
        result = harness.send(
            _body(prepared.body),
            headers=_wire_headers(prepared.headers),
            path=parts.path + (f"?{parts.query}" if parts.query else ""),
            method=str(prepared.method),
            headers_only=True,
        )
        return as_response(result, prepared)


HARNESS_TRANSPORT: Final = HarnessTransport()


def route(schema: Any) -> Any:
    """``schema`` with every request sent through ``HarnessTransport`` (returns it)."""
    base = type(schema)
    if not getattr(base, "_mconf_routed", False):
        routed = type(
            f"Routed{base.__name__}",
            (base,),
            {"transport": property(lambda self: HARNESS_TRANSPORT), "_mconf_routed": True},
        )
        schema.__class__ = routed
    return schema


def call(case: Any, headers: Mapping[str, str]) -> Response:
    """``case.call`` through the harness; an error carries no note quoting the request."""
    try:
        response: Response = case.call(base_url=PLACEHOLDER_BASE, headers=dict(headers))
    except Exception as exc:  # Schemathesis adds "Reproduce with: curl ... -H <headers>"
        if hasattr(exc, "__notes__"):
            del exc.__notes__
        raise
    return response


def as_response(result: Result, prepared: requests.PreparedRequest) -> Response:
    """The harness's (scrubbed) exchange as Schemathesis' Response."""
    exchange = result.exchange
    if exchange.request is not None:
        prepared.url = exchange.request.url
        prepared.headers = CaseInsensitiveDict(exchange.request.headers)
    status = exchange.response.status
    return Response(
        status_code=status,
        headers={name: [value] for name, value in exchange.response.headers.items()},
        content=exchange.response.body,
        request=prepared,
        elapsed=result.sent.total_s,
        verify=True,
        message=http.client.responses.get(status, ""),
    )


def _body(body: Any) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    return str(body).encode("utf-8", "surrogateescape")


def _wire_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """Header values as they travel: without the surrounding whitespace that is not part of a
    field value (RFC 9110 §5.5; h11 refuses to send it), non-ASCII as latin-1 bytes (as
    http.client sends them), Content-Length left to the transport."""
    sent: dict[str, Any] = {}
    for name, value in headers.items():
        if name.lower() == "content-length":
            continue
        text = (value.decode("latin-1") if isinstance(value, bytes) else str(value)).strip()
        sent[name] = text if text.isascii() else text.encode("latin-1", "replace")
    return sent

"""The only module that sends HTTP: one request to the target, timed, paced, retried, redacted.

httpx errors are translated once, here, into ``TargetError`` subclasses ("the target could not
be tested"); everything the target *answers* (any status, any body) is returned as an
``Exchange`` for the checks to judge.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from types import TracebackType
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import httpx

from ..core.exchange import Exchange, Request, Response
from ..core.timing import Timing
from . import disguises
from .deadline import client as deadline_client
from .deadline import within
from .errors import (
    BudgetExhausted,
    TargetError,
    TargetProtocolError,
    TargetTimeout,
    TargetTLSError,
    TargetUnreachable,
    translate_error,
    translated,
)
from .limits import Budget, Sleep, Timeouts, _Pacer
from .results import Sent, _Body
from .secrets import (
    CREDENTIAL_HEADERS,
    REDACTED,
    WRONG_KEY,
    _redacted,
    credential_marker,
    key_headers,
    redact_header,
    scrubbed,
    secret_header,
)
from .wire import Stopwatch, WireTransport, measuring

__all__ = [
    "AUTH_MODES",
    "CREDENTIAL_HEADERS",
    "REDACTED",
    "WRONG_KEY",
    "Budget",
    "BudgetExhausted",
    "Sent",
    "TargetError",
    "TargetProtocolError",
    "TargetTLSError",
    "TargetTimeout",
    "TargetUnreachable",
    "Timeouts",
    "Transport",
    "credential_marker",
    "key_headers",
    "redact_header",
    "scrubbed",
    "secret_header",
]

AUTH_MODES: Final = ("target", "x-api-key", "bearer", "wrong", "none")
RETRY_STATUSES: Final = frozenset({429, 529})  # rate limited, overloaded (messages-api-facts §7)
MiB: Final = 1024 * 1024

# Content codings httpx decodes while we read; the body we keep is then the identity coding.
_DECODED_CODINGS: Final = frozenset({"gzip", "deflate", "br", "zstd", "identity"})
_OUTPUT_TOKENS: Final = re.compile(rb'"output_tokens"\s*:\s*(\d+)')


# -- the transport -----------------------------------------------------------------------------


class Transport:
    """Sends requests to one target: ``send(body, auth=..., headers=...) -> Sent``."""

    def __init__(
        self,
        base_url: str,
        *,
        auth_headers: Mapping[str, str] | None = None,
        default_headers: Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
        budget: Budget | None = None,
        max_retries: int = 2,
        max_body_bytes: int = 50 * MiB,
        min_interval_s: float = 0.0,
        max_backoff_s: float = 30.0,
        client: httpx.Client | None = None,
        sleep: Sleep = time.sleep,
        timing: bool = True,
        direct: bool = False,
    ) -> None:
        """``direct``: send past vcrpy (recording: the harness hands exchanges to the recorder)."""
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.budget = budget or Budget()
        self.max_retries = max_retries
        self.max_body_bytes = max_body_bytes
        self.max_backoff_s = max_backoff_s
        self._auth = _lower(auth_headers)
        self._defaults = _lower(default_headers)
        self._owns_client = client is None
        # timing: an own client times every response on the wire (net/wire.py); its sockets
        # keep each request's deadline (net/deadline.py) and it never keeps a cookie
        wire = WireTransport.for_url(self.base_url) if timing and client is None else None
        self._client = client or deadline_client(
            self.timeouts.for_httpx(), direct=direct, transport=wire
        )
        self._secrets = (*self._auth.values(), *disguises.url_secrets(base_url))
        self._pacer = _Pacer(min_interval_s, sleep)
        self._sleep = sleep

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def url(self, path: str) -> str:
        """``path`` (and its query) under ``base_url``: one slash between the two paths, the
        base URL's query after them (``https://gw/?key=k`` -> ``https://gw/v1/messages?key=k``)."""
        base, sub = urlsplit(self.base_url), urlsplit(path)
        joined = f"{base.path.rstrip('/')}/{sub.path.lstrip('/')}"
        query = "&".join(q for q in (base.query, sub.query) if q)
        return urlunsplit((base.scheme, base.netloc, joined, query, ""))

    def send(
        self,
        body: Mapping[str, Any] | bytes | None,
        *,
        headers: Mapping[str, str | None] | None = None,
        auth: str = "target",
        path: str = "/v1/messages",
        method: str = "POST",
        retries: int | None = None,
        name: str = "",
        deadline: float | None = None,
        headers_only: bool = False,
    ) -> Sent:
        """Send one request; retry 429/529 up to ``retries`` (default ``max_retries``) times.

        A header given as None is not sent (also a default or auth header); ``headers_only``
        sends ``headers`` and nothing else (no defaults, no credentials). Every attempt ends
        by ``deadline`` (``time.monotonic()``; default: ``timeouts.total`` after it starts).
        Raises a ``TargetError`` when there is no HTTP answer to judge; any status is returned.
        """
        url = self.url(path)
        content = _content(body)
        if headers_only:
            sending = {k.lower(): v for k, v in (headers or {}).items() if v is not None}
        else:
            sending = self._headers(headers, auth, json_body=isinstance(body, Mapping))
        limit = self.max_retries if retries is None else retries
        attempt = 0
        while True:
            sent = self._attempt(method, url, sending, content, name, deadline)
            status = sent.exchange.response.status
            wait = self._backoff(sent.exchange.response, attempt)
            late = deadline is not None and time.monotonic() + wait >= deadline
            if attempt >= limit or status not in RETRY_STATUSES or late:
                return replace(sent, retries=attempt)
            self._sleep(wait)
            self.budget.charge_retry()
            attempt += 1

    # -- headers

    def _headers(
        self, extra: Mapping[str, str | None] | None, auth: str, *, json_body: bool
    ) -> dict[str, str]:
        merged = {**self._defaults, **self._credentials(auth)}
        if json_body:
            merged.setdefault("content-type", "application/json")
        for name, value in (extra or {}).items():
            if value is None:
                merged.pop(name.lower(), None)
            else:
                merged[name.lower()] = value
        return merged

    def _credentials(self, auth: str) -> dict[str, str]:
        if auth == "target":
            return dict(self._auth)
        if auth == "x-api-key":
            return {"x-api-key": self._key()}
        if auth == "bearer":
            return {"authorization": f"Bearer {self._key()}"}
        if auth == "wrong":
            return {"x-api-key": WRONG_KEY}
        if auth == "none":
            return {}
        raise ValueError(f"unknown auth {auth!r}; known: {', '.join(AUTH_MODES)}")

    def _key(self) -> str:
        scheme, _, token = self._auth.get("authorization", "").partition(" ")
        key = self._auth.get("x-api-key") or (token.strip() if scheme.lower() == "bearer" else "")
        if not key:
            raise ValueError("this transport has no target key (auth_headers is empty)")
        return key

    # -- one attempt

    def _attempt(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        content: bytes | None,
        name: str,
        deadline: float | None,
    ) -> Sent:
        self._pacer.wait()
        self.budget.charge_request(url)
        try:
            with translated(url), within(self.timeouts.total, at=deadline):
                return self._exchange(method, url, headers, content, name)
        except TargetError as exc:  # an HTTP library's message may quote what it was sent
            exc.cause = disguises.scrub(exc.cause, self._secrets)
            raise

    def _exchange(
        self, method: str, url: str, headers: dict[str, str], content: bytes | None, name: str
    ) -> Sent:
        stopwatch = Stopwatch()
        started = time.monotonic()
        timeout = self.timeouts.for_httpx()
        with (
            measuring(stopwatch),
            self._client.stream(
                method, url, headers=headers, content=content, timeout=timeout
            ) as response,
        ):
            parts: list[bytes] = []
            try:
                body = self._read(response, url, started, parts)
            except TargetError as exc:  # ours, mid-body
                exc.partial = _partial(response, content, parts, name, stopwatch)
                raise
            except httpx.HTTPError as exc:  # idle timeout, reset, bad chunking or coding
                error = translate_error(exc, url)
                error.partial = _partial(response, content, parts, name, stopwatch)
                raise error from exc
        total = time.monotonic() - started
        exchange = _exchange_of(response, content, body, name, stopwatch.timing())
        if response.is_success:
            self.budget.charge_tokens(_output_tokens(body.data))
        return Sent(exchange, body.ttfb_s, total, truncated_body=body.truncated)

    def _read(
        self, response: httpx.Response, url: str, started: float, parts: list[bytes]
    ) -> _Body:
        """The body into ``parts``, at most ``max_body_bytes`` of it (decoded bytes: a small
        gzip body that inflates past the cap is cut there too)."""
        headers_at = time.monotonic() - started
        size = 0
        first: float | None = None
        for chunk in response.iter_bytes():
            if not chunk:
                continue
            first = time.monotonic() - started if first is None else first
            room = self.max_body_bytes - size
            parts.append(chunk[:room])
            size += min(len(chunk), room)
            if len(chunk) > room:
                return _Body(b"".join(parts), first, truncated=True)
        return _Body(b"".join(parts), headers_at if first is None else first, truncated=False)

    def _backoff(self, response: Response, attempt: int) -> float:
        hinted = _retry_after(response.headers)
        wait = 0.5 * 2**attempt if hinted is None else hinted
        return min(max(wait, 0.0), self.max_backoff_s)


# -- helpers -----------------------------------------------------------------------------------


def _lower(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {k.lower(): v for k, v in (headers or {}).items()}


def _content(body: Mapping[str, Any] | bytes | None) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _exchange_of(
    response: httpx.Response,
    content: bytes | None,
    body: _Body,
    name: str,
    timing: Timing | None = None,
) -> Exchange:
    sent = response.request
    request = Request(
        method=sent.method,
        url=str(sent.url),
        headers=_redacted(sent.headers.items()),
        body=content or b"",
    )
    headers = _redacted(_decoded_headers(response.headers, body).items())
    return Exchange(Response(response.status_code, headers, body.data, timing), request, name)


def _partial(
    response: httpx.Response,
    content: bytes | None,
    parts: list[bytes],
    name: str,
    stopwatch: Stopwatch,
) -> Sent:
    """What arrived before a body broke off: status, headers and the bytes so far."""
    body = _Body(b"".join(parts), 0.0, truncated=False)
    stopwatch.end()
    return Sent(_exchange_of(response, content, body, name, stopwatch.timing()), 0.0, 0.0)


def _decoded_headers(headers: httpx.Headers, body: _Body) -> dict[str, str]:
    """Response headers as the decoded body needs them, as vcrpy's decode_compressed_response
    stores them, so live, record and replay runs show the checks the same exchange."""
    out = {k.lower(): v for k, v in headers.items()}
    codings = {c.strip().lower() for c in out.get("content-encoding", "").split(",")}
    if "content-encoding" in out and codings <= _DECODED_CODINGS:
        del out["content-encoding"]
        if not body.truncated:
            out["content-length"] = str(len(body.data))
    return out


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms``, then ``retry-after`` (RFC 9110
    §10.2.3: delay-seconds or an HTTP-date)."""
    with contextlib.suppress(ValueError):
        return float(headers.get("retry-after-ms", "")) / 1000
    value = headers.get("retry-after", "")
    with contextlib.suppress(ValueError):
        return float(value)
    with contextlib.suppress(TypeError, ValueError):
        return email.utils.parsedate_to_datetime(value).timestamp() - time.time()
    return None


def _output_tokens(body: bytes) -> int:
    """Output tokens a response reports (the largest ``output_tokens``: the final cumulative
    count in a stream). A budget guard, not a check."""
    return max((int(m) for m in _OUTPUT_TOKENS.findall(body)), default=0)

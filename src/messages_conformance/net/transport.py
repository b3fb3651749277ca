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
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, Final, TypeVar

import httpx

from ..core.exchange import Exchange, Request, Response

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

WRONG_KEY: Final = "sk-ant-mconf-wrong-key-0000"
REDACTED: Final = "REDACTED:"
AUTH_MODES: Final = ("target", "x-api-key", "bearer", "wrong", "none")
RETRY_STATUSES: Final = frozenset({429, 529})  # rate limited, overloaded (messages-api-facts §7)
CREDENTIAL_HEADERS: Final = ("x-api-key", "authorization")
MiB: Final = 1024 * 1024
MIN_SECRET_CHARS: Final = 8  # shorter "keys" (test stubs) are not scrubbed out of bodies

# Content codings httpx decodes while we read; the body we keep is then the identity coding.
_DECODED_CODINGS: Final = frozenset({"gzip", "deflate", "br", "zstd", "identity"})
# Header names that carry secrets: whole dash-separated words, so "...-tokens-limit" is kept.
_SECRET_NAME: Final = re.compile(
    r"(?:^|-)(?:api-?key|auth|authorization|token|secret|password|passwd|cookie|"
    r"session|credentials?|signature|organization|organization-id)(?:$|-)"
)
_SECRET_VALUE: Final = re.compile(r"^(?:bearer\s+)?sk-[a-z0-9_-]{16,}$", re.IGNORECASE)
_OUTPUT_TOKENS: Final = re.compile(rb'"output_tokens"\s*:\s*(\d+)')

Sleep = Callable[[float], None]
_Text = TypeVar("_Text", str, bytes)


# -- errors ------------------------------------------------------------------------------------


class TargetError(Exception):
    """The target could not be tested (the CLI exits 2). One line: what, the URL, the cause.

    ``partial`` is set when the failure came after the status line: what had arrived (status,
    headers, the body so far) is an answer the harness can still judge.
    """

    what = "cannot test"
    partial: Sent | None = None

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(url, cause)
        self.url = url
        self.cause = " ".join(cause.split()) or "no detail"

    def __str__(self) -> str:
        where = f" {self.url}" if self.url else ""
        return f"{self.what}{where}: {self.cause}"


class TargetUnreachable(TargetError):
    what = "cannot connect to"


class TargetTimeout(TargetError):
    what = "timed out waiting for"


class TargetTLSError(TargetError):
    what = "TLS failed with"


class TargetProtocolError(TargetError):
    what = "broken HTTP exchange with"


class BudgetExhausted(TargetError):
    what = "budget exhausted, not sending to"


# Checked in order: the first class that matches names the error (like httpx's own mapping).
_TRANSLATIONS: Final[tuple[tuple[type[httpx.HTTPError], type[TargetError]], ...]] = (
    (httpx.TimeoutException, TargetTimeout),
    (httpx.ConnectError, TargetUnreachable),
    (httpx.ProxyError, TargetUnreachable),
    (httpx.UnsupportedProtocol, TargetUnreachable),
    (httpx.NetworkError, TargetProtocolError),  # read/write/close failed: reset mid-exchange
    (httpx.ProtocolError, TargetProtocolError),  # malformed HTTP, body cut short
    (httpx.DecodingError, TargetProtocolError),
)


def translate_error(exc: httpx.HTTPError, url: str) -> TargetError:
    """Our error for an httpx error raised while talking to ``url``."""
    cause = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, httpx.ConnectError) and in_chain(exc, ssl.SSLError) is not None:
        return TargetTLSError(url, cause)
    for source, ours in _TRANSLATIONS:
        if isinstance(exc, source):
            return ours(url, cause)
    return TargetError(url, cause)


def in_chain(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """``exc`` itself, or its cause or context (recursively), when it is a ``kind``."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


@contextlib.contextmanager
def _translated(url: str) -> Iterator[None]:
    try:
        yield
    except httpx.HTTPError as exc:
        raise translate_error(exc, url) from exc


# -- limits ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds: to connect, of silence between two reads, and for one whole attempt."""

    connect: float = 10.0
    read: float = 120.0
    total: float = 600.0

    def for_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(self.read, connect=self.connect)


class Budget:
    """What a run may spend; thread-safe counters shared by every request of the run."""

    def __init__(self, max_requests: int | None = None, max_output_tokens: int | None = None):
        self.max_requests = max_requests
        self.max_output_tokens = max_output_tokens
        self._lock = threading.Lock()
        self._requests = 0
        self._tokens = 0
        self._retries = 0

    @property
    def requests_sent(self) -> int:
        return self._requests

    @property
    def output_tokens_spent(self) -> int:
        return self._tokens

    @property
    def retries(self) -> int:
        return self._retries

    def charge_request(self, url: str = "") -> None:
        """Count one request about to be sent; BudgetExhausted when nothing is left."""
        with self._lock:
            spent = self._spent()
            if spent:
                raise BudgetExhausted(url, spent)
            self._requests += 1

    def charge_tokens(self, n: int) -> None:
        with self._lock:
            self._tokens += max(n, 0)

    def charge_retry(self) -> None:
        with self._lock:
            self._retries += 1

    def _spent(self) -> str:
        if self.max_requests is not None and self._requests >= self.max_requests:
            return f"{self._requests} of max {self.max_requests} requests already sent"
        if self.max_output_tokens is not None and self._tokens >= self.max_output_tokens:
            return f"{self._tokens} of max {self.max_output_tokens} output tokens already spent"
        return ""


class _Pacer:
    """At least ``interval`` seconds between the starts of two requests, across threads."""

    def __init__(self, interval: float, sleep: Sleep) -> None:
        self._interval = interval
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        if self._interval <= 0:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            self._sleep(start - now)


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    """One request as sent and answered. Credentials in the exchange are redacted.

    ``ttfb_s`` runs from sending to the first body byte (to the headers when the body is
    empty); ``total_s`` to the end of the body. Both are for the last attempt.
    """

    exchange: Exchange
    ttfb_s: float
    total_s: float
    retries: int = 0
    truncated_body: bool = False


@dataclass(frozen=True, slots=True)
class _Body:
    data: bytes
    ttfb_s: float
    truncated: bool


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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.budget = budget or Budget()
        self.max_retries = max_retries
        self.max_body_bytes = max_body_bytes
        self.max_backoff_s = max_backoff_s
        self._auth = _lower(auth_headers)
        self._defaults = _lower(default_headers)
        self._owns_client = client is None
        self._client = client or httpx.Client(timeout=self.timeouts.for_httpx())
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
        """``base_url`` and ``path`` joined by exactly one slash."""
        return f"{self.base_url}/{path.lstrip('/')}"

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
    ) -> Sent:
        """Send one request; retry 429/529 up to ``retries`` (default ``max_retries``) times.

        A header given as None is not sent (also a default or auth header). Raises a
        ``TargetError`` when there is no HTTP answer to judge; any status is returned.
        """
        url = self.url(path)
        content = _content(body)
        wire = self._headers(headers, auth, json_body=isinstance(body, Mapping))
        limit = self.max_retries if retries is None else retries
        attempt = 0
        while True:
            sent = self._attempt(method, url, wire, content, name)
            status = sent.exchange.response.status
            if attempt >= limit or status not in RETRY_STATUSES:
                return replace(sent, retries=attempt)
            self._sleep(self._backoff(sent.exchange.response, attempt))
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
        self, method: str, url: str, headers: dict[str, str], content: bytes | None, name: str
    ) -> Sent:
        self._pacer.wait()
        self.budget.charge_request(url)
        with _translated(url):
            return self._exchange(method, url, headers, content, name)

    def _exchange(
        self, method: str, url: str, headers: dict[str, str], content: bytes | None, name: str
    ) -> Sent:
        started = time.monotonic()
        timeout = self.timeouts.for_httpx()
        with self._client.stream(
            method, url, headers=headers, content=content, timeout=timeout
        ) as response:
            parts: list[bytes] = []
            try:
                body = self._read(response, url, started, parts)
            except TargetError as exc:  # the total timeout, mid-body
                exc.partial = _partial(response, content, parts, name)
                raise
            except httpx.HTTPError as exc:  # idle timeout, reset, bad chunking or coding
                error = translate_error(exc, url)
                error.partial = _partial(response, content, parts, name)
                raise error from exc
        total = time.monotonic() - started
        exchange = _exchange_of(response, content, body, name)
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
            self._check_total(url, started)
        return _Body(b"".join(parts), headers_at if first is None else first, truncated=False)

    def _check_total(self, url: str, started: float) -> None:
        if time.monotonic() - started > self.timeouts.total:
            raise TargetTimeout(url, f"response not complete within {self.timeouts.total}s total")

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
    response: httpx.Response, content: bytes | None, body: _Body, name: str
) -> Exchange:
    sent = response.request
    request = Request(
        method=sent.method,
        url=str(sent.url),
        headers=_redacted(sent.headers.items()),
        body=content or b"",
    )
    headers = _redacted(_decoded_headers(response.headers, body).items())
    return Exchange(Response(response.status_code, headers, body.data), request, name)


def _partial(
    response: httpx.Response, content: bytes | None, parts: list[bytes], name: str
) -> Sent:
    """What arrived before a body broke off: status, headers and the bytes so far."""
    body = _Body(b"".join(parts), 0.0, truncated=False)
    return Sent(_exchange_of(response, content, body, name), 0.0, 0.0)


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
        headers = {k: _scrub(v, keys) for k, v in request.headers.items()}
        request = Request(
            request.method, _scrub(request.url, keys), headers, _scrub(request.body, keys)
        )
    answer = exchange.response
    headers = {k: _scrub(v, keys) for k, v in answer.headers.items()}
    return Exchange(
        Response(answer.status, headers, _scrub(answer.body, keys)), request, exchange.name
    )


def _scrub(data: _Text, secrets: tuple[str, ...]) -> _Text:
    for secret in secrets:
        if isinstance(data, bytes):
            data = data.replace(secret.encode(), f"{REDACTED}target".encode())
        else:
            data = data.replace(secret, f"{REDACTED}target")
    return data


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

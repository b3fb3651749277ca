"""The reference proxy: a small, faithful pass-through gateway in front of an Anthropic upstream.

It checks the client's key (as the reference gateway does), forwards the request upstream with
its own key, the client's bytes and every meaningful header unchanged, and relays the answer:
status, headers and body as they came, streams event by event as they arrive. An upstream
stream that breaks breaks the client's stream too (no invented ending). Named faults
(`proxy_faults`) make it deviate the way real gateways do. Uses starlette and httpx; never the
checker.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .config import DEFAULT_API_KEY
from .errors import ApiError
from .headers import check_auth
from .ids import request_id
from .proxy_faults import ProxyFaultSet, select_proxy_faults
from .proxy_hooks import Frames, Headers

UPSTREAM_KEY_ENV = "MCONF_PROXY_UPSTREAM_KEY"
CLIENT_KEY_ENV = "MCONF_GATEWAY_API_KEY"
DEFAULT_UPSTREAM_KEY = "mconf-upstream-key"
# hop-by-hop (RFC 9110 §7.6.1) and what httpx sets itself; credentials are replaced
_NOT_FORWARDED = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
        "accept-encoding",
        "x-api-key",
        "authorization",
    }
)
_NOT_RELAYED = frozenset(  # ... and the ones uvicorn writes itself
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
    | {"date", "server"}
)


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    """Where the upstream is, which keys the proxy takes and sends, and its faults."""

    upstream: str
    upstream_key: str = ""  # empty: $MCONF_PROXY_UPSTREAM_KEY, else DEFAULT_UPSTREAM_KEY
    api_keys: tuple[str, ...] = ()  # empty: $MCONF_GATEWAY_API_KEY, else DEFAULT_API_KEY
    faults: tuple[str, ...] = ()
    timeout_s: float = 120.0

    def key_upstream(self) -> str:
        return self.upstream_key or os.environ.get(UPSTREAM_KEY_ENV) or DEFAULT_UPSTREAM_KEY

    def accepted_keys(self) -> frozenset[str]:
        if self.api_keys:
            return frozenset(self.api_keys)
        return frozenset({os.environ.get(CLIENT_KEY_ENV) or DEFAULT_API_KEY})


def create_proxy_app(config: ProxyConfig) -> Starlette:
    """An ASGI app forwarding every path to ``config.upstream``; raises for unknown faults."""
    proxy = Proxy(config, select_proxy_faults(config.faults))
    return Starlette(routes=[Route("/{path:path}", proxy.handle, methods=["GET", "POST", "HEAD"])])


class Proxy:
    """One upstream, one client pool, the selected faults."""

    def __init__(self, config: ProxyConfig, faults: ProxyFaultSet) -> None:
        self.config = config
        self.faults = faults
        self.keys = config.accepted_keys()
        self.base = config.upstream.rstrip("/")
        self._client: httpx.AsyncClient | None = None
        self._shared: dict[str, _Shared] = {}

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:  # created on the server's own event loop
            timeout = httpx.Timeout(self.config.timeout_s, connect=10.0)
            self._client = httpx.AsyncClient(timeout=timeout)
        return self._client

    async def handle(self, request: Request) -> Response:
        client_headers = {k.lower(): v for k, v in request.headers.items()}
        denied = check_auth(client_headers, self.keys)
        if denied is not None:
            return _error(denied.status, denied)
        body = await request.body()
        if self.faults.rewrites_body:
            body = _rewritten(body, self.faults)
        headers = self.faults.headers(_forwarded(client_headers, self.config), client_headers)
        url = self.base + _target_of(request)
        key = _shape(body) if self.faults.coalesce else None
        if key is not None:
            if key in self._shared:
                return await self._shared[key].follower()
            self._shared[key] = _Shared(lambda: self._shared.pop(key, None))
        try:
            upstream = await self.client.send(
                self.client.build_request(request.method, url, headers=headers, content=body),
                stream=True,
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            message = f"upstream unreachable: {type(exc).__name__}"
            return _settled(
                _error(502, ApiError("api_error", message)), self._shared.get(key or "")
            )
        return await self._relay(upstream, self._shared.get(key) if key else None)

    async def _relay(self, upstream: httpx.Response, shared: _Shared | None) -> Response:
        headers = {
            k.lower(): v for k, v in upstream.headers.items() if k.lower() not in _NOT_RELAYED
        }
        if not upstream.headers.get("content-type", "").startswith("text/event-stream"):
            try:
                content = await upstream.aread()
            finally:
                await upstream.aclose()
            status, headers, content = self.faults.answer((upstream.status_code, headers, content))
            return _settled(Response(content, status_code=status, headers=headers), shared)
        frames = self.faults.events(self._frames(upstream))
        if shared is not None:
            frames = shared.leader(upstream.status_code, headers, frames)
        return StreamingResponse(frames, status_code=upstream.status_code, headers=headers)

    async def _frames(self, upstream: httpx.Response) -> Frames:
        """The upstream's SSE frames one by one, as they arrive."""
        buffer = b""
        try:
            async for chunk in upstream.aiter_bytes():
                buffer += chunk
                while b"\n\n" in buffer:
                    frame, buffer = buffer.split(b"\n\n", 1)
                    yield frame + b"\n\n"
            if buffer:
                yield buffer
        except httpx.HTTPError:
            if not self.faults.on_cut:
                raise  # faithful: the client's stream breaks as the upstream's did
            for frame in self.faults.on_cut:
                yield frame
        finally:
            await upstream.aclose()


def _target_of(request: Request) -> str:
    """The request target as the client wrote it (still percent-encoded), query included."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    return raw.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")


def _forwarded(client: Headers, config: ProxyConfig) -> Headers:
    headers = {k: v for k, v in client.items() if k not in _NOT_FORWARDED}
    return {**headers, "x-api-key": config.key_upstream()}


def _rewritten(body: bytes, faults: ProxyFaultSet) -> bytes:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    if not isinstance(parsed, dict):
        return body
    return json.dumps(faults.body(parsed), ensure_ascii=False).encode()


def _shape(body: bytes) -> str | None:
    """What a coalescing proxy keys streams on: everything but the conversation."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or parsed.get("stream") is not True:
        return None
    return json.dumps({k: v for k, v in parsed.items() if k != "messages"}, sort_keys=True)


def _settled(response: Response, shared: _Shared | None) -> Response:
    """A whole answer; clients that joined a coalesced request get it too."""
    if shared is not None:
        shared.settle(response)
    return response


def _error(status: int, error: ApiError) -> Response:
    rid = request_id()
    body = json.dumps(error.envelope(rid)).encode()
    headers = {"content-type": "application/json", "request-id": rid}
    return Response(body, status_code=status, headers=headers)


class _Shared:
    """One upstream stream relayed to its first client and to every client that joins it."""

    def __init__(self, done: Callable[[], object]) -> None:
        self.status: int = 200
        self.headers: Headers = {}
        self._ready = asyncio.Event()
        self._seen: list[bytes] = []
        self._more = asyncio.Condition()
        self._finished = False
        self._done = done
        self._whole: Response | None = None

    def settle(self, response: Response) -> None:
        """The upstream answered without a stream: joined clients get the same answer."""
        self._whole = response
        self._ready.set()
        self._done()

    async def leader(self, status: int, headers: Headers, frames: Frames) -> AsyncIterator[bytes]:
        self.status, self.headers = status, headers
        self._ready.set()
        try:
            async for frame in frames:
                async with self._more:
                    self._seen.append(frame)
                    self._more.notify_all()
                yield frame
        finally:
            async with self._more:
                self._finished = True
                self._more.notify_all()
            self._done()

    async def follower(self) -> Response:
        await self._ready.wait()
        if self._whole is not None:
            whole = self._whole
            return Response(whole.body, status_code=whole.status_code, headers=dict(whole.headers))
        return StreamingResponse(self._replay(), status_code=self.status, headers=self.headers)

    def _past(self, sent: int) -> bool:
        return self._finished or len(self._seen) > sent

    async def _replay(self) -> AsyncIterator[bytes]:
        sent = 0
        while True:
            async with self._more:
                await self._more.wait_for(partial(self._past, sent))
                fresh, finished = self._seen[sent:], self._finished
            for frame in fresh:
                yield frame
            sent += len(fresh)
            if finished and sent == len(self._seen):
                return

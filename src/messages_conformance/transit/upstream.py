"""The scripted upstream: mconf standing where a gateway's Anthropic upstream would be.

A transit case registers the answer it wants (a *script*) under its marker on the control
path, sends its request to the gateway, and reads back what reached the upstream and what the
upstream answered (a *leg*). Requests that match no case go to the fallback app (the
reference gateway's behaviour) so the ordinary suites work through the gateway too.

Control paths (never forwarded by a gateway, which only relays ``/v1/...``)::

    PUT /_mconf/cases/{marker}           the script, as JSON
    GET /_mconf/cases/{marker}?wait=S    {"legs": [...], "unmatched": [...]} once every leg
                                         is answered (or S seconds passed)

Credentials never leave this module as they arrived: each is recorded as its class
(``REDACTED:client-key``, ``REDACTED:upstream-key``, ``REDACTED:other-key``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from ..core.correlation import correlate, describe
from ..core.exchange import Request
from ..core.forwarding import CLIENT_KEY, OTHER_KEY, UPSTREAM_KEY
from ..net.transport import secret_header

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
CONTROL = "/_mconf/cases/"
MAX_WAIT_S = 10.0
KEPT_UNMATCHED = 50


@dataclass(frozen=True, slots=True)
class UpstreamConfig:
    """Which keys mean what, and who answers requests that belong to no case."""

    client_keys: tuple[str, ...] = ()  # keys clients present to the gateway
    upstream_key: str | None = None  # the key the gateway was given for the upstream
    fallback: ASGIApp | None = None  # answers unmatched requests (None: a 404 envelope)
    fallback_key: str | None = None  # the key the fallback accepts
    exclusive: bool = False  # only transit cases use this upstream (allows the last fallback)


@dataclass(slots=True)
class Leg:
    """One request that reached the upstream for a case, and the answer it got."""

    request: dict[str, Any]
    how: str
    response: dict[str, Any] | None = None
    cut: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "response": self.response,
            "how": self.how,
            "cut": self.cut,
        }


@dataclass(slots=True)
class Ledger:
    scripts: dict[str, dict[str, Any]] = field(default_factory=dict)
    legs: dict[str, list[Leg]] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)


class Upstream:
    """The ASGI app of the scripted upstream."""

    def __init__(self, config: UpstreamConfig) -> None:
        self.config = config
        self.ledger = Ledger()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await _read(receive)
        again = _replay(body, receive)
        if scope["path"].startswith(CONTROL):
            response = await self._control(scope, body)
            await response(scope, again, send)
            return
        request = self._request(scope, body)
        case = self._case_of(request)
        if case is None:
            await self._fallback(scope, again, request, send)
            return
        leg = Leg(_record(request), case[1])
        self.ledger.legs.setdefault(case[0], []).append(leg)
        await self._answer(self.ledger.scripts[case[0]], case[0], leg)(scope, again, send)

    def _case_of(self, request: Request) -> tuple[str, str] | None:
        """(marker, how) of the case a request belongs to; a retried one matches again."""
        match = correlate(request, self.ledger.scripts)
        if match.case is None and self.config.exclusive:
            waiting = [m for m in self.ledger.scripts if not self.ledger.legs.get(m)]
            match = correlate(request, waiting, exclusive=True)
        return None if match.case is None else (match.case, match.how)

    # -- control ---------------------------------------------------------------------------

    async def _control(self, scope: Scope, body: bytes) -> Response:
        marker = scope["path"].removeprefix(CONTROL)
        if scope["method"] == "PUT":
            self.ledger.scripts[marker] = json.loads(body)
            self.ledger.legs.pop(marker, None)
            return Response(status_code=204)
        wait = _query_float(scope, "wait", 2.0)
        deadline = time.monotonic() + min(wait, MAX_WAIT_S)
        while time.monotonic() < deadline and not self._answered(marker):
            await asyncio.sleep(0.01)
        self.ledger.scripts.pop(marker, None)  # the case is over: a long run keeps nothing
        legs = [leg.to_json() for leg in self.ledger.legs.pop(marker, [])]
        return JSONResponse({"legs": legs, "unmatched": self.ledger.unmatched[-10:]})

    def _answered(self, marker: str) -> bool:
        legs = self.ledger.legs.get(marker) or []
        return bool(legs) and all(leg.response is not None for leg in legs)

    # -- requests --------------------------------------------------------------------------

    def _request(self, scope: Scope, body: bytes) -> Request:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        url = scope["path"] + (f"?{query}" if query else "")
        shown = {k: self._credential(k, v) for k, v in headers.items()}
        return Request(scope["method"], url, shown, body)

    def _credential(self, name: str, value: str) -> str:
        """A credential header's class instead of its value (other headers as they came)."""
        if name not in ("x-api-key", "authorization") and not secret_header(name, value):
            return value
        scheme, _, token = value.partition(" ")
        bearer = name == "authorization" and scheme.lower() == "bearer"
        secret = token.strip() if bearer else value.strip()
        marker = OTHER_KEY
        if secret in self.config.client_keys:
            marker = CLIENT_KEY
        elif self.config.upstream_key and secret == self.config.upstream_key:
            marker = UPSTREAM_KEY
        return marker.replace(":", ":bearer-", 1) if bearer else marker

    async def _fallback(self, scope: Scope, receive: Receive, request: Request, send: Send) -> None:
        self.ledger.unmatched = [*self.ledger.unmatched[-KEPT_UNMATCHED:], describe(request)]
        if self.config.fallback is None:
            envelope = {
                "type": "error",
                "error": {"type": "not_found_error", "message": "mconf upstream: no case matches"},
            }
            await JSONResponse(envelope, status_code=404)(scope, receive, send)
            return
        headers = [
            (k, v) for k, v in scope["headers"] if k.lower() not in (b"x-api-key", b"authorization")
        ]
        if self.config.fallback_key:
            headers.append((b"x-api-key", self.config.fallback_key.encode()))
        await self.config.fallback({**scope, "headers": headers}, receive, send)

    # -- answers ---------------------------------------------------------------------------

    def _answer(self, script: dict[str, Any], marker: str, leg: Leg) -> Response:
        status = int(script.get("status", 200))
        headers = {"request-id": f"req_upstream_{marker[-12:]}", **script.get("headers", {})}
        if "events" not in script:
            content = json.dumps(script.get("json"), separators=(",", ":")).encode()
            headers.setdefault("content-type", "application/json")
            leg.response = _recorded(status, headers, content)
            return Response(content, status_code=status, headers=headers)
        headers.setdefault("content-type", "text/event-stream; charset=utf-8")
        headers.setdefault("cache-control", "no-cache")
        frames = self._stream(script, status, headers, leg)
        return StreamingResponse(frames, status_code=status, headers=headers)

    async def _stream(
        self, script: dict[str, Any], status: int, headers: dict[str, str], leg: Leg
    ) -> AsyncIterator[bytes]:
        sent: list[bytes] = []
        cut = script.get("cut_after")
        delay = float(script.get("event_delay_ms", 0)) / 1000
        try:
            for index, (name, data) in enumerate(script["events"]):
                if cut is not None and index >= cut:
                    leg.cut = True
                    raise ConnectionAbortedError("scripted cut")  # uvicorn drops the connection
                if delay and index:
                    await asyncio.sleep(delay)
                frame = f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
                sent.append(frame.encode())
                yield sent[-1]
        finally:
            leg.response = _recorded(status, headers, b"".join(sent))


def _recorded(status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    return {"status": status, "headers": dict(headers), **_body_json(body)}


def _record(request: Request) -> dict[str, Any]:
    return {
        "method": request.method,
        "url": request.url,
        "headers": dict(request.headers),
        **_body_json(request.body),
    }


def _body_json(body: bytes) -> dict[str, str]:
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(body).decode()}


def body_of(part: dict[str, Any]) -> bytes:
    """The bytes of a recorded request or response part (see ``_body_json``)."""
    if "body_base64" in part:
        return base64.b64decode(part["body_base64"])
    return str(part.get("body", "")).encode("utf-8")


async def _read(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that hands an app the body already read, then the real events
    (a disconnect)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


def _query_float(scope: Scope, name: str, default: float) -> float:
    for pair in scope.get("query_string", b"").decode().split("&"):
        key, _, value = pair.partition("=")
        if key == name:
            try:
                return float(value)
            except ValueError:
                return default
    return default

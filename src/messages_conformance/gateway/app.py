"""The starlette app: `POST /v1/messages` answered by the handler, JSON or streamed, and its
neighbours `POST /v1/messages/count_tokens`, `GET /v1/models[/{model_id}]`; `GET|HEAD /`
answers like a web server's front page (Claude Code probes it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from .config import GatewayConfig
from .errors import ApiError
from .handler import Answer, Handler
from .ids import request_id
from .pacing import Beat

NOT_FOUND = ApiError("not_found_error", "Not found")
FRONT_PAGE = "mconf reference gateway: POST /v1/messages\n"


def create_app(config: GatewayConfig | None = None) -> Starlette:
    """An ASGI app serving `POST /v1/messages`; raises UnknownFault for a bad fault name."""
    handler = Handler(config or GatewayConfig())
    latency = handler.config.latency_ms / 1000

    async def messages(request: Request) -> Response:
        if latency:
            await asyncio.sleep(latency)
        try:
            raw = await _body(request, handler.read_limit)
        except ClientDisconnect:  # the client went away (Ctrl-C): nobody to answer, not an error
            return Response(status_code=499)
        if raw is None:  # 413 from content-length, or while reading: never buffered whole
            return _response(handler.too_large())
        return _response(handler.answer(request.headers, raw))

    async def count_tokens(request: Request) -> Response:
        raw = await _body(request, handler.read_limit)
        if raw is None:
            return _response(handler.too_large())
        return _response(handler.count_tokens(request.headers, raw))

    async def models(request: Request) -> Response:
        return _response(handler.list_models(request.headers, request.query_params))

    async def model(request: Request) -> Response:
        return _response(handler.get_model(request.headers, request.path_params["model_id"]))

    async def front(request: Request) -> Response:
        return PlainTextResponse(FRONT_PAGE)

    async def not_found(request: Request, exc: Exception) -> Response:
        return _response(handler.error(NOT_FOUND, request_id()))

    async def crashed(request: Request, exc: Exception) -> Response:
        return _response(handler.error(CRASHED, request_id()))

    return Starlette(
        routes=[
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/models/{model_id:path}", model, methods=["GET"]),
            Route("/", front, methods=["GET", "HEAD"]),
        ],
        exception_handlers={HTTPException: not_found, Exception: crashed},
    )


CRASHED = ApiError("api_error", "Internal server error")


async def _body(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is known to be over ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def _response(answer: Answer) -> Response:
    if answer.frames is None:
        return Response(answer.body, status_code=answer.status, headers=answer.headers)
    frames = _paced(answer.beats)
    return StreamingResponse(frames, status_code=answer.status, headers=answer.headers)


async def _paced(beats: tuple[Beat, ...]) -> AsyncIterator[bytes]:
    """Each beat is its own write, flushed before the next is produced."""
    for beat in beats:
        if beat.delay_s > 0:
            await asyncio.sleep(beat.delay_s)
        yield beat.data

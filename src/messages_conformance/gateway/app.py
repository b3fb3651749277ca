"""The starlette app: `POST /v1/messages` answered by the handler, JSON or streamed, and its
neighbours `POST /v1/messages/count_tokens`, `GET /v1/models[/{model_id}]`; `GET|HEAD /`
answers like a web server's front page (Claude Code probes it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from .config import GatewayConfig
from .errors import ApiError
from .handler import Answer, Handler
from .ids import request_id

NOT_FOUND = ApiError("not_found_error", "Not found")
FRONT_PAGE = "mconf reference gateway: POST /v1/messages\n"


def create_app(config: GatewayConfig | None = None) -> Starlette:
    """An ASGI app serving `POST /v1/messages`; raises UnknownFault for a bad fault name."""
    handler = Handler(config or GatewayConfig())
    latency = handler.config.latency_ms / 1000
    delay = handler.config.event_delay_ms / 1000

    async def messages(request: Request) -> Response:
        if latency:
            await asyncio.sleep(latency)
        return _response(handler.answer(request.headers, await request.body()), delay)

    async def count_tokens(request: Request) -> Response:
        return _response(handler.count_tokens(request.headers, await request.body()), 0)

    async def models(request: Request) -> Response:
        return _response(handler.list_models(request.headers, request.query_params), 0)

    async def model(request: Request) -> Response:
        return _response(handler.get_model(request.headers, request.path_params["model_id"]), 0)

    async def front(request: Request) -> Response:
        return PlainTextResponse(FRONT_PAGE)

    async def not_found(request: Request, exc: Exception) -> Response:
        return _response(handler.error(NOT_FOUND, request_id()), 0)

    return Starlette(
        routes=[
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/models/{model_id:path}", model, methods=["GET"]),
            Route("/", front, methods=["GET", "HEAD"]),
        ],
        exception_handlers={HTTPException: not_found},
    )


def _response(answer: Answer, delay: float) -> Response:
    if answer.frames is None:
        return Response(answer.body, status_code=answer.status, headers=answer.headers)
    frames = _paced(answer.frames, delay)
    return StreamingResponse(frames, status_code=answer.status, headers=answer.headers)


async def _paced(frames: tuple[str, ...], delay: float) -> AsyncIterator[bytes]:
    """Each event is its own chunk, flushed before the next is produced."""
    for index, frame in enumerate(frames):
        if delay and index:
            await asyncio.sleep(delay)
        yield frame.encode()

"""Throughput of the reference gateway against a bare starlette endpoint (loopback only).

    python benchmarks/gateway.py [--clients 16] [--requests 800]

Each server runs with uvicorn (log_level=warning, no access log) in its own subprocess; N
concurrent httpx.AsyncClient clients send a fixed number of requests, non-streaming and
streaming, and the script prints requests/second side by side with the ratio gateway/bare
(goal: at least 0.5x). Bounded: a few seconds per measurement, well under a minute in all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
BODY = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 64,
    "messages": [
        {"role": "user", "content": "Repeat exactly: the quick brown fox jumps over the lazy dog"}
    ],
}
GOAL = 0.5
# httpx writes request headers and body separately: without TCP_NODELAY, Nagle + delayed ACK
# add ~40 ms to every request and both servers look equally slow
NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


def bare_app() -> object:
    """A starlette app answering with fixed bytes: the same body the gateway would send."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    from messages_conformance.gateway.events import encode, message_events
    from messages_conformance.gateway.model import reply

    message = reply(BODY, b"bench", 64000)
    payload = json.dumps(message).encode()
    frames = [encode(e).encode() for e in message_events(message)]

    async def endpoint(request: Request) -> Response:
        streaming = (await request.json()).get("stream") is True
        if not streaming:
            return Response(payload, media_type="application/json")

        async def chunks():  # type: ignore[no-untyped-def]
            for frame in frames:
                yield frame

        return StreamingResponse(chunks(), media_type="text/event-stream; charset=utf-8")

    return Starlette(routes=[Route("/v1/messages", endpoint, methods=["POST"])])


def serve(kind: str, port: int) -> None:
    """Subprocess entry: run one server until killed."""
    import uvicorn

    from messages_conformance.gateway import GatewayConfig, create_app
    from messages_conformance.gateway.server import bind

    app = create_app(GatewayConfig(api_keys=(KEY,))) if kind == "gateway" else bare_app()
    settings = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(settings).run(sockets=[bind("127.0.0.1", port)])  # same socket setup for both


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(kind: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env_path = f"{ROOT / 'src'}"
    command = [sys.executable, __file__, "--serve", kind, "--port", str(port)]
    process = subprocess.Popen(command, env={"PYTHONPATH": env_path, "PATH": ""})
    url = f"http://127.0.0.1:{port}/v1/messages"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.post(url, json=BODY, headers=HEADERS, timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"{kind} server did not start")


async def client(url: str, count: int, streaming: bool) -> None:
    body = {**BODY, "stream": streaming}
    transport = httpx.AsyncHTTPTransport(socket_options=NODELAY)
    async with httpx.AsyncClient(headers=HEADERS, timeout=30, transport=transport) as http:
        for _ in range(count):
            response = await http.post(url, json=body)
            assert response.status_code == 200, response.text
            if streaming:
                assert response.text.endswith('data: {"type":"message_stop"}\n\n')


async def measure(url: str, clients: int, requests: int, streaming: bool) -> float:
    """Requests per second for `requests` requests spread over `clients` clients."""
    await asyncio.gather(*(client(url, 5, streaming) for _ in range(clients)))  # warm-up
    began = time.perf_counter()
    await asyncio.gather(*(client(url, requests // clients, streaming) for _ in range(clients)))
    return (requests // clients * clients) / (time.perf_counter() - began)


def run(clients: int, requests: int) -> int:
    results: dict[tuple[str, bool], float] = {}
    for kind in ("bare", "gateway"):
        process, url = start(kind)
        try:
            for streaming in (False, True):
                results[kind, streaming] = asyncio.run(measure(url, clients, requests, streaming))
        finally:
            process.terminate()
            process.wait(10)
    print(f"{clients} concurrent clients, {requests} requests per measurement, loopback")
    print(f"{'mode':<14}{'bare req/s':>12}{'gateway req/s':>15}{'ratio':>8}")
    worst = 1.0
    for streaming, label in ((False, "non-streaming"), (True, "streaming")):
        bare, gateway = results["bare", streaming], results["gateway", streaming]
        worst = min(worst, gateway / bare)
        print(f"{label:<14}{bare:>12.0f}{gateway:>15.0f}{gateway / bare:>7.2f}x")
    print(f"goal >= {GOAL}x: {'met' if worst >= GOAL else 'NOT met'}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--serve", choices=("gateway", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        sys.path.insert(0, str(ROOT / "src"))
        serve(args.serve, args.port)
        return 0
    return run(args.clients, args.requests)


if __name__ == "__main__":
    raise SystemExit(main())

"""The official SDK's HTTP, routed through the harness: every request an SDK client makes is
sent by our transport (recorded, replayed, budgeted like any case) and every answer is
checked by the core before the SDK parses it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import anthropic
import httpx2

from .harness import Harness

# what the SDK sends that we pass on; auth comes from the target profile, telemetry is dropped
DROPPED = frozenset({"x-api-key", "authorization", "host", "content-length", "connection"})
NOT_RELAYED = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})


class HarnessTransport(httpx2.BaseTransport):
    """An httpx2 transport whose every request goes out as `harness.send(...)`."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        url = urlsplit(str(request.url))
        path = url.path + (f"?{url.query}" if url.query else "")
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in DROPPED and not name.lower().startswith("x-stainless-")
        }
        body = request.read() or None
        result = self.harness.send(body, path=path, method=request.method, headers=headers)
        response = result.exchange.response
        relayed = {k: v for k, v in response.headers.items() if k.lower() not in NOT_RELAYED}
        return httpx2.Response(
            response.status, headers=relayed, content=response.body, request=request
        )


def oracle_client(harness: Harness) -> anthropic.Anthropic:
    """An SDK client on the harness (no retries: a retried failure would hide the first)."""
    http = httpx2.Client(transport=HarnessTransport(harness))
    base_url = "http://mconf-target.invalid"  # never dialled: the transport sends
    return anthropic.Anthropic(
        base_url=base_url, api_key="unused", max_retries=0, timeout=60, http_client=http
    )

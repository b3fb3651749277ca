"""The reference gateway: a faithful local `POST /v1/messages` server (mconf serve).

A second, independent implementation of the contract (stdlib, starlette and uvicorn only):
the suites run against it offline, and its named faults prove the suites catch what they
claim to catch. May import: the standard library, starlette, uvicorn and other gateway
modules; never the checker (and the checker never imports it).

API keys: `x-api-key: KEY` or `Authorization: Bearer KEY`. Without configured keys the
gateway accepts the value of $MCONF_GATEWAY_API_KEY, or else the built-in `mconf-local-key`.

Models: the model table (catalogue.py: the official SDK's model ids and current clients'
defaults, e.g. claude-opus-5-5, claude-opus-4-8, claude-sonnet-4-6; `GET /v1/models` lists
them), plus any configured; any other model gets 404 `not_found_error` (`model: <id>`).
max_tokens is capped per model (128000 for current models, 64000 for the 4.5 family, ...);
0 pre-warms the cache and generates nothing. Also served: `POST /v1/messages/count_tokens`,
`GET /v1/models/{id}`, `HEAD /`, and threads (`thread`: create / continue).

Errors on demand (reserved model names, after request validation):

    mconf-test-429           429 rate_limit_error, retry-after: 1
    mconf-test-500           500 api_error
    mconf-test-504           504 timeout_error
    mconf-test-529           529 overloaded_error, retry-after: 1
    mconf-test-stream-error  with stream:true: 200, message_start, a text block start and one
                             delta, then `event: error` (overloaded_error) and the end;
                             without stream: 529 overloaded_error

The header `x-mconf-test-error: 429|500|504|529|stream` does the same for any model.

Pacing on demand (a marker in a user text, each part optional, milliseconds):

    [mconf:pause=MS,ping=MS,every=MS]
                             a thinking pause of `pause` after message_start and its ping,
                             kept alive by a ping every `ping` (default 1000); `every`
                             spaces this stream's events (default --event-delay-ms)

The model is deterministic: "Repeat exactly: X" answers "X", anything else a short fixed
reply; it honours max_tokens (whitespace tokens), stop_sequences, prefill, tools
(tool_choice any/tool, or a prompt plainly asking: "call the get_weather tool"), tool
results, thinking, and json_schema output formats (JSON valid against the schema).
"""

from __future__ import annotations

from .app import create_app
from .config import DEFAULT_API_KEY, DEFAULT_MODELS, GatewayConfig
from .faults import FAULTS, UnknownFault
from .process import GatewayProcess, serve_in_process
from .server import RunningGateway, serve_in_thread

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_MODELS",
    "FAULTS",
    "GatewayConfig",
    "GatewayProcess",
    "RunningGateway",
    "UnknownFault",
    "create_app",
    "serve_in_process",
    "serve_in_thread",
]

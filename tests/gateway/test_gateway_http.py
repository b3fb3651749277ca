"""The gateway on the wire: auth, versions, betas, headers, sizes, test errors, streams."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest
from gateway_helpers import HEADERS, KEY, WEATHER_TOOL, Post, body, make_post, sse_events

from messages_conformance.gateway import GatewayConfig, RunningGateway, serve_in_thread
from messages_conformance.gateway.config import API_KEY_ENV, DEFAULT_API_KEY

RATE_LIMIT_HEADERS = [
    f"anthropic-ratelimit-{kind}-{part}"
    for kind in ("requests", "tokens")
    for part in ("limit", "remaining", "reset")
]


def headers(**changes: str | None) -> dict[str, str]:
    merged: dict[str, Any] = {**HEADERS, **{k.replace("_", "-"): v for k, v in changes.items()}}
    return {k: v for k, v in merged.items() if v is not None}


def assert_error(response: httpx.Response, status: int, error_type: str, message: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    payload = response.json()
    assert payload == {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": response.headers["request-id"],
    }


def test_success_headers(post: Post) -> None:
    response = post(body())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert re.fullmatch(r"req_[0-9A-Za-z]{24}", response.headers["request-id"])
    for name in RATE_LIMIT_HEADERS:
        assert response.headers[name]
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", response.headers["anthropic-ratelimit-requests-reset"]
    )
    assert "retry-after" not in response.headers


def test_request_ids_differ(post: Post) -> None:
    assert post(body()).headers["request-id"] != post(body()).headers["request-id"]


def test_model_is_echoed(post: Post) -> None:
    assert post(body(model="claude-haiku-4-5")).json()["model"] == "claude-haiku-4-5"


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        (headers(x_api_key=None), "x-api-key header is required"),
        (headers(x_api_key="wrong"), "invalid x-api-key"),
        (headers(x_api_key=None, authorization="Bearer wrong"), "invalid bearer token"),
    ],
)
def test_bad_credentials_are_401(post: Post, sent: dict[str, str], message: str) -> None:
    assert_error(post(body(), sent), 401, "authentication_error", message)


def test_bearer_token_is_accepted(post: Post) -> None:
    assert post(body(), headers(x_api_key=None, authorization=f"Bearer {KEY}")).status_code == 200


def test_default_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, "from-env")
    assert GatewayConfig().accepted_keys() == {"from-env"}
    monkeypatch.delenv(API_KEY_ENV)
    assert GatewayConfig().accepted_keys() == {DEFAULT_API_KEY}


def test_missing_version_is_required_by_default(post: Post) -> None:
    response = post(body(), headers(anthropic_version=None))
    assert_error(response, 400, "invalid_request_error", "anthropic-version: header is required")


def test_unknown_version_is_rejected(post: Post) -> None:
    response = post(body(), headers(anthropic_version="2099-01-01"))
    message = 'anthropic-version: "2099-01-01" is not a valid version'
    assert_error(response, 400, "invalid_request_error", message)


@pytest.mark.parametrize("version", [None, ""])
def test_default_policy_fills_in_the_version(version: str | None) -> None:
    config = GatewayConfig(api_keys=(KEY,), version_policy="default")
    with serve_in_thread(config) as running:
        response = make_post(running.base_url)(body(), headers(anthropic_version=version))
        assert response.status_code == 200
        bad = make_post(running.base_url)(body(), headers(anthropic_version="1999-01-01"))
        assert bad.status_code == 400


def test_bad_version_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="version_policy"):
        GatewayConfig(version_policy="maybe")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "betas",
    ["", "prompt-caching-2024-07-31", "context-1m-2025-08-07, interleaved-thinking-2025-05-14"],
)
def test_known_betas_are_accepted(post: Post, betas: str) -> None:
    assert post(body(), headers(anthropic_beta=betas)).status_code == 200


def test_unknown_beta_is_rejected(post: Post) -> None:
    response = post(
        body(), headers(anthropic_beta="prompt-caching-2024-07-31,warp-drive-2030-01-01")
    )
    message = "Unsupported beta header: warp-drive-2030-01-01"
    assert_error(response, 400, "invalid_request_error", message)


def test_oversized_body_is_413() -> None:
    with serve_in_thread(GatewayConfig(api_keys=(KEY,), max_body_bytes=1000)) as running:
        response = make_post(running.base_url)(body("x " * 600))
    message = "Request exceeds the maximum allowed number of bytes."
    assert_error(response, 413, "request_too_large", message)


def test_extra_models_are_served() -> None:
    with serve_in_thread(GatewayConfig(api_keys=(KEY,), models=("my-model",))) as running:
        assert make_post(running.base_url)(body(model="my-model")).status_code == 200


def test_unknown_route_is_a_json_404(gateway: RunningGateway) -> None:
    response = httpx.get(f"{gateway.base_url}/v1/nothing")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"


TEST_ERRORS = [
    ("429", 429, "rate_limit_error", "1"),
    ("500", 500, "api_error", None),
    ("504", 504, "timeout_error", None),
    ("529", 529, "overloaded_error", "1"),
]


@pytest.mark.parametrize(("code", "status", "error_type", "retry_after"), TEST_ERRORS)
def test_reserved_models_trigger_errors(
    post: Post, code: str, status: int, error_type: str, retry_after: str | None
) -> None:
    for response in (
        post(body(model=f"mconf-test-{code}")),
        post(body(), headers(x_mconf_test_error=code)),
    ):
        assert response.status_code == status
        assert response.json()["error"]["type"] == error_type
        assert response.headers.get("retry-after") == retry_after


def test_stream_error_trigger(post: Post) -> None:
    for response in (
        post(body(model="mconf-test-stream-error", stream=True)),
        post(body(stream=True), headers(x_mconf_test_error="stream")),
    ):
        assert response.status_code == 200
        events = sse_events(response.text)
        assert [name for name, _ in events] == [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "error",
        ]
        assert events[-1][1] == {
            "type": "error",
            "error": {"type": "overloaded_error", "message": "Overloaded"},
        }


def test_stream_error_model_without_stream_is_529(post: Post) -> None:
    assert post(body(model="mconf-test-stream-error")).status_code == 529


def stream(post: Post, payload: dict[str, Any]) -> tuple[httpx.Response, list[tuple[str, Any]]]:
    response = post({**payload, "stream": True})
    return response, sse_events(response.text)


def test_stream_framing_and_order(post: Post) -> None:
    response, events = stream(post, body("Repeat exactly: one two three four five"))
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["request-id"].startswith("req_")
    names = [name for name, _ in events]
    assert names[:3] == ["message_start", "ping", "content_block_start"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert all(name == data["type"] for name, data in events)
    assert re.search(r"\A(event: [a-z_]+\ndata: \{.*\}\n\n)+\Z", response.text)
    start = events[0][1]["message"]
    assert (
        start["content"] == [] and start["stop_reason"] is None and start["stop_sequence"] is None
    )
    assert start["usage"]["output_tokens"] == 1 and start["usage"]["input_tokens"] == 7
    deltas = [d["delta"]["text"] for n, d in events if n == "content_block_delta"]
    assert len(deltas) > 1 and "".join(deltas) == "one two three four five"
    final = events[-2][1]
    assert final["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert final["usage"]["output_tokens"] == 5 and final["usage"]["input_tokens"] == 7


def test_stream_matches_the_json_message(post: Post) -> None:
    payload = body("Repeat exactly: a b c d", stop_sequences=["c"])
    message = post(payload).json()
    _, events = stream(post, payload)
    assert events[0][1]["message"]["usage"]["input_tokens"] == message["usage"]["input_tokens"]
    assert events[-2][1]["delta"] == {"stop_reason": "stop_sequence", "stop_sequence": "c"}
    text = "".join(d["delta"]["text"] for n, d in events if n == "content_block_delta")
    assert text == message["content"][0]["text"] == "a b "


def test_tool_use_stream_concatenates_to_the_input(post: Post) -> None:
    payload = body("weather: city: Paris", tools=[WEATHER_TOOL], tool_choice={"type": "any"})
    message = post(payload).json()
    _, events = stream(post, payload)
    start = next(d for n, d in events if n == "content_block_start")
    block = start["content_block"]
    assert block["type"] == "tool_use" and block["name"] == "get_weather" and block["input"] == {}
    assert re.fullmatch(r"toolu_[0-9A-Za-z]{24}", block["id"])
    partials = [d["delta"]["partial_json"] for n, d in events if n == "content_block_delta"]
    assert partials[0] == "" and len(partials) > 2
    assert (
        json.loads("".join(partials))
        == message["content"][0]["input"]
        == {"city": "Paris", "unit": "celsius"}
    )
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_thinking_stream_ends_blocks_with_one_signature(post: Post) -> None:
    payload = body("Hi", max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 2048})
    _, events = stream(post, payload)
    thinking = [d["delta"] for n, d in events if n == "content_block_delta" and d["index"] == 0]
    assert [d["type"] for d in thinking][-1] == "signature_delta"
    assert {d["type"] for d in thinking[:-1]} == {"thinking_delta"}
    assert len(thinking) > 2


def test_events_are_flushed_one_by_one() -> None:
    config = GatewayConfig(api_keys=(KEY,), event_delay_ms=150)
    with serve_in_thread(config) as running, httpx.Client() as client:
        began = time.monotonic()
        request = body("Repeat exactly: one two three four five six", stream=True)
        with client.stream(
            "POST", f"{running.base_url}/v1/messages", json=request, headers=HEADERS
        ) as response:
            lines = response.iter_lines()
            first = next(lines)
            first_at = time.monotonic() - began
            rest = list(lines)
        total = time.monotonic() - began
    assert first == "event: message_start"
    assert rest[-2] == 'data: {"type":"message_stop"}'
    assert first_at < 0.5 < total, (first_at, total)


def test_latency_is_added() -> None:
    with serve_in_thread(GatewayConfig(api_keys=(KEY,), latency_ms=200)) as running:
        began = time.monotonic()
        assert make_post(running.base_url)(body()).status_code == 200
        assert time.monotonic() - began >= 0.2


def test_serve_in_thread_binds_a_real_loopback_port(gateway: RunningGateway) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", gateway.base_url)
    assert not gateway.base_url.endswith(":0")

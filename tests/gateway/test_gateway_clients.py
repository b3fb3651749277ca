"""What real clients need from the reference gateway: the model table's ceilings, beta names,
threads, structured outputs, tool calls only when asked, count_tokens, the models list, `HEAD /`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from gateway_helpers import HEADERS, WEATHER_TOOL, Post, body, sse_events

from messages_conformance.gateway import RunningGateway
from messages_conformance.gateway.betas import KNOWN_BETAS
from messages_conformance.gateway.catalogue import MODELS


def _get(gateway: RunningGateway, path: str, headers: dict[str, str] = HEADERS) -> httpx.Response:
    return httpx.get(f"{gateway.base_url}{path}", headers=headers, timeout=10)


def _count(gateway: RunningGateway, payload: Any) -> httpx.Response:
    url = f"{gateway.base_url}/v1/messages/count_tokens"
    return httpx.post(url, json=payload, headers=HEADERS, timeout=10)


# ---------------------------------------------------------------- limits and betas


@pytest.mark.parametrize(
    ("model", "ceiling"),
    [("claude-sonnet-4-6", 128000), ("claude-opus-5-5", 128000), ("claude-haiku-4-5", 64000)],
)
def test_max_tokens_ceiling_is_per_model(post: Post, model: str, ceiling: int) -> None:
    assert post(body(model=model, max_tokens=ceiling)).status_code == 200
    over = post(body(model=model, max_tokens=ceiling + 1))
    assert over.status_code == 400 and f"> {ceiling}" in over.json()["error"]["message"]


def test_max_tokens_zero_prewarms_without_generating(post: Post) -> None:
    answer = post(body(max_tokens=0)).json()
    assert answer["content"] == [] and answer["stop_reason"] == "max_tokens"
    assert answer["usage"]["output_tokens"] == 0 and answer["usage"]["input_tokens"] > 0


CLAUDE_CODE_BETAS = (
    "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,"
    "per-turn-control-2026-07-01,mid-conversation-tool-changes-2026-07-01,"
    "thinking-token-count-2026-05-13,advanced-tool-use-2025-11-20,effort-2025-11-24"
)


def test_the_betas_claude_code_sends_are_accepted_and_unknown_ones_are_not(post: Post) -> None:
    assert post(body(), headers={**HEADERS, "anthropic-beta": CLAUDE_CODE_BETAS}).status_code == 200
    unknown = post(body(), headers={**HEADERS, "anthropic-beta": "made-up-2026-01-01"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == "Unsupported beta header: made-up-2026-01-01"


def test_every_beta_name_the_installed_sdk_knows_is_accepted() -> None:
    beta_param = pytest.importorskip("anthropic.types.anthropic_beta_param")
    from typing import get_args

    literal = next(a for a in get_args(beta_param.AnthropicBetaParam) if a is not str)
    assert set(get_args(literal)) - KNOWN_BETAS == set()


# ---------------------------------------------------------------- the fake model


def _tool_calls(answer: dict[str, Any]) -> list[str]:
    return [b["name"] for b in answer["content"] if b["type"] == "tool_use"]


@pytest.mark.parametrize(
    ("prompt", "called"),
    [
        ("Call the get_weather tool for Paris.", ["get_weather"]),
        ("Use `get_weather` with city: Rome", ["get_weather"]),
        ("What is the weather in Paris?", []),
        ("Tell me about get_weather, the function.", []),
        ("<system-reminder>use the get_weather tool</system-reminder> Say hello.", []),
    ],
)
def test_a_tool_is_called_only_when_plainly_asked(
    post: Post, prompt: str, called: list[str]
) -> None:
    assert _tool_calls(post(body(prompt, tools=[WEATHER_TOOL])).json()) == called


def test_a_strict_tool_gets_input_valid_against_its_schema(post: Post) -> None:
    schema = {
        "type": "object",
        "properties": {
            "when": {"type": "string", "format": "date"},
            "code": {"type": "string", "minLength": 2, "maxLength": 3},
            "count": {"type": "integer", "minimum": 5},
        },
        "required": ["when", "code", "count"],
        "additionalProperties": False,
    }
    tool = {"name": "book", "input_schema": schema, "strict": True}
    prompt = 'Call the book tool with code: "toolong" and count: 1'
    (call,) = [
        b for b in post(body(prompt, tools=[tool])).json()["content"] if b["type"] == "tool_use"
    ]
    jsonschema.validate(call["input"], schema, format_checker=jsonschema.FormatChecker())


OUTPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "answer": {"type": "integer"},
        "unit": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "steps": {"type": "array", "items": {"$ref": "#/$defs/step"}, "minItems": 1},
    },
    "required": ["answer", "unit", "steps"],
    "additionalProperties": False,
    "$defs": {
        "step": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    },
}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_structured_output_is_json_valid_against_the_schema(post: Post, stream: bool) -> None:
    fields = {"output_config": {"format": {"type": "json_schema", "schema": OUTPUT_SCHEMA}}}
    response = post(body("What is 2+2?", stream=stream, **fields))
    if stream:
        deltas = [d["delta"] for n, d in sse_events(response.text) if n == "content_block_delta"]
        text = "".join(d["text"] for d in deltas if d["type"] == "text_delta")
    else:
        text = "".join(b["text"] for b in response.json()["content"] if b["type"] == "text")
    jsonschema.validate(json.loads(text), OUTPUT_SCHEMA)


# ---------------------------------------------------------------- threads


def test_a_thread_continues_with_only_the_new_turn(post: Post) -> None:
    tools = [WEATHER_TOOL]
    first = post(body("Call the get_weather tool", tools=tools, thread={"type": "create"})).json()
    (call,) = [b for b in first["content"] if b["type"] == "tool_use"]
    result = {"type": "tool_result", "tool_use_id": call["id"], "content": "sunny"}
    follow = {
        "model": "claude-opus-4-7",
        "max_tokens": 100,
        "tools": tools,
        "messages": [{"role": "user", "content": [result]}],
        "thread": {"type": "continue", "previous_message_id": first["id"]},
    }
    answer = post(follow)
    assert answer.status_code == 200
    assert answer.json()["content"][0]["text"] == "The get_weather tool returned: sunny"


def test_continuing_an_unknown_thread_is_a_404(post: Post) -> None:
    lost = post(body(thread={"type": "continue", "previous_message_id": "msg_nope"}))
    assert lost.status_code == 404 and lost.json()["error"]["type"] == "not_found_error"


# ---------------------------------------------------------------- count_tokens


def test_count_tokens_equals_the_usage_of_the_same_body(
    post: Post, gateway: RunningGateway
) -> None:
    sent = body("Count these words please", system="Be brief.", tools=[WEATHER_TOOL])
    counted = _count(gateway, {k: v for k, v in sent.items() if k != "max_tokens"})
    assert counted.status_code == 200 and set(counted.json()) == {"input_tokens"}
    assert counted.json()["input_tokens"] == post(sent).json()["usage"]["input_tokens"]


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        (body(), 400, "max_tokens: Extra inputs are not permitted"),
        ({"model": "claude-opus-4-7"}, 400, "messages: Field required"),
        (
            {"model": "claude-nope-1", "messages": [{"role": "user", "content": "a"}]},
            404,
            "model: claude-nope-1",
        ),
    ],
)
def test_count_tokens_rejects_what_the_api_rejects(
    gateway: RunningGateway, payload: dict[str, Any], status: int, message: str
) -> None:
    answer = _count(gateway, payload)
    assert answer.status_code == status and answer.json()["error"]["message"] == message


# ---------------------------------------------------------------- models


def test_models_list_pages_through_the_model_table(gateway: RunningGateway) -> None:
    first = _get(gateway, "/v1/models").json()
    assert [m["id"] for m in first["data"]] == [m.id for m in MODELS[:20]]
    assert first["has_more"] is True and first["first_id"] == MODELS[0].id
    rest = _get(gateway, f"/v1/models?limit=1000&after_id={first['last_id']}").json()
    assert [m["id"] for m in rest["data"]] == [m.id for m in MODELS[20:]]
    assert rest["has_more"] is False
    before = _get(gateway, f"/v1/models?limit=2&before_id={MODELS[3].id}").json()
    assert [m["id"] for m in before["data"]] == [MODELS[1].id, MODELS[2].id]
    assert before["has_more"] is True


def test_a_model_is_retrieved_as_listed_and_an_unknown_one_is_a_404(
    gateway: RunningGateway,
) -> None:
    listed = _get(gateway, "/v1/models?limit=1").json()["data"][0]
    assert _get(gateway, f"/v1/models/{listed['id']}").json() == listed
    assert listed["max_tokens"] == 128000 and listed["type"] == "model"
    missing = _get(gateway, "/v1/models/claude-nope-1")
    assert (
        missing.status_code == 404 and missing.json()["error"]["message"] == "model: claude-nope-1"
    )


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/v1/models?limit=0", HEADERS, 400),
        ("/v1/models?limit=1001", HEADERS, 400),
        ("/v1/models", {"anthropic-version": "2023-06-01"}, 401),
    ],
)
def test_models_list_checks_limit_and_credentials(
    gateway: RunningGateway, path: str, headers: dict[str, str], status: int
) -> None:
    assert _get(gateway, path, headers).status_code == status


# ---------------------------------------------------------------- HEAD /


def test_head_and_get_of_the_root_answer_like_a_web_server(gateway: RunningGateway) -> None:
    head = httpx.head(f"{gateway.base_url}/", timeout=10)
    assert head.status_code == 200 and head.content == b""
    page = httpx.get(f"{gateway.base_url}/", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")


def test_the_gateway_accepts_exactly_the_beta_names_the_spec_lists() -> None:
    """Two hand-kept lists (the gateway never reads spec/): they must agree."""
    listed = json.loads((Path(__file__).parents[2] / "spec/schemas/betas.json").read_text())
    assert set(listed["enum"]) == KNOWN_BETAS

"""Request validation: a table of bad bodies → status, error type, message; real traffic passes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gateway_helpers import WEATHER_TOOL, Post, body

from messages_conformance.gateway.catalogue import Catalogue
from messages_conformance.gateway.validation import Limits, validate

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "real"
LIMITS = Limits(max_output_tokens=64000)
THINK = {"type": "enabled", "budget_tokens": 2048}


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


def assistant(content: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


def with_messages(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"model": "claude-opus-4-7", "max_tokens": 100, "messages": list(messages), **fields}


def without(key: str) -> dict[str, Any]:
    return {k: v for k, v in body().items() if k != key}


TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}

# (id, body, message expected in the 400 invalid_request_error)
BAD_BODIES: list[tuple[str, Any, str]] = [
    ("not-object", [1, 2], "Input should be a valid dictionary"),
    ("no-max-tokens", without("max_tokens"), "max_tokens: Field required"),
    ("no-model", without("model"), "model: Field required"),
    ("no-messages", without("messages"), "messages: Field required"),
    ("extra-top", body(foo=1), "foo: Extra inputs are not permitted"),
    ("model-type", body(model=3), "model: Input should be a valid string"),
    ("max-tokens-type", body(max_tokens="9"), "max_tokens: Input should be a valid integer"),
    ("max-tokens-bool", body(max_tokens=True), "max_tokens: Input should be a valid integer"),
    (
        "max-tokens-negative",
        body(max_tokens=-1),
        "max_tokens: Input should be greater than or equal to 0",
    ),
    (
        "max-tokens-huge",
        body(max_tokens=128001),
        "max_tokens: 128001 > 128000, which is the maximum",
    ),
    (
        "max-tokens-over-4-5-ceiling",
        body(model="claude-haiku-4-5", max_tokens=64001),
        "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for "
        "claude-haiku-4-5",
    ),
    (
        "temperature-high",
        body(temperature=1.5),
        "temperature: Input should be less than or equal to 1",
    ),
    (
        "temperature-low",
        body(temperature=-0.1),
        "temperature: Input should be greater than or equal to 0",
    ),
    ("temperature-type", body(temperature="hot"), "temperature: Input should be a valid number"),
    ("top-p-high", body(top_p=1.01), "top_p: Input should be less than or equal to 1"),
    ("top-k-negative", body(top_k=-2), "top_k: Input should be greater than or equal to 0"),
    ("stream-type", body(stream="yes"), "stream: Input should be a valid boolean"),
    (
        "metadata-extra",
        body(metadata={"user": "x"}),
        "metadata.user: Extra inputs are not permitted",
    ),
    (
        "user-id-long",
        body(metadata={"user_id": "u" * 513}),
        "metadata.user_id: String should have at most 512 characters",
    ),
    (
        "stop-empty",
        body(stop_sequences=[""]),
        "stop_sequences: each stop sequence must be non-empty",
    ),
    (
        "stop-space",
        body(stop_sequences=[" \n"]),
        "stop_sequences: each stop sequence must contain non-whitespace",
    ),
    (
        "empty-messages",
        with_messages(),
        "messages: List should have at least 1 item after validation, not 0",
    ),
    ("message-shape", with_messages("hi"), "messages.0: Input does not match the expected shape."),  # type: ignore[arg-type]
    (
        "role-tool",
        with_messages({"role": "tool", "content": "x"}),
        "messages.0.role: Input should be 'user', 'assistant' or 'system'",
    ),
    (
        "message-extra",
        with_messages({"role": "user", "content": "x", "name": "a"}),
        "messages.0.name: Extra inputs are not permitted",
    ),
    (
        "empty-user",
        with_messages(user("")),
        "messages.0: all messages must have non-empty content except for the optional final "
        "assistant message",
    ),
    (
        "empty-list",
        with_messages(user("a"), assistant([]), user("b")),
        "messages.1: all messages must have non-empty content",
    ),
    (
        "empty-text-block",
        with_messages(user([{"type": "text", "text": ""}])),
        "messages: text content blocks must be non-empty",
    ),
    (
        "space-text-block",
        with_messages(user([{"type": "text", "text": "  "}])),
        "messages: text content blocks must contain non-whitespace text",
    ),
    (
        "space-string",
        with_messages(user(" \t")),
        "messages: text content blocks must contain non-whitespace text",
    ),
    (
        "citations-not-a-list",  # found by the generated suite's negative cases
        with_messages(user([{"type": "text", "text": "x", "citations": "no"}])),
        "messages.0.content.0.text.citations: Input should be a valid list",
    ),
    (
        "block-no-type",
        with_messages(user([{"text": "x"}])),
        "messages.0.content.0: Unable to extract tag using discriminator 'type'",
    ),
    (
        "block-bad-type",
        with_messages(user([{"type": "video"}])),
        "messages.0.content.0: Input tag 'video' found using 'type' does not match",
    ),
    (
        "block-extra",
        with_messages(user([{"type": "text", "text": "x", "foo": 1}])),
        "messages.0.content.0.text.foo: Extra inputs are not permitted",
    ),
    (
        "thinking-cache-control",
        with_messages(
            user("a"),
            assistant(
                [
                    {
                        "type": "thinking",
                        "thinking": "t",
                        "signature": "s",
                        "cache_control": {"type": "ephemeral"},
                    }
                ]
            ),
        ),
        "messages.1.content.0.thinking.cache_control: Extra inputs are not permitted",
    ),
    (
        "image-path-source",
        with_messages(user([{"type": "image", "source": {"type": "path", "path": "f"}}])),
        "messages.0.content.0.image.source: Input tag 'path' found using 'type' does not match "
        "any of the expected tags: 'base64', 'url', 'file'",
    ),
    (
        "image-media-type",
        with_messages(
            user(
                [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/bmp", "data": "AA=="},
                    }
                ]
            )
        ),
        "media_type: Input should be",
    ),
    (
        "prefill-space",
        with_messages(user("a"), assistant("The answer is ")),
        "messages: final assistant content cannot end with trailing whitespace",
    ),
    (
        "tool-use-unanswered",
        with_messages(user("a"), assistant([TOOL_USE]), user("b")),
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately "
        "after: toolu_1.",
    ),
    (  # corpus 108 (the original) pairs its ids: a mismatched id is not tolerated
        "tool-result-other-id",
        with_messages(
            user("a"),
            assistant([TOOL_USE]),
            user([{"type": "tool_result", "tool_use_id": "toolu_2", "content": "sunny"}]),
        ),
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately "
        "after: toolu_1.",
    ),
    ("thread-unknown-type", body(thread={"type": "fork"}), "thread: Input tag 'fork'"),
    (
        "thread-continue-without-id",
        body(thread={"type": "continue"}),
        "thread.continue.previous_message_id: Field required",
    ),
    (
        "user-turn-output-config",
        with_messages({"role": "user", "content": "a", "output_config": {"effort": "low"}}),
        "messages.0.output_config: Extra inputs are not permitted",
    ),
    (
        "tool-use-bad-id",
        with_messages(user("a"), assistant([{**TOOL_USE, "id": "bad id"}])),
        "tool_use.id: String should match pattern",
    ),
    (
        "tool-name",
        body(tools=[{**WEATHER_TOOL, "name": "get weather"}]),
        "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'",
    ),
    (
        "tool-name-long",
        body(tools=[{**WEATHER_TOOL, "name": "a" * 129}]),
        "tools.0.custom.name: String should match pattern",
    ),
    (
        "tool-schema-type",
        body(tools=[{**WEATHER_TOOL, "input_schema": {"type": "array"}}]),
        "tools.0.custom.input_schema.type: Input should be 'object'",
    ),
    (
        "tool-extra",
        body(tools=[{**WEATHER_TOOL, "defer": True}]),
        "tools.0.custom.defer: Extra inputs are not permitted",
    ),
    (
        "tool-duplicate",
        body(tools=[WEATHER_TOOL, WEATHER_TOOL]),
        "tools: Tool names must be unique.",
    ),
    (
        "tool-choice-type",
        body(tool_choice={"type": "required"}),
        "tool_choice: Input tag 'required' found using 'type'",
    ),
    (
        "tool-choice-name",
        body(tool_choice={"type": "tool"}),
        "tool_choice.tool.name: Field required",
    ),
    (
        "tool-choice-extra",
        body(tool_choice={"type": "none", "x": 1}),
        "tool_choice.none.x: Extra inputs are not permitted",
    ),
    (
        "thinking-budget-low",
        body(max_tokens=5000, thinking={"type": "enabled", "budget_tokens": 1000}),
        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
    ),
    (
        "thinking-budget-max",
        body(max_tokens=2048, thinking=THINK),
        "`max_tokens` must be greater than `thinking.budget_tokens`",
    ),
    (
        "thinking-temperature",
        body(max_tokens=4096, thinking=THINK, temperature=0.5),
        "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode",
    ),
    (
        "thinking-top-k",
        body(max_tokens=4096, thinking={"type": "adaptive"}, top_k=5),
        "`top_k` cannot be set when thinking is enabled",
    ),
    (
        "thinking-top-p",
        body(max_tokens=4096, thinking=THINK, top_p=0.5),
        "`top_p` must be greater than or equal to 0.95",
    ),
    (
        "thinking-forced-tool",
        body(max_tokens=4096, thinking=THINK, tools=[WEATHER_TOOL], tool_choice={"type": "any"}),
        "Thinking may not be enabled when tool_choice forces tool use.",
    ),
    ("thinking-type", body(thinking={"type": "on"}), "thinking: Input tag 'on' found using 'type'"),
    (
        "system-block",
        body(system=[{"type": "text", "text": ""}]),
        "messages: text content blocks must be non-empty",
    ),
]


@pytest.mark.parametrize(
    ("bad", "message"), [(b, m) for _, b, m in BAD_BODIES], ids=[i for i, _, _ in BAD_BODIES]
)
def test_bad_body_is_a_400_with_the_official_message(post: Post, bad: Any, message: str) -> None:
    response = post(bad)
    assert response.status_code == 400
    payload = response.json()
    assert payload["type"] == "error"
    assert payload["error"]["type"] == "invalid_request_error"
    assert message in payload["error"]["message"]
    assert payload["request_id"] == response.headers["request-id"]


GOOD_BODIES = {
    "minimal": body(),
    "final-assistant-empty": with_messages(user("a"), assistant("")),
    "prefill": with_messages(user("a"), assistant("The answer")),
    "tool-round-trip": with_messages(
        user("a"),
        assistant([TOOL_USE]),
        user([{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]),
        tools=[WEATHER_TOOL],
    ),
    "thinking": body(max_tokens=4096, thinking=THINK, temperature=1),
    "interleaved-allows-budget": body(max_tokens=2048, thinking=THINK),
    "server-tool": body(
        tools=[{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}]
    ),
    "same-role-turns": with_messages(user("a"), user("b")),
    "max-tokens-0-cache-prewarm": body(max_tokens=0),
    "top-k-top-p-unset": body(top_k=-1, top_p=-1),
    "thread-create": body(thread={"type": "create"}),
    "system-turn-with-output-config": with_messages(
        user("a"),
        {"role": "system", "content": "Be brief.", "output_config": {"effort": "low"}},
    ),
    "tool-result-after-a-system-turn": with_messages(
        user("a"),
        assistant([TOOL_USE]),
        {"role": "system", "content": "Tools changed."},
        user([{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]),
        tools=[WEATHER_TOOL],
    ),
}


@pytest.mark.parametrize("name", list(GOOD_BODIES))
def test_valid_body_passes(name: str) -> None:
    betas = frozenset({"interleaved-thinking-2025-05-14"}) if "interleaved" in name else frozenset()
    assert validate(GOOD_BODIES[name], Limits(64000, betas)) is None


def test_budget_must_be_below_max_tokens_without_the_interleaved_beta() -> None:
    error = validate(GOOD_BODIES["interleaved-allows-budget"], LIMITS)
    assert error is not None and error.status == 400


def test_malformed_json_is_a_400(post: Post) -> None:
    response = post(b'{"model": ')
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_unknown_model_is_a_404_naming_it(post: Post) -> None:
    response = post(body(model="claude-nope-1"))
    assert response.status_code == 404
    assert response.json()["error"] == {
        "type": "not_found_error",
        "message": "model: claude-nope-1",
    }


def _corpus(status: int) -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return [
        p
        for p in sorted(CORPUS.glob("*.json"))
        if json.loads(p.read_text())["response"]["status"] == status
    ]


def _corpus_limits(path: Path) -> Limits:
    headers = json.loads(path.read_text())["request"]["headers"]
    betas = frozenset(b.strip() for b in headers.get("anthropic-beta", "").split(",") if b.strip())
    model = json.loads(path.read_text())["request"]["body"].get("model")
    return Limits(max_output_tokens=Catalogue().max_tokens(model), betas=betas)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus of real traffic not present")
@pytest.mark.parametrize("path", _corpus(200), ids=lambda p: p.stem[:40])
def test_real_successful_requests_are_accepted(path: Path) -> None:
    request = json.loads(path.read_text())["request"]
    assert validate(request["body"], _corpus_limits(path)) is None


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus of real traffic not present")
@pytest.mark.parametrize(
    "name",
    [
        "162-ddtrace-anthropic-completion-error",
        "170-mirascope-empty-call-anthropic-handles-empty-string-content",
    ],
)
def test_real_rejected_requests_get_the_real_message(name: str) -> None:
    recorded = json.loads((CORPUS / f"{name}.json").read_text())
    error = validate(recorded["request"]["body"], LIMITS)
    assert error is not None
    assert error.message == recorded["response"]["body"]["error"]["message"]

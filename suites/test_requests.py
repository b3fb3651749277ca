"""Request validation: invalid bodies get 400 invalid_request_error, unknown models 404."""

from __future__ import annotations

from typing import Any

import pytest

from messages_conformance.suite.harness import Harness

MESSAGES = [{"role": "user", "content": "Hello"}]


def _invalid_bodies() -> dict[str, dict[str, Any]]:
    """name -> a body the official API rejects with 400 (model filled in by the test)."""
    return {
        "missing-max-tokens": {"messages": MESSAGES},
        "missing-messages": {"max_tokens": 16},
        "empty-messages": {"max_tokens": 16, "messages": []},
        "unknown-top-level-key": {"max_tokens": 16, "messages": MESSAGES, "frobnicate": True},
        "temperature-above-1": {"max_tokens": 16, "messages": MESSAGES, "temperature": 1.5},
        "top-p-below-0": {"max_tokens": 16, "messages": MESSAGES, "top_p": -0.1},
        "top-k-negative": {"max_tokens": 16, "messages": MESSAGES, "top_k": -2},  # -1: see schema
        "max-tokens-string": {"max_tokens": "16", "messages": MESSAGES},
        "bad-role": {"max_tokens": 16, "messages": [{"role": "robot", "content": "Hi"}]},
        "empty-text-block": {
            "max_tokens": 16,
            "messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}],
        },
        "bad-tool-name": {
            "max_tokens": 16,
            "messages": MESSAGES,
            "tools": [{"name": "bad name!", "input_schema": {"type": "object"}}],
        },
        "thinking-budget-too-small": {
            "max_tokens": 2048,
            "messages": MESSAGES,
            "thinking": {"type": "enabled", "budget_tokens": 100},
        },
        "unknown-tool-choice": {
            "max_tokens": 16,
            "messages": MESSAGES,
            "tool_choice": {"type": "some"},
        },
        "empty-stop-sequence": {"max_tokens": 16, "messages": MESSAGES, "stop_sequences": [""]},
    }


INVALID = _invalid_bodies()


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_body_is_400(mconf: Harness, name: str) -> None:
    """Each invalid body gets 400 invalid_request_error, never a 2xx."""
    body = {"model": mconf.target.model, **INVALID[name]}
    result = mconf.send(body)
    if mconf.expect(
        "request.invalid-accepted",
        result.status >= 300,
        f"invalid body ({name}) was answered with {result.status}",
        expected="400 invalid_request_error",
        received=result.status,
    ):
        mconf.expect_status("request.invalid-status", result, 400, "invalid_request_error")


def test_malformed_json_is_400(mconf: Harness) -> None:
    """A body that is not JSON gets 400 invalid_request_error."""
    result = mconf.send(b'{"model": "x", "max_tokens": 16, "messages": [')
    mconf.expect_status("request.invalid-status", result, 400, "invalid_request_error")


def test_unknown_model_is_404(mconf: Harness) -> None:
    """An unknown model gets 404 not_found_error (not 400)."""
    result = mconf.send(mconf.body(model="claude-no-such-model-0"))
    mconf.expect_status("model.unknown", result, 404, "not_found_error")


def test_too_large_body_is_413(mconf: Harness) -> None:
    """A body over the size limit gets 413 request_too_large."""
    limit = mconf.target.max_request_bytes
    if limit > 1 << 20 and mconf.mode != "live":
        pytest.skip(f"a {limit}-byte probe is not recorded in cassettes; run it with --mode live")
    body = mconf.body("x " * (limit // 2 + 1024))
    result = mconf.send(body)
    mconf.expect_status("request.too-large", result, 413, "request_too_large")

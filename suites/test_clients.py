"""Real clients: what they send, and the official SDK as an oracle.

(a) Every request a real client sent (captured through a loopback capture, keys redacted,
    `suites/clients/*.json`: Claude Code, the TypeScript SDK, the Vercel AI SDK, the Python
    SDK) is sent again, in order, and must be answered 2xx; the core checks every answer.
(b) The official Python SDK drives the target through our transport: any exception it
    raises (an HTTP error, a stream or parse failure) is a finding.
Plus the neighbours real clients call: count_tokens (agreeing with usage.input_tokens) and
the models list.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.suite.harness import Harness, Result

FIXTURES = sorted((Path(__file__).parent / "clients").glob("*.json"))
FORWARDED = ("anthropic-version", "anthropic-beta", "content-type")
COUNT_TOLERANCE = (3, 0.05)  # tokens, share of usage.input_tokens: the larger applies


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# ---------------------------------------------------------------- (a) captured requests


@pytest.mark.parametrize("fixture", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_captured_requests_are_answered(mconf: Harness, fixture: Path) -> None:
    """Each captured request of one client run, replayed in order, gets a 2xx answer."""
    run = _load(fixture)
    previous: str | None = None  # the id a thread `continue` refers to, as the client would
    for index, captured in enumerate(run["requests"]):
        body = _for_target(mconf, _threaded(captured["body"], previous))
        path = _path_for_target(mconf, captured["path"], captured.get("query", ""))
        headers = {k: v for k, v in captured["headers"].items() if k in FORWARDED}
        result = mconf.send(body, path=path, method=captured["method"], headers=headers)
        where = f"{run['client']} {run['version']} request {index} ({captured['method']} {path})"
        message = f"{where}: {result.status} {result.error_type or ''}".strip()
        ok = 200 <= result.status < 300
        mconf.expect("clients.captured-request", ok, message, expected="2xx", received=message)
        previous = _message_id(result) or previous


def _threaded(body: Any, previous: str | None) -> Any:
    thread = body.get("thread") if isinstance(body, dict) else None
    if not isinstance(thread, dict) or thread.get("type") != "continue" or previous is None:
        return body
    return {**body, "thread": {**thread, "previous_message_id": previous}}


def _for_target(mconf: Harness, body: Any) -> Any:
    """The captured body; its model swapped for the target's when the target does not list it."""
    if not isinstance(body, dict) or mconf.target.embedded:
        return body
    if body.get("model") in mconf.target.models:
        return body
    return {**body, "model": mconf.target.model}


def _path_for_target(mconf: Harness, path: str, query: str) -> str:
    prefix = "/v1/models/"
    foreign = path.startswith(prefix) and path.removeprefix(prefix) not in mconf.target.models
    if foreign and not mconf.target.embedded:
        path = prefix + mconf.target.model
    return path + (f"?{query}" if query else "")


def _message_id(result: Result) -> str | None:
    message = result.message
    return message.get("id") if isinstance(message, dict) else None


# ---------------------------------------------------------------- (b) the SDK as oracle


def _steps() -> list[str]:
    try:
        from messages_conformance.suite.oracle import STEPS
    except ImportError:  # the anthropic SDK is a dev dependency
        return ["sdk-missing"]
    return list(STEPS)


@pytest.mark.parametrize("step", _steps())
def test_sdk_oracle(mconf: Harness, step: str) -> None:
    """One path of the official Python SDK runs against the target without an exception."""
    if step == "sdk-missing":
        pytest.skip("the anthropic SDK is not installed (pip install -e '.[dev]')")
    from messages_conformance.suite.oracle import STEPS
    from messages_conformance.suite.oracle_transport import oracle_client

    client = oracle_client(mconf)
    try:
        STEPS[step](client, mconf.target.model)
    except Exception as exc:
        message = f"anthropic SDK, {step}: {type(exc).__name__}: {exc}"[:600]
        mconf.expect("clients.sdk", False, message, expected="no exception", received=message)


# ---------------------------------------------------------------- neighbouring endpoints


def test_count_tokens_agrees_with_usage(mconf: Harness) -> None:
    """count_tokens ≈ usage.input_tokens for the same body; it changes nothing afterwards."""
    body = mconf.body("Count the tokens of this short prompt, please.")
    before = mconf.send(body)
    counted = mconf.send(_count_body(body), path="/v1/messages/count_tokens")
    if not _served(mconf, counted, "count-tokens"):
        return
    after = mconf.send(body)
    used = _input_tokens(before)
    count = counted.checked.body.get("input_tokens") if counted.checked.body else None
    if used is None or not isinstance(count, int):
        return  # the schema checks have said what is missing
    allowed = max(COUNT_TOLERANCE[0], round(used * COUNT_TOLERANCE[1]))
    mconf.expect(
        "behaviour.count-tokens",
        abs(count - used) <= allowed,
        f"count_tokens says {count}, /v1/messages used {used} (allowed difference {allowed})",
        expected=f"{used} ± {allowed}",
        received=count,
    )
    unchanged = _input_tokens(after) == used and after.block_types() == before.block_types()
    mconf.expect(
        "behaviour.count-tokens",
        unchanged,
        "the answer after a count_tokens call differs from the one before it",
        expected=f"input_tokens {used}, blocks {before.block_types()}",
        received=f"input_tokens {_input_tokens(after)}, blocks {after.block_types()}",
    )


def _count_body(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("max_tokens", "stream")}


def _input_tokens(result: Result) -> int | None:
    usage = (result.message or {}).get("usage")
    value = usage.get("input_tokens") if isinstance(usage, dict) else None
    return value if isinstance(value, int) else None


def _served(mconf: Harness, result: Result, feature: str) -> bool:
    """A 2xx (go on checking), or a clean 404 where the profile does not declare the feature."""
    if 200 <= result.status < 300:
        return True
    declared = feature in mconf.target.features
    clean_absence = result.status == 404 and result.error_type == "not_found_error"
    message = (
        f"the target's profile declares {feature!r} but the endpoint answered {result.status}"
        if declared
        else f"an endpoint that is not served must answer 404 not_found_error, not {result.status}"
    )
    mconf.expect("endpoint.absent", clean_absence and not declared, message, received=result.status)
    return False


def test_models_list_and_retrieve(mconf: Harness) -> None:
    """GET /v1/models pages through ModelInfo; /v1/models/{id} agrees; unknown ids get 404."""
    listed = mconf.send(None, path="/v1/models?limit=2", method="GET")
    if not _served(mconf, listed, "models"):
        return
    page = listed.checked.body if isinstance(listed.checked.body, dict) else {}
    data = page.get("data") if isinstance(page.get("data"), list) else []
    if page.get("has_more") and page.get("last_id"):
        mconf.send(None, path=f"/v1/models?limit=2&after_id={page['last_id']}", method="GET")
    if data and isinstance(data[0], dict) and isinstance(data[0].get("id"), str):
        one = mconf.send(None, path=f"/v1/models/{data[0]['id']}", method="GET")
        same = one.checked.body == data[0]
        message = f"GET /v1/models/{data[0]['id']} differs from its entry in the list"
        mconf.expect("endpoint.models", same, message, expected=data[0], received=one.checked.body)
    missing = mconf.send(None, path="/v1/models/claude-nope-1", method="GET")
    mconf.expect_status("endpoint.models", missing, 404, "not_found_error")

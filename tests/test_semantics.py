"""Semantic rules: unit cases per rule, the example files, and the real-traffic corpus."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.core import semantics
from messages_conformance.core.exchange import Exchange, Request, Response
from messages_conformance.core.findings import Finding, Severity
from messages_conformance.recordings.cassette import load_exchanges

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "spec" / "examples"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
OWN_RULE_IDS = {rule.id for rule in semantics.RULES}
OWN_INVALID = sorted(
    p
    for p in (EXAMPLES / "invalid" / "exchanges").glob("*.json")
    if p.stem.split("--")[0] in OWN_RULE_IDS
)
OWN_VALID = sorted((EXAMPLES / "valid" / "exchanges").glob("json-*.json"))
CORPUS_FILES = sorted(CORPUS.glob("[0-9]*.json")) if CORPUS.is_dir() else []


# --- helpers: what the composer does, in miniature -------------------------------------------


def body_kind(response: Response) -> str:
    body = response.body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not body:
        return "empty"
    if body[:1] in (b"{", b"["):
        return "json"
    sse_start = body.startswith((b"event:", b"data:", b":", b"id:", b"retry:"))
    return "sse" if sse_start or response.content_type == "text/event-stream" else "other"


def accumulate(stream: str) -> dict[str, Any] | None:
    """A minimal stream accumulator (message_start + deltas + message_delta) for these tests."""
    message: dict[str, Any] | None = None
    partial: dict[int, str] = {}
    for line in stream.splitlines():
        if not line.startswith("data:"):
            continue
        event = json.loads(line[5:])
        if event["type"] == "message_start":
            message = event["message"]
        elif message is not None:
            _apply(message, partial, event)
    return message


def _apply(message: dict[str, Any], partial: dict[int, str], event: dict[str, Any]) -> None:
    kind = event["type"]
    if kind == "content_block_start":
        message["content"].append(event["content_block"])
    elif kind == "content_block_delta" and event["delta"]["type"] == "text_delta":
        message["content"][event["index"]]["text"] += event["delta"]["text"]
    elif kind == "content_block_delta" and event["delta"]["type"] == "input_json_delta":
        partial[event["index"]] = partial.get(event["index"], "") + event["delta"]["partial_json"]
    elif kind == "content_block_stop" and event["index"] in partial:
        text = partial.pop(event["index"])
        message["content"][event["index"]]["input"] = json.loads(text) if text else {}
    elif kind == "message_delta":
        message.update({k: v for k, v in event["delta"].items() if k.startswith("stop_")})
        message["usage"].update({k: v for k, v in event.get("usage", {}).items() if v is not None})


def findings_for(exchange: Exchange) -> list[Finding]:
    response = exchange.response
    kind = body_kind(response)
    found = list(semantics.check_http(exchange.request, response, body_kind=kind))
    request_body = exchange.request.json() if exchange.request else None
    message = None
    if kind == "json":
        body = json.loads(response.body)
        found += semantics.check_error(response.status, body)
        if 200 <= response.status < 300 and body.get("type") == "message":
            message = body
    elif kind == "sse":
        message = accumulate(response.body.decode())
    if message is not None:
        found += semantics.check_message(request_body, message, streamed=kind == "sse")
    return found


def rules(found: Iterator[Finding] | list[Finding]) -> list[str]:
    return [f.rule for f in found]


def message(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": "Hello!"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 6},
    }
    base.update(overrides)
    return base


def tool_use(name: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "tool_use", "id": "toolu_01A", "name": name, "input": data or {}}


WEATHER = {
    "name": "get_weather",
    "input_schema": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
}


def request(**body: Any) -> dict[str, Any]:
    return {"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": [], **body}


def check(req: dict[str, Any] | None, msg: dict[str, Any], streamed: bool = False) -> list[str]:
    return rules(semantics.check_message(req, msg, streamed=streamed))


# --- the catalogue -------------------------------------------------------------------------


def test_rule_ids_are_unique_and_in_the_owned_families() -> None:
    ids = [rule.id for rule in semantics.RULES]
    assert len(ids) == len(set(ids)) == 19
    assert all(i.startswith(("http.", "message.")) for i in ids)


def test_warnings_are_the_documented_soft_rules() -> None:
    warnings = {r.id for r in semantics.RULES if r.severity is Severity.WARNING}
    assert warnings == {
        "http.request-id",
        "http.retry-after",
        "message.stop-sequence-key-missing",
        "message.input-tokens-zero",
    }


# --- check_http ----------------------------------------------------------------------------

JSON_HEADERS = {"content-type": "application/json", "request-id": "req_011CX"}
SSE_HEADERS = {"content-type": "text/event-stream; charset=utf-8", "request-id": "req_011CX"}
STREAM_REQUEST = Request("POST", "http://x/v1/messages", {}, b'{"stream": true}')


def http(status: int, headers: dict[str, str], kind: str, req: Request | None = None) -> list[str]:
    response = Response(status, headers, b"{}")
    return rules(semantics.check_http(req, response, body_kind=kind))


def test_stream_request_answered_with_json_is_flagged() -> None:
    assert http(200, JSON_HEADERS, "json", STREAM_REQUEST) == ["http.stream-not-sse"]
    assert http(200, SSE_HEADERS, "sse", STREAM_REQUEST) == []


def test_stream_request_may_fail_with_a_json_error() -> None:
    assert http(401, JSON_HEADERS, "json", STREAM_REQUEST) == []


@pytest.mark.parametrize(
    ("status", "content_type", "kind", "fires"),
    [
        (200, "application/json", "json", False),
        (200, "application/json; charset=utf-8", "json", False),
        (200, "text/plain", "json", True),
        (200, "application/problem+json", "json", True),
        (400, "application/problem+json", "json", False),
        (400, "text/html", "json", True),
        (200, "text/event-stream; charset=utf-8", "sse", False),
        (200, "application/json", "sse", True),
        (200, "text/plain", "other", False),
        (200, "", "json", True),
    ],
)
def test_content_type_matches_the_body(
    status: int, content_type: str, kind: str, fires: bool
) -> None:
    headers = {"request-id": "req_1", "content-type": content_type}
    if not content_type:
        del headers["content-type"]
    assert ("http.content-type" in http(status, headers, kind)) is fires


def test_header_rules_skip_recordings_without_headers() -> None:
    assert http(429, {}, "json") == []
    assert http(200, {"content-type": "application/json"}, "json") == []


def test_missing_request_id_is_a_warning() -> None:
    found = list(
        semantics.check_http(
            None, Response(200, {"content-type": "application/json", "date": "x"}), body_kind="json"
        )
    )
    assert [(f.rule, f.severity, f.location) for f in found] == [
        ("http.request-id", Severity.WARNING, "header:request-id")
    ]


def test_retry_after_on_429_and_529() -> None:
    assert http(429, JSON_HEADERS, "json") == ["http.retry-after"]
    assert http(529, JSON_HEADERS, "json") == ["http.retry-after"]
    assert http(429, {**JSON_HEADERS, "retry-after": "7"}, "json") == []


def test_spend_cap_429_needs_no_retry_after() -> None:
    body = {
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": "You have reached your API usage limits.",
            "details": {"error_code": "enforced_spend_limit_reached"},
        },
    }
    response = Response(429, JSON_HEADERS, json.dumps(body).encode())
    assert rules(semantics.check_http(None, response, body_kind="json")) == []


# --- check_error ---------------------------------------------------------------------------


def envelope(error_type: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": "m"}, "request_id": "req_1"}


@pytest.mark.parametrize(("status", "error_type"), sorted(semantics.STATUS_ERROR_TYPES.items()))
def test_documented_pairs_pass(status: int, error_type: str) -> None:
    assert rules(semantics.check_error(status, envelope(error_type))) == []


@pytest.mark.parametrize(
    ("status", "error_type", "fires"),
    [
        (400, "authentication_error", True),
        (404, "invalid_request_error", True),
        (529, "api_error", True),
        (422, "invalid_request_error", False),  # "other 4XX status codes not listed"
        (405, "invalid_request_error", False),
        (422, "not_found_error", True),
        (503, "api_error", False),
        (503, "overloaded_error", False),
        (502, "authentication_error", True),
        (0, "not_found_error", False),  # status unknown (bare body file)
    ],
)
def test_status_error_type_pairing(status: int, error_type: str, fires: bool) -> None:
    found = rules(semantics.check_error(status, envelope(error_type)))
    assert found == (["http.status-error-type"] if fires else [])


def test_success_with_error_envelope() -> None:
    assert rules(semantics.check_error(200, envelope("overloaded_error"))) == [
        "http.success-with-error"
    ]
    assert rules(semantics.check_error(200, message())) == []


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"message": "bad", "type": "invalid_request_error"}},
        {"type": "error", "error": "bad request"},
        {"detail": "Not Found"},
    ],
)
def test_non_envelope_error_body(body: dict[str, Any]) -> None:
    found = list(semantics.check_error(400, body))
    assert [(f.rule, f.location) for f in found] == [("http.error-envelope", "/type")]


def test_envelope_without_error_type_is_left_to_the_schema() -> None:
    assert rules(semantics.check_error(400, {"type": "error", "error": {"message": "m"}})) == []


# --- check_message -------------------------------------------------------------------------


def test_clean_message_has_no_findings() -> None:
    assert check(request(), message()) == []


def test_not_a_message_is_left_to_the_schema() -> None:
    assert check(request(), {"object": "chat.completion"}) == []


def test_stop_reason_null_or_missing() -> None:
    assert check(None, message(stop_reason=None)) == ["message.stop-reason-null"]
    msg = message()
    del msg["stop_reason"]
    assert check(None, msg) == ["message.stop-reason-null"]


@pytest.mark.parametrize(
    ("stop_reason", "matched", "offered", "fires"),
    [
        ("stop_sequence", "END", ["END"], False),
        ("stop_sequence", "###", ["END"], True),
        ("stop_sequence", None, ["END"], True),
        ("stop_sequence", None, None, True),
        ("stop_sequence", "END", None, True),  # nothing was offered, nothing can match
        ("end_turn", "END", ["END"], True),
        ("end_turn", None, ["END"], False),
    ],
)
def test_stop_sequence(
    stop_reason: str, matched: str | None, offered: list[str] | None, fires: bool
) -> None:
    req = request(stop_sequences=offered) if offered else request()
    found = check(req, message(stop_reason=stop_reason, stop_sequence=matched))
    assert found == (["message.stop-sequence"] if fires else [])


def test_stop_sequence_without_request_checks_only_null() -> None:
    assert check(None, message(stop_reason="stop_sequence", stop_sequence="END")) == []
    assert check(None, message(stop_reason="stop_sequence")) == ["message.stop-sequence"]


def test_stop_sequence_key_missing_only_when_not_streamed() -> None:
    msg = message()
    del msg["stop_sequence"]
    assert check(None, msg) == ["message.stop-sequence-key-missing"]
    assert check(None, msg, streamed=True) == []


def test_tool_use_stop_needs_a_tool_block() -> None:
    assert check(None, message(stop_reason="tool_use")) == ["message.tool-use-missing"]
    server = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
    assert check(None, message(stop_reason="tool_use", content=[server])) == []


def test_tool_choice_any_needs_a_tool_use() -> None:
    req = request(tools=[WEATHER], tool_choice={"type": "any"})
    assert check(req, message()) == ["message.tool-choice-forced"]
    used = tool_use("get_weather", {"location": "Paris"})
    assert check(req, message(stop_reason="tool_use", content=[used])) == []


def test_tool_choice_tool_needs_that_tool() -> None:
    other = {"name": "get_time", "input_schema": {"type": "object"}}
    req = request(tools=[WEATHER, other], tool_choice={"type": "tool", "name": "get_weather"})
    found = check(req, message(stop_reason="tool_use", content=[tool_use("get_time")]))
    assert found == ["message.tool-choice-forced"]


def test_forced_tool_choice_tolerates_refusal_and_truncation() -> None:
    req = request(tools=[WEATHER], tool_choice={"type": "any"})
    assert check(req, message(stop_reason="refusal")) == []
    assert (
        check(
            req, message(stop_reason="max_tokens", usage={"input_tokens": 5, "output_tokens": 1024})
        )
        == []
    )


def test_tool_choice_none_forbids_tool_use() -> None:
    req = request(tools=[WEATHER], tool_choice={"type": "none"})
    used = tool_use("get_weather", {"location": "Paris"})
    found = list(
        semantics.check_message(
            req, message(stop_reason="tool_use", content=[used]), streamed=False
        )
    )
    assert [(f.rule, f.location) for f in found] == [("message.tool-choice-none", "/content/0")]


def test_tool_unknown() -> None:
    used = tool_use("get_wether", {"location": "Paris"})
    found = list(
        semantics.check_message(
            request(tools=[WEATHER]),
            message(stop_reason="tool_use", content=[used]),
            streamed=False,
        )
    )
    assert [(f.rule, f.location) for f in found] == [("message.tool-unknown", "/content/0/name")]


def test_tool_unknown_counts_anthropic_client_tools_and_deferred_tools() -> None:
    tools = [{"type": "bash_20250124", "name": "bash"}, {**WEATHER, "defer_loading": True}]
    content = [tool_use("bash", {"command": "ls"}), tool_use("get_weather", {"location": "Oslo"})]
    assert check(request(tools=tools), message(stop_reason="tool_use", content=content)) == []


@pytest.mark.parametrize(
    "req",
    [
        None,
        request(tools=[{"type": "mcp_toolset", "mcp_server_name": "deepwiki"}]),
        request(
            tools=[WEATHER],
            messages=[{"role": "user", "content": [{"type": "tool_addition", "tool": {}}]}],
        ),
    ],
    ids=["no-request", "nameless-toolset", "tool-addition"],
)
def test_tool_unknown_skips_when_tools_are_not_knowable(req: dict[str, Any] | None) -> None:
    assert check(req, message(stop_reason="tool_use", content=[tool_use("anything")])) == []


def test_tool_unknown_ignores_server_and_mcp_tool_use() -> None:
    content = [
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
        {
            "type": "mcp_tool_use",
            "id": "mcptoolu_1",
            "name": "ask",
            "server_name": "s",
            "input": {},
        },
    ]
    assert check(request(), message(stop_reason="tool_use", content=content)) == []


def test_tool_input_schema_catches_dropped_input() -> None:
    found = list(
        semantics.check_message(
            request(tools=[WEATHER]),
            message(stop_reason="tool_use", content=[tool_use("get_weather")]),
            streamed=False,
        )
    )
    assert [(f.rule, f.location) for f in found] == [
        ("message.tool-input-schema", "/content/0/input")
    ]
    assert "location" in found[0].message


def test_tool_input_schema_points_into_the_input() -> None:
    tool = {
        "name": "t",
        "input_schema": {"type": "object", "properties": {"n": {"type": "integer"}}},
    }
    found = list(
        semantics.check_message(
            request(tools=[tool]),
            message(stop_reason="tool_use", content=[tool_use("t", {"n": "7"})]),
            streamed=False,
        )
    )
    assert [f.location for f in found] == ["/content/0/input/n"]


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"x": {"type": "not-a-type"}}},
        {"type": "object", "properties": {"x": {"$ref": "https://example.invalid/s.json"}}},
        {"type": "object", "properties": {"x": {"pattern": "("}}},
    ],
    ids=["bad-type", "remote-ref", "bad-regex"],
)
def test_broken_input_schema_is_not_the_servers_fault(schema: dict[str, Any]) -> None:
    tool = {"name": "t", "input_schema": schema}
    content = [tool_use("t", {"x": "1"})]
    assert check(request(tools=[tool]), message(stop_reason="tool_use", content=content)) == []


def test_format_is_not_asserted() -> None:
    tool = {
        "name": "t",
        "input_schema": {"type": "object", "properties": {"d": {"format": "date"}}},
    }
    content = [tool_use("t", {"d": "not a date"})]
    assert check(request(tools=[tool]), message(stop_reason="tool_use", content=content)) == []


def test_max_tokens_rules() -> None:
    usage = {"input_tokens": 5, "output_tokens": 40}
    assert check(request(max_tokens=16), message(usage=usage)) == ["message.max-tokens"]
    short = {"input_tokens": 5, "output_tokens": 6}
    assert check(request(max_tokens=16), message(stop_reason="max_tokens", usage=short)) == [
        "message.max-tokens-stop"
    ]
    exact = {"input_tokens": 5, "output_tokens": 16}
    assert check(request(max_tokens=16), message(stop_reason="max_tokens", usage=exact)) == []


def test_max_tokens_zero_prewarms_the_cache() -> None:
    usage = {"input_tokens": 5, "output_tokens": 0}
    assert (
        check(request(max_tokens=0), message(stop_reason="max_tokens", content=[], usage=usage))
        == []
    )


def test_input_tokens_zero() -> None:
    zero = {"input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 3}
    assert check(None, message(usage=zero)) == ["message.input-tokens-zero"]
    cached = {"input_tokens": 0, "cache_read_input_tokens": 900, "output_tokens": 3}
    assert check(None, message(usage=cached)) == []


def test_garbage_shapes_never_raise() -> None:
    odd = message(content="text", usage="lots", stop_reason="tool_use")
    req = {"tools": "x", "tool_choice": "any", "max_tokens": "9", "messages": "m"}
    assert check(req, odd) == ["message.tool-use-missing"]


# --- example files -------------------------------------------------------------------------


@pytest.mark.parametrize("path", OWN_INVALID, ids=lambda p: p.stem)
def test_invalid_example_triggers_exactly_its_rule(path: Path) -> None:
    (exchange,) = load_exchanges(path)
    expected = path.stem.split("--")[0]
    assert sorted(set(rules(findings_for(exchange)))) == [expected]


def test_every_rule_has_an_invalid_example() -> None:
    covered = {p.stem.split("--")[0] for p in OWN_INVALID}
    assert covered == OWN_RULE_IDS


@pytest.mark.parametrize("path", OWN_VALID, ids=lambda p: p.stem)
def test_valid_example_has_no_semantic_findings(path: Path) -> None:
    (exchange,) = load_exchanges(path)
    assert [str(f) for f in findings_for(exchange)] == []


# --- the real corpus -----------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS_FILES, reason="real-traffic corpus not checked out beside the repo")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.stem[:3])
def test_real_traffic_gives_no_errors(path: Path) -> None:
    (exchange,) = load_exchanges(path)
    found = findings_for(exchange)
    assert [str(f) for f in found if f.severity is Severity.ERROR] == []
    # The only tolerated warning: recorders that strip request-id (pydantic-ai's serializer).
    assert {f.rule for f in found} <= {"http.request-id"}
    if "request-id" in exchange.response.headers:
        assert found == []


@pytest.mark.skipif(not CORPUS_FILES, reason="real-traffic corpus not checked out beside the repo")
def test_corpus_exercises_the_message_rules() -> None:
    """Guard against a vacuous corpus test: messages were really checked, streams included."""
    checked = streamed = 0
    for path in CORPUS_FILES:
        (exchange,) = load_exchanges(path)
        kind = body_kind(exchange.response)
        if kind == "sse" and accumulate(exchange.response.body.decode()) is not None:
            streamed += 1
        elif kind == "json" and b'"type": "message"' in exchange.response.body:
            checked += 1
    assert checked >= 90 and streamed >= 50


def _drifted_tool_call(strict: bool | None) -> list[Any]:
    tool: dict[str, Any] = {
        "name": "t",
        "input_schema": {"type": "object", "properties": {"flag": {"type": "boolean"}}},
    }
    if strict is not None:
        tool["strict"] = strict
    reply = message(
        content=[{"type": "tool_use", "id": "toolu_1", "name": "t", "input": {"flag": "True"}}]
    )
    return list(semantics.check_message(request(tools=[tool]), reply, streamed=False))


@pytest.mark.parametrize(
    ("strict", "severity"),
    [(True, Severity.ERROR), (False, Severity.WARNING), (None, Severity.WARNING)],
)
def test_tool_input_schema_is_an_error_only_for_strict_tools(
    strict: bool | None, severity: Severity
) -> None:
    found = _drifted_tool_call(strict)
    assert [(f.rule, f.severity) for f in found] == [("message.tool-input-schema", severity)]


SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "integer"}},
    "required": ["answer"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("text", "stop_reason", "rules"),
    [
        ('{"answer": 4}', "end_turn", []),
        ("The answer is 4.", "end_turn", ["message.output-format"]),
        ('{"answer": "4"}', "end_turn", ["message.output-format"]),
        ('{"answer": 4, "extra": 1}', "end_turn", ["message.output-format"]),
        ('{"ans', "max_tokens", []),  # cut short: the schema cannot be met
    ],
)
def test_structured_output_answer_is_json_valid_against_the_schema(
    text: str, stop_reason: str, rules: list[str]
) -> None:
    reply = message(content=[{"type": "text", "text": text}], stop_reason=stop_reason)
    for body in (
        request(output_config={"format": {"type": "json_schema", "schema": SCHEMA}}),
        request(output_format={"type": "json_schema", "schema": SCHEMA}),
    ):
        found = [f for f in semantics.check_message(body, reply, streamed=False)]
        assert [f.rule for f in found if f.rule.startswith("message.output")] == rules

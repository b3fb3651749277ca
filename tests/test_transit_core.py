"""The pure transit core: differences, correlation and the two-sided comparison, rule by rule."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from messages_conformance.core import correlation, delivery, forwarding
from messages_conformance.core.difference import MISSING, Change, differences, same
from messages_conformance.core.exchange import Exchange, Request, Response
from messages_conformance.core.rules import all_rules
from messages_conformance.core.transit import CUT_HEADER, RULES, Policy, compare, crossed, roundtrip
from messages_conformance.transit import script

MARKER = correlation.marker_for("tests/test_transit_core")
Json = dict[str, Any]


def body() -> Json:
    return {
        "model": "claude-sonnet-4-6",
        "max_tokens": 8192,
        "system": [
            {"type": "text", "text": "S", "cache_control": {"type": "ephemeral", "ttl": "1h"}}
        ],
        "messages": [
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": [script.thinking("m0"), script.tool_use("m0", "w", {"city": "Paris"})],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": script.tool_id("m0"), "content": "18"},
                    {"type": "text", "text": correlation.marked_text(MARKER, "Thanks")},
                ],
            },
        ],
        "metadata": {"user_id": "u1"},
    }


def message() -> Json:
    usage = script.usage(
        10, 5, cache_read_input_tokens=7, server_tool_use={"web_search_requests": 1}
    )
    content = [
        script.thinking(MARKER),
        script.text("It is 18."),
        script.tool_use(MARKER, "w", {"city": "Paris"}),
    ]
    return script.message(MARKER, content, stop_reason="tool_use", usage_=usage)


CLIENT_HEADERS = {
    "anthropic-version": "2023-06-01",
    "anthropic-beta": "a-1,b-2",
    "x-api-key": "REDACTED:target",
}
UPSTREAM_HEADERS = {
    "anthropic-version": "2023-06-01",
    "anthropic-beta": "a-1,b-2",
    "x-api-key": "REDACTED:upstream-key",
}


def request(payload: Any, headers: dict[str, str]) -> Request:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Request("POST", "http://gw/v1/messages", dict(headers), raw)


def json_response(payload: Any, status: int = 200, **headers: str) -> Response:
    return Response(
        status,
        {"content-type": "application/json", "request-id": "req_1", **headers},
        json.dumps(payload).encode(),
    )


def sse_response(events: list[list[Any]], **headers: str) -> Response:
    text = "".join(f"event: {n}\ndata: {json.dumps(d)}\n\n" for n, d in events)
    return Response(
        200, {"content-type": "text/event-stream", "request-id": "req_1", **headers}, text.encode()
    )


def pair(stream: bool = False) -> tuple[Exchange, Exchange]:
    """A clean crossing: the client and the upstream saw the same request and answer."""
    answer = sse_response(script.events_of(message())) if stream else json_response(message())
    client = Exchange(answer, request(body(), CLIENT_HEADERS))
    again = sse_response(script.events_of(message())) if stream else json_response(message())
    upstream = Exchange(again, request(body(), UPSTREAM_HEADERS))
    return client, upstream


def rules(found: list[Any]) -> set[str]:
    return {f.rule for f in found}


# -- differences ------------------------------------------------------------------------------


def test_same_is_json_equality() -> None:
    assert same(1, 1.0) and same({"a": [1, "x"]}, {"a": [1.0, "x"]})
    assert (
        not same(True, 1) and not same("1", 1) and not same([1], [1, 2]) and not same(None, False)
    )


def test_differences_name_each_place_by_pointer() -> None:
    found = list(
        differences({"a": {"b/c": 1, "d": 2}, "l": [1, 2]}, {"a": {"b/c": 9}, "l": [1], "n": 0})
    )
    assert [(d.pointer, d.change) for d in found] == [
        ("/a/b~1c", Change.CHANGED),
        ("/a/d", Change.DROPPED),
        ("/l/1", Change.DROPPED),
        ("/n", Change.ADDED),
    ]
    assert found[0].parts() == ["a", "b/c", ""][:2] and found[1].arrived is MISSING


# -- correlation ------------------------------------------------------------------------------


def test_marker_is_stable_and_found_in_any_string() -> None:
    assert correlation.marker_for("x") == correlation.marker_for("x") != correlation.marker_for("y")
    reshaped = {
        "messages": [{"role": "user", "content": [{"type": "text", "text": f"hi [{MARKER}]"}]}]
    }
    assert correlation.markers_in(request(reshaped, {})) == [MARKER]
    escaped = json.dumps(reshaped, ensure_ascii=True).replace("-", "\\u002d").encode()
    assert correlation.markers_in(request(escaped, {})) == [MARKER]


def test_correlate_by_marker_then_header_then_only_open_case() -> None:
    other = correlation.marker_for("other")
    marked = request(body(), {})
    assert correlation.correlate(marked, [other, MARKER]) == correlation.Match(MARKER, "marker")
    bare = request({"model": "m", "messages": [{"role": "user", "content": "rewritten"}]}, {})
    headed = request(json.loads(bare.body), {correlation.CASE_HEADER: other})
    assert correlation.correlate(headed, [other]) == correlation.Match(other, "header")
    assert correlation.correlate(bare, [other]).case is None  # shared upstream: no guessing
    assert correlation.correlate(bare, [other], exclusive=True) == correlation.Match(
        other, "only-open"
    )
    assert correlation.correlate(bare, [other, MARKER], exclusive=True).case is None


def test_a_request_for_a_closed_case_is_not_given_to_another() -> None:
    stray = request(body(), {})  # carries MARKER, whose case is over
    assert (
        correlation.correlate(stray, [correlation.marker_for("open")], exclusive=True).case is None
    )


def test_a_body_that_is_not_json_is_searched_as_text() -> None:
    assert correlation.markers_in(request(f"garbage {MARKER}".encode(), {})) == [MARKER]


# -- the comparison, rule by rule -------------------------------------------------------------

Change_ = Callable[[Exchange, Exchange], tuple[Exchange, Exchange]]


def _upstream_body(edit: Callable[[Json], None]) -> Change_:
    def apply(client: Exchange, upstream: Exchange) -> tuple[Exchange, Exchange]:
        assert upstream.request is not None
        payload = json.loads(upstream.request.body)
        edit(payload)
        return client, Exchange(upstream.response, request(payload, dict(upstream.request.headers)))

    return apply


def _upstream_headers(**changes: str | None) -> Change_:
    def apply(client: Exchange, upstream: Exchange) -> tuple[Exchange, Exchange]:
        assert upstream.request is not None
        headers = {
            k: v for k, v in {**upstream.request.headers, **changes}.items() if v is not None
        }
        return client, Exchange(upstream.response, request(upstream.request.body, headers))

    return apply


def _client_message(edit: Callable[[Json], None]) -> Change_:
    def apply(client: Exchange, upstream: Exchange) -> tuple[Exchange, Exchange]:
        payload = message()
        edit(payload)
        return Exchange(json_response(payload), client.request), upstream

    return apply


def _client_headers(**changes: str | None) -> Change_:
    def apply(client: Exchange, upstream: Exchange) -> tuple[Exchange, Exchange]:
        headers = {k: v for k, v in {**client.response.headers, **changes}.items() if v is not None}
        return Exchange(
            Response(client.response.status, headers, client.response.body), client.request
        ), upstream

    return apply


def _delete(path: str) -> Callable[[Json], None]:
    def edit(payload: Json) -> None:
        *parents, last = path.split("/")
        node: Any = payload
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[int(last) if last.isdigit() else last]

    return edit


def _set(path: str, value: Any) -> Callable[[Json], None]:
    def edit(payload: Json) -> None:
        *parents, last = path.split("/")
        node: Any = payload
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return edit


REQUEST_CASES: dict[str, tuple[Change_, str]] = {
    "version dropped": (
        _upstream_headers(**{"anthropic-version": None}),
        "transit.request.version-header",
    ),
    "beta dropped": (_upstream_headers(**{"anthropic-beta": "a-1"}), "transit.request.beta-header"),
    "beta added": (
        _upstream_headers(**{"anthropic-beta": "a-1,b-2,c-3"}),
        "transit.request.beta-added",
    ),
    "client key": (
        _upstream_headers(**{"x-api-key": "REDACTED:client-key"}),
        "transit.request.client-key",
    ),
    "bearer client key": (
        _upstream_headers(**{"x-api-key": None, "authorization": "REDACTED:bearer-client-key"}),
        "transit.request.client-key",
    ),
    "no upstream key": (
        _upstream_headers(**{"x-api-key": "REDACTED:other-key"}),
        "transit.request.upstream-key",
    ),
    "model": (_upstream_body(_set("model", "gpt-4o")), "transit.request.model"),
    "max_tokens": (_upstream_body(_set("max_tokens", 4096)), "transit.request.max-tokens"),
    "cache_control": (
        _upstream_body(_delete("system/0/cache_control")),
        "transit.request.cache-control",
    ),
    "cache ttl": (
        _upstream_body(_delete("system/0/cache_control/ttl")),
        "transit.request.cache-control",
    ),
    "signature": (
        _upstream_body(_delete("messages/1/content/0/signature")),
        "transit.request.signature",
    ),
    "thinking block": (
        _upstream_body(_delete("messages/1/content/0")),
        "transit.request.signature",
    ),
    "tool id": (
        _upstream_body(_set("messages/1/content/1/id", "call_1")),
        "transit.request.tool-id",
    ),
    "tool_result id": (
        _upstream_body(_set("messages/2/content/0/tool_use_id", "call_1")),
        "transit.request.tool-id",
    ),
    "added field": (_upstream_body(_set("temperature", 1.0)), "transit.request.added-field"),
    "dropped field": (_upstream_body(_delete("metadata")), "transit.request.dropped-field"),
    "changed field": (
        _upstream_body(_set("metadata/user_id", "litellm")),
        "transit.request.changed-field",
    ),
    "stream false spelled out": (_upstream_body(_set("stream", False)), "transit.request.reshaped"),
    "stream true added": (_upstream_body(_set("stream", True)), "transit.request.added-field"),
    "reshaped": (
        _upstream_body(_set("messages/0/content", [{"type": "text", "text": "Weather?"}])),
        "transit.request.reshaped",
    ),
}


@pytest.mark.parametrize("name", sorted(REQUEST_CASES))
def test_request_rule(name: str) -> None:
    change, rule = REQUEST_CASES[name]
    client, upstream = change(*pair())
    found = compare(client, upstream, Policy(upstream_key=True))
    assert rules(found) == {rule}, [str(f) for f in found]
    assert all(f.message for f in found)


def test_forwarded_path_and_a_body_that_is_not_json() -> None:
    client, upstream = pair()
    assert upstream.request is not None
    moved = Request("POST", "/v1/chat/completions", dict(upstream.request.headers), b"model=x")
    found = rules(compare(client, Exchange(upstream.response, moved)))
    assert found == {"transit.request.path", "transit.request.not-json"}


def test_declared_rewrites_are_no_findings() -> None:
    client, upstream = _upstream_body(_set("model", "anthropic-sonnet"))(*pair())
    client, upstream = _upstream_body(_set("max_tokens", 4096))(client, upstream)
    policy = Policy(model_aliases={"claude-sonnet-4-6": "anthropic-sonnet"}, max_tokens_clamp=4096)
    assert compare(client, upstream, policy) == []
    assert rules(compare(client, upstream)) == {
        "transit.request.model",
        "transit.request.max-tokens",
    }


def test_a_clean_crossing_has_no_findings() -> None:
    for stream in (False, True):
        assert compare(*pair(stream), Policy(upstream_key=True)) == []


def test_one_rule_reports_many_places_once() -> None:
    client, upstream = _upstream_body(_delete("system/0/cache_control"))(*pair())
    client, upstream = _upstream_body(_set("messages/0/cache_control", {"type": "ephemeral"}))(
        client, upstream
    )
    found = [f for f in compare(client, upstream) if f.rule == "transit.request.cache-control"]
    assert len(found) == 1 and "and 1 more: /messages/0/cache_control" in found[0].message


RESPONSE_CASES: dict[str, tuple[Change_, str]] = {
    "content": (_client_message(_set("content/1/text", "It is 19.")), "transit.response.content"),
    "block dropped": (_client_message(_delete("content/1")), "transit.response.content"),
    "tool id": (_client_message(_set("content/2/id", "call_x")), "transit.response.tool-id"),
    "signature": (_client_message(_set("content/0/signature", "")), "transit.response.signature"),
    "stop reason": (_client_message(_set("stop_reason", "end_turn")), "transit.response.stop"),
    "cache usage": (
        _client_message(_set("usage/cache_read_input_tokens", 0)),
        "transit.response.usage",
    ),
    "server tool use": (
        _client_message(_delete("usage/server_tool_use")),
        "transit.response.usage",
    ),
    "message id": (_client_message(_set("id", "chatcmpl-1")), "transit.response.message-id"),
    "model": (_client_message(_set("model", "anthropic/claude")), "transit.response.model"),
    "added": (_client_message(_set("provider", "x")), "transit.response.added-field"),
    "request-id": (_client_headers(**{"request-id": None}), "transit.response.request-id"),
}


@pytest.mark.parametrize("name", sorted(RESPONSE_CASES))
def test_response_rule(name: str) -> None:
    change, rule = RESPONSE_CASES[name]
    assert rules(compare(*change(*pair()))) == {rule}


def test_the_model_asked_for_may_come_back() -> None:
    client, upstream = _client_message(_set("model", "claude-sonnet-4-6"))(*pair())
    _, aliased = _upstream_body(_set("model", "anthropic-sonnet"))(client, upstream)
    answer = message() | {"model": "anthropic-sonnet"}
    aliased = Exchange(json_response(answer), aliased.request)
    policy = Policy(model_aliases={"claude-sonnet-4-6": "anthropic-sonnet"})
    assert compare(client, aliased, policy) == []


def error_pair(
    status: int, client_status: int, client_type: str, retry: str | None, got_retry: str | None
) -> tuple[Exchange, Exchange]:
    sent = script.error_answer(status, retry_after=retry)
    client_body = copy.deepcopy(sent["json"])
    client_body["error"]["type"] = client_type
    extra = {"retry-after": got_retry} if got_retry else {}
    client = Exchange(
        json_response(client_body, client_status, **extra), request(body(), CLIENT_HEADERS)
    )
    upstream = Exchange(
        json_response(sent["json"], status, **sent["headers"]), request(body(), UPSTREAM_HEADERS)
    )
    return client, upstream


@pytest.mark.parametrize(
    ("status", "client_status", "client_type", "retry", "got_retry", "rule"),
    [
        (529, 529, "overloaded_error", "3", "3", None),
        (529, 500, "api_error", "3", "3", "transit.error.status"),
        (413, 400, "invalid_request_error", None, None, "transit.error.status"),
        (429, 429, "api_error", "7", "7", "transit.error.type"),
        (429, 429, "rate_limit_error", "7", None, "transit.error.retry-after"),
        (429, 429, "rate_limit_error", "7", "60", "transit.error.retry-after-changed"),
    ],
)
def test_error_mapping(
    status: int,
    client_status: int,
    client_type: str,
    retry: str | None,
    got_retry: str | None,
    rule: str | None,
) -> None:
    found = compare(*error_pair(status, client_status, client_type, retry, got_retry))
    assert rules(found) == ({rule} if rule else set())
    if rule == "transit.error.status":
        assert found[0].expected == f"{status} {script.ERROR_TYPES[status]}"


def test_an_error_without_a_message() -> None:
    client, upstream = error_pair(500, 500, "api_error", None, None)
    stripped = json.loads(client.response.body)
    stripped["error"]["message"] = ""
    client = Exchange(json_response(stripped, 500), client.request)
    assert rules(compare(client, upstream)) == {"transit.error.message"}


def test_success_status_and_body_kind() -> None:
    client, upstream = pair()
    broken = Exchange(json_response({"error": "bad gateway"}, 502), client.request)
    assert rules(compare(broken, upstream)) == {"transit.response.status"}
    page = {"content-type": "text/html", "request-id": "req_1"}
    html = Exchange(Response(200, page, b"<html>"), client.request)
    assert rules(compare(html, upstream)) == {"transit.response.body"}


# -- streams ----------------------------------------------------------------------------------


def stream_pair(
    events: list[list[Any]], client_events: list[list[Any]], cut: bool = False
) -> tuple[Exchange, Exchange]:
    headers = {CUT_HEADER: "yes"} if cut else {}
    client = Exchange(sse_response(client_events), request(body(), CLIENT_HEADERS))
    upstream = Exchange(sse_response(events, **headers), request(body(), UPSTREAM_HEADERS))
    return client, upstream


def test_a_stream_answered_as_json() -> None:
    client, upstream = pair(stream=True)
    assert rules(compare(Exchange(json_response(message()), client.request), upstream)) == {
        "transit.stream.not-streamed"
    }


def test_pings_may_differ_but_events_may_not() -> None:
    events = script.events_of(message())
    no_ping = [e for e in events if e[0] != "ping"]
    assert rules(compare(*stream_pair(events, no_ping))) == {"transit.stream.pings"}
    rechunked = [e for e in events if e[0] != "ping"]
    text_at = next(
        i for i, e in enumerate(rechunked) if e[1].get("delta", {}).get("type") == "text_delta"
    )
    first, second = rechunked[text_at], rechunked[text_at + 1]
    joined = copy.deepcopy(first)
    joined[1]["delta"]["text"] += second[1]["delta"]["text"]
    merged = [*rechunked[:text_at], joined, *rechunked[text_at + 2 :]]
    assert rules(compare(*stream_pair(no_ping, merged))) == {"transit.stream.events"}


def test_a_stream_with_changed_content_names_the_accumulated_field() -> None:
    events = script.events_of(message())
    changed = copy.deepcopy(events)
    for name, data in changed:
        if name == "content_block_start" and data["content_block"]["type"] == "tool_use":
            data["content_block"]["id"] = "call_1"
    found = compare(*stream_pair(events, changed))
    assert rules(found) == {"transit.response.tool-id"}
    assert found[0].location.startswith("accumulated/content/2/id")


def test_an_error_event_must_arrive_and_end_the_stream() -> None:
    failing = script.stream_answer(message(), error_after=4)["events"]
    assert compare(*stream_pair(failing, failing)) == []
    swallowed = [*failing[:-1], *script.events_of(message())[-2:]]
    assert "transit.stream.error-lost" in rules(compare(*stream_pair(failing, swallowed)))
    continued = [*failing, *script.events_of(message())[-2:]]
    assert rules(compare(*stream_pair(failing, continued))) == {"transit.stream.after-error"}


def test_a_cut_stream_must_not_end_cleanly() -> None:
    events = script.events_of(message())
    cut = events[:5]
    assert compare(*stream_pair(cut, cut, cut=True)) == []
    invented = [*cut, *events[-2:]]
    found = compare(*stream_pair(cut, invented, cut=True))
    assert rules(found) == {"transit.stream.invented-ending"}
    assert "message_delta and message_stop" in found[0].message


def test_events_before_a_cut_must_arrive_unchanged() -> None:
    events = script.events_of(message())
    cut = events[:5]
    changed = copy.deepcopy(cut)
    changed[0][1]["message"]["usage"]["cache_read_input_tokens"] = 0
    assert rules(compare(*stream_pair(cut, changed, cut=True))) == {"transit.response.usage"}


# -- round trips and concurrency --------------------------------------------------------------


def test_roundtrip_of_signature_and_tool_id() -> None:
    first = Exchange(json_response(message()), request(body(), UPSTREAM_HEADERS))
    issued = message()["content"]
    turn = body()
    turn["messages"] += [
        {"role": "assistant", "content": issued},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": issued[2]["id"], "content": "x"}],
        },
    ]
    assert list(roundtrip(first, request(turn, {}))) == []
    turn["messages"][-2]["content"][0] = {k: v for k, v in issued[0].items() if k != "signature"}
    turn["messages"][-2]["content"][2] = {**issued[2], "id": "call_1"}
    assert rules(list(roundtrip(first, request(turn, {})))) == {
        "transit.roundtrip.signature",
        "transit.roundtrip.tool-id",
    }


def test_a_lost_signature_is_reported_once_as_a_round_trip() -> None:
    client, upstream = _upstream_body(_delete("messages/1/content/0/signature"))(*pair())
    issued = Exchange(
        json_response(script.message("m0", [script.thinking("m0"), script.tool_use("m0", "w", {})]))
    )
    assert rules(compare(client, upstream, issued=issued)) == {"transit.roundtrip.signature"}


def test_crossed_streams_are_named() -> None:
    def one(text: str) -> Exchange:
        return Exchange(json_response(script.message(MARKER, [script.text(text)])))

    assert crossed([(one("a"), one("a")), (one("b"), one("b"))]) == [[], []]
    mixed = crossed([(one("a"), one("a")), (one("a"), one("b"))])
    assert mixed[0] == [] and rules(mixed[1]) == {"transit.concurrency.crossed"}


def test_correlation_findings_of_a_case() -> None:
    from messages_conformance.suite.transit_case import _correlation
    from messages_conformance.transit.legs import Leg, Legs

    upstream = pair()[1]
    once = Legs((Leg(upstream, "marker"),), ())
    assert _correlation(once) == []
    twice = Legs((Leg(upstream, "marker"), Leg(upstream, "header")), ())
    assert rules(_correlation(twice)) == {"transit.request.retried", "transit.correlation.fallback"}


def test_a_deviation_both_sides_see_is_reported_once() -> None:
    from messages_conformance.suite.transit_case import SAME_DEVIATION

    client, upstream = error_pair(504, 504, "api_error", None, None)
    transit = rules(compare(client, upstream))
    assert transit == {"transit.error.type"}
    assert any(transit & by for by in SAME_DEVIATION.values())
    assert set(SAME_DEVIATION) <= set(all_rules())
    assert all(by <= {r.id for r in RULES} for by in SAME_DEVIATION.values())


ELSEWHERE = {  # rules whose cases live in other tests of this file or in test_transit_run.py
    "transit.request.path",
    "transit.request.not-json",
    "transit.error.status",
    "transit.error.type",
    "transit.error.message",
    "transit.error.retry-after",
    "transit.error.retry-after-changed",
    "transit.response.status",
    "transit.response.body",
    "transit.stream.not-streamed",
    "transit.stream.pings",
    "transit.stream.events",
    "transit.stream.error-lost",
    "transit.stream.after-error",
    "transit.stream.invented-ending",
    "transit.roundtrip.signature",
    "transit.roundtrip.tool-id",
    "transit.concurrency.crossed",
    "transit.correlation.fallback",
    "transit.request.retried",
    "transit.correlation.unmatched",  # test_transit_run: a gateway forwarding elsewhere
}


def test_every_transit_rule_is_in_the_catalogue_and_has_a_case() -> None:
    assert {r.id for r in RULES} <= set(all_rules())
    tabled = {rule for _, rule in [*REQUEST_CASES.values(), *RESPONSE_CASES.values()]}
    assert {r.id for r in RULES} == tabled | ELSEWHERE
    assert forwarding.RULES and delivery.RULES

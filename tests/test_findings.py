"""Findings and rules: the values every check yields; and the package's public API."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys

import pytest

import messages_conformance
from messages_conformance.core.findings import Rule, Severity, has_errors

RULE = Rule("stream.order.after-stop", Severity.ERROR, "nothing follows message_stop")


def test_rule_makes_findings_with_its_id_and_severity() -> None:
    finding = RULE.finding(
        "an event after message_stop", location="events[7]", expected=None, received="ping"
    )
    assert (finding.rule, finding.severity, finding.location) == (
        RULE.id,
        Severity.ERROR,
        "events[7]",
    )
    assert finding.received == "ping" and finding.expected is None


def test_expected_and_received_are_short_json_text() -> None:
    finding = RULE.finding("x", expected={"type": "message_stop"}, received="y" * 1000)
    assert finding.expected == '{"type": "message_stop"}'
    assert (
        finding.received is not None
        and len(finding.received) == 300
        and finding.received.endswith("…")
    )


def test_str_shows_rule_location_expected_and_received() -> None:
    text = str(
        RULE.finding("late event", location="events[3]", expected="nothing", received="ping")
    )
    assert text.splitlines() == [
        "[error] stream.order.after-stop at events[3]: late event",
        "  Expected: nothing",
        "  Received: ping",
    ]


def test_to_dict_is_plain_json() -> None:
    data = RULE.finding("m", location="/a").to_dict()
    assert data == {
        "rule": RULE.id,
        "severity": "error",
        "message": "m",
        "location": "/a",
        "expected": None,
        "received": None,
    }


def test_findings_are_frozen_values() -> None:
    finding = RULE.finding("m")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.rule = "other"  # type: ignore[misc]
    assert finding == RULE.finding("m")


def test_has_errors_ignores_warnings_and_notices() -> None:
    warning = Rule("w", Severity.WARNING, "w").finding("w")
    notice = Rule("n", Severity.NOTICE, "n").finding("n")
    assert not has_errors([warning, notice])
    assert has_errors([warning, RULE.finding("e")])


def test_public_api_is_exactly_all() -> None:
    assert set(messages_conformance._HOMES) == set(messages_conformance.__all__)
    assert {"Harness", "Rule", "Severity", "check_exchange"} <= set(messages_conformance.__all__)
    assert set(messages_conformance.__all__) <= set(dir(messages_conformance))
    for name in messages_conformance.__all__:
        assert getattr(messages_conformance, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = messages_conformance.nope  # type: ignore[attr-defined]


def test_importing_one_module_loads_nothing_else() -> None:
    code = (
        "import sys, messages_conformance.core.spec; "
        "print(sorted(m for m in sys.modules if m.startswith('messages_conformance')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(ast.literal_eval(done.stdout))
    assert "messages_conformance.net.transport" not in loaded and "httpx" not in done.stdout
    assert "messages_conformance.core.spec" in loaded


def test_exchange_values() -> None:
    from messages_conformance import Exchange, Request, Response

    request = Request(
        "POST", "http://h/v1/messages", {"content-type": "application/json"}, b'{"a": 1}'
    )
    response = Response(200, {"content-type": "text/event-stream; charset=utf-8"})
    assert request.json() == {"a": 1} and Request("POST", "u", body=b"not json").json() is None
    assert response.content_type == "text/event-stream"
    assert Exchange(response, request).request is request

"""core/problems.py: findings grouped by root cause, folded restatements, totals kept."""

from __future__ import annotations

from typing import Any

import pytest

from messages_conformance.core.problems import cause_of, field_subject, group, totals
from messages_conformance.core.reproduction import curl
from messages_conformance.core.spend import Spend, against, of_usage, tally


def finding(rule: str, severity: str = "error", **extra: Any) -> dict[str, Any]:
    return {"rule": rule, "severity": severity, "message": rule, "location": "", **extra}


def case(name: str, *findings: dict[str, Any], status: int = 200) -> dict[str, Any]:
    return {
        "id": f"suites/test_x.py::{name}",
        "suite": "x",
        "findings": list(findings),
        "status": status,
        "exchanges": 1,
    }


@pytest.mark.parametrize(
    ("location", "subject"),
    [
        ("/stop_reason", "stop_reason"),
        ("events[9]/delta/stop_reason", "stop_reason"),
        ("accumulated/stop_reason", "stop_reason"),
        ("events[0]/message/usage", "usage"),
        ("events[12]/usage", "usage"),
        ("/content/3/type", "content/*/type"),
        ("events[2]/content_block/type", "content/*/type"),
        ("", "(body)"),
    ],
)
def test_field_subject_drops_stream_prefixes_and_indexes(location: str, subject: str) -> None:
    assert field_subject(location) == subject


def test_one_field_in_json_stream_and_accumulated_message_is_one_problem() -> None:
    cases = [
        case("json", finding("schema.message", location="/stop_reason", received="stop")),
        case(
            "stream",
            finding("schema.event", location="events[9]/delta/stop_reason"),
            finding("schema.message", location="accumulated/stop_reason"),
        ),
        case("other", finding("schema.message", location="/usage")),
    ]
    problems = group(cases)
    assert [p.key for p in problems] == ["field:stop_reason", "field:usage"]
    assert problems[0].cases == ["suites/test_x.py::json", "suites/test_x.py::stream"]
    assert len(problems[0].members) == 3 and problems[0].folded == 0


def test_envelope_restatements_fold_and_the_type_is_not_blamed_twice() -> None:
    cases = [
        case(
            "auth",
            finding("http.error-envelope", location="/type"),
            finding("schema.error", location="/type"),
            finding("auth.missing-key", expected="401 authentication_error", received="401"),
            status=401,
        ),
        case(
            "gen",
            finding("http.error-envelope", location="/type"),
            finding("generated.response_schema_conformance"),
            status=400,
        ),
    ]
    problems = group(cases)
    assert [p.key for p in problems] == ["envelope"]
    assert problems[0].folded == 2  # the auth expectation and the Schemathesis restatement
    assert problems[0].rules == ["http.error-envelope", "schema.error"]
    assert totals(problems) == {"problems": 1, "findings": 5, "folded": 2}


def test_requests_answered_2xx_are_one_rejection_problem_whatever_was_invalid() -> None:
    cases = [
        case("body", finding("request.invalid-accepted"), finding("schema.request")),
        case("version", finding("version.unknown", expected="400 x", received="200")),
        case("beta", finding("beta.unknown", "warning", expected="400 x", received="200")),
        case("gen", finding("generated.negative_data_rejection")),
    ]
    (problem,) = group(cases)
    assert problem.key == "rejection" and problem.severity == "error"
    assert len(problem.cases) == 4


def test_status_problems_group_by_what_was_received_for_what_was_due() -> None:
    wrong = {"expected": "401 authentication_error", "received": "403 permission_error"}
    cases = [
        case("missing", finding("auth.missing-key", **wrong)),
        case("wrong", finding("auth.wrong-key", **wrong)),
        case("model", finding("model.unknown", expected="404 not_found_error", received="400 x")),
    ]
    problems = group(cases)
    assert [len(p.cases) for p in problems] == [2, 1]
    assert (
        problems[0].title == "answered 403 permission_error where 401 authentication_error is due"
    )


def test_field_readers_fold_only_in_the_same_response() -> None:
    bad_stop = finding("schema.message", location="/stop_reason", exchange=0)
    reader = finding("message.stop-sequence", location="/stop_sequence", exchange=0)
    elsewhere = finding("message.stop-sequence", location="/stop_sequence", exchange=1)
    problems = group([case("c", bad_stop, reader, elsewhere)])
    assert {p.key: (len(p.members), p.folded) for p in problems} == {
        "field:stop_reason": (2, 1),
        "message.stop-sequence:/stop_sequence": (1, 0),
    }


def test_behaviour_after_a_broken_stream_is_its_consequence() -> None:
    broken = finding("stream.order.delta-before-start", location="events[3]/index")
    echo = finding("behaviour.echo", "warning")
    problems = group([case("stream", broken, echo), case("json", finding("behaviour.echo"))])
    assert [(p.key, p.folded) for p in problems] == [
        ("behaviour.echo", 0),
        ("stream.order.delta-before-start:events[*]/index", 1),
    ]


def test_a_folded_warning_makes_no_problem_but_a_folded_error_makes_it_an_error() -> None:
    warning = finding("stream.usage.input-zero", "warning", location="events[0]/message/usage")
    problems = group([case("s", warning, finding("message.max-tokens-stop"))])
    assert len(problems) == 1 and problems[0].severity == "error"


def test_waived_findings_and_notices_make_no_problems() -> None:
    cases = [
        case(
            "c",
            finding("http.request-id", "warning", waived=True),
            finding("drift.field", "notice"),
        )
    ]
    assert group(cases) == []


def test_a_warning_on_every_response_is_marked_everywhere() -> None:
    cases = [case(f"c{i}", finding("http.request-id", "warning")) for i in range(3)]
    cases.append(case("recorded", status=200))
    assert group(cases)[0].everywhere is False
    cases[-1]["findings"].append(finding("http.request-id", "warning"))
    assert group(cases)[0].everywhere is True


def test_errors_come_first_then_the_widest() -> None:
    cases = [
        case("a", finding("http.request-id", "warning"), finding("sse.data-not-json")),
        case("b", finding("http.request-id", "warning"), finding("http.content-type")),
        case("c", finding("http.request-id", "warning"), finding("http.content-type")),
    ]
    assert [p.key for p in group(cases)] == [
        "http.content-type",
        "sse.data-not-json",
        "http.request-id",
    ]


def test_cause_of_an_expectation_that_got_a_different_4xx_is_a_status_cause() -> None:
    cause = cause_of(
        finding("version.unknown", expected="400 invalid_request_error", received="404")
    )
    assert cause.key == "status:404 for 400 invalid_request_error"


def test_curl_uses_the_key_variable_and_quotes_the_body() -> None:
    request = {
        "method": "POST",
        "url": "http://127.0.0.1:8080/v1/messages",
        "headers": {
            "x-api-key": "REDACTED:target",
            "anthropic-version": "2023-06-01",
            "content-length": "12",
        },
        "body": '{"text": "it\'s"}',
    }
    line = curl(request, "GW_KEY")
    assert line == (
        "curl -sS -N -X POST 'http://127.0.0.1:8080/v1/messages' "
        "-H \"x-api-key: $GW_KEY\" -H 'anthropic-version: 2023-06-01' "
        "--data-binary '{\"text\": \"it'\\''s\"}'"
    )
    bearer = curl({"url": "u", "headers": {"authorization": "REDACTED:bearer-target"}}, "K")
    assert '"authorization: Bearer $K"' in bearer
    wrong = curl({"url": "u", "headers": {"x-api-key": "REDACTED:wrong"}}, "K")
    assert "$K" not in wrong and "not-a-valid-key" in wrong


def test_spend_per_suite_and_against_budgets() -> None:
    usage = {"input_tokens": 10, "output_tokens": 3, "cache_read_input_tokens": 2}
    assert of_usage(usage) == Spend(0, 10, 3, 0, 2)
    cases = [
        {"suite": "a", "spend": {"requests": 2, "input_tokens": 10, "output_tokens": 3}},
        {"suite": "b", "exchanges": 1, "output_tokens": 4},  # a report without spend
    ]
    spent = tally(cases)
    assert spent["total"]["requests"] == 3 and spent["total"]["output_tokens"] == 7
    assert spent["suites"]["b"]["requests"] == 1
    line = against(spent["total"], {"max_requests": 10, "max_output_tokens": None})
    assert line.startswith("3 requests (of 10), tokens in 10 / out 7 (no budget)")


def test_the_answer_to_a_request_due_to_be_refused_is_not_judged_apart() -> None:
    accepted = finding("generated.negative_data_rejection", exchange=0)
    forced = finding("message.tool-choice-forced", exchange=0)
    other = finding("message.tool-choice-forced", exchange=1)
    problems = group([case("gen", accepted, forced, other)])
    assert {p.key: (len(p.members), p.folded) for p in problems} == {
        "rejection": (2, 1),
        "message.tool-choice-forced": (1, 0),
    }


def test_attribution_to_a_stub_upstream_only_softens_model_behaviour_rules() -> None:
    from messages_conformance.core.attribution import attribute
    from messages_conformance.core.findings import Rule, Severity

    behaviour = Rule("behaviour.max-tokens", Severity.ERROR, "d").finding("not stopped")
    envelope = Rule("http.error-envelope", Severity.ERROR, "d").finding("not an envelope")
    assert attribute(behaviour, True).severity is Severity.NOTICE
    assert "upstream is a stub" in attribute(behaviour, True).message
    assert attribute(behaviour, False) == behaviour
    assert attribute(envelope, True) == envelope


def test_a_client_failing_on_a_broken_stream_is_its_consequence() -> None:
    broken = finding("stream.block.index", location="events[2]/index", exchange=0)
    sdk = finding("clients.sdk", received="IndexError: list index out of range", exchange=0)
    (problem,) = group([case("sdk", broken, sdk)])
    assert problem.key == "stream.block.index:events[*]/index" and problem.folded == 1

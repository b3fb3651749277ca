"""The rules the suites state as expectations (auth, versions, scenarios, the transfer) and the
rules Schemathesis' own checks report under: declared here, in the core, so the catalogue is
complete without importing the suites."""

from __future__ import annotations

from .findings import Rule, Severity

E, W = Severity.ERROR, Severity.WARNING
SUITE_RULES = (
    Rule("auth.missing-key", E, "a request without credentials gets 401 authentication_error"),
    Rule("auth.wrong-key", E, "a request with a wrong key gets 401 authentication_error"),
    Rule("auth.bearer", E, "Authorization: Bearer with a valid key is accepted (where documented)"),
    Rule(
        "version.missing",
        E,
        "a missing anthropic-version header gets what the target's profile says",
    ),
    Rule("version.unknown", E, "an unknown anthropic-version gets 400 invalid_request_error"),
    Rule("beta.empty", E, "an empty anthropic-beta header is accepted"),
    Rule("beta.unknown", W, "an unknown anthropic-beta name gets 400 invalid_request_error"),
    Rule(
        "request.invalid-accepted", E, "an invalid request body is rejected, not answered with 2xx"
    ),
    Rule("request.invalid-status", E, "an invalid request body gets 400 invalid_request_error"),
    Rule("request.too-large", E, "a body over the size limit gets 413 request_too_large"),
    Rule("model.unknown", E, "an unknown model gets 404 not_found_error"),
    Rule("status.expected", E, "a valid request gets 200 (or the status the scenario provokes)"),
    Rule("behaviour.echo", W, "asked to repeat a phrase exactly, the answer contains it"),
    Rule(
        "behaviour.max-tokens",
        E,
        "a tiny max_tokens on a long answer stops with stop_reason max_tokens",
    ),
    Rule(
        "behaviour.stop-sequence", E, "a requested stop sequence never appears in the returned text"
    ),
    Rule("behaviour.tool-use", E, "a forced or requested tool is called, with an input object"),
    Rule("behaviour.tool-result", E, "a tool_result turn is answered with text"),
    Rule("behaviour.thinking", W, "with thinking enabled the answer has a thinking block first"),
    Rule(
        "behaviour.stream-shape", W, "streamed and non-streamed answers have the same block types"
    ),
    Rule("behaviour.stream-error", E, "an error after a 200 stream arrives as an `error` event"),
    Rule("behaviour.retry-after", E, "429 and 529 answers carry a retry-after header"),
    Rule(
        "behaviour.count-tokens",
        E,
        "count_tokens for a body agrees with the usage.input_tokens /v1/messages reports for it "
        "(within max(3 tokens, 5%)), and a count_tokens call changes nothing in the next answer",
    ),
    Rule(
        "endpoint.absent",
        E,
        "an endpoint the target does not serve answers 404 with an error envelope (and one its "
        "profile declares, with `features`, is served)",
    ),
    Rule("endpoint.models", E, "GET /v1/models/{id} agrees with the list; unknown ids get 404"),
    Rule(
        "clients.captured-request",
        E,
        "a request a real client sent (suites/clients/ fixtures, captured) is answered 2xx",
    ),
    Rule(
        "clients.sdk",
        E,
        "the official Python SDK drives the target without an exception: create, stream, tool "
        "runner, parse with an output format, count_tokens, models.list",
    ),
    Rule(
        "transport.body-too-large",
        E,
        "a response body is larger than the run's cap (--max-body-bytes); reading stopped there",
    ),
    Rule(
        "transport.body-incomplete",
        E,
        "a response body broke off after the status line (idle timeout, reset, bad encoding)",
    ),
)

CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "ignored_auth",
    "missing_required_header",
)
GENERATED_RULES = tuple(
    Rule(f"generated.{name}", Severity.ERROR, f"Schemathesis check {name} over a generated request")
    for name in CHECK_NAMES
)

# What only many concurrent requests show (`mconf load`).
LOAD_NO_ANSWER = Rule(
    "load.no-answer", E, "a request under load gets an HTTP answer (not refused, reset, timed out)"
)
LOAD_CROSSED = Rule(
    "load.crossed-answer", E, "an answer under load never carries another concurrent request's text"
)
LOAD_RULES = (LOAD_NO_ANSWER, LOAD_CROSSED)

RULES = (*SUITE_RULES, *GENERATED_RULES, *LOAD_RULES)

"""The contract in spec/: OpenAPI document, JSON Schemas, examples, and the spec.py validator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from messages_conformance.core.endpoints import endpoint_of
from messages_conformance.core.exchange import Request
from messages_conformance.core.findings import Finding, Severity
from messages_conformance.core.spec import EVENT_TYPES, RULES, Spec, spec_dir

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "spec"
EXAMPLES = SPEC / "examples"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
SCHEMA_FILES = sorted((SPEC / "schemas").rglob("*.json"))


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _load(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def sse_payloads(text: str) -> Iterator[tuple[int, Any]]:
    """Minimal splitter for tests: events end at a blank line; join their `data:` lines."""
    blocks = text.replace("\r\n", "\n").replace("\r", "\n").split("\n\n")
    events = (b for b in blocks if any(line.startswith("data:") for line in b.split("\n")))
    for index, block in enumerate(events):
        data = [
            line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")
        ]
        yield index, json.loads("\n".join(data))


def exchange_findings(spec: Spec, exchange: dict[str, Any]) -> list[Finding]:
    """All schema findings for one corpus-format exchange (request, body or SSE payloads),
    with the schemas of its endpoint (by the request's URL)."""
    request = exchange["request"]
    endpoint = endpoint_of(Request(request.get("method", "POST"), request.get("url", "")))
    found = []
    if endpoint.request_kind is not None:
        found += spec.validate(endpoint.request_kind, request["body"])
    response = exchange["response"]
    if response.get("sse"):
        for index, payload in sse_payloads(response["sse"]):
            found += spec.validate("event", payload, location_prefix=f"events[{index}]")
    elif response.get("body") is not None:
        kind = "error" if response["status"] >= 400 else endpoint.success_kind
        found += spec.validate(kind or "message", response["body"])
    return found


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec.load()


# ---------------------------------------------------------------- loading


def test_spec_dir_prefers_explicit_path_then_checkout(tmp_path: Path) -> None:
    assert spec_dir(tmp_path) == tmp_path
    assert spec_dir() == SPEC


def test_load_is_cached_and_exposes_schemas(spec: Spec) -> None:
    assert Spec.load() is spec
    assert spec.schema("request")["$id"].endswith("/request.json")
    assert spec.schema("events/ping.json")["title"] == "SSE event ping"
    assert spec.openapi_path.is_file()


def test_unknown_schema_and_kind_raise_with_known_names(spec: Spec) -> None:
    with pytest.raises(KeyError, match=r"message\.json"):
        spec.schema("nope")
    with pytest.raises(KeyError, match="request"):
        list(spec.validate("nope", {}))


def test_rules_are_schema_errors() -> None:
    assert [r.id for r in RULES] == [
        "schema.request",
        "schema.message",
        "schema.error",
        "schema.event",
        "schema.token-count",
        "schema.models",
    ]
    assert all(r.severity is Severity.ERROR for r in RULES)


# ---------------------------------------------------------------- schema files


@pytest.mark.parametrize(
    "path", SCHEMA_FILES, ids=[p.relative_to(SPEC).as_posix() for p in SCHEMA_FILES]
)
def test_schema_file_is_valid_2020_12(path: Path) -> None:
    schema = _load(path)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    rel = path.relative_to(SPEC / "schemas").as_posix()
    assert schema["$id"] == f"https://messages-conformance.dev/schemas/{rel}"


def test_every_event_type_has_a_schema() -> None:
    assert {p.stem for p in (SPEC / "schemas" / "events").glob("*.json")} == set(EVENT_TYPES)


# ---------------------------------------------------------------- OpenAPI


def test_openapi_document_is_valid_3_2() -> None:
    from openapi_spec_validator import OpenAPIV32SpecValidator, validate
    from openapi_spec_validator.readers import read_from_filename

    document, base_uri = read_from_filename(str(SPEC / "messages.openapi.yaml"))
    assert document["openapi"] == "3.2.0"
    validate(document, base_uri=base_uri, cls=OpenAPIV32SpecValidator)


def test_openapi_loads_in_schemathesis_and_generates_cases() -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_path(SPEC / "messages.openapi.yaml")
    operation = schema["/v1/messages"]["POST"]
    seen: list[Any] = []

    @given(operation.as_strategy())
    @settings(max_examples=5, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def collect(case: Any) -> None:
        seen.append(case.body)

    collect()
    assert seen and all({"model", "messages", "max_tokens"} <= set(body) for body in seen)


# ---------------------------------------------------------------- request examples

VALID_REQUESTS = sorted((EXAMPLES / "valid" / "requests").glob("*.json"))
INVALID_REQUESTS = sorted((EXAMPLES / "invalid" / "requests").glob("*.json"))


def test_there_are_enough_request_examples() -> None:
    assert len(VALID_REQUESTS) >= 5
    assert len(INVALID_REQUESTS) >= 12


@pytest.mark.parametrize("path", VALID_REQUESTS, ids=_ids(VALID_REQUESTS))
def test_valid_request_example_passes(spec: Spec, path: Path) -> None:
    assert [str(f) for f in spec.validate("request", _load(path))] == []


@pytest.mark.parametrize("path", INVALID_REQUESTS, ids=_ids(INVALID_REQUESTS))
def test_invalid_request_example_fails(spec: Spec, path: Path) -> None:
    findings = list(spec.validate("request", _load(path)))
    assert findings, f"{path.name} should fail schema.request"
    assert {f.rule for f in findings} == {"schema.request"}


# ---------------------------------------------------------------- exchange examples (schema.*)

VALID_EXCHANGES = sorted((EXAMPLES / "valid" / "exchanges").glob("*.json"))
SCHEMA_EXCHANGES = sorted((EXAMPLES / "invalid" / "exchanges").glob("schema.*.json"))


@pytest.mark.parametrize("path", VALID_EXCHANGES, ids=_ids(VALID_EXCHANGES))
def test_valid_exchange_example_has_no_schema_findings(spec: Spec, path: Path) -> None:
    assert [str(f) for f in exchange_findings(spec, _load(path))] == []


@pytest.mark.parametrize("path", SCHEMA_EXCHANGES, ids=_ids(SCHEMA_EXCHANGES))
def test_invalid_exchange_example_triggers_its_rule(spec: Spec, path: Path) -> None:
    rule = path.name.split("--")[0].removesuffix(".json")
    findings = exchange_findings(spec, _load(path))
    assert rule in {f.rule for f in findings}, [str(f) for f in findings]


# ---------------------------------------------------------------- real corpus


def _corpus() -> list[Path]:
    return sorted(CORPUS.glob("[0-9]*.json")) if CORPUS.is_dir() else []


CORPUS_FILES = _corpus()
needs_corpus = pytest.mark.skipif(
    not CORPUS_FILES, reason="shared/corpus/real not beside the checkout"
)


@needs_corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name[:3] for p in CORPUS_FILES])
def test_real_exchange_validates_cleanly(spec: Spec, path: Path) -> None:
    exchange = _load(path)
    findings = exchange_findings(spec, exchange)
    if exchange["response"]["status"] == 400:
        # The server rejected this request; only the response must be clean.
        findings = [f for f in findings if f.rule != "schema.request"]
    assert [str(f) for f in findings] == []


@needs_corpus
def test_request_the_server_rejected_for_its_shape_fails_here_too(spec: Spec) -> None:
    # 162: messages ["Invalid content"] -> 400 "messages.0: Input does not match the expected shape"
    path = next(CORPUS.glob("162-*.json"))
    findings = list(spec.validate("request", _load(path)["request"]["body"]))
    assert [f.location for f in findings] == ["/messages/0"]


# ---------------------------------------------------------------- closed enums and finding shape


def _message(**changes: Any) -> dict[str, Any]:
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [{"type": "text", "text": "hi"}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    return message | changes


@pytest.mark.parametrize(
    ("kind", "instance", "location", "fragment"),
    [
        ("message", _message(stop_reason="stop"), "/stop_reason", "unknown stop_reason 'stop'"),
        (
            "message",
            _message(content=[{"type": "foo"}]),
            "/content/0/type",
            "unknown content block type 'foo'",
        ),
        (
            "event",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "x_delta"}},
            "/delta/type",
            "unknown delta type 'x_delta'",
        ),
        (
            "error",
            {"type": "error", "error": {"type": "server_error", "message": "m"}},
            "/error/type",
            "unknown error type 'server_error'",
        ),
        (
            "request",
            {"model": "m", "max_tokens": 1, "messages": [], "tool_choice": {"type": "required"}},
            "/tool_choice/type",
            "unknown tool_choice type 'required'",
        ),
    ],
)
def test_closed_enums_reject_unknown_values_with_one_finding(
    spec: Spec, kind: str, instance: Any, location: str, fragment: str
) -> None:
    findings = list(spec.validate(kind, instance, location_prefix="body"))
    assert len(findings) == 1, [str(f) for f in findings]
    assert findings[0].location == "body" + location
    assert fragment in findings[0].message
    assert findings[0].expected is not None and findings[0].expected.startswith("one of: ")


def test_open_fields_and_extra_properties_are_accepted_in_responses(spec: Spec) -> None:
    usage = {"input_tokens": 1, "output_tokens": 1, "service_tier": "flex", "inference_geo": "mars"}
    message = _message(usage=usage, brand_new_field={"x": 1})
    message["content"] = [
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "advisor", "input": {}}
    ]
    assert list(spec.validate("message", message)) == []
    error = {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "o", "details": None},
    }
    assert list(spec.validate("event", error)) == []


def test_finding_shape_for_request_violations(spec: Spec) -> None:
    body = {"model": "m", "messages": [], "temperature": 1.5, "extra": True}
    by_location = {f.location: f for f in spec.validate("request", body)}
    assert set(by_location) == {"/max_tokens", "/temperature", "/extra"}
    assert by_location["/temperature"].expected == "maximum: 1"
    assert by_location["/temperature"].received == "1.5"
    assert by_location["/max_tokens"].message == "missing required property 'max_tokens'"
    assert by_location["/extra"].message == "unexpected property 'extra'"


def test_json_pointer_escapes_keys(spec: Spec) -> None:
    findings = list(
        spec.validate("request", {"model": "m", "max_tokens": 1, "messages": [], "a/b~": 1})
    )
    assert [f.location for f in findings] == ["/a~1b~0"]


def test_message_start_must_be_a_fresh_snapshot(spec: Spec) -> None:
    fresh = {"type": "message_start", "message": _message(content=[], stop_reason=None)}
    assert list(spec.validate("event", fresh)) == []
    stale = {"type": "message_start", "message": _message()}
    assert {f.location for f in spec.validate("event", stale)} == {
        "/message/content",
        "/message/stop_reason",
    }


def test_unknown_event_type_yields_nothing_but_shapeless_payload_fails(spec: Spec) -> None:
    assert list(spec.validate("event", {"type": "brand_new_event", "x": 1})) == []
    assert [f.rule for f in spec.validate("event", ["not", "an", "object"])] == ["schema.event"]


# ---------------------------------------------------------------- volume (speed: benchmarks/)


def test_many_events_validate_through_the_cached_validators(spec: Spec) -> None:
    payloads = [
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": "Hello"},
        },
        {"type": "ping"},
        {"type": "content_block_stop", "index": 0},
    ] * 10_000
    bad = sum(1 for p in payloads for _ in spec.validate("event", p))
    assert bad == 0
    assert all(spec.is_valid("event", p) for p in payloads[:3])


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("http://gw/v1/messages", "messages"),
        ("http://gw/v1/messages?beta=true", "messages"),
        ("https://gw/prefix/v1/messages/count_tokens?beta=true", "count_tokens"),
        ("http://gw/v1/models?limit=2", "models"),
        ("http://gw/v1/models/claude-opus-4-8", "model"),
        ("http://gw/", "other"),
        ("/v1/models", "models"),
    ],
)
def test_endpoints_are_told_apart_by_path(url: str, name: str) -> None:
    assert endpoint_of(Request("GET", url)).name == name

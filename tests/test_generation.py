"""suite/generation.py: positive cases valid by the contract, repairs, negative cases unchanged."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messages_conformance.core.spec import Spec
from messages_conformance.suite.generation import (
    negative_schema,
    positive_schema,
    repair_body,
    variant_schema,
)

SPEC = Spec.load()
POSITIVE = positive_schema()["/v1/messages"]["POST"]


@settings(max_examples=60, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(POSITIVE.as_strategy())
def test_every_positive_case_is_a_valid_request_by_the_contract(case: Any) -> None:
    assert isinstance(case.body, dict)
    assert list(SPEC.validate("request", case.body)) == []
    assert "authorization" not in {k.lower() for k in case.headers}
    assert "anthropic-beta" not in {k.lower() for k in case.headers}


def test_the_variant_s_own_examples_are_valid_and_stream() -> None:
    examples = variant_schema()["examples"]
    assert [bool(e["stream"]) for e in examples] == [True, True, False]
    for example in examples:
        assert list(SPEC.validate("request", repair_body(example))) == []


def test_repairs_make_what_json_schema_cannot_say_true() -> None:
    body = {
        "model": "m",
        "max_tokens": 8.0,
        "top_k": 3.0,
        "temperature": 0.2,
        "thinking": {"type": "adaptive"},
        "tools": [{"name": "a", "input_schema": {"type": "object"}}] * 2,
        "tool_choice": {"type": "tool", "name": "zz"},
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "image", "source": {}}]},
        ],
    }
    repaired = repair_body(body)
    assert repaired["max_tokens"] == 8 and isinstance(repaired["max_tokens"], int)
    assert [t["name"] for t in repaired["tools"]] == ["a_0", "a_1"]
    assert repaired["tool_choice"] == {"type": "auto"}  # thinking: no forced tool
    assert "temperature" not in repaired and "top_k" not in repaired
    assert repaired["messages"][1]["content"] == "Go on."  # no image from the assistant
    assert body["tools"][0]["name"] == "a"  # the drawn body itself is left alone
    no_tools = repair_body({"messages": [], "tool_choice": {"type": "any"}})
    assert "tool_choice" not in no_tools


@given(st.sampled_from(["a", "bb", "ccc"]))
def test_a_named_tool_choice_names_an_offered_tool(name: str) -> None:
    tools = [{"name": "x", "input_schema": {}}, {"name": "y", "input_schema": {}}]
    body = {"messages": [], "tools": tools, "tool_choice": {"type": "tool", "name": name}}
    chosen = repair_body(body)["tool_choice"]["name"]
    assert chosen in {t["name"] for t in repair_body(body)["tools"]}


def test_negative_cases_come_from_the_contract_without_credentials_or_betas() -> None:
    loaded = negative_schema()
    operation = loaded.raw_schema["paths"]["/v1/messages"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CreateMessageParams"}
    assert not any("AnthropicBeta" in str(p) for p in operation["parameters"])
    assert [p["$ref"].rsplit("/", 1)[-1] for p in operation["parameters"]] == ["AnthropicVersion"]
    assert loaded.config.generation.with_security_parameters is False

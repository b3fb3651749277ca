"""Glue to Schemathesis: clamping, conversion, and our checks registered as a Schemathesis check."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from schemathesis.core.failures import FailureGroup

from messages_conformance.core.spec import Spec
from messages_conformance.gateway import GatewayConfig, serve_in_thread
from messages_conformance.net.targets import resolve
from messages_conformance.suite.generated import (
    clamp_case,
    conformance_check,
    exchange_from_requests,
    register_check,
)

HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
BODY = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "Hi"}],
    "stream": True,
}


def _case(mode: str, body: Any) -> Any:
    return SimpleNamespace(meta=SimpleNamespace(generation=SimpleNamespace(mode=mode)), body=body)


def test_clamp_keeps_positive_cases_in_budget() -> None:
    case = _case("positive", {"model": "x", "max_tokens": 53.0})
    clamp_case(case, resolve("local"))
    assert case.body == {"model": "claude-sonnet-4-6", "max_tokens": 53}
    case = _case("positive", {"model": "x", "max_tokens": 100_000})
    clamp_case(case, resolve("local"))
    assert case.body["max_tokens"] == 64


def test_clamp_pins_negative_cases_only_where_their_values_are_valid() -> None:
    case = _case("negative", {"model": "x", "max_tokens": 10**9, "top_k": -1})
    clamp_case(case, resolve("local"))
    assert case.body == {"model": "claude-sonnet-4-6", "max_tokens": 64, "top_k": -1}
    for broken in ({"model": "", "max_tokens": -3}, {"model": 7, "max_tokens": 53.0}):
        case = _case("negative", dict(broken))
        clamp_case(case, resolve("local"))
        assert case.body == broken  # what the case negated stays negated


def _stream_case(base_url: str) -> tuple[Any, Any]:
    schema = schemathesis.openapi.from_path(str(Spec.load().openapi_path))
    schema.config.update(base_url=base_url)
    case = schema["/v1/messages"]["POST"].Case(body=BODY, headers=HEADERS)
    return case, case.call(headers=HEADERS)


@pytest.mark.parametrize(
    ("faults", "caught"), [((), False), (("done-terminator",), True), (("out-of-order",), True)]
)
def test_conformance_check_inside_schemathesis(faults: tuple[str, ...], caught: bool) -> None:
    register_check()
    with serve_in_thread(GatewayConfig(api_keys=("k",), faults=faults)) as gateway:
        case, response = _stream_case(gateway.base_url)
        exchange = exchange_from_requests(response)
        assert exchange.request is not None and exchange.request.headers["x-api-key"] == "REDACTED"
        if not caught:
            case.validate_response(response, checks=[conformance_check], headers=HEADERS)
            return
        with pytest.raises(FailureGroup, match="conformance error"):
            case.validate_response(response, checks=[conformance_check], headers=HEADERS)


def test_pin_generation_forgets_constants_cached_by_earlier_draws() -> None:
    from hypothesis.internal.conjecture import providers

    from messages_conformance.suite.generated import pin_generation

    providers.CONSTANTS_CACHE[("string", "earlier")] = (("harvested",), ("local",))
    pin_generation()
    assert ("string", "earlier") not in providers.CONSTANTS_CACHE


def test_negative_cases_keep_the_version_header_they_were_drawn_with() -> None:
    from messages_conformance.suite.generation import call_headers

    key = {"x-api-key": "k"}
    assert call_headers(_case("positive", {}), key) == {"anthropic-version": "2023-06-01", **key}
    assert call_headers(_case("negative", {}), key) == key

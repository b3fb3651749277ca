"""Glue between Schemathesis cases and our checks: budget clamping and exchange conversion."""

from __future__ import annotations

from typing import Any

from ..core.exchange import Exchange, Request, Response
from ..core.expectations import GENERATED_RULES as RULES
from ..core.findings import Finding, Rule, Severity
from ..net.targets import Target

SECRET_HEADERS = ("x-api-key", "authorization", "cookie")


def clamp_case(case: Any, target: Target) -> None:
    """Keep cases within the target's budget: its model and a small max_tokens.

    Negative cases too, where those values are valid by the contract (a string model, an
    integer max_tokens >= 0): then what a negative case breaks is what it negated, not an
    unknown model, and an invalid request that a gateway accepts costs no more than a valid one.
    """
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    body = case.body
    if not isinstance(body, dict):
        return
    positive = str(getattr(mode, "value", mode)) == "positive"
    if positive or (isinstance(body.get("model"), str) and body["model"]):
        body["model"] = target.model
    tokens = body.get("max_tokens")
    if positive and isinstance(tokens, float) and tokens.is_integer():
        tokens = int(tokens)  # hypothesis-jsonschema may draw `integer` as 53.0
    if isinstance(tokens, int) and not isinstance(tokens, bool) and (positive or tokens >= 0):
        body["max_tokens"] = max(1, min(tokens, target.max_tokens))


def exchange_from_requests(response: Any) -> Exchange:
    """A Schemathesis response (with its requests.PreparedRequest) as an Exchange."""
    prepared = response.request
    body = prepared.body or b""
    request = Request(
        method=str(prepared.method),
        url=str(prepared.url),
        headers={k.lower(): _redact(k, v) for k, v in prepared.headers.items()},
        body=body.encode() if isinstance(body, str) else bytes(body),
    )
    headers = {
        k.lower(): ", ".join(v) if isinstance(v, list) else str(v)
        for k, v in response.headers.items()
    }
    return Exchange(
        Response(response.status_code, headers, response.content), request, name="generated"
    )


def _redact(name: str, value: str) -> str:
    return "REDACTED" if name.lower() in SECRET_HEADERS else value


_BY_NAME = {rule.id: rule for rule in RULES}


def failure_finding(check: str, failure: Any) -> Finding:
    """A Schemathesis check failure as a `generated.<check>` finding."""
    rule = _BY_NAME.get(f"generated.{check}") or Rule(f"generated.{check}", Severity.ERROR, check)
    title = str(getattr(failure, "title", "") or failure)
    return rule.finding(title, received=getattr(failure, "message", None))


def pin_generation() -> None:
    """Make generated cases depend on the seed only, so a replay run meets its recordings.

    Hypothesis mixes string and number constants harvested from the *local* modules loaded so
    far into its draws; which modules are loaded differs between live, record and replay runs
    (replay never imports the embedded gateway), and so would the cases. An empty pool keeps
    generation a function of the seed, whatever ran before in the process.
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.floats import float_to_int
        from sortedcontainers import SortedSet  # type: ignore[import-untyped]
    except ImportError:  # a Hypothesis without local constants: nothing to pin
        return
    if not hasattr(providers, "_get_local_constants"):
        return
    empty = providers.Constants(  # type: ignore[attr-defined]
        integers=SortedSet(),
        floats=SortedSet(key=float_to_int),
        bytes=SortedSet(),
        strings=SortedSet(),
    )
    providers._get_local_constants = lambda: empty
    # Draws read the constants through a cache: entries another Hypothesis test filled earlier
    # in this process (from the local modules) would still be drawn from.
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if cache is not None and hasattr(cache, "cache"):
        cache.cache.clear()


def conformance_check(ctx: Any, response: Any, case: Any) -> None:
    """Our checks (schemas, stream grammar, semantics) as one Schemathesis check.

    Registered by `register_check()`; `SCHEMATHESIS_HOOKS=messages_conformance.schemathesis_hooks`
    makes it available to the Schemathesis CLI too.
    """
    from ..core.check import check_exchange

    errors = [
        f
        for f in check_exchange(exchange_from_requests(response)).findings
        if f.severity is Severity.ERROR
    ]
    if errors:
        shown = "\n".join(str(f) for f in errors[:10])
        more = f"\n… and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise AssertionError(f"{len(errors)} conformance error(s):\n{shown}{more}")


def register_check() -> Any:
    """Register `conformance_check` with Schemathesis (idempotent); returns the check."""
    import schemathesis

    return schemathesis.check(conformance_check)

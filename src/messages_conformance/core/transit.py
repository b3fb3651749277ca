"""Transit: one request seen on both sides of a gateway, compared. Pure: exchanges in, findings out.

``client`` is the exchange as the client saw it (what it sent, what it received); ``upstream``
is the same request as the upstream saw it (what the gateway forwarded, what the upstream
answered). Every difference the policy does not allow is the gateway's, and each finding
names both sides::

    findings = compare(client, upstream, Policy(model_aliases={"sonnet": "claude-sonnet-4-6"}))

A recorded upstream leg whose answer the upstream cut on purpose carries ``CUT_HEADER``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

from . import correlation, delivery, forwarding
from .exchange import Exchange, Request
from .findings import Finding, Rule, Severity
from .forwarding import Policy

__all__ = ["CUT_HEADER", "RULES", "Policy", "compare", "crossed", "roundtrip"]

CUT_HEADER: Final = "x-mconf-upstream-cut"
E = Severity.ERROR
ROUNDTRIP_SIGNATURE = Rule(
    "transit.roundtrip.signature",
    E,
    "a thinking signature the upstream issued comes back byte-exact in the next turn's history",
)
ROUNDTRIP_TOOL_ID = Rule(
    "transit.roundtrip.tool-id",
    E,
    "a tool_use id the upstream issued comes back byte-exact (tool_use and tool_result) next turn",
)
CROSSED = Rule(
    "transit.concurrency.crossed",
    E,
    "parallel streams stay apart: no client receives another request's answer",
)
RULES = (
    *correlation.RULES,
    *forwarding.RULES,
    *delivery.RULES,
    ROUNDTRIP_SIGNATURE,
    ROUNDTRIP_TOOL_ID,
    CROSSED,
)
_REPLACED_BY_ROUNDTRIP = {forwarding.SIGNATURE.id, forwarding.TOOL_ID.id}


def compare(
    client: Exchange,
    upstream: Exchange,
    policy: Policy | None = None,
    *,
    issued: Exchange | None = None,
) -> list[Finding]:
    """What the gateway changed between the two sides of one request.

    ``issued`` is the upstream leg of the previous turn: the signatures and tool ids it issued
    must come back in this turn's forwarded history (a lost one is reported once, as a round
    trip, not again as a request difference)."""
    policy = policy or Policy()
    found: list[Finding] = []
    if client.request is not None and upstream.request is not None:
        found += forwarding.compare_request(client.request, upstream.request, policy)
    cut = CUT_HEADER in upstream.response.headers
    asked = _model(client.request)
    found += delivery.compare_response(
        upstream.response, client.response, cut=cut, asked_model=asked
    )
    if issued is not None and upstream.request is not None:
        trips = list(roundtrip(issued, upstream.request))
        if trips:
            found = [f for f in found if f.rule not in _REPLACED_BY_ROUNDTRIP] + trips
    return found


def _model(request: Request | None) -> str | None:
    body = request.json() if request else None
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None


def roundtrip(issued: Exchange, returned: Request) -> Iterator[Finding]:
    """The signatures and tool_use ids ``issued`` answered with, in ``returned``'s history."""
    message = delivery.read(issued.response).message or {}
    blocks = [b for b in message.get("content") or [] if isinstance(b, dict)]
    body = returned.json()
    history = body.get("messages") if isinstance(body, dict) else None
    sent_back = _blocks(history if isinstance(history, list) else [])
    for block in blocks:
        if block.get("type") == "thinking" and block.get("signature"):
            yield from _signature_back(block["signature"], sent_back)
        if block.get("type") == "tool_use" and block.get("id"):
            yield from _tool_id_back(block["id"], sent_back)


def _blocks(history: list[Any]) -> list[dict[str, Any]]:
    return [
        block
        for message in history
        if isinstance(message, dict) and isinstance(message.get("content"), list)
        for block in message["content"]
        if isinstance(block, dict)
    ]


def _signature_back(signature: str, blocks: list[dict[str, Any]]) -> Iterator[Finding]:
    got = [b.get("signature") for b in blocks if b.get("type") == "thinking"]
    if signature not in got:
        yield ROUNDTRIP_SIGNATURE.finding(
            "the upstream issued a thinking signature; the next turn's history arrived upstream "
            + ("without any thinking block" if not got else "with another signature"),
            location="request:/messages",
            expected=signature,
            received=got[0] if got else None,
        )


def _tool_id_back(tool_id: str, blocks: list[dict[str, Any]]) -> Iterator[Finding]:
    uses = [b.get("id") for b in blocks if b.get("type") == "tool_use"]
    results = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
    for kind, ids in (("tool_use id", uses), ("tool_result tool_use_id", results)):
        if tool_id not in ids:
            yield ROUNDTRIP_TOOL_ID.finding(
                f"the upstream issued tool_use id {tool_id}; the next turn's {kind} arrived "
                f"upstream as {ids[0] if ids else 'nothing'}",
                location="request:/messages",
                expected=tool_id,
                received=ids[0] if ids else None,
            )


def crossed(pairs: Sequence[tuple[Exchange, Exchange]]) -> list[list[Finding]]:
    """Parallel cases: for each (client, upstream) pair, whether its client received the
    answer the upstream gave another case."""
    texts = [_text(upstream) for _, upstream in pairs]
    out: list[list[Finding]] = []
    for index, (client, _) in enumerate(pairs):
        got = _text(client)
        others = [i for i, text in enumerate(texts) if i != index and text and text == got]
        found = []
        if got != texts[index] and others:
            found.append(
                CROSSED.finding(
                    f"the client of parallel case {index} received the answer the upstream "
                    f"gave case {others[0]}",
                    location="accumulated/content",
                    expected=texts[index],
                    received=got,
                )
            )
        out.append(found)
    return out


def _text(exchange: Exchange) -> str:
    message = delivery.read(exchange.response).message or {}
    return "".join(
        b.get("text", "")
        for b in message.get("content") or []
        if isinstance(b, dict) and b.get("type") == "text"
    )

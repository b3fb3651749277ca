"""Request fidelity: what the client sent vs what the gateway forwarded to the upstream.

Everything sent must arrive unchanged (headers that carry meaning, every body field, byte-exact
strings), nothing may be added, except the rewrites a target profile declares (``Policy``).
Credentials arrive at the upstream as class markers (``REDACTED:client-key`` is the client's own
key, ``REDACTED:upstream-key`` the key the gateway was given for the upstream).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .difference import MISSING, Change, Difference, differences, same
from .exchange import Request
from .findings import Finding, Rule, Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTICE
CLIENT_KEY: Final = "REDACTED:client-key"
UPSTREAM_KEY: Final = "REDACTED:upstream-key"
OTHER_KEY: Final = "REDACTED:other-key"
CREDENTIALS: Final = ("x-api-key", "authorization")

PATH = Rule(
    "transit.request.path", E, "the request reaches the upstream on the path it was sent to"
)
VERSION = Rule(
    "transit.request.version-header", E, "the client's anthropic-version arrives upstream unchanged"
)
BETA = Rule("transit.request.beta-header", E, "every anthropic-beta name sent arrives upstream")
BETA_ADDED = Rule(
    "transit.request.beta-added", W, "the gateway adds anthropic-beta names the client did not send"
)
CLIENT_KEY_SEEN = Rule(
    "transit.request.client-key", E, "the client's own API key is never forwarded to the upstream"
)
UPSTREAM_KEY_RULE = Rule(
    "transit.request.upstream-key",
    E,
    "the upstream gets the key the gateway was configured with (--upstream-key-env)",
)
NOT_JSON = Rule("transit.request.not-json", E, "a JSON request body arrives upstream as JSON")
MODEL = Rule(
    "transit.request.model", E, "model arrives unchanged or as an alias the profile declares"
)
MAX_TOKENS = Rule(
    "transit.request.max-tokens", E, "max_tokens arrives unchanged or clamped as the profile says"
)
CACHE_CONTROL = Rule(
    "transit.request.cache-control", E, "cache_control breakpoints (incl. ttl) arrive unchanged"
)
SIGNATURE = Rule(
    "transit.request.signature", E, "thinking blocks and their signatures in history are forwarded"
)
TOOL_ID = Rule(
    "transit.request.tool-id", E, "tool_use ids and tool_result tool_use_ids arrive unchanged"
)
ADDED = Rule("transit.request.added-field", E, "the gateway adds no body field the client did not")
DROPPED = Rule("transit.request.dropped-field", E, "every body field sent arrives upstream")
CHANGED = Rule("transit.request.changed-field", E, "every body value sent arrives unchanged")
RESHAPED = Rule(
    "transit.request.reshaped",
    N,
    "the same meaning in another shape: string content as one text block, a default spelled out",
)
# fields whose documented default a gateway may spell out without changing the request
DEFAULTS: Final[dict[str, Any]] = {"stream": False}
RULES = (
    PATH,
    VERSION,
    BETA,
    BETA_ADDED,
    CLIENT_KEY_SEEN,
    UPSTREAM_KEY_RULE,
    NOT_JSON,
    MODEL,
    MAX_TOKENS,
    CACHE_CONTROL,
    SIGNATURE,
    TOOL_ID,
    ADDED,
    DROPPED,
    CHANGED,
    RESHAPED,
)


@dataclass(frozen=True, slots=True)
class Policy:
    """What a gateway may change on the way, as its target profile declares it."""

    model_aliases: Mapping[str, str] = field(default_factory=dict)  # client model -> upstream
    max_tokens_clamp: int | None = None  # max_tokens above it may arrive as it
    upstream_key: bool = False  # the upstream must see the configured upstream key


def compare_request(sent: Request, arrived: Request, policy: Policy) -> Iterator[Finding]:
    """Findings about one forwarded request (``sent`` by the client, ``arrived`` upstream)."""
    yield from _path(sent, arrived)
    yield from _version(sent.headers, arrived.headers)
    yield from _betas(sent.headers, arrived.headers)
    yield from _credentials(arrived.headers, policy)
    yield from _body(sent, arrived, policy)


def _path(sent: Request, arrived: Request) -> Iterator[Finding]:
    one, two = path_of(sent.url), path_of(arrived.url)
    if one.rstrip("/") != two.rstrip("/"):
        message = f"sent to {one}; the upstream received it on {two}"
        yield PATH.finding(message, location="request:path", expected=one, received=two)


def path_of(url: str) -> str:
    """The path of an absolute URL or of a path with a query."""
    rest = url.split("://", 1)[1] if "://" in url else url
    path = rest[rest.find("/") :] if "://" in url and "/" in rest else rest
    return path.split("?", 1)[0].split("#", 1)[0] if path.startswith("/") else "/"


def _version(sent: Mapping[str, str], arrived: Mapping[str, str]) -> Iterator[Finding]:
    version = sent.get("anthropic-version")
    if version is None or arrived.get("anthropic-version") == version:
        return
    got = arrived.get("anthropic-version")
    what = "without anthropic-version" if got is None else f"with anthropic-version {got}"
    yield VERSION.finding(
        f"the client sent anthropic-version {version}; the upstream received the request {what}",
        location="header:anthropic-version",
        expected=version,
        received=got,
    )


def betas(headers: Mapping[str, str]) -> list[str]:
    return [b.strip() for b in headers.get("anthropic-beta", "").split(",") if b.strip()]


def _betas(sent: Mapping[str, str], arrived: Mapping[str, str]) -> Iterator[Finding]:
    one, two = betas(sent), betas(arrived)
    lost = [name for name in one if name not in two]
    if lost:
        yield BETA.finding(
            f"sent upstream without the beta name(s) {', '.join(lost)} the client sent",
            location="header:anthropic-beta",
            expected=", ".join(one),
            received=", ".join(two) or None,
        )
    added = [name for name in two if name not in one]
    if added:
        yield BETA_ADDED.finding(
            f"the gateway added beta name(s) {', '.join(added)}",
            location="header:anthropic-beta",
            expected=", ".join(one) or None,
            received=", ".join(two),
        )


def _credentials(arrived: Mapping[str, str], policy: Policy) -> Iterator[Finding]:
    seen = {name: arrived[name] for name in CREDENTIALS if name in arrived}
    leaked = [name for name, value in seen.items() if "client-key" in value]
    if leaked:
        yield CLIENT_KEY_SEEN.finding(
            f"the client's own key arrived upstream in {', '.join(leaked)}",
            location=f"header:{leaked[0]}",
            expected=UPSTREAM_KEY if policy.upstream_key else "the gateway's own credential",
            received=seen[leaked[0]],
        )
    elif policy.upstream_key and not any(v.endswith("upstream-key") for v in seen.values()):
        got = ", ".join(f"{k}: {v}" for k, v in seen.items()) or "no credential header"
        yield UPSTREAM_KEY_RULE.finding(
            "the upstream did not get the key the gateway was configured with",
            location="header:x-api-key",
            expected=UPSTREAM_KEY,
            received=got,
        )


def _body(sent: Request, arrived: Request, policy: Policy) -> Iterator[Finding]:
    one, two = sent.json(), arrived.json()
    if one is None:
        return
    if two is None:
        received = arrived.body[:200]
        yield NOT_JSON.finding(
            "the forwarded body is not JSON", location="request:", received=received
        )
        return
    expected = allowed_rewrites(one, policy)
    found: dict[str, list[Difference]] = {}
    for difference in differences(expected, two):
        found.setdefault(_rule_of(difference).id, []).append(difference)
    for rule in RULES:
        if rule.id in found:
            yield summary(rule, found[rule.id], "request:", "the client", "the upstream")


def allowed_rewrites(body: Any, policy: Policy) -> Any:
    """The client's body as the profile allows it to arrive (aliases, clamp applied)."""
    if not isinstance(body, dict):
        return body
    expected = copy.deepcopy(body)
    model = expected.get("model")
    if isinstance(model, str) and model in policy.model_aliases:
        expected["model"] = policy.model_aliases[model]
    clamp, tokens = policy.max_tokens_clamp, expected.get("max_tokens")
    if clamp is not None and isinstance(tokens, int) and tokens > clamp:
        expected["max_tokens"] = clamp
    return expected


def _rule_of(difference: Difference) -> Rule:
    parts = difference.parts()
    if _reshaped(difference):
        return RESHAPED
    if "cache_control" in parts or _holds(difference, "cache_control"):
        return CACHE_CONTROL
    if "signature" in parts or _block_type(difference) in ("thinking", "redacted_thinking"):
        return SIGNATURE
    if parts[-1:] in (["tool_use_id"], ["id"]) and parts[:1] == ["messages"]:
        return TOOL_ID
    if parts == ["model"]:
        return MODEL
    if parts == ["max_tokens"]:
        return MAX_TOKENS
    kind = {Change.ADDED: ADDED, Change.DROPPED: DROPPED}
    return kind.get(difference.change, CHANGED)


def _holds(difference: Difference, key: str) -> bool:
    value = difference.sent if difference.sent is not MISSING else difference.arrived
    return isinstance(value, dict) and key in value


def _block_type(difference: Difference) -> Any:
    value = difference.sent if difference.sent is not MISSING else difference.arrived
    return value.get("type") if isinstance(value, dict) else None


def _reshaped(difference: Difference) -> bool:
    """``"text"`` arriving as ``[{"type": "text", "text": "text"}]``, or ``stream: false`` added."""
    one, two = difference.sent, difference.arrived
    default = DEFAULTS.get(difference.pointer[1:], MISSING)
    if difference.change is Change.ADDED and default is not MISSING and same(two, default):
        return True
    return (
        isinstance(one, str)
        and isinstance(two, list)
        and len(two) == 1
        and two[0] == {"type": "text", "text": one}
    )


def summary(
    rule: Rule, found: list[Difference], prefix: str, sender: str, receiver: str
) -> Finding:
    """One finding for every place one rule saw (the first as evidence, the rest counted)."""
    first = found[0]
    more = f" (and {len(found) - 1} more: {', '.join(d.pointer for d in found[1:4])})"
    return rule.finding(
        _sentence(first, sender, receiver) + (more if len(found) > 1 else ""),
        location=f"{prefix}{first.pointer}",
        expected=None if first.sent is MISSING else first.sent,
        received="(absent)" if first.arrived is MISSING else first.arrived,
    )


def _sentence(difference: Difference, sender: str, receiver: str) -> str:
    where = difference.pointer or "/"
    if difference.change is Change.DROPPED:
        return f"{sender} sent {where}; {receiver} received nothing there"
    if difference.change is Change.ADDED:
        return f"{receiver} received {where}, which {sender} did not send"
    return f"{sender} sent one value at {where}; {receiver} received another"

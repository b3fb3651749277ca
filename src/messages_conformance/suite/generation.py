"""How the generated suite's requests are drawn: two Schemathesis schemas and one repair hook.

- Positive cases come from a *generation-only variant* of the contract: the same OpenAPI
  document whose request body schema is ``generation.schema.json`` (narrower than the contract,
  every instance valid by it). What JSON Schema
  cannot say is repaired by ``repair_body`` (a ``map_body`` hook on that schema only).
- Negative cases come from the contract itself, so they still probe rejection.
- Neither draws ``anthropic-beta`` names (a random one is refused before the body is read) nor a
  ``content-type`` (the body's media type sets it).
- Neither draws credentials: ``with_security_parameters`` is off, so no random
  ``Authorization`` ever travels next to the target's key; credentials come from the target.

How cases are *sent* is not decided here (suites/test_generated.py and the transport).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.spec import Spec

SEED = 20231106
# request bodies drawn from the variant: (path, method, the Messages fields the body takes)
COUNT_TOKENS_FIELDS = ("model", "messages", "system", "tools", "tool_choice", "thinking")
BODIES: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("/v1/messages", "post", None),
    ("/v1/messages/count_tokens", "post", COUNT_TOKENS_FIELDS),
)
VARIANT_FILE = Path(__file__).with_name("generation.schema.json")
SECRET_KEYS = ("x-api-key", "authorization", "cookie", "set-cookie")
FORCED = ("any", "tool")
SAMPLING = ("temperature", "top_k", "top_p")
PREFIX = "generation_"
INTEGERS = ("max_tokens", "top_k")
UNDRAWN = ("AnthropicBeta", "ContentType")  # header parameters never drawn (see _configure)


def variant_schema() -> dict[str, Any]:
    """The generation-only request body schema (a JSON Schema 2020-12 document)."""
    loaded: dict[str, Any] = json.loads(VARIANT_FILE.read_text("utf-8"))
    return loaded


def positive_schema(spec: Spec | None = None) -> Any:
    """The contract with the variant as its request bodies (Messages and count_tokens):
    positive cases only. The models endpoints take no body: the contract draws them."""
    from schemathesis.generation import GenerationMode

    loaded = _load(spec)
    schemas = loaded.raw_schema["components"]["schemas"]
    variant = _as_component_refs(variant_schema())
    schemas.update({f"{PREFIX}{name}": part for name, part in variant.pop("$defs").items()})
    variant = {k: v for k, v in variant.items() if k not in ("$schema", "$id")}
    for path, method, kept in BODIES:
        operation = loaded.raw_schema["paths"][path][method]
        body = operation["requestBody"]["content"]["application/json"]
        body["schema"] = variant if kept is None else _narrowed(variant, kept)
    _configure(loaded, GenerationMode.POSITIVE)
    loaded.hook("map_body")(_repair_hook)
    return loaded


def _narrowed(variant: dict[str, Any], kept: tuple[str, ...]) -> dict[str, Any]:
    """The variant for a body that takes only some of the Messages fields (count_tokens)."""
    properties = {k: v for k, v in variant["properties"].items() if k in kept}
    required = [k for k in variant["required"] if k in kept]
    examples = [{k: v for k, v in e.items() if k in kept} for e in variant.get("examples", [])]
    return {**variant, "properties": properties, "required": required, "examples": examples}


def _as_component_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """``#/$defs/x`` -> ``#/components/schemas/generation_x``: refs resolve in the document."""
    text = json.dumps(schema).replace('"#/$defs/', f'"#/components/schemas/{PREFIX}')
    result: dict[str, Any] = json.loads(text)
    return result


def negative_schema(spec: Spec | None = None) -> Any:
    """The contract as it is: negative cases only (they must be refused)."""
    from schemathesis.generation import GenerationMode

    loaded = _load(spec)
    _configure(loaded, GenerationMode.NEGATIVE)
    return loaded


def _load(spec: Spec | None) -> Any:
    import schemathesis

    return schemathesis.openapi.from_path(str((spec or Spec.load()).openapi_path))


def _configure(loaded: Any, mode: Any) -> None:
    # No beta names drawn: a random one is refused (400 unknown beta) before the body is read,
    # so it would hide what a positive body gets and what a negative body probes (the headers
    # suite checks betas). No content-type drawn: the body's media type sets it, and a negated
    # one made verdicts depend on how Schemathesis judged the re-sent header (seen: the same
    # case flagged in one process and not in another).
    for methods in loaded.raw_schema["paths"].values():
        for operation in methods.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    p
                    for p in operation["parameters"]
                    if not str(p.get("$ref", "")).endswith(UNDRAWN)
                ]
    loaded.config.generation.update(modes=[mode], with_security_parameters=False)
    # Schemathesis' coverage phase draws ~7,000 boundary cases from the contract: too many for a
    # paid endpoint. Examples + fuzzing (seeded, derandomized) keep the run small and replayable.
    loaded.config.phases.update(phases=["examples", "fuzzing"])
    # Mask credentials only: the default list masks every key containing "token" (max_tokens).
    loaded.config.output.sanitization.keys_to_sanitize = SECRET_KEYS
    loaded.config.seed = SEED  # Schemathesis' own seed: without it every run draws new cases
    loaded.config.max_stream_events = 100_000  # the default stops after 20 events


def _repair_hook(context: Any, body: Any) -> Any:
    return repair_body(body) if isinstance(body, dict) else body


def repair_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """What JSON Schema cannot say about a request a server answers 2xx, made so.

    Integers as ints; tool names unique; tool_choice only with tools, naming an offered tool;
    images only in user turns; with thinking on, no forced tool and sampling as it allows.
    """
    repaired = copy.deepcopy(dict(body))
    for key in INTEGERS:  # JSON Schema's integer admits 53.0; servers parse ints
        value = repaired.get(key)
        if isinstance(value, float) and value.is_integer():
            repaired[key] = int(value)
    _unique_tools(repaired)
    _fit_tool_choice(repaired)
    repaired["messages"] = [_user_images_only(m) for m in repaired.get("messages", [])]
    _fit_thinking(repaired)
    return repaired


def _unique_tools(body: dict[str, Any]) -> None:
    if "tools" in body:
        tools = body["tools"]
        body["tools"] = [{**t, "name": f"{t['name']}_{i}"} for i, t in enumerate(tools)]


def _fit_tool_choice(body: dict[str, Any]) -> None:
    choice = body.get("tool_choice")
    if choice is None:
        return
    tools = body.get("tools") or []
    if not tools and choice["type"] != "none":
        del body["tool_choice"]
    elif choice["type"] == "tool":
        choice["name"] = tools[len(str(choice.get("name", ""))) % len(tools)]["name"]


def _user_images_only(message: Mapping[str, Any]) -> dict[str, Any]:
    content = message["content"]
    if message["role"] == "user" or isinstance(content, str):
        return dict(message)
    texts = [block for block in content if block["type"] == "text"]
    return {**message, "content": texts or "Go on."}


def _fit_thinking(body: dict[str, Any]) -> None:
    if body.get("thinking", {}).get("type") not in ("enabled", "adaptive"):
        return
    for key in SAMPLING:
        body.pop(key, None)
    choice = body.get("tool_choice")
    if choice is not None and choice["type"] in FORCED:
        body["tool_choice"] = {"type": "auto"}


VERSION = "2023-06-01"


def call_headers(case: Any, credentials: Mapping[str, str]) -> dict[str, str]:
    """The headers to send a case with: the target's credentials always; a pinned
    ``anthropic-version`` for positive cases only. A negative case keeps the version header it
    was drawn with, or its absence: that may be what it negates, and a header put back would
    make it a valid request that ``negative_data_rejection`` then blames for its 2xx."""
    if mode_of(case) == "positive":
        return {"anthropic-version": VERSION, **credentials}
    return dict(credentials)


def count(tally: dict[str, int], mode: str, status: int) -> None:
    """Keep the generated suite's score: cases per mode, and how many were answered 2xx."""
    tally[mode] = tally.get(mode, 0) + 1
    if 200 <= status < 300:
        tally[f"{mode}_2xx"] = tally.get(f"{mode}_2xx", 0) + 1


def mode_of(case: Any) -> str:
    """``positive`` or ``negative``: how Schemathesis generated a case."""
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    return str(getattr(mode, "value", mode))

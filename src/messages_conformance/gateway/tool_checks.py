"""Checks of tools, tool_choice and thinking (facts §4.7-§4.9, §8)."""

from __future__ import annotations

from .bounds import MAX_TOOL_INPUT, input_size
from .request_rules import (
    CUSTOM_TOOL_KEYS,
    DOCS,
    INTERLEAVED_BETA,
    SERVER_TOOL_TYPE,
    THINKING_KEYS,
    TOOL_CHOICE_KEYS,
    TOOL_NAME,
    Body,
    Limits,
    Messages,
    _extra_keys,
    _tagged,
)

# --- tools, tool_choice, thinking ------------------------------------------------------


def check_tools(body: Body, limits: Limits) -> Messages:
    names: list[str] = []
    for index, tool in enumerate(body.get("tools", [])):
        path = f"tools.{index}"
        if not isinstance(tool, dict):
            yield f"{path}: Input should be a valid dictionary"
        elif tool.get("type") in (None, "custom"):
            yield from _custom_tool(tool, f"{path}.custom")
            names.append(tool["name"])
        elif not SERVER_TOOL_TYPE.match(str(tool.get("type"))):
            yield f"{path}: Input tag '{tool.get('type')}' found using 'type' is not a known tool"
    if len(names) != len(set(names)):
        yield "tools: Tool names must be unique."


def _custom_tool(tool: Body, path: str) -> Messages:
    yield from _extra_keys(tool, CUSTOM_TOOL_KEYS, path)
    for key in ("name", "input_schema"):
        if key not in tool:
            yield f"{path}.{key}: Field required"
    if not isinstance(tool["name"], str) or not TOOL_NAME.match(tool["name"]):
        yield f"{path}.name: String should match pattern '{TOOL_NAME.pattern}'"
    schema = tool["input_schema"]
    if not isinstance(schema, dict):
        yield f"{path}.input_schema: Input should be a valid dictionary"
    elif schema.get("type") != "object":
        yield f"{path}.input_schema.type: Input should be 'object'"
    elif input_size(schema) > MAX_TOOL_INPUT:
        yield (
            f"{path}.input_schema: the smallest valid input holds more than {MAX_TOOL_INPUT} "
            "characters or items, more than this gateway generates"
        )


def check_tool_choice(body: Body, limits: Limits) -> Messages:
    if "tool_choice" not in body:
        return
    choice = body["tool_choice"]
    yield from _tagged(choice, "tool_choice", TOOL_CHOICE_KEYS)
    if choice["type"] == "tool" and not isinstance(choice.get("name"), str):
        yield "tool_choice.tool.name: Field required"


def check_thinking(body: Body, limits: Limits) -> Messages:
    if "thinking" not in body:
        return
    thinking = body["thinking"]
    yield from _tagged(thinking, "thinking", THINKING_KEYS)
    if thinking["type"] != "enabled":
        return
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int) or isinstance(budget, bool):
        yield "thinking.enabled.budget_tokens: Field required"
    elif budget < 1024:  # facts §4.9
        yield "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
    elif budget >= body["max_tokens"] and INTERLEAVED_BETA not in limits.betas:
        yield f"`max_tokens` must be greater than `thinking.budget_tokens`. {DOCS}"


def check_thinking_sampling(body: Body, limits: Limits) -> Messages:
    """facts §8: thinking forbids temperature≠1, top_k, top_p outside 0.95-1, forced tools.

    Forced tool use is rejected for `enabled` only: real traffic (corpus 040, 055, 056)
    shows adaptive thinking accepted with tool_choice any.
    """
    if body.get("thinking", {}).get("type") not in ("enabled", "adaptive"):
        return
    mode = "when thinking is enabled or in adaptive mode"
    if body.get("temperature", 1) != 1:
        yield f"`temperature` may only be set to 1 {mode}. {DOCS}"
    if "top_k" in body:
        yield f"`top_k` cannot be set {mode}. {DOCS}"
    if not 0.95 <= body.get("top_p", 1) <= 1:
        yield f"`top_p` must be greater than or equal to 0.95 {mode}. {DOCS}"
    forced = body.get("tool_choice", {}).get("type") in ("any", "tool")
    if forced and body["thinking"]["type"] == "enabled":
        yield "Thinking may not be enabled when tool_choice forces tool use."

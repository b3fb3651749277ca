"""Semantic checks of a request and its Message: stop reasons, tools, usage (message.*)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from .findings import Finding, Severity
from .output_checks import check_output_format
from .request_schemas import schema_errors
from .semantic_rules import (
    _TOOL_USE_TYPES,
    INPUT_TOKENS_ZERO,
    MAX_TOKENS,
    MAX_TOKENS_STOP,
    STOP_REASON_NULL,
    STOP_SEQUENCE,
    STOP_SEQUENCE_KEY,
    TOOL_CHOICE_FORCED,
    TOOL_CHOICE_NONE,
    TOOL_INPUT_SCHEMA,
    TOOL_UNKNOWN,
    TOOL_USE_MISSING,
    _blocks,
    _dict,
    _is_int,
    _tool_uses,
)

# --- Message --------------------------------------------------------------------------------


def check_message(
    request_body: dict[str, Any] | None, message: dict[str, Any], *, streamed: bool
) -> Iterator[Finding]:
    """Rules over a request and its (parsed or accumulated) Message."""
    if not isinstance(message, dict) or message.get("type") != "message":
        return  # not a Message: the schema rules say so
    request = request_body if isinstance(request_body, dict) else {}
    yield from _stop_reason(message)
    yield from _stop_sequence(request, message)
    if not streamed:
        yield from _stop_sequence_key(message)
    yield from _tool_use_missing(message)
    yield from _tool_choice(request, message)
    yield from _tool_unknown(request, message)
    yield from _tool_input_schema(request, message)
    yield from check_output_format(request, message)
    yield from _usage(request, message)


def _stop_reason(message: dict[str, Any]) -> Iterator[Finding]:
    # §5.4: the final Message always says why it stopped (null only in message_start).
    if message.get("stop_reason") is None:
        yield STOP_REASON_NULL.finding(
            "the final Message has no stop_reason",
            location="/stop_reason",
            expected="end_turn | max_tokens | stop_sequence | tool_use | pause_turn | refusal | …",
            received=message.get("stop_reason"),
        )


def _stop_sequence(request: dict[str, Any], message: dict[str, Any]) -> Iterator[Finding]:
    # §4.1, §5.1: stop_sequence echoes the matched custom stop sequence, and only then.
    reason, matched = message.get("stop_reason"), message.get("stop_sequence")
    if reason != "stop_sequence":
        if matched is not None:
            yield STOP_SEQUENCE.finding(
                f"stop_sequence is set while stop_reason is {reason!r}",
                location="/stop_sequence",
                expected=None,
                received=matched,
            )
        return
    offered = _stop_sequences(request)
    if matched is None or (offered is not None and matched not in offered):
        yield STOP_SEQUENCE.finding(
            "stop_reason is stop_sequence but stop_sequence is not one the request sent",
            location="/stop_sequence",
            expected=offered if offered is not None else "one of the request's stop sequences",
            received=matched,
        )


def _stop_sequences(request: dict[str, Any]) -> list[Any] | None:
    """The request's stop sequences ([] when it sent none), or None without a request."""
    if not request:
        return None
    offered = request.get("stop_sequences")
    return offered if isinstance(offered, list) else []


def _stop_sequence_key(message: dict[str, Any]) -> Iterator[Finding]:
    # §5.1: stop_sequence is R+null; official responses always carry the key.
    if "stop_sequence" not in message:
        yield STOP_SEQUENCE_KEY.finding(
            "the Message omits stop_sequence (official responses send it, null when unused)",
            location="/stop_sequence",
            expected="null or the matched stop sequence",
            received="(absent)",
        )


def _tool_use_missing(message: dict[str, Any]) -> Iterator[Finding]:
    # §5.4: tool_use means "the model invoked one or more tools".
    if message.get("stop_reason") == "tool_use" and not _tool_uses(message, _TOOL_USE_TYPES):
        yield TOOL_USE_MISSING.finding(
            "stop_reason is tool_use but no tool_use, server_tool_use or mcp_tool_use block",
            location="/content",
            expected="a tool use block",
            received=[block.get("type") for _, block in _blocks(message)],
        )


def _tool_choice(request: dict[str, Any], message: dict[str, Any]) -> Iterator[Finding]:
    # §4.8: any → must use some tool; tool → must use the named tool; none → no tool use.
    choice = _dict(request.get("tool_choice"))
    kind = choice.get("type")
    if kind == "none":
        yield from _tool_choice_none(message)
    elif kind in ("any", "tool") and message.get("stop_reason") not in ("max_tokens", "refusal"):
        yield from _tool_choice_forced(choice, message)


def _tool_choice_none(message: dict[str, Any]) -> Iterator[Finding]:
    for index, block in _tool_uses(message, ("tool_use",)):
        yield TOOL_CHOICE_NONE.finding(
            f"tool_choice none, yet the model called {block.get('name')!r}",
            location=f"/content/{index}",
            expected="no tool_use blocks",
            received=block.get("name"),
        )


def _tool_choice_forced(choice: dict[str, Any], message: dict[str, Any]) -> Iterator[Finding]:
    names = [block.get("name") for _, block in _tool_uses(message, ("tool_use", "server_tool_use"))]
    wanted = choice.get("name") if choice.get("type") == "tool" else None
    if (wanted is None and names) or (wanted is not None and wanted in names):
        return
    yield TOOL_CHOICE_FORCED.finding(
        f"tool_choice {choice.get('type')} was not honoured",
        location="/content",
        expected=f"a tool_use of {wanted!r}" if wanted else "at least one tool_use block",
        received=names or [block.get("type") for _, block in _blocks(message)],
    )


def _tool_unknown(request: dict[str, Any], message: dict[str, Any]) -> Iterator[Finding]:
    # §4.7: client tool_use names one of the request's tools (custom or Anthropic-defined client
    # tools such as bash/memory; deferred tools count: they are still listed in `tools`).
    offered = _offered_tool_names(request)
    if offered is None:
        return
    for index, block in _tool_uses(message, ("tool_use",)):
        if block.get("name") not in offered:
            yield TOOL_UNKNOWN.finding(
                f"tool_use names {block.get('name')!r}, which the request did not offer",
                location=f"/content/{index}/name",
                expected=sorted(offered),
                received=block.get("name"),
            )


def _offered_tool_names(request: dict[str, Any]) -> frozenset[str] | None:
    """The names of the request's tools, or None when they cannot be known from the request:
    no request body, a nameless toolset (mcp_toolset, browser/computer toolsets), or tools added
    mid-conversation by tool_addition blocks."""
    tools = request.get("tools", [])
    if not request or not isinstance(tools, list) or _adds_tools(request):
        return None
    names = [_dict(tool).get("name") for tool in tools]
    if not all(isinstance(name, str) for name in names):
        return None
    return frozenset(name for name in names if isinstance(name, str))


def _adds_tools(request: dict[str, Any]) -> bool:
    messages = request.get("messages")
    for turn in messages if isinstance(messages, list) else []:
        content = _dict(turn).get("content")
        blocks = content if isinstance(content, list) else []
        if any(_dict(block).get("type") == "tool_addition" for block in blocks):
            return True
    return False


def _tool_input_schema(request: dict[str, Any], message: dict[str, Any]) -> Iterator[Finding]:
    # §4.7.1, §10.4: input is an object that satisfies the custom tool's input_schema; only a
    # `strict: true` tool promises it (real traffic: non-strict input drifts), so the others warn.
    tools = _tools_by_name(request)
    for index, block in _tool_uses(message, ("tool_use",)):
        tool = tools.get(block.get("name"), {})
        schema = tool.get("input_schema")
        if not isinstance(schema, dict):
            continue
        strict = tool.get("strict") is True
        for finding in _validate_input(schema, block.get("input"), index):
            yield finding if strict else replace(finding, severity=Severity.WARNING)


def _tools_by_name(request: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    tools = request.get("tools")
    return {_dict(t).get("name"): _dict(t) for t in (tools if isinstance(tools, list) else [])}


def _validate_input(schema: dict[str, Any], value: Any, index: int) -> Iterator[Finding]:
    for error in schema_errors(schema, value)[:5]:
        pointer = "".join(f"/{part}" for part in error.absolute_path)
        yield TOOL_INPUT_SCHEMA.finding(
            f"tool_use input does not match input_schema: {error.message}",
            location=f"/content/{index}/input{pointer}",
            expected=error.schema if isinstance(error.schema, dict) else None,
            received=error.instance,
        )


def _usage(request: dict[str, Any], message: dict[str, Any]) -> Iterator[Finding]:
    usage = _dict(message.get("usage"))
    output, limit = usage.get("output_tokens"), request.get("max_tokens")
    if _is_int(output) and _is_int(limit):
        yield from _max_tokens(output, limit, message.get("stop_reason"))
    yield from _input_tokens_zero(usage)


def _max_tokens(output: int, limit: int, stop_reason: Any) -> Iterator[Finding]:
    # §4.1: max_tokens caps the generated tokens (thinking included); hitting it stops the
    # turn with max_tokens, which the corpus shows only at output_tokens == max_tokens.
    if output > limit:
        yield MAX_TOKENS.finding(
            f"output_tokens {output} exceeds max_tokens {limit}",
            location="/usage/output_tokens",
            expected=f"<= {limit}",
            received=output,
        )
    elif stop_reason == "max_tokens" and output < limit:
        yield MAX_TOKENS_STOP.finding(
            f"stop_reason max_tokens after only {output} of {limit} tokens",
            location="/stop_reason",
            expected=f"output_tokens == {limit}, or another stop_reason",
            received=output,
        )


def _input_tokens_zero(usage: dict[str, Any]) -> Iterator[Finding]:
    # §5.6: every request has a prompt, so some input token is always counted somewhere.
    keys = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    counts = [usage.get(key) for key in keys]
    if _is_int(counts[0]) and sum(c for c in counts if _is_int(c)) == 0:
        yield INPUT_TOKENS_ZERO.finding(
            "usage counts no input tokens at all",
            location="/usage/input_tokens",
            expected="> 0 (input + cache creation + cache read)",
            received={k: c for k, c in zip(keys, counts, strict=True) if c is not None},
        )

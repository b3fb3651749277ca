"""The deterministic model: answers a real model would also give, so scenarios pass on both.

"Repeat exactly: X" → "X"; otherwise a short fixed reply. It continues an assistant prefill,
honours `max_tokens` (counting whitespace-separated tokens; 0 generates nothing) and
`stop_sequences`, calls a tool only when `tool_choice` forces it or the last user turn asks
for it plainly ("call the get_weather tool", "use `Read`"), answers tool results, thinks when
thinking is enabled or adaptive, and answers a json_schema output format with JSON valid
against the schema.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .ids import digest, message_id, tool_use_id
from .prompt import Prompt, read_prompt
from .tool_input import schema_value, tool_input

REPEAT = re.compile(r"repeat exactly:\s*(.*)", re.IGNORECASE | re.DOTALL)
DEFAULT_REPLY = "Hello! This is the mconf reference gateway answering your message."
THINKING_TEXT = "Let me think about this request step by step. I will answer it directly."
Block = dict[str, Any]


@dataclass(slots=True)
class Output:
    """Blocks produced so far and why generation stopped."""

    budget: int
    content: list[Block] = field(default_factory=list)
    tokens: int = 0
    stop_reason: str = "end_turn"
    stop_sequence: str | None = None


def reply(body: Mapping[str, Any], seed: bytes, max_output_tokens: int) -> dict[str, Any]:
    """The Message answering `body`; `seed` (a hash of the request) fixes every id."""
    prompt = read_prompt(body)
    output = Output(budget=_max_tokens(body, max_output_tokens))
    if output.budget == 0:  # cache pre-warm: nothing generated (facts §4.1)
        output.stop_reason = "max_tokens"
    else:
        _generate(output, _plan(body, prompt, seed), _stop_sequences(body))
    return {
        "id": message_id(seed),
        "type": "message",
        "role": "assistant",
        "model": body.get("model") if isinstance(body.get("model"), str) else "unknown",
        "content": output.content,
        "stop_reason": output.stop_reason,
        "stop_sequence": output.stop_sequence,
        "usage": usage(
            prompt.input_tokens, output.tokens if output.budget == 0 else max(1, output.tokens)
        ),
    }


def usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _max_tokens(body: Mapping[str, Any], ceiling: int) -> int:
    value = body.get("max_tokens")
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else ceiling
    )


def _stop_sequences(body: Mapping[str, Any]) -> list[str]:
    value = body.get("stop_sequences")
    return [s for s in value if isinstance(s, str) and s] if isinstance(value, list) else []


# --- what to say ---------------------------------------------------------------------------


def _plan(body: Mapping[str, Any], prompt: Prompt, seed: bytes) -> list[Block]:
    """The full answer before limits apply: thinking, text, tool_use."""
    blocks = [_thinking(body, seed)] if _thinks(body) else []
    tool, forced = chosen_tool(body, prompt)
    if tool is None:
        schema = output_schema(body)
        if schema is not None:
            return [*blocks, _text(json.dumps(schema_value(schema, prompt.last_user_text)))]
        return [*blocks, _text(continuation(answer(prompt), prompt.prefill))]
    if not forced:
        blocks.append(_text(f"I'll use the {tool['name']} tool."))
    inputs = tool_input(_mapping(tool.get("input_schema")), prompt.last_user_text)
    return [*blocks, _tool_use(tool["name"], inputs, seed, len(blocks))]


def output_schema(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The JSON Schema of `output_config.format` (or the beta `output_format`), if json_schema."""
    for output_format in (
        _mapping(body.get("output_config")).get("format"),
        body.get("output_format"),
    ):
        if _mapping(output_format).get("type") == "json_schema":
            return _mapping(_mapping(output_format).get("schema"))
    return None


def answer(prompt: Prompt) -> str:
    if prompt.tool_results:
        return " ".join(f"The {name} tool returned: {text}" for name, text in prompt.tool_results)
    repeat = REPEAT.search(prompt.last_user_text)
    if repeat and repeat.group(1).strip():
        return repeat.group(1).strip()
    seen = [f"I see {what}." for what, there in _attachments(prompt) if there]
    return " ".join([*seen, DEFAULT_REPLY])


def _attachments(prompt: Prompt) -> tuple[tuple[str, bool], ...]:
    return (("an image", prompt.has_image), ("a document", prompt.has_document))


def continuation(text: str, prefill: str) -> str:
    """What follows an assistant prefill: the rest of the answer, or the answer after a space."""
    if not prefill:
        return text
    return text[len(prefill) :] if text.startswith(prefill) else " " + text


def _thinks(body: Mapping[str, Any]) -> bool:
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


def _thinking(body: Mapping[str, Any], seed: bytes) -> Block:
    omitted = body["thinking"].get("display") == "omitted"  # facts §4.9
    signature = base64.b64encode(digest(seed, "signature") * 2).decode()
    return {
        "type": "thinking",
        "thinking": "" if omitted else THINKING_TEXT,
        "signature": signature,
    }


def _text(text: str) -> Block:
    return {"type": "text", "text": text}


def _tool_use(name: str, inputs: dict[str, Any], seed: bytes, index: int) -> Block:
    return {"type": "tool_use", "id": tool_use_id(seed, index), "name": name, "input": inputs}


def chosen_tool(body: Mapping[str, Any], prompt: Prompt) -> tuple[Block | None, bool]:
    """The custom tool to call and whether tool_choice forced it (facts §4.8)."""
    choice = _mapping(body.get("tool_choice"))
    kind = choice.get("type", "auto")
    tools = _custom_tools(body)
    if kind == "none" or not tools:
        return None, False
    if kind == "tool":
        return next((t for t in tools if t["name"] == choice.get("name")), None), True
    named = next((t for t in tools if asks_for(t["name"], prompt.last_user_text)), None)
    if kind == "any":
        return named or tools[0], True
    return (None if prompt.tool_results else named), False


def asks_for(name: str, text: str) -> bool:
    """The text plainly asks to call the tool: "call/use/invoke/run [the] NAME [tool]"."""
    quoted = rf"[`'\"]?{re.escape(name)}[`'\"]?"
    return (
        re.search(rf"\b(?:call|use|invoke|run)\s+(?:the\s+)?{quoted}(?![\w-])", text, re.I)
        is not None
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _custom_tools(body: Mapping[str, Any]) -> list[Block]:
    tools = body.get("tools")
    return [
        t
        for t in (tools if isinstance(tools, list) else [])
        if isinstance(t, dict)
        and t.get("type") in (None, "custom")
        and isinstance(t.get("name"), str)
    ]


# --- limits --------------------------------------------------------------------------------


def _generate(output: Output, plan: Sequence[Block], stops: Sequence[str]) -> None:
    """Emit the planned blocks until max_tokens or a stop sequence ends the turn."""
    for block in plan:
        matched = _cut_at_stop(block, stops)
        cost = token_count(_block_text(block))
        if cost > output.budget:
            _truncate(output, block)
            return
        _append(output, block, cost)
        if matched is not None:
            output.stop_reason, output.stop_sequence = "stop_sequence", matched
            return
        if block["type"] == "tool_use":
            output.stop_reason = "tool_use"


def _append(output: Output, block: Block, cost: int) -> None:
    output.budget -= cost
    output.tokens += cost
    if block["type"] != "text" or block["text"]:
        output.content.append(block)


def _truncate(output: Output, block: Block) -> None:
    output.stop_reason = "max_tokens"
    key = {"text": "text", "thinking": "thinking"}.get(block["type"])
    if key is not None:
        block[key] = take(block[key], output.budget)
        _append(output, block, output.budget)


def _block_text(block: Block) -> str:
    if block["type"] == "tool_use":
        return str(block["input"])
    return str(block.get("text", block.get("thinking", "")))


def _cut_at_stop(block: Block, stops: Sequence[str]) -> str | None:
    """Truncate a text block before the earliest stop sequence; the one matched, if any."""
    if block["type"] != "text":
        return None
    found = [(block["text"].find(s), i, s) for i, s in enumerate(stops) if s in block["text"]]
    if not found:
        return None
    position, _, matched = min(found)
    block["text"] = block["text"][:position]
    return matched


def token_count(text: str) -> int:
    return len(text.split())


def take(text: str, count: int) -> str:
    """The first `count` whitespace-separated tokens of `text`, spacing kept."""
    if count <= 0:
        return ""
    ends = [m.end() for m in re.finditer(r"\S+", text)]
    return text if count >= len(ends) else text[: ends[count - 1]]

"""What the deterministic model reads from a request: texts, prefill, tool results.

Tolerant by design: with the `accept-invalid` fault any JSON reaches it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# Claude Code wraps context it adds to a user turn in these tags: not the user's words
REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Prompt:
    """The parts of a request the model's answer depends on."""

    last_user_text: str
    prefill: str  # text of a final assistant message ("" when the user spoke last)
    tool_results: tuple[tuple[str, str], ...]  # (tool name, result text) in the last turn
    has_image: bool
    has_document: bool
    input_tokens: int  # whitespace-separated tokens of all input text


def read_prompt(body: Mapping[str, Any]) -> Prompt:
    every = [m for m in _list(body.get("messages")) if isinstance(m, dict)]
    messages = [m for m in every if m.get("role") != "system"]  # mid-conversation system turns
    prefill = messages.pop() if messages and messages[-1].get("role") == "assistant" else None
    last_user = messages[-1] if messages else {}
    blocks = _blocks(last_user.get("content"))
    return Prompt(
        last_user_text=REMINDER.sub("", " ".join(_texts(blocks, nested=False))).strip(),
        prefill="".join(_texts(_blocks(prefill.get("content")), nested=False)) if prefill else "",
        tool_results=tuple(_tool_results(blocks, _tool_names(messages))),
        has_image=any(b.get("type") == "image" for b in _walk(blocks)),
        has_document=any(b.get("type") == "document" for b in _walk(blocks)),
        input_tokens=max(1, sum(len(t.split()) for t in _all_input_texts(body))),
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in _list(content) if isinstance(b, dict)]


def _walk(blocks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Blocks and the blocks nested in tool results."""
    for block in blocks:
        yield block
        if block.get("type") == "tool_result":
            yield from _walk(_blocks(block.get("content")))


def _texts(blocks: list[dict[str, Any]], nested: bool = True) -> Iterator[str]:
    for block in _walk(blocks) if nested else iter(blocks):
        yield from _block_texts(block)


def _block_texts(block: dict[str, Any]) -> Iterator[str]:
    for key in ("text", "thinking"):
        if isinstance(block.get(key), str):
            yield block[key]
    if block.get("type") == "tool_use":
        yield json.dumps(block.get("input"))
    source = block.get("source")
    if isinstance(source, dict) and source.get("type") == "text":
        yield str(source.get("data", ""))


def _tool_names(messages: list[dict[str, Any]]) -> dict[str, str]:
    return {
        str(b.get("id")): str(b.get("name"))
        for m in messages
        for b in _blocks(m.get("content"))
        if b.get("type") == "tool_use"
    }


def _tool_results(blocks: list[dict[str, Any]], names: dict[str, str]) -> Iterator[tuple[str, str]]:
    for block in blocks:
        if block.get("type") == "tool_result":
            text = " ".join(_texts(_blocks(block.get("content"))))
            yield names.get(str(block.get("tool_use_id")), "tool"), text


def _all_input_texts(body: Mapping[str, Any]) -> Iterator[str]:
    yield from _texts(_blocks(body.get("system")))
    for message in _list(body.get("messages")):
        if isinstance(message, dict):
            yield from _texts(_blocks(message.get("content")))
    for tool in _list(body.get("tools")):
        if isinstance(tool, dict):
            yield f"{tool.get('name', '')} {tool.get('description', '')}"

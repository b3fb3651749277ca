"""Checks of the top-level fields, the messages and their content blocks (facts §4.1-§4.6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .request_rules import (
    BLOCK_KEYS,
    EMPTY_CONTENT,
    FIELD_TYPES,
    ID_PATTERN,
    IMAGE_MEDIA_TYPES,
    MESSAGE_KEYS,
    OPEN_BLOCKS,
    RANGES,
    REQUIRED_BLOCK_KEYS,
    REQUIRED_FIELDS,
    ROLES,
    SOURCE_KEYS,
    SOURCE_TAGS,
    THREAD_KEYS,
    TYPE_NAMES,
    UNSET_SENTINEL,
    Body,
    Limits,
    Messages,
    _extra_keys,
    _has_type,
    _tagged,
    _tags,
)

# --- top level -------------------------------------------------------------------------


def check_required(body: Body, limits: Limits) -> Messages:
    for name in REQUIRED_FIELDS:
        if name not in body:
            yield f"{name}: Field required"


def check_extra(body: Body, limits: Limits) -> Messages:
    yield from _extra_keys(body, FIELD_TYPES, "")


def check_types(body: Body, limits: Limits) -> Messages:
    for name, types in FIELD_TYPES.items():
        if name in body and not _has_type(body[name], types):
            yield f"{name}: Input should be a valid {TYPE_NAMES.get(types[0], 'dictionary')}"


def check_ranges(body: Body, limits: Limits) -> Messages:
    for name, (low, high) in RANGES.items():
        value = body.get(name)
        if value is None or (name in UNSET_SENTINEL and value == -1):
            continue
        if low is not None and value < low:
            yield f"{name}: Input should be greater than or equal to {low}"
        if high is not None and value > high:
            yield f"{name}: Input should be less than or equal to {high}"


def check_max_tokens(body: Body, limits: Limits) -> Messages:
    if body["max_tokens"] > limits.max_output_tokens:
        yield (
            f"max_tokens: {body['max_tokens']} > {limits.max_output_tokens}, which is the "
            f"maximum allowed number of output tokens for {body['model']}"
        )


def check_thread(body: Body, limits: Limits) -> Messages:
    """`thread`: `{"type": "create"}` or `{"type": "continue", "previous_message_id": id}`."""
    thread = body.get("thread")
    if thread is None:
        return
    yield from _tagged(thread, "thread", THREAD_KEYS)
    if thread["type"] == "continue" and not isinstance(thread.get("previous_message_id"), str):
        yield "thread.continue.previous_message_id: Field required"


def check_metadata(body: Body, limits: Limits) -> Messages:
    metadata = body.get("metadata", {})
    yield from _extra_keys(metadata, ("user_id",), "metadata")
    user_id = metadata.get("user_id")
    if user_id is not None and not isinstance(user_id, str):
        yield "metadata.user_id: Input should be a valid string"
    elif user_id is not None and len(user_id) > 512:  # facts §4.1: maxLength 512
        yield "metadata.user_id: String should have at most 512 characters"


def check_stop_sequences(body: Body, limits: Limits) -> Messages:
    for index, sequence in enumerate(body.get("stop_sequences", [])):
        if not isinstance(sequence, str):
            yield f"stop_sequences.{index}: Input should be a valid string"
        elif not sequence:
            yield "stop_sequences: each stop sequence must be non-empty"
        elif not sequence.strip():
            yield "stop_sequences: each stop sequence must contain non-whitespace"


def check_system(body: Body, limits: Limits) -> Messages:
    system = body.get("system")
    if isinstance(system, list):
        for index, block in enumerate(system):
            path = f"system.{index}"
            yield from _tagged(block, path, {"text": BLOCK_KEYS["text"]})
            yield from _text_block(block, path)


# --- messages and blocks ---------------------------------------------------------------


def check_messages(body: Body, limits: Limits) -> Messages:
    messages = body["messages"]
    if not messages:
        yield "messages: List should have at least 1 item after validation, not 0"
    for index, message in enumerate(messages):
        yield from _message(message, f"messages.{index}", limits)
        final_assistant = index == len(messages) - 1 and _role(message) == "assistant"
        if not final_assistant and _is_empty(message["content"]):
            yield f"messages.{index}: {EMPTY_CONTENT}"


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, dict) else None


def _is_empty(content: Any) -> bool:
    return content in ("", [])


def _message(message: Any, path: str, limits: Limits) -> Messages:
    if not isinstance(message, dict) or "role" not in message or "content" not in message:
        yield f"{path}: Input does not match the expected shape."
        return
    yield from _extra_keys(message, MESSAGE_KEYS.get(message["role"], ("role", "content")), path)
    if message["role"] not in ROLES:
        yield f"{path}.role: Input should be 'user', 'assistant' or 'system'"
    content = message["content"]
    if isinstance(content, str):
        if content and not content.strip():
            yield "messages: text content blocks must contain non-whitespace text"
    elif isinstance(content, list):
        for index, block in enumerate(content):
            yield from _block(block, f"{path}.content.{index}", limits)
    else:
        yield f"{path}.content: Input should be a valid string or list"


def _block(block: Any, path: str, limits: Limits) -> Messages:
    if isinstance(block, dict) and block.get("type") in OPEN_BLOCKS:
        return
    if isinstance(block, dict) and "type" not in block:
        yield f"{path}: Unable to extract tag using discriminator 'type'"
        return
    yield from _tagged(block, path, BLOCK_KEYS)
    tag = block.get("type")
    for key in REQUIRED_BLOCK_KEYS.get(tag, ()):
        if key not in block:
            yield f"{path}.{tag}.{key}: Field required"
    yield from BLOCK_CHECKS.get(tag, _no_check)(block, f"{path}.{tag}", limits)


def _no_check(block: Body, path: str, limits: Limits) -> Messages:
    yield from ()


def _text_block(block: Any, path: str, limits: Limits | None = None) -> Messages:
    text = block.get("text") if isinstance(block, dict) else None
    if not isinstance(text, str):
        yield f"{path}.text: Input should be a valid string"
    elif not text:
        yield "messages: text content blocks must be non-empty"  # facts §8
    elif not text.strip():
        yield "messages: text content blocks must contain non-whitespace text"
    citations = block.get("citations") if isinstance(block, dict) else None
    if citations is not None and not isinstance(citations, list):
        yield f"{path}.citations: Input should be a valid list"


def _source_block(block: Body, path: str, limits: Limits) -> Messages:
    tags = SOURCE_TAGS[block["type"]] + ("file",)  # GA in the 2026-08 SDKs; real traffic
    source = block["source"]
    yield from _tagged(source, f"{path}.source", {tag: SOURCE_KEYS[tag] for tag in tags})
    base64_image = block["type"] == "image" and source.get("type") == "base64"
    if base64_image and source.get("media_type") not in IMAGE_MEDIA_TYPES:
        yield f"{path}.source.base64.media_type: Input should be {_tags(IMAGE_MEDIA_TYPES)}"


def _tool_use_block(block: Body, path: str, limits: Limits) -> Messages:
    if not isinstance(block["id"], str) or not ID_PATTERN.match(block["id"]):
        yield f"{path}.id: String should match pattern '^[a-zA-Z0-9_-]+$'"
    if not isinstance(block["name"], str) or not 1 <= len(block["name"]) <= 200:
        yield f"{path}.name: String should have between 1 and 200 characters"
    if not isinstance(block["input"], dict):
        yield f"{path}.input: Input should be a valid dictionary"


def _tool_result_block(block: Body, path: str, limits: Limits) -> Messages:
    tool_use_id = block["tool_use_id"]
    if not isinstance(tool_use_id, str) or not ID_PATTERN.match(tool_use_id):
        yield f"{path}.tool_use_id: String should match pattern '^[a-zA-Z0-9_-]+$'"
    content = block.get("content")
    if isinstance(content, list):
        for index, inner in enumerate(content):
            yield from _block(inner, f"{path}.content.{index}", limits)


BLOCK_CHECKS: dict[str, Callable[[Body, str, Limits], Messages]] = {
    "text": _text_block,
    "image": _source_block,
    "document": _source_block,
    "tool_use": _tool_use_block,
    "tool_result": _tool_result_block,
}


def check_tool_results(body: Body, limits: Limits) -> Messages:
    """Every `tool_use` id is answered by a `tool_result` with that id in the next message
    (facts §8; mid-conversation `system` turns in between are skipped).

    No tolerance for mismatched ids: the corpus file (108) that once suggested one was an
    edited copy; the original pairs its ids, and the live API rejects an unanswered id.
    """
    turns = [m for m in body["messages"] if m.get("role") != "system"]
    for index, message in enumerate(turns[:-1]):
        missing = _ids(message, "tool_use", "id") - _ids(turns[index + 1], "tool_result")
        if missing:
            yield (
                f"messages.{body['messages'].index(message)}: `tool_use` ids were found without "
                f"`tool_result` blocks immediately after: {', '.join(sorted(missing))}. "
                "Each `tool_use` block must have a corresponding `tool_result` block in the "
                "next message."
            )


def _ids(message: Body, block_type: str, key: str = "tool_use_id") -> set[str]:
    content = message["content"]
    if not isinstance(content, list):
        return set()
    return {block[key] for block in content if block.get("type") == block_type}


def check_prefill(body: Body, limits: Limits) -> Messages:
    last = body["messages"][-1]
    if last["role"] != "assistant":
        return
    content = last["content"]
    text = content if isinstance(content, str) else _last_text(content)
    if text and text != text.rstrip():
        yield "messages: final assistant content cannot end with trailing whitespace"


def _last_text(content: list[Any]) -> str:
    texts = [block["text"] for block in content if block.get("type") == "text"]
    return texts[-1] if texts and content[-1].get("type") == "text" else ""

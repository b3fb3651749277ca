"""Request-body validation, written by hand from facts §4 and §8 (not from spec/ schemas).

Every check is a generator of error messages; `validate` answers with the first one as a
400 `invalid_request_error`. The tables below say which keys each object accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, invalid

Body = Mapping[str, Any]
Messages = Iterator[str]

# facts §4.1 (GA) and §4.11 (beta top-level properties, accepted here without their header)
FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "messages": (list,),
    "max_tokens": (int,),
    "stream": (bool,),
    "system": (str, list),
    "metadata": (dict,),
    "stop_sequences": (list,),
    "temperature": (float, int),
    "top_k": (int,),
    "top_p": (float, int),
    "tools": (list,),
    "tool_choice": (dict,),
    "thinking": (dict,),
    "service_tier": (str,),
    "container": (str, dict, type(None)),
    "cache_control": (dict, type(None)),
    "output_config": (dict,),
    "inference_geo": (str, type(None)),
    "mcp_servers": (list,),
    "context_management": (dict, type(None)),
    "speed": (str, type(None)),
    "output_format": (dict, type(None)),
    "fallbacks": (list, str),
    "fallback_credit_token": (str, dict),
    "diagnostics": (dict, type(None)),
}
REQUIRED_FIELDS = ("model", "messages", "max_tokens")
RANGES: dict[str, tuple[float | None, float | None]] = {  # facts §4.1, §8
    "max_tokens": (1, None),
    "temperature": (0, 1),
    "top_p": (0, 1),
    "top_k": (0, None),
}
TYPE_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "list"}

# facts §4.3: closed request blocks; REQUIRED lists their mandatory keys
BLOCK_KEYS: dict[str, frozenset[str]] = {
    "text": frozenset({"type", "text", "citations", "cache_control"}),
    "image": frozenset({"type", "source", "cache_control", "transformations"}),
    "document": frozenset({"type", "source", "title", "context", "citations", "cache_control"}),
    "search_result": frozenset(
        {"type", "source", "title", "content", "citations", "cache_control"}
    ),
    "thinking": frozenset({"type", "thinking", "signature"}),
    "redacted_thinking": frozenset({"type", "data"}),
    "tool_use": frozenset(
        {"type", "id", "name", "input", "caller", "cache_control", "toolset_name"}
    ),
    "tool_result": frozenset(
        {"type", "tool_use_id", "content", "is_error", "cache_control", "toolset_name"}
    ),
    "container_upload": frozenset({"type", "file_id", "cache_control"}),
}
REQUIRED_BLOCK_KEYS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "image": ("source",),
    "document": ("source",),
    "thinking": ("thinking", "signature"),
    "redacted_thinking": ("data",),
    "tool_use": ("id", "name", "input"),
    "tool_result": ("tool_use_id",),
    "container_upload": ("file_id",),
}
# echoed server-tool and beta blocks: known tags, keys not checked (facts §4.3, beta list)
OPEN_BLOCKS = frozenset(
    {
        "server_tool_use",
        "web_search_tool_result",
        "web_fetch_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "tool_search_tool_result",
        "tool_reference",
        "mcp_tool_use",
        "mcp_tool_result",
        "compaction",
        "advisor_tool_result",
        "tool_addition",
        "tool_removal",
        "fallback",
    }
)
SOURCE_KEYS = {  # facts §4.3.1
    "base64": frozenset({"type", "media_type", "data"}),
    "url": frozenset({"type", "url"}),
    "text": frozenset({"type", "media_type", "data"}),
    "content": frozenset({"type", "content"}),
    "file": frozenset({"type", "file_id"}),
}
SOURCE_TAGS = {"image": ("base64", "url"), "document": ("base64", "content", "text", "url")}
ROLES = ("user", "assistant", "system")  # facts §4.2: `system` added to the SDKs 2026-05
IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")

CUSTOM_TOOL_KEYS = frozenset(
    {
        "type",
        "name",
        "description",
        "input_schema",
        "cache_control",
        "strict",
        "eager_input_streaming",
        "defer_loading",
        "allowed_callers",
        "input_examples",
    }
)
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")  # facts §4.7.1
SERVER_TOOL_TYPE = re.compile(
    r"^[a-z][a-z0-9_]*_\d{8}$|^(tool_search_tool_regex|tool_search_tool_bm25|mcp_toolset)$"
)
TOOL_CHOICE_KEYS = {
    "auto": frozenset({"type", "disable_parallel_tool_use"}),
    "any": frozenset({"type", "disable_parallel_tool_use"}),
    "tool": frozenset({"type", "name", "disable_parallel_tool_use"}),
    "none": frozenset({"type"}),
}
THINKING_KEYS = {
    "enabled": frozenset({"type", "budget_tokens", "display"}),
    "disabled": frozenset({"type"}),
    "adaptive": frozenset({"type", "display"}),
}
INTERLEAVED_BETA = "interleaved-thinking-2025-05-14"
DOCS = "Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"

EMPTY_CONTENT = (
    "all messages must have non-empty content except for the optional final assistant message"
)


@dataclass(frozen=True, slots=True)
class Limits:
    """What validation needs besides the body."""

    max_output_tokens: int
    betas: frozenset[str] = frozenset()


def validate(body: Any, limits: Limits) -> ApiError | None:
    """The first problem with `body` as a 400 error, or None when it is acceptable."""
    if not isinstance(body, dict):
        return invalid("Input should be a valid dictionary")
    for check in CHECKS:
        for message in check(body, limits):
            return invalid(message)
    return None


# --- generic helpers -------------------------------------------------------------------


def _extra_keys(value: Mapping[str, Any], allowed: Iterable[str], path: str) -> Messages:
    for key in value:
        if key not in allowed:
            yield (
                f"{path}.{key}: Extra inputs are not permitted"
                if path
                else (f"{key}: Extra inputs are not permitted")
            )


def _tags(tags: Iterable[str]) -> str:
    return ", ".join(f"'{tag}'" for tag in tags)


def _tagged(value: Any, path: str, table: Mapping[str, frozenset[str]]) -> Messages:
    """A `type`-discriminated closed object: known tag, no extra keys."""
    if not isinstance(value, dict):
        yield f"{path}: Input should be a valid dictionary"
        return
    tag = str(value.get("type"))
    if "type" not in value or tag not in table:
        yield (
            f"{path}: Input tag '{tag}' found using 'type' does not match any of the "
            f"expected tags: {_tags(table)}"
        )
        return
    yield from _extra_keys(value, table[tag], f"{path}.{tag}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _has_type(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, int) and float in types:
        return True
    return isinstance(value, types)


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
        if value is None:
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
    yield from _extra_keys(message, ("role", "content"), path)
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
    """A `tool_use` must be answered by `tool_result` blocks in the next message (facts §8).

    Lenient on ids: real traffic (corpus 108) was accepted with a mismatched tool_use_id,
    so only a next message with no tool_result at all is rejected.
    """
    messages = body["messages"]
    for index, message in enumerate(messages[:-1]):
        answered = _ids(messages[index + 1], "tool_result")
        missing = _ids(message, "tool_use", "id") - answered
        if missing and not answered:
            yield (
                f"messages.{index}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {', '.join(sorted(missing))}. Each `tool_use` block must "
                "have a corresponding `tool_result` block in the next message."
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


CHECKS: tuple[Callable[[Body, Limits], Messages], ...] = (
    check_required,
    check_extra,
    check_types,
    check_ranges,
    check_max_tokens,
    check_metadata,
    check_stop_sequences,
    check_system,
    check_messages,
    check_tool_results,
    check_prefill,
    check_tools,
    check_tool_choice,
    check_thinking,
    check_thinking_sampling,
)

"""What a request body may hold, as tables from facts §4 and §8 (keys per object, block tags,
patterns), the validation limits, and the small helpers every check shares."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

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
    "thread": (dict, type(None)),  # beta message-threads-2026-08-12 (SDK tool runners)
    "billing_policy": (dict, type(None)),
    "compaction": (dict, type(None)),
}
REQUIRED_FIELDS = ("model", "messages", "max_tokens")
RANGES: dict[str, tuple[float | None, float | None]] = {  # facts §4.1, §8
    "max_tokens": (0, None),  # 0: populate the prompt cache without generating
    "temperature": (0, 1),
    "top_p": (0, 1),
    "top_k": (0, None),
}
UNSET_SENTINEL = ("top_k", "top_p")  # the live API answered 200 to -1 (gateway-facts.md)
THREAD_KEYS = {
    "create": frozenset({"type"}),
    "continue": frozenset({"type", "previous_message_id"}),
}
# a `system` turn may also carry (beta mid-conversation system / per-turn control) these
MESSAGE_KEYS = {"system": ("role", "content", "clear_at", "output_config")}
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

    max_output_tokens: int  # the ceiling of the request's model (catalogue.py)
    betas: frozenset[str] = frozenset()


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

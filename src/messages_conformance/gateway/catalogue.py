"""The one model table: which models the gateway serves and each one's limits (`GET /v1/models`,
the max_tokens ceiling, the context window).

Ids: the installed official SDK's `ModelParam` (2.14) plus the defaults of current clients
(Claude Code 2.1.332 defaults to claude-opus-5-5). Output ceilings as `@ai-sdk/anthropic`
4.0 encodes them (gateway-facts.md): current models 128000; the 4.5 family 64000; opus 4.1
and 4.0 32000; sonnet 4.0 64000; claude-3-haiku 4096.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CURRENT = 128000
CONTEXT = 200000
WIDE_CONTEXT = 1000000


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One served model: its id, names, release date and limits."""

    id: str
    display_name: str
    created_at: str  # RFC 3339
    max_tokens: int
    max_input_tokens: int = CONTEXT
    adaptive: bool = True  # accepts thinking.type adaptive and output_config.effort

    @property
    def line(self) -> str | None:
        family = self.id.removeprefix("claude-").split("-")[0]
        return family if family in ("haiku", "sonnet", "opus", "fable", "mythos") else None

    def info(self) -> dict[str, Any]:
        """The `ModelInfo` object of the models API (the SDK's `types/model_info.py`)."""
        return {
            "type": "model",
            "id": self.id,
            "display_name": self.display_name,
            "created_at": self.created_at,
            "lifecycle": "active",
            "deprecated_at": None,
            "retires_at": None,
            "line": self.line,
            "max_input_tokens": self.max_input_tokens,
            "max_tokens": self.max_tokens,
            "capabilities": _capabilities(self.adaptive),
        }


def _entry(model_id: str, name: str, date: str, max_tokens: int, **extra: Any) -> ModelEntry:
    return ModelEntry(model_id, name, f"{date}T00:00:00Z", max_tokens, **extra)


MODELS: tuple[ModelEntry, ...] = (
    _entry(
        "claude-opus-5-5", "Claude Opus 5.5", "2026-10-20", CURRENT, max_input_tokens=WIDE_CONTEXT
    ),
    _entry(
        "claude-sonnet-5-5",
        "Claude Sonnet 5.5",
        "2026-10-20",
        CURRENT,
        max_input_tokens=WIDE_CONTEXT,
    ),
    _entry("claude-haiku-5-5", "Claude Haiku 5.5", "2026-10-20", CURRENT),
    _entry("claude-fable-5-2", "Claude Fable 5.2", "2026-10-06", CURRENT),
    _entry("claude-mythos-5-2", "Claude Mythos 5.2", "2026-10-06", CURRENT),
    _entry("claude-fable-5-1", "Claude Fable 5.1", "2026-09-15", CURRENT),
    _entry("claude-mythos-5-1", "Claude Mythos 5.1", "2026-09-15", CURRENT),
    _entry("claude-opus-5", "Claude Opus 5", "2026-08-26", CURRENT, max_input_tokens=WIDE_CONTEXT),
    _entry(
        "claude-sonnet-5", "Claude Sonnet 5", "2026-08-26", CURRENT, max_input_tokens=WIDE_CONTEXT
    ),
    _entry("claude-fable-5", "Claude Fable 5", "2026-08-26", CURRENT),
    _entry("claude-mythos-5", "Claude Mythos 5", "2026-08-26", CURRENT),
    _entry(
        "claude-opus-4-8", "Claude Opus 4.8", "2026-07-15", CURRENT, max_input_tokens=WIDE_CONTEXT
    ),
    _entry(
        "claude-opus-4-7", "Claude Opus 4.7", "2026-04-16", CURRENT, max_input_tokens=WIDE_CONTEXT
    ),
    _entry("claude-mythos-preview", "Claude Mythos Preview", "2026-04-07", CURRENT),
    _entry(
        "claude-opus-4-6", "Claude Opus 4.6", "2026-02-05", CURRENT, max_input_tokens=WIDE_CONTEXT
    ),
    _entry(
        "claude-sonnet-4-6",
        "Claude Sonnet 4.6",
        "2026-02-17",
        CURRENT,
        max_input_tokens=WIDE_CONTEXT,
    ),
    _entry("claude-haiku-4-5", "Claude Haiku 4.5", "2025-10-15", 64000, adaptive=False),
    _entry("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-15", 64000, adaptive=False),
    _entry("claude-opus-4-5", "Claude Opus 4.5", "2025-11-24", 64000),
    _entry("claude-opus-4-5-20251101", "Claude Opus 4.5", "2025-11-24", 64000),
    _entry("claude-sonnet-4-5", "Claude Sonnet 4.5", "2025-09-29", 64000, adaptive=False),
    _entry("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29", 64000, adaptive=False),
    _entry("claude-opus-4-1", "Claude Opus 4.1", "2025-08-05", 32000, adaptive=False),
    _entry("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05", 32000, adaptive=False),
    _entry("claude-opus-4-0", "Claude Opus 4", "2025-05-22", 32000, adaptive=False),
    _entry("claude-opus-4-20250514", "Claude Opus 4", "2025-05-22", 32000, adaptive=False),
    _entry("claude-sonnet-4-0", "Claude Sonnet 4", "2025-05-22", 64000, adaptive=False),
    _entry("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-22", 64000, adaptive=False),
    _entry("claude-3-haiku-20240307", "Claude Haiku 3", "2024-03-07", 4096, adaptive=False),
)
EXTRA_MODEL_MAX_TOKENS = 64000  # a model added by configuration, not in the table


def _supported(flag: bool) -> dict[str, bool]:
    return {"supported": flag}


def _capabilities(adaptive: bool) -> dict[str, Any]:
    yes = _supported(True)
    return {
        "batch": yes,
        "citations": yes,
        "code_execution": yes,
        "context_management": {
            "supported": True,
            "clear_thinking_20251015": yes,
            "clear_tool_uses_20250919": yes,
            "compact_20260112": _supported(adaptive),
        },
        "effort": {
            "supported": adaptive,
            **{level: _supported(adaptive) for level in ("low", "medium", "high", "xhigh", "max")},
        },
        "image_input": yes,
        "pdf_input": yes,
        "server_tools": {"supported": True, "code_execution": yes, "web_search": yes},
        "structured_outputs": yes,
        "thinking": {
            "supported": True,
            "types": {
                "adaptive": _supported(adaptive),
                "enabled": yes,
                "disabled": yes,
                "between_tools": _supported(False),
            },
        },
    }


class Catalogue:
    """The models one gateway serves: the table plus configured extras, newest first."""

    def __init__(self, extra: tuple[str, ...] = ()) -> None:
        known = {entry.id for entry in MODELS}
        added = tuple(
            ModelEntry(m, m, "2026-01-01T00:00:00Z", EXTRA_MODEL_MAX_TOKENS)
            for m in dict.fromkeys(extra)
            if m not in known
        )
        self.entries = MODELS + added
        self.by_id = {entry.id: entry for entry in self.entries}

    def __contains__(self, model: object) -> bool:
        return model in self.by_id

    def max_tokens(self, model: object) -> int:
        entry = self.by_id.get(model) if isinstance(model, str) else None
        return entry.max_tokens if entry is not None else EXTRA_MODEL_MAX_TOKENS

    def page(self, after_id: str | None, before_id: str | None, limit: int) -> dict[str, Any]:
        """One page of `GET /v1/models` (cursor ids exclusive, like the official list)."""
        ids = [entry.id for entry in self.entries]
        start, end = 0, len(ids)
        if after_id in self.by_id:
            start = ids.index(after_id) + 1
        if before_id in self.by_id:
            end = ids.index(before_id)
            start = max(start, end - limit) if after_id is None else start
        chosen = self.entries[start : min(end, start + limit)]
        data = [entry.info() for entry in chosen]
        backwards = before_id is not None and after_id is None
        return {
            "data": data,
            "has_more": start > 0 if backwards else start + len(chosen) < end,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }

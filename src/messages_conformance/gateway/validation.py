"""Request-body validation, written by hand from facts §4 and §8 (not from spec/ schemas).

Every check is a generator of error messages; `validate` answers with the first one as a
400 `invalid_request_error`. The tables below say which keys each object accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .body_checks import (
    check_extra,
    check_max_tokens,
    check_messages,
    check_metadata,
    check_prefill,
    check_ranges,
    check_required,
    check_stop_sequences,
    check_system,
    check_thread,
    check_tool_results,
    check_types,
)
from .errors import ApiError, invalid
from .request_rules import Body, Limits, Messages
from .tool_checks import (
    check_thinking,
    check_thinking_sampling,
    check_tool_choice,
    check_tools,
)

__all__ = ["CHECKS", "Limits", "validate"]


def validate(body: Any, limits: Limits) -> ApiError | None:
    """The first problem with `body` as a 400 error, or None when it is acceptable."""
    if not isinstance(body, dict):
        return invalid("Input should be a valid dictionary")
    for check in CHECKS:
        for message in check(body, limits):
            return invalid(message)
    return None


CHECKS: tuple[Callable[[Body, Limits], Messages], ...] = (
    check_required,
    check_extra,
    check_types,
    check_ranges,
    check_max_tokens,
    check_thread,
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

"""Server-held conversations (beta `message-threads-2026-08-12`): `thread: {"type": "create"}`
keeps a conversation under the reply's id; `{"type": "continue", "previous_message_id": id}`
sends only the new turn and the gateway puts the held history before it (the SDKs' tool
runners use it by default). Bounded: the oldest conversations are forgotten first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from .errors import ApiError

MAX_THREADS = 1024


class Threads:
    """Conversations by the id of their latest reply."""

    def __init__(self, capacity: int = MAX_THREADS) -> None:
        self.capacity = capacity
        self._held: OrderedDict[str, list[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def resume(self, body: dict[str, Any]) -> dict[str, Any] | ApiError:
        """`body` with the held history before its messages (unchanged without `continue`)."""
        thread = body.get("thread")
        if not isinstance(thread, Mapping) or thread.get("type") != "continue":
            return body
        previous = str(thread.get("previous_message_id"))
        with self._lock:
            history = self._held.get(previous)
        if history is None:
            return ApiError("not_found_error", f"thread: no thread state for {previous}")
        return {**body, "messages": [*history, *body["messages"]]}

    def keep(self, body: Mapping[str, Any], message: Mapping[str, Any]) -> None:
        """Hold the conversation so far under `message["id"]` when the request asked for it."""
        if not isinstance(body.get("thread"), Mapping):
            return
        reply = {"role": "assistant", "content": message["content"]}
        with self._lock:
            self._held[message["id"]] = [*body["messages"], reply]
            while len(self._held) > self.capacity:
                self._held.popitem(last=False)

"""One request in, one answer out: the gateway's pipeline, free of any web framework.

Order (facts §1.1, §2, §8): size (413) → auth (401) → anthropic-version / anthropic-beta
(400) → JSON → body validation (400) → test-error triggers → model lookup (404) →
deterministic model → JSON Message or SSE stream. Faults hook in at each step.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import headers as wire
from .config import GatewayConfig
from .errors import OVERLOADED, TEST_ERRORS, ApiError, invalid
from .events import Event, encode, message_events, stream_error_events
from .faults import select
from .ids import digest, request_id
from .model import reply
from .validation import Limits, validate

JSON_TYPE = "application/json"
SSE_TYPE = "text/event-stream; charset=utf-8"
TEST_HEADER = "x-mconf-test-error"
TEST_MODEL_PREFIX = "mconf-test-"
TRIGGERS = frozenset({"429", "500", "504", "529", "stream"})
TOO_LARGE = ApiError("request_too_large", "Request exceeds the maximum allowed number of bytes.")


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send: a status, headers, and a JSON body or SSE frames."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    frames: tuple[str, ...] | None = None  # set for streams


class Handler:
    """The gateway's behaviour under one config (keys, models and faults resolved once)."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.faults = select(config.faults)
        self.keys = config.accepted_keys()
        self.models = config.known_models()

    def answer(self, headers: Mapping[str, str], raw: bytes) -> Answer:
        rid = request_id()
        admitted = self._admit(headers, raw)
        if isinstance(admitted, ApiError):
            return self.error(admitted, rid)
        body = self.faults.request(admitted)
        trigger = _test_trigger(body, headers)
        if trigger == "stream" and body.get("stream") is True:
            return self._stream(stream_error_events(self._message(body, raw)), rid)
        if trigger is not None:
            return self.error(TEST_ERRORS.get(trigger, OVERLOADED), rid)
        if body.get("model") not in self.models:
            return self.error(ApiError("not_found_error", f"model: {body.get('model')}"), rid)
        message = self._message(body, raw)
        if body.get("stream") is True:
            return self._stream(message_events(message), rid)
        return self._json(200, message, rid, retry_after=None)

    def _admit(self, headers: Mapping[str, str], raw: bytes) -> dict[str, Any] | ApiError:
        """The parsed body, or the first error no fault waives."""
        betas = wire.betas(headers)
        checks: tuple[Callable[[], ApiError | None], ...] = (
            lambda: TOO_LARGE if len(raw) > self.config.max_body_bytes else None,
            lambda: wire.check_auth(headers, self.keys),
            lambda: wire.check_version(headers, self.config.version_policy),
            lambda: wire.check_betas(betas),
        )
        for check in checks:
            error = check()
            if error is not None and not self.faults.waives(error):
                return error
        body = _parse(raw)
        if isinstance(body, ApiError):
            return body
        error = validate(body, Limits(self.config.max_output_tokens, betas))
        if error is not None and not self.faults.waives(error):
            return error
        return body if isinstance(body, dict) else {}

    def _message(self, body: dict[str, Any], raw: bytes) -> dict[str, Any]:
        message = reply(body, digest(raw), self.config.max_output_tokens)
        return self.faults.message(message)

    def error(self, error: ApiError, rid: str) -> Answer:
        status, body = self.faults.error((error.status, error.envelope(rid)))
        return self._json(status, body, rid, error.retry_after)

    def _json(self, status: int, body: Any, rid: str, retry_after: int | None) -> Answer:
        headers = wire.response_headers(rid, JSON_TYPE)
        if retry_after is not None:
            headers["retry-after"] = str(retry_after)
        content = json.dumps(body, separators=(",", ":")).encode()
        return Answer(status, self.faults.headers(headers, False), content)

    def _stream(self, events: list[Event], rid: str) -> Answer:
        frames = self.faults.frames([encode(e) for e in self.faults.events(events)])
        headers = {**wire.response_headers(rid, SSE_TYPE), "cache-control": "no-cache"}
        return Answer(200, self.faults.headers(headers, True), frames=tuple(frames))


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return invalid("There was an error parsing the body: the request body is not valid JSON")


def _test_trigger(body: Mapping[str, Any], headers: Mapping[str, str]) -> str | None:
    """`429|500|504|529|stream` from `x-mconf-test-error` or a `mconf-test-*` model."""
    model = body.get("model")
    if isinstance(model, str) and model.startswith(TEST_MODEL_PREFIX):
        trigger: str | None = model.removeprefix(TEST_MODEL_PREFIX).removesuffix("-error")
    else:
        trigger = headers.get(TEST_HEADER)
    return trigger if trigger in TRIGGERS else None

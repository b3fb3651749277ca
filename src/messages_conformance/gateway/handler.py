"""One request in, one answer out: the gateway's pipeline, free of any web framework.

Order (facts §1.1, §2, §8): size (413) → auth (401) → anthropic-version / anthropic-beta
(400) → JSON → body validation (400) → test-error triggers → model lookup (404) →
deterministic model → JSON Message or SSE stream. Faults hook in at each step.
The neighbours real clients call take the same gate: `count_tokens` (the same prompt count
as `usage.input_tokens`) and the models list (catalogue.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import headers as wire
from .bounds import HARD_READ_BYTES, MAX_NESTING, nesting
from .config import GatewayConfig
from .errors import OVERLOADED, TEST_ERRORS, ApiError, invalid
from .events import Event, encode, message_events, stream_error_events
from .faults import select
from .ids import digest, request_id
from .model import reply
from .pacing import Beat, beats, pacing_of, request_texts
from .prompt import read_prompt
from .threads import Threads
from .validation import Limits, validate

JSON_TYPE = "application/json"
SSE_TYPE = "text/event-stream; charset=utf-8"
TEST_HEADER = "x-mconf-test-error"
TEST_MODEL_PREFIX = "mconf-test-"
TRIGGERS = frozenset({"429", "500", "504", "529", "stream"})
TOO_LARGE = ApiError("request_too_large", "Request exceeds the maximum allowed number of bytes.")
# `POST /v1/messages/count_tokens` body (the SDK's MessageCountTokensParams, GA and beta)
COUNT_FIELDS = frozenset(
    {
        "model",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "thinking",
        "cache_control",
        "output_config",
        "speed",
        "context_management",
        "mcp_servers",
        "billing_policy",
        "compaction",
    }
)
MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send: a status, headers, and a JSON body or SSE frames."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    frames: tuple[str, ...] | None = None  # set for streams
    beats: tuple[Beat, ...] = ()  # how the frames go out: each write and the silence before


class Handler:
    """The gateway's behaviour under one config (keys, models and faults resolved once)."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.faults = select(config.faults)
        self.keys = config.accepted_keys()
        self.models = config.catalogue()
        self.threads = Threads()

    def answer(self, headers: Mapping[str, str], raw: bytes) -> Answer:
        rid = request_id()
        admitted = self._admit(headers, raw)
        if isinstance(admitted, ApiError):
            return self.error(admitted, rid)
        resumed = self.threads.resume(self.faults.request(admitted))
        if isinstance(resumed, ApiError):
            return self.error(resumed, rid)
        body = resumed
        trigger = _test_trigger(body, headers)
        if trigger == "stream" and body.get("stream") is True:
            return self._stream(stream_error_events(self._message(body, raw)), rid, body)
        if trigger is not None:
            return self.error(TEST_ERRORS.get(trigger, OVERLOADED), rid)
        if body.get("model") not in self.models:
            return self.error(ApiError("not_found_error", f"model: {body.get('model')}"), rid)
        message = self._message(body, raw)
        self.threads.keep(body, message)
        if body.get("stream") is True:
            return self._stream(message_events(message), rid, body)
        return self._json(200, message, rid, retry_after=None)

    def count_tokens(self, headers: Mapping[str, str], raw: bytes) -> Answer:
        """`POST /v1/messages/count_tokens`: `{"input_tokens": n}` for a Messages body subset."""
        rid = request_id()
        body = self._count_body(headers, raw)
        if isinstance(body, ApiError):
            return self.error(body, rid)
        if body.get("model") not in self.models:
            return self.error(ApiError("not_found_error", f"model: {body.get('model')}"), rid)
        return self._json(200, {"input_tokens": read_prompt(body).input_tokens}, rid, None)

    def _count_body(self, headers: Mapping[str, str], raw: bytes) -> dict[str, Any] | ApiError:
        body = self._gate(headers, raw) or _parse(raw)
        if isinstance(body, ApiError):
            return body
        if not isinstance(body, dict):
            return invalid("Input should be a valid dictionary")
        extra = sorted(set(body) - COUNT_FIELDS)
        if extra:
            return invalid(f"{extra[0]}: Extra inputs are not permitted")
        unbounded = 1 << 30  # count_tokens has no max_tokens: no ceiling, no budget rule
        error = validate({**body, "max_tokens": unbounded}, Limits(unbounded, wire.betas(headers)))
        return body if error is None or self.faults.waives(error) else error

    def list_models(self, headers: Mapping[str, str], query: Mapping[str, str]) -> Answer:
        """`GET /v1/models`: one page, newest first (`limit` 1-1000, default 20)."""
        rid = request_id()
        error = self._gate(headers, b"")
        limit = query.get("limit", "20")
        if error is None and not (limit.isdigit() and 1 <= int(limit) <= MAX_PAGE):
            error = invalid("limit: Input should be between 1 and 1000")
        if error is not None:
            return self.error(error, rid)
        page = self.models.page(query.get("after_id"), query.get("before_id"), int(limit))
        return self._json(200, page, rid, None)

    def get_model(self, headers: Mapping[str, str], model_id: str) -> Answer:
        """`GET /v1/models/{model_id}`: its `ModelInfo`, or 404."""
        rid = request_id()
        error = self._gate(headers, b"")
        entry = self.models.by_id.get(model_id)
        if error is None and entry is None:
            error = ApiError("not_found_error", f"model: {model_id}")
        if error is not None or entry is None:
            return self.error(error or invalid(model_id), rid)
        return self._json(200, entry.info(), rid, None)

    def _gate(self, headers: Mapping[str, str], raw: bytes) -> ApiError | None:
        """Size, auth, version and beta checks every endpoint shares (first unwaived error)."""
        checks: tuple[Callable[[], ApiError | None], ...] = (
            lambda: TOO_LARGE if len(raw) > self.config.max_body_bytes else None,
            lambda: wire.check_auth(headers, self.keys),
            lambda: wire.check_version(headers, self.config.version_policy),
            lambda: wire.check_betas(wire.betas(headers)),
        )
        for check in checks:
            error = check()
            if error is not None and not self.faults.waives(error):
                return error
        return None

    def _admit(self, headers: Mapping[str, str], raw: bytes) -> dict[str, Any] | ApiError:
        """The parsed body, or the first error no fault waives."""
        gate = self._gate(headers, raw)
        if gate is not None:
            return gate
        betas = wire.betas(headers)
        body = _parse(raw)
        if isinstance(body, ApiError):
            return body
        ceiling = self.config.ceiling(
            self.models, body.get("model") if isinstance(body, dict) else None
        )
        error = validate(body, Limits(ceiling, betas))
        if error is not None and not self.faults.waives(error):
            return error
        return body if isinstance(body, dict) else {}

    @property
    def read_limit(self) -> int:
        """Bytes of a body to read at most (413 past them): the configured limit, or the hard
        one when a fault lets oversized bodies through."""
        return HARD_READ_BYTES if self.faults.waives(TOO_LARGE) else self.config.max_body_bytes

    def too_large(self) -> Answer:
        return self.error(TOO_LARGE, request_id())

    def _message(self, body: dict[str, Any], raw: bytes) -> dict[str, Any]:
        message = reply(body, digest(raw), self.config.ceiling(self.models, body.get("model")))
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

    def _stream(self, events: list[Event], rid: str, body: Mapping[str, Any]) -> Answer:
        frames = self.faults.frames([encode(e) for e in self.faults.events(events)])
        headers = {**wire.response_headers(rid, SSE_TYPE), "cache-control": "no-cache"}
        delay, pacing = self.config.event_delay_ms / 1000, pacing_of(request_texts(body))
        stream = self.faults.delivery(beats(frames, delay, pacing))
        answer_headers = self.faults.headers(headers, True)
        return Answer(200, answer_headers, frames=tuple(frames), beats=tuple(stream))


def _parse(raw: bytes) -> Any:
    try:
        body = json.loads(raw)
    except RecursionError:
        return TOO_DEEP
    except ValueError:
        return invalid("There was an error parsing the body: the request body is not valid JSON")
    return TOO_DEEP if nesting(body) > MAX_NESTING else body


TOO_DEEP = invalid(f"The request body nests deeper than {MAX_NESTING} levels.")


def _test_trigger(body: Mapping[str, Any], headers: Mapping[str, str]) -> str | None:
    """`429|500|504|529|stream` from `x-mconf-test-error` or a `mconf-test-*` model."""
    model = body.get("model")
    if isinstance(model, str) and model.startswith(TEST_MODEL_PREFIX):
        trigger: str | None = model.removeprefix(TEST_MODEL_PREFIX).removesuffix("-error")
    else:
        trigger = headers.get(TEST_HEADER)
    return trigger if trigger in TRIGGERS else None

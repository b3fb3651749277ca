"""API errors as values: the status, `error.type` and message of facts §7."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# facts §7.2: HTTP status of each error type
STATUS_BY_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


@dataclass(frozen=True, slots=True)
class ApiError:
    """One error the gateway answers with instead of a Message."""

    type: str
    message: str
    retry_after: int | None = None  # seconds; sent as `retry-after` (429, 529)

    @property
    def status(self) -> int:
        return STATUS_BY_TYPE[self.type]

    def envelope(self, request_id: str | None) -> dict[str, Any]:
        """The official error body (facts §7.1)."""
        return {
            "type": "error",
            "error": {"type": self.type, "message": self.message},
            "request_id": request_id,
        }


def invalid(message: str) -> ApiError:
    """A 400 `invalid_request_error`, the answer to every malformed request."""
    return ApiError("invalid_request_error", message)


OVERLOADED = ApiError("overloaded_error", "Overloaded", retry_after=1)

# reserved test triggers (model name suffix or `x-mconf-test-error` header value)
TEST_ERRORS = {
    "429": ApiError("rate_limit_error", "Rate limited", retry_after=1),
    "500": ApiError("api_error", "Internal server error"),
    "504": ApiError("timeout_error", "Request timeout"),
    "529": OVERLOADED,
}

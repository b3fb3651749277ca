"""Error statuses the target can be made to produce, and errors inside a 200 stream.

Only targets whose profile lists the feature `error-statuses` (the reference gateway: reserved
header `x-mconf-test-error`) can be asked for these on demand.
"""

from __future__ import annotations

import pytest

from messages_conformance.suite.harness import Harness

pytestmark = pytest.mark.mconf_feature("error-statuses")

STATUSES = {
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


@pytest.mark.parametrize("status", sorted(STATUSES))
def test_error_status(mconf: Harness, status: int) -> None:
    """The error status arrives with its documented error type (and retry-after on 429/529)."""
    result = mconf.send(mconf.body(), headers={"x-mconf-test-error": str(status)}, retries=0)
    mconf.expect_status("status.expected", result, status, STATUSES[status])
    if status in (429, 529):
        has = "retry-after" in result.exchange.response.headers
        mconf.expect(
            "behaviour.retry-after", has, f"{status} without retry-after", expected="retry-after"
        )


def test_error_event_in_stream(mconf: Harness) -> None:
    """An error after a 200 stream started arrives as an `error` event and ends the stream."""
    body = mconf.body(stream=True)
    result = mconf.send(body, headers={"x-mconf-test-error": "stream"}, retries=0)
    mconf.expect_success(result)
    names = [name for name, _ in result.checked.events]
    mconf.expect("behaviour.stream-error", "error" in names, "no error event", received=names)

"""Authentication: x-api-key and Bearer in, 401 authentication_error for no key or a wrong key."""

from __future__ import annotations

import pytest

from messages_conformance.suite.harness import Harness


def test_missing_key_is_401(mconf: Harness) -> None:
    """A request without x-api-key or Authorization gets 401 authentication_error."""
    result = mconf.send(mconf.body(), auth="none")
    mconf.expect_status("auth.missing-key", result, 401, "authentication_error")


def test_wrong_key_is_401(mconf: Harness) -> None:
    """A request with a wrong key gets 401 authentication_error, not 403 or 200."""
    result = mconf.send(mconf.body(), auth="wrong")
    mconf.expect_status("auth.wrong-key", result, 401, "authentication_error")


def test_x_api_key_is_accepted(mconf: Harness) -> None:
    """The target's key in x-api-key gets a 200 Message."""
    result = mconf.send(mconf.body(), auth="target")
    mconf.expect_success(result)


def test_bearer_is_accepted(mconf: Harness) -> None:
    """The target's key as Authorization: Bearer gets a 200 Message (where the profile says so)."""
    if not mconf.target.bearer:
        pytest.skip("the target profile does not document Bearer auth")
    result = mconf.send(mconf.body(), auth="bearer")
    mconf.expect_status("auth.bearer", result, 200)

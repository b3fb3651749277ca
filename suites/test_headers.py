"""Request headers: anthropic-version (required or defaulted per profile) and anthropic-beta."""

from __future__ import annotations

from messages_conformance.suite.harness import Harness


def test_missing_version_follows_profile(mconf: Harness) -> None:
    """A missing anthropic-version gets 400 (official) or is defaulted to 2023-06-01 (ccapi)."""
    result = mconf.send(mconf.body(), headers={"anthropic-version": None})
    if mconf.target.version_policy == "require":
        mconf.expect_status("version.missing", result, 400, "invalid_request_error")
    else:
        mconf.expect_status("version.missing", result, 200)


def test_unknown_version_is_400(mconf: Harness) -> None:
    """An anthropic-version that is not a known date gets 400 invalid_request_error."""
    result = mconf.send(mconf.body(), headers={"anthropic-version": "1999-01-01"})
    mconf.expect_status("version.unknown", result, 400, "invalid_request_error")


def test_empty_beta_is_accepted(mconf: Harness) -> None:
    """An empty anthropic-beta header (as in ccapi's curl example) is accepted."""
    result = mconf.send(mconf.body(), headers={"anthropic-beta": ""})
    mconf.expect_status("beta.empty", result, 200)


def test_unknown_beta_is_400(mconf: Harness) -> None:
    """An unknown beta name gets 400 invalid_request_error (a warning where it is ignored)."""
    result = mconf.send(mconf.body(), headers={"anthropic-beta": "no-such-feature-2099-01-01"})
    mconf.expect_status("beta.unknown", result, 400, "invalid_request_error")

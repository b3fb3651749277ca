"""Fixtures for the reference gateway tests: one running gateway and a poster for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gateway_helpers import KEY, Post, make_post

from messages_conformance.gateway import GatewayConfig, RunningGateway, serve_in_thread


@pytest.fixture(scope="session")
def gateway() -> Iterator[RunningGateway]:
    """A gateway with default behaviour, shared by the session."""
    with serve_in_thread(GatewayConfig(api_keys=(KEY,))) as running:
        yield running


@pytest.fixture
def post(gateway: RunningGateway) -> Post:
    """POST a body (dict or raw bytes) to the shared gateway's /v1/messages."""
    return make_post(gateway.base_url)

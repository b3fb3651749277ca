"""The pytest side of transit runs: start the upstream (and proxy) once, and the fixtures.

Loaded with the plugin (``pytest_plugins``); inert unless a run asks for transit, and heavy
imports wait until one does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ..net.transport import Transport

if TYPE_CHECKING:
    from .harness import Harness
    from .transit_case import TransitCase

REPLAY_BASE_URL = "http://127.0.0.1:9"  # never contacted: replay answers from cassettes


def _asked(config: pytest.Config) -> bool:
    options = ("transit", "upstream", "target", "base_url")
    asked = any(config.getoption(f"mconf_{o}", None) for o in options)
    return asked and not config.option.collectonly


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or not _asked(config):
        return
    from . import transit_session
    from .options import target_of

    transit_session.start(config, target_of(config))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: hand each worker the addresses of the run's upstream and proxy."""
    from .transit_session import ADDRESSES

    node.workerinput.update(node.config.stash.get(ADDRESSES, {}))


def pytest_unconfigure(config: pytest.Config) -> None:
    from . import transit_session

    transit_session.stop(config)


@pytest.fixture(scope="session")
def mconf_upstream_control(request: pytest.FixtureRequest) -> Iterator[Transport | None]:
    """The transport to the scripted upstream's control path (None outside transit runs)."""
    from .transit_session import control_transport

    transport = control_transport(request.config, REPLAY_BASE_URL)
    yield transport
    if transport is not None:
        transport.close()


@pytest.fixture
def mconf_transit(
    request: pytest.FixtureRequest, mconf: Harness, mconf_upstream_control: Transport | None
) -> TransitCase:
    """A harness on both sides of the gateway: scripted upstream answers, both legs compared."""
    from .transit_session import case, in_transit

    if mconf_upstream_control is None or not in_transit(mconf.target):
        pytest.skip("transit cases need an upstream: pass --upstream HOST:PORT or --transit")
    return case(mconf, mconf_upstream_control, mconf.target, request.node.nodeid)

"""A transit run's session: the scripted upstream (and, for `--transit`, the reference proxy)
started once by the pytest controller, before any xdist worker, and stopped at the end.

Workers learn the addresses through the worker input the controller hands each of them. The
upstream answers requests that belong to no transit case as the reference gateway would, so the
ordinary suites run through the gateway too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..core.transit import Policy
from ..net import targets
from ..net.transport import Transport
from ..transit.legs import Control
from ..transit.server import ProxyProcess, RunningUpstream
from ..transit.upstream import UpstreamConfig
from .harness import Harness
from .transit_case import TransitCase

SESSION = pytest.StashKey["TransitSession"]()
ADDRESSES = pytest.StashKey[dict[str, str]]()
UPSTREAM_URL = "mconf_upstream_url"  # option names set for the workers
PROXY_URL = "mconf_proxy_url"


@dataclass(slots=True)
class TransitSession:
    upstream: RunningUpstream
    proxy: ProxyProcess | None

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        self.upstream.stop()


def in_transit(target: targets.Target) -> bool:
    return target.embedded_proxy or target.upstream is not None


def start(config: pytest.Config, target: targets.Target) -> None:
    """Start what a live or recording transit run needs (nothing in replay)."""
    if config.getoption("mconf_mode") == "replay" or not in_transit(target):
        return
    from ..gateway import GatewayConfig, create_app

    fallback_key = secrets.token_urlsafe(24)
    gateway = GatewayConfig(
        api_keys=(fallback_key,),
        models=target.models,
        version_policy=target.version_policy,
        max_body_bytes=target.max_request_bytes,
    )
    upstream_key = _upstream_key(target)
    settings = UpstreamConfig(
        client_keys=tuple(k for k in [target.key()] if k),
        upstream_key=upstream_key,
        fallback=create_app(gateway),
        fallback_key=fallback_key,
        exclusive=_transit_only(config),
    )
    where = ("127.0.0.1", 0) if target.embedded_proxy else targets.parse_upstream(target.upstream)
    upstream = RunningUpstream(settings, *where).start()
    proxy = None
    if target.embedded_proxy:
        faults = tuple(config.getoption("mconf_fault"))
        proxy = ProxyProcess(
            upstream.base_url,
            upstream_key=upstream_key or "",
            client_key=target.require_key(),
            faults=faults,
        )
    config.stash[SESSION] = TransitSession(upstream, proxy)
    config.stash[ADDRESSES] = {UPSTREAM_URL: _reachable(upstream.base_url)}
    if proxy is not None:
        config.stash[ADDRESSES][PROXY_URL] = proxy.base_url


def address(config: pytest.Config, name: str) -> str | None:
    """An address of this run's upstream or proxy: the controller's own, or the one it handed
    this xdist worker (``pytest_configure_node``)."""
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        value = worker.get(name)
        return str(value) if value is not None else None
    return config.stash.get(ADDRESSES, {}).get(name)


def _upstream_key(target: targets.Target) -> str | None:
    if target.embedded_proxy:
        return secrets.token_urlsafe(24)
    if target.upstream_key_env:
        import os

        return os.environ.get(target.upstream_key_env) or None
    return None


def _reachable(url: str) -> str:
    """The control URL for a wildcard bind (0.0.0.0 / ::) is loopback."""
    return url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")


def _transit_only(config: pytest.Config) -> bool:
    return all(Path(str(a).split("::")[0]).name == "test_transit.py" for a in config.args)


def stop(config: pytest.Config) -> None:
    session = config.stash.get(SESSION, None)
    if session is not None:
        session.stop()
        del config.stash[SESSION]


def policy_of(target: targets.Target) -> Policy:
    keyed = target.embedded_proxy or target.upstream_key_env is not None
    return Policy(
        model_aliases=dict(target.model_aliases),
        max_tokens_clamp=target.max_tokens_clamp,
        upstream_key=keyed,
    )


def control_transport(config: pytest.Config, replay_url: str) -> Transport | None:
    """The transport to this run's upstream control path (replay: answered from cassettes);
    None when the run has no upstream."""
    replay = config.getoption("mconf_mode") == "replay"
    url = replay_url if replay else address(config, UPSTREAM_URL)
    if url is None:
        return None
    return Transport(url, default_headers={"content-type": "application/json"}, sleep=_no_wait)


def _no_wait(seconds: float) -> None:
    """The control path is never retried."""


def case(harness: Harness, transport: Transport, target: targets.Target, seed: str) -> TransitCase:
    return TransitCase(harness, Control(transport), policy_of(target), seed)

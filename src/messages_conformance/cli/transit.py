"""`mconf run`'s transit options: checked before anything runs, handed on to pytest."""

from __future__ import annotations

import argparse
import os
import socket
from dataclasses import replace

from ..net import targets
from .base import ArgumentParser, UsageError


def add_options(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--upstream",
        metavar="HOST:PORT",
        help="transit: serve your gateway's upstream here (point its Anthropic base URL at it)",
    )
    parser.add_argument(
        "--upstream-key-env", metavar="VAR", help="transit: the key your gateway must send upstream"
    )
    parser.add_argument(
        "--transit",
        action="store_true",
        help="transit demo: test the reference proxy (mconf proxy) in front of the upstream",
    )


def target_name(args: argparse.Namespace) -> str | None:
    """The profile to resolve: --transit means the `transit` profile (the reference proxy)."""
    if args.transit and (args.target or args.base_url or args.upstream):
        raise UsageError(
            "--transit tests the reference proxy; drop --target/--base-url/--upstream "
            "(or test your own gateway with --base-url URL --upstream HOST:PORT)"
        )
    return "transit" if args.transit else args.target


def check(args: argparse.Namespace, target: targets.Target) -> targets.Target:
    """The target with the transit options applied; one-line errors for every mistake."""
    target = replace(
        target,
        upstream=args.upstream or target.upstream,
        upstream_key_env=args.upstream_key_env or target.upstream_key_env,
    )
    if target.upstream_key_env and target.upstream is None:
        raise UsageError("--upstream-key-env needs --upstream HOST:PORT (transit mode)")
    if target.upstream is None or args.mode == "replay":
        return target
    host, port = targets.parse_upstream(target.upstream)
    if target.upstream_key_env and not os.environ.get(target.upstream_key_env):
        raise UsageError(
            f"--upstream-key-env {target.upstream_key_env}: the variable is not set; export the "
            "key your gateway is configured to send upstream"
        )
    _check_free(host, port)
    return target


def _check_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(
                f"--upstream {host}:{port}: cannot listen there ({exc.strerror or exc}); "
                "pick a free port and point your gateway at it"
            ) from None


def pytest_options(args: argparse.Namespace) -> list[str]:
    options = ["--mconf-transit"] if args.transit else []
    options += ["--mconf-upstream", args.upstream] if args.upstream else []
    return options + (
        ["--mconf-upstream-key-env", args.upstream_key_env] if args.upstream_key_env else []
    )


def in_transit(target: targets.Target) -> bool:
    return target.embedded_proxy or target.upstream is not None

"""`mconf proxy`: run the reference pass-through proxy in the foreground until stopped."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO
from urllib.parse import urlsplit

import uvicorn

from .cli import Parser, UsageError
from .config import DEFAULT_API_KEY
from .proxy import CLIENT_KEY_ENV, DEFAULT_UPSTREAM_KEY, UPSTREAM_KEY_ENV, ProxyConfig
from .proxy import create_proxy_app as create_proxy_app
from .proxy_faults import PROXY_FAULTS, UnknownProxyFault, select_proxy_faults
from .server import bind, url_of

EPILOG = f"""keys:
  the proxy accepts the client keys given with --api-key (default ${CLIENT_KEY_ENV} or
  {DEFAULT_API_KEY}) and sends ${UPSTREAM_KEY_ENV} (default {DEFAULT_UPSTREAM_KEY}) upstream.
"""


def parser() -> argparse.ArgumentParser:
    cli = Parser(
        prog="mconf proxy",
        description="Serve the reference pass-through gateway in front of an upstream.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cli.add_argument("--upstream", metavar="URL", help="the upstream's base URL (http://...)")
    cli.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    cli.add_argument("--port", type=int, default=8788, help="port (default 8788; 0 = any free)")
    cli.add_argument("--api-key", action="append", default=[], metavar="KEY", help="repeatable")
    cli.add_argument("--fault", action="append", default=[], metavar="NAME", help="repeatable")
    cli.add_argument("--list-faults", action="store_true", help="list the named faults and exit")
    return cli


def list_faults(stdout: TextIO) -> None:
    width = max(len(name) for name in PROXY_FAULTS)
    for name, fault in PROXY_FAULTS.items():
        stdout.write(f"{name:<{width}}  {fault.description}\n")


def config_from(args: argparse.Namespace) -> ProxyConfig:
    select_proxy_faults(args.fault)  # raises UnknownProxyFault listing the known names
    if not args.upstream:
        raise UsageError("--upstream URL is required (the upstream's base URL)")
    parts = urlsplit(args.upstream)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--upstream {args.upstream!r} is not an http(s) URL")
    return ProxyConfig(
        upstream=args.upstream, api_keys=tuple(args.api_key), faults=tuple(args.fault)
    )


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    """Parse ``argv``, then list faults or serve until interrupted. Returns the exit status."""
    out = stdout or sys.stdout
    try:
        args = parser().parse_args(argv)
        if args.list_faults:
            list_faults(out)
            return 0
        config = config_from(args)
        sock = bind(args.host, args.port)
    except SystemExit as done:  # --help
        return int(done.code or 0)
    except (UsageError, UnknownProxyFault) as error:
        sys.stderr.write(f"mconf proxy: error: {error}\n")
        return 2
    except OSError as error:
        reason = error.strerror or error
        sys.stderr.write(
            f"mconf proxy: error: cannot listen on {args.host}:{args.port}: {reason}\n"
        )
        return 2
    out.write(f"mconf proxy listening on {url_of(sock)} (upstream {config.upstream})\n")
    out.flush()
    settings = uvicorn.Config(
        create_proxy_app(config), log_level="critical", access_log=False, lifespan="off"
    )
    try:
        uvicorn.Server(settings).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0

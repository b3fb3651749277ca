"""`mconf serve`: run the reference gateway in the foreground until stopped."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from . import __doc__ as PACKAGE_DOC
from .config import API_KEY_ENV, DEFAULT_API_KEY, MAX_BODY_BYTES, VERSION_POLICIES, GatewayConfig
from .faults import FAULTS, UnknownFault, select
from .server import bind, url_of, uvicorn_server

EPILOG = PACKAGE_DOC.split("\n\n", 2)[2] if PACKAGE_DOC else ""


class UsageError(Exception):
    """A bad command line, reported in one line with exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse whose mistakes raise UsageError (one line, exit 2) instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def parser() -> argparse.ArgumentParser:
    cli = Parser(
        prog="mconf serve",
        description="Serve the reference POST /v1/messages gateway on loopback.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cli.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    cli.add_argument("--port", type=int, default=8787, help="port (default 8787; 0 = any free)")
    cli.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help=f"accepted key (repeatable; default ${API_KEY_ENV} or {DEFAULT_API_KEY})",
    )
    cli.add_argument("--models", default="", metavar="M,...", help="extra model ids to serve")
    cli.add_argument("--version-policy", choices=VERSION_POLICIES, default="require")
    cli.add_argument("--fault", action="append", default=[], metavar="NAME", help="repeatable")
    cli.add_argument("--list-faults", action="store_true", help="list the named faults and exit")
    cli.add_argument("--latency-ms", type=float, default=0.0, help="delay before each answer")
    cli.add_argument("--event-delay-ms", type=float, default=0.0, help="delay between events")
    cli.add_argument(
        "--max-body-bytes",
        type=int,
        default=MAX_BODY_BYTES,
        help="request body limit, 413 above it (default 32 MiB, as the official API)",
    )
    return cli


def config_from(args: argparse.Namespace) -> GatewayConfig:
    select(args.fault)  # raises UnknownFault listing the known names
    return GatewayConfig(
        api_keys=tuple(args.api_key),
        models=tuple(m.strip() for m in args.models.split(",") if m.strip()),
        version_policy=args.version_policy,
        faults=tuple(args.fault),
        latency_ms=args.latency_ms,
        event_delay_ms=args.event_delay_ms,
        max_body_bytes=args.max_body_bytes,
    )


def list_faults(stdout: TextIO) -> None:
    width = max(len(name) for name in FAULTS)
    for name, fault in FAULTS.items():
        stdout.write(f"{name:<{width}}  {fault.description}\n")


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    """Parse `argv`, then list faults or serve until interrupted. Returns the exit status."""
    out = stdout or sys.stdout
    try:
        args = parser().parse_args(argv)
    except SystemExit as done:  # --help
        return int(done.code or 0)
    except UsageError as error:
        sys.stderr.write(f"mconf serve: error: {error}\n")
        return 2
    try:
        if args.list_faults:
            list_faults(out)
            return 0
        config = config_from(args)
        sock = bind(args.host, args.port)
    except (UnknownFault, ValueError) as error:
        sys.stderr.write(f"mconf serve: error: {error}\n")
        return 2
    except OSError as error:
        sys.stderr.write(
            f"mconf serve: error: cannot listen on {args.host}:{args.port}: "
            f"{error.strerror or error}\n"
        )
        return 2
    out.write(f"mconf gateway listening on {url_of(sock)}\n")
    out.flush()
    try:
        uvicorn_server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`mconf parity`: replay recorded reference requests against a target and compare shapes.

The reference is a set of cassettes recorded from a trusted server (e.g. the official API with
`mconf run --target anthropic --mode record`). Each recorded request is sent to the target live;
its answer is compared with the recorded one on what the contract fixes: status, error type,
content-type, the sequence of content-block types, the sequence of stream event types (pings
left out), stop_reason and the contract's header names. Free text and ids are ignored. A field
that may vary between runs of a real model is judged k-of-n: `--repeat N --agree K`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any

from ..core.check import check_exchange
from ..core.exchange import Exchange
from ..core.spec import Spec
from ..net.targets import Target, resolve
from ..net.transport import Transport, key_headers
from ..recordings.cassette import load_exchanges

CONTRACT_HEADERS = ("content-type", "request-id", "retry-after")
CONTRACT_PREFIXES = ("anthropic-ratelimit-",)
FORWARDED = ("anthropic-version", "anthropic-beta", "x-mconf-test-")  # request headers replayed


@dataclass(frozen=True, slots=True)
class Shape:
    """What parity compares of one answer."""

    status: int
    error_type: str | None
    content_type: str
    block_types: tuple[str, ...]
    event_types: tuple[str, ...]
    stop_reason: str | None
    header_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Difference:
    field: str
    expected: Any
    received: Any
    agreed: int  # how many of the attempts matched
    attempts: int


def shape_of(exchange: Exchange, spec: Spec) -> Shape:
    checked = check_exchange(exchange, spec)
    error = checked.error or {}
    inner = error.get("error") if isinstance(error, dict) else None
    message = checked.message or {}
    names = tuple(sorted(n for n in exchange.response.headers if _contract_header(n)))
    return Shape(
        status=exchange.response.status,
        error_type=inner.get("type") if isinstance(inner, dict) else None,
        content_type=exchange.response.content_type,
        block_types=tuple(
            str(b.get("type")) for b in message.get("content") or [] if isinstance(b, dict)
        ),
        event_types=_event_labels(exchange),
        stop_reason=message.get("stop_reason"),
        header_names=names,
    )


def _event_labels(exchange: Exchange) -> tuple[str, ...]:
    """The stream's event names (pings left out); an event without a name is shown by its data
    when short (`[DONE]`), else as `(no event name)`."""
    if exchange.response.content_type != "text/event-stream":
        return ()
    from ..core.sse import decode

    labels = []
    for event in decode(exchange.response.body).events:
        if event.event == "ping":
            continue
        short = event.data if len(event.data) <= 20 and "\n" not in event.data else None
        labels.append(event.event or short or "(no event name)")
    return tuple(labels)


def _contract_header(name: str) -> bool:
    return name in CONTRACT_HEADERS or name.startswith(CONTRACT_PREFIXES)


def compare(reference: Shape, attempts: Sequence[Shape], agree: int) -> list[Difference]:
    """Fields where fewer than `agree` of the attempts match the reference."""
    found = []
    for item in fields(Shape):
        want = getattr(reference, item.name)
        got = [getattr(shape, item.name) for shape in attempts]
        matched = sum(value == want for value in got)
        if matched < agree:
            received = next(value for value in got if value != want)
            found.append(Difference(item.name, want, received, matched, len(got)))
    return found


def auth_class(exchange: Exchange) -> str:
    """How the recorded request authenticated, from the redaction markers in the cassette."""
    headers = exchange.request.headers if exchange.request else {}
    key = headers.get("x-api-key", "")
    bearer = headers.get("authorization", "")
    if not key and not bearer:
        return "none"
    marker = key or bearer
    if marker.endswith("wrong"):
        return "wrong"
    return "bearer" if bearer and not key else "target"


def replay_request(exchange: Exchange, transport: Transport, max_tokens: int) -> Exchange:
    """Send the recorded request again (auth class, version and beta headers as recorded)."""
    request = exchange.request
    assert request is not None
    body: Any = request.json()
    if isinstance(body, dict) and isinstance(body.get("max_tokens"), int):
        body = {
            **body,
            "max_tokens": min(body["max_tokens"], max(max_tokens, _thinking_floor(body))),
        }
    content = body if isinstance(body, dict) else request.body
    headers: dict[str, str | None] = {
        name: value for name, value in request.headers.items() if name.startswith(FORWARDED)
    }
    headers.setdefault("anthropic-version", None)  # recorded without it: send without it
    return transport.send(content, headers=headers, auth=auth_class(exchange), retries=0).exchange


def _thinking_floor(body: dict[str, Any]) -> int:
    """max_tokens must stay above a thinking budget, or the clamp itself causes a 400."""
    thinking = body.get("thinking")
    budget = thinking.get("budget_tokens") if isinstance(thinking, dict) else None
    return budget + 1 if isinstance(budget, int) else 0


@dataclass(frozen=True, slots=True)
class Verdict:
    name: str
    differences: list[Difference]


def run_parity(
    references: list[Exchange], transport: Transport, *, repeat: int, agree: int, max_tokens: int
) -> Iterator[Verdict]:
    spec = Spec.load()
    for exchange in references:
        if exchange.request is None or (
            exchange.request.json() is None and not exchange.request.body
        ):
            continue
        reference = shape_of(exchange, spec)
        attempts = [
            shape_of(replay_request(exchange, transport, max_tokens), spec) for _ in range(repeat)
        ]
        yield Verdict(exchange.name, compare(reference, attempts, agree))


def _parser() -> argparse.ArgumentParser:
    from .base import ArgumentParser

    parser = ArgumentParser(
        prog="mconf parity", description="compare a target with recorded reference answers"
    )
    parser.add_argument(
        "--reference", required=True, type=Path, nargs="+", help="cassette files or folders"
    )
    parser.add_argument("--target", help="target profile (default: local)")
    parser.add_argument("--base-url", help="one-off target base URL")
    parser.add_argument("--api-key-env", help="environment variable holding the key")
    parser.add_argument("--targets-file", type=Path)
    parser.add_argument(
        "--fault", action="append", default=[], help="embedded gateway fault (repeat)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="attempts per request (n)")
    parser.add_argument("--agree", type=int, help="attempts that must match (k, default n)")
    parser.add_argument("--max-tokens", type=int, default=256, help="clamp recorded max_tokens")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def parity_main(argv: list[str], stdout: IO[str]) -> int:
    from .base import UsageError

    args = _parser().parse_args(argv)
    if args.repeat < 1:
        raise UsageError(f"--repeat must be 1 or more, not {args.repeat}")
    agree = args.agree or args.repeat
    if not 1 <= agree <= args.repeat:
        raise UsageError(f"--agree must be between 1 and --repeat ({args.repeat}), not {agree}")
    references = [e for path in _files(args.reference) for e in load_exchanges(path)]
    if not references:
        raise UsageError(
            "no recorded exchanges under --reference; record some with `mconf run --mode record`"
        )
    target = resolve(
        args.target, base_url=args.base_url, key_env=args.api_key_env, user_file=args.targets_file
    )
    with _target_url(target, args.fault) as base_url:
        transport = Transport(
            base_url,
            auth_headers=key_headers(target.require_key(or_replay=False), target.auth),
            default_headers={"anthropic-version": "2023-06-01"},
            max_retries=1,
        )
        with transport:
            verdicts = list(
                run_parity(
                    references,
                    transport,
                    repeat=args.repeat,
                    agree=agree,
                    max_tokens=args.max_tokens,
                )
            )
    _print(verdicts, args.format, stdout)
    return 1 if any(v.differences for v in verdicts) else 0


def _files(paths: list[Path]) -> list[Path]:
    from .base import UsageError

    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.rglob("*.yaml"))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(
                f"{path}: no such file or folder; point --reference at recorded cassettes"
            )
    return found


@contextlib.contextmanager
def _target_url(target: Target, faults: list[str]) -> Iterator[str]:
    if not target.embedded:
        if faults:
            from .base import UsageError

            raise UsageError(
                "--fault applies to the embedded reference gateway only (--target local)"
            )
        yield target.base_url
        return
    from ..gateway import GatewayConfig, serve_in_thread

    config = GatewayConfig(
        api_keys=(target.require_key(or_replay=False),),
        models=target.models,
        version_policy=target.version_policy,
        faults=tuple(faults),
        max_body_bytes=target.max_request_bytes,
    )
    with serve_in_thread(config) as running:
        yield running.base_url


def _print(verdicts: list[Verdict], fmt: str, stdout: IO[str]) -> None:
    if fmt == "json":
        data = [
            {"name": v.name, "differences": [_plain(d) for d in v.differences]} for v in verdicts
        ]
        stdout.write(
            json.dumps(
                {"same": not any(v.differences for v in verdicts), "exchanges": data}, indent=2
            )
            + "\n"
        )
        return
    for verdict in verdicts:  # only what differs: the same ones are counted below
        if not verdict.differences:
            continue
        stdout.write(f"{verdict.name}: DIFFERS\n")
        for diff in verdict.differences:
            stdout.write(
                f"  {diff.field}: expected {_shown(diff.expected)}, "
                f"received {_shown(diff.received)} ({diff.agreed}/{diff.attempts} matched)\n"
            )
    differing = sum(bool(v.differences) for v in verdicts)
    same = len(verdicts) - differing
    stdout.write(f"{len(verdicts)} exchange(s) compared: {same} the same, {differing} differ\n")


def _shown(value: Any) -> str:
    """A compared value as a reader wants it: sequences space-separated, absent as `none`."""
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value) if value else "(none)"
    return "none" if value is None else str(value)


def _plain(diff: Difference) -> dict[str, Any]:
    return {f.name: getattr(diff, f.name) for f in fields(Difference)}

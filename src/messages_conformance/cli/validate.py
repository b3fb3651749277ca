"""`mconf validate`: offline checks of recorded responses, SSE bodies or cassettes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from .base import load_spec, parse, parser


def cmd_validate(argv: list[str], stdout: IO[str]) -> int:
    from ..core.check import check_exchange
    from ..core.findings import Severity
    from ..net.targets import profile
    from ..recordings.cassette import load_exchanges, recording_files
    from ..recordings.stream_file import open_stream

    cli = parser("validate", "check recorded responses, SSE bodies or vcrpy cassettes")
    cli.add_argument("--format", choices=("text", "json"), default="text")
    cli.add_argument("--spec-dir", type=Path, help="the contract to check against (spec/)")
    cli.add_argument(
        "--target", help="take the timing rules' thresholds from this profile (default: built-in)"
    )
    cli.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="files, or folders of recordings"
    )
    args = parse(cli, argv)
    spec = load_spec(args.spec_dir)
    limits = profile(args.target).timing if args.target else None
    results, untimed = [], 0
    for path in recording_files(args.paths):
        stream = open_stream(path)
        if stream is not None:  # read piece by piece: a stream may be larger than memory
            checked = check_exchange(stream.exchange, spec, chunks=stream.chunks())
            results.append((str(path), checked.findings))
            continue
        for exchange in load_exchanges(path):
            findings = check_exchange(exchange, spec, limits=limits).findings
            results.append((exchange.name or str(path), findings))
            untimed += "#" in exchange.name and exchange.response.timing is None
    failed = any(f.severity is Severity.ERROR for _, fs in results for f in fs)
    if args.format == "json":
        payload = [{"name": name, "findings": [f.to_dict() for f in fs]} for name, fs in results]
        document = {"ok": not failed, "exchanges": payload, "untimed": untimed}
        stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        for name, findings in results:
            stdout.write(f"{name}: {'ok' if not findings else f'{len(findings)} finding(s)'}\n")
            for finding in findings:
                stdout.write("  " + str(finding).replace("\n", "\n  ") + "\n")
        errors = sum(f.severity is Severity.ERROR for _, fs in results for f in fs)
        if untimed:
            stdout.write(
                f"timing rules did not apply to {untimed} cassette interaction(s): recorded "
                "without timings (re-record with `mconf run --mode record`)\n"
            )
        stdout.write(f"{len(results)} exchange(s), {errors} error finding(s)\n")
    return 1 if failed else 0

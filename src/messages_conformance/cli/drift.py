"""`mconf drift`: argument parsing and output for reports/drift."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from ..recordings.cassette import UnusableInput
from ..reports.drift import render_text, spec_for, to_json
from ..reports.sightings import find_drift
from .base import USAGE_ERROR, UsageError
from .base import parser as command_parser


def drift_main(argv: Sequence[str], stdout: IO[str], stderr: IO[str] | None = None) -> int:
    """``mconf drift RECORDING... [--format text|json]``: 0 when read, 2 on unusable input."""
    err = stderr or sys.stderr
    parser = command_parser("drift", "List what recorded responses carry that the spec omits.")
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="RECORDING",
        help="vcrpy cassettes, corpus exchanges, response bodies, or folders of them",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--spec-dir", type=Path, help="the contract to compare with (spec/)")
    try:
        args = parser.parse_args(list(argv))
        report = find_drift(args.paths, spec_for(args.spec_dir))
    except SystemExit as exc:
        return int(exc.code or 0)
    except UsageError as exc:
        print(f"mconf: error: {exc}", file=err)
        return USAGE_ERROR
    except UnusableInput as exc:
        print(f"mconf drift: error: {exc}", file=err)
        return 2
    if args.format == "json":
        stdout.write(json.dumps(to_json(report), indent=2) + "\n")
    else:
        stdout.write(render_text(report))
    return 0

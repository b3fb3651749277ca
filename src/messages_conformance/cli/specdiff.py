"""`mconf spec-diff`: argument parsing and output for reports/specdiff."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import IO

from ..reports.plaintext import FORMAT_HELP, default_format, to_text
from ..reports.sdkwalk import SdkUnavailable, as_rows, render_text, walk_sdk
from ..reports.specdiff import (
    UnusableUpstream,
    compare_specs,
    label_of,
    load_upstream,
    our_spec,
    render_markdown,
    to_json,
)
from .base import USAGE_ERROR, UsageError
from .base import parser as command_parser


def specdiff_main(argv: Sequence[str], stdout: IO[str], stderr: IO[str] | None = None) -> int:
    """``mconf spec-diff UPSTREAM [--format text|markdown|json]`` or ``mconf spec-diff --sdk``:
    0 same (no gap), 1 differences (gaps), 2 unusable."""
    err = stderr or sys.stderr
    parser = command_parser(
        "spec-diff",
        "Compare our schemas with an upstream OpenAPI document, or (--sdk) with "
        "the installed official anthropic SDK's types.",
    )
    parser.add_argument(
        "upstream", type=Path, nargs="?", help="upstream OpenAPI document (JSON or YAML)"
    )
    parser.add_argument(
        "--sdk",
        action="store_true",
        help="walk the installed anthropic SDK: what our schemas lack (spec/sdk-exclusions.toml)",
    )
    parser.add_argument("--format", choices=("text", "markdown", "json"), help=FORMAT_HELP)
    parser.add_argument("--spec-dir", type=Path, help="our spec folder (default: spec/)")
    try:
        args = parser.parse_args(list(argv))
        if args.sdk:
            return _sdk_main(args.spec_dir, args.format, stdout, err)
        if args.upstream is None:
            parser.error("give an UPSTREAM OpenAPI document, or --sdk")
        upstream = load_upstream(args.upstream)
        spec = our_spec(args.spec_dir)
    except SystemExit as exc:
        return int(exc.code or 0)
    except UsageError as exc:
        print(f"mconf: error: {exc}", file=err)
        return USAGE_ERROR
    except UnusableUpstream as exc:
        print(f"mconf spec-diff: error: {exc}", file=err)
        return 2
    differences = compare_specs(upstream, spec)
    label = label_of(upstream, args.upstream)
    shown = args.format or default_format(stdout)
    if shown == "json":
        stdout.write(json.dumps(to_json(differences, label), indent=2) + "\n")
    else:
        text = render_markdown(differences, label)
        stdout.write(to_text(text) if shown == "text" else text)
    return 1 if differences else 0


def _sdk_main(spec_dir: Path | None, output: str, stdout: IO[str], err: IO[str]) -> int:
    try:
        walk = walk_sdk(our_spec(spec_dir))
    except (SdkUnavailable, UnusableUpstream) as exc:
        print(f"mconf spec-diff: error: {exc}", file=err)
        return 2
    if output == "json":
        document = {
            "sdk": f"anthropic {walk.sdk_version}",
            "missing": as_rows(walk.missing),
            "excluded": len(walk.excluded),
            "stale_exclusions": [asdict(e) for e in walk.stale],
        }
        stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        stdout.write(render_text(walk))
    return 0 if walk.ok else 1

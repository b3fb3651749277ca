"""`mconf spec-diff`: argument parsing and output for reports/specdiff."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from ..reports.specdiff import (
    UnusableUpstream,
    compare_specs,
    label_of,
    load_upstream,
    our_spec,
    render_markdown,
    to_json,
)


def specdiff_main(argv: Sequence[str], stdout: IO[str], stderr: IO[str] | None = None) -> int:
    """``mconf spec-diff UPSTREAM [--format markdown|json]``: 0 same, 1 differences, 2 unusable."""
    err = stderr or sys.stderr
    parser = argparse.ArgumentParser(
        prog="mconf spec-diff", description="Compare our schemas with an upstream OpenAPI document."
    )
    parser.add_argument("upstream", type=Path, help="upstream OpenAPI document (JSON or YAML)")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--spec-dir", type=Path, help="our spec folder (default: spec/)")
    try:
        args = parser.parse_args(list(argv))
        upstream = load_upstream(args.upstream)
        spec = our_spec(args.spec_dir)
    except SystemExit as exc:
        return int(exc.code or 0)
    except UnusableUpstream as exc:
        print(f"mconf spec-diff: error: {exc}", file=err)
        return 2
    differences = compare_specs(upstream, spec)
    label = label_of(upstream, args.upstream)
    if args.format == "json":
        stdout.write(json.dumps(to_json(differences, label), indent=2) + "\n")
    else:
        stdout.write(render_markdown(differences, label))
    return 1 if differences else 0

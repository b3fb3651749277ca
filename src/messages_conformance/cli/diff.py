"""`mconf diff`: argument parsing and output for reports/diff."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from ..reports.changes import diff_reports
from ..reports.diff import render_markdown, to_json
from ..reports.report import UnusableReport, load_report


def diff_main(argv: Sequence[str], stdout: IO[str], stderr: IO[str] | None = None) -> int:
    """``mconf diff OLD NEW [--format markdown|json]``: 1 on regressions, 2 on unusable input."""
    err = stderr or sys.stderr
    parser = argparse.ArgumentParser(prog="mconf diff", description="Compare two runs.")
    parser.add_argument("old", type=Path, help="old report.json or run folder")
    parser.add_argument("new", type=Path, help="new report.json or run folder")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    try:
        args = parser.parse_args(list(argv))
        diff = diff_reports(load_report(args.old), load_report(args.new))
    except SystemExit as exc:
        return int(exc.code or 0)
    except UnusableReport as exc:
        print(f"mconf diff: error: {exc}", file=err)
        return 2
    text = (
        json.dumps(to_json(diff), indent=2) + "\n"
        if args.format == "json"
        else render_markdown(diff)
    )
    stdout.write(text)
    return 1 if diff.has_regressions else 0

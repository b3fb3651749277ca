"""`mconf diff`: argument parsing and output for reports/diff."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from ..reports.changes import diff_reports
from ..reports.diff import render_markdown, to_json
from ..reports.plaintext import FORMAT_HELP, default_format, to_text
from ..reports.report import UnusableReport, load_report
from .base import USAGE_ERROR, UsageError
from .base import parser as command_parser


def diff_main(argv: Sequence[str], stdout: IO[str], stderr: IO[str] | None = None) -> int:
    """``mconf diff OLD NEW [--format text|markdown|json]``: 1 on regressions, 2 on unusable
    input. OLD and NEW are report files, run folders or the ``--report-dir`` of ``mconf run``
    (its newest run); text is the default on a terminal, Markdown elsewhere."""
    err = stderr or sys.stderr
    parser = command_parser("diff", "Compare two runs.")
    parser.add_argument("old", type=Path, help="old report.json, run folder or --report-dir")
    parser.add_argument("new", type=Path, help="new report.json, run folder or --report-dir")
    parser.add_argument("--format", choices=("text", "markdown", "json"), help=FORMAT_HELP)
    try:
        args = parser.parse_args(list(argv))
        diff = diff_reports(load_report(args.old), load_report(args.new))
    except SystemExit as exc:
        return int(exc.code or 0)
    except UsageError as exc:
        print(f"mconf: error: {exc}", file=err)
        return USAGE_ERROR
    except UnusableReport as exc:
        print(f"mconf diff: error: {exc}", file=err)
        return 2
    shown = args.format or default_format(stdout)
    if shown == "json":
        stdout.write(json.dumps(to_json(diff), indent=2) + "\n")
    else:
        text = render_markdown(diff)
        stdout.write(to_text(text) if shown == "text" else text)
    return 1 if diff.has_regressions else 0

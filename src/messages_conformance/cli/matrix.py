"""`mconf matrix`: argument parsing and output for reports/matrix."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from ..reports.matrix import build_matrix, render_html, render_markdown
from ..reports.plaintext import default_format, to_text
from ..reports.report import UnusableReport, distinct_runs, load_report
from .base import USAGE_ERROR, UsageError
from .base import parser as command_parser


def matrix_main(argv: Sequence[str], stdout: IO[str], stderr: IO[str] | None = None) -> int:
    """``mconf matrix REPORT... [--out DIR]``: 0 when written, 2 on unusable input."""
    err = stderr or sys.stderr
    parser = command_parser("matrix", "Compare targets.")
    parser.add_argument(
        "reports",
        nargs="+",
        type=Path,
        help="report.json files, run folders, or the --report-dir of mconf run (its newest run "
        "per target); the same run given twice (reports/latest and its folder) counts once",
    )
    parser.add_argument("--out", type=Path, help="write matrix.md and matrix.html here")
    parser.add_argument(
        "--format",
        choices=("text", "markdown"),
        help="text (default on a terminal) or markdown (default otherwise)",
    )
    try:
        args = parser.parse_args(list(argv))
        matrix = build_matrix([load_report(path) for path in distinct_runs(args.reports)])
    except SystemExit as exc:
        return int(exc.code or 0)
    except UsageError as exc:
        print(f"mconf: error: {exc}", file=err)
        return USAGE_ERROR
    except UnusableReport as exc:
        print(f"mconf matrix: error: {exc}", file=err)
        return 2
    text = render_markdown(matrix)
    if args.out is None:
        shown = args.format or default_format(stdout)
        stdout.write(to_text(text) if shown == "text" else text)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "matrix.md").write_text(text, encoding="utf-8")
    (args.out / "matrix.html").write_text(render_html(matrix), encoding="utf-8")
    stdout.write(f"wrote {args.out / 'matrix.md'} and {args.out / 'matrix.html'}\n")
    return 0

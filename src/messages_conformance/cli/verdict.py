"""The end of `mconf run`: the verdict line, the problems behind it, and the exit code.

Exit codes: 0 conformant, 1 error findings, 2 could not be tested, 130 interrupted (Ctrl-C:
the partial report says so, and `latest` stays on the last complete run).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, Any

from .base import UsageError

INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C
PYTEST_INTERRUPTED = 2
SHOWN_PROBLEMS = 10


def verdict(code: int, run_dir: Path, args: argparse.Namespace, stdout: IO[str]) -> int:
    report_file = run_dir / "report.json"
    if not report_file.is_file():
        if code == PYTEST_INTERRUPTED:
            stdout.write("mconf: interrupted before any case finished; nothing was judged\n")
            return INTERRUPTED
        raise UsageError(f"no conformance case ran (pytest exit {code}); check --suite / -k")
    from ..reports.report_stream import read

    report = read(report_file, keep=lambda case: case["outcome"] != "passed")  # what is told
    if report["verdict"] == "interrupted":
        return _interrupted(report, run_dir, stdout)
    from ..reports.report import update_latest

    if update_latest(args.report_dir, run_dir) is None:
        stdout.write(
            f"mconf: {args.report_dir / 'latest'} is not a link mconf made; left as it is "
            f"(this run is in {run_dir})\n"
        )
    counts = report["counts"]
    stdout.write(
        f"mconf: {report['verdict'].upper()} target={report['target']['name']} "
        f"mode={report['target']['mode']} cases={counts['cases']} "
        f"errors={counts['findings']['error']} warnings={counts['findings']['warning']} "
        f"notices={counts['findings']['notice']} report={run_dir}\n"
    )
    _problem_lines(report, stdout)
    _generation_line(report, stdout)
    _untested_line(report, stdout)
    _budget_line(report, args, stdout)
    if report["verdict"] == "error":
        return 2
    return 0 if report["verdict"] == "pass" and code == 0 else 1


def _interrupted(report: dict[str, Any], run_dir: Path, stdout: IO[str]) -> int:
    done = report["counts"]["cases"]
    total = report.get("interrupted", {}).get("collected", done)
    stdout.write(
        f"mconf: interrupted after {done} of {total} cases; no verdict. "
        f"Partial report: {run_dir} (reports' latest still names the last complete run)\n"
    )
    _problem_lines(report, stdout)
    return INTERRUPTED


def _generation_line(report: dict[str, Any], stdout: IO[str]) -> None:
    from ..reports.generation import line

    if score := line(report):
        stdout.write(f"mconf: {score}\n")


def _problem_lines(report: dict[str, Any], stdout: IO[str]) -> None:
    """What to fix, one numbered entry per root cause (core.problems, annotated into the
    report), cases that failed without a finding, then what the run spent."""
    from ..reports.problem_list import problem_lines, spend_line, suite_spend_line

    for line in problem_lines(report, shown=SHOWN_PROBLEMS):
        stdout.write(line + "\n")
    bare = [c for c in report["cases"] if c["outcome"] == "failed" and not _counted(c["findings"])]
    if bare:
        reason = bare[0].get("failure") or "see the report"
        stdout.write(f"mconf: {len(bare)} case(s) failed without a finding: {reason}\n")
    stdout.write(f"mconf: spend: {spend_line(report)}\n")
    per_suite = suite_spend_line(report)
    if per_suite:
        stdout.write(f"mconf: spend per suite: {per_suite}\n")


def _counted(findings: list[dict[str, Any]]) -> bool:
    return any(f["severity"] != "notice" and not f.get("waived") for f in findings)


def _untested_line(report: dict[str, Any], stdout: IO[str]) -> None:
    """Why cases could not be tested (the target, not its answers): the first reason, once."""
    untested = [c for c in report["cases"] if c["outcome"] == "error"]
    if untested:
        reason = untested[0].get("failure") or "see the report"
        stdout.write(f"mconf: could not test {len(untested)} case(s): {reason}\n")


def _budget_line(report: dict[str, Any], args: argparse.Namespace, stdout: IO[str]) -> None:
    """Say how many cases the budget left out (skipped, not failed: the limit was asked for)."""
    from ..suite.plugin import BUDGET_SPENT

    reasons = [c.get("skip_reason") or "" for c in report["cases"]]
    left_out = sum(r.startswith(BUDGET_SPENT) for r in reasons)
    if left_out:
        given = {"--max-requests": args.max_requests, "--max-output-tokens": args.max_output_tokens}
        limits = ", ".join(f"{option} {value}" for option, value in given.items() if value)
        stdout.write(
            f"mconf: {BUDGET_SPENT} ({limits}): {left_out} case(s) skipped, not sent; "
            "raise the limits to run them\n"
        )

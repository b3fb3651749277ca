"""``report.json`` for one run: written, read back and validated; and ``reports/latest``.

``write_reports`` writes ``report.json`` with ``summary.md`` (markdown.py) and ``report.html``
(page.py) beside it. The other report tools share the readers: ``load_report`` (a file or a
run folder, validated against ``report.schema.json``) and ``update_latest`` (``reports/latest``).

``reports/latest`` is a *relative symlink* to the newest run folder, swapped atomically
(``os.replace``), so readers never see a half-updated pointer. Where symlinks cannot be
made (Windows without the privilege, some network file systems) it is a *real copy* of the
run folder instead, so ``reports/latest/summary.md`` works on every platform.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from .markdown import render_summary
from .page import render_html
from .report_stream import atomic_text, dump
from .views import Report, header_value

__all__ = [
    "REPORT_FILE",
    "SCHEMA_VERSION",
    "UnusableReport",
    "load_report",
    "update_latest",
    "validate_report",
    "write_reports",
]

SCHEMA_VERSION = 1
REPORT_FILE = "report.json"
SUMMARY_FILE = "summary.md"
HTML_FILE = "report.html"
LATEST = "latest"
LATEST_MARK = ".mconf-latest"  # inside a copy that update_latest made (no symlinks there)
_SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


class UnusableReport(Exception):
    """A report file that is missing, not JSON, or not a schema_version 1 report."""


# ---------------------------------------------------------------- reading


def report_file(path: Path) -> Path:
    """The report a path names: a file, a run folder, or the ``--report-dir`` of ``mconf run``
    (its ``latest``, else its newest run folder)."""
    if not path.is_dir() or (path / REPORT_FILE).is_file():
        return path / REPORT_FILE if path.is_dir() else path
    if (path / LATEST / REPORT_FILE).is_file():
        return path / LATEST / REPORT_FILE
    runs = run_folders(path)
    if not runs:
        raise UnusableReport(
            f"{path}: no report.json here, in latest/ or in a run folder; give a report file, "
            "a run folder, or the --report-dir of `mconf run`"
        )
    return runs[-1] / REPORT_FILE


def run_folders(root: Path) -> list[Path]:
    """The run folders under a ``--report-dir``, oldest first (their names start with the time)."""
    inside = [p for p in root.iterdir() if p.name != LATEST and (p / REPORT_FILE).is_file()]
    return sorted(inside, key=lambda p: p.name)


def distinct_runs(paths: list[Path]) -> list[Path]:
    """Report files for ``paths``, each run once: a ``--report-dir`` gives its newest run per
    target, and ``reports/latest/report.json`` beside the run it points at counts once."""
    found: dict[bytes, Path] = {}
    for path in paths:
        expanded = _newest_per_target(path) if _is_root(path) else [report_file(path)]
        for file in expanded:  # by content: latest is a symlink, or a copy where there are none
            key = hashlib.sha256(file.read_bytes()).digest() if file.is_file() else bytes(file)
            found.setdefault(key, file)
    return list(found.values())


def _is_root(path: Path) -> bool:
    return path.is_dir() and not (path / REPORT_FILE).is_file() and bool(run_folders(path))


def _newest_per_target(root: Path) -> list[Path]:
    newest: dict[str, Path] = {}
    for run in run_folders(root):  # <stamp>-<target>: the newest of each target wins
        newest[run.name.split("-", 3)[-1]] = run / REPORT_FILE
    return list(newest.values())


def load_report(path: Path) -> dict[str, Any]:
    """Read a report (see ``report_file``); raise ``UnusableReport`` if unusable."""
    file = report_file(path)
    if not file.is_file():
        raise UnusableReport(f"{file}: no such report file")
    try:
        report = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UnusableReport(f"{file}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise UnusableReport(f"{file}: not JSON ({exc.msg} at line {exc.lineno})") from None
    problem = validate_report(report)
    if problem:
        raise UnusableReport(f"{file}: {problem}")
    return dict(report)


def validate_report(report: Any) -> str | None:
    """One line describing why ``report`` is not a version 1 report, or None when it is."""
    if not isinstance(report, dict):
        return f"not a report (top level is {type(report).__name__}, expected an object)"
    version = report.get("schema_version")
    if version != SCHEMA_VERSION:
        return f"schema_version {version!r} is not supported (expected {SCHEMA_VERSION})"
    error = best_match(_validator().iter_errors(report))
    if error is None:
        return None
    where = "/" + "/".join(str(p) for p in error.absolute_path)
    return f"not a valid report at {where}: {error.message}"


def _validator() -> Draft202012Validator:
    schema = json.loads(_SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


# ---------------------------------------------------------------- writing


def write_reports(report: Report, out_dir: Path) -> dict[str, Path]:
    """Write report.json, summary.md and report.html into ``out_dir``; return their paths.

    ``report["cases"]`` may be any re-iterable (a run's spool): report.json is streamed from it
    and the summaries read it as they go, so a long run's cases are never all in memory. Each
    file is written under a temporary name and renamed: none is ever half-written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    clean = scrub(report)
    paths = {kind: out_dir / name for kind, name in _FILES.items()}
    with atomic_text(paths["json"]) as file:
        dump(clean, file)
    with atomic_text(paths["summary"]) as file:
        file.write(render_summary(clean))
    with atomic_text(paths["html"]) as file:
        file.write(render_html(clean))
    return paths


_FILES = {"json": REPORT_FILE, "summary": SUMMARY_FILE, "html": HTML_FILE}


def scrub(report: Report) -> dict[str, Any]:
    """A copy of ``report`` with credential header values replaced (defence in depth).

    Only what changes is copied (each case, its excerpts and examples, each problem's example,
    with their request/response headers), not the whole report: a long run's report is large.
    Cases that are not a list (a spool) are scrubbed as they are read."""
    clean = dict(report)
    cases = report.get("cases", [])
    clean["cases"] = (
        [_scrubbed_case(case) for case in cases] if isinstance(cases, list) else _Scrubbed(cases)
    )
    if report.get("problems"):
        clean["problems"] = [
            {**p, "example": _scrubbed_sides(p["example"])}
            if isinstance(p.get("example"), Mapping)
            else p
            for p in report["problems"]
        ]
    return clean


class _Scrubbed:
    """Cases scrubbed one by one as each pass reads them."""

    def __init__(self, cases: Iterable[Mapping[str, Any]]) -> None:
        self.cases = cases

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (_scrubbed_case(case) for case in self.cases)


def _scrubbed_case(case: Mapping[str, Any]) -> dict[str, Any]:
    clean = _scrubbed_sides(case)
    for kept in ("excerpts", "examples"):  # earlier responses; failing generated examples
        if case.get(kept):
            clean[kept] = [_scrubbed_sides(example) for example in case[kept]]
    return clean


def _scrubbed_sides(holder: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(holder)
    for side in ("request", "response"):
        part = holder.get(side)
        if isinstance(part, Mapping) and isinstance(part.get("headers"), Mapping):
            headers = {name: header_value(name, v) for name, v in part["headers"].items()}
            clean[side] = {**part, "headers": headers}
    return clean


def update_latest(reports_root: Path, run_dir: Path) -> Path | None:
    """Point ``reports_root/latest`` at ``run_dir`` (symlink, else a marked copy); return it.

    Returns None, touching nothing, when ``latest`` is a folder or file mconf did not make.
    Each call links through its own temporary name, so concurrent runs never race.
    """
    latest = reports_root / LATEST
    if _foreign(latest):
        return None
    target = Path(os.path.relpath(run_dir.resolve(), reports_root.resolve()))
    temp = reports_root / f".{LATEST}.tmp-{os.getpid()}-{threading.get_ident()}"
    try:
        temp.symlink_to(target, target_is_directory=True)
    except (OSError, NotImplementedError):
        return _copy_latest(run_dir, latest, temp)
    try:
        if latest.is_dir() and not latest.is_symlink():  # our copy: a link replaces it
            shutil.rmtree(latest, ignore_errors=True)
        os.replace(temp, latest)
    finally:
        _remove(temp)
    return latest


def _foreign(latest: Path) -> bool:
    """``latest`` exists and is not a link or a copy that update_latest made."""
    if latest.is_symlink() or not latest.exists():
        return False
    return not (latest.is_dir() and (latest / LATEST_MARK).is_file())


def _copy_latest(run_dir: Path, latest: Path, temp: Path) -> Path:
    _remove(temp)
    shutil.copytree(run_dir, temp)
    (temp / LATEST_MARK).write_text(f"a copy of {run_dir.name}, made by mconf\n", "utf-8")
    _remove(latest)
    os.replace(temp, latest)
    return latest


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)

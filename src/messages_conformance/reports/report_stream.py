"""report.json a case at a time: written from a report whose ``cases`` is any iterable (a run's
spool), read back keeping only the cases a caller wants; files replaced atomically.

``dump`` writes exactly what ``json.dumps(report, indent=2, ensure_ascii=False)`` would, without
holding the whole text (or every case) in memory. ``read`` relies on that layout (a case starts
at a line ``    {`` and ends at ``    }``/``    },``: JSON strings hold no raw newline) and falls
back to reading the whole file for any other layout.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_text", "dump", "read"]

Case = dict[str, Any]
_PLAIN = (Mapping, list, tuple, str, int, float, bool, type(None))
_CASES_OPEN = '  "cases": [\n'
_CASE_END = ("    }\n", "    },\n")


def dump(report: Mapping[str, Any], file: IO[str]) -> None:
    """``report`` as indented JSON; a value that is an iterable (not a list) is streamed."""
    if not report:
        file.write("{}\n")
        return
    for n, (key, value) in enumerate(report.items()):
        file.write(("{\n" if n == 0 else ",\n") + "  " + _json(key) + ": ")
        if isinstance(value, _PLAIN):
            file.write(_json(value).replace("\n", "\n  "))
            continue
        opened = False
        for item in value:
            file.write(",\n    " if opened else "[\n    ")
            file.write(_json(item).replace("\n", "\n    "))
            opened = True
        file.write("\n  ]" if opened else "[]")
    file.write("\n}\n")


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@contextmanager
def atomic_text(path: Path) -> Iterator[IO[str]]:
    """A text file written under a temporary name and renamed over ``path`` when complete;
    an error or an interrupt on the way leaves ``path`` as it was and no temporary file."""
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with temp.open("w", encoding="utf-8", errors="backslashreplace") as file:
            yield file
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def read(path: Path, keep: Callable[[Case], bool] | None = None) -> dict[str, Any]:
    """The report in ``path`` with only the cases ``keep`` accepts (all when None), reading one
    case at a time."""
    with path.open(encoding="utf-8") as file:
        parts = _split(file, keep or _everything)
        if parts is None:
            file.seek(0)
            report = json.load(file)
            if isinstance(report, dict) and isinstance(report.get("cases"), list):
                report["cases"] = [c for c in report["cases"] if keep is None or keep(c)]
            return dict(report) if isinstance(report, dict) else report
    head, cases = parts
    report = json.loads(head)
    report["cases"] = cases
    return dict(report)


def _everything(case: Case) -> bool:
    return True


def _split(lines: Iterable[str], keep: Callable[[Case], bool]) -> tuple[str, list[Case]] | None:
    """(the report without its cases, the kept cases), or None when the layout is not dump's."""
    head: list[str] = []
    cases: list[Case] = []
    inside, found = False, False
    case: list[str] = []
    for line in lines:
        if not inside:
            if line == _CASES_OPEN and not found:
                inside = found = True
                head.append('  "cases": []')
            else:
                head.append(line)
            continue
        if line in ("  ]\n", "  ],\n"):
            if case:
                return None
            inside = False
            head.append(line[3:])  # the comma (or nothing) after the list
            continue
        case.append(line)
        if line in _CASE_END:
            try:
                record = json.loads("".join(case).rstrip().removesuffix(","))
            except ValueError:
                return None
            if keep(record):
                cases.append(record)
            case = []
    if inside or not found:
        return None
    return "".join(head), cases

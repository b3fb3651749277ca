"""Plain text for a terminal from the Markdown our reports write (diff, matrix, spec-diff).

Markdown is right for job summaries and files; on a terminal its escapes (`test\\_errors`,
`\\[DONE\\]`), pipes and `###` are noise. ``to_text`` reads the subset our writers produce:
headings, tables, list items, code spans, bold, escapes, hard line breaks.
"""

from __future__ import annotations

import re
import sys
from typing import IO

__all__ = ["FORMAT_HELP", "default_format", "to_text"]

FORMAT_HELP = "text (default on a terminal), markdown (default otherwise) or json"

_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_CODE = re.compile(r"`([^`]*)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$")


def default_format(stdout: IO[str] | None = None) -> str:
    """``text`` on a terminal, ``markdown`` otherwise (files, pipes, CI job summaries)."""
    stream = stdout or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return "text" if callable(isatty) and isatty() else "markdown"


def _inline(text: str) -> str:
    text = _CODE.sub(r"\1", text)
    text = _BOLD.sub(r"\1", text)
    return _ESCAPE.sub(r"\1", text).rstrip()


def _cells(row: str) -> list[str]:
    """A table row's cells; `\\|` inside a cell is a pipe, not a border."""
    inner = row.strip().removeprefix("|").removesuffix("|")
    return [_inline(cell.strip()) for cell in re.split(r"(?<!\\)\|", inner)]


def _row(cells: list[str], sizes: list[int]) -> str:
    return "  ".join(cell.ljust(size) for cell, size in zip(cells, sizes, strict=True)).rstrip()


def _table(rows: list[str]) -> list[str]:
    body = [_cells(row) for row in rows if not _SEPARATOR.match(row)]
    width = max(len(row) for row in body)
    body = [row + [""] * (width - len(row)) for row in body]
    sizes = [max(len(row[i]) for row in body) for i in range(width)]
    lines = [
        "  ".join(c.ljust(s) for c, s in zip(row, sizes, strict=True)).rstrip() for row in body
    ]
    rule = "  ".join("-" * size for size in sizes)
    return [lines[0], rule, *lines[1:]]


def to_text(markdown: str) -> str:
    """``markdown`` (as our report writers produce it) as plain, aligned text."""
    out: list[str] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith("|"):
            rows = []
            while index < len(lines) and lines[index].lstrip().startswith("|"):
                rows.append(lines[index])
                index += 1
            out += _table(rows)
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            title = _inline(heading[2])
            out += [title, ("=" if len(heading[1]) <= 2 else "-") * len(title)]
        else:
            out.append(_inline(line))
        index += 1
    return "\n".join(out).rstrip("\n") + "\n"

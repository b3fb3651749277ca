"""Gateway matrix: ``mconf matrix REPORT... [--out DIR]``.

Rows are checks (case ids, grouped by area), columns are targets (name + mode), cells say
``pass``, ``fail``, ``waived`` or ``not run``. A fail cell carries the first failing
finding's rule and one line of evidence. Under the verdicts, each target's problems (one per
root cause, report.json ``problems``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .changes import problems_of
from .markdown import md
from .page import esc, html_page
from .views import area_order, case_label, evidence, is_failing, one_line

__all__ = [
    "Cell",
    "Matrix",
    "Row",
    "build_matrix",
    "render_html",
    "render_markdown",
]

Report = Mapping[str, Any]
STATES = ("pass", "fail", "waived", "not run")


@dataclass(frozen=True, slots=True)
class Cell:
    """One check on one target. ``rule``/``evidence``/``finding`` are set for fail cells."""

    state: str
    rule: str | None = None
    evidence: str | None = None
    finding: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Row:
    area: str
    case: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Matrix:
    columns: tuple[str, ...]
    verdicts: tuple[str, ...]
    rows: tuple[Row, ...]
    problems: tuple[tuple[str, ...], ...] = ()  # per column: "error: title (N cases)"

    def cell(self, case: str, column: str) -> Cell:
        row = next(r for r in self.rows if r.case == case)
        return row.cells[self.columns.index(column)]

    def tally(self, column: int) -> Counter[str]:
        return Counter(row.cells[column].state for row in self.rows)


# ---------------------------------------------------------------- building


def build_matrix(reports: Sequence[Report]) -> Matrix:
    """One column per report, one row per case id seen in any of them."""
    columns = column_labels(reports)
    by_case = [{str(c["id"]): c for c in r.get("cases", [])} for r in reports]
    rows = [
        Row(area, cid, tuple(cell(cases.get(cid)) for cases in by_case))
        for area, cid in _checks(reports)
    ]
    verdicts = tuple(str(r.get("verdict", "error")) for r in reports)
    problems = tuple(
        tuple(
            f"{p.severity}: {p.title.rstrip('.')} ({p.cases} case{'s' if p.cases != 1 else ''})"
            for p in problems_of(r)
        )
        for r in reports
    )
    return Matrix(tuple(columns), verdicts, tuple(rows), problems)


def column_labels(reports: Sequence[Report]) -> list[str]:
    """``name (mode)``; same labels get their faults, then ``#n``, to tell them apart."""
    plain = [_base_label(r) for r in reports]
    labels = [
        _with_faults(r, text) if plain.count(text) > 1 else text
        for r, text in zip(reports, plain, strict=True)
    ]
    return [f"{text} #{i + 1}" if labels.count(text) > 1 else text for i, text in enumerate(labels)]


def _base_label(report: Report) -> str:
    target = report.get("target", {})
    return f"{target.get('name', '?')} ({target.get('mode', '?')})"


def _with_faults(report: Report, text: str) -> str:
    faults = report.get("target", {}).get("faults") or []
    return f"{text} +{'+'.join(faults)}" if faults else text


def _checks(reports: Sequence[Report]) -> list[tuple[str, str]]:
    """(area, case id) for every case, areas in the documented order, first-seen order within."""
    seen: dict[str, str] = {}
    for report in reports:
        for case in report.get("cases", []):
            seen.setdefault(str(case["id"]), str(case.get("area", "")))
    order = {cid: i for i, cid in enumerate(seen)}
    return sorted(((a, c) for c, a in seen.items()), key=lambda p: (area_order(p[0]), order[p[1]]))


def cell(case: Mapping[str, Any] | None) -> Cell:
    """The state of one case: absent or skipped is ``not run``."""
    if case is None or case.get("outcome") == "skipped":
        return Cell("not run")
    findings = case.get("findings", [])
    failing = [f for f in findings if is_failing(f)]
    if failing:
        return Cell("fail", str(failing[0]["rule"]), evidence(case, failing[0]), failing[0])
    if case.get("outcome") in ("failed", "error"):
        why = case.get("failure") or f"outcome {case['outcome']}"
        return Cell("fail", None, one_line(f"{case_label(str(case['id']))}: {why}"))
    waived = any(f.get("waived") and f.get("severity") == "error" for f in findings)
    return Cell("waived" if waived else "pass")


# ---------------------------------------------------------------- Markdown


def render_markdown(matrix: Matrix) -> str:
    """Verdict table per target, the matrix (fail cells numbered), then the evidence list."""
    lines = ["## Gateway matrix", "", "| target | verdict | pass | fail | waived | not run |"]
    lines.append("|---|---|---:|---:|---:|---:|")
    for i, column in enumerate(matrix.columns):
        tally = matrix.tally(i)
        counts = " | ".join(str(tally[s]) for s in STATES)
        lines.append(f"| {md(column)} | {matrix.verdicts[i].upper()} | {counts} |")
    lines += _markdown_problems(matrix)
    table, notes = _markdown_grid(matrix)
    lines += ["", *table]
    if notes:
        lines += ["", "Evidence:", "", *notes]
    return "\n".join(lines) + "\n"


def _markdown_problems(matrix: Matrix) -> list[str]:
    if not any(matrix.problems):
        return []
    lines = ["", "Problems to fix, per target:", ""]
    for column, problems in zip(matrix.columns, matrix.problems, strict=True):
        listed = "; ".join(f"{n}. {md(text)}" for n, text in enumerate(problems, 1))
        lines.append(f"- {md(column)}: {listed or 'none'}")
    return lines


def _markdown_grid(matrix: Matrix) -> tuple[list[str], list[str]]:
    head = ["area", "check", *(md(c) for c in matrix.columns)]
    table = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    notes: list[str] = []
    for row in matrix.rows:
        texts = []
        for column, item in zip(matrix.columns, row.cells, strict=True):
            if item.state == "fail":
                notes.append(f"{len(notes) + 1}. {md(column)}: {md(item.evidence or '')}")
            texts.append(_markdown_cell(item, len(notes)))
        table.append(f"| {row.area} | {md(case_label(row.case))} | " + " | ".join(texts) + " |")
    return table, notes


def _markdown_cell(item: Cell, note: int) -> str:
    if item.state != "fail":
        return item.state
    return f"fail `{item.rule}` ({note})" if item.rule else f"fail ({note})"


# ---------------------------------------------------------------- HTML


def render_html(matrix: Matrix) -> str:
    """A self-contained page in the report.html style; fail cells expand to their evidence."""
    body = [
        '<header class="banner v-matrix"><div class="verdict" id="verdict">GATEWAY MATRIX</div>'
        f'<div class="meta">{len(matrix.rows)} checks &times; {len(matrix.columns)} targets'
        "</div></header>",
        "<main>",
        _verdict_cards(matrix),
        _grid(matrix),
        "</main>",
    ]
    return html_page("messages-conformance: gateway matrix", "\n".join(body))


def _verdict_cards(matrix: Matrix) -> str:
    cards = []
    for i, column in enumerate(matrix.columns):
        tally = matrix.tally(i)
        counts = " · ".join(f"{tally[s]} {s}" for s in STATES if tally[s])
        verdict = matrix.verdicts[i]
        problems = matrix.problems[i] if matrix.problems else ()
        listed = "".join(f"<li>{esc(text)}</li>" for text in problems)
        listed = f'<ol class="problems">{listed}</ol>' if listed else ""
        cards.append(
            f'<div class="card c-{"passed" if verdict == "pass" else "failed"}">'
            f"<b>{esc(verdict.upper())}</b>{esc(column)}<br>{esc(counts)}{listed}</div>"
        )
    return f'<section class="cards">{"".join(cards)}</section>'


def _grid(matrix: Matrix) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in matrix.columns)
    rows: list[str] = []
    area = None
    for row in matrix.rows:
        if row.area != area:
            area = row.area
            rows.append(
                f'<tr class="group"><td colspan="{len(matrix.columns) + 1}">{esc(area)}</td></tr>'
            )
        cells = "".join(_html_cell(c) for c in row.cells)
        rows.append(
            f'<tr><td class="case" title="{esc(row.case)}">{esc(case_label(row.case))}</td>'
            f"{cells}</tr>"
        )
    return (
        f'<table class="matrix"><thead><tr><th>check</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _html_cell(item: Cell) -> str:
    css = item.state.replace(" ", "")
    badge = f'<span class="badge b-{css}">{esc(item.state)}</span>'
    if item.state != "fail":
        return f'<td class="cell c-{css}">{badge}</td>'
    finding = item.finding or {}
    detail = "".join(
        f'<h4>{esc(name)}</h4><pre class="{esc(name)}">{esc(finding.get(name))}</pre>'
        for name in ("expected", "received")
        if finding.get(name) is not None
    )
    return (
        f'<td class="cell c-fail"><details class="finding"><summary>{badge} '
        f'<code>{esc(item.rule or "outcome")}</code></summary><div class="fbody">'
        f"<p>{esc(finding.get('message', item.evidence))}</p>"
        f'<p class="muted">{esc(item.evidence)}</p>{detail}</div></details></td>'
    )


# ---------------------------------------------------------------- command

"""``report.html``: one self-contained page for a run (banner, counts, checks by area,
latency chart, waivers), and the page shell ``matrix.html`` shares.

The shell, its CSS and its JS are package data (``templates/``), filled in with
``string.Template``; the page needs no network and no external files.
"""

from __future__ import annotations

import heapq
import html
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from string import Template
from typing import Any

from . import problem_list
from .timeline import timing_section
from .views import CASE_KEYS, Report, area_order, case_label, header_value, one_line

__all__ = [
    "BODY_LIMIT",
    "LATENCY_ROWS",
    "by_area",
    "esc",
    "html_page",
    "latency_svg",
    "render_html",
]

BODY_LIMIT = 4096  # excerpts are at most 4 KB (report.schema.json, case.request.body)


def render_html(report: Report) -> str:
    """One self-contained HTML page: banner, the problem list, counts, checks by area, timing."""
    verdict = str(report.get("verdict", "error"))
    body = [
        _banner(report, verdict),
        "<main>",
        problem_list.html_section(report),
        _cards(report.get("counts", {})),
        _toolbar(),
        *(_area_section(*listed) for listed in area_listing(report.get("cases", []))),
        # timings on the wire (p50/p95, arrivals) when the run has them, else one bar per case
        timing_section(report, without=_latency_section(report.get("cases", []))),
        _waiver_section(report.get("waivers", [])),
        "</main>",
    ]
    return html_page(f"messages-conformance: {verdict.upper()}", "\n".join(body))


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def html_page(title: str, body: str) -> str:
    """The shared page shell (report.html, matrix.html): inline CSS and JS only."""
    return Template(_template("page.html")).substitute(
        title=esc(title), css=_template("report.css"), body=body, js=_template("report.js")
    )


@cache
def _template(name: str) -> str:
    return (files(__package__ or __name__) / "templates" / name).read_text(encoding="utf-8")


def _banner(report: Report, verdict: str) -> str:
    target = report.get("target", {})
    tool = report.get("tool", {})
    meta = [
        f"target <b>{esc(target.get('name'))}</b> <code>{esc(target.get('base_url'))}</code>"
        + (f" model <b>{esc(target['model'])}</b>" if target.get("model") else ""),
        f"mode <b>{esc(target.get('mode'))}</b>",
        f"faults <b>{esc(', '.join(target.get('faults') or []) or 'none')}</b>",
        f"started {esc(report.get('started_at'))}",
        f"{esc(_secs(report.get('duration_s')))}",
        f"{esc(tool.get('name'))} {esc(tool.get('version'))}",
    ]
    return (
        f'<header class="banner v-{esc(verdict)}"><div class="verdict" id="verdict">'
        f'{esc(verdict.upper())}</div><div class="meta">{" · ".join(meta)}</div></header>'
    )


def _cards(counts: Mapping[str, Any]) -> str:
    sev = counts.get("findings", {})
    cards = [(k, counts.get(k, 0), k) for k in CASE_KEYS]
    cards += [(f"{k} findings", sev.get(k, 0), k) for k in ("error", "warning", "notice")]
    items = "".join(
        f'<div class="card c-{esc(cls)}"><b>{esc(n)}</b>{esc(label)}</div>'
        for label, n, cls in cards
    )
    return f'<section class="cards">{items}</section>'


def _toolbar() -> str:
    return (
        '<div class="toolbar"><label><input type="checkbox" id="only-bad"> '
        "only cases with failures or findings</label>"
        '<button type="button" id="expand">expand all findings</button></div>'
    )


def by_area(
    cases: Iterable[Mapping[str, Any]],
) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """Cases grouped by area, areas in the documented order, cases in report order."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for case in cases:
        groups.setdefault(str(case.get("area", "")), []).append(case)
    return sorted(groups.items(), key=lambda item: area_order(item[0]))


LISTED_BAD = 1000  # rows per area for cases with failures or findings
LISTED_CLEAN = 500  # rows per area for the others (a long run's page stays readable)


@dataclass
class _Area:
    rows: list[str] = field(default_factory=list)
    checks: int = 0
    failing: int = 0
    bad: int = 0
    clean: int = 0


def area_listing(cases: Iterable[Mapping[str, Any]]) -> list[tuple[str, _Area]]:
    """Per area (documented order) its counts and rows, in one pass over the cases: every
    case is counted, the first ``LISTED_BAD`` cases with failures or findings and the first
    ``LISTED_CLEAN`` others are listed (report.json has them all)."""
    areas: dict[str, _Area] = {}
    for case in cases:
        area = areas.setdefault(str(case.get("area", "")), _Area())
        area.checks += 1
        area.failing += case.get("outcome") in ("failed", "error")
        if _is_clean(case):
            area.clean += 1
            listed = area.clean <= LISTED_CLEAN
        else:
            area.bad += 1
            listed = area.bad <= LISTED_BAD
        if listed:
            area.rows.append(_case_row(case))
    return sorted(areas.items(), key=lambda item: area_order(item[0]))


def _area_section(area: str, listing: _Area) -> str:
    left_out = listing.checks - len(listing.rows)
    more = (
        f'<p class="muted">{left_out} more cases of this area are counted, not listed: '
        "every case is in report.json</p>"
        if left_out
        else ""
    )
    return (
        f'<section class="area"><h2>{esc(area)} <span class="muted">{listing.checks} checks, '
        f'{listing.failing} failing</span></h2><table class="checks"><colgroup><col class="w-case">'
        '<col class="w-out"><col class="w-num"><col class="w-num"><col></colgroup>'
        "<thead><tr><th>case</th><th>outcome</th><th>status</th><th>time</th><th>findings</th>"
        f"</tr></thead><tbody>{''.join(listing.rows)}</tbody>"
        f"</table>{more}</section>"
    )


def _is_clean(case: Mapping[str, Any]) -> bool:
    return case.get("outcome") in ("passed", "skipped") and not case.get("findings")


def _case_row(case: Mapping[str, Any]) -> str:
    outcome = str(case.get("outcome", ""))
    clean = _is_clean(case)
    cells = [
        f'<td class="case" title="{esc(case.get("id"))}">{esc(case_label(str(case.get("id"))))}'
        f'<div class="muted">{esc(case.get("suite"))}</div></td>',
        f'<td><span class="badge b-{esc(outcome)}">{esc(outcome)}</span></td>',
        f"<td>{esc(case.get('status') if case.get('status') is not None else '—')}</td>",
        f"<td>{esc(_secs(case.get('total_s', case.get('duration_s'))))}</td>",
        f"<td>{_findings_cell(case)}</td>",
    ]
    return f'<tr class="{"clean" if clean else "bad"}">{"".join(cells)}</tr>'


def _findings_cell(case: Mapping[str, Any]) -> str:
    findings = case.get("findings", [])
    parts = [_chips(findings)] if findings else []
    if case.get("skip_reason"):
        parts.append(f'<div class="muted">skipped: {esc(case["skip_reason"])}</div>')
    if case.get("failure"):
        parts.append(f'<pre class="failure">{esc(case["failure"])}</pre>')
    parts += [_finding_details(f) for f in findings]
    if findings or case.get("outcome") in ("failed", "error"):
        parts.append(_exchange(case))
    return "".join(parts) or '<span class="muted">none</span>'


def _chips(findings: Iterable[Mapping[str, Any]]) -> str:
    counts = Counter(str(f.get("severity")) for f in findings)
    return "".join(
        f'<span class="badge b-{sev}">{counts[sev]} {sev}</span> '
        for sev in ("error", "warning", "notice")
        if counts[sev]
    )


def _finding_details(finding: Mapping[str, Any]) -> str:
    sev = str(finding.get("severity"))
    waived = " waived" if finding.get("waived") else ""
    where = f" <code>{esc(finding.get('location'))}</code>" if finding.get("location") else ""
    reason = f'<p class="muted">waived: {esc(finding.get("waiver_reason"))}</p>' if waived else ""
    return (
        f'<details class="finding"><summary><span class="badge b-{esc(sev)}{waived}">'
        f"{esc(sev)}{waived}</span> <code>{esc(finding.get('rule'))}</code>{where}</summary>"
        f'<div class="fbody"><p>{esc(finding.get("message"))}</p>{reason}'
        f'<div class="ev"><div><h4>expected</h4><pre class="expected">'
        f"{esc(_shown(finding.get('expected')))}</pre></div><div><h4>received</h4>"
        f'<pre class="received">{esc(_shown(finding.get("received")))}</pre></div></div>'
        "</div></details>"
    )


def _shown(value: Any) -> str:
    return "(not given)" if value is None else str(value)


def _exchange(case: Mapping[str, Any]) -> str:
    request = case.get("request") or {}
    response = case.get("response") or {}
    if not request and not response:
        return ""
    req_head = f"{request.get('method', '')} {request.get('url', '')}".strip()
    resp_head = f"HTTP {response.get('status', '')}".strip()
    return (
        '<details class="exchange"><summary>request / response (redacted excerpts)</summary>'
        f'<div class="ev"><div><h4>request</h4><pre>{esc(_message_text(req_head, request))}'
        f"</pre></div><div><h4>response</h4><pre>{esc(_message_text(resp_head, response))}"
        "</pre></div></div></details>"
    )


def _message_text(head: str, part: Mapping[str, Any]) -> str:
    headers = part.get("headers") or {}
    lines = [head, *(f"{k}: {header_value(k, v)}" for k, v in headers.items())]
    body = part.get("body")
    text = "\n".join(lines)
    if body:
        text += "\n\n" + (body if len(body) <= BODY_LIMIT else body[:BODY_LIMIT] + "…")
    return text


def _waiver_section(waivers: list[Mapping[str, Any]]) -> str:
    if not waivers:
        return ""
    rows = "".join(
        f"<tr><td><code>{esc(w.get('rule'))}</code></td><td>{esc(w.get('reason'))}</td>"
        f"<td>{'used' if w.get('matched') else '<b>unused: can go</b>'}</td></tr>"
        for w in waivers
    )
    return (
        "<section><h2>Waivers</h2><table><thead><tr><th>rule</th><th>reason</th>"
        f"<th>status</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _secs(value: Any) -> str:
    if not isinstance(value, int | float):
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


# ---------------------------------------------------------------- latency chart

LATENCY_ROWS = 60
_ROW_H = 20
_LABEL_W = 300
_BAR_W = 520
_CHART_W = _LABEL_W + _BAR_W + 110


def _latency_section(cases: Iterable[Mapping[str, Any]]) -> str:
    timed = (c for c in cases if isinstance(c.get("total_s"), int | float))
    counted = _Counting(timed)
    slowest = heapq.nlargest(LATENCY_ROWS, counted, key=lambda c: float(c["total_s"]))
    if not slowest:
        return ""
    note = f" (slowest {LATENCY_ROWS} of {counted.n})" if counted.n > LATENCY_ROWS else ""
    return (
        f'<section class="latency"><h2>Latency <span class="muted">time to first byte and '
        f"total, per case{note}</span></h2>{latency_svg(slowest)}</section>"
    )


class _Counting:
    """An iterator that counts what it hands out."""

    def __init__(self, items: Iterable[Mapping[str, Any]]) -> None:
        self.items, self.n = iter(items), 0

    def __iter__(self) -> _Counting:
        return self

    def __next__(self) -> Mapping[str, Any]:
        item = next(self.items)
        self.n += 1
        return item


def latency_svg(cases: list[Mapping[str, Any]]) -> str:
    """A horizontal bar chart: per case, TTFB (dark) over total time (light)."""
    top = max(float(c["total_s"]) for c in cases) or 1.0
    step = _nice_step(top)
    scale = _BAR_W / (step * max(1, math.ceil(top / step)))
    height = 34 + _ROW_H * len(cases)
    parts = [
        f'<svg class="chart" role="img" aria-label="latency per case" viewBox="0 0 {_CHART_W} '
        f'{height}" width="{_CHART_W}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        *_axis(step, scale, height),
        *(_bar(i, c, scale) for i, c in enumerate(cases)),
        _legend(height),
        "</svg>",
    ]
    return "".join(parts)


def _nice_step(top: float) -> float:
    """A 1-2-5 tick step giving about five ticks up to ``top``."""
    base = 10.0 ** math.floor(math.log10(top / 5))
    return next(m * base for m in (1, 2, 5, 10) if m * base >= top / 5)


def _axis(step: float, scale: float, height: int) -> list[str]:
    ticks = []
    value = 0.0
    while value * scale <= _BAR_W + 0.5:
        x = _LABEL_W + value * scale
        ticks.append(
            f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{height - 22}" class="grid"/>'
            f'<text x="{x:.1f}" y="{height - 8}" class="tick">{esc(_secs(value))}</text>'
        )
        value += step
    return ticks


def _bar(index: int, case: Mapping[str, Any], scale: float) -> str:
    y = 6 + index * _ROW_H
    total = float(case["total_s"])
    ttfb = case.get("ttfb_s")
    first = float(ttfb) if isinstance(ttfb, int | float) else None
    label = one_line(case_label(str(case.get("id"))), 44)
    tip = f"{case.get('id')}: ttfb {_secs(first)}, total {_secs(total)}"
    bars = _rect(y, total * scale, "total")
    if first is not None:
        bars += _rect(y, first * scale, "ttfb")
    value = f"{_secs(first)} / {_secs(total)}"
    return (
        f"<g><title>{esc(tip)}</title>"
        f'<text x="{_LABEL_W - 8}" y="{y + 11}" class="label">{esc(label)}</text>{bars}'
        f'<text x="{_LABEL_W + total * scale + 6:.1f}" y="{y + 11}" class="value">{esc(value)}'
        "</text></g>"
    )


def _rect(y: int, width: float, css: str) -> str:
    return f'<rect x="{_LABEL_W}" y="{y}" width="{max(width, 1):.1f}" height="14" class="{css}"/>'


def _legend(height: int) -> str:
    y = height - 18
    return (
        f'<rect x="8" y="{y}" width="10" height="10" class="ttfb"/>'
        f'<text x="22" y="{y + 9}" class="tick start">time to first byte</text>'
        f'<rect x="130" y="{y}" width="10" height="10" class="total"/>'
        f'<text x="144" y="{y + 9}" class="tick start">total</text>'
    )

"""The timing parts of a run's reports: percentiles per suite and an arrival timeline.

Reads the case records' ``timing`` (``core.timing.Trace.figures`` plus ``arrivals``, the
events' arrival times). A replay run's times are the recorded ones (``source: recorded``):
every heading says so. Cases replayed from cassettes recorded without timings are counted
once ("timing rules did not apply").
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any, Final

__all__ = [
    "FIGURES",
    "percentile",
    "suite_percentiles",
    "timeline_svg",
    "timing_lines",
    "timing_section",
]
# Styles: templates/report.css (.timing, .timeline).

Case = Mapping[str, Any]
FIGURES: Final = (
    ("ttfb_s", "first byte"),
    ("first_event_s", "first event"),
    ("total_s", "total"),
    ("longest_gap_s", "longest gap"),
)
TIMELINE_ROWS: Final = 40
_ROW_H, _LABEL_W, _PLOT_W, _VALUE_W = 18, 300, 460, 250
_WIDTH: Final = _LABEL_W + _PLOT_W + _VALUE_W


def timing_of(case: Case) -> Mapping[str, Any] | None:
    timing = case.get("timing")
    return timing if isinstance(timing, Mapping) else None


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def suite_percentiles(cases: Iterable[Case]) -> dict[str, dict[str, tuple[float | None, ...]]]:
    """suite -> figure -> (p50, p95, how many cases had it)."""
    return _Digest(cases, mode="").table()


class _Digest:
    """What the timing parts need of a run, in one pass over its cases (a long run's cases
    are read from disk, never all held): figures per suite, sources, untimed replays, and
    the slowest streamed cases."""

    def __init__(self, cases: Iterable[Case], mode: str) -> None:
        self.values: dict[str, dict[str, array[float]]] = {}
        self.sources: set[Any] = set()
        self.untimed = 0
        self.streamed = 0
        slowest: list[tuple[float, int, Case]] = []  # a heap of the TIMELINE_ROWS slowest
        for n, case in enumerate(cases):
            timing = timing_of(case)
            if timing is None:
                self.untimed += mode == "replay" and case.get("status") is not None
                continue
            self.sources.add(timing.get("source"))
            per = self.values.setdefault(
                str(case.get("suite", "?")), {k: array("d") for k, _ in FIGURES}
            )
            for key, _ in FIGURES:
                if isinstance(timing.get(key), int | float):
                    per[key].append(float(timing[key]))
            if timing.get("arrivals"):
                self.streamed += 1
                entry = (float(timing["total_s"] or 0), -n, case)
                if len(slowest) < TIMELINE_ROWS:
                    heapq.heappush(slowest, entry)
                elif entry[:2] > slowest[0][:2]:
                    heapq.heapreplace(slowest, entry)
        # slowest first; of equal times, the earlier case first (as a stable sort gives them)
        self.slowest = [c for *_, c in sorted(slowest, key=lambda e: e[:2], reverse=True)]

    def table(self) -> dict[str, dict[str, tuple[float | None, ...]]]:
        return {
            suite: {k: (percentile(v, 0.5), percentile(v, 0.95), len(v)) for k, v in per.items()}
            for suite, per in sorted(self.values.items())
        }

    def source(self) -> str:
        sources = self.sources
        return "recorded" if sources == {"recorded"} else "measured" if sources else ""


def _digest(report: Mapping[str, Any]) -> _Digest:
    """Replayed cases whose recordings carry no timing (cassettes recorded before timings
    were kept) are counted as untimed; in live runs every answer through the transport is
    timed."""
    return _Digest(report.get("cases", []), str(report.get("target", {}).get("mode")))


def _source_note(source: str) -> str:
    if source == "recorded":
        return "times are the recorded ones (from the cassettes), not this run's"
    return "measured on the wire in this run, from the request start"


def _untimed_note(count: int) -> str:
    return (
        f"timing rules did not apply to {count} case(s): their recordings have no timings "
        "(re-record with `mconf run --mode record`)"
        if count
        else ""
    )


# --- markdown -------------------------------------------------------------------------------


def timing_lines(report: Mapping[str, Any]) -> list[str]:
    """A few Markdown lines for summary.md (nothing when no case has timings)."""
    digest = _digest(report)
    table, untimed = digest.table(), digest.untimed
    if not table:
        return ["", _untimed_note(untimed)] if untimed else []
    lines = ["", f"### Timing ({_source_note(digest.source())})", ""]
    lines += ["| suite | " + " | ".join(f"{label} p50 / p95" for _, label in FIGURES) + " |"]
    lines += ["|---|" + "---:|" * len(FIGURES)]
    for suite, figures in table.items():
        cells = [f"{_secs(figures[k][0])} / {_secs(figures[k][1])}" for k, _ in FIGURES]
        lines.append(f"| {suite} | " + " | ".join(cells) + " |")
    if untimed:
        lines += ["", _untimed_note(untimed)]
    return lines


# --- html -----------------------------------------------------------------------------------


def timing_section(report: Mapping[str, Any], without: str = "") -> str:
    """The report.html section: p50/p95 per suite and the streamed cases' arrivals; when no
    case has timings, ``without`` (e.g. a latency chart), and a note when cases were
    replayed from recordings without them."""
    digest = _digest(report)
    table, untimed = digest.table(), digest.untimed
    if not table:
        note = f'<p class="muted">{escape(_untimed_note(untimed))}</p>'
        return (f'<section class="timing">{note}</section>' if untimed else "") + without
    source, slowest, streamed = digest.source(), digest.slowest, digest.streamed
    note = f" (slowest {TIMELINE_ROWS} of {streamed})" if streamed > TIMELINE_ROWS else ""
    parts = [
        f'<section class="timing"><h2>Timing <span class="muted" id="timing-source">'
        f"{escape(_source_note(source))}</span></h2>",
        _percentile_table(table),
        f'<p class="muted">{escape(_untimed_note(untimed))}</p>' if untimed else "",
    ]
    if slowest:
        parts.append(
            f'<h3>Event arrivals <span class="muted">streamed cases{note}: first byte (dark), '
            "then the stream; a tick per event, pings amber</span></h3>"
        )
        parts.append(timeline_svg(slowest))
    parts.append("</section>")
    return "".join(parts)


def _percentile_table(table: Mapping[str, Mapping[str, tuple[float | None, ...]]]) -> str:
    head = "".join(f"<th>{escape(label)} p50</th><th>p95</th>" for _, label in FIGURES)
    rows = []
    for suite, figures in table.items():
        cells = "".join(
            f'<td class="num">{_secs(p50)}</td><td class="num">{_secs(p95)}</td>'
            for p50, p95, _ in (figures[k] for k, _ in FIGURES)
        )
        count = int(figures["total_s"][2] or 0)
        rows.append(f'<tr><td>{escape(suite)} <span class="muted">{count}</span></td>{cells}</tr>')
    return (
        f'<table class="pct"><thead><tr><th>suite</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def timeline_svg(cases: Sequence[Case]) -> str:
    """One row per streamed case: the wait for the first byte, the stream, an event tick each."""
    top = max(float(timing_of(c)["total_s"] or 0) for c in cases) or 1.0  # type: ignore[index]
    scale = _PLOT_W / top
    height = 30 + _ROW_H * len(cases)
    rows = "".join(_row(i, c, scale) for i, c in enumerate(cases))
    return (
        f'<svg class="chart timeline" role="img" aria-label="event arrivals per streamed case" '
        f'viewBox="0 0 {_WIDTH} {height}" width="{_WIDTH}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">{_axis(top, scale, height)}{rows}</svg>'
    )


def _axis(top: float, scale: float, height: int) -> str:
    ticks = []
    for i in range(5):
        value = top * i / 4
        x = _LABEL_W + value * scale
        ticks.append(
            f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{height - 20}" class="grid"/>'
            f'<text x="{x:.1f}" y="{height - 6}" class="tick">{_secs(value)}</text>'
        )
    return "".join(ticks)


def _row(index: int, case: Case, scale: float) -> str:
    timing = timing_of(case) or {}
    y = 10 + index * _ROW_H
    ttfb, total = float(timing.get("ttfb_s") or 0), float(timing.get("total_s") or 0)
    x0, x1, x2 = _LABEL_W, _LABEL_W + ttfb * scale, _LABEL_W + total * scale
    marks = [
        f'<line x1="{x0}" y1="{y}" x2="{x1:.1f}" y2="{y}" class="wait"/>',
        f'<line x1="{x1:.1f}" y1="{y}" x2="{x2:.1f}" y2="{y}" class="span"/>',
    ]
    for at, name in timing.get("arrivals") or ():
        x = x0 + float(at) * scale
        css = "ping" if name == "ping" else "ev"
        marks.append(f'<line x1="{x:.1f}" y1="{y - 5}" x2="{x:.1f}" y2="{y + 5}" class="{css}"/>')
    label = str(case.get("id", "")).split("::")[-1][:44]
    value = (
        f"{_secs(ttfb)} · first event {_secs(timing.get('first_event_s'))} · "
        f"{_secs(total)} · gap {_secs(timing.get('longest_gap_s'))}"
    )
    return (
        f"<g><title>{escape(str(case.get('id', '')))}: {escape(value)}</title>"
        f'<text x="{_LABEL_W - 8}" y="{y + 4}" class="label">{escape(label)}</text>{"".join(marks)}'
        f'<text x="{_LABEL_W + _PLOT_W + 8}" y="{y + 4}" class="value">{escape(value)}</text></g>'
    )


def _secs(value: Any) -> str:
    if not isinstance(value, int | float):
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"

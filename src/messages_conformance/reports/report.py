"""Report writers: ``report.json``, ``summary.md`` and ``report.html`` for one run.

Also the readers the other report tools share: ``load_report`` (a file or a run folder,
validated against ``report.schema.json``) and ``update_latest`` (``reports/latest``).

``reports/latest`` is a *relative symlink* to the newest run folder, swapped atomically
(``os.replace``), so readers never see a half-updated pointer. Where symlinks cannot be
made (Windows without the privilege, some network file systems) it is a *real copy* of the
run folder instead, so ``reports/latest/summary.md`` works on every platform.
"""

from __future__ import annotations

import copy
import html
import json
import math
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

__all__ = [
    "AREAS",
    "REPORT_FILE",
    "SCHEMA_VERSION",
    "UnusableReport",
    "load_report",
    "render_html",
    "render_summary",
    "update_latest",
    "validate_report",
    "write_reports",
]

Report = Mapping[str, Any]

SCHEMA_VERSION = 1
REPORT_FILE = "report.json"
SUMMARY_FILE = "summary.md"
HTML_FILE = "report.html"
LATEST = "latest"
AREAS = (
    "auth",
    "request validation",
    "response shape",
    "streaming",
    "errors",
    "headers",
    "recorded traffic",
    "generated",
)
BODY_LIMIT = 4096  # excerpts are at most 4 KB (report.schema.json, case.request.body)
SECRET_HEADERS = frozenset(
    {"x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie"}
)
REDACTED = "[redacted]"
CREDENTIAL_MARKER = "REDACTED:"  # transport.credential_marker output: a class, never a key
TOP_RULES = 10
_SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


class UnusableReport(Exception):
    """A report file that is missing, not JSON, or not a schema_version 1 report."""


# ---------------------------------------------------------------- reading


def load_report(path: Path) -> dict[str, Any]:
    """Read ``report.json`` (or ``<folder>/report.json``); raise ``UnusableReport`` if unusable."""
    file = path / REPORT_FILE if path.is_dir() else path
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
    """Write report.json, summary.md and report.html into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    clean = scrub(report)
    texts = {
        "json": (REPORT_FILE, json.dumps(clean, indent=2, ensure_ascii=False) + "\n"),
        "summary": (SUMMARY_FILE, render_summary(clean)),
        "html": (HTML_FILE, render_html(clean)),
    }
    paths: dict[str, Path] = {}
    for kind, (name, text) in texts.items():
        paths[kind] = out_dir / name
        paths[kind].write_text(text, encoding="utf-8")
    return paths


def scrub(report: Report) -> dict[str, Any]:
    """A copy of ``report`` with credential header values replaced (defence in depth)."""
    clean = copy.deepcopy(dict(report))
    for case in clean.get("cases", []):
        for side in ("request", "response"):
            part = case.get(side) or {}
            headers = part.get("headers") or {}
            for name, value in headers.items():
                headers[name] = _header_value(name, value)
    return clean


def update_latest(reports_root: Path, run_dir: Path) -> Path:
    """Point ``reports_root/latest`` at ``run_dir`` (symlink, else a copy); return the link."""
    latest = reports_root / LATEST
    target = Path(os.path.relpath(run_dir.resolve(), reports_root.resolve()))
    temp = reports_root / f".{LATEST}.tmp"
    _remove(temp)
    try:
        temp.symlink_to(target, target_is_directory=True)
    except (OSError, NotImplementedError):
        _remove(latest)
        shutil.copytree(run_dir, latest)
        return latest
    if latest.is_dir() and not latest.is_symlink():
        shutil.rmtree(latest)
    os.replace(temp, latest)
    return latest


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


# ---------------------------------------------------------------- shared views


def iter_findings(report: Report) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Every (case, finding) pair of a report, in report order."""
    for case in report.get("cases", []):
        for finding in case.get("findings", []):
            yield case, finding


def is_failing(finding: Mapping[str, Any]) -> bool:
    """An unwaived error finding: the kind that fails a run (ARCHITECTURE.md, severities)."""
    return finding.get("severity") == "error" and not finding.get("waived", False)


def case_label(case_id: str) -> str:
    """A short name for a case id: ``suites/test_x.py::test_y`` -> ``test_x::test_y``."""
    path, sep, rest = case_id.partition("::")
    stem = path.rsplit("/", 1)[-1].removesuffix(".py")
    return f"{stem}{sep}{rest}" if sep else stem


def one_line(text: Any, limit: int = 120) -> str:
    """``text`` on a single line, at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def evidence(case: Mapping[str, Any], finding: Mapping[str, Any]) -> str:
    """One line: case, location and received value of a finding."""
    text = case_label(str(case.get("id", "")))
    if finding.get("location"):
        text += f" at {finding['location']}"
    if finding.get("received") is not None:
        text += f": received {finding['received']}"
    elif finding.get("expected") is not None:
        text += f": missing, expected {finding['expected']}"
    return one_line(text)


def target_text(report: Report) -> str:
    target = report.get("target", {})
    faults = ", ".join(target.get("faults") or []) or "none"
    return f"{target.get('name', '?')} ({target.get('base_url', '')}), faults: {faults}"


def area_order(area: str) -> tuple[int, str]:
    return (AREAS.index(area) if area in AREAS else len(AREAS), area)


# ---------------------------------------------------------------- summary.md


def render_summary(report: Report) -> str:
    """Markdown for a CI job summary or PR comment (short even for big reports)."""
    lines = [*_summary_head(report), *_summary_rules(report), *_summary_failed_cases(report)]
    lines += _summary_waivers(report.get("waivers", []))
    notices = report.get("counts", {}).get("findings", {}).get("notice", 0)
    lines += ["", f"Notices (drift, never fail a run): {notices}. Details: `report.html`."]
    return "\n".join(lines) + "\n"


def _summary_head(report: Report) -> list[str]:
    counts = report.get("counts", {})
    sev = counts.get("findings", {})
    verdict = str(report.get("verdict", "error")).upper()
    return [
        f"## messages-conformance: {verdict}",
        "",
        f"Target: {md(target_text(report))}; mode: {md(report.get('target', {}).get('mode', '?'))}",
        "",
        "| cases | passed | failed | skipped | errors | error findings | warnings | notices |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        "| "
        + " | ".join(str(counts.get(k, 0)) for k in _CASE_KEYS)
        + " | "
        + " | ".join(str(sev.get(k, 0)) for k in ("error", "warning", "notice"))
        + " |",
    ]


_CASE_KEYS = ("cases", "passed", "failed", "skipped", "errors")


def _summary_rules(report: Report) -> list[str]:
    ranked = rule_table(report)
    if not ranked:
        return ["", "No unwaived error or warning findings."]
    lines = ["", "### Top failing rules (errors, then warnings)", ""]
    lines.append("| rule | severity | count | evidence |")
    lines.append("|---|---|---:|---|")
    for rule, severity, count, proof in ranked[:TOP_RULES]:
        lines.append(f"| `{rule}` | {severity} | {count} | {md(proof)} |")
    if len(ranked) > TOP_RULES:
        lines.append(f"\n… and {len(ranked) - TOP_RULES} more rules (see report.html).")
    return lines


def rule_table(report: Report) -> list[tuple[str, str, int, str]]:
    """(rule, severity, count, first evidence) of unwaived errors and warnings, worst first."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[str, str]] = {}
    for case, finding in iter_findings(report):
        if finding.get("waived") or finding.get("severity") not in ("error", "warning"):
            continue
        counts[finding["rule"]] += 1
        first.setdefault(finding["rule"], (finding["severity"], evidence(case, finding)))
    rows = [(rule, first[rule][0], n, first[rule][1]) for rule, n in counts.items()]
    return sorted(rows, key=lambda r: (r[1] != "error", -r[2], r[0]))


def _summary_failed_cases(report: Report) -> list[str]:
    bare = [
        c
        for c in report.get("cases", [])
        if c.get("outcome") in ("failed", "error") and not any(map(is_failing, c["findings"]))
    ]
    if not bare:
        return []
    shown = ", ".join(f"`{case_label(c['id'])}`" for c in bare[:5])
    more = f" and {len(bare) - 5} more" if len(bare) > 5 else ""
    lines = ["", f"Failed without a rule finding: {len(bare)} case(s): {shown}{more}."]
    if bare[0].get("failure"):
        lines.append(f"First failure: {md(one_line(bare[0]['failure']))}")
    return lines


def _summary_waivers(waivers: Iterable[Mapping[str, Any]]) -> list[str]:
    stale = [w for w in waivers if not w.get("matched")]
    if not stale:
        return []
    lines = ["", "### Waivers that can go", ""]
    lines += [f"- `{w['rule']}`: {md(one_line(w.get('reason', '')))}" for w in stale[:10]]
    return lines


def md(text: Any) -> str:
    """Text safe inside a Markdown table cell (no HTML, no table breaks, no emphasis)."""
    flat = " ".join(str(text).split())
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in flat)


_MD_SPECIAL = frozenset("\\`*_[]<>|~")


# ---------------------------------------------------------------- report.html


def render_html(report: Report) -> str:
    """One self-contained HTML page: banner, counts, checks by area, latency chart."""
    verdict = str(report.get("verdict", "error"))
    body = [
        _banner(report, verdict),
        "<main>",
        _cards(report.get("counts", {})),
        _toolbar(),
        *(_area_section(area, cases) for area, cases in by_area(report.get("cases", []))),
        _latency_section(report.get("cases", [])),
        _waiver_section(report.get("waivers", [])),
        "</main>",
    ]
    return html_page(f"messages-conformance: {verdict.upper()}", "\n".join(body))


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def html_page(title: str, body: str) -> str:
    """The shared page shell (report.html, matrix.html): inline CSS and JS only."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>\n"
        f"<body>\n{body}\n<script>{JS}</script></body></html>\n"
    )


def _banner(report: Report, verdict: str) -> str:
    target = report.get("target", {})
    tool = report.get("tool", {})
    meta = [
        f"target <b>{esc(target.get('name'))}</b> <code>{esc(target.get('base_url'))}</code>",
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
    cards = [(k, counts.get(k, 0), k) for k in _CASE_KEYS]
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


def _area_section(area: str, cases: list[Mapping[str, Any]]) -> str:
    bad = sum(1 for c in cases if c.get("outcome") in ("failed", "error"))
    rows = "".join(_case_row(c) for c in cases)
    return (
        f'<section class="area"><h2>{esc(area)} <span class="muted">{len(cases)} checks, '
        f'{bad} failing</span></h2><table class="checks"><colgroup><col class="w-case">'
        '<col class="w-out"><col class="w-num"><col class="w-num"><col></colgroup>'
        "<thead><tr><th>case</th><th>outcome</th><th>status</th><th>time</th><th>findings</th>"
        f"</tr></thead><tbody>{rows}</tbody>"
        "</table></section>"
    )


def _case_row(case: Mapping[str, Any]) -> str:
    findings = case.get("findings", [])
    outcome = str(case.get("outcome", ""))
    clean = outcome in ("passed", "skipped") and not findings
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
    lines = [head, *(f"{k}: {_header_value(k, v)}" for k, v in headers.items())]
    body = part.get("body")
    text = "\n".join(lines)
    if body:
        text += "\n\n" + (body if len(body) <= BODY_LIMIT else body[:BODY_LIMIT] + "…")
    return text


def _header_value(name: str, value: Any) -> str:
    """A credential header's value hidden; the transport's class markers (REDACTED:wrong …) kept,
    since which kind of credential was sent is evidence, not a secret."""
    text = str(value)
    if name.lower() not in SECRET_HEADERS or text.startswith(CREDENTIAL_MARKER):
        return text
    return REDACTED


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
    timed = [c for c in cases if isinstance(c.get("total_s"), int | float)]
    if not timed:
        return ""
    slowest = sorted(timed, key=lambda c: -float(c["total_s"]))[:LATENCY_ROWS]
    note = f" (slowest {LATENCY_ROWS} of {len(timed)})" if len(timed) > LATENCY_ROWS else ""
    return (
        f'<section class="latency"><h2>Latency <span class="muted">time to first byte and '
        f"total, per case{note}</span></h2>{latency_svg(slowest)}</section>"
    )


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


CSS = """
:root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--soft:#f6f8fa;--line:#d1d9e0;
--ok:#1a7f37;--bad:#cf222e;--err:#9a6700;--blue:#0969da;--ink:#0a3069}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:var(--bg);
font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1280px;margin:0 auto;padding:4px 24px 48px}
code,pre{font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h4{margin:6px 0 2px;font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.muted{color:var(--muted);font-size:12px;font-weight:400}
.banner{color:#fff;padding:18px 24px 16px}
.banner .verdict{font-size:30px;font-weight:800;letter-spacing:.08em}
.banner .meta{opacity:.95}
.banner code{color:#fff;background:rgba(255,255,255,.15);padding:0 4px;border-radius:4px}
.v-pass{background:linear-gradient(90deg,#1a7f37,#2da44e)}
.v-fail{background:linear-gradient(90deg,#a40e26,#cf222e)}
.v-error{background:linear-gradient(90deg,#7d4e00,#bf8700)}
.v-matrix{background:linear-gradient(90deg,#0a3069,#0969da)}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:6px 14px;min-width:104px;
background:var(--soft);color:var(--muted);font-size:12px}
.card b{display:block;font-size:22px;color:var(--fg)}
.card.c-failed b,.card.c-error b{color:var(--bad)}.card.c-passed b{color:var(--ok)}
.card.c-warning b{color:var(--err)}.card.c-notice b{color:var(--blue)}
.toolbar{display:flex;gap:16px;align-items:center;margin:8px 0}
button{font:inherit;border:1px solid var(--line);background:var(--soft);border-radius:6px;
padding:2px 10px;cursor:pointer}
table{border-collapse:collapse;width:100%;table-layout:auto}
th{font-size:12px;text-align:left;color:var(--muted);font-weight:600;background:var(--soft)}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;vertical-align:top;text-align:left}
td.case{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
table.checks,table.matrix{table-layout:fixed}
col.w-case{width:32%}col.w-out{width:9%}col.w-num{width:7%}
table.matrix th:first-child{width:26%}
.badge{display:inline-block;border-radius:999px;padding:0 8px;font-size:12px;font-weight:600;
white-space:nowrap}
.b-passed,.b-pass{background:#dafbe1;color:#116329}
.b-failed,.b-fail,.b-error{background:#ffebe9;color:#a40e26}
.b-skipped,.b-notrun{background:#eff2f5;color:#59636e}
.b-warning{background:#fff8c5;color:#7d4e00}.b-notice{background:#ddf4ff;color:#0550ae}
.badge.waived,.b-waived{background:#fbefff;color:#6639ba}
details{margin:4px 0}details>summary{cursor:pointer}
details.finding{border-left:3px solid var(--line);padding-left:8px}
details.finding[open]{border-color:var(--blue)}
.fbody{padding:4px 0}.fbody p{margin:4px 0}
.ev{display:grid;grid-template-columns:1fr 1fr;gap:10px}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:6px 8px;margin:0;
white-space:pre-wrap;word-break:break-all;max-height:320px;overflow:auto}
pre.expected{border-color:#aceebb}pre.received,pre.failure{border-color:#ffcecb}
pre.failure{margin:4px 0}
body.only-bad tr.clean{display:none}
.chart{max-width:100%;height:auto}
.chart .label{font:11px ui-monospace,Menlo,Consolas,monospace;text-anchor:end;fill:var(--fg)}
.chart .value,.chart .tick{font:10px system-ui,sans-serif;fill:var(--muted)}
.chart .tick{text-anchor:middle}.chart .tick.start{text-anchor:start}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .total{fill:#9ecbff}.chart .ttfb{fill:#0969da}
.matrix td.cell{text-align:center;white-space:nowrap}
.matrix td.cell details{text-align:left;white-space:normal}
.matrix tr.group td{background:var(--soft);font-weight:700}
.matrix thead th{position:sticky;top:0}
.c-pass{background:#f0fff4}.c-fail{background:#fff5f5}.c-waived{background:#fbf5ff}.c-notrun{background:#fafbfc}
"""

JS = """
(function(){
var box=document.getElementById('only-bad');
if(box){box.addEventListener('change',function(){document.body.classList.toggle('only-bad',box.checked);});}
var btn=document.getElementById('expand');
if(btn){btn.addEventListener('click',function(){
var all=document.querySelectorAll('details.finding');var open=btn.dataset.open!=='1';
all.forEach(function(d){d.open=open;});btn.dataset.open=open?'1':'0';
btn.textContent=open?'collapse all findings':'expand all findings';});}
})();
"""

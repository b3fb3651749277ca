"""A load run as the usual report: one case per request shape, plus a ``load`` section.

Each shape becomes a case (``load::stream``) whose findings are the rules its answers broke,
one finding per rule (its first example, with how often it happened); the run's ``load``
section holds what only a load run has: users, duration, requests per second, latency
percentiles per shape (Locust's), and failures per second over time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.rules import catalogue
from ..net.targets import Target
from .casebook import Casebook

__all__ = ["load_cases", "load_report", "render_load_summary"]

AREA = "load"


def load_cases(tally: Mapping[str, Any], waivers: Mapping[str, str]) -> list[dict[str, Any]]:
    """Case records (report.schema.json ``case``) for every shape the run sent."""
    cases = []
    for shape, counts in sorted(tally["shapes"].items()):
        findings = [_finding(rule, entry, shape, waivers) for rule, entry in tally["rules"].items()]
        found = [f for f in findings if f is not None]
        cases.append(
            {
                "id": f"load::{shape}",
                "suite": "load",
                "area": AREA,
                "outcome": "failed" if counts["failed"] else "passed",
                "skip_reason": None,
                "findings": found,
                "exchanges": counts["requests"],
                "output_tokens": 0,
            }
        )
    return cases


def _finding(
    rule: str, entry: Mapping[str, Any], shape: str, waivers: Mapping[str, str]
) -> dict[str, Any] | None:
    hits = entry["shapes"].get(shape, 0)
    example = next((e for e in entry["examples"] if e["shape"] == shape), None)
    if not hits:
        return None
    shown = example or {"message": entry.get("description", rule), "location": ""}
    return {
        "rule": rule,
        "severity": entry["severity"],
        "message": f"{shown['message']} ({hits} time(s) under load)",
        "location": shown.get("location") or "",
        "expected": shown.get("expected"),
        "received": shown.get("received"),
        "waived": rule in waivers,
        "waiver_reason": waivers.get(rule),
    }


def load_report(
    *,
    target: Target,
    tally: Mapping[str, Any],
    timeline: list[dict[str, int]],
    latency: Mapping[str, Mapping[str, float]],
    run: Mapping[str, Any],
    started: float,
) -> dict[str, Any]:
    """report.json for a load run: the usual keys, the shapes as cases, and ``load``."""
    book = Casebook(cases=load_cases(tally, target.waivers), started=started)
    report = book.build(
        target=target, mode="live", faults=list(run.get("faults", [])), catalogue=catalogue()
    )
    requests = sum(s["requests"] for s in tally["shapes"].values())
    seconds = float(run["duration_s"]) or 1.0
    report["load"] = {
        **run,
        "requests": requests,
        "failed": sum(s["failed"] for s in tally["shapes"].values()),
        "requests_per_s": round(requests / seconds, 2),
        "shapes": {
            name: {**counts, "latency_ms": dict(latency.get(name, {}))}
            for name, counts in sorted(tally["shapes"].items())
        },
        "rules": {
            rule: {k: v for k, v in e.items() if k != "examples"}
            for rule, e in tally["rules"].items()
        },
        "failures_per_s": timeline,
    }
    return report


def render_load_summary(report: Mapping[str, Any]) -> str:
    """The Markdown section summary.md gets for a load run."""
    load = report["load"]
    lines = [
        "",
        "## Load",
        "",
        f"{load['users']} user(s), {load['duration_s']} s, {load['workers']} worker process(es): "
        f"{load['requests']} requests ({load['requests_per_s']}/s), "
        f"{load['failed']} failed the checks.",
        "",
        "| shape | requests | failed | statuses | p50 ms | p90 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, shape in load["shapes"].items():
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(shape["statuses"].items()))
        ms = shape["latency_ms"]
        lines.append(
            f"| {name} | {shape['requests']} | {shape['failed']} | {statuses} | "
            f"{ms.get('p50', '')} | {ms.get('p90', '')} | {ms.get('p99', '')} |"
        )
    lines += ["", "| rule | severity | count | shapes |", "|---|---|---|---|"]
    for rule, entry in sorted(load["rules"].items(), key=lambda kv: -kv[1]["count"]):
        shapes = ", ".join(f"{k}: {v}" for k, v in sorted(entry["shapes"].items()))
        lines.append(f"| `{rule}` | {entry['severity']} | {entry['count']} | {shapes} |")
    busy = [s for s in load["failures_per_s"] if s["failed"]]
    lines += [
        "",
        f"Failures per second: {len(busy)} of {len(load['failures_per_s'])} second(s) "
        "had failures.",
    ]
    if busy:
        lines.append(
            "second: failed/requests  "
            + "  ".join(f"{s['second']}: {s['failed']}/{s['requests']}" for s in busy[:30])
        )
    return "\n".join(lines) + "\n"

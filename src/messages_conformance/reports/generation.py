"""The generated suite's score: how many drawn cases, positive and negative, were answered 2xx.

A case record of the generated suite carries ``generation`` counters (``positive``,
``positive_2xx``, ``negative``, ``negative_2xx``); the report sums them as ``generation`` and
the run's summary prints one line of it. Positive cases are valid requests: a faithful gateway
answers most of them 2xx. Negative cases break the contract: a 2xx there is usually a finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MODES = ("positive", "negative")


def score(cases: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Per mode: cases sent and cases answered 2xx, over every case record."""
    total: dict[str, dict[str, int]] = {}
    for case in cases:
        for key, n in (case.get("generation") or {}).items():
            mode, _, kind = key.partition("_")
            entry = total.setdefault(mode, {"cases": 0, "2xx": 0})
            entry["2xx" if kind else "cases"] += n
    return total


def line(report: Mapping[str, Any]) -> str | None:
    """``96 of 126 positive generated cases answered 2xx (76%); 5 of 120 negative ...``."""
    total = report.get("generation") or {}
    parts = []
    for mode in MODES:
        entry = total.get(mode)
        if entry and entry.get("cases"):
            share = 100 * entry["2xx"] / entry["cases"]
            parts.append(
                f"{entry['2xx']} of {entry['cases']} {mode} generated cases answered 2xx "
                f"({share:.0f}%)"
            )
    return "; ".join(parts) or None

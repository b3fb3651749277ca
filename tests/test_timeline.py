"""reports.timeline: p50/p95 per suite, the arrival timeline, and what a replay's times are."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from messages_conformance.reports.timeline import (
    percentile,
    suite_percentiles,
    timeline_svg,
    timing_lines,
    timing_section,
)


def case(suite: str, total: float, source: str = "measured", arrivals: int = 0) -> dict[str, Any]:
    return {
        "id": f"suites/test_{suite}.py::test_{total}",
        "suite": suite,
        "status": 200,
        "timing": {
            "source": source,
            "ttfb_s": total / 10,
            "first_event_s": total / 5 if arrivals else None,
            "total_s": total,
            "longest_gap_s": total / 2,
            "events": arrivals,
            "arrivals": [
                [total * i / max(arrivals, 1), "ping" if i == 1 else "x"] for i in range(arrivals)
            ],
        },
    }


def report(*cases: dict[str, Any], mode: str = "live") -> dict[str, Any]:
    return {"target": {"mode": mode}, "cases": list(cases)}


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [([], 0.5, None), ([3.0], 0.95, 3.0), ([1, 2, 3, 4], 0.5, 2), ([*range(1, 101)], 0.95, 95)],
)
def test_nearest_rank_percentiles(
    values: list[float], share: float, expected: float | None
) -> None:
    assert percentile(values, share) == expected


def test_percentiles_per_suite_skip_cases_without_timing() -> None:
    cases = [case("a", 1.0), case("a", 3.0), case("b", 2.0), {"suite": "c", "status": 200}]
    table = suite_percentiles(cases)
    assert list(table) == ["a", "b"]
    assert table["a"]["total_s"] == (1.0, 3.0, 2)
    assert table["a"]["first_event_s"] == (None, None, 0)


def test_the_section_has_a_table_and_a_wellformed_timeline_of_streamed_cases() -> None:
    page = timing_section(report(case("scenarios", 1.0, arrivals=20), case("scenarios", 0.2)))
    assert '<table class="pct">' in page and "measured on the wire in this run" in page
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    root = ET.fromstring(svg)
    ticks = [
        e for e in root.iter("{http://www.w3.org/2000/svg}line") if e.get("class") in ("ev", "ping")
    ]
    assert len(ticks) == 20  # one per event; the JSON case has no row
    assert sum(1 for e in ticks if e.get("class") == "ping") == 1


def test_a_replay_says_its_times_are_the_recorded_ones() -> None:
    page = timing_section(report(case("scenarios", 1.0, "recorded", 5), mode="replay"))
    assert "times are the recorded ones (from the cassettes), not this run&#x27;s" in page
    assert "times are the recorded ones" in "\n".join(
        timing_lines(report(case("a", 1, "recorded")))
    )


def test_cases_without_timings_are_counted_once() -> None:
    untimed = [{"suite": "scenarios", "status": 200} for _ in range(3)]
    page = timing_section(report(*untimed, mode="replay"), without="<svg>latency</svg>")
    assert page.count("timing rules did not apply to 3 case(s)") == 1
    assert page.endswith("<svg>latency</svg>")
    lines = timing_lines(report(case("a", 1.0, "recorded"), *untimed, mode="replay"))
    assert sum("did not apply to 3 case(s)" in line for line in lines) == 1
    assert timing_section(report(*untimed, mode="live")) == ""  # live: not about recordings


def test_no_timing_at_all_adds_nothing() -> None:
    assert timing_section(report({"suite": "x"})) == ""
    assert timing_lines(report()) == []


def test_markdown_rows_per_suite() -> None:
    lines = timing_lines(report(case("a", 0.5), case("b", 2.0)))
    assert "| a | 50 ms / 50 ms | — / — | 500 ms / 500 ms | 250 ms / 250 ms |" in lines
    assert "| b | 200 ms / 200 ms | — / — | 2.00 s / 2.00 s | 1.00 s / 1.00 s |" in lines


def test_timeline_scale_keeps_every_mark_inside_the_plot() -> None:
    svg = timeline_svg([case("a", 3.0, arrivals=4), case("a", 0.001, arrivals=2)])
    xs = [float(x) for x in __import__("re").findall(r'x2="([\d.]+)"', svg)]
    assert max(xs) <= 300 + 460 + 0.5

"""The casebook keeps evidence where it is needed and counts the rest (long runs stay flat)."""

from __future__ import annotations

from typing import Any

from messages_conformance.suite.casebook import EVIDENCE_KEPT, Casebook


def record(n: int, outcome: str) -> dict[str, Any]:
    return {
        "id": f"case-{n}",
        "outcome": outcome,
        "findings": [],
        "status": 200,
        "timing": {"source": "measured", "ttfb_s": 0.1, "arrivals": [[0.1, "ping"]] * 50},
        "request": {"method": "POST", "url": "/v1/messages", "body": "x" * 4096},
        "response": {"status": 200, "body": "y" * 4096},
    }


def test_failing_cases_always_keep_evidence_passing_ones_only_at_first() -> None:
    book = Casebook()
    for n in range(EVIDENCE_KEPT + 20):
        book.add(record(n, "passed"))
    book.add(record(-1, "failed"))
    cases = list(book.cases)
    assert [c["id"] for c in cases] == sorted(c["id"] for c in cases)  # in id order
    cases.sort(key=lambda c: int(c["id"].removeprefix("case-")))  # in the order they came
    passed = [c for c in cases if c["outcome"] == "passed"]
    assert len(passed) == EVIDENCE_KEPT + 20  # every case is counted
    assert all("request" in c for c in passed[:EVIDENCE_KEPT])
    late = passed[EVIDENCE_KEPT:]
    assert all("request" not in c and "response" not in c for c in late)
    assert all(c["status"] == 200 and c["timing"]["ttfb_s"] == 0.1 for c in late)
    assert all("arrivals" not in c["timing"] for c in late)
    failed = cases[0]
    assert failed["request"]["body"] and failed["timing"]["arrivals"]

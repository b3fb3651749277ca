"""A run's case records on disk (suite/spool, suite/casebook) and report.json streamed from them
(reports/report_stream): same content as before, memory bounded by a chunk, whole files only."""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.net.targets import resolve
from messages_conformance.reports import report_stream
from messages_conformance.reports.report import scrub, write_reports
from messages_conformance.suite import spool as spool_module
from messages_conformance.suite.casebook import Casebook
from messages_conformance.suite.spool import CaseSpool


def record(n: int, outcome: str = "passed", *, findings: int = 0) -> dict[str, Any]:
    return {
        "id": f"suites/test_x.py::test_{n % 97}[r{n}]",
        "suite": "x" if n % 3 else "y",
        "area": "streaming" if n % 2 else "errors",
        "outcome": outcome,
        "duration_s": n / 1000,
        "skip_reason": None,
        "findings": [
            {
                "rule": f"stream.rule-{k}",
                "severity": "warning",
                "message": 'naïve \u2028 "quoted" \t',
                "location": f"events[{k}]",
                "expected": None,
                "received": float("nan") if k == 2 else 10**30,
                "waived": False,
                "waiver_reason": None,
            }
            for k in range(findings)
        ],
        "status": 200,
        "ttfb_s": 0.01,
        "total_s": (n * 7919 % 1000) / 1000,
        "timing": {
            "source": "measured",
            "ttfb_s": 0.01,
            "first_event_s": 0.02,
            "total_s": (n * 7919 % 1000) / 1000,
            "longest_gap_s": 0.001,
            "arrivals": [[0.01, "message_start"], [0.02, "ping"]],
        },
        "request": {
            "method": "POST",
            "url": "/v1/messages",
            "headers": {"x-api-key": "k"},
            "body": "{}",
        },
        "response": {
            "status": 200,
            "headers": {"content-type": "text/event-stream"},
            "body": "event: ping\n\n",
        },
    }


def test_records_come_back_in_id_order_as_sorted_gives_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(spool_module, "MAX_RUNS", 4)  # merges of run files happen too
    records = [record(n, findings=n % 4) for n in range(1500)]
    random.Random(7).shuffle(records)
    for n, r in enumerate(records):
        r["order"] = n  # equal ids keep the order they came in
    spool = CaseSpool(chunk_bytes=8 * 1024)
    for r in records:
        spool.add(r)
    assert len(spool.runs) <= 4 and spool.runs  # on disk, in few files
    expected = json.dumps(sorted(records, key=lambda r: r["id"]))
    assert json.dumps(list(spool)) == expected
    assert json.dumps(list(spool)) == expected  # every pass reads it all again
    folder = spool.runs[0].parent
    spool.close()
    assert not folder.exists() and len(spool) == 0


def test_the_casebook_holds_a_chunk_not_the_run(tmp_path: Path) -> None:
    """Memory after 20000 cases (about 10 MB of records) stays within one spool chunk."""
    book = Casebook(folder=tmp_path)
    tracemalloc.start()
    try:
        for n in range(200):
            book.add(record(n))
        base = tracemalloc.get_traced_memory()[0]
        for n in range(200, 20200):
            book.add(record(n, "failed" if n % 1000 == 0 else "passed", findings=n % 3))
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    on_disk = sum(p.stat().st_size for p in tmp_path.rglob("*.jsonl"))
    assert on_disk > 3 * spool_module.CHUNK_BYTES  # the records went to disk
    assert grown < 1.5 * spool_module.CHUNK_BYTES + 256 * 1024, grown
    assert book._counts()["cases"] == 20200 and book.outcomes["failed"] == 20
    assert book.severities["warning"] == sum(n % 3 for n in range(200, 20200))
    book.close()
    assert not list(tmp_path.iterdir())  # the spool's folder is gone


def _report(cases: Any) -> dict[str, Any]:
    book = Casebook()
    report = book.build(
        target=resolve("local"), mode="live", faults=[], catalogue={"stream.rule-0": {}}
    )
    report["cases"] = cases
    return report


def test_report_json_from_the_spool_says_what_the_whole_report_said(tmp_path: Path) -> None:
    records = [record(n, "failed" if n == 3 else "passed", findings=n % 3) for n in range(300)]
    spool = CaseSpool(folder=tmp_path / "spool", chunk_bytes=16 * 1024)
    for r in reversed(records):
        spool.add(r)
    listed = _report(sorted(records, key=lambda r: r["id"]))
    streamed = _report(spool)
    streamed["finished_at"], streamed["duration_s"] = listed["finished_at"], listed["duration_s"]
    old, new = tmp_path / "old", tmp_path / "new"
    write_reports(listed, old)
    write_reports(streamed, new)
    text = (new / "report.json").read_text()
    # byte for byte what the whole report gave json.dumps before
    assert text == json.dumps(scrub(listed), indent=2, ensure_ascii=False) + "\n"
    assert text == (old / "report.json").read_text()
    for name in ("summary.md", "report.html"):
        assert (new / name).read_text() == (old / name).read_text(), name
    assert '"x-api-key": "[redacted]"' in text
    kept = report_stream.read(new / "report.json", keep=lambda c: c["outcome"] != "passed")
    assert [c["id"] for c in kept["cases"]] == [records[3]["id"]]
    whole = report_stream.read(new / "report.json")
    assert json.dumps(whole) == json.dumps(json.loads(text))
    compact = tmp_path / "compact.json"  # another layout: read whole, then filtered
    compact.write_text(json.dumps(json.loads(text)))
    again = report_stream.read(compact, keep=lambda c: c["outcome"] != "passed")
    assert [c["id"] for c in again["cases"]] == [records[3]["id"]]
    spool.close()


def test_an_interrupted_write_leaves_the_last_whole_file(tmp_path: Path) -> None:
    def cases() -> Any:
        yield record(1)
        raise KeyboardInterrupt  # Ctrl-C while report.json is being written

    class Again:
        def __iter__(self) -> Any:
            return cases()

    write_reports(_report([record(0)]), tmp_path)
    before = (tmp_path / "report.json").read_text()
    with pytest.raises(KeyboardInterrupt):
        write_reports(_report(Again()), tmp_path)
    assert (tmp_path / "report.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "report.html",
        "report.json",
        "summary.md",
    ]


def test_a_long_run_page_lists_some_cases_and_counts_all() -> None:
    from messages_conformance.reports.page import LISTED_CLEAN, render_html

    records = [record(n) for n in range(2 * LISTED_CLEAN + 10)]
    for r in records:
        r["area"] = "streaming"
    records[-1] = record(9999, "failed", findings=1) | {"area": "streaming"}
    page = render_html(_report(records))
    assert f"{len(records)} checks, 1 failing" in page
    assert page.count('<tr class="clean"') == LISTED_CLEAN
    assert page.count('<tr class="bad"') == 1
    assert f"{len(records) - LISTED_CLEAN - 1} more cases of this area" in page

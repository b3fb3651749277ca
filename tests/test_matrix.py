"""matrix.py: the gateway matrix (checks x targets) in Markdown and HTML."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.cli.matrix import matrix_main
from messages_conformance.reports.matrix import (
    Cell,
    build_matrix,
    cell,
    column_labels,
    render_html,
    render_markdown,
)

REPORTS = Path(__file__).parent / "data" / "reports"
ORDER = ["clean", "event-after-stop", "error-envelope", "drop-request-id"]
COLUMNS = [
    "gateway (replay)",
    "gateway (replay) +event-after-stop",
    "gateway (replay) +error-envelope",
    "gateway (replay) +drop-request-id+no-usage",
]
P, N, W = "pass", "not run", "waived"
EXPECTED = [  # area, check, one cell per column (in ORDER)
    ("auth", "test_auth::test_missing_key_401", [P, P, "fail `schema.error` (1)", P]),
    ("auth", "test_auth::test_bad_key_401", [P, P, "fail `schema.error` (2)", P]),
    ("request validation", "test_validation::test_missing_max_tokens_400", [P, P, P, P]),
    (
        "response shape",
        "test_scenarios::test_plain_text",
        [P, P, P, "fail `message.usage.missing` (3)"],
    ),
    ("response shape", "test_scenarios::test_tool_use", [P, P, P, P]),
    (
        "streaming",
        "test_streaming::test_stream_plain_text",
        [P, "fail `stream.order.after-stop` (4)", P, P],
    ),
    (
        "streaming",
        "test_streaming::test_stream_tool_use",
        [P, "fail `stream.order.after-stop` (5)", P, P],
    ),
    ("errors", "test_errors::test_overloaded_529", [P, P, "fail `http.status` (6)", P]),
    ("headers", "test_headers::test_request_id", [P, P, P, W]),
    ("recorded traffic", "test_recorded::test_corpus[real-017-citations]", [P, P, P, P]),
    ("generated", "test_generated::test_generated_requests", [N, N, N, N]),
]


def fixture(name: str) -> dict[str, Any]:
    return json.loads((REPORTS / f"gateway-{name}.json").read_text("utf-8"))


def four() -> list[dict[str, Any]]:
    return [fixture(name) for name in ORDER]


def unescape(cell_text: str) -> str:
    return re.sub(r"\\(.)", r"\1", cell_text.strip())


def table_rows(markdown: str, header_start: str) -> list[list[str]]:
    """The cells of the Markdown table whose header row starts with ``header_start``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([unescape(c) for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return [rows[0], *rows[2:]]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return matrix_main(list(argv), out, err), out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- building


def test_matrix_of_four_reports_cell_by_cell() -> None:
    text = render_markdown(build_matrix(four()))
    header, *rows = table_rows(text, "| area | check |")
    assert header == ["area", "check", *COLUMNS]
    assert len(rows) == len(EXPECTED)
    for row, (area, check, cells) in zip(rows, EXPECTED, strict=True):
        assert row[:2] == [area, check]
        for column, got, want in zip(COLUMNS, row[2:], cells, strict=True):
            assert got == want, f"{check} on {column}: {got!r} != {want!r}"


def test_fail_cells_are_numbered_to_their_evidence() -> None:
    text = render_markdown(build_matrix(four()))
    notes = text.split("Evidence:\n\n")[1].splitlines()
    envelope, usage, stop = (
        COLUMNS[2] + ': test_auth::test_{}_key_401 at /error: received "unauthorized"',
        COLUMNS[3] + ": test_scenarios::test_plain_text at /usage: missing, expected object "
        "with input_tokens, output_tokens",
        COLUMNS[1] + ": test_streaming::test_stream_{} at events[3]: received content_block_delta",
    )
    assert [unescape(n) for n in notes] == [
        "1. " + envelope.format("missing"),
        "2. " + envelope.format("bad"),
        "3. " + usage,
        "4. " + stop.format("plain_text"),
        "5. " + stop.format("tool_use"),
        "6. " + COLUMNS[2] + ": test_errors::test_overloaded_529 at status: received 500",
    ]


def test_verdict_table_counts_each_state() -> None:
    rows = table_rows(render_markdown(build_matrix(four())), "| target | verdict |")[1:]
    assert rows == [
        [COLUMNS[0], "PASS", "10", "0", "0", "1"],
        [COLUMNS[1], "FAIL", "8", "2", "0", "1"],
        [COLUMNS[2], "FAIL", "7", "3", "0", "1"],
        [COLUMNS[3], "FAIL", "8", "1", "1", "1"],
    ]


def test_cells_carry_the_first_failing_finding() -> None:
    matrix = build_matrix(four())
    item = matrix.cell("suites/test_errors.py::test_overloaded_529", COLUMNS[2])
    assert (item.state, item.rule) == ("fail", "http.status")
    assert item.finding is not None and item.finding["received"] == "500"
    assert matrix.cell("suites/test_headers.py::test_request_id", COLUMNS[3]) == Cell("waived")


def test_cell_states() -> None:
    assert cell(None) == Cell("not run")
    assert cell({"id": "a", "outcome": "skipped", "findings": []}).state == "not run"
    bare = cell({"id": "s/test_a.py::t", "outcome": "error", "findings": []})
    assert (bare.state, bare.rule, bare.evidence) == ("fail", None, "test_a::t: outcome error")
    told = cell({"id": "s/test_a.py::t", "outcome": "failed", "findings": [], "failure": "E: boom"})
    assert told.evidence == "test_a::t: E: boom"
    warned = {"rule": "w", "severity": "warning", "message": "m"}
    assert cell({"id": "a", "outcome": "passed", "findings": [warned]}).state == "pass"


def test_a_check_missing_from_one_report_is_not_run() -> None:
    reports = four()
    reports[1]["cases"] = reports[1]["cases"][1:]
    matrix = build_matrix(reports)
    assert matrix.cell("suites/test_auth.py::test_missing_key_401", COLUMNS[1]).state == "not run"
    assert len(matrix.rows) == len(EXPECTED)


def test_column_labels_are_disambiguated() -> None:
    clean, other = fixture("clean"), fixture("clean")
    other["target"]["mode"] = "live"
    assert column_labels([clean, other]) == ["gateway (replay)", "gateway (live)"]
    assert column_labels([clean, fixture("clean")]) == [
        "gateway (replay) #1",
        "gateway (replay) #2",
    ]
    faulty = fixture("event-after-stop")
    assert column_labels([clean, faulty, faulty]) == [
        "gateway (replay)",
        "gateway (replay) +event-after-stop #2",
        "gateway (replay) +event-after-stop #3",
    ]


# ---------------------------------------------------------------- HTML


def test_html_is_self_contained_and_escaped() -> None:
    reports = four()
    reports[2]["cases"][0]["findings"][0]["received"] = "<script>alert(1)</script>"
    page = render_html(build_matrix(reports))
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"<link|<img|\bsrc=|@import|url\(", page)
    assert page.count('<td class="cell c-fail">') == 6
    assert page.count('<tr class="group">') == 8


def test_matrix_html_in_chromium(page: Any, tmp_path: Path, screenshot: Any) -> None:
    paths = [str(REPORTS / f"gateway-{name}.json") for name in ORDER]
    code, out, _ = run(*paths, "--out", str(tmp_path / "matrix"))
    assert code == 0 and "matrix.html" in out
    page.goto((tmp_path / "matrix" / "matrix.html").as_uri())
    assert page.locator("#verdict").inner_text() == "GATEWAY MATRIX"
    fail = page.locator("td.c-fail details").first
    received = fail.locator("pre.received")
    assert not received.is_visible()
    fail.locator("summary").click()
    assert received.is_visible() and received.inner_text() == '"unauthorized"'
    assert fail.locator("pre.expected").is_visible()
    screenshot(page, tmp_path / "matrix.png")


# ---------------------------------------------------------------- the command


def test_command_prints_markdown_without_out() -> None:
    code, out, err = run(*(str(REPORTS / f"gateway-{n}.json") for n in ORDER))
    assert (code, err) == (0, "")
    assert out == render_markdown(build_matrix(four()))


def test_command_writes_both_files_with_out(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    shutil.copy(REPORTS / "gateway-clean.json", run_dir / "report.json")  # a run folder works
    code, _, _ = run(
        str(run_dir), str(REPORTS / "gateway-error-envelope.json"), "--out", str(tmp_path / "o")
    )
    assert code == 0
    assert (tmp_path / "o" / "matrix.md").read_text("utf-8").startswith("## Gateway matrix")
    assert "<!DOCTYPE html>" in (tmp_path / "o" / "matrix.html").read_text("utf-8")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "no such report file"),
        ("<html>", "not JSON"),
        ('{"schema_version": "1"}', "schema_version '1' is not supported"),
    ],
    ids=["missing", "not-json", "wrong-version"],
)
def test_command_exit_2_with_one_line_on_unusable_input(
    tmp_path: Path, content: str | None, words: str
) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, "utf-8")
    code, out, err = run(str(REPORTS / "gateway-clean.json"), str(bad))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("mconf matrix: error: ") and words in err
    assert "Traceback" not in err


def test_command_needs_a_report() -> None:
    assert run()[0] == 2


def test_each_target_lists_its_problems() -> None:
    matrix = build_matrix(four())
    assert matrix.problems[0] == ()  # clean
    envelope = "error: error bodies are not Anthropic error envelopes (2 cases)"
    assert matrix.problems[2][0] == envelope
    text = render_markdown(matrix)
    lines = text.split("Problems to fix, per target:\n\n")[1].split("\n\n")[0].splitlines()
    assert len(lines) == len(COLUMNS)
    assert unescape(lines[0]) == f"- {COLUMNS[0]}: none"
    assert "1. error: error bodies are not Anthropic error envelopes (2 cases)" in unescape(
        lines[2]
    )
    assert '<ol class="problems"><li>error: error bodies' in render_html(matrix)

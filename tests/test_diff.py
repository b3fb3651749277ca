"""diff.py: regressions, fixes, drift, status and header changes between two runs."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.cli.diff import diff_main
from messages_conformance.reports.changes import (
    Diff,
    Drift,
    HeaderChange,
    StatusChange,
    diff_reports,
)
from messages_conformance.reports.diff import render_markdown, to_json

REPORTS = Path(__file__).parent / "data" / "reports"
FAULTS = {
    "event-after-stop": {"stream.order.after-stop"},
    "error-envelope": {"schema.error", "http.status"},
    "drop-request-id": {"message.usage.missing"},  # http.request-id is waived
}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((REPORTS / f"gateway-{name}.json").read_text("utf-8"))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = diff_main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_a_clean_report_diffed_with_itself_shows_nothing() -> None:
    diff = diff_reports(fixture("clean"), fixture("clean"))
    assert diff.is_empty and not diff.has_regressions
    assert render_markdown(diff).endswith("\nNo changes.\n")
    assert all(v in ([], False) for k, v in to_json(diff).items() if k not in ("old", "new"))


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_clean_vs_faulty_shows_exactly_the_faults_rules(fault: str) -> None:
    diff = diff_reports(fixture("clean"), fixture(fault))
    assert {r.rule for r in diff.regressions} == FAULTS[fault]
    assert diff.has_regressions and not diff.fixed


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_faulty_vs_clean_shows_the_rules_as_fixed(fault: str) -> None:
    diff = diff_reports(fixture(fault), fixture("clean"))
    assert {r.rule for r in diff.fixed} == FAULTS[fault]
    assert not diff.regressions and not diff.has_regressions
    assert diff.repaired_cases and not diff.broken_cases


def test_regressions_carry_their_cases_and_evidence() -> None:
    diff = diff_reports(fixture("clean"), fixture("event-after-stop"))
    (change,) = diff.regressions
    assert change.cases == (
        "suites/test_streaming.py::test_stream_plain_text",
        "suites/test_streaming.py::test_stream_tool_use",
    )
    assert change.evidence == (
        "test_streaming::test_stream_plain_text at events[3]: received content_block_delta"
    )
    assert diff.broken_cases == change.cases


def test_a_rule_failing_in_both_is_not_a_regression() -> None:
    diff = diff_reports(fixture("event-after-stop"), fixture("event-after-stop"))
    assert diff.is_empty


def test_a_case_failing_without_a_rule_is_a_regression() -> None:
    new = fixture("clean")
    new["cases"][4]["outcome"] = "error"
    diff = diff_reports(fixture("clean"), new)
    assert diff.broken_cases == ("suites/test_scenarios.py::test_tool_use",)
    assert diff.has_regressions and not diff.regressions
    assert "### Cases that started failing without a new rule (1)" in render_markdown(diff)


def test_notices_appear_and_vanish_by_rule_location_and_value() -> None:
    diff = diff_reports(fixture("clean"), fixture("drop-request-id"))
    case = "suites/test_recorded.py::test_corpus[real-017-citations]"
    assert diff.new_notices == (
        Drift("stream.event.unknown", "events[4]", "citations_delta", (case,)),
    )
    (gone,) = diff.vanished_notices
    assert (gone.rule, gone.location, gone.cases) == (
        "schema.message.unknown-field",
        "/content/0/citations",
        (case,),
    )


def test_a_notice_with_a_new_value_is_drift() -> None:
    old, new = fixture("clean"), fixture("clean")
    new["cases"][9]["findings"][0]["received"] = '["new enum value"]'
    diff = diff_reports(old, new)
    assert [d.received for d in diff.new_notices] == ['["new enum value"]']
    assert len(diff.vanished_notices) == 1 and not diff.has_regressions


def test_status_and_header_changes() -> None:
    diff = diff_reports(fixture("clean"), fixture("error-envelope"))
    assert diff.status_changes == (
        StatusChange("suites/test_errors.py::test_overloaded_529", 529, 500),
    )
    assert len(diff.header_changes) == 10
    assert set(diff.header_changes) == {
        HeaderChange(cid, ("x-gateway-trace",), ())
        for cid in (c["id"] for c in fixture("clean")["cases"] if c["response"])
    }


def test_volatile_headers_are_ignored() -> None:
    old, new = fixture("clean"), fixture("clean")
    headers = new["cases"][3]["response"]["headers"]
    del headers["date"], headers["request-id"], headers["anthropic-ratelimit-requests-remaining"]
    headers.update({"CF-Ray": "8f00", "anthropic-ratelimit-tokens-reset": "x", "Date": "now"})
    assert diff_reports(old, new).is_empty
    headers["X-New-Header"] = "1"
    del headers["content-type"]
    assert diff_reports(old, new).header_changes == (
        HeaderChange(
            "suites/test_scenarios.py::test_plain_text", ("x-new-header",), ("content-type",)
        ),
    )


def test_waivers_that_can_go() -> None:
    assert diff_reports(fixture("drop-request-id"), fixture("clean")).waivers_to_drop == (
        "http.content-type",
    )
    assert diff_reports(fixture("clean"), fixture("drop-request-id")).waivers_to_drop == ()


def test_cases_added_and_removed() -> None:
    old, new = fixture("clean"), fixture("clean")
    gone = new["cases"].pop(0)
    diff = diff_reports(old, new)
    assert diff.cases_removed == (gone["id"],) and diff.cases_added == ()
    assert "### Cases removed (1)" in render_markdown(diff)


def test_diff_is_a_frozen_value() -> None:
    diff = diff_reports(fixture("clean"), fixture("clean"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        diff.regressions = ()  # type: ignore[misc]
    assert isinstance(diff, Diff)


def test_markdown_lists_each_section() -> None:
    text = render_markdown(diff_reports(fixture("clean"), fixture("error-envelope")))
    assert text.startswith("## mconf diff: REGRESSIONS\n")
    assert "### Regressions (2)" in text and "| `schema.error` |" in text
    assert "### New notices (drift) (1)" in text
    assert "| test\\_errors::test\\_overloaded\\_529 | 529 | 500 |" in text
    assert "### Response header names changed (10)" in text
    assert "Cases that started failing without a new rule" not in text  # all explained


def test_to_json_is_plain_json() -> None:
    data = to_json(diff_reports(fixture("clean"), fixture("error-envelope")))
    assert json.loads(json.dumps(data)) == data
    assert data["has_regressions"] is True
    assert data["status_changes"] == [
        {"case": "suites/test_errors.py::test_overloaded_529", "old": 529, "new": 500}
    ]


# ---------------------------------------------------------------- the command


def test_command_exit_1_on_regressions_and_0_otherwise() -> None:
    clean, faulty = (
        str(REPORTS / "gateway-clean.json"),
        str(REPORTS / "gateway-error-envelope.json"),
    )
    code, out, err = run(clean, faulty)
    assert (code, err) == (1, "") and out.startswith("## mconf diff: REGRESSIONS")
    code, out, _ = run(faulty, clean)
    assert code == 0 and "### Fixed (2)" in out


def test_command_json_format_and_run_folders(tmp_path: Path) -> None:
    for name in ("old", "new"):
        (tmp_path / name).mkdir()
    shutil.copy(REPORTS / "gateway-clean.json", tmp_path / "old" / "report.json")
    shutil.copy(REPORTS / "gateway-event-after-stop.json", tmp_path / "new" / "report.json")
    code, out, _ = run(str(tmp_path / "old"), str(tmp_path / "new"), "--format", "json")
    assert code == 1
    assert [r["rule"] for r in json.loads(out)["regressions"]] == ["stream.order.after-stop"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "no such report file"),
        ("not json at all", "not JSON"),
        ('{"schema_version": 0}', "schema_version 0 is not supported"),
        ('{"schema_version": 1}', "not a valid report"),
    ],
    ids=["missing", "not-json", "old-version", "wrong-shape"],
)
def test_command_exit_2_with_one_line_on_unusable_input(
    tmp_path: Path, content: str | None, words: str
) -> None:
    bad = tmp_path / "report.json"
    if content is not None:
        bad.write_text(content, "utf-8")
    code, out, err = run(str(REPORTS / "gateway-clean.json"), str(bad))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("mconf diff: error: ") and words in err
    assert "Traceback" not in err


def test_command_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(str(REPORTS / "gateway-clean.json"))[0] == 2
    assert run("a", "b", "--format", "yaml")[0] == 2
    assert capsys.readouterr().err == ""  # the message went to run's err (one line)
    code, _, err = run("a", "b", "--format", "yaml")
    assert code == 2 and err.count("\n") == 1 and "see `mconf diff --help`" in err, err


def test_problems_that_appear_and_go_are_listed_first() -> None:
    old, new = fixture("clean"), fixture("error-envelope")
    diff = diff_reports(old, new)
    assert [p.key for p in diff.new_problems] == ["envelope", "http.status:status"]
    assert diff.new_problems[0].severity == "error" and diff.new_problems[0].cases == 2
    assert diff_reports(new, old).gone_problems == diff.new_problems
    text = render_markdown(diff)
    assert text.index("### New problems (2)") < text.index("### Regressions")
    assert "- **error**: error bodies are not Anthropic error envelopes (2 cases) `envelope`" in (
        text
    )
    # a report that carries its problems (report.json `problems`) is read as it says
    listed = {**new, "problems": [{"key": "k", "severity": "warning", "title": "t", "cases": 1}]}
    assert [p.key for p in diff_reports(old, listed).new_problems] == ["k"]
    assert to_json(diff)["new_problems"][0]["key"] == "envelope"

"""report.py: report.json / summary.md / report.html writers, load_report, update_latest.

Also the CI workflow (.github/workflows/conformance.yml), whose job is to publish these files.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from messages_conformance.reports import page as page_module
from messages_conformance.reports import views
from messages_conformance.reports.markdown import render_summary
from messages_conformance.reports.page import render_html
from messages_conformance.reports.report import (
    UnusableReport,
    load_report,
    update_latest,
    validate_report,
    write_reports,
)

REPO = Path(__file__).resolve().parents[1]
REPORTS = Path(__file__).parent / "data" / "reports"
FIXTURES = sorted(REPORTS.glob("*.json"))
SCHEMA = json.loads(
    (REPO / "src" / "messages_conformance" / "reports" / "report.schema.json").read_text("utf-8")
)
WORKFLOW = REPO / ".github" / "workflows" / "conformance.yml"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((REPORTS / f"gateway-{name}.json").read_text("utf-8"))


def big_report(cases: int = 600, rules: int = 40) -> dict[str, Any]:
    """A large failing report: many cases, many rules, a few notices and stale waivers."""
    report = fixture("clean")
    template = report["cases"][3]
    report["cases"] = []
    for i in range(cases):
        case = copy.deepcopy(template)
        case["id"] = f"suites/test_generated.py::test_generated[{i}]"
        case["area"] = "generated"
        case["outcome"] = "failed"
        case["findings"] = [
            {
                "rule": f"schema.rule-{i % rules}",
                "severity": "error",
                "message": "m",
                "location": f"/x/{i}",
                "expected": "a",
                "received": "b | <c>",
                "waived": False,
                "waiver_reason": None,
            },
            {
                "rule": "schema.notice",
                "severity": "notice",
                "message": "n",
                "location": "/y",
                "expected": None,
                "received": "z",
                "waived": False,
                "waiver_reason": None,
            },
        ]
        report["cases"].append(case)
    report["waivers"] = [{"rule": f"w.{i}", "reason": "r", "matched": False} for i in range(30)]
    report["counts"].update(cases=cases, passed=0, failed=cases, skipped=0, errors=0)
    report["counts"]["findings"] = {"error": cases, "warning": 0, "notice": cases}
    report["verdict"] = "fail"
    return report


# ---------------------------------------------------------------- schema and loading


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture_reports_match_the_schema(path: Path) -> None:
    data = json.loads(path.read_text("utf-8"))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert validate_report(data) is None


def test_the_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: r.update(schema_version=2), "schema_version 2 is not supported"),
        (lambda r: r.pop("cases"), "'cases' is a required property"),
        (lambda r: r.update(verdict="maybe"), "/verdict"),
        (lambda r: r["cases"][0].update(outcome="exploded"), "/cases/0/outcome"),
        (lambda r: r["cases"][0]["findings"].append({"rule": "x"}), "/cases/0/findings/0"),
    ],
    ids=["version", "no-cases", "verdict", "outcome", "finding"],
)
def test_validate_report_names_the_problem(change: Any, words: str) -> None:
    report = fixture("clean")
    change(report)
    problem = validate_report(report)
    assert problem is not None and words in problem
    assert "\n" not in problem


def test_load_report_accepts_a_file_or_a_run_folder(tmp_path: Path) -> None:
    shutil.copy(REPORTS / "gateway-clean.json", tmp_path / "report.json")
    assert load_report(tmp_path)["target"]["name"] == "gateway"
    assert load_report(tmp_path / "report.json") == fixture("clean")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "no such report file"),
        ("{not json", "not JSON"),
        ('{"schema_version": 2}', "schema_version 2 is not supported"),
        ("[1, 2]", "top level is list"),
    ],
    ids=["missing", "not-json", "version", "not-object"],
)
def test_load_report_raises_one_line_for_unusable_files(
    tmp_path: Path, content: str | None, words: str
) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content, "utf-8")
    with pytest.raises(UnusableReport) as info:
        load_report(path)
    assert words in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_load_report_of_a_folder_without_report(tmp_path: Path) -> None:
    with pytest.raises(UnusableReport, match=r"no report\.json here, in latest/"):
        load_report(tmp_path)


# ---------------------------------------------------------------- write_reports


def test_write_reports_writes_three_files_and_a_valid_report(tmp_path: Path) -> None:
    paths = write_reports(fixture("error-envelope"), tmp_path / "run")
    assert set(paths) == {"json", "summary", "html"}
    assert [p.name for p in paths.values()] == ["report.json", "summary.md", "report.html"]
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())
    assert load_report(paths["json"]) == fixture("error-envelope")


def test_write_reports_redacts_credential_headers(tmp_path: Path) -> None:
    report = fixture("clean")
    report["cases"][0]["request"]["headers"]["x-api-key"] = "sk-ant-secret-123"
    report["cases"][0]["request"]["headers"]["Authorization"] = "Bearer sk-ant-secret-456"
    report["cases"][0]["findings"].append(
        {"rule": "r", "severity": "notice", "message": "m", "location": "", "waived": False}
    )
    paths = write_reports(report, tmp_path)
    for path in paths.values():
        text = path.read_text("utf-8")
        assert "sk-ant-secret" not in text, path.name
    assert report["cases"][0]["request"]["headers"]["x-api-key"] == "sk-ant-secret-123"


# ---------------------------------------------------------------- summary.md


def test_summary_of_a_failing_run() -> None:
    text = render_summary(fixture("drop-request-id"))
    lines = text.splitlines()
    assert lines[0] == "## messages-conformance: FAIL"
    assert "gateway" in text and "mode: replay" in text and "drop-request-id, no-usage" in text
    assert "| 11 | 9 | 1 | 1 | 0 | 1 | 1 | 1 |" in lines  # waived findings are not counted
    usage = next(line for line in lines if "`message.usage.missing`" in line)
    assert "| error | 1 |" in usage and "test\\_scenarios::test\\_plain\\_text at /usage" in usage
    assert "http.request-id" not in text.split("### Top failing rules")[1]  # waived
    assert "Notices (drift, never fail a run): 1." in text


def test_summary_lists_waivers_that_can_go_and_a_clean_verdict() -> None:
    text = render_summary(fixture("clean"))
    assert text.startswith("## messages-conformance: PASS\n")
    assert "No unwaived error or warning findings." in text
    assert "### Waivers that can go" in text and "`http.content-type`" in text


def test_summary_of_a_big_report_stays_short_and_has_no_emoji() -> None:
    text = render_summary(big_report())
    assert len(text.splitlines()) <= 60
    assert "… and 30 more rules" in text
    assert "## messages-conformance: FAIL" in text
    assert not re.search("[\U0001f300-\U0001faff\u2600-\u27bf]", text)


def test_summary_table_cells_cannot_break_the_table() -> None:
    report = big_report(cases=3, rules=3)
    rows = [line for line in render_summary(report).splitlines() if "`schema.rule-" in line]
    assert len(rows) == 3
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 5  # 4 cells, nothing leaks
        assert "<c>" not in row and "\\<c\\>" in row


def test_failed_cases_without_findings_show_their_failure() -> None:
    report = fixture("clean")
    report["cases"][0].update(outcome="failed", failure="AssertionError: assert 500 == 401")
    text = render_summary(report)
    assert "Failed without a rule finding: 1 case(s): `test_auth::test_missing_key_401`." in text
    assert "First failure: AssertionError: assert 500 == 401" in text
    assert '<pre class="failure">AssertionError: assert 500 == 401</pre>' in render_html(report)


def test_runner_extras_are_valid() -> None:
    report = fixture("clean")
    report["cases"][0].update(area="other", exchanges=2, failure=None)
    report["cases"][0]["response"]["body"] = "x" * 4096 + "…"  # the runner's cut excerpt
    assert validate_report(report) is None
    report["cases"][0]["response"]["body"] += "more"
    assert "/cases/0/response/body" in str(validate_report(report))
    headings = re.findall(r'<section class="area"><h2>([^<]+) <span', render_html(report))
    assert headings[-1] == "other"


# ---------------------------------------------------------------- report.html


def test_html_escapes_bodies_and_values() -> None:
    report = fixture("clean")
    report["cases"][3]["response"]["body"] = '<script>alert("x")</script>'
    page = render_html(report)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" not in page  # only failing cases
    report["cases"][3]["outcome"] = "failed"
    page = render_html(report)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # the page's own inline script


def test_html_is_self_contained() -> None:
    page = render_html(fixture("error-envelope"))
    assert not re.search(r"<link|<img|<iframe|\bsrc=|@import|url\(|@font-face", page)
    assert not re.search(r'href="(?!#)', page)


def test_html_groups_checks_by_area_in_documented_order() -> None:
    page = render_html(fixture("clean"))
    headings = re.findall(r'<section class="area"><h2>([^<]+) <span', page)
    assert headings == list(views.AREAS)


def test_html_shows_each_finding_with_expected_and_received() -> None:
    page = render_html(fixture("error-envelope"))
    assert page.count('<details class="finding">') == 5
    assert '<pre class="expected">{&quot;type&quot;:&quot;authentication_error&quot;' in page
    assert '<pre class="received">&quot;unauthorized&quot;</pre>' in page
    assert page.count('<details class="exchange">') == 5  # 3 failed cases + 2 with notices


def test_latency_chart_is_wellformed_svg_with_one_bar_per_timed_case() -> None:
    page = render_html(fixture("clean"))
    svg = re.search(r"<svg.*?</svg>", page, re.S)
    assert svg is not None
    root = ET.fromstring(svg.group(0))
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(f"{ns}rect") if r.get("class") == "total"]
    ttfb = [r for r in root.iter(f"{ns}rect") if r.get("class") == "ttfb"]
    assert len(bars) == 9 + 1 and len(ttfb) == 9 + 1  # 9 timed cases + the legend swatch
    widths = {float(r.get("width", 0)) for r in bars[:-1]}
    assert max(widths) <= page_module._BAR_W


@pytest.mark.parametrize("top", [0.0004, 0.003, 0.052, 0.9, 7.5, 130.0])
def test_latency_axis_ticks_cover_the_slowest_case(top: float) -> None:
    case = {"id": "suites/test_a.py::test_b", "total_s": top, "ttfb_s": top / 2}
    svg = page_module.latency_svg([case])
    ticks = re.findall(r'class="tick">([^<]+)<', svg)
    assert 2 <= len(ticks) <= 11, ticks
    assert ticks[0] == "0 ms"


def test_html_banner_for_an_untestable_target() -> None:
    report = fixture("clean")
    report["verdict"] = "error"
    page = render_html(report)
    assert '<header class="banner v-error"><div class="verdict" id="verdict">ERROR</div>' in page


# ---------------------------------------------------------------- update_latest


def test_update_latest_points_at_the_newest_run(tmp_path: Path) -> None:
    first, second = tmp_path / "2025-01-01T00-00-00-local", tmp_path / "2025-01-02T00-00-00-local"
    write_reports(fixture("clean"), first)
    write_reports(fixture("error-envelope"), second)
    latest = update_latest(tmp_path, first)
    assert latest == tmp_path / "latest" and latest.is_symlink()
    assert os.readlink(latest) == first.name  # relative: the folder can move
    update_latest(tmp_path, second)
    assert load_report(tmp_path / "latest")["target"]["faults"] == ["error-envelope"]
    assert (tmp_path / "latest" / "summary.md").is_file()
    assert not list(tmp_path.glob(".latest*"))


def test_update_latest_falls_back_to_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tmp_path / "run-1"
    write_reports(fixture("clean"), run)
    update_latest(tmp_path, run)  # a symlink first, then a copy replaces it

    def no_symlinks(self: Path, *args: Any, **kwargs: Any) -> None:
        raise OSError("symbolic links are not supported here")

    monkeypatch.setattr(Path, "symlink_to", no_symlinks)
    run2 = tmp_path / "run-2"
    write_reports(fixture("event-after-stop"), run2)
    latest = update_latest(tmp_path, run2)
    assert latest.is_dir() and not latest.is_symlink()
    assert load_report(latest)["target"]["faults"] == ["event-after-stop"]
    assert (run / "report.json").is_file()  # the old target was not touched
    monkeypatch.undo()
    update_latest(tmp_path, run)  # and back to a symlink over the copy
    assert (tmp_path / "latest").is_symlink()


# ---------------------------------------------------------------- in a real browser


def test_report_html_in_chromium(page: Any, tmp_path: Path, screenshot: Any) -> None:
    report = fixture("error-envelope")
    report["cases"][0]["response"]["body"] = "<script>document.title='owned'</script>"
    html_path = write_reports(report, tmp_path / "run")["html"]
    page.goto(html_path.as_uri())
    assert page.locator("#verdict").inner_text() == "FAIL"
    assert page.locator("#verdict").is_visible()
    assert page.title() == "messages-conformance: FAIL"
    finding = page.locator("details.finding").first
    expected, received = finding.locator("pre.expected"), finding.locator("pre.received")
    assert not expected.is_visible()
    finding.locator("summary").click()
    assert expected.is_visible() and received.is_visible()
    assert received.inner_text() == '"unauthorized"'
    page.locator("#only-bad").check()
    assert not page.locator("tr.clean").first.is_visible()
    page.locator("#only-bad").uncheck()
    screenshot(page, tmp_path / "report.png")


# ---------------------------------------------------------------- the CI workflow

ALLOWED = {
    "run": {"--target", "--base-url", "--mode", "--suite", "-n", "--report-dir"},
    "diff": {"--format"},
    "matrix": {"--out"},
    "validate": {"--format"},
}
CHOICES = {
    ("run", "--mode"): {"replay", "record", "live"},
    ("diff", "--format"): {"markdown", "json"},
    ("validate", "--format"): {"text", "json"},
}
POSITIONALS = {"run": (0, 0), "diff": (2, 2), "matrix": (1, 99), "validate": (1, 99)}


def workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def mconf_commands() -> list[list[str]]:
    """Every `mconf ...` command line in the workflow's run steps, as shell words."""
    commands = []
    for job in workflow()["jobs"].values():
        for step in job["steps"]:
            script = re.sub(r"\$\{\{.*?\}\}", "EXPR", step.get("run", "")).replace("\\\n", " ")
            for match in re.finditer(r"(?:^|[\s;&|(])(mconf\s[^\n;&|)]*)", script):
                commands.append(shlex.split(match.group(1)))
    return commands


def problems(words: list[str]) -> list[str]:
    command, rest = words[1], words[2:]
    if command not in ALLOWED:
        return [f"unknown subcommand {command}"]
    found, positionals, i = [], 0, 0
    while i < len(rest):
        word = rest[i]
        if word.startswith("-"):
            if word not in ALLOWED[command]:
                found.append(f"{command}: unknown flag {word}")
            value = rest[i + 1] if i + 1 < len(rest) else None
            allowed = CHOICES.get((command, word))
            if value is None or (allowed and value not in allowed):
                found.append(f"{command} {word}: bad value {value}")
            i += 2
        else:
            positionals, i = positionals + 1, i + 1
    low, high = POSITIONALS[command]
    if not low <= positionals <= high:
        found.append(f"{command}: {positionals} positional arguments")
    return found


def test_workflow_is_valid_yaml_with_both_triggers() -> None:
    data = workflow()
    triggers = data.get("on", data.get(True))
    assert {"push", "schedule", "workflow_dispatch"} <= set(triggers)
    assert triggers["schedule"][0]["cron"]
    assert set(data["jobs"]) == {"tests", "replay", "record"}


def test_workflow_uses_only_known_mconf_commands() -> None:
    commands = mconf_commands()
    assert {c[1] for c in commands} == {"run", "diff"}
    assert [p for c in commands for p in problems(c)] == []


def test_workflow_checker_rejects_unknown_flags() -> None:
    assert problems(["mconf", "run", "--mode", "replay", "--api-key-env", "X"])
    assert problems(["mconf", "run", "--mode", "sideways"])
    assert problems(["mconf", "diff", "a"])
    assert problems(["mconf", "serve"])
    assert not problems(["mconf", "matrix", "a", "b", "--out", "d"])


def test_workflow_publishes_reports_and_summaries() -> None:
    text = WORKFLOW.read_text("utf-8")
    jobs = workflow()["jobs"]
    for name, job in jobs.items():
        if name == "tests":  # the project's own tests publish junit, not reports
            continue
        uploads = [
            s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact")
        ]
        assert any("reports/" in s["with"]["path"] for s in uploads)
        assert all(s.get("if", "").startswith("always()") for s in uploads)
    assert text.count('cat reports/latest/summary.md >> "$GITHUB_STEP_SUMMARY"') == 2
    record = jobs["record"]
    run = next(s for s in record["steps"] if "--mode record" in s.get("run", ""))
    assert "secrets." in run["env"]["MCONF_API_KEY"] and "vars.MCONF_TARGET" in run["env"]["TARGET"]
    assert '--target "$TARGET"' in run["run"]
    diff = next(s for s in record["steps"] if "mconf diff" in s.get("run", ""))
    assert "steps.previous.outputs.found == 'true'" in diff["if"]
    assert "pip install -c constraints.txt -e ." in text

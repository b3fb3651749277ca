"""Problems on real runs of the reference gateway (issue 16): one entry per injected fault on a
recorded run and its replay, the first screen of every report names them (terminal, summary.md,
report.html above the fold in Chromium), foreign envelopes, stub attribution, labels, spend."""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.cli import main as cli

# fault -> the problem key it must make (one each, nothing else, when combined)
COMBINED = {
    "openai-error-body": "envelope",
    "no-request-id": "http.request-id:header:request-id",
    "unknown-stop-reason": "field:stop_reason",
    "done-terminator": "sse.data-not-json:events[*]",
    "accept-invalid": "rejection",
    "wrong-block-index": "stream.block.index:events[*]/index",
    "bad-key-403": "status:403 permission_error for 401 authentication_error",
    "ignore-stop-sequences": "behaviour.stop-sequence",
}
FAULTS = [item for fault in COMBINED for item in ("--fault", fault)]
# every suite but the generated one (its own helper reworks it) and, on replay, the recorded
# one (which would judge the cassettes this very run recorded)
SUITES = ("auth", "headers", "requests", "scenarios", "streaming", "errors", "clients")


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.run(["run", "-q", "--no-progress", *argv], out)
    return code, out.getvalue()


def suites(*names: str) -> list[str]:
    return [item for name in names for item in ("--suite", name)]


def latest(report_dir: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((report_dir / "latest" / "report.json").read_text())
    return report


def counted_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        f
        for case in report["cases"]
        for f in case["findings"]
        if f["severity"] != "notice" and not f["waived"]
    ]


def mconf_lines(out: str) -> list[str]:
    """What mconf printed after pytest's own output: from the verdict line on."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("mconf: FAIL"))
    return lines[start:]


def described(report: dict[str, Any]) -> None:
    """The report validates against report.schema.json, which names every key it has."""
    import jsonschema

    from messages_conformance.reports import report as reports

    schema = json.loads(Path(reports.__file__).with_name("report.schema.json").read_text())
    jsonschema.validate(report, schema)
    defs = schema["$defs"]
    assert set(report) <= set(schema["properties"])
    assert set(report["target"]) <= set(schema["properties"]["target"]["properties"])
    for case in report["cases"]:
        assert set(case) <= set(defs["case"]["properties"]), case["id"]
        for finding in case["findings"]:
            assert set(finding) <= set(defs["finding"]["properties"])
    for problem in report["problems"]:
        assert set(problem) <= set(defs["problem"]["properties"])


def test_combined_faults_make_one_problem_each_recorded_and_replayed(tmp_path: Path) -> None:
    where = ["--label", "faulty", "--cassette-dir", str(tmp_path / "cassettes")]
    recording = ["--mode", "record", "--report-dir", str(tmp_path / "rec")]
    code, out = run(*FAULTS, *where, *suites(*SUITES, "recorded"), *recording)
    assert code == 1, out
    recorded = latest(tmp_path / "rec")
    assert recorded["target"]["label"] == recorded["target"]["name"] == "faulty"
    assert (tmp_path / "cassettes" / "faulty" / "test_scenarios").is_dir()
    code, replay_out = run(
        *where, *suites(*SUITES), "--mode", "replay", "--report-dir", str(tmp_path / "rep")
    )
    assert code == 1, replay_out
    replayed = latest(tmp_path / "rep")
    for report in (recorded, replayed):
        keys = sorted(p["key"] for p in report["problems"])
        assert keys == sorted(COMBINED.values()), [p["key"] for p in report["problems"]]
        counted = counted_findings(report)
        sev = report["counts"]["findings"]
        assert len(counted) == sev["error"] + sev["warning"] > 300  # as before grouping
        assert report["problem_totals"]["findings"] == len(counted)
        assert sum(p["findings"] for p in report["problems"]) == len(counted)
        assert all(isinstance(f.get("problem"), int) for f in counted)
        assert [p["number"] for p in report["problems"]] == list(range(1, len(COMBINED) + 1))
    assert recorded["counts"]["findings"] == replayed["counts"]["findings"]
    # the terminal: verdict, then the numbered list naming every problem, the warning on every
    # response on one line
    lines = mconf_lines(out)
    assert lines[1].startswith(f"mconf: {len(COMBINED)} problem(s) to fix"), lines[:3]
    numbered = [line for line in lines if line.startswith("  ") and line[2].isdigit()]
    assert [line.split(".")[0].strip() for line in numbered] == [
        str(n) for n in range(1, len(COMBINED) + 1)
    ]
    for problem in recorded["problems"]:
        assert any(problem["title"].rstrip(".") in line for line in numbered), problem["title"]
    warning = next(p for p in recorded["problems"] if p["severity"] == "warning")
    assert warning["everywhere"] and warning["key"].startswith("http.request-id")
    (request_id,) = [line for line in numbered if "request-id" in line]
    assert "on every response: " in request_id
    after = lines[lines.index(request_id) + 1]
    assert not after.startswith("     first:")  # collapsed to its one line


def test_summary_md_and_the_terminal_open_with_the_problems(tmp_path: Path) -> None:
    chosen = ["--fault", "done-terminator", "--fault", "no-request-id"]
    code, out = run(*chosen, *suites("scenarios", "auth"), "--report-dir", str(tmp_path))
    assert code == 1
    report = latest(tmp_path)
    keys = [p["key"] for p in report["problems"]]
    assert keys == ["sse.data-not-json:events[*]", "http.request-id:header:request-id"]
    summary = (tmp_path / "latest" / "summary.md").read_text().splitlines()
    assert summary[0] == "## messages-conformance: FAIL"
    assert summary[2].startswith("Target: local ") and "claude-sonnet-4-6" in summary[2]
    assert summary[4] == "### Problems to fix: 2"
    assert summary[6].startswith("1. **error**: ") and "sse.data-not-json" in "\n".join(summary)
    assert summary[7].startswith("   - first: ")
    second = next(line for line in summary if line.startswith("2. "))
    assert second.startswith("2. **warning**: on every response: ")
    assert summary.index(second) < summary.index("### Top failing rules (errors, then warnings)")
    curl = next(line.strip() for line in summary if line.strip().startswith("curl "))
    assert '"x-api-key: $MCONF_GATEWAY_API_KEY"' in curl and "mconf-local-key" not in curl
    described(report)
    lines = mconf_lines(out)
    assert lines[1].startswith("mconf: 2 problem(s) to fix")
    assert lines[2].startswith("  1. error: ") and "[sse.data-not-json]" in lines[2]
    assert lines[3].startswith("     first: test_")
    assert lines[4].startswith("     reproduce: curl -sS -N -X POST 'http://127.0.0.1:")


def test_report_html_opens_on_the_problem_list(
    tmp_path: Path, page: Any, screenshot: Callable[[Any, Path], Path]
) -> None:
    code, _ = run(*FAULTS, *suites(*SUITES), "--report-dir", str(tmp_path))
    assert code == 1
    report = latest(tmp_path)
    page.goto((tmp_path / "latest" / "report.html").resolve().as_uri())
    fold = page.viewport_size["height"]
    items = page.locator("ol.problems > li.problem")
    assert items.count() == len(COMBINED) == len(report["problems"])
    for index in range(items.count()):
        box = items.nth(index).bounding_box()
        assert box is not None and box["y"] + box["height"] <= fold, f"problem {index + 1}"
    heading = page.locator("section.problems h2").bounding_box()
    cards = page.locator("section.cards").bounding_box()
    assert heading is not None and cards is not None and heading["y"] < cards["y"]
    assert page.locator("ol.problems").inner_text().startswith(report["problems"][0]["severity"])
    screenshot(page, tmp_path / "report-problems.png")  # the whole page, as an artifact
    first_screen = tmp_path / "report-first-screen.png"  # and what a reader sees first
    page.screenshot(path=str(first_screen))
    assert first_screen.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("MCONF_SCREENSHOT_DIR"):
        folder = Path(os.environ["MCONF_SCREENSHOT_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(first_screen, folder / first_screen.name)


def test_a_foreign_envelope_is_blamed_once_and_its_error_types_are_read(tmp_path: Path) -> None:
    code, out = run(
        *suites("auth", "errors", "requests"), "--fault", "openai-error-body",
        "--report-dir", str(tmp_path),
    )  # fmt: skip
    assert code == 1
    report = latest(tmp_path)
    assert [p["key"] for p in report["problems"]] == ["envelope"]
    rules = {f["rule"] for f in counted_findings(report)}
    assert rules == {"http.error-envelope", "schema.error"}, rules  # 401 with its type: fine
    assert "got 401" not in out


def test_a_stub_upstream_turns_model_behaviour_into_notices(tmp_path: Path) -> None:
    profiles = tmp_path / "targets.toml"
    profiles.write_text(
        '[stubbed]\nbase_url = "embedded"\nkey_env = "MCONF_GATEWAY_API_KEY"\n'
        "stub_upstream = true\nmax_request_bytes = 65536\n"
    )
    argv = [*suites("scenarios"), "--fault", "ignore-stop-sequences", "-k", "stop_sequence"]
    code, out = run(
        "--target", "stubbed", "--targets-file", str(profiles), *argv,
        "--report-dir", str(tmp_path / "stub"),
    )  # fmt: skip
    assert code == 0, out
    stubbed = latest(tmp_path / "stub")
    notices = [f for c in stubbed["cases"] for f in c["findings"]]
    assert notices and {f["severity"] for f in notices} == {"notice"}
    assert all("upstream is a stub" in f["message"] for f in notices)
    assert stubbed["target"]["stub_upstream"] is True and stubbed["problems"] == []
    code, _ = run("--target", "local", *argv, "--report-dir", str(tmp_path / "model"))
    assert code == 1  # the same answers fail a target whose upstream is a model
    assert [p["key"] for p in latest(tmp_path / "model")["problems"]] == ["behaviour.stop-sequence"]


def test_a_base_url_target_gets_a_label_and_features_without_a_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from messages_conformance.gateway import GatewayConfig, serve_in_thread

    monkeypatch.setenv("GW_KEY", "gw-test-key")
    with serve_in_thread(GatewayConfig(api_keys=("gw-test-key",))) as gateway:
        target = ["--base-url", gateway.base_url, "--api-key-env", "GW_KEY", *suites("errors")]
        code, out = run(*target, "--report-dir", str(tmp_path / "plain"))
        assert code == 0, out
        plain = latest(tmp_path / "plain")["counts"]
        assert plain["skipped"] == plain["cases"]  # feature-gated: not reachable by default
        code, out = run(*target, "--feature", "error-statuses", "--report-dir", str(tmp_path))
    assert code == 0, out
    report = latest(tmp_path)
    port = gateway.base_url.rsplit(":", 1)[1].strip("/")
    label = f"127.0.0.1-{port}-claude-sonnet-4-6"
    assert report["target"]["label"] == report["target"]["name"] == label
    assert f"target={label} " in out
    assert report["counts"]["skipped"] == 0 and report["counts"]["passed"] > 0
    spend = report["spend"]
    assert spend["suites"]["errors"]["requests"] == spend["total"]["requests"] > 0
    assert sum(c["exchanges"] for c in report["cases"]) == spend["total"]["requests"]
    assert "mconf: spend: " in out and f"{spend['total']['requests']} requests" in out
    assert "gw-test-key" not in (tmp_path / "latest" / "report.json").read_text()


def test_spend_is_stated_against_the_budgets_in_every_report(tmp_path: Path) -> None:
    code, out = run(
        *suites("scenarios"), "-k", "plain_text", "--max-requests", "50",
        "--max-output-tokens", "5000", "--report-dir", str(tmp_path),
    )  # fmt: skip
    assert code == 0, out
    report = latest(tmp_path)
    spend = report["spend"]
    total = spend["total"]
    assert spend["budgets"] == {"max_requests": 50, "max_output_tokens": 5000}
    assert total["requests"] == sum(c["exchanges"] for c in report["cases"]) > 0
    assert total["output_tokens"] == sum(c["output_tokens"] for c in report["cases"]) > 0
    assert total["input_tokens"] > 0
    line = f"{total['requests']} requests (of 50), tokens in {total['input_tokens']:,}"
    assert line in out
    assert f"out {total['output_tokens']:,} (of 5,000)" in out
    summary = (tmp_path / "latest" / "summary.md").read_text()
    assert line in summary and "| scenarios |" in summary
    page = (tmp_path / "latest" / "report.html").read_text()
    assert line in page and "per suite: scenarios" in page

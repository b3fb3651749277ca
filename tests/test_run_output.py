"""What `mconf run` prints and writes for failing cases, as pytest users expect (issue 12): one
line per failing case naming the rule, a summary of the problems, details in the reports and
with -v/--tb, junit.xml failure bodies carrying the findings, no warnings of our own making."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from messages_conformance.reports.problem_list import headline

ROOT = Path(__file__).resolve().parents[1]
FAULTY = ["run", "--fault", "done-terminator", "--suite", "scenarios", "--suite", "errors"]
FAILED_LINE = re.compile(r"^FAILED \S+ - [a-z]+(\.[a-z0-9-]+)+: \S.*$")
HOOK_SOURCE = ("pytest_runtest_call", "hookimpl", "result = yield", "plugin.py")


def mconf(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("MCONF_GATEWAY_API_KEY", "CI")}
    base.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        [sys.executable, "-m", "messages_conformance", *argv],
        cwd=ROOT, env={**base, **(env or {})}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def report(folder: Path) -> dict:
    run = next(p for p in folder.iterdir() if p.name != "latest")
    return json.loads((run / "report.json").read_text())


def test_one_line_per_failing_case_and_a_summary_of_problems(tmp_path: Path) -> None:
    done = mconf(*FAULTY, "--report-dir", str(tmp_path))
    assert done.returncode == 1, done.stderr
    failed = report(tmp_path)["counts"]["failed"]
    assert failed >= 10
    lines = done.stdout.splitlines()
    failing = [line for line in lines if line.startswith("FAILED ")]
    assert len(failing) == failed, "\n".join(lines[-40:])
    for line in failing:
        assert FAILED_LINE.match(line), line
    assert all("sse.data-not-json" in line for line in failing), failing[:3]
    assert not any(marker in done.stdout for marker in HOOK_SOURCE), done.stdout[:3000]
    # the problem summary: the rule, how many cases, once
    summary = [
        line for line in lines if "sse.data-not-json" in line and not line.startswith("FAILED")
    ]
    assert summary and re.search(rf"\b{failed}\b", " ".join(summary)), "\n".join(lines[-20:])
    assert len(lines) <= failed + 30, f"{len(lines)} lines for {failed} failing cases"


def test_verbose_and_tb_show_the_findings_in_full(tmp_path: Path) -> None:
    done = mconf(*FAULTY, "-k", "test_plain_text", "--tb", "short", "--report-dir", str(tmp_path))
    assert done.returncode == 1, done.stderr
    assert "Expected" in done.stdout or "expected" in done.stdout, done.stdout[-3000:]
    assert "events[" in done.stdout, done.stdout[-3000:]  # the finding's location
    assert not any(marker in done.stdout for marker in HOOK_SOURCE), done.stdout[-3000:]
    verbose = mconf(*FAULTY, "-k", "test_plain_text", "-v", "--report-dir", str(tmp_path / "v"))
    assert "PASSED" in verbose.stdout or "FAILED" in verbose.stdout
    assert "events[" in verbose.stdout, verbose.stdout[-3000:]


def test_junit_failure_bodies_carry_findings_not_hook_source(tmp_path: Path) -> None:
    done = mconf(*FAULTY, "-q", "--report-dir", str(tmp_path))
    assert done.returncode == 1
    run = next(p for p in tmp_path.iterdir() if p.name != "latest")
    failures = ET.parse(run / "junit.xml").getroot().iter("failure")
    bodies = [(f.get("message") or "", f.text or "") for f in failures]
    assert len(bodies) == report(tmp_path)["counts"]["failed"]
    for message, body in bodies:
        assert message.startswith("sse.data-not-json: "), message
        assert "sse.data-not-json" in body and "events[" in body, body
        assert not any(marker in body for marker in HOOK_SOURCE), body


ENVELOPE = [
    "--fault",
    "openai-error-body",
]  # one cause, two rules: http.error-envelope, schema.error
ANNOTATION = re.compile(
    r"^::error file=suites/test_\w+\.py,line=\d+,title=mconf problem (\d+)%3A ([^:]+)::(.+)$"
)


def test_github_actions_gets_one_annotation_per_problem(tmp_path: Path) -> None:
    """One annotation per root cause (the reports' problem list), not per rule or case: its
    number and rules in the title, then the problem's line (cases), first evidence, curl."""
    argv = [*FAULTY, *ENVELOPE, "-q", "--report-dir", str(tmp_path)]
    done = mconf(*argv, env={"GITHUB_ACTIONS": "true"})
    assert done.returncode == 1, done.stdout[-2000:]
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    problems = report(tmp_path)["problems"]
    rules = {f["rule"] for c in report(tmp_path)["cases"] for f in c["findings"]}
    assert len(problems) == 2 and len(rules) == 3, (problems, rules)  # per rule: 3
    assert len(annotations) == len(problems), "\n".join(annotations)
    for line, problem in zip(annotations, problems, strict=True):
        match = ANNOTATION.match(line)
        assert match, line
        assert int(match[1]) == problem["number"]
        assert match[2] == "%2C ".join(problem["rules"])
        message = match[3].split("%0A")
        assert message[0] == headline(problem)  # the problem list's own line, in the terminal too
        assert f"({problem['cases']} cases" in message[0] and message[0] in done.stdout
        assert message[1].startswith("first: ")
        assert message[2].startswith("reproduce: curl ")
        assert '"x-api-key: $MCONF_GATEWAY_API_KEY"' in message[2], message[2]
    assert "\n" not in annotations[0]
    quiet = mconf(*FAULTY, "-q", "--report-dir", str(tmp_path / "local"))
    assert "::error" not in quiet.stdout


def test_a_generated_test_s_annotation_points_at_its_def(tmp_path: Path) -> None:
    """Schemathesis' tests are located in its own builder: the annotation names our file."""
    argv = ["run", "--suite", "generated", "--fault", "unknown-stop-reason", "-q"]
    done = mconf(*argv, "--report-dir", str(tmp_path), env={"GITHUB_ACTIONS": "true"})
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 1, annotations
    source = (ROOT / "suites" / "test_generated.py").read_text("utf-8").splitlines()
    line = next(n for n, text in enumerate(source, 1) if text.startswith("def test_positive("))
    assert annotations[0].startswith(f"::error file=suites/test_generated.py,line={line},")


def test_a_plain_pytest_run_annotates_its_problems_too() -> None:
    """Without --mconf-report-dir (no reports written) the plugin groups the problems itself."""
    base = {k: v for k, v in os.environ.items() if k not in ("MCONF_GATEWAY_API_KEY", "CI")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/test_errors.py", "-q", "-p", "no:xdist",
         "-p", "no:cacheprovider", "--mconf-fault", "done-terminator"],
        cwd=ROOT, env={**base, "GITHUB_ACTIONS": "true"}, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-2000:]
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 1, annotations
    assert ANNOTATION.match(annotations[0]), annotations[0]
    assert '"x-api-key: $MCONF_GATEWAY_API_KEY"' in annotations[0]  # the target's variable


def test_cases_that_could_not_be_tested_are_one_annotation(tmp_path: Path) -> None:
    """No finding behind them: grouped by their one-line reason (a replay with no recording)."""
    cassettes = tmp_path / "cassettes" / "local"
    cassettes.mkdir(parents=True)
    reports = tmp_path / "reports"
    argv = ["run", "--mode", "replay", "--suite", "errors", "-q", "--report-dir", str(reports)]
    argv += ["--cassette-dir", str(tmp_path / "cassettes")]
    done = mconf(*argv, env={"GITHUB_ACTIONS": "true"})
    assert done.returncode == 2, done.stdout[-2000:]
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    untested = report(reports)["counts"]["errors"]
    assert untested >= 3 and len(annotations) == 1, annotations
    assert annotations[0].startswith("::error file=suites/test_errors.py,line=")
    assert "title=could-not-test::no recording for " in annotations[0]
    assert f"({untested} cases, first test_errors.py::" in annotations[0]


def test_no_assert_rewrite_warning(tmp_path: Path) -> None:
    """The gateway (imported to check --fault) loads anyio before pytest starts; mconf's own
    package is imported too: neither may warn that it cannot be rewritten."""
    done = mconf("run", "--suite", "auth", "--fault", "bad-key-403", "--report-dir", str(tmp_path))
    assert "PytestAssertRewriteWarning" not in done.stdout + done.stderr, done.stdout[-2000:]
    assert "warning" not in done.stdout.splitlines()[-2], done.stdout[-500:]

"""Issue-level proof on real runs of the reference gateway: diff and matrix over real reports."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.cli import main as cli
from messages_conformance.reports.changes import diff_reports

ROOT = Path(__file__).resolve().parents[1]
SUITES = ["--suite", "auth", "--suite", "headers", "--suite", "scenarios"]
FAULTS = ("done-terminator", "bad-key-403", "ignore-stop-sequences")


def real_run(out: Path, *faults: str) -> dict[str, Any]:
    argv = ["run", "-q", "--report-dir", str(out), *SUITES]
    for fault in faults:
        argv += ["--fault", fault]
    cli.run(argv, io.StringIO())
    return json.loads((out / "latest" / "report.json").read_text())


def error_rules(report: dict[str, Any]) -> set[str]:
    return {
        f["rule"]
        for c in report["cases"]
        for f in c["findings"]
        if f["severity"] == "error" and not f["waived"]
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """One clean run and one run per fault, against the embedded gateway (loopback)."""
    root = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        patch.delenv("MCONF_GATEWAY_API_KEY", raising=False)
        found = {"clean": real_run(root / "clean")}
        for fault in FAULTS:
            found[fault] = real_run(root / fault, fault)
    return found


def test_clean_run_diffed_against_itself_shows_nothing(runs: dict[str, dict[str, Any]]) -> None:
    assert diff_reports(runs["clean"], runs["clean"]).is_empty


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_diff_is_exactly_the_rules_it_breaks(
    runs: dict[str, dict[str, Any]], fault: str
) -> None:
    diff = diff_reports(runs["clean"], runs[fault])
    broken = error_rules(runs[fault])
    assert broken, f"{fault} broke nothing"
    assert {change.rule for change in diff.regressions} == broken
    assert diff.fixed == ()


def test_matrix_of_clean_and_three_faulty_runs(
    runs: dict[str, dict[str, Any]], tmp_path: Path, page: Any, screenshot: Any
) -> None:
    paths = []
    for name, report in runs.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(report))
        paths.append(str(path))
    out = io.StringIO()
    assert cli.run(["matrix", *paths, "--out", str(tmp_path / "matrix")], out) == 0
    markdown = (tmp_path / "matrix" / "matrix.md").read_text()
    for fault in FAULTS:
        assert fault in markdown
    assert markdown.count("fail `") >= len(FAULTS)
    page.goto((tmp_path / "matrix" / "matrix.html").as_uri())
    assert page.locator("td.c-fail").count() >= len(FAULTS)
    screenshot(page, tmp_path / "matrix-real.png")

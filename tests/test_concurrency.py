"""`-j N` (in-process concurrency): cases run ahead in threads, and the run reports, records and
spends exactly what a sequential run does (loopback only, the embedded reference gateway)."""

from __future__ import annotations

import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]
SENDING = ["--suite", "auth", "--suite", "headers", "--suite", "requests", "--suite", "scenarios"]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.run(["run", "-q", "--no-progress", *argv], out)
    return code, out.getvalue()


def cases(report_dir: Path) -> list[tuple[Any, ...]]:
    """Each case in report order: id, outcome, skip reason, exchanges, its findings."""
    report = json.loads((report_dir / "latest" / "report.json").read_text())
    return [
        (
            case["id"],
            case["outcome"],
            case["skip_reason"],
            case["exchanges"],
            [(f["rule"], f["severity"], f["location"], f["message"]) for f in case["findings"]],
        )
        for case in report["cases"]
    ]


def junit_order(report_dir: Path) -> list[str]:
    tree = ET.parse(report_dir / "latest" / "junit.xml")
    return [f"{c.get('classname')}::{c.get('name')}" for c in tree.iter("testcase")]


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("MCONF_GATEWAY_API_KEY", raising=False)


def test_a_concurrent_run_reports_what_a_sequential_run_does(in_repo: None, tmp_path: Path) -> None:
    """Same cases, order, outcomes and findings (a fault gives the streams findings)."""
    argv = [*SENDING, "--suite", "errors", "--suite", "clients", "--fault", "done-terminator"]
    one, many = tmp_path / "one", tmp_path / "many"
    code_one, _ = run(*argv, "--report-dir", str(one))
    code_many, out = run(*argv, "-j", "8", "--report-dir", str(many))
    assert code_one == code_many == 1, out
    sequential, concurrent = cases(one), cases(many)
    assert concurrent == sequential
    assert any(findings for *_, findings in sequential)  # the comparison saw findings
    assert junit_order(many) == junit_order(one)


def test_a_concurrent_record_leaves_a_sequential_recording_unchanged(
    in_repo: None, tmp_path: Path
) -> None:
    """Recorded with -j over a sequential recording: every cassette byte for byte as it was
    (generated cases draw the same examples in their threads), and it replays."""
    cassettes, fresh = tmp_path / "cassettes", tmp_path / "fresh"
    suites = [*SENDING, "--suite", "generated", "--report-dir", str(tmp_path)]
    record = [*suites, "--mode", "record", "--cassette-dir"]
    code, out = run(*record, str(cassettes))
    assert code == 0, out
    before = {p: p.read_bytes() for p in sorted(cassettes.rglob("*")) if p.is_file()}
    assert len(before) > 60
    code, out = run(*record, str(cassettes), "-j", "8")
    assert code == 0, out
    after = {p: p.read_bytes() for p in sorted(cassettes.rglob("*")) if p.is_file()}
    assert after.keys() == before.keys()
    assert [p.name for p in before if before[p] != after[p]] == []
    code, out = run(*record, str(fresh), "-j", "8")  # from nothing: the same requests
    assert code == 0, out
    assert sorted(p.relative_to(fresh) for p in fresh.rglob("*.yaml")) == sorted(
        p.relative_to(cassettes) for p in cassettes.rglob("*.yaml")
    )
    code, out = run(*suites, "--mode", "replay", "--cassette-dir", str(fresh))
    assert code == 0, out


def test_the_budget_goes_to_the_cases_in_their_order(in_repo: None, tmp_path: Path) -> None:
    """--max-requests with -j: never more requests than the budget, and the same cases run
    (and are skipped) as in a sequential run."""
    one, many = tmp_path / "one", tmp_path / "many"
    assert run(*SENDING, "--max-requests", "20", "--report-dir", str(one))[0] == 0
    assert run(*SENDING, "--max-requests", "20", "-j", "8", "--report-dir", str(many))[0] == 0
    sequential, concurrent = cases(one), cases(many)
    assert sum(case[3] for case in concurrent) == 20
    assert [c[:3] for c in concurrent] == [c[:3] for c in sequential]


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["-j", "0"], "-j must be 1 or more"), (["-j", "2", "-n", "2"], "-j and -n do not combine")],
)
def test_bad_concurrency_is_one_line_exit_2(
    in_repo: None, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _ = run(*argv)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1


USER_SUITE = """
import threading
from pathlib import Path

import pytest

def note(name):  # which thread ran the body
    Path(__file__).with_name(f"thread-{name}").write_text(threading.current_thread().name)

@pytest.fixture(params=["a", "b"])
def letter(request):
    return request.param

@pytest.fixture
def mine(tmp_path):  # needs a fixture of another plugin: runs at its turn
    return tmp_path

def test_own_fixture(mconf, letter):
    mconf.expect_success(mconf.send(mconf.body(f"Say {letter}.")))
    note(f"own[{letter}]")

@pytest.mark.parametrize("n", [1, 2])
def test_parameter(mconf, n):
    mconf.expect("acme.odd", n % 2 == 1, "n is even")
    note(f"parameter[{n}]")

def test_other_plugin_fixture(mconf, mine):
    mconf.expect_success(mconf.send(mconf.body("Say c.")))
    note("other")

@pytest.mark.skip(reason="never sent")
def test_skipped(mconf):
    mconf.send(mconf.body("Say d."))
"""


def test_a_users_cases_run_ahead_only_when_they_can(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parameters and fixtures of the case's module run ahead; another plugin's fixture keeps
    the case to its turn (the main thread); a skipped case sends nothing; outcomes as always."""
    monkeypatch.delenv("MCONF_GATEWAY_API_KEY", raising=False)
    pytester.makepyfile(test_mine=USER_SUITE)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-q", "-rA", "--mconf-concurrency", "4"
    )
    result.assert_outcomes(passed=4, failed=1, skipped=1)
    out = result.stdout.str()
    threads = {p.name[7:]: p.read_text() for p in pytester.path.glob("thread-*")}
    assert threads.keys() == {"own[a]", "own[b]", "parameter[1]", "parameter[2]", "other"}
    assert threads.pop("own[a]") == "MainThread"  # the first case starts the pool
    assert threads.pop("other") == "MainThread"  # tmp_path: not a stand-in's to give
    assert all(name.startswith("mconf-case") for name in threads.values()), threads
    assert "acme.odd: n is even" in out


def test_replay_ignores_concurrency(in_repo: None, tmp_path: Path) -> None:
    """Replay has nothing to wait for: -j is accepted and the cases run one at a time."""
    source = ROOT / "cassettes" / "local"
    shutil.copytree(source / "test_auth", tmp_path / "local" / "test_auth")
    argv = ["--mode", "replay", "--cassette-dir", str(tmp_path), "--suite", "auth", "-j", "4"]
    code, out = run(*argv, "--report-dir", str(tmp_path / "reports"))
    assert code == 0, out

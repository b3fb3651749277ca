"""What a long run's processes let go of per case (suite/retention.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from messages_conformance.suite.retention import RECENT, RecentIds

CASES = '''
import pytest


@pytest.fixture(scope="session")
def shared():
    return object()


@pytest.fixture
def per_case(shared):
    yield shared


@pytest.mark.parametrize("n", range(300))
def test_many(per_case, n):
    pass


def test_last(request, shared):
    """The session fixture holds finalizers of the cases still running only."""
    fixturedef = request._fixturemanager.getfixturedefs("shared", request.node)[-1]
    print(f"FINALIZERS={len(fixturedef._finalizers)}")
'''


def _finalizers_left(tmp_path: Path, *extra: str) -> int:
    (tmp_path / "test_cases.py").write_text(textwrap.dedent(CASES))
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", str(tmp_path / "test_cases.py"), "-q", "-s"),
            *("-p", "no:cacheprovider", "-p", "no:xdist", f"--rootdir={tmp_path}", *extra),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    line = next(x for x in done.stdout.splitlines() if "FINALIZERS=" in x)
    return int(line.split("FINALIZERS=")[1].split()[0])


def test_finished_cases_leave_no_finalizers_on_session_fixtures(tmp_path: Path) -> None:
    assert _finalizers_left(tmp_path) >= 300  # pytest alone: one per finished case
    kept = _finalizers_left(tmp_path, f"--mconf-report-dir={tmp_path / 'reports'}")
    assert kept <= 1  # a conformance run: none of the finished ones


def test_the_progress_count_counts_each_case_once_and_remembers_few() -> None:
    ids = RecentIds()
    for n in range(3 * RECENT):  # reports of two workers interleaved: setup, call, teardown
        for _ in range(3):
            ids.add(f"a{n}")
            ids.add(f"b{n}")
    assert len(ids) == 2 * 3 * RECENT
    assert len(ids.recent) == RECENT
    assert f"a{3 * RECENT - 1}" in ids and "a0" not in ids

"""Ctrl-C during `mconf run` (a real SIGINT to a running subprocess): the run says it was
interrupted, after how many of how many cases, exits 130, claims no verdict it did not reach,
and keeps `latest` on the last complete run (issue 12)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _reader(stream: object, into: list[str]) -> threading.Thread:
    def read() -> None:
        for chunk in iter(lambda: stream.read(1), ""):  # type: ignore[attr-defined]
            into.append(chunk)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _as_at_a_terminal() -> None:
    """Ctrl-C as a terminal sends it: SIGINT at its default in the child. A test run from a
    background job (`cmd &` in a script, some CI runners) has SIGINT ignored, and a child
    inherits an ignored signal across exec: Python then installs no KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cases_shown(out: str) -> int:
    """Dots pytest printed after the suite's file name (one per finished case)."""
    _, _, after = out.partition("suites/test_scenarios.py ")
    return after.count(".")


def test_ctrl_c_stops_the_run_as_interrupted(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    env = {k: v for k, v in os.environ.items() if k not in ("MCONF_GATEWAY_API_KEY", "CI")}
    command = [sys.executable, "-m", "messages_conformance", "run", "--no-progress"]
    command += ["--suite", "scenarios", "--latency-ms", "100", "--report-dir", str(reports)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_as_at_a_terminal,
    )
    shown: list[str] = []
    reader = _reader(process.stdout, shown)
    deadline = time.monotonic() + 120
    while _cases_shown("".join(shown)) < 5 and time.monotonic() < deadline:  # a few cases done
        assert process.poll() is None, "".join(shown)
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    code = process.wait(timeout=60)
    reader.join(timeout=10)
    out = "".join(shown)

    assert code == 130, out[-3000:]
    said = re.search(r"interrupted after (\d+) of (\d+) cases", out)
    assert said, out[-3000:]
    done, total = int(said[1]), int(said[2])
    assert 0 < done < total, said[0]
    assert "PASS" not in out, out[-3000:]
    assert "Traceback" not in out and "Exception in ASGI" not in out, out[-3000:]

    runs = [p for p in reports.iterdir() if p.name != "latest"]
    assert len(runs) == 1
    report = json.loads((runs[0] / "report.json").read_text())
    assert report["verdict"] == "interrupted"
    assert report["counts"]["cases"] == done
    assert "PASS" not in (runs[0] / "summary.md").read_text()
    latest = reports / "latest"
    assert not latest.exists() or latest.resolve() != runs[0].resolve()
    # whole files only: no temporary file, no spool of case records left behind
    assert sorted(p.name for p in runs[0].iterdir()) == [
        "junit.xml",
        "report.html",
        "report.json",
        "summary.md",
    ]
    junit = ET.parse(runs[0] / "junit.xml").getroot()
    assert len(junit.findall(".//testcase")) == done


HOOK_THAT_INTERRUPTS = """
import os, signal
import pytest

@pytest.hookimpl(tryfirst=True)  # after the casebook took the case, before junit.xml does
def pytest_runtest_logreport(report):
    if report.when == "call" and report.nodeid.endswith("test_second"):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of the bookkeeping
"""


def test_a_ctrl_c_amid_a_cases_bookkeeping_leaves_the_files_agreeing(tmp_path: Path) -> None:
    """The case whose report was being handed round is in report.json and junit.xml both,
    and the run still stops there as interrupted."""
    (tmp_path / "conftest.py").write_text(HOOK_THAT_INTERRUPTS)
    tests = "".join(f"def test_{n}():\n    pass\n\n" for n in ("first", "second", "third"))
    (tmp_path / "test_cases.py").write_text(tests)
    reports = tmp_path / "out"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q"]
    command += ["--mconf-report-dir", str(reports), "--mconf-junitxml", str(reports / "junit.xml")]
    done = subprocess.run(
        [*command, str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_as_at_a_terminal,
    )
    assert done.returncode == 2, done.stdout + done.stderr  # pytest's "interrupted"
    report = json.loads((reports / "report.json").read_text())
    assert report["verdict"] == "interrupted"
    cases = [c["id"].rsplit("::", 1)[1] for c in report["cases"]]
    junit = ET.parse(reports / "junit.xml").getroot()
    assert cases == [t.get("name") for t in junit.findall(".//testcase")]
    assert cases == ["test_first", "test_second"]

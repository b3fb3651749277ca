"""Recordings are stable and recorded the way pytest-recording users expect (issue 12).

* Re-recording an unchanged gateway changes no cassette file: ports, dates, request ids, header
  order and Schemathesis' random test-case ids are not news.
* `--record-mode`: `all` (re-record everything, `--mode record`), `once` (record cassettes that
  do not exist, replay the rest), `new_episodes` (replay what is recorded, record what is
  missing into the same cassette), `none` (replay only, `--mode replay`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SUITES = ["--suite", "auth", "--suite", "headers", "--suite", "errors", "--suite", "generated"]


def record(cassettes: Path, reports: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MCONF_GATEWAY_API_KEY", "CI")}
    command = [sys.executable, "-m", "messages_conformance", "run", "-q", "--no-progress"]
    command += ["--cassette-dir", str(cassettes), "--report-dir", str(reports), *extra]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.*"))}


def test_re_recording_an_unchanged_gateway_changes_no_cassette(tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    shutil.copytree(ROOT / "cassettes", cassettes)
    before = contents(cassettes)
    done = record(cassettes, tmp_path / "reports", "--mode", "record", *SUITES)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    after = contents(cassettes)
    assert after.keys() == before.keys()
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == [], changed


def test_what_the_checks_need_is_kept(tmp_path: Path) -> None:
    """Stability never drops what a rule reads: request-id, retry-after, content-type."""
    path = ROOT / "cassettes" / "local" / "test_errors" / "test_error_status-429.yaml"
    response = yaml.safe_load(path.read_text())["interactions"][0]["response"]
    headers = {name.lower() for name in response["headers"]}
    assert {"request-id", "retry-after", "content-type"} <= headers


def test_record_mode_once_records_only_missing_cassettes(tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    shutil.copytree(ROOT / "cassettes", cassettes)
    folder = cassettes / "local" / "test_auth"
    missing = folder / "test_x_api_key_is_accepted.yaml"
    missing.unlink()
    kept = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.glob("*.yaml")}
    done = record(cassettes, tmp_path / "reports", "--record-mode", "once", "--suite", "auth")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert missing.is_file() and "interactions" in missing.read_text()
    for path, (data, mtime) in kept.items():
        assert path.read_bytes() == data and path.stat().st_mtime_ns == mtime, path


def test_record_mode_new_episodes_adds_what_is_missing(tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    shutil.copytree(ROOT / "cassettes", cassettes)
    path = cassettes / "local" / "test_scenarios" / "test_stream_and_json_have_the_same_shape.yaml"
    recorded = yaml.safe_load(path.read_text())
    assert len(recorded["interactions"]) == 2
    recorded["interactions"] = recorded["interactions"][:1]  # one of two exchanges was lost
    path.write_text(yaml.safe_dump(recorded, sort_keys=False))
    replay = record(cassettes, tmp_path / "r1", "--mode", "replay", "-k", "same_shape")
    assert replay.returncode == 2, replay.stdout[-2000:]  # replay alone cannot answer it
    done = record(cassettes, tmp_path / "r2", "--record-mode", "new_episodes", "-k", "same_shape")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    again = yaml.safe_load(path.read_text())["interactions"]
    assert len(again) == 2
    assert again[0] == recorded["interactions"][0]  # the recorded one is kept as it was


def test_record_mode_contradicting_mode_is_refused(tmp_path: Path) -> None:
    done = record(tmp_path, tmp_path, "--mode", "live", "--record-mode", "once")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--record-mode" in done.stderr, done.stderr

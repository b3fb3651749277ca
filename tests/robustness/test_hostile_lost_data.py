"""Nothing lost and reported as success (issue 13, item 6): cassette saves that fail (a full
disk, a folder in the way) fail the run; `--report-dir D` never deletes a real `D/latest`;
concurrent runs updating `latest` do not race."""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import ONE_JSON, HostileServer, Runner, against

from messages_conformance.reports.report import update_latest


@contextlib.contextmanager
def full_disk(folder: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs at ``folder`` (root only): the disk fills while recording."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _assert_not_a_pass(result: object, out: str, report: dict | None) -> None:
    assert report is not None
    assert report["verdict"] != "pass"
    assert "PASS" not in out


def test_recording_to_a_full_disk_fails_the_run(
    mconf: Runner, hostile: HostileServer, tmp_path: Path
) -> None:
    with full_disk(tmp_path / "disk") as disk:
        result = mconf(
            *against(hostile.url, "--suite", "scenarios", "--mode", "record"),
            "--cassette-dir",
            str(disk),
        )
    assert result.code == 2, result.printed[-3000:]
    _assert_not_a_pass(result, result.out, result.report)
    failed = [c for c in result.cases() if "cannot save the recording" in (c.get("failure") or "")]
    assert failed, [c.get("failure") for c in result.cases()]
    assert "No space left on device" in failed[0]["failure"]
    summary = (result.folder / "latest" / "summary.md").read_text()
    assert "PASS" not in summary


def test_a_folder_in_the_way_of_a_cassette_fails_the_case(
    mconf: Runner, hostile: HostileServer, tmp_path: Path
) -> None:
    cassettes = tmp_path / "cassettes"
    name = next(hostile_target_dir(hostile))
    blocker = cassettes / name / "test_scenarios"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where the folder should be")
    result = mconf(
        *against(hostile.url, *ONE_JSON, "--mode", "record"), "--cassette-dir", str(cassettes)
    )
    assert result.code == 2, result.printed[-3000:]
    assert result.cases()[0]["outcome"] == "error"
    assert "cannot save the recording" in result.cases()[0]["failure"]
    assert "mconf: could not test 1 case(s): cannot save the recording" in result.out


def hostile_target_dir(server: HostileServer) -> Iterator[str]:
    # a one-off --base-url target is named after its host, port and model (its label)
    from messages_conformance.net import targets

    yield targets.resolve(base_url=server.url).name


def test_a_real_latest_folder_is_never_deleted(
    mconf: Runner, hostile: HostileServer, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    (reports / "latest").mkdir(parents=True)
    precious = reports / "latest" / "notes.txt"
    precious.write_text("mine")
    result = mconf(*against(hostile.url, *ONE_JSON), report_dir=reports)
    assert precious.read_text() == "mine"
    assert result.code == 0, result.printed[-3000:]
    assert "reports/latest is not a link mconf made" in result.printed.replace(
        str(tmp_path) + "/", ""
    )


def test_concurrent_latest_updates_do_not_race(tmp_path: Path) -> None:
    runs = [tmp_path / f"run-{n}" for n in range(2)]
    for run in runs:
        run.mkdir()
        (run / "report.json").write_text(run.name)
    errors: list[BaseException] = []

    def hammer(run: Path) -> None:
        try:
            for _ in range(300):
                update_latest(tmp_path, run)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (tmp_path / "latest").is_symlink()
    assert (tmp_path / "latest" / "report.json").read_text() in ("run-0", "run-1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "run-0", "run-1"]

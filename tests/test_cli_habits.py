"""The `mconf` command behaves like the tools its users know (issue 12): --version, a closed
pipe, report folders as `mconf run --report-dir` writes them, folders for validate and drift,
plain text on a terminal, one-line errors that name the field or the file."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
MCONF = [sys.executable, "-m", "messages_conformance"]


def mconf(
    *argv: str, cwd: Path = ROOT, stdout: int = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MCONF_GATEWAY_API_KEY", "CI")}
    return subprocess.run(
        [*MCONF, *argv], cwd=cwd, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True,
        timeout=300,
    )  # fmt: skip


def in_terminal(*argv: str, cwd: Path = ROOT) -> tuple[int, str]:
    """`mconf ARGV` with stdout and stderr on a pseudo-terminal; its exit code and output."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("MCONF_GATEWAY_API_KEY", "CI")}
    process = subprocess.Popen(
        [*MCONF, *argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=follower,
        stderr=follower,
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def report_root(tmp_path: Path, name: str, *reports: str) -> Path:
    """A folder laid out as `mconf run --report-dir ROOT` leaves it: stamped runs + latest."""
    root = tmp_path / name
    for number, report in enumerate(reports):
        run = root / f"20261201-0000{number:02d}-000000-local"
        run.mkdir(parents=True)
        shutil.copy(DATA / "reports" / report, run / "report.json")
    (root / "latest").symlink_to(run.name)
    return root


# -- small habits -----------------------------------------------------------------------------


def test_version() -> None:
    done = mconf("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"mconf {metadata.version('messages-conformance')}\n"


def test_a_closed_pipe_ends_quietly() -> None:
    """`mconf rules | head -1`: the reader went away; no `Broken pipe` error, exit 0."""
    read, write = os.pipe()
    os.close(read)  # as `head` does once it has its line
    try:
        done = mconf("rules", stdout=write)
    finally:
        os.close(write)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_a_negative_rate_limit_is_refused() -> None:
    done = mconf("run", "--rate-limit", "-1", "--suite", "auth")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--rate-limit" in done.stderr, done.stderr
    assert "PASS" not in done.stdout


# -- report folders as `mconf run --report-dir` leaves them ----------------------------------


def test_diff_takes_the_report_dirs_of_two_runs(tmp_path: Path) -> None:
    old = report_root(tmp_path, "old", "gateway-clean.json")
    new = report_root(tmp_path, "new", "gateway-clean.json", "gateway-drop-request-id.json")
    done = mconf("diff", str(old), str(new), "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    diff = json.loads(done.stdout)
    assert diff  # compared old/latest with new/latest (the newest run of each)
    same = mconf("diff", str(old), str(old), "--format", "json")
    assert same.returncode == 0, same.stderr


def test_matrix_takes_a_report_dir_and_a_glob_counts_latest_once(tmp_path: Path) -> None:
    root = report_root(tmp_path, "reports", "gateway-clean.json", "gateway-error-envelope.json")
    files = sorted(str(p) for p in root.glob("*/report.json"))  # what the shell makes of */
    assert len(files) == 3  # two runs and latest, which is one of them
    globbed = mconf("matrix", *files, "--format", "markdown")
    assert globbed.returncode == 0, globbed.stderr
    header = next(line for line in globbed.stdout.splitlines() if line.startswith("| target"))
    columns = next(
        line for line in globbed.stdout.splitlines() if line.startswith("| area | check")
    )
    assert columns.count("|") - 3 == 2, columns  # two runs, not three
    assert header
    folder = mconf("matrix", str(root), "--format", "markdown")
    assert folder.returncode == 0, folder.stderr


def test_drift_over_the_cassettes_folder_skips_the_tools_own_files() -> None:
    done = mconf("drift", "cassettes/")
    assert done.returncode == 0, done.stderr
    assert "generators.json" not in done.stdout + done.stderr


def test_validate_takes_folders() -> None:
    done = mconf("validate", "cassettes/local/test_auth")
    assert done.returncode == 0, done.stderr
    assert re.search(r"^\d+ exchange\(s\), 0 error finding\(s\)$", done.stdout, re.M), done.stdout
    assert done.stdout.count(": ok") >= 4


# -- plain text on a terminal ------------------------------------------------------------------

ESCAPED = re.compile(r"\\[_\[\]*`|]")


@pytest.mark.parametrize("command", ["diff", "matrix", "spec-diff"])
def test_terminal_output_is_plain_text(tmp_path: Path, command: str) -> None:
    root = report_root(tmp_path, "reports", "gateway-clean.json", "gateway-error-envelope.json")
    runs = sorted(str(p.parent) for p in root.glob("2*/report.json"))
    argv = {
        "diff": ["diff", *runs],
        "matrix": ["matrix", *runs],
        "spec-diff": ["spec-diff", str(DATA / "upstream" / "tiny-upstream.json")],
    }[command]
    code, shown = in_terminal(*argv)
    assert code in (0, 1), shown
    assert not ESCAPED.search(shown), shown[:2000]
    assert "|---" not in shown and "## " not in shown, shown[:2000]
    explicit = mconf(*argv, "--format", "text")
    assert explicit.returncode == code, explicit.stderr
    assert not ESCAPED.search(explicit.stdout)
    piped = mconf(*argv)  # not a terminal: Markdown stays the default (CI job summaries)
    assert "|---" in piped.stdout or "## " in piped.stdout or "# " in piped.stdout


# -- errors that name what is wrong ------------------------------------------------------------


def test_a_replay_miss_names_the_field_that_differs(tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    shutil.copytree(ROOT / "cassettes", cassettes)
    path = cassettes / "local" / "test_auth" / "test_bearer_is_accepted.yaml"
    text = path.read_text()
    assert '"max_tokens":64' in text
    path.write_text(text.replace('"max_tokens":64', '"max_tokens":65'))
    done = mconf(
        "run", "--mode", "replay", "--suite", "auth", "-q", "--cassette-dir", str(cassettes),
        "--report-dir", str(tmp_path / "reports"),
    )  # fmt: skip
    assert done.returncode == 2, done.stdout[-2000:]
    said = done.stdout + done.stderr
    assert "/max_tokens" in said, said[-3000:]
    assert "64" in said and "65" in said


def test_a_corrupt_cassette_is_named(tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    shutil.copytree(ROOT / "cassettes", cassettes)
    path = cassettes / "local" / "test_auth" / "test_bearer_is_accepted.yaml"
    path.write_text("version: 1\ninteractions:\n- request: {method: POST\n  uri: [\n")
    done = mconf(
        "run", "--mode", "replay", "--suite", "auth", "-q", "--cassette-dir", str(cassettes),
        "--report-dir", str(tmp_path / "reports"),
    )  # fmt: skip
    assert done.returncode == 2, done.stdout[-2000:]
    said = done.stdout + done.stderr
    assert "test_bearer_is_accepted.yaml" in said, said[-3000:]
    assert "Traceback" not in said
    validated = mconf("validate", str(path))
    assert validated.returncode == 2
    assert "test_bearer_is_accepted.yaml" in validated.stderr

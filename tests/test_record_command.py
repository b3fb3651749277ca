"""The re-record hint names the target as the run named it (issue 16): a profile, a label, a
``--base-url`` (its label derived from host, port and model), a profile from a targets file,
transit. The command it gives records into the very cassette folder the replay looked in."""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from messages_conformance.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]
NO_CASSETTES = re.compile(r"no cassettes for target '([^']+)' in (\S+); record them with `([^`]+)`")
PROFILE = """
[gw-file]
base_url = "http://127.0.0.1:9"
key_env = "MCONF_FILE_KEY"
"""
NAMINGS = {
    "default": [],
    "profile": ["--target", "local"],
    "profile+label": ["--target", "local", "--label", "gw-a"],
    "label": ["--label", "gw-b"],
    "base-url": ["--base-url", "http://127.0.0.1:9/", "--api-key-env", "MCONF_X_KEY"],
    "base-url+model": ["--base-url", "http://127.0.0.1:9", "--model", "claude-opus-4-5"],
    "base-url+label": ["--base-url", "http://127.0.0.1:9", "--label", "gw-c"],
    "transit": ["--transit"],
    "upstream": ["--base-url", "http://127.0.0.1:9", "--upstream", "127.0.0.1:8"],
    "targets-file": ["--targets-file", "{file}", "--target", "gw-file"],
    "feature": ["--label", "gw-d", "--feature", "thinking"],
}


def replay_miss(argv: list[str], cassettes: Path) -> tuple[str, Path, list[str]]:
    """`mconf run ARGV --mode replay` on an empty cassette root: the target's name, the folder
    it looked in and the command it says records it."""
    err = io.StringIO()
    sys_stderr, sys.stderr = sys.stderr, err
    try:
        code = cli.run(["run", *argv, "--mode", "replay", "--cassette-dir", str(cassettes)])
    finally:
        sys.stderr = sys_stderr
    assert code == 2, err.getvalue()
    found = NO_CASSETTES.search(err.getvalue())
    assert found, err.getvalue()
    return found[1], Path(found[2]), shlex.split(found[3])


@pytest.mark.parametrize("naming", sorted(NAMINGS))
def test_the_record_command_names_the_target_as_the_run_did(naming: str, tmp_path: Path) -> None:
    file = tmp_path / "targets.toml"
    file.write_text(PROFILE, "utf-8")
    argv = [word.format(file=file) for word in NAMINGS[naming]]
    name, folder, command = replay_miss(argv, tmp_path / "cassettes")
    assert command[:2] == ["mconf", "run"] and command[-2:] == ["--mode", "record"], command
    # the command, replayed instead of recorded, looks in the same folder for the same target
    again = replay_miss(command[2:-2], tmp_path / "cassettes")
    assert again == (name, folder, command)
    if naming not in ("default", "profile", "transit", "targets-file"):
        assert "--label" in command or "--base-url" in command, command
    if naming == "upstream":
        assert command[command.index("--upstream") + 1] == "127.0.0.1:8"


def test_a_url_s_secrets_stay_out_of_the_command(tmp_path: Path) -> None:
    url = "http://user:hunter2-secret-pass@127.0.0.1:9/?key=sk-ant-api03-abcdefghijklmnop"
    _, _, command = replay_miss(["--base-url", url], tmp_path)
    assert "hunter2" not in " ".join(command) and "abcdefghijklmnop" not in " ".join(command)


def test_the_generated_suite_s_version_hint_names_a_labelled_target(tmp_path: Path) -> None:
    """Cassettes recorded with other generator versions: the fix names `--label gw-old`."""
    cassettes = tmp_path / "cassettes"
    shutil.copytree(
        ROOT / "cassettes" / "local" / "test_generated", cassettes / "gw-old" / "test_generated"
    )
    stamp = cassettes / "gw-old" / "test_generated" / "generators.json"
    stamp.write_text(json.dumps({"hypothesis": "0.0.1", "schemathesis": "0.0.1"}), "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "messages_conformance", "run", "-q", "--no-progress",
         "--mode", "replay", "--suite", "generated", "--label", "gw-old",
         "--cassette-dir", str(cassettes), "--report-dir", str(tmp_path / "reports")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert "0.0.1" in done.stdout, done.stdout[-2000:]
    assert "re-record with `mconf run --label gw-old --mode record`" in done.stdout
    assert "--target gw-old" not in done.stdout

"""The plugin's options live under `--mconf-*`, so they never collide with common pytest plugins:
pytest-base-url (pulled in by pytest-playwright) owns `--base-url` (issue 12). `mconf run`
keeps its own flags as they are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest_base_url  # noqa: F401  (the dev extra installs it: the clash must be provable)

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("MCONF_GATEWAY_API_KEY", "CI")}


def pytest_run(*argv: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *argv]
    return subprocess.run(
        command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300
    )


def test_mconf_run_works_beside_pytest_base_url(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "messages_conformance", "run", "-q", "--suite", "auth"]
    plain = subprocess.run(
        [*command, "--report-dir", str(tmp_path / "plain")],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "conflicting option" not in plain.stderr, plain.stderr
    assert plain.returncode == 0, plain.stdout[-2000:] + plain.stderr


def test_a_users_own_pytest_run_works_beside_pytest_base_url() -> None:
    done = pytest_run(
        "suites/test_auth.py", "--mconf-mode", "replay", "-q", "-c", "suites/pytest.ini",
        "--rootdir", "suites",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout


def test_every_plugin_option_is_prefixed() -> None:
    done = pytest_run("--help")
    assert done.returncode == 0, done.stderr
    _, _, ours = done.stdout.partition("messages-conformance (mconf) suites:")
    ours = ours.split("\n\n")[0]
    options = [line.split()[0].rstrip(",") for line in ours.splitlines() if line.startswith("  --")]
    assert len(options) >= 10, ours
    assert all(o.startswith(("--mconf-", "--no-mconf-")) for o in options), options
    assert "--base-url=" in done.stdout  # pytest-base-url's own option is still there

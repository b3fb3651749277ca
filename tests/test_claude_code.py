"""The real Claude Code CLI against `mconf serve`: a plain prompt, and one that makes it call a
tool and send the result back. Both must exit 0 with a result that is not an error.

Claude Code comes from the npm registry (`bash .ci/clients.sh` installs it, pinned, into
examples/clients/); without it these tests skip and say so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.gateway.model import DEFAULT_REPLY

ROOT = Path(__file__).resolve().parents[1]
INSTALLED = ROOT / "examples/clients/node_modules/@anthropic-ai/claude-code-linux-x64/claude"
KEY = "claude-code-test-key"
QUIET = {  # no telemetry, updates or other traffic: only the gateway is dialled
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "DISABLE_AUTOUPDATER": "1",
}


def _claude() -> str | None:
    named = os.environ.get("MCONF_CLAUDE_BIN")
    if named:
        return named
    return str(INSTALLED) if INSTALLED.is_file() else shutil.which("claude")


CLAUDE = _claude()
pytestmark = pytest.mark.skipif(
    CLAUDE is None,
    reason="Claude Code is not installed (bash .ci/clients.sh installs it into examples/clients/)",
)


@pytest.fixture(scope="module")
def gateway_url() -> Iterator[str]:
    """`mconf serve` on a free loopback port, as a user would start it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "messages_conformance.gateway.cli", "--port", "0"]
    with subprocess.Popen(
        [*command, "--api-key", KEY], stdout=subprocess.PIPE, text=True, env=env
    ) as server:
        try:
            assert server.stdout is not None
            line = server.stdout.readline()
            assert line.startswith("mconf gateway listening on http://127.0.0.1:"), line
            yield line.split()[-1]
        finally:
            server.terminate()
            server.wait(timeout=10)


def _run(url: str, prompt: str, workdir: Path) -> tuple[int, dict[str, Any]]:
    """`claude -p PROMPT --output-format json` in its own home; (exit code, result object)."""
    (workdir / "home").mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir / "home"),
        "ANTHROPIC_BASE_URL": url,
        "ANTHROPIC_API_KEY": KEY,
        **QUIET,
    }
    assert CLAUDE is not None
    done = subprocess.run(
        [CLAUDE, "-p", prompt, "--output-format", "json"],
        cwd=workdir / "project",
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no JSON result (exit {done.returncode}): {done.stderr[-500:]}"
    return done.returncode, json.loads(lines[-1])


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "README.md").write_text("mconf says hello from a file\n")
    return tmp_path


def test_plain_prompt_exits_zero(gateway_url: str, workdir: Path) -> None:
    code, result = _run(gateway_url, "Say hello.", workdir)
    assert code == 0, result
    assert result["is_error"] is False and result["num_turns"] == 1
    assert result["result"] == DEFAULT_REPLY


def test_tool_call_and_its_result_go_round(gateway_url: str, workdir: Path) -> None:
    """The model calls Read; Claude Code runs it and sends the tool_result back; we answer it."""
    readme = workdir / "project" / "README.md"
    code, result = _run(gateway_url, f'Call the Read tool with file_path: "{readme}"', workdir)
    assert code == 0, result
    assert result["is_error"] is False and result["num_turns"] == 2
    assert result["result"].startswith("The Read tool returned:")
    assert "mconf says hello from a file" in result["result"]

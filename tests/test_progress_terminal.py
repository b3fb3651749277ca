"""The live progress display in a real pseudo-terminal of 80 and 120 columns: pytest's own lines
stay whole, the bar never stacks or lingers, and generated requests are counted (issue 12).

The terminal is emulated with pyte: every chunk the run writes is fed to a virtual screen, and
the screen is inspected after each chunk and at the end.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pyte
import pytest

ROOT = Path(__file__).resolve().parents[1]
BAR = re.compile(r"\d+ failed · requests")
PYTEST_LINE = re.compile(r"^suites/test_(\w+)\.py [.FEsx]+ +\[ *\d+%\]$")


def run_in_terminal(columns: int, argv: list[str]) -> tuple[int, list[list[str]], list[str]]:
    """`mconf ARGV` on a pty of `columns` x 40; its exit code, every screen seen, the last."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("MCONF_GATEWAY_API_KEY", "CI")}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    env["TERM"] = "xterm-256color"
    process = subprocess.Popen(
        [sys.executable, "-m", "messages_conformance", *argv],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
    )  # fmt: skip
    os.close(follower)
    screen = pyte.Screen(columns, 40)
    stream = pyte.ByteStream(screen)
    seen: list[list[str]] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        stream.feed(chunk)
        seen.append([line.rstrip() for line in screen.display])
    os.close(leader)
    return process.wait(timeout=120), seen, [line.rstrip() for line in screen.display]


@pytest.mark.parametrize("columns", [80, 120])
def test_progress_and_pytest_lines_share_the_terminal(tmp_path: Path, columns: int) -> None:
    argv = ["run", "--progress", "--suite", "auth", "--suite", "headers", "--suite", "generated"]
    code, seen, last = run_in_terminal(columns, [*argv, "--report-dir", str(tmp_path)])
    text = "\n".join(last)
    assert code == 0, text
    assert any(BAR.search(line) for screen in seen for line in screen), "no progress shown"
    for screen in seen:  # at no moment two bars, or a bar glued to pytest's output
        bars = [line for line in screen if BAR.search(line)]
        assert len(bars) <= 1, "\n".join(screen)
        assert not any(BAR.search(line) and "suites/" in line for line in screen), screen
    assert not any(BAR.search(line) for line in last), text  # gone once the run is over
    files = [line for line in last if line.startswith("suites/")]
    assert [PYTEST_LINE.match(line)[1] for line in files if PYTEST_LINE.match(line)] == [
        "auth",
        "headers",
        "generated",
    ], text
    assert any(line.startswith("mconf: PASS") for line in last), text
    counted = [int(n.replace(",", "")) for s in seen for line in s for n in _requests(line)]
    assert max(counted) >= 20, counted[-5:]  # the generated suite sends dozens of requests


def _requests(line: str) -> list[str]:
    return re.findall(r"requests ([\d,]+)", line)

"""`mconf parity` output a person reads (issue 12): a summary instead of one "same" line per
exchange, and a data-only `[DONE]` event shown as such, not as `'None'`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "cassettes" / "local" / "test_scenarios"


def parity(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MCONF_GATEWAY_API_KEY", "CI")}
    return subprocess.run(
        [sys.executable, "-m", "messages_conformance", "parity", *argv],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_a_clean_gateway_gets_a_summary_not_a_line_per_exchange() -> None:
    done = parity("--reference", str(SCENARIOS))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) <= 3, lines[:10]
    assert not any(line.endswith(": same") for line in lines)
    assert "0 differ" in done.stdout


def test_done_event_is_shown_as_done() -> None:
    done = parity(
        "--reference", str(SCENARIOS / "test_plain_text-stream.yaml"), "--fault", "done-terminator"
    )
    assert done.returncode == 1, done.stderr
    assert "[DONE]" in done.stdout, done.stdout
    assert "None" not in done.stdout, done.stdout
    assert "DIFFERS" in done.stdout

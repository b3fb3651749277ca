"""Replay against live, whole process, as a user runs them (issue 14: replay <= 0.5x live).

    python benchmarks/replay.py [ROUNDS]

Runs `mconf run -q` (live, against the embedded reference gateway) and `mconf run -q --mode
replay` (the committed cassettes, no network) alternately, ROUNDS times each (default 3), each
in its own process, and prints the median wall time of each, replay / live as a ratio, the CPU
seconds (user + system) each took, and the load average before and after: the machine is
shared, so read the ratio with the load beside it.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL = 0.5
MCONF_RUN = (sys.executable, "-m", "messages_conformance", "run", "-q", "--no-progress")


def timed(*args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `mconf run -q ARGS` in its own process."""
    with tempfile.TemporaryDirectory() as reports:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [*MCONF_RUN, "--report-dir", reports, *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"mconf run {' '.join(args)} failed:\n{done.stdout[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(f"load average before: {load()} ({os.cpu_count()} cores)")
    live: list[tuple[float, float]] = []
    replay: list[tuple[float, float]] = []
    for _ in range(rounds):  # alternated, so a change in load falls on both
        live.append(timed())
        replay.append(timed("--mode", "replay"))
    print(f"load average after:  {load()}")
    for name, runs in (("live", live), ("replay", replay)):
        walls = ", ".join(f"{w:.2f}" for w, _ in runs)
        print(
            f"{name:>6}: median {statistics.median(w for w, _ in runs):.2f} s wall "
            f"({walls}); median {statistics.median(c for _, c in runs):.2f} s CPU"
        )
    ratio = statistics.median(w for w, _ in replay) / statistics.median(w for w, _ in live)
    cpu = statistics.median(c for _, c in replay) / statistics.median(c for _, c in live)
    verdict = "met" if ratio <= GOAL else "not met"
    print(f"replay / live: {ratio:.2f}x wall, {cpu:.2f}x CPU (goal <= {GOAL}x wall: {verdict})")


if __name__ == "__main__":
    main()

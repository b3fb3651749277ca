"""What the checks cost under load: `mconf load` requests/s with and without them.

    python benchmarks/load_checks.py [--users 20] [--seconds 15] [--workers 0] [--mix ...]

Runs `mconf load` twice against the reference gateway (its own process, loopback only, bounded
by --seconds): once sending and reading every answer only (`--no-checks`), once judging every
answer with the core checks. Prints both rates, the load process's CPU per request, and the
ratio (goal: checks cost under 30%, i.e. checked/unchecked >= 0.70).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def load_run(args: argparse.Namespace, *extra: str) -> tuple[dict[str, Any], float]:
    """(the run's load section, CPU seconds of mconf load and its Locust workers)."""
    with tempfile.TemporaryDirectory() as reports:
        command = [
            sys.executable, "-m", "messages_conformance", "load", "-q",
            "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s",
            "--workers", str(args.workers), "--report-dir", reports, *extra,
        ]  # fmt: skip
        if args.mix:
            command += ["--mix", args.mix]
        before = os.times()
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL)
        after = os.times()
        report = json.loads(next(Path(reports).glob("*/report.json")).read_text())
    cpu = after.children_user - before.children_user
    cpu += after.children_system - before.children_system
    return report["load"], cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--mix", default="")
    args = parser.parse_args()
    plain, plain_cpu = load_run(args, "--no-checks")
    checked, checked_cpu = load_run(args)
    for label, load, cpu in (
        ("send + read only (--no-checks)", plain, plain_cpu),
        ("every answer checked", checked, checked_cpu),
    ):
        per_request = 1000 * cpu / max(load["requests"], 1)
        print(
            f"{label:34} {load['requests_per_s']:9.1f} requests/s   {load['requests']:7} requests"
            f"   {per_request:6.2f} ms CPU/request (load + gateway)"
        )
    ratio = checked["requests_per_s"] / plain["requests_per_s"]
    print(f"{'ratio checked / unchecked':34} {ratio:9.2f} x   (goal >= 0.70: checks cost < 30%)")
    print(f"{'failed the checks':34} {checked['failed']:9}")


if __name__ == "__main__":
    main()

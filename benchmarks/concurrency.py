"""Live runs against a 200 ms-latency target: sequential vs concurrent, whole `mconf run` processes.

    python benchmarks/concurrency.py [--pairs 3] [--jobs 16] [--workers 4] [--latency-ms 200]

The target is the reference gateway served on its own (`mconf serve --latency-ms 200`, a
process of its own on loopback, as a remote target would be), under a profile that has the
`local` target's features and timing thresholds. Each round times, side by side:

1. the default suites (`mconf run`), sequential, then `-j JOBS` (in-process concurrency),
   then `-n WORKERS` (xdist);
2. the suites that only send (auth, headers, requests, scenarios, errors, clients), sequential
   then `-j JOBS`;
3. the default suites against the embedded gateway (`mconf run --latency-ms 200`), sequential
   then `-j JOBS` (which serves the embedded gateway from a process of its own).

Rounds repeat (the machine is shared: other processes come and go); the medians of the ratios
are printed with the load average before each round. Goal (issue 14): >= 3x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY_ENV = "MCONF_BENCH_KEY"
KEY = "bench-key"  # the served gateway's own, loopback only
SENDING = ("auth", "headers", "requests", "scenarios", "errors", "clients")
PROFILE = """
[slow]
description = "the reference gateway, served with {latency} ms of latency a request"
base_url = "{url}"
auth = "x-api-key"
key_env = "{key_env}"
models = ["claude-sonnet-4-6"]
version_policy = "require"
bearer = true
features = ["prefill", "thinking", "images", "top_k", "error-statuses", "count-tokens",
            "models", "pacing-markers"]
max_tokens = 64
max_request_bytes = 65536

[slow.timing]
idle_timeout_s = 0.4
"""


@contextmanager
def served(latency_ms: int) -> Iterator[str]:
    """`mconf serve` on a free loopback port; its base URL."""
    command = [sys.executable, "-m", "messages_conformance", "serve", "--port", "0"]
    command += ["--api-key", KEY, "--latency-ms", str(latency_ms), "--max-body-bytes", "65536"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "mconf gateway listening on http://127.0.0.1:PORT"
        if "listening on" not in line:
            raise SystemExit(f"mconf serve did not start: {line!r}")
        yield line.split("listening on", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def timed(argv: Sequence[str], profile: Path | None = None) -> float:
    """Wall time of one whole `mconf run` process (exit 0 required). With ``profile``: against
    the served target, its recorded suite checking the `local` target's cassettes."""
    with tempfile.TemporaryDirectory() as reports:
        command = [sys.executable, "-m", "messages_conformance", "run", "-q", "--no-progress"]
        command += ["--report-dir", reports]
        if profile is not None:
            cassettes = Path(reports) / "cassettes"
            cassettes.mkdir()
            (cassettes / "slow").symlink_to(ROOT / "cassettes" / "local")
            command += ["--targets-file", str(profile), "--target", "slow"]
            command += ["--cassette-dir", str(cassettes)]
        env = {**os.environ, KEY_ENV: KEY}
        start = time.perf_counter()
        done = subprocess.run([*command, *argv], cwd=ROOT, capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"mconf run {' '.join(argv)} failed:\n{done.stdout[-3000:]}")
    return elapsed


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (5 min {five:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--jobs", type=int, default=16, help="-j of the concurrent runs")
    parser.add_argument("--workers", type=int, default=4, help="-n of the xdist runs (0: none)")
    parser.add_argument("--latency-ms", type=int, default=200)
    args = parser.parse_args()
    jobs, workers = ["-j", str(args.jobs)], ["-n", str(args.workers)]
    sending = [item for name in SENDING for item in ("--suite", name)]
    embedded = ["--latency-ms", str(args.latency_ms)]
    ratios: dict[str, list[float]] = {}
    print(f"{os.cpu_count()} cores; target: mconf serve --latency-ms {args.latency_ms}")
    with tempfile.TemporaryDirectory() as folder, served(args.latency_ms) as url:
        profile = Path(folder) / "targets.toml"
        profile.write_text(PROFILE.format(latency=args.latency_ms, url=url, key_env=KEY_ENV))
        runs = [  # name, the sequential run, the concurrent ones
            ("default suites", [], profile, [jobs, *([workers] if args.workers else [])]),
            ("sending suites", sending, profile, [jobs]),
            ("default suites, embedded gateway", embedded, None, [jobs]),
        ]
        for round_ in range(1, args.pairs + 1):
            print(f"round {round_}: {load()}")
            for name, argv, target, variants in runs:
                sequential = timed(argv, target)
                row = f"  {name:33} sequential {sequential:5.1f} s"
                for variant in variants:
                    took = timed([*argv, *variant], target)
                    key = f"{name}, {' '.join(variant)} over sequential"
                    ratios.setdefault(key, []).append(sequential / took)
                    row += f", {' '.join(variant)} {took:5.1f} s ({sequential / took:4.2f}x)"
                print(row)
    print(f"medians of {args.pairs} round(s) ({load()}); goal >= 3x:")
    for key, values in ratios.items():
        print(f"  {key:55} {statistics.median(values):5.2f}x")


if __name__ == "__main__":
    main()

"""The cost of timing capture on live throughput: one live workload with and without it.

    python benchmarks/timing.py                   # 5 rounds of 150 requests each way
    python benchmarks/timing.py --requests 400 --rounds 7

The workload is what a live run does per case: send a request through `net.transport.Transport`
and check the answer with `core.check.check_exchange` (schemas, stream grammar, semantics and,
with timing, the event arrivals and the timing rules). Two thirds are streams of ~40 events
(each its own chunk on the wire: the worst case for a per-chunk cost), one third JSON. The
reference gateway runs in its own process (`mconf serve --port 0`), unpaced, so the client's
work is the bottleneck and any capture cost shows.

Two measurements, both of whole runs of the workload, alternating with/without (ABBA) so that
drift on a shared machine hits both alike:
- in-function: the send-and-check loop, timed inside one process (wall and CPU);
- whole-process: a fresh interpreter per run (imports, client, loop, exit), wall and CPU time.
Printed: the median of each, and the ratio with/without timing. The goal (under 1.05) is
judged on CPU time, the client's own work: wall-clock time on a shared machine varies by
more than the effect measured (both are printed). The gateway's CPU is not counted (it is
another process and does the same work either way).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KEY = "mconf-bench-key-0000"
GOAL = 1.05
WORDS = " ".join(f"word{i}" for i in range(60))  # 30 text deltas: ~36 events


def requests(count: int) -> list[dict[str, Any]]:
    base = {"model": "claude-sonnet-4-6", "max_tokens": 200}
    out = []
    for i in range(count):
        streamed = i % 3 != 2
        content = f"Repeat exactly: {WORDS}" if streamed else "Say hello."
        out.append({**base, "stream": streamed, "messages": [{"role": "user", "content": content}]})
    return out


def workload(url: str, count: int, timing: bool) -> tuple[float, float]:
    """Wall and CPU seconds to send and check ``count`` requests (the in-function figure)."""
    from messages_conformance.core.check import check_exchange
    from messages_conformance.core.spec import Spec
    from messages_conformance.net.transport import Transport

    spec = Spec.load(ROOT / "spec")
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    bodies = requests(count)
    with Transport(url, auth_headers=headers, timing=timing, max_retries=0) as transport:
        check_exchange(transport.send(bodies[0]).exchange, spec)  # warm: connection, caches
        started, cpu = time.perf_counter(), time.process_time()
        for body in bodies:
            result = check_exchange(transport.send(body).exchange, spec)
            assert (result.trace is not None) is timing, "timing capture on/off as asked"
        return time.perf_counter() - started, time.process_time() - cpu


@contextmanager
def gateway() -> Iterator[str]:
    command = [sys.executable, "-m", "messages_conformance", "serve", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--api-key", KEY], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        if "listening on" not in line:
            raise SystemExit(f"the gateway did not start: {line!r}")
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(10)


def child(url: str, count: int, timing: bool) -> tuple[float, float]:
    """Wall and CPU seconds of a fresh interpreter running the workload once."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    flag = "on" if timing else "off"
    script = [sys.executable, __file__, "--child", flag, "--url", url, "--requests", str(count)]
    subprocess.run(script, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def ratio(on: list[float], off: list[float]) -> float:
    return statistics.median(on) / statistics.median(off)


def report(name: str, on: list[float], off: list[float]) -> float:
    value = ratio(on, off)
    print(
        f"{name:<26} with {statistics.median(on):7.3f} s   without {statistics.median(off):7.3f} s"
        f"   ratio {value:.3f}"
    )
    return value


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--requests", type=int, default=150)
    cli.add_argument("--rounds", type=int, default=5)
    cli.add_argument("--child", choices=("on", "off"), help=argparse.SUPPRESS)
    cli.add_argument("--url", help=argparse.SUPPRESS)
    args = cli.parse_args()
    if args.child:
        wall, cpu = workload(args.url, args.requests, args.child == "on")
        print(json.dumps({"seconds": wall, "cpu": cpu}))
        return 0
    keys = ("in", "in-cpu", "wall", "cpu")
    timings: dict[str, list[float]] = {f"{k}-{v}": [] for k in keys for v in ("on", "off")}
    with gateway() as url:
        for round_ in range(args.rounds):
            order = ((True, "on"), (False, "off"))[:: 1 if round_ % 2 == 0 else -1]  # ABBA
            for timing, key in order:
                wall, cpu = workload(url, args.requests, timing)
                timings[f"in-{key}"].append(wall)
                timings[f"in-cpu-{key}"].append(cpu)
            for timing, key in order:
                wall, cpu = child(url, args.requests, timing)
                timings[f"wall-{key}"].append(wall)
                timings[f"cpu-{key}"].append(cpu)
    print(f"{args.requests} requests per run (2/3 streamed), {args.rounds} runs each way")
    report("in-function, wall", timings["in-on"], timings["in-off"])
    judged = [
        report("in-function, CPU", timings["in-cpu-on"], timings["in-cpu-off"]),
        report("whole process, CPU", timings["cpu-on"], timings["cpu-off"]),
    ]
    report("whole process, wall", timings["wall-on"], timings["wall-off"])
    worst = max(judged)
    print(
        f"timing capture costs {100 * (worst - 1):+.1f}% of the client's CPU at worst "
        f"(goal: under {GOAL - 1:.0%}); wall-clock ratios carry the shared machine's noise"
    )
    return 0 if worst < GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Stream validation against a naive parse, whole process and in process, and its peak memory.

    python benchmarks/validate_stream.py [--events 200000] [--mb 210] [--rounds 5]

Prints, in one run, each as a ratio (goal >= 1.0: checking everything is faster than the
naive parse that checks nothing):

1. whole process: `mconf validate big.sse` on a --events stream against FLOOR, six lines of
   standard library that split the file and `json.loads` every data line (best wall time of
   --rounds runs each, and CPU time, since the machine may be shared);
2. in process: full validation as every checked response gets it (check.check_exchange:
   decoding, the schema of every event, grammar, accumulation, the accumulated Message
   validated again, semantic rules) against the same split + json.loads, in events/s;
3. the peak RSS of `mconf validate` of a --mb stream file (goal: under 100 MB), beside the
   RSS of the same process after imports alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from messages_conformance.core.check import check_exchange
from messages_conformance.core.exchange import Exchange, Response
from messages_conformance.core.spec import Spec

FLOOR = """
import json, sys
n = 0
for line in open(sys.argv[1], "rb").read().split(b"\\n"):
    if line.startswith(b"data:"):
        json.loads(line[5:]); n += 1
print(n)
"""
HEAD = {
    "type": "message_start",
    "message": {
        "id": "msg_01BenchBenchBenchBench",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 25, "output_tokens": 1},
    },
}


def _event(payload: dict[str, object]) -> bytes:
    return f"event: {payload['type']}\ndata: {json.dumps(payload)}\n\n".encode()


def stream_chunks(events: int) -> Iterator[bytes]:
    """A realistic text stream of exactly `events` events, yielded event by event."""
    yield _event(HEAD)
    yield _event(
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    )
    yield _event({"type": "ping"})
    for n in range(events - 6):
        delta = {"type": "text_delta", "text": f" word{n % 97}"}
        yield _event({"type": "content_block_delta", "index": 0, "delta": delta})
    yield _event({"type": "content_block_stop", "index": 0})
    delta = {"stop_reason": "end_turn", "stop_sequence": None}
    yield _event({"type": "message_delta", "delta": delta, "usage": {"output_tokens": events}})
    yield _event({"type": "message_stop"})


def write_stream(path: Path, events: int) -> int:
    with path.open("wb") as out:
        for chunk in stream_chunks(events):
            out.write(chunk)
    return path.stat().st_size


# -- 1. whole process ----------------------------------------------------------------------


def timed(command: list[str], rounds: int) -> tuple[float, float]:
    """(best wall seconds, best CPU seconds) of `rounds` runs of a command."""
    walls, cpus = [], []
    for _ in range(rounds):
        before = os.times()
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        after = os.times()
        cpus.append(
            after.children_user - before.children_user + after.children_system
            - before.children_system
        )  # fmt: skip
    return min(walls), min(cpus)


def whole_process(path: Path, rounds: int) -> None:
    floor = timed([sys.executable, "-c", FLOOR, str(path)], rounds)
    mconf = timed([sys.executable, "-m", "messages_conformance", "validate", str(path)], rounds)
    for label, (wall, cpu) in (
        ("floor: split + json.loads (6 lines)", floor),
        ("mconf validate (everything checked)", mconf),
    ):
        print(f"{label:44} {wall:8.3f} s wall {cpu:8.3f} s CPU")
    print(
        f"{'ratio floor / mconf':44} {floor[0] / mconf[0]:8.2f} x wall {floor[1] / mconf[1]:6.2f} x"
        " CPU   (goal >= 1.0)"
    )


# -- 2. in process -------------------------------------------------------------------------


def naive_parse(body: bytes) -> int:
    count = 0
    for line in body.split(b"\n"):
        if line.startswith(b"data:"):
            json.loads(line[5:])
            count += 1
    return count


def full_validation(body: bytes, spec: Spec) -> int:
    """The path every checked response takes: check.check_exchange on the whole exchange."""
    headers = {"content-type": "text/event-stream; charset=utf-8", "request-id": "req_bench"}
    result = check_exchange(Exchange(Response(200, headers, body)), spec)
    assert not result.findings, result.findings[:3]
    return len(result.events)


def best_rate(fn: object, body: bytes, *args: object, rounds: int = 3) -> float:
    best, count = float("inf"), 0
    for _ in range(rounds):
        start = time.perf_counter()
        count = fn(body, *args)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return count / best


def in_process(path: Path, rounds: int) -> None:
    spec = Spec.load()
    body = path.read_bytes()
    naive = best_rate(naive_parse, body, rounds=rounds)
    full = best_rate(full_validation, body, spec, rounds=rounds)
    print(f"{'(a) split + json.loads per data line':44} {naive:>12,.0f} events/s")
    print(f"{'(b) full validation (check_exchange)':44} {full:>12,.0f} events/s")
    print(f"{'ratio b / a':44} {full / naive:>12.2f} x   (goal >= 1.0)")


# -- 3. memory -----------------------------------------------------------------------------

CHILD = """
import sys
def peak_kb():
    # VmHWM, reset below: ru_maxrss would keep the forked parent's size across exec.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
open("/proc/self/clear_refs", "w").write("5")
from messages_conformance.cli.main import run
from messages_conformance.core.check import check_exchange
from messages_conformance.core.spec import Spec
Spec.load()
baseline = peak_kb()
code = run(["validate", sys.argv[1]], open("/dev/null", "w"))
assert code == 0, code
print(baseline, peak_kb())
"""


def peak_memory(mb: int) -> None:
    delta = {"type": "text_delta", "text": " word42"}
    per_event = len(_event({"type": "content_block_delta", "index": 0, "delta": delta}))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.sse"
        size = write_stream(path, mb * 1_000_000 // per_event)
        run = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
        )
    baseline_kb, peak_kb = map(int, run.stdout.split())
    label = f"peak RSS, mconf validate of {size / 1e6:.0f} MB"
    print(f"{label:44} {peak_kb / 1024:12.1f} MB  (goal < 100)")
    print(f"{'  of which imports + spec alone':44} {baseline_kb / 1024:12.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--mb", type=int, default=210)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stream.sse"
        size = write_stream(path, args.events)
        print(f"stream: {args.events:,} events, {size / 1e6:.1f} MB\n")
        whole_process(path, args.rounds)
        print()
        in_process(path, args.rounds)
        print()
    peak_memory(args.mb)


if __name__ == "__main__":
    main()

"""Throughput of stream validation vs plain decoding, and peak memory on a 200 MB stream.

    python benchmarks/validate_stream.py [--events 20000] [--mb 200]

Prints, in one run: (a) SSE decoding + json parsing only, (b) full validation as every checked
response gets it (check.check_exchange: decoding, JSON Schema per event, grammar, accumulation,
the accumulated Message validated, semantic rules), their ratio
(goal: b >= 0.5 x a), and the peak RSS of a child process that validates a --mb stream file
chunk by chunk (goal: under 100 MB), next to the child's RSS after imports alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from messages_conformance.core.check import check_exchange
from messages_conformance.core.exchange import Exchange, Response
from messages_conformance.core.spec import Spec
from messages_conformance.core.sse import decode

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
        yield _event(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": f" word{n % 97}"},
            }
        )
    yield _event({"type": "content_block_stop", "index": 0})
    usage = {"output_tokens": events}
    yield _event(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": usage,
        }
    )
    yield _event({"type": "message_stop"})


def decode_only(body: bytes) -> int:
    events = decode(body).events
    for event in events:
        json.loads(event.data)
    return len(events)


def full_validation(body: bytes, spec: Spec) -> tuple[int, int]:
    """The path every checked response takes: check.check_exchange on the whole exchange."""
    headers = {"content-type": "text/event-stream; charset=utf-8", "request-id": "req_bench"}
    result = check_exchange(Exchange(Response(200, headers, body)), spec)
    return len(result.events), len(result.findings)


def best_rate(fn: object, body: bytes, *args: object, rounds: int = 3) -> tuple[float, int]:
    best = float("inf")
    count = 0
    for _ in range(rounds):
        start = time.perf_counter()
        out = fn(body, *args)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
        count = out if isinstance(out, int) else out[0]
    return count / best, count


CHILD = """
import sys
def peak_kb():
    # VmHWM, reset below: ru_maxrss would keep the forked parent's size across exec.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
open("/proc/self/clear_refs", "w").write("5")
from messages_conformance.core.spec import Spec
from messages_conformance.core.stream import check_stream
spec = Spec.load()
baseline = peak_kb()
if sys.argv[2] == "validate":
    def chunks():
        with open(sys.argv[1], "rb") as f:
            while block := f.read(1 << 16):
                yield block
    def schema(event, payload, index):
        if payload is None or spec.is_valid("event", payload):
            return ()
        return list(spec.validate("event", payload))
    result = check_stream(chunks(), also=schema)
    bad = [f for f in result.findings if f.severity == "error"]
    assert not bad, bad[:3]
print(baseline, peak_kb())
"""


def peak_memory(mb: int) -> tuple[float, float, int]:
    """(RSS after imports, peak RSS while validating) in MB for a stream of about `mb` MB."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.sse"
        per_event = len(
            _event(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": " word42"},
                }
            )
        )
        events = mb * 1024 * 1024 // per_event
        with path.open("wb") as out:
            for chunk in stream_chunks(events):
                out.write(chunk)
        size = path.stat().st_size
        run = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), "validate"],
            capture_output=True,
            text=True,
            check=True,
        )
        baseline_kb, peak_kb = map(int, run.stdout.split())
    return baseline_kb / 1024, peak_kb / 1024, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    spec = Spec.load()
    body = b"".join(stream_chunks(args.events))
    rate_a, count = best_rate(decode_only, body)
    rate_b, _ = best_rate(full_validation, body, spec)
    print(f"stream: {count} events, {len(body) / 1e6:.1f} MB")
    print(f"{'(a) decode + json parse':40} {rate_a:>12,.0f} events/s")
    print(f"{'(b) full validation':40} {rate_b:>12,.0f} events/s")
    print(f"{'ratio b / a':40} {rate_b / rate_a:>12.2f} x   (goal >= 0.5)")
    baseline, peak, size = peak_memory(args.mb)
    print(
        f"{f'peak RSS validating a {size / 1e6:.0f} MB stream':40} {peak:>12.1f} MB  (goal < 100)"
    )
    print(f"{'  of which imports + spec alone':40} {baseline:>12.1f} MB")


if __name__ == "__main__":
    main()

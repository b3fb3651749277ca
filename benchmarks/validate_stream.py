"""Throughput of stream validation vs plain decoding, and peak memory on a 200 MB stream.

    python benchmarks/validate_stream.py [--events 20000] [--mb 200]

Prints, in one run: (a) SSE decoding + json parsing only, (b) full validation (decoding, JSON
Schema per event, grammar, accumulation, the accumulated Message validated), their ratio
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

from messages_conformance.spec import Spec
from messages_conformance.sse import decode
from messages_conformance.stream import check_stream

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


def full_validation(chunks: bytes | Iterator[bytes], spec: Spec) -> tuple[int, int]:
    def schema(payload: dict[str, object], index: int) -> list[object]:
        if spec.is_valid("event", payload):
            return []
        return list(spec.validate("event", payload, location_prefix=f"events[{index}]"))

    result = check_stream(chunks, also=schema)
    findings = list(result.findings)
    if result.message is not None:
        findings += spec.validate("message", result.message, location_prefix="accumulated")
    return result.events, len(findings)


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
import resource, sys
from messages_conformance.spec import Spec
from messages_conformance.stream import check_stream
spec = Spec.load()
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if sys.argv[2] == "validate":
    def chunks():
        with open(sys.argv[1], "rb") as f:
            while block := f.read(1 << 16):
                yield block
    def schema(payload, index):
        return list(spec.validate("event", payload))
    result = check_stream(chunks(), also=schema)
    bad = [f for f in result.findings if f.severity == "error"]
    assert not bad, bad[:3]
print(baseline, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
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

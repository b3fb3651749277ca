"""Suite throughput, side by side in one run (loopback only, bounded).

    python benchmarks/suite.py

1. a full replay run (cassettes, no network) vs a full live run against the reference gateway;
2. 240 one-request cases against the gateway with 200 ms of added latency per request,
   `-n 4` vs `-n 0` (goal: >= 3x speed-up: live runs are I/O-bound, xdist workers multiply
   throughput), with the fixed start-up cost of four workers shown beside it;
3. the per-case cost of our checks on top of plain Schemathesis, on the same generated cases.
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LATENCY_CASES = 240
LATENCY_SUITE = """
import pytest

@pytest.mark.parametrize("i", range({cases}))
def test_one_request(mconf, i):
    \"\"\"One small request per case: the I/O-bound shape of a live run.\"\"\"
    mconf.expect_success(mconf.send(mconf.body(f"Say hello {{i}}.")))
"""


def timed_run(*args: str) -> float:
    with tempfile.TemporaryDirectory() as reports:
        start = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "messages_conformance",
                "run",
                "-q",
                "--report-dir",
                reports,
                *args,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"mconf run {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return elapsed


def latency_run(workers: int, latency_ms: int, cases: int = LATENCY_CASES) -> float:
    """Wall time of `cases` one-request cases against the embedded gateway with added latency."""
    with tempfile.TemporaryDirectory() as folder:
        suite = Path(folder) / "test_latency.py"
        suite.write_text(LATENCY_SUITE.format(cases=cases))
        args = [str(suite), "-q", "-p", "no:cacheprovider", "--latency-ms", str(latency_ms)]
        args += ["-n", str(workers)] if workers else []
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *args], cwd=ROOT, capture_output=True, text=True
        )
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"latency run failed:\n{done.stdout[-2000:]}")
    return elapsed


def check_overhead(cases: int = 40) -> tuple[float, float]:
    """(plain Schemathesis ms/case, Schemathesis + our checks ms/case) on the same cases."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.generation import GenerationMode

    from messages_conformance.core.check import check_exchange
    from messages_conformance.core.spec import Spec
    from messages_conformance.gateway import GatewayConfig, serve_in_thread
    from messages_conformance.suite.generated import exchange_from_requests

    spec = Spec.load()
    with serve_in_thread(GatewayConfig(api_keys=("bench",))) as gateway:
        schema = schemathesis.openapi.from_path(str(spec.openapi_path))
        schema.config.update(base_url=gateway.base_url)
        operation = schema["/v1/messages"]["POST"]
        collected: list[object] = []

        @given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        @settings(
            max_examples=cases,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def gather(case: object) -> None:
            collected.append(case)

        gather()
        headers = {"x-api-key": "bench", "anthropic-version": "2023-06-01"}
        responses = [case.call(headers=headers) for case in collected]  # type: ignore[attr-defined]
        plain, ours = [], []
        for case, response in zip(collected, responses, strict=True):
            start = time.perf_counter()
            with contextlib.suppress(BaseExceptionGroup):  # failures are fine: we time the work
                case.validate_response(response, headers=headers)  # type: ignore[attr-defined]
            middle = time.perf_counter()
            check_exchange(exchange_from_requests(response), spec)
            end = time.perf_counter()
            plain.append(middle - start)
            ours.append(end - middle)
    return statistics.mean(plain) * 1000, statistics.mean(ours) * 1000


def main() -> None:
    replay = timed_run("--mode", "replay")
    live = timed_run()
    serial = latency_run(0, 200)
    parallel = latency_run(4, 200)
    idle_parallel, idle_serial = latency_run(4, 0), latency_run(0, 0)
    startup = idle_parallel - idle_serial
    plain_ms, ours_ms = check_overhead()
    rows = [
        ("full run, replay (cassettes)", f"{replay:8.1f} s"),
        ("full run, live (reference gateway)", f"{live:8.1f} s"),
        ("  replay / live", f"{replay / live:8.2f} x"),
        (f"{LATENCY_CASES} cases, 200 ms latency, -n 0", f"{serial:8.1f} s"),
        (f"{LATENCY_CASES} cases, 200 ms latency, -n 4", f"{parallel:8.1f} s"),
        ("  of which xdist start-up (-n 4 vs -n 0, no latency)", f"{startup:8.1f} s"),
        ("  speed-up -n 4 over -n 0 (goal >= 3x)", f"{serial / parallel:8.2f} x"),
        (
            "  speed-up, start-up of each excluded",
            f"{(serial - idle_serial) / (parallel - idle_parallel):8.2f} x",
        ),
        ("Schemathesis validate_response per case", f"{plain_ms:8.2f} ms"),
        ("our checks (check_exchange) per case", f"{ours_ms:8.2f} ms"),
        ("  ours / Schemathesis", f"{ours_ms / plain_ms:8.2f} x"),
    ]
    for name, value in rows:
        print(f"{name:45} {value}")


if __name__ == "__main__":
    main()

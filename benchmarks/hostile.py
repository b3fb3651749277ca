"""Bombs and hangs, measured: what the user sees, the exit code, peak RSS and time of each.

    python benchmarks/hostile.py            # every item (about two minutes)
    python benchmarks/hostile.py -k gzip    # the items whose name contains "gzip"

Each item runs `mconf ...` in a child process against a misbehaving loopback target or a
hostile file (the helpers of tests/robustness/). Printed: a Markdown table of item, exit code,
the child's peak RSS (VmHWM), seconds, and the first line the user sees. The gateway items run
`mconf serve` and report the gateway's peak RSS and the answer's time. Exit 1 when an item
goes past the bounds (500 MB, its deadline). Loopback only; each item is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "robustness"))

from hostile import GENERATED, KEY_VAR, MAX_RSS_MB, Measured, against, measured, serving  # noqa: E402
from test_hostile_bodies import BODIES  # noqa: E402
from test_hostile_recordings import BOMBS  # noqa: E402

KEY = {KEY_VAR: "sk-ant-hostile-bench-key-000000000000"}
CAP = "65536"
Row = tuple[str, int, float, float, str]


def _shown(run: Measured) -> str:
    lines = [line for line in (run.err + run.out).splitlines() if line.startswith("mconf: ")]
    return (lines[-1] if lines else "").replace("|", "/")[:150]


def _target(mode: str, *argv: str, folder: Path) -> Measured:
    with serving(mode) as server:
        return measured(
            *against(server.url, *argv),
            "--report-dir",
            str(folder / "reports"),
            "--cassette-dir",
            str(folder / "cassettes"),
            env=KEY,
            limit_s=300,
        )


def _file(text: str, suffix: str, folder: Path) -> Measured:
    path = folder / f"input{suffix}"
    path.write_text(text)
    return measured("validate", str(path), limit_s=300)


def target_items() -> dict[str, Callable[[Path], Measured]]:
    generated, scenario = GENERATED, ("--suite", "scenarios", "-k", "plain_text")
    items: dict[str, Callable[[Path], Measured]] = {
        "generated, dead target": lambda f: _dead(f),
        "generated, --max-requests 5": lambda f: _target(
            "ok", *generated, "--max-requests", "5", folder=f
        ),
    }
    for mode in ("live", "record"):
        for name, suite in (("generated", generated), ("scenario", scenario)):
            items[f"2 GiB body, {name}, {mode}"] = lambda f, s=suite, m=mode: _target(
                "huge", *s, "--mode", m, "--max-body-bytes", CAP, "--max-requests", "3", folder=f
            )
            items[f"trickled headers, {name}, {mode}"] = lambda f, s=suite, m=mode: _target(
                "trickle-headers", *s, "--mode", m, "--deadline-s", "2", folder=f
            )
        items[f"endless pings, {mode}"] = lambda f, m=mode: _target(
            "pings", *scenario, "-k", "stream", "--mode", m, "--deadline-s", "2", folder=f
        )
    return items


def _dead(folder: Path) -> Measured:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return measured(
        *against(f"http://127.0.0.1:{port}", *GENERATED),
        "--report-dir",
        str(folder / "reports"),
        env=KEY,
    )


def file_items() -> dict[str, Callable[[Path], Measured]]:
    items: dict[str, Callable[[Path], Measured]] = {}
    for name, (make, _) in BOMBS.items():
        items[f"recording: {name}"] = lambda f, m=make: _file(m(), ".yaml", f)
    for name, (body, _) in BODIES.items():
        items[f"body: {name}"] = lambda f, b=body: _file(b, ".json", f)
    return items


def gateway_rows() -> list[Row]:
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "messages_conformance", "serve", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    process.stdout.readline()
    headers = {"x-api-key": "mconf-local-key", "anthropic-version": "2023-06-01"}
    url = f"http://127.0.0.1:{port}/v1/messages"
    tool = {"type": "object", "properties": {"s": {"type": "string", "minLength": 10**9}}}
    requests = {
        "gateway: forced tool, minLength 1e9": json.dumps(
            {
                "model": "claude-sonnet-4-6",
                "max_tokens": 64,
                "messages": [{"role": "user", "content": "x"}],
                "tools": [{"name": "t", "input_schema": {**tool, "required": ["s"]}}],
                "tool_choice": {"type": "tool", "name": "t"},
            }
        ),
        "gateway: 100k-deep body": '{"messages": ' + "[" * 100_000 + "]" * 100_000 + "}",
    }
    rows: list[Row] = []
    try:
        for name, body in requests.items():
            began = time.monotonic()
            answer = httpx.post(url, headers=headers, content=body, timeout=60)
            seconds = time.monotonic() - began
            rows.append((name, answer.status_code, _hwm(process.pid), seconds, answer.text[:120]))
    finally:
        process.terminate()
        process.wait(10)
    return rows


def _hwm(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only items whose name contains this")
    args = parser.parse_args()
    rows: list[Row] = []
    for name, run_item in {**target_items(), **file_items()}.items():
        if args.k not in name:
            continue
        with tempfile.TemporaryDirectory() as folder:
            run = run_item(Path(folder))
        rows.append((name, run.code, run.rss_mb, run.seconds, _shown(run)))
    if "gateway".startswith(args.k) or args.k in "gateway":
        rows += gateway_rows()
    print("| item | exit | peak RSS (MB) | seconds | what the user sees |")
    print("|---|---|---|---|---|")
    for name, code, rss, seconds, shown in rows:
        print(f"| {name} | {code} | {rss:.0f} | {seconds:.1f} | {shown} |")
    over = [r for r in rows if r[2] > MAX_RSS_MB or r[3] > 60]
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())

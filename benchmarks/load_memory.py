"""`mconf load` (Locust) over a long run: the controller's memory stays flat.

    python benchmarks/load_memory.py                    # one minute, 20 users
    python benchmarks/load_memory.py --minutes 10       # the issue's ten minutes

Runs `mconf load -u USERS -t MINUTESm` against the embedded reference gateway (its own process,
loopback) and samples the `mconf load` process's resident memory (VmRSS, VmHWM from
/proc/PID/status) every SAMPLE_S seconds. Printed: RSS at the start (after the first
WARM_S seconds), every minute, at the end and the peak; growth per 1000 requests; requests
served (from the run's report.json). Exit 1 when the controller grows by more than
LIMIT_KIB per 1000 requests or its peak reaches LIMIT_MIB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_S = 5.0
WARM_S = 20.0
LIMIT_KIB = 50.0  # per 1000 requests: the tally is bounded, nothing per request is kept
LIMIT_MIB = 300.0


def memory_kib(pid: int) -> dict[str, int] | None:
    """VmRSS and VmHWM of a running process, KiB (None once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key.lower()[2:]] = int(value.split()[0])
    return fields if len(fields) == 2 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("-u", "--users", type=int, default=20)
    args = parser.parse_args(argv)
    seconds = max(int(args.minutes * 60), 10)
    env = {k: v for k, v in os.environ.items() if k not in ("MCONF_GATEWAY_API_KEY", "CI")}
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "messages_conformance", "load", "-q"]
        command += ["-u", str(args.users), "-t", f"{seconds}s", "--report-dir", tmp]
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        began = time.monotonic()
        samples: list[tuple[float, dict[str, int]]] = []
        while process.poll() is None:
            sample = memory_kib(process.pid)
            if sample:
                samples.append((time.monotonic() - began, sample))
            time.sleep(SAMPLE_S)
        _, stderr = process.communicate()
        if process.returncode not in (0, 1):
            raise SystemExit(f"mconf load exit {process.returncode}: {stderr.decode()[-2000:]}")
        report = json.loads(next(Path(tmp).rglob("report.json")).read_text())
    load = report["load"]
    requests = int(load["requests"])
    warm = next((s for t, s in samples if t >= WARM_S), samples[0][1])
    end = samples[-1][1]
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"mconf load: {args.users} users, {seconds} s, {requests} requests "
        f"({load['requests_per_s']}/s), {load['failed']} failed the checks"
    )
    print(f"{'controller':<14}{'s':>6}{'RSS MiB':>9}{'peak MiB':>10}")
    rows = [("start (warm)", WARM_S, warm)]
    rows += [(f"minute {int(t // 60)}", t, s) for t, s in _per_minute(samples)]
    rows.append(("end", samples[-1][0], end))
    for label, t, s in rows:
        print(f"{label:<14}{t:>6.0f}{s['rss'] / 1024:>9.1f}{s['hwm'] / 1024:>10.1f}")
    warm_share = max(requests * (1 - WARM_S / seconds), 1)
    growth = (end["rss"] - warm["rss"]) / (warm_share / 1000)
    peak = max(s["hwm"] for _, s in samples) / 1024
    print(f"controller growth: {growth:.1f} KiB per 1000 requests; peak {peak:.1f} MiB")
    flat = growth <= LIMIT_KIB and peak < LIMIT_MIB
    print(
        f"controller flat (<= {LIMIT_KIB} KiB per 1000 requests, peak < {LIMIT_MIB:.0f} MiB): "
        f"{'yes' if flat else 'NO'}"
    )
    return 0 if flat else 1


def _per_minute(samples: list[tuple[float, dict[str, int]]]) -> list[tuple[float, dict[str, int]]]:
    """The first sample past each whole minute."""
    chosen, minute = [], 1
    for t, sample in samples:
        if t >= 60 * minute:
            chosen.append((t, sample))
            minute = int(t // 60) + 1
    return chosen


if __name__ == "__main__":
    sys.exit(main())

"""Running a load: the reference gateway when the target is embedded, Locust, the report.

Single machine by default: a Locust local runner in this process. With ``workers`` (this
machine) or ``expect_workers`` (other machines) a Locust master runs here and the users run in
Locust worker processes (``locust -f load_users.py --worker``), which send their counts to the
master with every stats report. Locust (gevent) is imported only inside ``run_load``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..net.targets import Target
from .load_settings import ENV, LoadSettings

__all__ = ["LoadPlan", "free_port", "run_load", "start_gateway", "worker_command"]

READY_TIMEOUT_S = 30.0
PERCENTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99}


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """How many users for how long, and where they run."""

    users: int = 10
    spawn_rate: float = 10.0
    run_time_s: float = 30.0
    workers: int = 0  # worker processes started here (0: users run in this process)
    expect_workers: int = 0  # workers from other machines to wait for (master mode)
    master_bind_host: str = "127.0.0.1"
    master_port: int = 0  # 0: any free port
    faults: list[str] = field(default_factory=list)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start_gateway(
    target: Target, faults: list[str], latency_ms: float
) -> tuple[subprocess.Popen[str], str]:
    """The reference gateway in its own process (it must not share the load's cores' GIL)."""
    command = [
        sys.executable, "-m", "messages_conformance", "serve", "--port", "0",
        "--api-key", target.require_key(), "--models", ",".join(target.models),
        "--version-policy", target.version_policy, "--latency-ms", str(latency_ms),
    ]  # fmt: skip
    for fault in faults:
        command += ["--fault", fault]
    # its stderr is asyncio's noise about clients gone mid-answer (the load stops them at once)
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on " not in line:
        process.kill()
        raise RuntimeError("the reference gateway did not start (try `mconf serve --port 0`)")
    return process, line.rsplit("listening on ", 1)[1].strip()


def worker_command(host: str, port: int) -> list[str]:
    locustfile = str(Path(__file__).with_name("load_users.py"))
    return [
        sys.executable, "-m", "locust", "-f", locustfile, "--worker",
        "--master-host", host, "--master-port", str(port), "--loglevel", "WARNING",
    ]  # fmt: skip


def run_load(settings: LoadSettings, plan: LoadPlan) -> dict[str, Any]:
    """Run the load; returns what the report needs (tally, timeline, latency, run facts)."""
    os.environ[ENV] = settings.to_json()
    import gevent  # type: ignore[import-untyped]
    import locust
    from locust.env import Environment

    from ..core.spec import Spec
    from . import load_users

    Spec.load()  # compiled once here, before the clock starts (local users share it)

    user = load_users.users(settings.mix)
    env = Environment(user_classes=[user], events=locust.events)
    workers: list[subprocess.Popen[bytes]] = []
    distributed = plan.workers or plan.expect_workers
    try:
        if distributed:
            port = plan.master_port or free_port(plan.master_bind_host)
            runner: Any = env.create_master_runner(plan.master_bind_host, port)
            host = (
                "127.0.0.1" if plan.master_bind_host in ("*", "0.0.0.0") else plan.master_bind_host
            )
            workers = [subprocess.Popen(worker_command(host, port)) for _ in range(plan.workers)]
            _wait_for_workers(runner, plan.workers + plan.expect_workers)
        else:
            runner = env.create_local_runner()
        started = time.time()
        runner.start(plan.users, spawn_rate=plan.spawn_rate)
        gevent.spawn(_quit_at, runner, time.monotonic() + plan.run_time_s)
        runner.greenlet.join()
        duration = time.time() - started
    finally:
        for process in workers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    tally = load_users.TALLY
    return {
        "tally": tally.data,
        "timeline": tally.failures_per_second(),
        "latency": _latency(env, tally.data["shapes"]),
        "started": started,
        "run": {
            "users": plan.users,
            "duration_s": round(duration, 2),
            "workers": max(len(workers) + plan.expect_workers, 1),
            "mode": "master" if distributed else "local",
            "faults": plan.faults,
            "controller_peak_rss_mb": _peak_rss_mb(),
        },
    }


def _quit_at(runner: Any, deadline: float) -> None:
    """Quit when the real clock reaches ``deadline``: not ``gevent.spawn_later``, whose timer
    counts from the event loop's cached time, stale by all the blocking set-up (imports, the
    spec, the runner) since the loop last ran: a 4 s run on a loaded machine ended after 1 s."""
    import gevent

    while (left := deadline - time.monotonic()) > 0:
        gevent.sleep(left)
    runner.quit()


def _wait_for_workers(runner: Any, expected: int) -> None:
    import gevent

    deadline = time.monotonic() + READY_TIMEOUT_S
    while len(runner.clients.ready) < expected:
        if time.monotonic() > deadline:
            ready = len(runner.clients.ready)
            raise RuntimeError(
                f"only {ready} of {expected} Locust worker(s) connected within "
                f"{READY_TIMEOUT_S:.0f}s; start them with `mconf load --worker --master-host ...`"
            )
        gevent.sleep(0.1)


def _latency(env: Any, shapes: dict[str, Any]) -> dict[str, dict[str, float]]:
    found = {}
    for name in shapes:
        entry = env.stats.get(name, "POST")
        if not entry.num_requests:
            continue
        found[name] = {
            key: float(entry.get_response_time_percentile(q)) for key, q in PERCENTILES.items()
        } | {"avg": round(entry.avg_response_time, 1), "max": float(entry.max_response_time)}
    return found


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0

"""`mconf load`: conformance under load on Locust; every answer through the core checks.

    mconf load -u 20 -t 30s                        # local runner, embedded reference gateway
    mconf load --workers 2 -u 20 -t 30s            # a Locust master here + 2 worker processes
    mconf load --master --expect-workers 4 ...     # a master for workers on other machines
    mconf load --worker --master-host HOST ...     # one of them (same target options)

Exit codes: 0 no unwaived error finding, 1 error findings, 2 unusable options or target.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..net import targets
from .base import ArgumentParser, UsageError, parse

if TYPE_CHECKING:
    from ..suite.load_settings import LoadSettings

USAGE = "mconf load"


def _parser() -> ArgumentParser:
    parser = ArgumentParser(prog=USAGE, description="conformance under load (Locust)")
    parser.add_argument("--target", help="profile name: local (default), ccapi, anthropic, ...")
    parser.add_argument("--base-url", help="one-off target base URL (instead of --target)")
    parser.add_argument("--api-key-env", help="environment variable holding the target's key")
    parser.add_argument("--model", help="model name the gateway routes")
    parser.add_argument("--targets-file", type=Path, help="TOML file with more target profiles")
    parser.add_argument("-u", "--users", type=int, default=10, help="concurrent users (10)")
    parser.add_argument("-r", "--spawn-rate", type=float, default=10.0, help="users started/s")
    parser.add_argument("-t", "--run-time", default="30s", help="how long: 30s, 5m, 1h (30s)")
    parser.add_argument("--mix", help="weighted request shapes, e.g. json=3,stream=4,errors=1")
    parser.add_argument("--no-checks", action="store_true", help="send and read only (benchmark)")
    parser.add_argument("--workers", type=int, default=0, help="Locust worker processes here")
    parser.add_argument("--master", action="store_true", help="be a master for remote workers")
    parser.add_argument("--expect-workers", type=int, default=0, help="remote workers to wait for")
    parser.add_argument("--master-bind-host", default="127.0.0.1", help="master: listen here")
    parser.add_argument("--master-host", default="127.0.0.1", help="worker: the master's host")
    parser.add_argument("--master-port", type=int, default=0, help="master port (0: any free)")
    parser.add_argument("--worker", action="store_true", help="be a worker of a remote master")
    parser.add_argument("--fault", action="append", default=[], help="embedded gateway fault")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="embedded gateway latency")
    parser.add_argument("--timeout-s", type=float, default=30.0, help="read timeout, seconds")
    parser.add_argument("--report-dir", type=Path, default=Path("reports"), help="run output")
    parser.add_argument("-q", "--quiet", action="store_true", help="only the verdict line")
    return parser


def run_time_s(text: str) -> float:
    """``30s``, ``5m``, ``1h30m`` or plain seconds."""
    units = {"h": 3600, "m": 60, "s": 1}
    total, number = 0.0, ""
    for char in text.strip().lower():
        if char.isdigit() or char == ".":
            number += char
        elif char in units and number:
            total, number = total + float(number) * units[char], ""
        else:
            raise UsageError(f"-t {text!r}: give a duration such as 30s, 5m or 1h30m")
    total += float(number) if number else 0.0
    if total <= 0:
        raise UsageError(f"-t {text!r}: the run must last more than 0 seconds")
    return total


def cmd_load(argv: list[str], stdout: IO[str]) -> int:
    import importlib.util

    args = parse(_parser(), argv)
    if importlib.util.find_spec("locust") is None:
        raise UsageError("mconf load needs Locust: pip install 'messages-conformance[load]'")
    target = _target(args)
    settings = _settings(args, target)
    if args.worker:
        return _worker(args, settings)
    from ..suite.load_run import LoadPlan, run_load, start_gateway

    plan = LoadPlan(
        users=int(_positive("-u", args.users)),
        spawn_rate=_positive("-r", args.spawn_rate),
        run_time_s=run_time_s(args.run_time),
        workers=max(args.workers, 0),
        expect_workers=args.expect_workers if args.master else 0,
        master_bind_host=args.master_bind_host,
        master_port=args.master_port,
        faults=list(args.fault),
    )
    if args.master and plan.expect_workers < 1:
        raise UsageError("--master needs --expect-workers N (N >= 1)")
    gateway = None
    if target.embedded:
        gateway, url = start_gateway(target, args.fault, args.latency_ms)
        target = target.with_base_url(url)
        settings = _settings(args, target)
    try:
        outcome = run_load(settings, plan)
    finally:
        if gateway is not None:
            gateway.terminate()
            gateway.wait(timeout=10)
    return _write(args, target, outcome, stdout)


def _target(args: argparse.Namespace) -> targets.Target:
    target = targets.resolve(
        args.target,
        base_url=args.base_url,
        key_env=args.api_key_env,
        model=args.model,
        user_file=args.targets_file,
    )
    target.require_key(or_replay=False)
    if args.fault and not target.embedded:
        raise UsageError("--fault applies to the embedded gateway only (target local)")
    return target


def _settings(args: argparse.Namespace, target: targets.Target) -> LoadSettings:
    from ..suite.load_settings import LoadSettings
    from ..suite.load_shapes import DEFAULT_MIX, parse_mix

    try:
        mix = parse_mix(args.mix) if args.mix else dict(DEFAULT_MIX)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    timeout = _positive("--timeout-s", args.timeout_s)
    return LoadSettings(target, mix, checks=not args.no_checks, timeout_s=timeout)


def _positive(option: str, value: float) -> float:
    if value <= 0:
        raise UsageError(f"{option} must be more than 0, not {value}")
    return value


def _worker(args: argparse.Namespace, settings: LoadSettings) -> int:
    import os

    from ..suite.load_run import worker_command

    if not args.master_port:
        raise UsageError("--worker needs --master-port (the port the master printed)")
    env = {**os.environ, "MCONF_LOAD": settings.to_json()}
    return subprocess.run(worker_command(args.master_host, args.master_port), env=env).returncode


def _write(
    args: argparse.Namespace, target: targets.Target, outcome: dict[str, Any], stdout: IO[str]
) -> int:
    from ..reports.report import update_latest, write_reports
    from ..suite.load_report import load_report, render_load_summary

    report = load_report(
        target=target,
        tally=outcome["tally"],
        timeline=outcome["timeline"],
        latency=outcome["latency"],
        run=outcome["run"],
        started=outcome["started"],
    )
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    run_dir = args.report_dir / f"{stamp}-load-{target.name}"
    written = write_reports(report, run_dir)
    summary = written.get("summary.md", run_dir / "summary.md")
    with Path(summary).open("a", encoding="utf-8") as out:
        out.write(render_load_summary(report))
    update_latest(args.report_dir, run_dir)
    load = report["load"]
    broken = sorted(r for r, e in load["rules"].items() if e["severity"] == "error")
    if not args.quiet:
        stdout.write(render_load_summary(report))
    stdout.write(
        f"mconf load: {load['requests']} requests in {load['duration_s']} s "
        f"({load['requests_per_s']}/s), {load['failed']} failed the checks"
        f"{' (' + ', '.join(broken) + ')' if broken else ''}; report in {run_dir}\n"
    )
    return 1 if report["verdict"] == "fail" else 0

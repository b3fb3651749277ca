"""`mconf run`: check the options, run the suites with pytest (+ xdist), read the verdict."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from importlib import metadata, resources
from pathlib import Path
from typing import IO

from ..net import targets
from ..recordings.modes import RECORD_MODES
from . import transit
from .base import ArgumentParser, UsageError, load_spec
from .verdict import verdict

SUITES = (
    "auth",
    "headers",
    "requests",
    "scenarios",
    "streaming",
    "errors",
    "recorded",
    "generated",
    "clients",
    "transit",
)
DEFAULT_SUITES = SUITES[:-1]  # transit joins them in transit runs (--upstream, --transit)
CASSETTES = Path("cassettes")


def suites_dir() -> Path:
    """The repo's suites/ (source checkout) or the copy packaged in the wheel."""
    here = Path(__file__).resolve().parents[1]  # the package folder
    source = here.parents[1] / "suites"
    if (source / "test_scenarios.py").is_file():
        return source
    return Path(str(resources.files("messages_conformance").joinpath("_suites")))


def _parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="mconf run", description="run the conformance suites against a target"
    )
    parser.add_argument(
        "--target", help="profile name: local (default), ccapi, anthropic, or your own"
    )
    parser.add_argument("--base-url", help="one-off target base URL (instead of --target)")
    parser.add_argument("--api-key-env", help="environment variable holding the target's key")
    parser.add_argument("--model", help="model name the gateway routes")
    parser.add_argument(
        "--label",
        help="the target's name in reports, the matrix and the cassette folder (default: the "
        "profile's name; for --base-url host-port-model)",
    )
    parser.add_argument(
        "--feature",
        action="append",
        default=[],
        help="an optional scenario group the target supports, e.g. error-statuses (repeat)",
    )
    parser.add_argument("--targets-file", type=Path, help="TOML file with more target profiles")
    parser.add_argument("--mode", choices=("live", "record", "replay"), help="default: live")
    parser.add_argument(
        "--record-mode",
        choices=RECORD_MODES,
        help="as pytest-recording: all (= --mode record: re-record everything), once (record "
        "only cassettes that do not exist), new_episodes (record what is missing, replay the "
        "rest), none (= --mode replay)",
    )
    parser.add_argument(
        "--suite", action="append", choices=SUITES, help="run only this suite (repeat)"
    )
    parser.add_argument(
        "-n", "--workers", type=int, default=0, help="pytest-xdist workers (0: none)"
    )
    parser.add_argument(
        "-j",
        "--concurrency",
        type=int,
        default=1,
        help="cases in flight at once, in threads of one process (live and record runs; "
        "results and reports as with 1, the default)",
    )
    parser.add_argument(
        "--report-dir", type=Path, default=Path("reports"), help="where runs are written (reports)"
    )
    parser.add_argument(
        "--cassette-dir",
        type=Path,
        default=CASSETTES,
        help="where cassettes are read and written, one folder per target (cassettes)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        help="embedded gateway fault (repeat; `mconf serve --list-faults` lists them)",
    )
    parser.add_argument("--latency-ms", type=int, default=0, help="embedded gateway: added latency")
    parser.add_argument("--max-requests", type=int, help="stop sending after this many requests")
    parser.add_argument("--max-output-tokens", type=int, help="stop after this many output tokens")
    parser.add_argument("--rate-limit", type=float, default=0.0, help="max requests per second")
    parser.add_argument("--timeout-s", type=float, help="idle (read) timeout, seconds (30)")
    parser.add_argument("--connect-timeout-s", type=float, help="connect timeout, seconds (5)")
    parser.add_argument(
        "--deadline-s",
        type=float,
        help="a case's wall-clock limit, headers and body of all its requests (300)",
    )
    parser.add_argument(
        "--max-body-bytes", type=int, help="response body cap; a larger body is a finding (50 MiB)"
    )
    parser.add_argument("--spec-dir", type=Path, help="the contract to check against (spec/)")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression to select cases")
    parser.add_argument("-q", "--quiet", action="store_true", help="less pytest output")
    transit.add_options(parser)
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="pytest's verbose output (repeat)"
    )
    parser.add_argument(
        "--tb",
        choices=("auto", "long", "short", "line", "native", "no"),
        help="show failing cases' findings in full, as pytest's --tb (default: one line each)",
    )
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--progress", action="store_true", help="live progress on stderr (always)")
    shown.add_argument("--no-progress", action="store_true", help="never show live progress")
    return parser


def run_suites(argv: list[str], stdout: IO[str]) -> int:
    args = _parser().parse_args(argv)
    args.mode, args.record_mode = _modes(args.mode, args.record_mode)
    target = _check(args)
    run_dir = _run_dir(args.report_dir, target.name)
    try:
        code = _pytest(_pytest_args(args, run_dir), stdout)
        return verdict(code, run_dir, args, stdout)
    finally:
        if not any(run_dir.iterdir()):  # interrupted before anything was written
            run_dir.rmdir()


def _modes(mode: str | None, record_mode: str | None) -> tuple[str, str | None]:
    """``--mode`` and pytest-recording's ``--record-mode``: one implies the other."""
    implied = {None: mode or "live", "none": "replay"}.get(record_mode, "record")
    if mode is not None and mode != implied:
        raise UsageError(
            f"--record-mode {record_mode} records or replays; it cannot go with --mode {mode} "
            "(drop one of them)"
        )
    return implied, record_mode if implied == "record" else None


def _check(args: argparse.Namespace) -> targets.Target:
    """Every mistake is found before anything runs (one line, exit 2)."""
    target = targets.resolve(
        transit.target_name(args),
        base_url=args.base_url,
        key_env=args.api_key_env,
        model=args.model,
        user_file=args.targets_file,
        label=args.label,
        features=args.feature,
    )
    target = transit.check(args, target)
    args.in_transit = transit.in_transit(target)
    _check_waivers(target)
    notice = targets.key_notice(target)
    if notice:
        sys.stderr.write(f"mconf: note: {notice}\n")
    if args.fault:
        _check_faults(target, args.fault)
    if args.mode == "replay":
        folder = args.cassette_dir / target.name
        if not folder.is_dir():
            raise UsageError(
                f"no cassettes for target {target.name!r} in {folder}; record them with "
                f"{target.record_command(*_cassette_option(args.cassette_dir))}"
            )
    else:
        target.require_key()
    if args.workers < 0:
        raise UsageError("-n must be 0 or more")
    if args.concurrency < 1:
        raise UsageError(f"-j must be 1 or more, not {args.concurrency}")
    if args.concurrency > 1 and args.workers:
        raise UsageError("-j and -n do not combine: use -j for a live run, -n for CPU-bound work")
    _check_limits(args)
    if args.spec_dir is not None:
        load_spec(args.spec_dir)
    return target


def _cassette_option(folder: Path) -> tuple[str, ...]:
    return () if folder == CASSETTES else ("--cassette-dir", str(folder))


def _check_limits(args: argparse.Namespace) -> None:
    if args.latency_ms < 0:
        raise UsageError(f"--latency-ms must be 0 or more, not {args.latency_ms}")
    if args.rate_limit < 0:
        raise UsageError(
            f"--rate-limit must be 0 (no limit) or more requests per second, not {args.rate_limit}"
        )
    limits = {
        "--timeout-s": args.timeout_s,
        "--connect-timeout-s": args.connect_timeout_s,
        "--deadline-s": args.deadline_s,
        "--max-body-bytes": args.max_body_bytes,
        "--max-requests": args.max_requests,
        "--max-output-tokens": args.max_output_tokens,
    }
    for option, value in limits.items():
        if value is not None and value <= 0:
            raise UsageError(f"{option} must be more than 0, not {value}")


def _check_waivers(target: targets.Target) -> None:
    from ..core.rules import all_rules

    unknown = sorted(set(target.waivers) - set(all_rules()))
    if unknown:
        raise UsageError(
            f"target {target.name!r} waives unknown rule id(s) {', '.join(unknown)}; "
            "`mconf rules` lists the known ones"
        )


def _check_faults(target: targets.Target, faults: list[str]) -> None:
    if not target.embedded:
        raise UsageError("--fault applies to the embedded reference gateway only (--target local)")
    from ..gateway.faults import FAULTS
    from ..gateway.proxy_faults import PROXY_FAULTS

    known = PROXY_FAULTS if target.embedded_proxy else FAULTS  # --transit: the proxy's faults
    unknown = [f for f in faults if f not in known]
    if unknown:
        raise UsageError(f"unknown fault {unknown[0]!r}; known faults: {', '.join(sorted(known))}")


def _run_dir(root: Path, target: str) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-%f")
    run_dir = root / f"{stamp}-{target}"
    try:
        run_dir.mkdir(parents=True, exist_ok=False)
        (run_dir / ".write-test").write_text("")
        (run_dir / ".write-test").unlink()
    except OSError as exc:
        raise UsageError(
            f"cannot write reports to {root}: {exc.strerror}; pass a writable --report-dir"
        ) from None
    return run_dir


def _pytest_args(args: argparse.Namespace, run_dir: Path) -> list[str]:
    folder = suites_dir()
    chosen = args.suite or [*DEFAULT_SUITES, *(["transit"] if args.in_transit else [])]
    paths = [str(folder / f"test_{name}.py") for name in chosen]
    options = {  # the plugin's options are --mconf-*: common plugins own the short names
        "--mconf-target": args.target,
        "--mconf-base-url": args.base_url,
        "--mconf-api-key-env": args.api_key_env,
        "--mconf-model": args.model,
        "--mconf-label": args.label,
        "--mconf-targets-file": args.targets_file,
        "--mconf-mode": args.mode,
        "--mconf-record-mode": args.record_mode,
        "--mconf-cassette-dir": args.cassette_dir,
        "--mconf-report-dir": run_dir,
        "--mconf-latency-ms": args.latency_ms or None,
        "--mconf-max-requests": args.max_requests,
        "--mconf-max-output-tokens": args.max_output_tokens,
        "--mconf-rate-limit": args.rate_limit or None,
        "--mconf-concurrency": args.concurrency if args.concurrency > 1 else None,
        "--mconf-timeout-s": args.timeout_s,
        "--mconf-connect-timeout-s": args.connect_timeout_s,
        "--mconf-deadline-s": args.deadline_s,
        "--mconf-max-body-bytes": args.max_body_bytes,
        "--mconf-spec-dir": args.spec_dir,
        "--mconf-junitxml": run_dir / "junit.xml",
        "-k": args.keyword,
        "--tb": args.tb or (None if args.verbose else "no"),
    }
    result = [
        *paths,
        "-p",
        "no:cacheprovider",
        "-p",
        "no:subtests",  # unused; it keeps a counter per case id (a long run's controller grows)
        f"--rootdir={folder}",
        "-c",
        str(folder / "pytest.ini"),
        "--mconf-one-line",  # FAILED case - rule: message, instead of pytest's cut-off lines
        "-rsxXE",  # pytest's short summary for the rest (skips, xfails, errors)
        # mconf imported modules of pytest plugins (anyio, itself) before pytest started:
        # pytest cannot rewrite their asserts and need not, so it must not warn that it cannot
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    result += [
        item for key, value in options.items() if value is not None for item in (key, str(value))
    ]
    result += [item for fault in args.fault for item in ("--mconf-fault", fault)]
    result += [item for feature in args.feature for item in ("--mconf-feature", feature)]
    result += transit.pytest_options(args)
    if args.workers:
        result += ["-n", str(args.workers)]
    if not _plugin_installed():
        result += ["-p", "messages_conformance.suite.plugin"]
    shown = ["--mconf-progress"] if args.progress else []
    result += ["--no-mconf-progress"] if args.no_progress else shown
    return result + (["-q"] if args.quiet else []) + ["-v"] * args.verbose


def _plugin_installed() -> bool:
    points = metadata.entry_points(group="pytest11")
    return any(p.value == "messages_conformance.plugin" for p in points)


def _pytest(args: list[str], stdout: IO[str]) -> int:
    import pytest

    with _own_suite_modules(suites_dir()):
        return int(pytest.main(args))


@contextlib.contextmanager
def _own_suite_modules(folder: Path) -> Iterator[None]:
    """In-process runs: pytest's importlib mode reuses ``sys.modules["test_x"]`` when it holds
    another file (a caller's own ``tests/test_generated.py``), and would run that instead of
    the suite. Such modules are set aside for the run and put back after it."""
    names = {path.stem for path in folder.glob("test_*.py")}
    clashing = {
        name: module
        for name, module in list(sys.modules.items())
        if name in names and Path(getattr(module, "__file__", "") or "").parent != folder
    }
    for name in clashing:
        del sys.modules[name]
    try:
        yield
    finally:
        sys.modules.update(clashing)

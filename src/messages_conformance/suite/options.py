"""The plugin's command-line options: every one is ``--mconf-*`` (common plugins own the short
names: pytest-base-url ``--base-url``), and ``option(config, name)`` reads one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ..net import targets
from ..net.transport import MiB
from ..recordings.modes import RECORD_MODES

MODES = ("live", "record", "replay")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Every option is `--mconf-*`: common plugins own the short names (pytest-base-url
    `--base-url`); `mconf run` keeps its own flags and translates them."""
    group = parser.getgroup("messages-conformance", "messages-conformance (mconf) suites")
    add = group.addoption
    add("--mconf-target", default=None, help="target profile name (default: local)")
    add("--mconf-base-url", default=None, help="one-off target base URL")
    add("--mconf-api-key-env", default=None, help="environment variable holding the key")
    add("--mconf-label", default=None, help="the target's name in reports and cassettes")
    add("--mconf-feature", action="append", default=[], help="optional scenario group (repeat)")
    add("--mconf-model", default=None, help="model name the gateway routes")
    add("--mconf-targets-file", default=None, type=Path, help="TOML file with more profiles")
    add("--mconf-mode", default="live", choices=MODES, help="live | record | replay")
    add(
        "--mconf-record-mode",
        default=None,
        choices=RECORD_MODES,
        help="with --mconf-mode record: all (default) | once | new_episodes | none",
    )
    add("--mconf-cassette-dir", default=Path("cassettes"), type=Path, help="cassette root")
    add("--mconf-report-dir", default=None, type=Path, help="write report.json etc. here")
    add(
        "--mconf-junitxml",
        default=None,
        type=Path,
        help="junit.xml written as cases finish (pytest's --junitxml holds all to the end)",
    )
    add("--mconf-fault", action="append", default=[], help="embedded gateway fault (repeat)")
    add("--mconf-latency-ms", default=0, type=int, help="embedded gateway: added latency")
    add("--mconf-max-requests", default=None, type=int, help="request budget (live/record)")
    add("--mconf-max-output-tokens", default=None, type=int, help="output-token budget")
    add("--mconf-rate-limit", default=0.0, type=float, help="max requests per second")
    add(
        "--mconf-concurrency",
        default=1,
        type=int,
        help="cases in flight at once, in threads (live and record runs; default 1)",
    )
    add(
        "--mconf-progress",
        dest="mconf_progress",
        action="store_const",
        const="on",
        default="auto",
        help="live progress on the terminal (default: on a terminal, not in CI)",
    )
    add(
        "--no-mconf-progress",
        dest="mconf_progress",
        action="store_const",
        const="off",
        help="never show live progress",
    )
    add("--mconf-timeout-s", default=30.0, type=float, help="idle (read) timeout, seconds")
    add("--mconf-connect-timeout-s", default=5.0, type=float, help="connect timeout")
    add(
        "--mconf-deadline-s",
        default=300.0,
        type=float,
        help="a case's wall-clock limit: its requests, headers and body, end by then",
    )
    add("--mconf-max-body-bytes", default=50 * MiB, type=int, help="response body cap (a finding)")
    add("--mconf-spec-dir", default=None, type=Path, help="the contract (default: spec/)")
    add(
        "--mconf-one-line",
        action="store_true",
        help="one line per failing case (FAILED case - rule: message) at the end of the run",
    )
    add("--mconf-upstream", default=None, help="transit: serve the upstream on HOST:PORT")
    add("--mconf-upstream-key-env", default=None, help="transit: the key due upstream")
    add("--mconf-transit", action="store_true", help="transit: the reference proxy as the target")


def option(config: pytest.Config, name: str) -> Any:
    """The value of ``--mconf-NAME`` (``name`` with underscores)."""
    return config.getoption(f"mconf_{name}")


def records_itself(config: pytest.Config) -> bool:
    """Record mode ``all``: the transport reads within the caps, the harness records; other
    record modes replay what a cassette holds, so vcrpy stays in the path."""
    return bool(
        option(config, "mode") == "record" and option(config, "record_mode") in (None, "all")
    )


def budgets(config: pytest.Config) -> dict[str, int | None]:
    """The run's budgets (``--mconf-max-requests``, ``--mconf-max-output-tokens``) by name."""
    return {name: option(config, name) for name in ("max_requests", "max_output_tokens")}


def target_of(config: pytest.Config) -> targets.Target:
    """The run's target, from its options (profile, one-off URL, label, features, upstream)."""
    transit = "transit" if option(config, "transit") else None
    target = targets.resolve(
        option(config, "target") or transit,
        base_url=option(config, "base_url"),
        key_env=option(config, "api_key_env"),
        model=option(config, "model"),
        user_file=option(config, "targets_file"),
        label=option(config, "label"),
        features=option(config, "feature"),
    )
    upstream, key_env = option(config, "upstream"), option(config, "upstream_key_env")
    if upstream or key_env:
        target = replace(target, upstream=upstream or target.upstream)
        target = replace(target, upstream_key_env=key_env or target.upstream_key_env)
    # `mconf run` always asks for one-line failures; without them this is a plain pytest run,
    # whose record hints name the plugin's options
    return replace(target, plain_pytest=not option(config, "one_line"))

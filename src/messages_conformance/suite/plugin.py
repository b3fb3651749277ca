"""pytest plugin: options, markers and fixtures for the conformance suites (no checks here).

Registered through the `pytest11` entry point; inert unless a test asks for its fixtures.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from ..core.spec import Spec
from ..net import targets
from ..net.transport import Budget, BudgetExhausted, Timeouts, Transport, key_headers
from .casebook import Casebook, case_record
from .failures import FailureLines, failure_text, headline, set_headline
from .harness import Harness
from .interrupt_hold import InterruptHold
from .options import (  # noqa: F401  (pytest finds the hook here)
    MODES,
    budgets,
    option,
    pytest_addoption,
    records_itself,
    target_of,
)
from .retention import Counted, Released, Shipped

# transit runs (lazy imports); generated cases kept beside their cassettes for replay
pytest_plugins = [f"{__package__}.{name}" for name in ("transit_fixtures", "drawn_cases")]

REPLAY_BASE_URL = "http://127.0.0.1:9"  # never contacted: replay answers from cassettes
CASEBOOK = pytest.StashKey[Casebook]()
HARNESS = pytest.StashKey[Harness]()
RECORDER = pytest.StashKey[Any]()
UNTESTABLE = pytest.StashKey[str]()
HEADLINE = pytest.StashKey[str]()  # "rule: message" of a failing case, its one-line summary
BUDGET_SPENT = "budget spent"  # skip reasons of cases the run's budget left out start so


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mconf_area(name): report area of a conformance case")
    config.addinivalue_line(
        "markers", "mconf_feature(name): run only when the target profile lists this feature"
    )
    if option(config, "report_dir") is not None:  # a conformance run: where its cases run
        config.pluginmanager.register(Released(), "mconf-released")
    from .concurrency import register

    register(config, HARNESS, RECORDER)  # -j: cases run ahead, in threads (its marker always)
    if hasattr(config, "workerinput"):
        if option(config, "report_dir") is not None:  # a conformance run, not any xdist run
            config.pluginmanager.register(Shipped(config), "mconf-shipped")
    else:  # the xdist controller or a plain run writes reports
        collector = Collector(config)
        config.pluginmanager.register(collector, "mconf-collector")
        config.pluginmanager.register(InterruptHold(), "mconf-interrupt-hold")
        if option(config, "report_dir") is not None:  # a conformance run
            config.pluginmanager.register(Counted(config), "mconf-counted")
        if (junit := option(config, "junitxml")) is not None:
            from .junit import JunitFile

            config.pluginmanager.register(JunitFile(config, junit), "mconf-junit")
        lines = FailureLines(config, collector.casebook, lambda: target_of(config).key_env)
        config.pluginmanager.register(lines, "mconf-failure-lines")
        from .progress import Progress, wanted

        if wanted(config) and not config.option.collectonly:
            config.pluginmanager.register(Progress(config), "mconf-progress")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    features: frozenset[str] | None = None
    for item in items:
        for mark in item.iter_markers("mconf_feature"):
            if features is None:
                features = target_of(config).features
            if mark.args[0] not in features:
                reason = f"target profile does not list feature {mark.args[0]!r}"
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def mconf_spec(request: pytest.FixtureRequest) -> Spec:
    """The contract (spec/ or --spec-dir) loaded once per session."""
    return Spec.load(option(request.config, "spec_dir"))


@pytest.fixture(scope="session")
def mconf_target(request: pytest.FixtureRequest) -> Iterator[targets.Target]:
    """The target under test; an embedded gateway is started here when live or recording."""
    config = request.config
    target = target_of(config)
    if option(config, "mode") == "replay":
        yield target.with_base_url(REPLAY_BASE_URL) if target.embedded else target
        return
    if not target.embedded:
        yield target
        return
    if target.embedded_proxy:  # started with the upstream, before any worker (transit_session)
        from .transit_session import PROXY_URL, address

        yield target.with_base_url(address(config, PROXY_URL) or REPLAY_BASE_URL)
        return
    from ..gateway import GatewayConfig, serve_in_process, serve_in_thread

    gateway = GatewayConfig(
        api_keys=(target.require_key(),),
        models=target.models,
        version_policy=target.version_policy,
        faults=tuple(option(config, "fault")),
        latency_ms=option(config, "latency_ms"),
        max_body_bytes=target.max_request_bytes,
    )
    threads = config.pluginmanager.has_plugin("mconf-concurrency")  # -j: its own process
    with (serve_in_process if threads else serve_in_thread)(gateway) as running:
        yield target.with_base_url(running.base_url)


@pytest.fixture(scope="session")
def mconf_transport(request: pytest.FixtureRequest, mconf_target: targets.Target) -> Transport:
    """The HTTP transport to the target, with the run's budget and timeouts."""
    config = request.config
    replay = option(config, "mode") == "replay"
    key = mconf_target.key() if replay else mconf_target.require_key()
    rate = option(config, "rate_limit")
    return Transport(
        mconf_target.base_url,
        auth_headers=key_headers(key or "replay-key", mconf_target.auth),
        default_headers={"anthropic-version": "2023-06-01", "content-type": "application/json"},
        timeouts=Timeouts(
            connect=option(config, "connect_timeout_s"),
            read=option(config, "timeout_s"),
            total=option(config, "deadline_s"),
        ),
        budget=Budget(
            _share(config, option(config, "max_requests")),
            _share(config, option(config, "max_output_tokens")),
        ),
        max_body_bytes=option(config, "max_body_bytes"),
        min_interval_s=1.0 / rate if rate and not replay else 0.0,
        sleep=_no_sleep if replay else time.sleep,  # replay never waits on retry-after
        direct=records_itself(config),  # the harness records (capped), not vcrpy
    )


def _share(config: pytest.Config, total: int | None) -> int | None:
    """This process's part of a run-wide budget: xdist workers split it, so -n never
    multiplies what a run may spend."""
    worker = getattr(config, "workerinput", None)
    if total is None or worker is None:
        return total
    count, index = int(worker["workercount"]), int(worker["workerid"].removeprefix("gw"))
    return total // count + (1 if index < total % count else 0)


def _no_sleep(seconds: float) -> None:
    """Replay answers instantly: recorded retry-after waits are skipped."""


@pytest.fixture
def mconf_cassette(request: pytest.FixtureRequest, mconf_target: targets.Target) -> Iterator[Any]:
    """Replay or record this test's exchanges in its own cassette (None in live mode)."""
    config = request.config
    mode = option(config, "mode")
    if mode == "live":
        yield None
        return
    from ..recordings.recording import make_vcr, use_cassette

    root = option(config, "cassette_dir") / mconf_target.name
    record_mode = option(config, "record_mode")
    vcr = make_vcr(root, mode, secrets=mconf_target.secrets(), record_mode=record_mode)
    record_with = mconf_target.record_command()
    with use_cassette(vcr, cassette_path(request.node), record_with=record_with) as cassette:
        yield cassette


def cassette_path(item: pytest.Item) -> str:
    """One cassette per test item: <module>/<test name>.yaml."""
    module = Path(str(item.path)).stem
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.name).strip("-")
    return f"{module}/{name}.yaml"


@pytest.fixture
def mconf(
    request: pytest.FixtureRequest,
    mconf_target: targets.Target,
    mconf_transport: Transport,
    mconf_spec: Spec,
    mconf_cassette: Any,
) -> Harness:
    """A harness bound to the target: send requests, state expectations, collect findings."""
    mode = option(request.config, "mode")
    harness = Harness(
        mconf_target,
        mconf_transport,
        mconf_spec,
        mode=mode,
        deadline_s=option(request.config, "deadline_s"),
    )
    if records_itself(request.config):
        from ..recordings.recording import CassetteRecorder

        harness.recorder = request.node.stash[RECORDER] = CassetteRecorder(mconf_cassette)
    request.node.stash[HARNESS] = harness
    return harness


@pytest.fixture
def mconf_data(request: pytest.FixtureRequest, mconf_spec: Spec) -> Harness:
    """A harness that checks recorded exchanges without sending anything."""
    harness = Harness(target_of(request.config), None, mconf_spec, mode="replay")
    request.node.stash[HARNESS] = harness
    return harness


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    try:
        result = yield
    except BudgetExhausted as exc:  # the user's limit, not the target's fault: not a verdict
        _save(item)
        _fail_on_findings(item, f"; then {BUDGET_SPENT}: {exc.cause}")  # what was sent is judged
        pytest.skip(f"{BUDGET_SPENT}: {exc.cause}")
    except Exception as exc:
        untestable = _untestable(item, exc)
        if untestable is None:
            raise
        item.stash[UNTESTABLE] = str(untestable)
        item.stash[HEADLINE] = f"could not test: {untestable}".splitlines()[0]
        pytest.fail(str(untestable), pytrace=False)  # the reason, not the plugin's source
    try:
        _save(item)
    except Exception as exc:  # the recording was lost: the case is not done
        item.stash[UNTESTABLE] = str(exc)
        item.stash[HEADLINE] = f"could not test: {exc}".splitlines()[0]
        pytest.fail(str(exc), pytrace=False)
    _fail_on_findings(item)
    return result


def _fail_on_findings(item: pytest.Item, note: str = "") -> None:
    harness = item.stash.get(HARNESS, None)
    if harness is not None:
        waivers = harness.target.waivers
        failing = [f for f in harness.findings if f.severity == "error" and f.rule not in waivers]
        if failing:
            item.stash[HEADLINE] = headline(failing) + note
            pytest.fail(failure_text(failing, harness.examples) + note, pytrace=False)


def _save(item: pytest.Item) -> None:
    """Record mode: the case's cassette written now, so a failed save fails the case."""
    if (recorder := item.stash.get(RECORDER, None)) is not None:
        recorder.save()


def _untestable(item: pytest.Item, exc: Exception) -> Exception | None:
    """The target could not be tested (unreachable, budget spent, no recording): not a verdict."""
    from ..net.transport import TargetError
    from ..recordings.recording import (
        RecordingFailed,
        RecordingMissing,
        replay_miss,
        translate_replay_error,
    )
    from ..recordings.timings import UnusableTiming

    if isinstance(exc, TargetError | RecordingMissing | RecordingFailed | UnusableTiming):
        return exc
    miss = replay_miss(exc)
    if miss is None:
        return None
    harness = item.stash.get(HARNESS, None)
    target = harness.target if harness else target_of(item.config)
    record_with = target.record_command()
    return translate_replay_error(miss, getattr(miss.cassette, "_path", "?"), record_with)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and HEADLINE in item.stash:
        set_headline(report, item.stash[HEADLINE])
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        harness = item.stash.get(HARNESS, None)
        record = case_record(item, report, harness)
        if item.stash.get(UNTESTABLE, None):
            record.update(outcome="error", failure=item.stash[UNTESTABLE])
        report.user_properties.append(("mconf", record))
    if report.when == "teardown":  # the record is built: a long run keeps no finished exchanges
        with contextlib.suppress(KeyError):
            del item.stash[HARNESS]
        with contextlib.suppress(KeyError):
            del item.stash[UNTESTABLE]
        with contextlib.suppress(KeyError):
            del item.stash[HEADLINE]
        with contextlib.suppress(KeyError):
            del item.stash[RECORDER]
    return report


class Collector:
    """Gathers case records (also from xdist workers) and writes the run's reports."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.casebook = Casebook(folder=option(config, "report_dir"))  # spooled there
        config.stash[CASEBOOK] = self.casebook

    @pytest.hookimpl(tryfirst=True)  # before junitxml and the terminal reporter keep the report
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Move the case record into the casebook: left in the report, junit.xml would carry
        it as a property and the terminal's stats would hold it to the end of the run. Its
        counts stay (the live progress display reads them, whichever runs first)."""
        kept = []
        for key, value in report.user_properties:
            if key == "mconf" and isinstance(value, dict):
                self.casebook.add(value)
                value = {name: value.get(name, 0) for name in ("exchanges", "output_tokens")}
            kept.append((key, value))
        report.user_properties = kept

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        out = option(self.config, "report_dir")
        if out is None or not self.casebook.cases:
            return
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        self.casebook.write(
            out,
            target=target_of(self.config),
            mode=option(self.config, "mode"),
            faults=option(self.config, "fault"),
            collected=session.testscollected if interrupted else None,
            budgets=budgets(self.config),
        )

    def pytest_unconfigure(self) -> None:
        self.casebook.close()  # after the terminal summary (GitHub annotations read the cases)

"""`mconf load` (Locust): the counts, the shapes, and bounded real runs on loopback.

Locust patches a process for gevent, so real runs are subprocesses (a few users, seconds).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.core.findings import Finding, Severity
from messages_conformance.core.spec import Spec
from messages_conformance.gateway import GatewayConfig, serve_in_thread
from messages_conformance.net.targets import LOCAL_DEFAULT_KEY, resolve
from messages_conformance.net.transport import Transport, key_headers
from messages_conformance.reports.report import validate_report
from messages_conformance.suite.load_checks import crossed, judge, status_findings
from messages_conformance.suite.load_settings import LoadSettings
from messages_conformance.suite.load_shapes import DEFAULT_MIX, SHAPES, parse_mix
from messages_conformance.suite.load_tally import EXAMPLES, LoadTally

# find_spec, never import: importing Locust would patch this test process for gevent
if importlib.util.find_spec("locust") is None:
    pytest.skip("mconf load needs Locust (pip install '.[load]')", allow_module_level=True)

ERROR = Finding("schema.event", Severity.ERROR, "bad", location="events[1]")
NOTICE = Finding("stream.unknown-event", Severity.NOTICE, "new")


# -- counting ------------------------------------------------------------------------------


def test_tally_counts_answers_rules_and_seconds() -> None:
    tally = LoadTally()
    assert tally.add("stream", 200, [ERROR, NOTICE], at=100.2) is True
    assert tally.add("stream", 200, [NOTICE], at=100.9) is False
    assert tally.add("json", None, [], at=103.0) is False
    assert tally.data["shapes"]["stream"] == {"requests": 2, "failed": 1, "statuses": {"200": 2}}
    assert tally.data["shapes"]["json"]["statuses"] == {"no answer": 1}
    assert tally.data["rules"]["stream.unknown-event"]["count"] == 2
    seconds = tally.failures_per_second()
    assert [(s["second"], s["requests"], s["failed"]) for s in seconds] == [
        (0, 2, 1),
        (1, 0, 0),
        (2, 0, 0),
        (3, 1, 0),
    ]


def test_a_waived_error_does_not_fail_the_answer() -> None:
    tally = LoadTally()
    assert tally.add("json", 200, [ERROR], waivers={"schema.event": "known"}) is False
    assert tally.data["rules"]["schema.event"]["waived"] == "known"


def test_worker_reports_merge_into_the_master_tally() -> None:
    worker, master = LoadTally(), LoadTally()
    for _ in range(5):
        worker.add("stream", 200, [ERROR], at=50.0)
    first = worker.take()
    assert worker.requests == 0  # take() forgets what it handed over
    worker.add("json", 400, [], at=51.0)
    master.merge(first)
    master.merge(worker.take())
    master.merge(first)
    assert master.requests == 11 and master.failed == 10
    entry = master.data["rules"]["schema.event"]
    assert entry["count"] == 10 and len(entry["examples"]) == EXAMPLES
    assert master.data["timeline"] == {"50": [10, 10], "51": [1, 0]}
    assert json.loads(json.dumps(master.data)) == master.data  # travels as plain data


def test_mix_parsing_names_the_fix() -> None:
    assert parse_mix("json=3, stream=1,errors=0") == {"json": 3, "stream": 1}
    with pytest.raises(ValueError, match=r"unknown request shape 'nope'.*known: json"):
        parse_mix("nope=1")
    with pytest.raises(ValueError, match="whole weight"):
        parse_mix("json=x")
    with pytest.raises(ValueError, match="no shape a weight"):
        parse_mix("json=0")


def test_settings_travel_without_the_key() -> None:
    target = resolve("local")
    settings = LoadSettings(target, {"json": 1}, checks=False, timeout_s=5.0)
    text = settings.to_json()
    assert LOCAL_DEFAULT_KEY not in text
    assert LoadSettings.from_json(text) == settings


# -- judging -------------------------------------------------------------------------------


def test_crossed_answers_and_wrong_statuses_are_findings() -> None:
    mine, other = "mconf-load-00000000000a", "mconf-load-00000000000b"
    assert crossed(mine, f"{mine}") == []
    (finding,) = crossed(mine, f"{other} and {mine}")
    assert finding.rule == "load.crossed-answer" and finding.received == other
    assert [f.rule for f in status_findings(SHAPES["json"], 500)] == ["status.expected"]
    assert status_findings(SHAPES["json"], 429) == []  # turned away: http.retry-after judges
    assert [f.rule for f in status_findings(SHAPES["errors"], 200)] == ["request.invalid-accepted"]


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_shape_conforms_against_the_reference_gateway(name: str) -> None:
    config = GatewayConfig(api_keys=(LOCAL_DEFAULT_KEY,))
    marker = "mconf-load-0123456789ab"
    with (
        serve_in_thread(config) as gateway,
        Transport(gateway.base_url, auth_headers=key_headers(LOCAL_DEFAULT_KEY)) as transport,
    ):
        shape = SHAPES[name]
        target = resolve("local")
        sent = transport.send(
            shape.build(marker, target.model, target.max_tokens),
            headers={"anthropic-version": "2023-06-01"},
        )
    assert [str(f) for f in judge(shape, marker, sent, Spec.load())] == []
    assert (200 <= sent.exchange.response.status < 300) is shape.valid


# -- real runs (subprocesses: Locust patches its process) ----------------------------------


def mconf_load(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Any]:
    command = [sys.executable, "-m", "messages_conformance", "load", "-q", *args]
    done = subprocess.run(
        [*command, "--report-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    reports = sorted(tmp_path.glob("*-load-local/report.json"))
    return done, json.loads(reports[-1].read_text()) if reports else None


@pytest.mark.timeout(120)
def test_a_short_load_run_checks_every_answer_and_reports(tmp_path: Path) -> None:
    done, report = mconf_load(tmp_path, "-u", "3", "-t", "4s")
    assert done.returncode == 0, done.stderr
    assert validate_report(report) is None
    load = report["load"]
    assert load["requests"] > 0 and load["failed"] == 0  # a loaded 2-core machine may serve few
    assert load["duration_s"] >= 4  # the run lasts what -t asks, however long set-up took
    assert load["mode"] == "local"
    assert set(load["shapes"]) <= set(DEFAULT_MIX)  # weighted draws: at 3 users, most or all
    assert all(s["latency_ms"]["p50"] > 0 for s in load["shapes"].values())
    assert sum(s["requests"] for s in load["failures_per_s"]) == load["requests"]
    assert {c["id"] for c in report["cases"]} == {f"load::{name}" for name in load["shapes"]}
    assert "## Load" in (tmp_path / "latest" / "summary.md").read_text()
    assert "requests in" in done.stdout


@pytest.mark.timeout(120)
def test_deviations_under_load_are_findings_and_fail_the_run(tmp_path: Path) -> None:
    done, report = mconf_load(
        tmp_path, "-u", "2", "-t", "4s", "--mix", "stream=1", "--fault", "error-then-continue"
    )
    assert done.returncode == 1, done.stderr
    rules = report["load"]["rules"]
    assert rules["stream.order.after-error"]["count"] >= report["load"]["requests"] > 0
    assert report["load"]["failed"] == report["load"]["requests"]
    assert all(s["failed"] == s["requests"] for s in report["load"]["failures_per_s"])
    (case,) = report["cases"]
    assert case["outcome"] == "failed" and case["findings"][0]["rule"].startswith("stream.")


@pytest.mark.timeout(150)
def test_a_master_and_two_workers_on_loopback(tmp_path: Path) -> None:
    done, report = mconf_load(tmp_path, "-u", "4", "-t", "4s", "--workers", "2")
    assert done.returncode == 0, done.stderr
    load = report["load"]
    assert (load["mode"], load["workers"]) == ("master", 2)
    assert load["requests"] > 0 and load["failed"] == 0
    assert sum(s["requests"] for s in load["shapes"].values()) == load["requests"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mix", "nope=1"], "unknown request shape 'nope'"),
        (["-t", "0s"], "must last more than 0 seconds"),
        (["-t", "soon"], "give a duration such as 30s"),
        (["--master"], "--master needs --expect-workers"),
        (["--worker"], "--worker needs --master-port"),
        (["--target", "ccapi", "--fault", "x"], "--fault applies to the embedded gateway"),
    ],
)
def test_unusable_options_are_one_line_and_exit_2(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCAPI_API_KEY", "test-key-not-sent")
    from messages_conformance.cli.main import run

    code = run(["load", *args, "--report-dir", str(tmp_path)])
    assert code == 2

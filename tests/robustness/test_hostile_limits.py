"""Every limit holds for every case (issue 13, items 2 and 3): the generated suite sends through
the project's transport, so --max-requests, --max-body-bytes, --rate-limit and --timeout-s
bind it; a per-case deadline (--deadline-s) ends trickled headers and endless streams in every
mode; recording caps bodies as live runs do. Peak RSS is measured in a child process.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
from hostile import (
    ANSWERS,
    GENERATED,
    KEY_VAR,
    MAX_RSS_MB,
    ONE_JSON,
    ONE_STREAM,
    HostileServer,
    Runner,
    against,
    measured,
    serving,
)

CAP = 65536


def test_request_budget_binds_the_generated_suite(mconf: Runner, hostile: HostileServer) -> None:
    result = mconf(*against(hostile.url, *GENERATED, "--max-requests", "5", timeout=ANSWERS))
    assert len(hostile.seen) == 5, result.printed[-3000:]
    # the target accepts anything (no auth, invalid bodies): what was sent is judged, and the
    # case says the budget stopped it
    assert result.code == 1, result.printed[-3000:]
    assert "then budget spent: 5 of max 5 requests already sent" in result.printed


def test_rate_limit_paces_the_generated_suite(mconf: Runner, hostile: HostileServer) -> None:
    paced = ("--max-requests", "6", "--rate-limit", "10")
    result = mconf(*against(hostile.url, *GENERATED, *paced, timeout=ANSWERS))
    starts = [s.at for s in hostile.seen]
    assert len(starts) == 6, result.printed[-3000:]
    # 10 requests/s: six requests span at least five intervals (server-side arrival jitters)
    assert starts[-1] - starts[0] >= 0.45, [b - a for a, b in itertools.pairwise(starts)]


def test_idle_timeout_binds_the_generated_suite(mconf: Runner, hostile: HostileServer) -> None:
    hostile.mode = "hang"
    began = time.monotonic()
    result = mconf(*against(hostile.url, *GENERATED))
    assert time.monotonic() - began < 60  # the target would hang for 300 s
    assert result.code == 2, result.printed[-3000:]
    assert "timed out waiting for" in result.cases()[0]["failure"]
    assert len(hostile.seen) == 1  # the first case could not be tested: nothing more is sent


@pytest.mark.parametrize("mode", ["live", "record"])
@pytest.mark.parametrize("suites", [GENERATED, ONE_JSON], ids=["generated", "scenario"])
def test_a_2_gib_body_is_capped_in_every_mode_and_suite(
    tmp_path: Path, mode: str, suites: tuple[str, ...]
) -> None:
    with serving("huge") as server:
        run = measured(
            *against(server.url, *suites, "--mode", mode, "--max-body-bytes", str(CAP)),
            "--max-requests",
            "3",
            "--cassette-dir",
            str(tmp_path / "cassettes"),
            "--report-dir",
            str(tmp_path / "reports"),
            env={KEY_VAR: "sk-ant-hostile-test-key-00000000000"},
        )
    assert run.code == 1, run.out[-3000:] + run.err[-3000:]
    assert (
        "transport.body-too-large" in (tmp_path / "reports" / "latest" / "report.json").read_text()
    )
    assert 0 < run.rss_mb < MAX_RSS_MB, run.rss_mb


@pytest.mark.parametrize("mode", ["live", "record"])
@pytest.mark.parametrize("suites", [GENERATED, ONE_JSON], ids=["generated", "scenario"])
def test_trickled_headers_end_at_the_deadline(
    mconf: Runner, hostile: HostileServer, mode: str, suites: tuple[str, ...], tmp_path: Path
) -> None:
    hostile.mode = "trickle-headers"  # a header line every 0.1 s: the idle timeout never fires
    began = time.monotonic()
    result = mconf(
        *against(hostile.url, *suites, "--mode", mode, "--deadline-s", "1.5"),
        "--cassette-dir",
        str(tmp_path / "cassettes"),
    )
    elapsed = time.monotonic() - began
    assert result.code == 2, result.printed[-3000:]
    assert "1.5s deadline" in result.cases()[0]["failure"], result.cases()[0]["failure"]
    assert elapsed < 60, elapsed  # the target trickles for 1000 s; generation takes a while
    assert len(hostile.seen) == 1


@pytest.mark.parametrize("mode", ["live", "record"])
def test_an_endless_ping_stream_ends_at_the_deadline(
    mconf: Runner, hostile: HostileServer, mode: str, tmp_path: Path
) -> None:
    hostile.mode = "pings"
    began = time.monotonic()
    result = mconf(
        *against(hostile.url, *ONE_STREAM, "--mode", mode, "--deadline-s", "1.5"),
        "--cassette-dir",
        str(tmp_path / "cassettes"),
    )
    assert time.monotonic() - began < 12
    assert result.code == 1, result.printed[-3000:]  # an answer started: judged, not untested
    finding = next(
        f for c in result.cases() for f in c["findings"] if f["rule"] == "transport.body-incomplete"
    )
    assert "1.5s deadline" in finding["received"]


def test_the_deadline_must_be_positive(mconf: Runner) -> None:
    result = mconf("run", "--deadline-s", "0")
    assert result.code == 2 and "--deadline-s must be more than 0" in result.err

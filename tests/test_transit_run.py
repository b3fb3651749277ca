"""Transit runs end to end on loopback: the reference proxy clean and with each fault, a gateway
of one's own behind `--upstream`, replay of both legs, and one-line errors."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from messages_conformance.cli import main as cli
from messages_conformance.gateway.proxy_faults import PROXY_FAULTS
from messages_conformance.suite.transit_case import SAME_DEVIATION

ROOT = Path(__file__).resolve().parents[1]

# fault -> the transit rule that must report it
EXPECTED = {
    "drop-beta-header": "transit.request.beta-header",
    "drop-version-header": "transit.request.version-header",
    "forward-client-key": "transit.request.client-key",
    "drop-cache-control": "transit.request.cache-control",
    "strip-signature": "transit.roundtrip.signature",
    "add-temperature": "transit.request.added-field",
    "clamp-max-tokens": "transit.request.max-tokens",
    "rewrite-tool-ids": "transit.roundtrip.tool-id",
    "zero-cache-usage": "transit.response.usage",
    "rewrite-stop-reason": "transit.response.stop",
    "map-529-to-500": "transit.error.status",
    "map-413-to-400": "transit.error.status",
    "drop-retry-after": "transit.error.retry-after",
    "invent-ending": "transit.stream.invented-ending",
    "swallow-stream-error": "transit.stream.error-lost",
    "cross-streams": "transit.concurrency.crossed",
}
# pacing faults: the timing rules (client side, warnings) see them in the streaming suite
TIMING = {"buffer-stream": "timing.buffered-stream", "drop-pings": "timing.silent-gap"}


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli.run(list(argv), out), out.getvalue()


def errors_of(report_dir: Path) -> set[str]:
    report = json.loads((report_dir / "latest" / "report.json").read_text())
    return {f["rule"] for c in report["cases"] for f in c["findings"] if f["severity"] == "error"}


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("MCONF_GATEWAY_API_KEY", raising=False)


def test_every_fault_has_its_rule() -> None:
    assert set(EXPECTED) | set(TIMING) == set(PROXY_FAULTS)
    assert len(PROXY_FAULTS) >= 12


def test_the_clean_proxy_passes(in_repo: None, tmp_path: Path) -> None:
    code, out = run("run", "--transit", "-q", "--report-dir", str(tmp_path))
    assert code == 0, out
    assert "mconf: PASS target=transit mode=live" in out
    report = json.loads((tmp_path / "latest" / "report.json").read_text())
    suites = {c["suite"] for c in report["cases"]}
    assert {"transit", "scenarios", "errors", "auth"} <= suites  # ordinary suites run through it
    transit = [c for c in report["cases"] if c["suite"] == "transit"]
    assert len([c for c in transit if c["outcome"] == "passed"]) >= 30


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_each_proxy_fault_fails_with_its_rule(in_repo: None, tmp_path: Path, fault: str) -> None:
    code, out = run(
        "run",
        "--transit",
        "--suite",
        "transit",
        "--fault",
        fault,
        "-q",
        "--report-dir",
        str(tmp_path),
    )
    assert code == 1, out
    assert EXPECTED[fault] in errors_of(tmp_path)
    report = json.loads((tmp_path / "latest" / "report.json").read_text())
    for case in report["cases"]:  # a deviation both sides see is reported once, by transit
        seen = {f["rule"] for f in case["findings"]}
        assert not [rule for rule, by in SAME_DEVIATION.items() if rule in seen and seen & by]


@pytest.mark.parametrize("fault", sorted(TIMING))
def test_each_pacing_fault_of_the_proxy_is_reported_by_its_timing_rule(
    in_repo: None, tmp_path: Path, fault: str
) -> None:
    argv = ["run", "--transit", "--suite", "streaming", "--fault", fault, "-q"]
    code, out = run(*argv, "--report-dir", str(tmp_path))
    report = json.loads((tmp_path / "latest" / "report.json").read_text())
    found = {f["rule"]: f["severity"] for c in report["cases"] for f in c["findings"]}
    assert found.get(TIMING[fault]) == "warning", found  # judged from the client side
    assert code == 0, out


def test_xdist_workers_reach_the_upstream_and_proxy(in_repo: None, tmp_path: Path) -> None:
    """The controller starts them once; each worker is handed their addresses."""
    argv = [
        "run",
        "--transit",
        "--suite",
        "transit",
        "-n",
        "2",
        "-q",
        "--report-dir",
        str(tmp_path),
    ]
    code, out = run(*argv, "--fault", "drop-beta-header")
    assert code == 1, out
    assert errors_of(tmp_path) == {"transit.request.beta-header"}


def test_committed_transit_cassettes_replay_offline(in_repo: None, tmp_path: Path) -> None:
    code, out = run(
        "run",
        "--transit",
        "--mode",
        "replay",
        "--suite",
        "transit",
        "-q",
        "--report-dir",
        str(tmp_path),
    )
    assert code == 0, out
    report = json.loads((tmp_path / "latest" / "report.json").read_text())
    assert len([c for c in report["cases"] if c["outcome"] == "passed"]) >= 30


def test_both_legs_replay_and_are_checked_again(in_repo: None, tmp_path: Path) -> None:
    """A fault recorded once is found again offline: the upstream leg comes from the cassette."""
    cassettes = tmp_path / "cassettes"
    common = [
        "--transit",
        "--suite",
        "transit",
        "-k",
        "request_arrives",
        "--cassette-dir",
        str(cassettes),
        "-q",
    ]
    live = run(
        "run",
        *common,
        "--mode",
        "record",
        "--fault",
        "drop-beta-header",
        "--report-dir",
        str(tmp_path / "r"),
    )
    assert live[0] == 1, live[1]
    files = list((cassettes / "transit" / "test_transit").glob("*.yaml"))
    assert files and all("/_mconf/cases/" in f.read_text() for f in files)
    replayed = run("run", *common, "--mode", "replay", "--report-dir", str(tmp_path / "p"))
    assert replayed[0] == 1, replayed[1]
    assert "transit.request.beta-header" in errors_of(tmp_path / "p")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def own_gateway(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, int]]:
    """`mconf proxy` started by hand, as a gateway team's own gateway would be, forwarding to a
    port where mconf will serve the upstream (indirect parameter: its faults)."""
    faults = [a for f in getattr(request, "param", ()) for a in ("--fault", f)]
    upstream_port = free_port()
    env = {
        **os.environ,
        "MCONF_PROXY_UPSTREAM_KEY": "gw-upstream-secret",
        "MCONF_GATEWAY_API_KEY": "gw-client-secret",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "messages_conformance",
            "proxy",
            "--port",
            "0",
            "--upstream",
            f"http://127.0.0.1:{upstream_port}",
            *faults,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    url = process.stdout.readline().split("listening on ")[1].split()[0]
    monkeypatch.setenv("GW_KEY", "gw-client-secret")
    monkeypatch.chdir(ROOT)
    yield url, upstream_port
    process.terminate()
    process.wait(5)
    process.stdout.close()


def test_a_gateway_of_ones_own_behind_upstream(
    own_gateway: tuple[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, port = own_gateway
    base = [
        "run",
        "--base-url",
        url,
        "--api-key-env",
        "GW_KEY",
        "--upstream",
        f"127.0.0.1:{port}",
        "--suite",
        "transit",
        "-q",
    ]
    monkeypatch.setenv("GW_UPSTREAM_KEY", "gw-upstream-secret")
    code, out = run(
        *base, "--upstream-key-env", "GW_UPSTREAM_KEY", "--report-dir", str(tmp_path / "a")
    )
    assert code == 0, out
    monkeypatch.setenv("GW_UPSTREAM_KEY", "a-key-the-gateway-does-not-have")
    code, out = run(
        *base, "--upstream-key-env", "GW_UPSTREAM_KEY", "--report-dir", str(tmp_path / "b")
    )
    assert code == 1, out
    assert errors_of(tmp_path / "b") == {"transit.request.upstream-key"}
    for folder in ("a", "b"):
        text = (tmp_path / folder / "latest" / "report.json").read_text()
        assert "gw-upstream-secret" not in text and "gw-client-secret" not in text


@pytest.mark.parametrize("own_gateway", [["clamp-max-tokens"]], indirect=True)
def test_transit_settings_as_profile_keys(
    own_gateway: tuple[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """upstream, upstream_key_env and the rewrites a gateway may do live in its profile: a
    declared max_tokens clamp is no finding, the same clamp undeclared is one."""
    url, port = own_gateway
    monkeypatch.setenv("GW_UPSTREAM_KEY", "gw-upstream-secret")
    profile = (
        f'base_url = "{url}"\nkey_env = "GW_KEY"\nupstream = "127.0.0.1:{port}"\n'
        'upstream_key_env = "GW_UPSTREAM_KEY"\n'
    )
    targets = tmp_path / "mconf.toml"
    targets.write_text(f"[clamped]\n{profile}max_tokens_clamp = 4096\n[plain]\n{profile}")
    for name, verdict in (("clamped", 0), ("plain", 1)):
        argv = ["run", "--target", name, "--targets-file", str(targets), "--suite", "transit"]
        code, out = run(*argv, "-q", "--report-dir", str(tmp_path / name))
        assert code == verdict, out
    assert errors_of(tmp_path / "plain") == {"transit.request.max-tokens"}


def test_a_gateway_forwarding_elsewhere_is_unmatched(
    own_gateway: tuple[str, int], tmp_path: Path
) -> None:
    """The gateway's upstream is not where mconf serves: every case reports the lost request."""
    url, _ = own_gateway
    elsewhere = free_port()
    argv = [
        "run",
        "--base-url",
        url,
        "--api-key-env",
        "GW_KEY",
        "--upstream",
        f"127.0.0.1:{elsewhere}",
    ]
    code, out = run(
        *argv, "--suite", "transit", "-k", "correlation", "-q", "--report-dir", str(tmp_path)
    )
    assert code == 1, out
    assert errors_of(tmp_path) >= {"transit.correlation.unmatched"}


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--transit", "--base-url", "http://127.0.0.1:1"], "--transit tests the reference proxy"),
        (
            ["--base-url", "http://127.0.0.1:1", "--api-key-env", "HOME", "--upstream", "nope"],
            "is not HOST:PORT",
        ),
        (["--upstream-key-env", "X", "--transit"], "--upstream-key-env needs --upstream"),
        (
            [
                "--base-url",
                "http://127.0.0.1:1",
                "--api-key-env",
                "HOME",
                "--upstream",
                "127.0.0.1:9",
                "--upstream-key-env",
                "MCONF_UNSET_VAR",
            ],
            "the variable is not set",
        ),
        (["--transit", "--fault", "map-999"], "unknown fault 'map-999'"),
    ],
)
def test_transit_mistakes_are_one_line(
    in_repo: None, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    code, _ = run("run", *argv)
    error = capsys.readouterr().err
    assert code == 2 and says in error and len(error.strip().splitlines()) == 1, error


def test_a_busy_upstream_port_is_one_line(
    in_repo: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        code, _ = run(
            "run",
            "--base-url",
            "http://127.0.0.1:1",
            "--api-key-env",
            "HOME",
            "--upstream",
            f"127.0.0.1:{port}",
        )
    error = capsys.readouterr().err
    assert code == 2 and "cannot listen there" in error, error


def test_proxy_command_lists_faults_and_rejects_mistakes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run("proxy", "--list-faults")
    assert code == 0 and all(name in out for name in PROXY_FAULTS)
    assert run("proxy")[0] == 2 and "--upstream URL is required" in capsys.readouterr().err
    assert run("proxy", "--upstream", "http://x", "--fault", "nope")[0] == 2
    assert "unknown proxy fault 'nope'" in capsys.readouterr().err

"""`mconf run` end to end against the embedded reference gateway (loopback only)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import jsonschema
import pytest

from messages_conformance.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]
QUICK = [
    "--suite",
    "auth",
    "--suite",
    "headers",
    "--suite",
    "requests",
    "--suite",
    "scenarios",
    "--suite",
    "errors",
]

# fault -> a rule that must report it (the primary deviation the fault introduces)
EXPECTED = {
    "bad-key-403": "auth.wrong-key",
    "openai-error-body": "http.error-envelope",
    "json-for-stream": "http.stream-not-sse",
    "done-terminator": "sse.data-not-json",
    "no-message-stop": "stream.order.message-stop-missing",
    "out-of-order": "stream.order.delta-before-start",
    "text-delta-in-tool-use": "stream.delta.type-mismatch",
    "ignore-stop-sequences": "behaviour.stop-sequence",
    "ignore-max-tokens": "message.max-tokens",
    "accept-invalid": "request.invalid-accepted",
    "no-usage": "schema.message",
    "unknown-stop-reason": "schema.message",
    "wrong-content-type": "http.content-type",
    "truncated-stream": "stream.order.message-stop-missing",
    "no-request-id": "http.request-id",
    "unknown-model-400": "model.unknown",
    "empty-tool-input": "message.tool-input-schema",
    "zero-usage-stream": "message.max-tokens-stop",
    "error-then-continue": "stream.order.after-error",
    "event-name-mismatch": "sse.event-name-mismatch",
    "missing-version-ok": "version.missing",
    "interleaved-blocks": "stream.block.interleaved",
    "null-stop-reason": "message.stop-reason-null",
    "wrong-block-index": "stream.block.index",
    "tool-choice-ignored": "message.tool-choice-forced",
    "buffer-stream": "timing.buffered-stream",
    "drop-pings": "timing.silent-gap",
    "gzip-stream": "timing.compressed-stream",
}
# a missing request-id is a warning by the severity policy; so is a timing finding judged from
# the client side alone (a fast upstream may burst; transit mode makes them errors)
WARNING_ONLY = {"no-request-id", "buffer-stream", "drop-pings", "gzip-stream"}
TIMING_FAULTS = {"buffer-stream", "drop-pings", "gzip-stream"}  # shown by the streaming suite


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.run(list(argv), out)
    return code, out.getvalue()


def latest(report_dir: Path) -> dict:
    return json.loads((report_dir / "latest" / "report.json").read_text())


def rules_found(report: dict, severity: str | None = None) -> set[str]:
    return {
        f["rule"]
        for case in report["cases"]
        for f in case["findings"]
        if severity is None or f["severity"] == severity
    }


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repo root, where cassettes/ lives, with the default local key."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("MCONF_GATEWAY_API_KEY", raising=False)


def test_clean_gateway_passes_and_writes_every_report(in_repo: None, tmp_path: Path) -> None:
    code, out = run("run", "-q", "--report-dir", str(tmp_path), *QUICK)
    assert code == 0, out
    assert "mconf: PASS target=local mode=live" in out
    run_dir = (tmp_path / "latest").resolve()
    for name in ("report.json", "junit.xml", "summary.md", "report.html"):
        assert (run_dir / name).is_file(), name
    report = latest(tmp_path)
    schema = json.loads((ROOT / "src/messages_conformance/reports/report.schema.json").read_text())
    jsonschema.validate(report, schema)
    assert report["counts"]["cases"] > 60
    assert rules_found(report, "error") == set()


def test_replay_and_live_give_the_same_verdicts(in_repo: None, tmp_path: Path) -> None:
    live_dir, replay_dir = tmp_path / "live", tmp_path / "replay"
    assert run("run", "-q", "--report-dir", str(live_dir), *QUICK, "--suite", "generated")[0] == 0
    assert (
        run(
            "run",
            "-q",
            "--mode",
            "replay",
            "--report-dir",
            str(replay_dir),
            *QUICK,
            "--suite",
            "generated",
        )[0]
        == 0
    )
    live = {c["id"]: c["outcome"] for c in latest(live_dir)["cases"]}
    replay = {c["id"]: c["outcome"] for c in latest(replay_dir)["cases"]}
    assert live == replay
    assert len(live) > 60
    # the committed cassettes carry their timings (re-recorded): the timing rules applied
    summary = (replay_dir / "latest" / "summary.md").read_text()
    assert "timing rules did not apply to" not in summary


def test_cassettes_recorded_before_timings_still_replay(in_repo: None, tmp_path: Path) -> None:
    """A cassette without timings replays; the report says once that timing rules did not apply."""
    import shutil

    import yaml

    cassettes = tmp_path / "cassettes"
    shutil.copytree(ROOT / "cassettes", cassettes)
    for path in (cassettes / "local" / "test_auth").glob("*.yaml"):
        recorded = yaml.safe_load(path.read_text())
        for interaction in recorded["interactions"]:
            interaction["response"].pop("timing", None)
        path.write_text(yaml.safe_dump(recorded, sort_keys=False))
    out = tmp_path / "replay"
    argv = ["run", "-q", "--mode", "replay", "--cassette-dir", str(cassettes), "--suite", "auth"]
    assert run(*argv, "--report-dir", str(out))[0] == 0
    summary = (out / "latest" / "summary.md").read_text()
    assert summary.count("timing rules did not apply to") == 1


def test_streams_carry_their_timing_live_and_as_recorded(in_repo: None, tmp_path: Path) -> None:
    live_dir, replay_dir = tmp_path / "live", tmp_path / "replay"
    assert run("run", "-q", "--report-dir", str(live_dir), "--suite", "streaming")[0] == 0
    replayed = run(
        "run", "-q", "--mode", "replay", "--report-dir", str(replay_dir), "--suite", "streaming"
    )
    assert replayed[0] == 0
    live, replay = (latest(d)["cases"][0]["timing"] for d in (live_dir, replay_dir))
    assert (live["source"], replay["source"]) == ("measured", "recorded")
    assert live["events"] == replay["events"] > 20  # the pause's pings, then 20 events
    assert live["total_s"] > 0.8  # paced: the pause alone is 0.8 s
    assert latest(replay_dir)["cases"][0]["findings"] == []
    page = (replay_dir / "latest" / "report.html").read_text()
    assert "times are the recorded ones (from the cassettes)" in page
    assert 'aria-label="event arrivals per streamed case"' in page


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_every_fault_is_caught_by_its_rule(in_repo: None, tmp_path: Path, fault: str) -> None:
    suites = QUICK + (["--suite", "generated"] if fault == "openai-error-body" else [])
    suites += ["--suite", "streaming"] if fault in TIMING_FAULTS else []
    code, out = run("run", "-q", "--fault", fault, "--report-dir", str(tmp_path), *suites)
    report = latest(tmp_path)
    assert EXPECTED[fault] in rules_found(report), f"{fault}: found {sorted(rules_found(report))}"
    if fault in WARNING_ONLY:
        assert code == 0 and report["counts"]["findings"]["warning"] > 0
    else:
        assert code == 1, out
        assert report["verdict"] == "fail"


def test_fault_catalogue_is_covered() -> None:
    from messages_conformance.gateway import FAULTS

    assert set(FAULTS) == set(EXPECTED)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--target", "nope"], "unknown target 'nope'; known targets:"),
        (["run", "--fault", "no-such-fault"], "unknown fault 'no-such-fault'; known faults:"),
        (
            ["run", "--target", "anthropic", "--fault", "done-terminator"],
            "--fault applies to the embedded",
        ),
        (["run", "--target", "ccapi"], "needs its key in $CCAPI_API_KEY"),
        (["run", "--target", "local", "--base-url", "http://127.0.0.1:1"], "conflict"),
        (["run", "--mode", "sideways"], "invalid choice"),
        (
            ["run", "--cassette-dir", "/nonexistent-mconf", "--mode", "replay"],
            "no cassettes for target 'local'",
        ),
        (["frobnicate"], "unknown command 'frobnicate'"),
    ],
)
def test_bad_arguments_are_one_line_exit_2(
    in_repo: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.delenv("CCAPI_API_KEY", raising=False)
    code, _ = run(*argv)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unwritable_report_dir_is_exit_2(
    in_repo: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _ = run("run", "--report-dir", str(blocker / "reports"), *QUICK)
    assert code == 2
    assert "cannot write reports" in capsys.readouterr().err


def test_unknown_waiver_rule_is_exit_2(
    in_repo: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "targets.toml"
    profile.write_text(
        '[gw]\nbase_url = "http://127.0.0.1:1"\nkey_env = "HOME"\n'
        '[gw.waivers]\n"no.such-rule" = "x"\n'
    )
    code, _ = run("run", "--targets-file", str(profile), "--target", "gw")
    assert code == 2
    assert "waives unknown rule id(s) no.such-rule" in capsys.readouterr().err


def test_unreachable_target_could_not_be_tested(in_repo: None, tmp_path: Path) -> None:
    profile = tmp_path / "targets.toml"
    profile.write_text('[gone]\nbase_url = "http://127.0.0.1:9"\nkey_env = "HOME"\n')
    code, out = run(
        "run",
        "-q",
        "--targets-file",
        str(profile),
        "--target",
        "gone",
        "--suite",
        "auth",
        "--report-dir",
        str(tmp_path / "r"),
    )
    assert code == 2, out
    report = latest(tmp_path / "r")
    assert report["verdict"] == "error"
    assert all(c["outcome"] == "error" for c in report["cases"])
    assert "cannot connect" in report["cases"][0]["failure"]


def test_waiver_turns_an_error_into_a_waived_finding(in_repo: None, tmp_path: Path) -> None:
    assert os.environ.get("MCONF_GATEWAY_API_KEY") is None
    profile = tmp_path / "targets.toml"
    profile.write_text(
        '[lenient]\nbase_url = "embedded"\nkey_env = "MCONF_GATEWAY_API_KEY"\n'
        'features = ["error-statuses"]\nmax_request_bytes = 65536\n'
        '[lenient.waivers]\n"auth.wrong-key" = "this gateway answers 403 on purpose"\n'
        '"auth.missing-key" = "same"\n'
    )
    code, out = run(
        "run",
        "-q",
        "--targets-file",
        str(profile),
        "--target",
        "lenient",
        "--fault",
        "bad-key-403",
        "--suite",
        "auth",
        "--report-dir",
        str(tmp_path / "r"),
    )
    assert code == 0, out
    report = latest(tmp_path / "r")
    waived = [f for c in report["cases"] for f in c["findings"] if f["waived"]]
    assert {f["rule"] for f in waived} == {"auth.wrong-key", "auth.missing-key"}
    assert all(w["matched"] for w in report["waivers"])

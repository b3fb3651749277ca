"""The generated suite against the embedded reference gateway, run as a user runs it: positive
cases answered 2xx (the share printed), each response fault caught by this suite alone, failing
examples with request, response and a curl line, and no credential but the target's."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from messages_conformance.gateway import GatewayConfig, serve_in_thread

ROOT = Path(__file__).resolve().parents[1]
CASSETTES = ROOT / "cassettes" / "local" / "test_generated"
KEY_VAR = "MCONF_GATEWAY_API_KEY"
# fault -> a rule whose error finding it must bring (the clean run brings none)
FAULTS = {
    "unknown-stop-reason": "schema.message",
    "no-usage": "schema.message",
    "null-stop-reason": "message.stop-reason-null",
    "wrong-block-index": "stream.block.index",
    "done-terminator": "sse.data-not-json",
    "accept-invalid": "generated.negative_data_rejection",
}
SCORE = re.compile(r"mconf: (\d+) of (\d+) positive generated cases answered 2xx \((\d+)%\)")


def run(tmp_path: Path, *argv: str) -> tuple[int, str, dict[str, Any]]:
    """``mconf run --suite generated ...`` in its own process; exit code, output, report."""
    env = {k: v for k, v in os.environ.items() if k not in (KEY_VAR, "CI")}
    command = [sys.executable, "-m", "messages_conformance", "run", "-q", "--no-progress"]
    done = subprocess.run(
        [*command, "--suite", "generated", "--report-dir", str(tmp_path), *argv],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    output = done.stdout + done.stderr
    report = json.loads((tmp_path / "latest" / "report.json").read_text("utf-8"))
    return done.returncode, output, report


def error_rules(report: dict[str, Any]) -> set[str]:
    return {
        f["rule"]
        for case in report["cases"]
        for f in case["findings"]
        if f["severity"] == "error" and not f["waived"]
    }


def test_positive_cases_are_answered_2xx_and_the_share_is_printed(tmp_path: Path) -> None:
    code, output, report = run(tmp_path)
    assert code == 0, output[-3000:]
    score = SCORE.search(output)
    assert score, output[-3000:]
    answered, sent = int(score[1]), int(score[2])
    assert sent >= 4 * 30 and answered / sent >= 0.6, score[0]
    assert report["generation"]["positive"] == {"cases": sent, "2xx": answered}
    negative = report["generation"]["negative"]
    assert negative["cases"] >= 4 * 30  # negative cases still sent, and still refused:
    assert negative["2xx"] / negative["cases"] < 0.1, negative  # none blamed (exit 0)
    assert error_rules(report) == set()


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_fails_the_generated_suite_alone(fault: str, tmp_path: Path) -> None:
    code, output, report = run(tmp_path, "--fault", fault)
    assert code == 1, output[-3000:]
    assert report["verdict"] == "fail"
    assert FAULTS[fault] in error_rules(report), sorted(error_rules(report))


def test_failing_examples_come_with_request_response_and_curl(tmp_path: Path) -> None:
    code, output, report = run(tmp_path, "--fault", "unknown-stop-reason")
    assert code == 1, output[-3000:]
    failing = [c for c in report["cases"] if c["outcome"] == "failed"]
    assert failing and all(c.get("examples") for c in failing)
    for case in failing:
        for shown in case["examples"]:
            assert "schema.message" in shown["rules"]
            assert shown["request"]["body"].startswith("{") and shown["response"]["status"] == 200
            assert shown["curl"].startswith("curl -sS -N -X POST 'http://127.0.0.1:")
            assert f'"x-api-key: ${KEY_VAR}"' in shown["curl"]
            assert "stop" in shown["response"]["body"]
            assert shown["request"]["headers"]["x-api-key"].startswith("REDACTED")
    schema = ROOT / "src" / "messages_conformance" / "reports" / "report.schema.json"
    jsonschema.validate(report, json.loads(schema.read_text("utf-8")))
    text = " ".join(f.text or "" for f in ET.parse(tmp_path / "latest" / "junit.xml").iter())
    assert "failing example 1: " in text and "reproduce: curl -sS -N -X POST" in text


EXAMPLE_LINE = re.compile(r"^     failing example \((.+?)\): (curl .+)$")
PROBLEM_LINE = re.compile(r"^  (\d+)\. (error|warning): ")


def test_the_terminal_shows_one_failing_example_per_problem_and_it_reproduces(
    tmp_path: Path,
) -> None:
    """Two faults (two problems) in a gateway with its own key: the summary gives each problem
    at most one failing example's curl line (the key as `$VAR`), the first screen stays short,
    and the line, pasted into a shell where the variable is set, gets the faulty answer."""
    key = f"mconf-canary-{secrets.token_hex(16)}"
    faults = ("unknown-stop-reason", "accept-invalid")
    with serve_in_thread(GatewayConfig(api_keys=(key,), faults=faults)) as gateway:
        base = ["--base-url", gateway.base_url, "--api-key-env", "MCONF_POLISH_KEY"]
        env = {**os.environ, "MCONF_POLISH_KEY": key}
        command = [sys.executable, "-m", "messages_conformance", "run", "-q", "--no-progress"]
        done = subprocess.run(
            [*command, *base, "--suite", "generated", "--report-dir", str(tmp_path)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        output = done.stdout + done.stderr
        assert done.returncode == 1, output[-3000:]
        assert key not in output
        lines = done.stdout.splitlines()
        summary = lines[next(i for i, line in enumerate(lines) if line.startswith("mconf: FAIL")) :]
        assert len(summary) <= 20, "\n".join(summary)  # the first screen
        report = json.loads((tmp_path / "latest" / "report.json").read_text("utf-8"))
        kept = {c["id"]: [e["curl"] for e in c.get("examples", [])] for c in report["cases"]}
        shown: dict[int, list[tuple[str, str]]] = {}
        number = 0
        for line in summary:
            if problem := PROBLEM_LINE.match(line):
                number = int(problem[1])
            elif example := EXAMPLE_LINE.match(line):
                shown.setdefault(number, []).append((example[1], example[2]))
        assert sorted(shown) == [1, 2], "\n".join(summary)  # each problem: one example
        for number, examples in shown.items():
            problem = report["problems"][number - 1]
            assert len(examples) == 1
            case, curl = examples[0]
            ids = [i for i in problem["case_ids"] if i.endswith(case.split("::", 1)[1])]
            assert any(curl in kept[i] for i in ids), (case, curl)
            assert '"x-api-key: $MCONF_POLISH_KEY"' in curl and curl != problem["reproduce"]
        stop_reason = report["problems"][
            [p["key"] for p in report["problems"]].index("field:stop_reason")
        ]
        curl = shown[stop_reason["number"]][0][1]
        answer = subprocess.run(
            ["bash", "-c", curl], env=env, capture_output=True, text=True, timeout=60
        )  # the line as a user pastes it
    assert answer.returncode == 0, answer.stderr
    assert re.search(r'"stop_reason":\s*"stop"', answer.stdout), answer.stdout[:2000]


def _recorded() -> list[dict[str, Any]]:
    requests = []
    for path in sorted(CASSETTES.glob("*.yaml")):
        cassette = yaml.safe_load(path.read_text("utf-8"))
        requests += [{"file": path.name, **i["request"]} for i in cassette["interactions"]]
    return requests


def test_recorded_generated_requests_carry_only_the_target_s_key_and_pin_the_model() -> None:
    recorded = _recorded()
    assert len(recorded) >= 8 * 30
    for request in recorded:
        names = {name.lower() for name in request["headers"]}
        assert "authorization" not in names, request["file"]
        assert "x-api-key" in names, request["file"]
        assert "anthropic-beta" not in names, request["file"]
    positive = [r for r in recorded if r["file"].startswith("test_positive-POST")]
    bodies = [json.loads(r["body"]) for r in positive if r.get("body")]
    assert len(bodies) >= 60
    assert {b["model"] for b in bodies} == {"claude-sonnet-4-6"}

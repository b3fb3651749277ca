"""Replay sends the generated cases kept beside the cassettes, without drawing them, and judges
them exactly as the recording run did (suite/drawn_cases.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from messages_conformance.recordings.cassette import recording_files
from messages_conformance.suite.case_records import from_record, to_record
from messages_conformance.suite.drawn_cases import Drawn
from messages_conformance.suite.generation import negative_schema, positive_schema

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "cassettes" / "local" / "test_generated"


def run(*argv: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MCONF_GATEWAY_API_KEY", "CI")}
    command = [sys.executable, "-m", "messages_conformance", "run", "-q", "--no-progress"]
    done = subprocess.run(
        [*command, "--suite", "generated", *argv],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def judged(reports: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per case: outcome and every finding as it was reported; and the generated score."""
    report = json.loads((reports / "latest" / "report.json").read_text("utf-8"))
    cases = {
        case["id"]: (
            case["outcome"],
            [
                (f["rule"], f["severity"], f.get("location"), f["message"], f.get("expected"))
                for f in case["findings"]
            ],
        )
        for case in report["cases"]
    }
    return cases, report["generation"]


def test_replay_of_kept_cases_judges_as_the_recording_did(tmp_path: Path) -> None:
    cassettes = ["--cassette-dir", str(tmp_path / "cassettes")]
    faults = ["--fault", "accept-invalid", "--fault", "unknown-stop-reason"]  # verdicts that
    # depend on the cases' metadata (negative_data_rejection) and on the answers
    code, out = run("--mode", "record", *faults, *cassettes, "--report-dir", str(tmp_path / "a"))
    assert code == 1, out[-3000:]
    kept = sorted((tmp_path / "cassettes" / "local" / "test_generated").glob("*.cases.json"))
    assert len(kept) == 8
    code, out = run("--mode", "replay", *cassettes, "--report-dir", str(tmp_path / "b"))
    assert code == 1, out[-3000:]
    recorded, replayed = judged(tmp_path / "a"), judged(tmp_path / "b")
    assert sum(len(f) for _, f in recorded[0].values()) > 100  # findings of both kinds
    assert replayed == recorded

    # the kept cases are what replay sends: two of the 33 left, two are sent
    path = next(p for p in kept if p.name == "test_positive-POST-v1-messages.cases.json")
    data = json.loads(path.read_text("utf-8"))
    path.write_text(json.dumps({**data, "cases": data["cases"][:2]}), "utf-8")
    code, out = run("--mode", "replay", *cassettes, "--report-dir", str(tmp_path / "c"))
    assert code == 1, out[-3000:]  # the faults' findings again (and a failure says why)
    positive = judged(tmp_path / "c")[1]["positive"]
    assert positive["cases"] == recorded[1]["positive"]["cases"] - 33 + 2, out[-3000:]


def _first(schema: Any, path: str, method: str) -> Any:
    from hypothesis import HealthCheck, given, settings

    found: list[Any] = []

    @settings(
        max_examples=5, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(schema[path][method].as_strategy())
    def draw(case: Any) -> None:
        found.append(case)

    draw()
    return schema[path][method], found[-1]


@pytest.mark.parametrize("schema", [positive_schema, negative_schema], ids=["positive", "negative"])
def test_a_kept_case_comes_back_as_it_was_sent(schema: Any) -> None:
    operation, case = _first(schema(), "/v1/messages", "POST")
    case.headers["x-api-key"] = "sk-ant-secret-never-kept-0000"
    record = to_record(case)
    assert "x-api-key" not in json.dumps(record) and "sk-ant" not in json.dumps(record)
    again = from_record(operation, json.loads(json.dumps(record)))
    assert again.body == case.body and again.method == case.method
    assert again.meta is not None and case.meta is not None
    assert again.meta.to_dict() == {
        **case.meta.to_dict(),
        "generation": record["meta"]["generation"],
    }


def test_cases_json_cannot_hold_are_not_kept_and_replay_draws(tmp_path: Path) -> None:
    _, case = _first(positive_schema(), "/v1/messages", "POST")
    path = tmp_path / "t.cases.json"
    path.write_text("stale")
    drawn = Drawn(path)
    drawn.keep(case)
    case.body = {"tuple": (1, 2)}  # JSON would give back a list
    drawn.keep(case)
    assert drawn.unwritable
    drawn.save()
    assert not path.exists()  # no partial file: replay draws the cases instead


def test_kept_cases_are_not_recordings() -> None:
    kept = list(FOLDER.glob("*.cases.json"))
    assert len(kept) == 8  # committed beside their cassettes
    assert not [p for p in recording_files([FOLDER]) if p.name.endswith(".cases.json")]

"""`mconf parity`: recorded reference answers (clean gateway) against a live, maybe faulty, one."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from messages_conformance.cli import main as cli
from messages_conformance.cli.parity import Shape, auth_class, compare
from messages_conformance.core.exchange import Exchange, Request, Response

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "cassettes" / "local"


def parity(*argv: str) -> tuple[int, dict]:
    out = io.StringIO()
    code = cli.run(
        ["parity", "--reference", str(REFERENCE / "test_scenarios"), "--format", "json", *argv], out
    )
    return code, json.loads(out.getvalue()) if out.getvalue().startswith("{") else {}


def differing_fields(report: dict) -> set[str]:
    return {d["field"] for e in report["exchanges"] for d in e["differences"]}


@pytest.fixture(autouse=True)
def local_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MCONF_GATEWAY_API_KEY", raising=False)


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="no committed cassettes for the local target")
def test_clean_gateway_matches_its_own_recordings() -> None:
    code, report = parity()
    assert code == 0
    assert report["same"] and len(report["exchanges"]) > 30


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="no committed cassettes for the local target")
@pytest.mark.parametrize(
    ("fault", "field"),
    [
        ("unknown-stop-reason", "stop_reason"),
        ("done-terminator", "event_types"),
        ("json-for-stream", "content_type"),
        ("no-request-id", "header_names"),
        ("tool-choice-ignored", "block_types"),
    ],
)
def test_faulty_gateway_differs_where_the_fault_is(fault: str, field: str) -> None:
    code, report = parity("--fault", fault)
    assert code == 1
    assert field in differing_fields(report)


def test_k_of_n_tolerates_a_minority_of_deviations() -> None:
    base = Shape(200, None, "application/json", ("text",), (), "end_turn", ("request-id",))
    other = Shape(200, None, "application/json", ("text",), (), "max_tokens", ("request-id",))
    assert compare(base, [base, other, base], agree=2) == []
    (diff,) = compare(base, [base, other, other], agree=2)
    assert (diff.field, diff.received, diff.agreed, diff.attempts) == (
        "stop_reason",
        "max_tokens",
        1,
        3,
    )


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "none"),
        ({"x-api-key": "REDACTED:target"}, "target"),
        ({"x-api-key": "REDACTED:wrong"}, "wrong"),
        ({"authorization": "REDACTED:bearer-target"}, "bearer"),
    ],
)
def test_auth_class_from_redaction_markers(headers: dict[str, str], expected: str) -> None:
    exchange = Exchange(Response(200), Request("POST", "http://x/v1/messages", headers, b"{}"))
    assert auth_class(exchange) == expected


def test_missing_reference_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.run(["parity", "--reference", "no/such/folder"], io.StringIO())
    assert code == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_agree_larger_than_repeat_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.run(
        ["parity", "--reference", str(REFERENCE), "--repeat", "2", "--agree", "3"], io.StringIO()
    )
    assert code == 2
    assert "--agree must be between 1 and --repeat" in capsys.readouterr().err

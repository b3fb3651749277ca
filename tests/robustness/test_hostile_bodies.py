"""Bodies that crashed the checker become findings (issue 13, item 5): JSON nested past what
the validator takes (at an invalid place, and 100k levels), a lone surrogate, a 5000-digit
integer. `mconf validate` exits 1 with the finding, `mconf run` fails the case with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile import ONE_JSON, HostileServer, Runner, against

_MESSAGE = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-6",
    "content": [{"type": "text", "text": "Hello!"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 1, "output_tokens": 1},
}


def _with(field: str, raw: str) -> str:
    """The Message with ``field`` holding ``raw`` JSON text."""
    text = json.dumps({**_MESSAGE, field: "@@"})
    return text.replace('"@@"', raw)


BODIES = {
    "nested-300": (_with("content", "[" * 300 + "]" * 300), "http.body-too-deep"),
    "nested-100k": (_with("content", "[" * 100_000 + "]" * 100_000), "http.body-too-deep"),
    "lone-surrogate": (_with("id", '"\\ud800"'), "http.body-lone-surrogate"),
    "huge-integer": (
        json.dumps(_MESSAGE).replace('"input_tokens": 1', '"input_tokens": ' + "9" * 5000),
        "http.body-huge-number",
    ),
}


@pytest.mark.parametrize("case", sorted(BODIES))
def test_validate_reports_a_finding(mconf: Runner, tmp_path: Path, case: str) -> None:
    body, rule = BODIES[case]
    path = tmp_path / f"{case}.json"
    path.write_text(body)
    result = mconf("validate", "--format", "json", str(path))
    assert result.code == 1, result.printed[-2000:]
    rules = {f["rule"] for e in json.loads(result.out)["exchanges"] for f in e["findings"]}
    assert rule in rules, rules


@pytest.mark.parametrize("case", sorted(BODIES))
def test_run_fails_the_case_with_the_finding(
    mconf: Runner, hostile: HostileServer, case: str
) -> None:
    hostile.mode, hostile.key = "body", BODIES[case][0]
    result = mconf(*against(hostile.url, *ONE_JSON))
    assert result.code == 1, result.printed[-3000:]
    assert [c["outcome"] for c in result.cases()] == ["failed"]
    assert BODIES[case][1] in result.rules(), result.rules()
    html = (result.folder / "latest" / "report.html").read_text()
    assert BODIES[case][1] in html

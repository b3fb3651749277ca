"""drift.py: what recorded responses carry that the spec does not name."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from messages_conformance.cli.drift import drift_main
from messages_conformance.core.spec import Spec
from messages_conformance.reports.drift import render_text, to_json
from messages_conformance.reports.sightings import STANDARD_HEADERS, find_drift, known_headers

DATA = Path(__file__).parent / "data" / "upstream" / "drift"
CASSETTE = DATA / "drift-cassette.yaml"
ERROR = DATA / "drift-error.json"
CLEAN = DATA / "clean.sse"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = drift_main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def sightings(*paths: Path) -> set[tuple[str, str, str, int, str]]:
    report = find_drift(list(paths))
    return {(s.kind, s.context, s.name, s.count, s.first_seen) for s in report.sightings.values()}


def test_the_cassette_shows_exactly_its_planted_drift() -> None:
    first, second = f"{CASSETTE}#0", f"{CASSETTE}#1"
    assert sightings(CASSETTE) == {
        ("field", "message", "/content/*/sparkle", 1, first),
        ("field", "message", "/usage/brand_new", 1, first),
        ("field", "event:content_block_start", "/content_block/sparkle", 1, second),
        ("event", "", "surprise", 1, second),
        ("header", "", "x-new-thing", 2, first),
        ("value", "stop_reason", '"weird_stop"', 2, first),  # JSON body and message_delta
        ("value", "usage.service_tier", '"turbo"', 1, first),
    }


def test_tool_inputs_are_the_callers_data_not_drift() -> None:
    names = {name for _, _, name, _, _ in sightings(CASSETTE)}
    assert not any("/input" in name for name in names)


def test_corpus_error_exchange_and_known_headers() -> None:
    assert sightings(ERROR) == {
        ("field", "error", "/error/hint", 1, str(ERROR)),
        ("value", "error type", '"teapot_error"', 1, str(ERROR)),
    }


def test_a_clean_stream_has_no_drift() -> None:
    report = find_drift([CLEAN])
    assert report.exchanges == 1 and not report.sightings
    assert "No drift" in render_text(report)


def test_a_folder_is_read_recursively_and_counts_add_up() -> None:
    report = find_drift([DATA])
    assert (report.files, report.exchanges) == (3, 4)
    headers = [s for s in report.sightings.values() if s.kind == "header"]
    assert [(s.name, s.count) for s in headers] == [("x-new-thing", 2)]


def test_known_headers_come_from_the_openapi_document() -> None:
    known = known_headers(Spec.load())
    assert {"request-id", "retry-after", "anthropic-ratelimit-tokens-limit"} <= known
    assert known >= STANDARD_HEADERS
    assert "x-should-retry" not in known  # named by the facts, not by our OpenAPI document


def test_text_and_json_output() -> None:
    code, text, err = run(str(CASSETTE))
    assert code == 0 and err == ""
    assert text.splitlines()[0] == (
        "drift over 2 exchange(s) in 1 file(s): 3 field(s), 1 event(s), 1 header(s), 2 value(s)"
    )
    assert f"      2  x-new-thing  ({CASSETTE}#0)" in text
    assert f'      2  stop_reason "weird_stop"  ({CASSETTE}#0)' in text
    code, text, _ = run(str(CASSETTE), "--format", "json")
    data = json.loads(text)
    assert code == 0 and data["counts"] == {"field": 3, "event": 1, "header": 1, "value": 2}
    assert {
        "kind": "event",
        "context": "",
        "name": "surprise",
        "count": 1,
        "first_seen": f"{CASSETTE}#1",
    } in data["drift"]
    assert to_json(find_drift([CLEAN]))["drift"] == []


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("empty.json", "", "empty file"),
        ("broken.yaml", "interactions: [", "not valid YAML"),
        ("other.json", '{"hello": 1}', "not a Message"),
    ],
)
def test_unusable_input_is_one_line_and_exit_2(
    tmp_path: Path, name: str, content: str, needle: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    code, out, err = run(str(path))
    assert code == 2 and out == ""
    assert needle in err and err.count("\n") == 1


def test_an_empty_folder_and_a_missing_file_exit_2(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path))
    assert code == 2 and "no recordings" in err
    assert run(str(tmp_path / "missing.yaml"))[0] == 2


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared real corpus not present")
def test_the_real_corpus_completes_and_shows_known_drift() -> None:
    report = find_drift([CORPUS])
    assert report.exchanges == report.files == len(list(CORPUS.glob("*.json")))
    fields = {(s.context, s.name) for s in report.sightings.values() if s.kind == "field"}
    # Our usage.json declares `iterations` as an array of open objects and message.json
    # `context_management` as an open object: their members are what the spec does not name.
    assert ("message", "/usage/iterations/*/input_tokens") in fields
    assert ("message", "/context_management/applied_edits") in fields
    assert ("event:message_delta", "/usage/iterations/*/type") in fields
    # Declared things are not drift.
    assert not {name for _, name in fields} & {"/usage/iterations", "/usage/service_tier", "/id"}
    # Real traffic only uses documented enum values and event types.
    assert not [s for s in report.sightings.values() if s.kind in ("value", "event")]
    code, text, _ = run(str(CORPUS))
    assert code == 0 and "x-should-retry" in text


def test_another_spec_folder_changes_what_is_declared(tmp_path: Path) -> None:
    minimal = Path(__file__).parent / "data" / "upstream" / "minimal-spec"
    code, text, _ = run(str(ERROR), "--spec-dir", str(minimal), "--format", "json")
    names = {(d["context"], d["name"]) for d in json.loads(text)["drift"]}
    assert code == 0
    assert ("error", "/error/hint") in names and ("error type", '"teapot_error"') in names
    assert run(str(ERROR), "--spec-dir", str(tmp_path))[0] == 2


def _cassette(tmp_path: Path, *exchanges: tuple[str, str, dict[str, object]]) -> Path:
    """A cassette of 200 JSON answers: (method, path, body) each."""
    import yaml

    interactions = [
        {
            "request": {
                "body": None if method == "GET" else "{}",
                "headers": {"content-type": ["application/json"]},
                "method": method,
                "uri": f"http://127.0.0.1:8787{path}",
            },
            "response": {
                "body": {"string": json.dumps(body)},
                "headers": {"content-type": ["application/json"], "request-id": ["req_1"]},
                "status": {"code": 200, "message": "OK"},
            },
        }
        for method, path, body in exchanges
    ]
    path = tmp_path / "endpoints.yaml"
    path.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}), "utf-8")
    return path


MODEL_INFO = {
    "type": "model",
    "id": "claude-sonnet-4-6",
    "display_name": "Claude Sonnet 4.6",
    "created_at": "2026-01-01T00:00:00Z",
}


def test_each_endpoints_answer_is_walked_with_its_own_schema(tmp_path: Path) -> None:
    """A models list, a model and a token count are not Messages: their declared fields are no
    drift (they were reported as `message /data`, `/first_id`, ...), their unknown ones are."""
    models = {"data": [MODEL_INFO], "first_id": "a", "last_id": "a", "has_more": False}
    cassette = _cassette(
        tmp_path,
        ("GET", "/v1/models", models),
        ("GET", "/v1/models/claude-sonnet-4-6", {**MODEL_INFO, "sparkle": 1}),
        ("POST", "/v1/messages/count_tokens", {"input_tokens": 5}),
        ("POST", "/_mconf/cases/abc", {"legs": [], "unmatched": []}),  # not the contract's
    )
    fields = {(s[1], s[2]) for s in sightings(cassette) if s[0] == "field"}
    assert fields == {("model_info", "/sparkle")}


def test_the_shipped_cassettes_show_no_field_drift() -> None:
    """The README's `mconf drift cassettes/` on the project's own recordings of the reference
    gateway: every field it answers is in the spec."""
    root = Path(__file__).resolve().parents[1] / "cassettes"
    report = find_drift([root])
    assert report.exchanges > 100
    assert [(s.context, s.name) for s in report.of_kind("field")] == []

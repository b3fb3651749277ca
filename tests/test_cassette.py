"""Reading recorded exchanges: vcrpy cassettes, corpus exchanges, bare bodies, unusable input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from messages_conformance.core.exchange import Exchange
from messages_conformance.recordings.cassette import UnusableInput, load_exchanges

DATA = Path(__file__).resolve().parent / "data"
CASSETTES = DATA / "cassettes"
BODIES = DATA / "bodies"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
CORPUS_FILES = sorted(CORPUS.glob("[0-9]*.json")) if CORPUS.is_dir() else []


def one(path: Path) -> Exchange:
    (exchange,) = load_exchanges(path)
    return exchange


def body_json(exchange: Exchange) -> dict[str, object]:
    parsed = json.loads(exchange.response.body)
    assert isinstance(parsed, dict)
    return parsed


# --- vcrpy cassettes -----------------------------------------------------------------------


def test_plain_cassette() -> None:
    exchange = one(CASSETTES / "plain.yaml")
    assert exchange.name == f"{CASSETTES / 'plain.yaml'}#0"
    assert exchange.request is not None
    assert (exchange.request.method, exchange.request.url) == (
        "POST",
        "http://127.0.0.1:8080/v1/messages",
    )
    assert exchange.request.json()["max_tokens"] == 100
    assert exchange.request.headers["anthropic-version"] == "2023-06-01"
    assert "x-api-key" not in exchange.request.headers  # filtered at record time
    assert exchange.response.status == 200
    assert exchange.response.headers["request-id"] == "req_011CYfQPJSkizN91DEN4ZUpZ"
    assert body_json(exchange)["stop_reason"] == "end_turn"


def test_gzip_binary_body_is_decompressed() -> None:
    exchange = one(CASSETTES / "gzip.yaml")
    assert body_json(exchange)["id"] == "msg_01NpSWjDnYM3G9wFsxNwNaBh"
    assert "content-encoding" not in exchange.response.headers
    assert exchange.response.content_type == "application/json"


def test_deflate_body_is_decompressed() -> None:
    exchange = one(CASSETTES / "deflate.yaml")
    assert body_json(exchange)["type"] == "message"
    assert exchange.request is not None and exchange.request.body == b""  # body: null


def test_pytest_recording_cassette_with_gzip_and_tools() -> None:
    exchange = one(CASSETTES / "pytest-recording.yaml")
    assert exchange.request is not None
    assert exchange.request.json()["tools"][0]["name"] == "get_weather"
    body = body_json(exchange)
    assert body["stop_reason"] == "tool_use"
    assert exchange.response.headers["date"] == "Tue, 03 Mar 2026 03:03:27 GMT"


def test_sse_cassette_keeps_the_stream_verbatim() -> None:
    exchange = one(CASSETTES / "stream.yaml")
    assert exchange.response.content_type == "text/event-stream"
    assert exchange.response.body.startswith(b"event: message_start\ndata: {")
    assert exchange.response.body.endswith(b'data: {"type":"message_stop"}\n\n')
    assert exchange.request is not None and exchange.request.json()["stream"] is True


def test_multiple_interactions_are_named_by_index() -> None:
    path = CASSETTES / "multi.yaml"
    exchanges = load_exchanges(path)
    assert [e.name for e in exchanges] == [f"{path}#0", f"{path}#1", f"{path}#2"]
    assert [e.response.status for e in exchanges] == [200, 429, 200]
    assert exchanges[1].response.headers["retry-after"] == "12"
    assert body_json(exchanges[1])["type"] == "error"
    assert exchanges[2].response.content_type == "text/event-stream"


def test_vcrpy_json_serializer() -> None:
    exchange = one(CASSETTES / "serializer-json.json")
    assert exchange.name.endswith("serializer-json.json#0")
    assert body_json(exchange)["type"] == "message"


def test_pydantic_ai_parsed_body() -> None:
    exchange = one(CASSETTES / "pydantic-ai.yaml")
    assert exchange.request is not None
    assert exchange.request.json()["messages"][0]["role"] == "user"
    assert body_json(exchange)["usage"] == {"input_tokens": 13, "output_tokens": 5}


def test_ddapm_istr_header_keys_are_read_as_text() -> None:
    exchange = one(CASSETTES / "ddapm-istr.yaml")
    assert exchange.request is not None
    assert exchange.request.headers == {
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
    }
    assert exchange.response.status == 401
    assert exchange.response.headers["x-should-retry"] == "false"


# --- corpus exchanges and bare bodies ------------------------------------------------------


def test_corpus_format_exchange() -> None:
    exchange = one(BODIES / "exchange.json")
    assert exchange.name == str(BODIES / "exchange.json")
    assert exchange.request is not None and exchange.request.json()["stop_sequences"] == ["5"]
    assert body_json(exchange)["stop_sequence"] == "5"


def test_bare_message_is_a_200_without_request() -> None:
    exchange = one(BODIES / "message.json")
    assert exchange.request is None
    assert exchange.response.status == 200
    assert exchange.response.content_type == "application/json"
    assert body_json(exchange)["id"] == "msg_01NpSWjDnYM3G9wFsxNwNaBh"


def test_bare_error_has_unknown_status() -> None:
    exchange = one(BODIES / "error.json")
    assert exchange.response.status == 0
    assert body_json(exchange)["type"] == "error"


@pytest.mark.parametrize("name", ["stream.sse", "stream.txt"])
def test_bare_stream(name: str) -> None:
    exchange = one(BODIES / name)
    assert exchange.request is None
    assert (exchange.response.status, exchange.response.content_type) == (
        200,
        "text/event-stream",
    )
    assert b"event: message_stop" in exchange.response.body


# --- unusable input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "says"),
    [
        (CASSETTES / "truncated.yaml", "not valid YAML"),
        (CASSETTES / "garbage.yaml", "not UTF-8"),
        (CASSETTES / "not-a-cassette.yaml", "not a vcrpy cassette (no 'interactions' list)"),
        (CASSETTES / "no-interactions.yaml", "has no interactions"),
        (CASSETTES / "unsafe-tag.yaml", "!!python/object/apply:os.system"),
        (CASSETTES / "corrupt-gzip.yaml", "gzip body is corrupt or truncated"),
        (CASSETTES / "brotli.yaml", "br-encoded"),
        (BODIES / "broken.json", "not valid JSON"),
        (BODIES / "chat-completion.json", "not a Message, an error envelope"),
        (BODIES / "empty.json", "empty file"),
        (DATA / "does-not-exist.yaml", "cannot read the file"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else "",
)
def test_unusable_input_is_one_line_naming_file_problem_and_fix(path: Path, says: str) -> None:
    with pytest.raises(UnusableInput) as info:
        load_exchanges(path)
    text = str(info.value)
    assert text.startswith(f"{path.name}: ") or text.startswith(f"{path}")
    assert says in text
    assert "\n" not in text
    assert info.value.__cause__ is None  # translated: no parser traceback chained


def test_unsafe_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    cassette = tmp_path / "evil.yaml"
    cassette.write_text(f"interactions: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(UnusableInput):
        load_exchanges(cassette)
    assert not marker.exists()


def test_malformed_interaction_names_its_index(tmp_path: Path) -> None:
    cassette = tmp_path / "c.yaml"
    cassette.write_text(
        "interactions:\n- request: {method: POST, uri: x}\n  response: {body: {}}\n"
    )
    with pytest.raises(UnusableInput, match=r"c\.yaml#0: response has no status code"):
        load_exchanges(cassette)


def test_yaml_that_starts_like_sse_is_still_yaml(tmp_path: Path) -> None:
    cassette = tmp_path / "data.yaml"
    cassette.write_text("data: [1, 2]\n")
    with pytest.raises(UnusableInput, match="not a vcrpy cassette"):
        load_exchanges(cassette)


def test_deep_nesting_is_left_to_the_checks(tmp_path: Path) -> None:
    """A body nested too deeply to parse is what a target sent: a finding, not a bad file."""
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    (exchange,) = load_exchanges(deep)
    assert exchange.response.status == 0  # the file does not say which status carried it
    assert len(exchange.response.body) == 200_000


def test_not_a_cassette_suggests_recording() -> None:
    with pytest.raises(UnusableInput, match="mconf run --mode record"):
        load_exchanges(CASSETTES / "not-a-cassette.yaml")


# --- the real corpus -----------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS_FILES, reason="real-traffic corpus not checked out beside the repo")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.stem[:3])
def test_every_corpus_file_loads(path: Path) -> None:
    doc = json.loads(path.read_text())
    exchange = one(path)
    assert exchange.request is not None
    assert exchange.request.json() == doc["request"]["body"]
    assert exchange.response.status == doc["response"]["status"]
    assert dict(exchange.response.headers) == {
        k.lower(): v for k, v in doc["response"]["headers"].items()
    }
    if doc["response"]["sse"] is not None:
        assert exchange.response.body.decode() == doc["response"]["sse"]
    else:
        assert json.loads(exchange.response.body) == doc["response"]["body"]

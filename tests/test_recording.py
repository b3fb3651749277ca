"""recording.py: record against a loopback server, replay without it, never store a secret."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from vcr.request import Request  # type: ignore[import-untyped]
from vcr.stubs import VCRHTTPResponse  # type: ignore[import-untyped]

from messages_conformance.net.targets import resolve
from messages_conformance.net.transport import WRONG_KEY, Sent, Transport
from messages_conformance.recordings import recording
from messages_conformance.recordings.recording import (
    AtomicPersister,
    RecordingMissing,
    Redactor,
    YamlSerializer,
    credential_class,
    install_read1_shim,
    make_vcr,
    replay_miss,
    use_cassette,
)

CANARY = "sk-ant-canary-7f3e9c1d2b4a6e8f0a1b2c3d"
LOCAL = resolve("local").record_command()  # `mconf run --target local --mode record`
BODY: dict[str, Any] = {
    "model": "m",
    "max_tokens": 8,
    "messages": [{"role": "user", "content": "hi"}],
}
SSE = (
    b'event: message_start\ndata: {"type":"message_start"}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


class Handler(BaseHTTPRequestHandler):
    """Echoes the key it got in a body, a header and a cookie: the recording must not."""

    protocol_version = "HTTP/1.1"
    hits = 0

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        Handler.hits += 1
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.path.startswith("/sse"):
            self.reply(SSE, "text/event-stream; charset=utf-8")
        elif self.path.startswith("/gzip"):
            self.reply(gzip.compress(b'{"type":"message"}'), "application/json", gzip=True)
        else:
            key = self.headers.get("x-api-key", "")
            body = json.dumps({"type": "message", "echo": key, "n": Handler.hits})
            self.reply(body.encode(), "application/json", echo=key)

    def reply(self, body: bytes, kind: str, *, gzip: bool = False, echo: str = "") -> None:
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.send_header("set-cookie", f"session={echo or 'x'}; Path=/")
        self.send_header("anthropic-organization-id", "org-1234")
        self.send_header("x-echo", f"got {echo}")
        if gzip:
            self.send_header("content-encoding", "gzip")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def nowhere() -> str:
    """A loopback URL nothing listens on: replay must not need the server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def transport(base_url: str, key: str = CANARY) -> Transport:
    return Transport(
        base_url,
        auth_headers={"x-api-key": key},
        default_headers={"anthropic-version": "2023-06-01"},
        max_retries=0,
    )


def record(tmp_path: Path, base_url: str, name: str = "test_x", **send: Any) -> Path:
    config = make_vcr(tmp_path, "record", secrets=[CANARY])
    with use_cassette(config, name, record_with=LOCAL), transport(base_url) as client:
        client.send(BODY, **send)
    return tmp_path / f"{name}.yaml"


def replay(tmp_path: Path, name: str = "test_x", **send: Any) -> Sent:
    config = make_vcr(tmp_path, "replay", secrets=[CANARY])
    with use_cassette(config, name, record_with=LOCAL), transport(nowhere()) as client:
        return client.send(BODY, **send)


def interactions(path: Path) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load(path.read_text())["interactions"]
    return loaded


# -- record and replay --------------------------------------------------------------------------


def test_httpx_records_then_replays_on_another_port(tmp_path: Path, server: str) -> None:
    path = record(tmp_path, server)
    hits = Handler.hits
    sent = replay(tmp_path)
    assert Handler.hits == hits  # replay never reached the server
    assert sent.exchange.response.status == 200
    assert json.loads(sent.exchange.response.body)["type"] == "message"
    assert len(interactions(path)) == 1


def test_sse_body_is_stored_as_a_readable_block(tmp_path: Path, server: str) -> None:
    path = record(tmp_path, server, path="/sse")
    assert "event: message_start\n" in path.read_text()  # a | block, not an escaped string
    assert replay(tmp_path, path="/sse").exchange.response.body == SSE


def test_gzip_is_stored_decoded_and_replays_as_the_live_exchange(
    tmp_path: Path, server: str
) -> None:
    config = make_vcr(tmp_path, "record")
    with use_cassette(config, "gz", record_with=LOCAL), transport(server) as client:
        live = client.send(BODY, path="/gzip").exchange.response
    stored = interactions(tmp_path / "gz.yaml")[0]["response"]
    assert "content-encoding" not in {k.lower() for k in stored["headers"]}
    assert stored["body"]["string"] == '{"type":"message"}'
    replayed = replay(tmp_path, "gz", path="/gzip").exchange.response
    assert replayed.body == live.body == b'{"type":"message"}'
    assert replayed.headers == live.headers


def test_record_mode_starts_a_fresh_cassette(tmp_path: Path, server: str) -> None:
    path = record(tmp_path, server, path="/v1/messages")
    record(tmp_path, server, path="/v1/messages?beta=true")
    assert [i["request"]["uri"].endswith("?beta=true") for i in interactions(path)] == [True]


def test_requests_records_and_replays_with_the_read1_shim(tmp_path: Path, server: str) -> None:
    for mode, url in (("record", server), ("replay", nowhere())):
        with use_cassette(make_vcr(tmp_path, mode), "req", record_with=LOCAL):
            response = requests.post(f"{url}/sse", json=BODY, stream=True, timeout=5)
            assert response.raw.read1(1024, decode_content=True) == SSE
            assert response.raw.read1(1024, decode_content=True) == b""


def test_schemathesis_reads_a_replayed_event_stream(tmp_path: Path, server: str) -> None:
    from schemathesis.transport.requests import _iter_event_stream

    for mode, url in (("record", server), ("replay", nowhere())):
        with use_cassette(make_vcr(tmp_path, mode), "st", record_with=LOCAL):
            response = requests.post(f"{url}/sse", json=BODY, stream=True, timeout=5)
            assert b"".join(_iter_event_stream(response)) == SSE


def test_unshimmed_stub_rejects_decode_content() -> None:
    """Why the shim exists: vcrpy's own read1 hands the keyword to BytesIO.read1."""
    stub = VCRHTTPResponse(
        {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": b"ab"}}
    )
    with pytest.raises(TypeError, match="keyword arguments"):
        recording._ORIGINAL_READ1(stub, 1, decode_content=True)
    install_read1_shim()
    install_read1_shim()  # idempotent
    assert stub.read1(1, decode_content=True) == b"a"
    assert stub.read1() == b"b"


# -- secrets ------------------------------------------------------------------------------------


def test_canary_key_never_reaches_the_cassette(tmp_path: Path, server: str) -> None:
    path = record(tmp_path, server)
    text = path.read_text()
    assert CANARY not in text
    assert CANARY not in json.dumps(yaml.safe_load(text))
    stored = interactions(path)[0]
    assert stored["request"]["headers"]["x-api-key"] == ["REDACTED:target"]
    headers = {k.lower(): v for k, v in stored["response"]["headers"].items()}
    assert headers["set-cookie"] == ["REDACTED:target"]
    assert headers["anthropic-organization-id"] == ["REDACTED:target"]
    assert headers["x-echo"] == ["got REDACTED:target"]
    assert json.loads(stored["response"]["body"]["string"])["echo"] == "REDACTED:target"


def test_redaction_is_idempotent_load_save_load(tmp_path: Path, server: str) -> None:
    path = record(tmp_path, server)
    before = path.read_text()
    config = make_vcr(tmp_path, "replay", secrets=[CANARY])
    with config.use_cassette(str(path)) as cassette:
        assert len(cassette) == 1  # loaded: vcrpy ran the filters over it again
        cassette._save(force=True)
    assert path.read_text() == before


def test_redactor_marks_classes_and_is_idempotent() -> None:
    redactor = Redactor([CANARY])
    request = Request(
        "POST",
        f"http://h/v1/messages?k={CANARY}",
        json.dumps({"note": CANARY}).encode(),
        {"X-Api-Key": WRONG_KEY, "Authorization": f"Bearer {CANARY}", "Cookie": "a=b"},
    )
    once = redactor.request(request)
    assert dict(once.headers) == {
        "X-Api-Key": "REDACTED:wrong",
        "Authorization": "REDACTED:bearer-target",
        "Cookie": "REDACTED:target",
    }
    assert CANARY not in once.uri and CANARY.encode() not in once.body
    twice = redactor.request(once)
    assert dict(twice.headers) == dict(once.headers)
    assert (twice.uri, twice.body) == (once.uri, once.body)


def test_rate_limit_headers_are_not_mistaken_for_secrets() -> None:
    response = {
        "headers": {"anthropic-ratelimit-output-tokens-limit": ["8000"], "request-id": ["r1"]},
        "body": {"string": b""},
    }
    assert Redactor().response(response)["headers"] == {
        "anthropic-ratelimit-output-tokens-limit": ["8000"],
        "request-id": ["r1"],
    }


# -- matching -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("send", "differs"),
    [
        ({"auth": "none"}, "credential: none != target"),
        ({"auth": "wrong"}, "credential: wrong != target"),
        ({"auth": "bearer"}, "credential: bearer-target != target"),
        ({"headers": {"anthropic-version": None}}, "anthropic_version: None != '2023-06-01'"),
        ({"headers": {"anthropic-beta": ""}}, "anthropic_beta: [''] != None"),
    ],
)
def test_probes_never_get_the_normal_recording(
    tmp_path: Path, server: str, send: dict[str, Any], differs: str
) -> None:
    record(tmp_path, server)
    with pytest.raises(RecordingMissing) as caught:
        replay(tmp_path, **send)
    message = str(caught.value)
    assert message.startswith("no recording for POST /v1/messages in ")
    assert f"(closest recording differs in {differs})" in message
    assert message.endswith("; record it with `mconf run --target local --mode record`")
    assert "\n" not in message


def test_json_bodies_match_canonically(tmp_path: Path, server: str) -> None:
    record(tmp_path, server)
    reordered = json.dumps(dict(reversed(BODY.items())), indent=2).encode()
    config = make_vcr(tmp_path, "replay")
    with use_cassette(config, "test_x", record_with=LOCAL), transport(nowhere()) as client:
        assert client.send(reordered).exchange.response.status == 200


def test_a_second_identical_request_needs_its_own_recording(tmp_path: Path, server: str) -> None:
    record(tmp_path, server)
    config = make_vcr(tmp_path, "replay")
    with (
        pytest.raises(RecordingMissing, match="already played back"),
        use_cassette(config, "test_x", record_with=LOCAL),
        transport(nowhere()) as client,
    ):
        client.send(BODY)
        client.send(BODY)


def test_missing_cassette_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(RecordingMissing) as caught:
        replay(tmp_path, "test_never")
    assert str(caught.value) == (
        f"no recording for POST /v1/messages in {tmp_path / 'test_never.yaml'} (no cassette file);"
        " record it with `mconf run --target local --mode record`"
    )


def test_vcrpy_filters_live_requests_before_matching(tmp_path: Path, server: str) -> None:
    """Matchers only ever see redacted credentials, on both sides (verifies vcrpy's behaviour)."""
    record(tmp_path, server)
    seen: list[str] = []

    def spy(r1: Any, r2: Any) -> None:
        seen.extend([r1.headers["x-api-key"], r2.headers["x-api-key"]])

    config = make_vcr(tmp_path, "replay")
    config.register_matcher("spy", spy)
    with config.use_cassette("test_x", additional_matchers=("spy",)), transport(nowhere()) as t:
        t.send(BODY)
    assert seen and set(seen) == {"REDACTED:target"}


def test_replay_miss_is_found_behind_other_errors(tmp_path: Path) -> None:
    config = make_vcr(tmp_path, "replay")
    with pytest.raises(Exception) as caught, config.use_cassette("none"):
        try:
            requests.post(f"{nowhere()}/v1/messages", json=BODY, timeout=5)
        except Exception as exc:
            raise RuntimeError("wrapped") from exc
    assert replay_miss(caught.value) is not None
    assert replay_miss(RuntimeError("other")) is None


def test_credential_class_names() -> None:
    assert credential_class({}) == "none"
    assert credential_class({"x-api-key": "k"}) == "target"
    assert credential_class({"authorization": f"Bearer {WRONG_KEY}"}) == "bearer-wrong"


def test_live_mode_has_no_vcr(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cassette modes: replay, record"):
        make_vcr(tmp_path, "live")


# -- storage ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["plain", "a\nb", "trailing\n\n", " lead\nspace", "tab\there\n", "cr\r\nlf", "é\u2028x\n", ""],
)
def test_yaml_serializer_round_trips_strings(text: str) -> None:
    data = {"body": {"string": text}, "list": [text]}
    assert YamlSerializer.deserialize(YamlSerializer.serialize(data)) == data


WRITER = textwrap.dedent(
    """
    import sys, httpx
    from pathlib import Path
    from messages_conformance.recordings.recording import make_vcr, use_cassette

    def answer(request):
        return httpx.Response(200, text="z" * 400_000)

    config = make_vcr(Path(sys.argv[1]), "record")
    client = httpx.Client(transport=httpx.MockTransport(answer))
    for round in range(10_000):
        for n in range(4):
            with use_cassette(config, f"c{n}"):
                client.post("http://gw/v1/messages", json={"round": round})
        if round == 0:
            print("ready", flush=True)
    """
)


def test_a_crash_before_the_rename_keeps_the_old_cassette(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "deep" / "c.yaml"
    old: dict[str, list[Any]] = {"requests": [], "responses": []}
    AtomicPersister.save_cassette(path, old, YamlSerializer)
    before = path.read_text()

    def die(fd: int) -> None:
        raise KeyboardInterrupt  # the new text is written, not yet renamed

    monkeypatch.setattr(os, "fsync", die)
    new = {"requests": [Request("GET", "http://h/", None, {})], "responses": [{"body": {}}]}
    with pytest.raises(KeyboardInterrupt):
        AtomicPersister.save_cassette(path, new, YamlSerializer)
    assert path.read_text() == before
    assert [p.name for p in path.parent.iterdir()] == ["c.yaml"]


def test_sigkill_mid_recording_leaves_every_cassette_whole(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(recording.__file__).parents[1])}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, env=env
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == b"ready\n"
        time.sleep(0.15)
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    cassettes = sorted(tmp_path.glob("*.yaml"))
    assert [p.name for p in cassettes] == ["c0.yaml", "c1.yaml", "c2.yaml", "c3.yaml"]
    for path in cassettes:
        assert len(interactions(path)) == 1

"""recordings.timings: a recording run stores the wire's timing; replay hands it back."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from scripted_server import ScriptedServer, head

from messages_conformance.core.timing import RECORDED, Timing
from messages_conformance.net.wire import Stopwatch, WireTransport, measuring
from messages_conformance.recordings.recording import make_vcr
from messages_conformance.recordings.timings import UnusableTiming, stored_timing, timed

PING = b'event: ping\ndata: {"type":"ping"}\n\n'
WRITES = [(0.0, PING)] + [(0.05, PING)] * 5


def send(url: str, cassette_dir: Path, mode: str) -> tuple[httpx.Response, Timing | None]:
    stopwatch = Stopwatch()
    config = make_vcr(cassette_dir, mode)
    with config.use_cassette("paced.yaml") as cassette, measuring(stopwatch):
        timed(cassette)
        with httpx.Client(transport=WireTransport()) as client:
            response = client.post(f"{url}/v1/messages", json={"stream": True})
    return response, stopwatch.timing()


@pytest.fixture
def recorded(tmp_path: Path) -> Timing:
    with ScriptedServer(head(), WRITES) as server:
        response, timing = send(server.url, tmp_path, "record")
    assert response.content == PING * 6 and timing is not None
    return timing


def test_recording_times_the_real_wire_although_vcrpy_reads_the_body_first(
    recorded: Timing,
) -> None:
    times = [at for at, _ in recorded.chunks]
    assert len(times) == 6
    assert times[-1] - times[0] > 0.2  # five silences of 50 ms, not one read at the end


def test_the_cassette_keeps_the_timing_with_the_interaction(
    recorded: Timing, tmp_path: Path
) -> None:
    cassette = yaml.safe_load((tmp_path / "paced.yaml").read_text())
    stored = cassette["interactions"][0]["response"]["timing"]
    assert stored == recorded.to_record()
    assert len(stored["chunks"]) == 6


def test_replay_hands_the_recorded_timing_back(recorded: Timing, tmp_path: Path) -> None:
    response, replayed = send("http://127.0.0.1:9", tmp_path, "replay")  # never contacted
    assert response.content == PING * 6
    assert replayed == Timing.from_record(recorded.to_record())
    assert replayed is not None and replayed.source == RECORDED


def test_a_cassette_without_timings_still_replays(recorded: Timing, tmp_path: Path) -> None:
    path = tmp_path / "paced.yaml"
    cassette = yaml.safe_load(path.read_text())
    del cassette["interactions"][0]["response"]["timing"]
    path.write_text(yaml.safe_dump(cassette))
    response, replayed = send("http://127.0.0.1:9", tmp_path, "replay")
    assert response.content == PING * 6
    assert replayed is None


def test_a_broken_timing_is_one_line_naming_the_fix() -> None:
    with pytest.raises(UnusableTiming, match=r"^c.yaml: unusable timing \(timing end_s is not"):
        stored_timing({"timing": {"status_s": 0, "end_s": "x"}}, "c.yaml")
    assert stored_timing({"status": 200}, "c.yaml") is None


# --- reading cassettes offline (mconf validate) ------------------------------------------------

STREAM = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_01","type":"message",'
    '"role":"assistant","model":"claude-sonnet-4-6","content":[],"stop_reason":null,'
    '"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}\n\n'
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn",'
    '"stop_sequence":null},"usage":{"output_tokens":1}}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


def cassette(tmp_path: Path, timing: object = None) -> Path:
    response: dict[str, object] = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["text/event-stream"], "request-id": ["req_01"]},
        "body": {"string": STREAM},
    }
    if timing is not None:
        response["timing"] = timing
    request = {"method": "POST", "uri": "http://gw/v1/messages", "body": "", "headers": {}}
    path = tmp_path / "stream.yaml"
    path.write_text(
        yaml.safe_dump({"version": 1, "interactions": [{"request": request, "response": response}]})
    )
    return path


SILENT = {"status_s": 0.1, "end_s": 41.0, "chunks": [[0.1, 200], [41.0, len(STREAM) - 200]]}


def test_a_cassettes_timing_becomes_the_exchanges(tmp_path: Path) -> None:
    from messages_conformance.recordings.cassette import load_exchanges

    (exchange,) = load_exchanges(cassette(tmp_path, SILENT))
    assert exchange.response.timing == Timing.from_record(SILENT)
    (old,) = load_exchanges(cassette(tmp_path))
    assert old.response.timing is None


def test_validate_rechecks_timing_rules_of_a_cassette(tmp_path: Path) -> None:
    import io

    from messages_conformance.cli import main as cli

    out = io.StringIO()
    assert cli.run(["validate", str(cassette(tmp_path, SILENT))], out) == 0  # a warning
    text = out.getvalue()
    assert "timing.silent-gap" in text and "40.90 s" in text
    assert "did not apply" not in text
    out = io.StringIO()
    assert cli.run(["validate", str(cassette(tmp_path))], out) == 0
    assert out.getvalue().count("timing rules did not apply to 1 cassette interaction(s)") == 1


def test_validate_refuses_a_broken_timing_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from messages_conformance.cli import main as cli

    path = cassette(tmp_path, {"status_s": 0, "end_s": 1, "chunks": "many"})
    assert cli.run(["validate", str(path)], io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "unusable timing (timing chunks is not a list); re-record it" in err
    assert err.count("\n") == 1 and "Traceback" not in err

"""examples/clients/capture.py: the loopback capture the clients suite's fixtures come from.
It forwards unchanged, and what it writes has no key, no device id and no local path."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from messages_conformance.gateway import GatewayConfig, serve_in_thread

CAPTURE = Path(__file__).resolve().parents[1] / "examples" / "clients" / "capture.py"
KEY = "capture-test-key-0123456789"


@pytest.fixture
def capture(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A capture in front of a fresh gateway: (its URL, the file it writes)."""
    out = tmp_path / "sent.jsonl"
    with serve_in_thread(GatewayConfig(api_keys=(KEY,))) as gateway:
        command = [sys.executable, str(CAPTURE), "--upstream", gateway.base_url, "--out", str(out)]
        scrub = ["--scrub=/home/alice/project=/tmp/mconf-capture"]
        with subprocess.Popen([*command, *scrub], stdout=subprocess.PIPE, text=True) as proxy:
            try:
                assert proxy.stdout is not None
                yield proxy.stdout.readline().strip(), out
            finally:
                proxy.terminate()
                proxy.wait(timeout=10)


def test_requests_are_forwarded_and_written_without_secrets(capture: tuple[str, Path]) -> None:
    url, out = capture
    user_id = json.dumps({"device_id": "ab" * 32, "session_id": "s"})
    body = {
        "model": "claude-sonnet-4-6",
        "max_tokens": 10,
        "metadata": {"user_id": user_id},
        "messages": [{"role": "user", "content": "Read /home/alice/project/README.md"}],
    }
    version = {"anthropic-version": "2023-06-01"}
    sent = httpx.post(
        f"{url}/v1/messages?beta=true", json=body, headers={**version, "x-api-key": KEY}
    )
    assert sent.status_code == 200 and sent.json()["type"] == "message"
    listed = httpx.get(f"{url}/v1/models", headers={**version, "authorization": f"Bearer {KEY}"})
    assert listed.status_code == 200
    text = out.read_text()
    assert KEY not in text and "ab" * 32 not in text and "/home/alice" not in text
    first, second = (json.loads(line) for line in text.splitlines())
    assert (first["method"], first["path"], first["query"], first["status"]) == (
        "POST",
        "/v1/messages",
        "beta=true",
        200,
    )
    assert first["headers"]["x-api-key"] == "<redacted>"
    assert first["body"]["messages"][0]["content"] == "Read /tmp/mconf-capture/README.md"
    assert second["headers"]["authorization"] == "Bearer <redacted>"
    assert (second["method"], second["path"], second["body"]) == ("GET", "/v1/models", None)

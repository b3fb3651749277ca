"""Generated cases under `-j` (suite/drawn_ahead.py): drawn first, sent N at a time, judged in
order. Against a loopback reference gateway that counts what it is sent: the target gets the
requests of a sequential run, each once, and the run reports what a sequential run does."""

from __future__ import annotations

import io
import json
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from messages_conformance.cli import main as cli
from messages_conformance.gateway.app import create_app
from messages_conformance.gateway.config import GatewayConfig
from messages_conformance.gateway.server import bind, url_of

ROOT = Path(__file__).resolve().parents[1]
KEY_ENV, KEY = "MCONF_TEST_COUNTED_KEY", "counted-key"  # the loopback gateway's own
PROFILE = """
[counted]
description = "the reference gateway, counting the requests it is sent"
base_url = "{url}"
auth = "x-api-key"
key_env = "{key_env}"
models = ["claude-sonnet-4-6"]
version_policy = "require"
features = ["prefill", "thinking", "images", "top_k", "error-statuses", "count-tokens", "models"]
max_tokens = 64
"""


class Counting:
    """ASGI middleware keeping every request's method, path and body, as each ends."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, str, bytes]] = []
        self.lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def receiving() -> Any:
            message = await receive()
            chunks.append(message.get("body", b""))
            return message

        try:
            await self.app(scope, receiving, send)
        finally:  # what the app read of the body (all of it, unless it refused early)
            path = f"{scope['path']}?{scope['query_string'].decode()}"
            with self.lock:
                self.requests.append((scope["method"], path, b"".join(chunks)))


@pytest.fixture
def counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Counting, Path]]:
    """The counting gateway on loopback (20 ms a request), and a targets file naming it."""
    app = Counting(create_app(GatewayConfig(api_keys=(KEY,), latency_ms=20)))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    sock = bind("127.0.0.1", 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    profile = tmp_path / "targets.toml"
    profile.write_text(PROFILE.format(url=url_of(sock), key_env=KEY_ENV))
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv(KEY_ENV, KEY)
    try:
        yield app, profile
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.run(["run", "--no-progress", *argv], out)
    return code, out.getvalue()


HELPER = "mconf: -j: generated tests' examples drawn by a helper process"


def cases(report_dir: Path) -> list[tuple[Any, ...]]:
    report = json.loads((report_dir / "latest" / "report.json").read_text())
    return [
        (c["id"], c["outcome"], c["exchanges"], [(f["rule"], f["message"]) for f in c["findings"]])
        for c in report["cases"]
    ]


def test_generated_cases_reach_the_target_once_each_under_j(
    counted: tuple[Counting, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app, profile = counted
    argv = ["--suite", "generated", "--targets-file", str(profile), "--target", "counted"]
    code, out = run(*argv, "-q", "--report-dir", str(tmp_path / "one"))
    assert code == 0, out
    sequential, app.requests = app.requests, []
    code, out = run(*argv, "-j", "8", "-v", "--report-dir", str(tmp_path / "many"))
    assert code == 0, out
    assert f"{HELPER}: 8, by the run: 0\n" in capsys.readouterr().out  # on the other core
    concurrent = app.requests
    assert len(concurrent) > 200  # the generated cases of every operation went out
    assert sorted(concurrent) == sorted(sequential)  # the same requests, none sent twice
    assert concurrent != sequential  # ... not in the same order: they went out side by side
    assert cases(tmp_path / "many") == cases(tmp_path / "one")
    assert sum(exchanges for _, _, exchanges, _ in cases(tmp_path / "many")) == len(concurrent)


def test_a_budget_keeps_generated_cases_in_order(
    counted: tuple[Counting, Path], tmp_path: Path
) -> None:
    """With --max-requests the generated cases run as without -j: the same ones get the budget."""
    app, profile = counted
    argv = ["--suite", "generated", "--targets-file", str(profile), "--target", "counted"]
    argv += ["--max-requests", "40"]
    run(*argv, "-q", "--report-dir", str(tmp_path / "one"))
    sequential, app.requests = app.requests, []
    run(*argv, "-q", "-j", "8", "--report-dir", str(tmp_path / "many"))
    assert len(app.requests) == len(sequential) == 40
    assert app.requests == sequential


def test_without_the_helper_the_run_draws_for_itself(
    counted: tuple[Counting, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The helper process cannot start its interpreter: the run draws the examples itself, says
    why with -v, and sends and judges what a sequential run does."""
    app, profile = counted
    argv = ["--suite", "generated", "--targets-file", str(profile), "--target", "counted"]
    assert run(*argv, "-q", "--report-dir", str(tmp_path / "one"))[0] == 0
    sequential, app.requests = app.requests, []
    monkeypatch.setattr(sys, "executable", shutil.which("false"))
    code, out = run(*argv, "-j", "8", "-v", "--report-dir", str(tmp_path / "many"))
    assert code == 0, out
    shown = capsys.readouterr().out
    assert f"{HELPER}: 0, by the run: 8 (the helper: it exited with status 1)\n" in shown
    assert sorted(app.requests) == sorted(sequential)
    assert cases(tmp_path / "many") == cases(tmp_path / "one")

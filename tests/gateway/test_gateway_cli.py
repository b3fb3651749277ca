"""`mconf serve` (gateway.cli.main): listing faults, one-line errors, serving."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from messages_conformance.gateway import FAULTS
from messages_conformance.gateway.cli import main

SRC = Path(__file__).resolve().parents[2] / "src"


def test_list_faults_prints_one_line_per_fault() -> None:
    out = io.StringIO()
    assert main(["--list-faults"], stdout=out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == len(FAULTS)
    for line, (name, fault) in zip(lines, FAULTS.items(), strict=True):
        assert line.split()[0] == name and line.endswith(fault.description)


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv, stdout=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_unknown_fault_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    err = _one_line_error(capsys, ["--fault", "nope"])
    assert "unknown fault 'nope'" in err and "bad-key-403" in err and "tool-choice-ignored" in err


@pytest.mark.parametrize("argv", [["--port", "abc"], ["--version-policy", "maybe"], ["--bogus"]])
def test_bad_arguments_are_one_line_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert _one_line_error(capsys, argv).startswith("mconf serve: error: ")


def test_port_in_use_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        err = _one_line_error(capsys, ["--port", str(port)])
    assert f"cannot listen on 127.0.0.1:{port}" in err


def test_help_documents_reserved_models_and_the_default_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == 0
    help_text = capsys.readouterr().out
    for word in (
        "mconf-test-429",
        "mconf-test-stream-error",
        "x-mconf-test-error",
        "mconf-local-key",
        "MCONF_GATEWAY_API_KEY",
    ):
        assert word in help_text


def test_serve_prints_its_url_and_answers() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "MCONF_GATEWAY_API_KEY": "env-key"}
    command = [
        sys.executable,
        "-m",
        "messages_conformance.gateway.cli",
        "--port",
        "0",
        "--fault",
        "no-request-id",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as server:
        try:
            assert server.stdout is not None
            line = server.stdout.readline()
            assert line.startswith("mconf gateway listening on http://127.0.0.1:")
            url = line.split()[-1]
            payload = {
                "model": "claude-haiku-4-5",
                "max_tokens": 5,
                "messages": [{"role": "user", "content": "Hi"}],
            }
            headers = {"x-api-key": "env-key", "anthropic-version": "2023-06-01"}
            response = httpx.post(f"{url}/v1/messages", json=payload, headers=headers, timeout=10)
            assert response.status_code == 200 and "request-id" not in response.headers
        finally:
            server.terminate()
            server.wait(timeout=10)

"""Keep its secrets (issue 6): a canary key used in record and live runs never appears in any
artifact of the run (cassettes, report.json, junit.xml, summary.md, report.html) nor in what it
printed; credentials in request evidence are shown as class markers.

Loopback only: the embedded reference gateway, and a small gateway that echoes the key back.
"""

from __future__ import annotations

import io
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from messages_conformance.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]
QUICK = ("--suite", "auth", "--suite", "headers", "--suite", "scenarios", "--suite", "errors")


def canary(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(16)}"


def leaks(key: str, folder: Path, *texts: str) -> list[str]:
    """Every file under ``folder`` (and every text) that contains ``key``."""
    found = [
        str(p) for p in sorted(folder.rglob("*")) if p.is_file() and key.encode() in p.read_bytes()
    ]
    return found + [f"printed output #{n}" for n, text in enumerate(texts) if key in text]


def artifacts(folder: Path) -> set[str]:
    return {p.name for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def run_mconf(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str]]:
    """`mconf ARGV` in-process from the repo root; returns the exit code and everything printed
    (our stdout, and both file descriptors: pytest's, the gateway's and its threads' output)."""
    monkeypatch.chdir(ROOT)

    def _run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = cli.run(list(argv), out)
        captured = capfd.readouterr()
        return code, out.getvalue() + captured.out + captured.err

    return _run


def test_canary_never_leaves_the_process_in_record_mode(
    run_mconf: Callable[..., tuple[int, str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = canary("sk-ant-api03-canary-")
    monkeypatch.setenv("MCONF_GATEWAY_API_KEY", key)
    cassettes, reports = tmp_path / "cassettes", tmp_path / "reports"
    code, printed = run_mconf(
        "run",
        "--mode",
        "record",
        "--cassette-dir",
        str(cassettes),
        "--report-dir",
        str(reports),
        *QUICK,
    )
    assert code == 0, printed
    assert len(list(cassettes.rglob("*.yaml"))) > 40
    assert {"report.json", "junit.xml", "summary.md", "report.html"} <= artifacts(reports)
    assert leaks(key, tmp_path, printed) == []
    text = "\n".join(p.read_text() for p in cassettes.rglob("test_auth/*.yaml"))
    for marker in ("REDACTED:target", "REDACTED:wrong", "REDACTED:bearer-target"):
        assert marker in text, marker


def test_canary_never_leaves_the_process_in_live_runs_that_fail(
    run_mconf: Callable[..., tuple[int, str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Failing cases print their findings and evidence everywhere: still no key."""
    key = canary("mconf-canary-")  # not key-shaped: only the header names can redact it
    monkeypatch.setenv("MCONF_GATEWAY_API_KEY", key)
    code, printed = run_mconf(
        "run",
        "-n",
        "2",
        "--fault",
        "bad-key-403",
        "--fault",
        "openai-error-body",
        "--report-dir",
        str(tmp_path),
        *QUICK,
    )
    assert code == 1, printed
    assert leaks(key, tmp_path, printed) == []
    report = json.loads((tmp_path / "latest" / "report.json").read_text())
    shown = {
        case["id"].split("::")[-1]: {
            name: value
            for name, value in case["request"]["headers"].items()
            if name in ("x-api-key", "authorization")
        }
        for case in report["cases"]
        if case["id"].startswith("test_auth.py")
    }
    assert {test: sorted(headers) for test, headers in shown.items()} == {
        "test_missing_key_is_401": [],
        "test_wrong_key_is_401": ["x-api-key"],
        "test_x_api_key_is_accepted": ["x-api-key"],
        "test_bearer_is_accepted": ["authorization"],
    }
    values = {value for headers in shown.values() for value in headers.values()}
    assert values and all(redacted(value) for value in values), values


def redacted(value: str) -> bool:
    """A credential as evidence shows it: a class marker (transport) or report.py's mask."""
    return value.startswith("REDACTED:") or value == "[redacted]"


class EchoHandler(BaseHTTPRequestHandler):
    """A careless gateway: it repeats the caller's key in its error body and a header."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        key = self.headers.get("x-api-key") or self.headers.get("authorization") or ""
        error = {"type": "authentication_error", "message": f"invalid x-api-key {key}"}
        body = json.dumps({"type": "error", "error": error}).encode()
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("request-id", "req_echo")
        self.send_header("x-seen-key", key)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def echo_gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run_echoing(
    run_mconf: Callable[..., tuple[int, str]],
    monkeypatch: pytest.MonkeyPatch,
    echo_gateway: str,
    *argv: str,
) -> tuple[str, int, str]:
    """The auth suite and one scenario against the key-echoing gateway, with a canary key:
    the key, the exit status and what was printed."""
    key = canary("mconf-canary-")
    monkeypatch.setenv("MCONF_ECHO_KEY", key)
    code, printed = run_mconf(
        "run",
        "--base-url",
        echo_gateway,
        "--api-key-env",
        "MCONF_ECHO_KEY",
        *argv,
        "--suite",
        "auth",
        "--suite",
        "scenarios",
        "-k",
        "auth or test_plain_text",
    )
    return key, code, printed


@pytest.mark.parametrize("mode", ["live", "record"])
def test_a_gateway_echoing_the_key_does_not_leak_it(
    run_mconf: Callable[..., tuple[int, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    echo_gateway: str,
    mode: str,
) -> None:
    key, code, printed = run_echoing(
        run_mconf,
        monkeypatch,
        echo_gateway,
        "--mode",
        mode,
        "--cassette-dir",
        str(tmp_path / "cassettes"),
        "--report-dir",
        str(tmp_path / "reports"),
    )
    assert code == 1, printed  # 401 for valid keys: findings, not a crash
    assert leaks(key, tmp_path, printed) == []
    report = json.loads((tmp_path / "reports" / "latest" / "report.json").read_text())
    bodies = [c["response"]["body"] for c in report["cases"] if "response" in c]
    assert any("invalid x-api-key REDACTED:target" in body for body in bodies)


def test_github_annotations_carry_no_key(
    run_mconf: Callable[..., tuple[int, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    echo_gateway: str,
) -> None:
    """Inside GitHub Actions each problem becomes an annotation with its first evidence and a
    curl line: a gateway echoing the key into bodies and headers still leaks nothing there."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    key, code, printed = run_echoing(
        run_mconf, monkeypatch, echo_gateway, "--report-dir", str(tmp_path)
    )
    assert code == 1, printed
    annotations = [line for line in printed.splitlines() if line.startswith("::error ")]
    assert annotations, printed[-3000:]
    assert any('$MCONF_ECHO_KEY"' in line for line in annotations), annotations
    assert leaks(key, tmp_path, printed) == []


def test_leak_detector_finds_a_planted_key(tmp_path: Path) -> None:
    key = canary("mconf-canary-")
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "report.html").write_text(f"<td>{key}</td>")
    assert leaks(key, tmp_path, "clean", f"x {key}") == [
        str(tmp_path / "deep" / "report.html"),
        "printed output #1",
    ]

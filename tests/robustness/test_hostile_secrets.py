"""No key leaks (issue 13, item 1): in any artifact (report.json, report.html, summary.md,
junit.xml, cassettes) or anything printed, the key never shows as-is, with whitespace,
JSON-escaped, URL-encoded or base64-encoded: with the generated suite and record mode too,
against a dead target, a garbage status line, and a gateway that echoes the key in disguise.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from hostile import (
    GENERATED,
    KEY_VAR,
    ONE_JSON,
    HostileServer,
    Runner,
    against,
    closed_port,
    disguises,
    leak_forms,
    leaks,
)


def canary() -> str:
    return f"sk-ant-api03-canary{secrets.token_hex(16)}"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = canary()
    monkeypatch.setenv(KEY_VAR, value)
    return value


def test_leak_detector_sees_every_disguise(tmp_path: Path) -> None:
    key = canary()
    for n, (name, text) in enumerate(disguises(key).items()):
        (tmp_path / f"{n}.txt").write_text(f"<td>{text}</td>")
        assert leaks(key, tmp_path), name
        (tmp_path / f"{n}.txt").unlink()
    assert leaks(key + "\n", tmp_path, f"x {key} y")  # the stripped key counts too
    assert len(leak_forms(key)) >= 8


def test_generated_suite_against_a_dead_target_could_not_test_and_hides_the_key(
    mconf: Runner, key: str, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    result = mconf(*against(url, *GENERATED))
    assert result.code == 2, result.printed[-3000:]
    assert result.summary().startswith("mconf: ERROR "), result.out
    assert [c["outcome"] for c in result.cases()] == ["error"]
    assert f"cannot connect to {url}" in result.cases()[0]["failure"]
    assert leaks(key, tmp_path, result.printed) == []


@pytest.mark.parametrize("suites", [GENERATED, ONE_JSON], ids=["generated", "scenario"])
def test_garbage_status_line_could_not_test_and_hides_the_key(
    mconf: Runner, hostile: HostileServer, key: str, tmp_path: Path, suites: tuple[str, ...]
) -> None:
    hostile.mode = "garbage-status"
    result = mconf(*against(hostile.url, *suites))
    assert result.code == 2, result.printed[-3000:]
    assert "broken HTTP exchange with" in result.cases()[0]["failure"]
    assert leaks(key, tmp_path, result.printed) == []


@pytest.mark.parametrize("flaw", ["\r", "\n", " ", "\t", "é"], ids=repr)
def test_a_key_with_whitespace_or_non_ascii_is_refused_without_showing_it(
    mconf: Runner,
    hostile: HostileServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    flaw: str,
) -> None:
    key = canary()
    flawed = key[:20] + flaw + key[20:] if flaw == "é" else key + flaw
    monkeypatch.setenv(KEY_VAR, flawed)
    result = mconf(*against(hostile.url, *ONE_JSON, "--suite", "generated"))
    assert result.code == 2, result.printed[-3000:]
    assert result.err.startswith("mconf: error: ") and result.err.count("\n") == 1, result.err
    assert f"${KEY_VAR}" in result.err
    assert hostile.seen == []  # refused before anything was sent
    assert leaks(key, tmp_path, result.printed) == []
    assert leaks(flawed, tmp_path, result.printed) == []


@pytest.mark.parametrize("mode", ["live", "record"])
def test_a_gateway_echoing_the_key_in_disguise_does_not_leak_it(
    mconf: Runner, hostile: HostileServer, key: str, tmp_path: Path, mode: str
) -> None:
    hostile.mode = "echo-key"
    cassettes = tmp_path / "cassettes"
    result = mconf(
        *against(hostile.url, "--suite", "auth", *GENERATED, "--mode", mode),
        "--cassette-dir",
        str(cassettes),
    )
    assert result.code == 1, result.printed[-3000:]  # 401 for a valid key: findings
    assert hostile.seen and any(s.headers.get("x-api-key") == key for s in hostile.seen)
    if mode == "record":
        assert len(list(cassettes.rglob("*.yaml"))) >= 4
    assert {"report.json", "report.html", "summary.md", "junit.xml"} <= {
        p.name for p in result.folder.rglob("*") if p.is_file()
    }
    assert leaks(key, tmp_path, result.printed) == []


def _base_urls(server: str, secret: str) -> dict[str, tuple[str, str]]:
    """A secret in each part of --base-url, and the request line the target must see."""
    host = server.removeprefix("http://")
    return {
        "query": (f"{server}/?key={secret}", f"POST /v1/messages?key={secret} HTTP/1.1"),
        "userinfo": (f"http://gw:{secret}@{host}", "POST /v1/messages HTTP/1.1"),
        "path": (f"{server}/k/{secret}/", f"POST /k/{secret}/v1/messages HTTP/1.1"),
    }


@pytest.mark.parametrize("part", ["query", "userinfo", "path"])
def test_a_secret_in_the_base_url_is_sent_right_and_stored_nowhere(
    mconf: Runner, hostile: HostileServer, key: str, tmp_path: Path, part: str
) -> None:
    secret = f"urlsecret{secrets.token_hex(12)}"
    base_url, line = _base_urls(hostile.url, secret)[part]
    cassettes = tmp_path / "cassettes"
    result = mconf(
        *against(base_url, *ONE_JSON, "--mode", "record"), "--cassette-dir", str(cassettes)
    )
    assert result.code == 0, result.printed[-3000:]
    assert [s.line for s in hostile.seen] == [line]
    assert list(cassettes.rglob("*.yaml"))
    assert leaks(secret, tmp_path, result.printed) == []
    assert leaks(key, tmp_path, result.printed) == []
    assert result.report is not None and "REDACTED" in result.report["target"]["base_url"]

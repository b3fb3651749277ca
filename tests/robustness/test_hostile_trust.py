"""Trust boundaries (issue 13, item 7): no cookie crosses from one request to the next; a
project's ./mconf.toml cannot silently redefine a built-in target, and one that points a
built-in key at a new host says so; terminal escape sequences from a target never reach the
terminal or summary.md raw."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import KEY_VAR, ONE_JSON, HostileServer, Runner, against


def test_cookies_a_target_sets_are_never_sent_back(mconf: Runner, hostile: HostileServer) -> None:
    hostile.mode = "cookie"
    result = mconf(
        *against(hostile.url, "--suite", "auth", "--suite", "generated", "--max-requests", "12")
    )
    assert len(hostile.seen) >= 4, result.printed[-2000:]
    assert [s.headers.get("cookie") for s in hostile.seen if "cookie" in s.headers] == []


def test_a_project_file_cannot_redefine_a_builtin_target(
    mconf: Runner, hostile: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "mconf.toml").write_text(
        f'[local]\nbase_url = "{hostile.url}"\nkey_env = "ANTHROPIC_API_KEY"\n'
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-must-never-travel-0000000000")
    monkeypatch.chdir(project)
    result = mconf("run", *ONE_JSON)
    assert result.code == 2, result.printed[-2000:]
    assert "mconf.toml redefines the built-in target 'local'" in result.err
    assert result.err.count("\n") == 1
    assert hostile.seen == []


def test_a_project_file_pointing_a_builtin_key_at_a_new_host_says_so(
    mconf: Runner, hostile: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "mconf.toml").write_text(
        f'[mine]\nbase_url = "{hostile.url}"\nkey_env = "ANTHROPIC_API_KEY"\n'
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-travels-knowingly-000000000")
    monkeypatch.chdir(project)
    result = mconf("run", "--target", "mine", *ONE_JSON)
    assert result.code == 0, result.printed[-2000:]
    assert (
        "mconf: note: target 'mine' from ./mconf.toml sends $ANTHROPIC_API_KEY "
        "(the key of built-in target 'anthropic') to 127.0.0.1"
    ) in result.err


def test_terminal_escapes_from_a_target_are_neutralised(
    mconf: Runner, hostile: HostileServer
) -> None:
    hostile.mode = "escapes"
    result = mconf(*against(hostile.url, *ONE_JSON, "--suite", "auth"))
    assert result.code == 1, result.printed[-2000:]
    assert "\x1b" not in result.printed and "\x07" not in result.printed
    assert "\\x1b]52;c;" in result.printed  # shown, as text
    summary = (result.folder / "latest" / "summary.md").read_text()
    assert "\x1b" not in summary and "\x07" not in summary
    assert KEY_VAR  # the key variable is set by the fixture

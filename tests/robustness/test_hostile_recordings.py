"""Bombs in recordings are defused (issue 13, item 4): YAML alias bombs, gzip bodies that
inflate past the cap, aliased gzip bodies and deep YAML are each a one-line exit-2 error naming
the file, in `mconf validate` and in replay, within bounded memory and time."""

from __future__ import annotations

import shutil
import zlib
from pathlib import Path

import pytest
from hostile import MAX_RSS_MB, ROOT, measured


def alias_bomb() -> str:
    """The billion-laughs cassette: ~800 bytes, 9**9 strings when expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 9):
        prev, name = chr(ord("a") + n - 1), chr(ord("a") + n)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    lines.append("interactions:")
    lines.append("- request: {method: POST, uri: 'http://x/v1/messages', body: '', headers: {}}")
    lines.append("  response: {status: {code: 200}, headers: {x: *i}, body: {string: ''}}")
    return "\n".join(lines) + "\n"


def _interaction(body_node: str) -> str:
    return (
        "- request: {method: POST, uri: 'http://x/v1/messages', body: '', headers: {}}\n"
        "  response:\n"
        "    status: {code: 200}\n"
        "    headers: {content-type: [application/json], content-encoding: [gzip]}\n"
        f"    body: {{string: {body_node}}}\n"
    )


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def _gzip_of_spaces(size: int) -> bytes:
    """gzip of ``size`` spaces, made a MiB at a time (the test never holds the inflated body)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    chunk = b" " * 2**20
    parts = [packer.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join([*parts, packer.flush()])


def gzip_bomb() -> str:
    """One gzip body that inflates to 1 GiB (the file is about 1 MB)."""
    return "interactions:\n" + _interaction(f"!!binary {_b64(_gzip_of_spaces(2**30))}")


def aliased_gzip_bomb() -> str:
    """A 16 MiB-inflating gzip body (~16 KB) referenced by 200 interactions through an alias."""
    packed = _gzip_of_spaces(2**24)
    first = _interaction(f"&g !!binary {_b64(packed)}")
    return "interactions:\n" + first + _interaction("*g") * 200


def deep_yaml() -> str:
    return "interactions: " + "[" * 20000 + "]" * 20000 + "\n"


BOMBS = {
    "alias-bomb": (alias_bomb, "aliases"),
    "gzip-1gib": (gzip_bomb, "inflates past"),
    "aliased-gzip": (aliased_gzip_bomb, "inflate past"),
    "deep-yaml": (deep_yaml, "nest"),
}


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_a_bomb_in_a_recording_is_one_line_in_bounded_memory(tmp_path: Path, bomb: str) -> None:
    make, words = BOMBS[bomb]
    path = tmp_path / f"{bomb}.yaml"
    path.write_text(make())
    run = measured("validate", str(path), limit_s=60)
    assert run.code == 2, (run.code, run.out[-2000:], run.err[-2000:])
    assert run.err.startswith(f"mconf: error: {path}") and run.err.count("\n") == 1, run.err
    assert words in run.err, run.err
    assert "Traceback" not in run.err
    assert 0 < run.rss_mb < MAX_RSS_MB, run.rss_mb
    assert run.seconds < 30, run.seconds


def test_the_bomb_files_are_small(tmp_path: Path) -> None:
    sizes = {name: len(make().encode()) for name, (make, _) in BOMBS.items()}
    assert sizes["alias-bomb"] < 1000
    assert sizes["aliased-gzip"] < 64 * 1024
    assert sizes["gzip-1gib"] < 2 * 1024 * 1024


@pytest.mark.parametrize("bomb", ["alias-bomb", "aliased-gzip"])
def test_a_bomb_in_replay_is_an_error_case_in_bounded_memory(tmp_path: Path, bomb: str) -> None:
    cassettes = tmp_path / "cassettes"
    shutil.copytree(ROOT / "cassettes" / "local" / "test_auth", cassettes / "local" / "test_auth")
    planted = cassettes / "local" / "test_auth" / "test_wrong_key_is_401.yaml"
    planted.write_text(BOMBS[bomb][0]())
    run = measured(
        "run",
        "-q",
        "--mode",
        "replay",
        "--suite",
        "auth",
        "--cassette-dir",
        str(cassettes),
        "--report-dir",
        str(tmp_path / "reports"),
        limit_s=120,
    )
    assert run.code == 2, run.out[-3000:] + run.err[-2000:]
    assert "test_wrong_key_is_401.yaml" in run.out
    assert 0 < run.rss_mb < MAX_RSS_MB, run.rss_mb


def test_an_ordinary_alias_still_loads(tmp_path: Path) -> None:
    """Anchors a YAML writer emits for shared values are fine: only the expansion is bounded."""
    text = (
        "interactions:\n"
        "- request: {method: POST, uri: 'http://x/v1/messages', body: '', headers: &h {a: [b]}}\n"
        "  response: {status: {code: 200}, headers: *h, body: {string: ''}}\n"
    )
    path = tmp_path / "ok.yaml"
    path.write_text(text)
    run = measured("validate", str(path))
    assert run.code in (0, 1), run.err  # checked, not refused
    assert "error:" not in run.err

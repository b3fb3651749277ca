"""Fixtures of the hostile-input tests: a misbehaving loopback target and `mconf` in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import KEY_VAR, ROOT, HostileServer, Runner, make_runner


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    """A loopback target misbehaving per its ``mode``."""
    server = HostileServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def mconf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> Runner:
    """`mconf ARGV` in-process from the repo root: exit code, all output, the report."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv(KEY_VAR, "sk-ant-hostile-test-key-00000000000")
    monkeypatch.delenv("MCONF_GATEWAY_API_KEY", raising=False)
    return make_runner(tmp_path, capfd)

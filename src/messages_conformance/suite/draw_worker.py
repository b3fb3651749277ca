"""The helper process that draws generated tests' examples while a ``-j`` run does the rest.

Drawing is CPU work (Hypothesis and Schemathesis, ~20 ms an example) and the run's own process
has one interpreter lock: under ``-j`` its main thread is the run's bottleneck, and drawing was
half of its time. So when a ``-j`` run has generated tests, it starts this process as soon as it
has collected them (``drawn_ahead``), and it draws them on the other core while the run starts
its other cases::

    python -m messages_conformance.suite.draw_worker OUT MODEL MAX_TOKENS -- PYTEST-ARGS...

The process collects the suite's generated tests as the run did (the same module, pytest.ini,
import mode, so the same Schemathesis tests and Hypothesis settings), draws every test's
examples with a body that keeps them, clamps each to the target (``clamp_case``), lets
``case.call`` prepare it as it would be sent (its metadata frozen) and stops it before it is
sent: nothing here opens a connection. The cases go to ``OUT`` as the records that replay sends
again (``drawn_cases.to_record``), by test id; a test whose cases JSON cannot carry, or this
process failing at all, leaves the run to draw that test itself. Exit status 0 when it wrote.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from ..net.targets import Target
from .case_records import to_record
from .generated import clamp_case
from .harness import Harness
from .sending import PLACEHOLDER_BASE, sending

__all__ = ["Draws", "Helper", "drawn", "main"]

WAIT_S = 600.0  # the helper never sends: it ends; past this, the run draws for itself


class _Stop(Exception):
    """Raised where the request would be sent: the case is prepared, nothing goes out."""


class _Stopper:
    def new_case(self) -> None:
        pass

    def send(self, *_: Any, **__: Any) -> Any:
        raise _Stop


class Draws:
    """The pytest plugin of this process: after collection, it draws instead of running."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.drawn: dict[str, list[dict[str, Any]] | None] = {}

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        for item in session.items:
            handle = getattr(getattr(item, "obj", None), "hypothesis", None)
            if handle is None or "mconf_drawn" not in getattr(item, "fixturenames", ()):
                continue
            self.drawn[item.nodeid] = self._draw(cast(pytest.Function, item), handle)
        return True

    def _draw(self, item: pytest.Function, handle: Any) -> list[dict[str, Any]] | None:
        names = [name for name in item._fixtureinfo.argnames if name != "case"]
        cases = drawn(item, handle, dict.fromkeys(names))
        records = []
        for case in cases:
            clamp_case(case, self.target)
            try:
                with sending(cast(Harness, _Stopper())):
                    case.call(base_url=PLACEHOLDER_BASE)
            except _Stop:
                pass
            try:
                records.append(to_record(case))
            except (TypeError, ValueError):
                return None  # JSON cannot carry this test's cases: the run draws them
        return records


class Helper:
    """The run's side: the helper process, started on the run's generated tests, and what it
    drew (read once, at the first generated test's turn)."""

    def __init__(self, config: pytest.Config, items: Sequence[pytest.Item], target: Target):
        self.folder = Path(tempfile.mkdtemp(prefix="mconf-draws-"))
        self.out = self.folder / "drawn.json"
        args = sorted({str(item.path) for item in items})
        args += [f"--rootdir={config.rootpath}", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
        if config.inipath is not None:
            args += ["-c", str(config.inipath)]
        if config.option.keyword:
            args += ["-k", config.option.keyword]
        command = [sys.executable, "-m", __name__, str(self.out), target.model]
        command += [str(target.max_tokens), "--", *args]
        self.errors = self.folder / "stderr.txt"
        with self.errors.open("wb") as errors:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors
            )
        self.drawn: dict[str, list[dict[str, Any]] | None] | None = None
        self.failure: str | None = None  # why the run drew for itself

    def records(self, nodeid: str) -> list[dict[str, Any]] | None:
        """The test's cases as the helper drew them (None: the run draws them itself)."""
        if self.drawn is None:
            self.drawn = self._read()
        return self.drawn.get(nodeid)

    def _read(self) -> dict[str, list[dict[str, Any]] | None]:
        try:
            code = self.process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.failure = f"it had not finished after {WAIT_S:.0f} s"
            return {}
        if code != 0 or not self.out.is_file():
            last = self.errors.read_text("utf-8", "replace").strip().splitlines()[-1:]
            self.failure = f"it exited with status {code}" + (f": {last[0]}" if last else "")
            return {}
        drawn: dict[str, list[dict[str, Any]] | None] = json.loads(self.out.read_text("utf-8"))
        return drawn

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def drawn(item: pytest.Function, handle: Any, funcargs: dict[str, Any]) -> list[Any]:
    """The cases Hypothesis draws for ``item``, in order, sending none."""
    cases: list[Any] = []
    body = handle.inner_test

    def keep(*_: Any, case: Any, **__: Any) -> None:
        cases.append(case)

    handle.inner_test = keep
    try:
        item.obj(**funcargs)
    finally:
        handle.inner_test = body
    return cases


def main(argv: list[str]) -> int:
    out, model, max_tokens, separator, *pytest_args = argv
    if separator != "--":
        raise SystemExit("usage: draw_worker OUT MODEL MAX_TOKENS -- PYTEST-ARGS...")
    target = cast(Target, SimpleNamespace(model=model, max_tokens=int(max_tokens)))
    plugin = Draws(target)
    args = [*pytest_args, "-p", "no:messages_conformance", "-p", "no:cacheprovider", "-q"]
    with open(os.devnull, "w") as quiet:
        sys.stdout = quiet  # pytest's own lines: nobody reads them
        code = pytest.main(args, plugins=[plugin])
        sys.stdout = sys.__stdout__
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        return 1
    path = Path(out)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as file:
        json.dump(plugin.drawn, file, separators=(",", ":"))
    os.replace(file.name, path)  # the run reads it whole or not at all
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

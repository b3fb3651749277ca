"""Generated cases kept beside their cassette, so a replay sends them again without drawing them.

Drawing is most of a generated test's time (Hypothesis and Schemathesis building ~30 requests
per operation from the schema); a replay answers from cassettes and needs only the requests. In
record mode a generated test keeps every case it sends (``mconf_drawn.keep(case)``): its
method, parameters, headers, body and Schemathesis' metadata (generation mode, components,
phase, mutations) as the checks read it, i.e. after the call froze it. They are written to
``<cassette>.cases.json``. In replay, when that file is there, ``pytest_pyfunc_call`` runs the
test's own body once per kept case, rebuilt with ``operation.Case`` and the recorded metadata
(frozen, as Schemathesis' own ``replay`` command does), instead of running Hypothesis. The
checks see the same case, metadata and answer, so verdicts are the same in both modes
(tests/test_drawn_cases.py compares them). Without the file (older cassettes, a case that
could not be written as JSON) the test draws its cases as before.

A kept case holds no credential: generated cases draw none (``with_security_parameters`` is off),
and the target's key goes with the call, not into the case.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest

from ..recordings.cassette import TOOL_SUFFIXES
from .case_records import from_record, to_record
from .options import option

SUFFIX: Final = TOOL_SUFFIXES[0]  # not a recording: `mconf validate` of a folder skips it
VERSION: Final = 1


def case_file(config: pytest.Config, target: str, item: pytest.Item) -> Path:
    """``<cassette dir>/<target>/<module>/<test>.cases.json``, beside the item's cassette."""
    from .plugin import cassette_path

    cassette = Path(option(config, "cassette_dir")) / target / cassette_path(item)
    return cassette.with_name(cassette.name.removesuffix(".yaml") + SUFFIX)


@dataclass
class Drawn:
    """The cases one generated test sent, in order; ``path`` is set in record mode."""

    path: Path | None = None
    cases: list[dict[str, Any]] = field(default_factory=list)
    unwritable: str | None = None  # why the cases cannot be kept (then no file is written)
    replaying: bool = False  # the cases are kept ones: sent as they were (already clamped)

    def keep(self, case: Any) -> None:
        if self.path is None or self.unwritable:
            return
        try:
            self.cases.append(to_record(case))
        except (TypeError, ValueError) as exc:
            self.unwritable = str(exc)

    def save(self) -> None:
        if self.path is None:
            return
        if self.unwritable or not self.cases:
            self.path.unlink(missing_ok=True)  # replay draws the cases, as before
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = ",\n".join(json.dumps(c, separators=(",", ":")) for c in self.cases)
        text = f'{{"version": {VERSION}, "cases": [\n{lines}\n]}}\n'  # a case a line: diffable
        self.path.write_text(text, "utf-8")


@pytest.fixture
def mconf_drawn(request: pytest.FixtureRequest, mconf_target: Any) -> Iterator[Drawn]:
    """Where a generated test keeps the cases it sends (written in record mode)."""
    config = request.config
    recording = option(config, "mode") == "record"
    drawn = Drawn(case_file(config, mconf_target.name, request.node) if recording else None)
    yield drawn
    drawn.save()


def kept_cases(path: Path) -> list[dict[str, Any]] | None:
    """The cases of a ``.cases.json`` file (None: no usable file, so the test draws)."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    cases = data.get("cases")
    return cases if isinstance(cases, list) else None


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Replay: a generated test with kept cases runs its body on them, without Hypothesis."""
    if "mconf_drawn" not in pyfuncitem.funcargs or option(pyfuncitem.config, "mode") != "replay":
        return None
    handle = getattr(pyfuncitem.obj, "hypothesis", None)
    from schemathesis.generation.hypothesis.builder import ApiOperationMark

    operation = ApiOperationMark.get(pyfuncitem.obj)
    target: Any = pyfuncitem.funcargs.get("mconf_target")
    if handle is None or operation is None or target is None:
        return None
    cases = kept_cases(case_file(pyfuncitem.config, str(target.name), pyfuncitem))
    if cases is None:
        return None
    names = pyfuncitem._fixtureinfo.argnames
    funcargs = {name: pyfuncitem.funcargs[name] for name in names if name != "case"}
    drawn: Any = pyfuncitem.funcargs["mconf_drawn"]
    drawn.replaying = True
    for record in cases:
        handle.inner_test(case=from_record(operation, record), **funcargs)
    return True

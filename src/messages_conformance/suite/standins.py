"""A case's arguments when it runs ahead of its turn (``-j``), without pytest's fixture setup.

pytest sets fixtures up one case at a time, so a case that runs ahead gets its arguments here:
the values the plugin provides (``mconf``: a fresh harness; the target, transport and spec of
the run), its parameters, and fixtures defined in its own module, called as pytest calls them
(``request.param``, ``request.config``; a generator fixture is finished after the body). A
case that needs anything else (a conftest's or another plugin's fixture) is not run ahead: it
runs at its turn, as without ``-j``. pytest still sets every fixture up at the case's turn.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from types import GeneratorType
from typing import Any

import pytest

__all__ = ["Arguments", "StandInRequest", "Unsupported", "runs_ahead"]

DIRECT_PARAMETER = "get_direct_param_fixture_func"  # pytest's pseudo-fixture of parametrize


class Unsupported(Exception):
    """The case needs something a stand-in cannot give: it waits for its turn."""


def _definition(item: pytest.Function, name: str) -> Any:
    definitions = item._fixtureinfo.name2fixturedefs.get(name)
    if not definitions:
        raise Unsupported(f"no fixture {name!r}")
    return definitions[-1]  # the closest one overrides the others


def _own(item: pytest.Function, definition: Any) -> bool:
    """A fixture of the case's own module (or a parameter of the case)."""
    func = definition.func
    if getattr(func, "__name__", "") == DIRECT_PARAMETER:
        return True
    return bool(getattr(func, "__module__", None) == getattr(item.module, "__name__", "?"))


def runs_ahead(item: pytest.Item, provided: frozenset[str]) -> bool:
    """Whether every argument ``item``'s body takes can be given without pytest: the plugin's
    ``provided`` values, its parameters and fixtures of its own module (transitively)."""
    if not isinstance(item, pytest.Function) or inspect.iscoroutinefunction(item.obj):
        return False
    if "mconf" not in item.fixturenames:  # sends nothing through the harness: nothing to gain
        return False
    pending, seen = list(item._fixtureinfo.argnames), set()
    while pending:
        name = pending.pop()
        if name in seen or name in provided or name == "request":
            continue
        seen.add(name)
        try:
            definition = _definition(item, name)
        except Unsupported:
            return False
        if not _own(item, definition):
            return False
        pending.extend(a for a in definition.argnames if a != "request")
    return True


class StandInRequest:
    """What a fixture of the case's module may ask of ``request`` when it runs ahead."""

    def __init__(self, item: pytest.Function, name: str, arguments: Arguments) -> None:
        self.node = item
        self.config = item.config
        self.fixturename = name
        self.function = item.obj
        self.module = item.module
        self._arguments = arguments
        params = getattr(getattr(item, "callspec", None), "params", {})
        if name in params:
            self.param = params[name]

    def getfixturevalue(self, name: str) -> Any:
        return self._arguments.value(name)

    def addfinalizer(self, finalizer: Callable[[], object]) -> None:
        self._arguments.finalizers.append(finalizer)


class Arguments:
    """The body's keyword arguments for ``item``, built on ``enter`` and torn down on ``close``
    (generator fixtures finished, finalizers run, last set up first)."""

    def __init__(self, item: pytest.Function, provided: Mapping[str, Any]) -> None:
        self.item = item
        self.provided = provided
        self.values: dict[str, Any] = {}
        self.finalizers: list[Callable[[], object]] = []

    def enter(self) -> dict[str, Any]:
        return {name: self.value(name) for name in self.item._fixtureinfo.argnames}

    def value(self, name: str) -> Any:
        if name in self.provided:
            return self.provided[name]
        if name not in self.values:
            self.values[name] = self._compute(name)
        return self.values[name]

    def _compute(self, name: str) -> Any:
        definition = _definition(self.item, name)
        if not _own(self.item, definition):
            raise Unsupported(f"fixture {name!r} is not the case's own")
        request = StandInRequest(self.item, name, self)
        if getattr(definition.func, "__name__", "") == DIRECT_PARAMETER:
            if not hasattr(request, "param"):
                raise Unsupported(f"parameter {name!r} has no value")
            return request.param
        kwargs = {a: request if a == "request" else self.value(a) for a in definition.argnames}
        result = definition.func(**kwargs)
        if isinstance(result, GeneratorType):
            self.finalizers.append(lambda: _finish(result))
            return next(result)
        return result

    def close(self) -> None:
        for finalizer in reversed(self.finalizers):
            finalizer()
        self.finalizers.clear()

    def __iter__(self) -> Iterator[str]:  # the names set up, for messages
        return iter(self.values)


def _finish(generator: GeneratorType[Any, None, None]) -> None:
    try:
        next(generator)
    except StopIteration:
        return
    raise Unsupported("a generator fixture yielded twice")

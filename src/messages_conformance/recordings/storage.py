"""Cassette files: safe YAML within bounds, written atomically (vcrpy serializer + persister).

Reading is bounded (recordings/bounds.py): aliases, depth, file size, and compressed bodies,
inflated here within one budget so vcrpy's own (unbounded) decoder finds nothing left to do.
A file past a bound is ``UnusableInput`` naming it; the replay case becomes an error.
"""

from __future__ import annotations

import contextlib
import os
import threading
import zlib
from pathlib import Path
from typing import Any

import yaml
from vcr.persisters.filesystem import CassetteNotFoundError  # type: ignore[import-untyped]
from vcr.serialize import deserialize, serialize  # type: ignore[import-untyped]

from .bounds import Inflation, TooBig, check_size, yaml_problem
from .cassette import UnusableInput
from .stability import stable_text

__all__ = ["AtomicPersister", "UnreadableCassette", "YamlSerializer", "shown"]


class UnreadableCassette(Exception):
    """A cassette on disk that is not one (broken YAML, wrong shape): one line naming it."""


def _yaml_problem(exc: BaseException) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{where}{problem}"


def shown(path: str | Path) -> str:
    """``path`` relative to the working folder when it is under it."""
    with contextlib.suppress(ValueError):
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    return str(path)


_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loader (libyaml when available): cassettes hold plain data only."""


class _Dumper(_BaseDumper):  # type: ignore[misc]
    """Safe dumper (libyaml when available); multi-line strings (SSE bodies) as ``|`` blocks."""


def _represent_str(dumper: Any, data: str) -> Any:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def _represent_list(dumper: Any, data: list[Any]) -> Any:
    # a timing chunk [seconds, bytes] on one line: cassettes of long streams stay readable
    flow = len(data) == 2 and all(type(v) in (int, float) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow or None)


_Dumper.add_representer(list, _represent_list)


class YamlSerializer:
    """vcrpy serializer: safe YAML, unwrapped lines (a key is never split across lines)."""

    @staticmethod
    def deserialize(text: str) -> Any:
        """Safe YAML within bounds (aliases, depth), compressed bodies inflated within one
        budget (so vcrpy's unbounded decoder finds nothing left to do); TooBig otherwise."""
        problem = yaml_problem(text)
        if problem:
            raise TooBig(problem)
        data = yaml.load(text, Loader=_Loader)
        budget = Inflation()
        for item in data.get("interactions") or [] if isinstance(data, dict) else []:
            response = item.get("response") if isinstance(item, dict) else None
            if isinstance(response, dict):
                _inflate(response, budget)
        return data

    @staticmethod
    def serialize(data: Any) -> str:
        text: str = yaml.dump(
            data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=2**30
        )
        return text


def _inflate(response: dict[str, Any], budget: Inflation) -> None:
    headers = response.get("headers")
    body = response.get("body")
    if not isinstance(headers, dict) or not isinstance(body, dict):
        return
    name = next((k for k in headers if str(k).lower() == "content-encoding"), None)
    values = headers.get(name) if name else None
    coding = str(values[0] if isinstance(values, list) and values else values or "").lower()
    data = body.get("string")
    if coding not in ("gzip", "x-gzip", "deflate") or not isinstance(data, bytes) or not data:
        return
    try:
        body["string"] = budget.inflate(data, "deflate" if coding == "deflate" else "gzip")
    except (EOFError, zlib.error):
        return  # corrupt: left for vcrpy (and the checks) to report
    del headers[name]


class AtomicPersister:
    """vcrpy persister writing ``<cassette>.tmp-<pid>-<thread>`` then ``os.replace``: a run
    killed mid-write leaves the previous cassette whole."""

    @staticmethod
    def load_cassette(cassette_path: str | Path, serializer: Any) -> Any:
        path = Path(cassette_path)
        if not path.is_file():
            raise CassetteNotFoundError()
        try:
            check_size(path.stat().st_size)
            text = path.read_text(encoding="utf-8")
            if not text.strip():
                raise CassetteNotFoundError()
            return deserialize(text, serializer)
        except TooBig as exc:  # a bomb or a monster: refused before the memory is spent
            raise UnusableInput(f"{shown(path)}: {exc}") from None
        except (yaml.YAMLError, ValueError, KeyError, TypeError) as exc:
            raise UnreadableCassette(
                f"{shown(path)}: not a readable cassette ({_yaml_problem(exc)}); fix it, or "
                "delete it and record it again with `mconf run --mode record`"
            ) from None

    @staticmethod
    def save_cassette(cassette_path: str | Path, cassette_dict: Any, serializer: Any) -> None:
        path = Path(cassette_path)
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        text = stable_text(old, serialize(cassette_dict, serializer), serializer)
        if text is None:  # nothing but volatile values changed: the recording stays as it was
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
        try:
            with temporary.open("w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

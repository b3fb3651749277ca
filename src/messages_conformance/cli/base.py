"""What every `mconf` command shares: the parser, the user-mistake error, exit codes, spec loading.

The lowest CLI module: every command imports it; it imports no command.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from ..core.spec import Spec

USAGE_ERROR = 2


class UsageError(Exception):
    """A user mistake: printed as one line, exit 2."""


def fail(message: str) -> int:
    sys.stderr.write(f"mconf: error: {message}\n")
    return USAGE_ERROR


def detail(exc: BaseException) -> str:
    """``Kind: first line`` of a foreign error, for a one-line message."""
    lines = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {lines[0] if lines else 'no detail'}"


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    known = exc.__class__.__module__.startswith("messages_conformance") or isinstance(exc, OSError)
    return first if known and first else f"{exc.__class__.__name__}: {first} (rerun with --debug)"


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a mistake as one UsageError line instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}; see `{self.prog} --help`")


def parser(name: str, description: str) -> ArgumentParser:
    return ArgumentParser(prog=f"mconf {name}", description=description)


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    return parser.parse_args(argv)


def load_spec(path: Path | None) -> Spec:
    """The contract in ``path`` (default: spec/); a broken one is one UsageError line naming
    the file, never a traceback from deep inside a validator. Each file of a given folder is
    checked first; the packaged contract is checked by the project's tests (and start-up
    stays short: `mconf validate` must beat a plain parse of the file it reads)."""
    from ..core.spec import Spec, spec_dir

    root = spec_dir(path)
    if not (root / "schemas").is_dir():
        raise UsageError(f"{root}: not a spec folder (no schemas/); {_SPEC_FIX}")
    if path is not None:
        for file in sorted((root / "schemas").rglob("*.json")):
            _check_json_file(file)
        _check_openapi(root / "messages.openapi.yaml")
    try:
        return Spec.load(path)
    except Exception as exc:  # a missing kind, no $id, a schema jsonschema cannot compile
        raise UsageError(f"{root}: unusable schemas ({detail(exc)}); {_SPEC_FIX}") from exc


_SPEC_FIX = "fix it or drop --spec-dir to use the packaged contract"


def _check_json_file(path: Path) -> None:
    import jsonschema_rs

    try:
        schema = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a JSON file ({detail(exc)}); {_SPEC_FIX}") from exc
    try:
        jsonschema_rs.meta.validate(schema)
    except jsonschema_rs.ValidationError as exc:
        where = "".join(f"/{part}" for part in exc.instance_path) or "/"
        problem = f"not a valid JSON Schema at {where}: {detail(exc)}"
        raise UsageError(f"{path}: {problem}; {_SPEC_FIX}") from exc


def _check_openapi(path: Path) -> None:
    import yaml

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it
        document = yaml.load(path.read_text("utf-8"), Loader=loader)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: unreadable OpenAPI ({detail(exc)}); {_SPEC_FIX}") from exc
    paths = document.get("paths") if isinstance(document, dict) else None
    if not str(document.get("openapi", "") if paths else "").startswith("3."):
        raise UsageError(f"{path}: not an OpenAPI 3 document (openapi, paths); {_SPEC_FIX}")
    if not isinstance(paths, dict) or "/v1/messages" not in paths:
        raise UsageError(f"{path}: no /v1/messages path; {_SPEC_FIX}")

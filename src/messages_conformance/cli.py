"""The `mconf` command: `main()` -> `run(argv, stdout) -> int`, testable without a subprocess.

Exit codes: 0 conformant, 1 error findings (or regressions), 2 unusable input or a target that
could not be tested (one line on stderr; `--debug` shows the traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from .spec import Spec

USAGE_ERROR = 2


class UsageError(Exception):
    """A user mistake: printed as one line, exit 2."""


def main() -> None:
    sys.exit(run(sys.argv[1:]))


def run(argv: Sequence[str] | None = None, stdout: IO[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    stdout = stdout or sys.stdout
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    if not argv or argv[0] in ("-h", "--help"):
        stdout.write(HELP)
        return 0 if argv else USAGE_ERROR
    command, rest = argv[0], argv[1:]
    handler = COMMANDS.get(command)
    if handler is None:
        return _fail(f"unknown command {command!r}; commands: {', '.join(COMMANDS)}")
    try:
        return handler(rest, stdout)
    except SystemExit as exc:  # --help of a subcommand
        return int(exc.code or 0)
    except Exception as exc:  # the boundary: user mistakes and unusable targets become one line
        if debug:
            traceback.print_exc()
        return _fail(_one_line(exc))


def _fail(message: str) -> int:
    sys.stderr.write(f"mconf: error: {message}\n")
    return USAGE_ERROR


def _detail(exc: BaseException) -> str:
    """``Kind: first line`` of a foreign error, for a one-line message."""
    lines = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {lines[0] if lines else 'no detail'}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    detail = text[0] if text else ""
    known = exc.__class__.__module__.startswith("messages_conformance") or isinstance(exc, OSError)
    return (
        detail if known and detail else f"{exc.__class__.__name__}: {detail} (rerun with --debug)"
    )


def cmd_validate(argv: list[str], stdout: IO[str]) -> int:
    from .cassette import load_exchanges
    from .check import check_exchange
    from .findings import Severity

    parser = _parser("validate", "check recorded responses, SSE bodies or vcrpy cassettes")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--spec-dir", type=Path, help="the contract to check against (spec/)")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    args = _parse(parser, argv)
    spec = load_spec(args.spec_dir)
    results = []
    for path in args.paths:
        for exchange in load_exchanges(path):
            findings = check_exchange(exchange, spec).findings
            results.append((exchange.name or str(path), findings))
    failed = any(f.severity is Severity.ERROR for _, fs in results for f in fs)
    if args.format == "json":
        payload = [{"name": name, "findings": [f.to_dict() for f in fs]} for name, fs in results]
        stdout.write(json.dumps({"ok": not failed, "exchanges": payload}, indent=2) + "\n")
    else:
        for name, findings in results:
            stdout.write(f"{name}: {'ok' if not findings else f'{len(findings)} finding(s)'}\n")
            for finding in findings:
                stdout.write("  " + str(finding).replace("\n", "\n  ") + "\n")
        errors = sum(f.severity is Severity.ERROR for _, fs in results for f in fs)
        stdout.write(f"{len(results)} exchange(s), {errors} error finding(s)\n")
    return 1 if failed else 0


def load_spec(path: Path | None) -> Spec:
    """The contract in ``path`` (default: spec/); a broken one is one UsageError line naming
    the file, never a traceback from deep inside a validator."""
    from .spec import Spec, spec_dir

    root = spec_dir(path)
    if not (root / "schemas").is_dir():
        raise UsageError(f"{root}: not a spec folder (no schemas/); {_SPEC_FIX}")
    for file in sorted((root / "schemas").rglob("*.json")):
        _check_json_file(file)
    _check_openapi(root / "messages.openapi.yaml")
    try:
        return Spec.load(path)
    except Exception as exc:  # a missing kind, no $id, a schema jsonschema cannot compile
        raise UsageError(f"{root}: unusable schemas ({_detail(exc)}); {_SPEC_FIX}") from exc


_SPEC_FIX = "fix it or drop --spec-dir to use the packaged contract"


def _check_json_file(path: Path) -> None:
    import jsonschema_rs

    try:
        schema = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a JSON file ({_detail(exc)}); {_SPEC_FIX}") from exc
    try:
        jsonschema_rs.meta.validate(schema)
    except jsonschema_rs.ValidationError as exc:
        where = "".join(f"/{part}" for part in exc.instance_path) or "/"
        problem = f"not a valid JSON Schema at {where}: {_detail(exc)}"
        raise UsageError(f"{path}: {problem}; {_SPEC_FIX}") from exc


def _check_openapi(path: Path) -> None:
    import yaml

    try:
        document = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: unreadable OpenAPI ({_detail(exc)}); {_SPEC_FIX}") from exc
    paths = document.get("paths") if isinstance(document, dict) else None
    if not str(document.get("openapi", "") if paths else "").startswith("3."):
        raise UsageError(f"{path}: not an OpenAPI 3 document (openapi, paths); {_SPEC_FIX}")
    if not isinstance(paths, dict) or "/v1/messages" not in paths:
        raise UsageError(f"{path}: no /v1/messages path; {_SPEC_FIX}")


def cmd_rules(argv: list[str], stdout: IO[str]) -> int:
    from .rules import all_rules, render_markdown

    parser = _parser("rules", "list the rule catalogue")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    args = _parse(parser, argv)
    if args.format == "markdown":
        stdout.write(render_markdown())
        return 0
    for rule in all_rules().values():
        stdout.write(f"{rule.id:45} {rule.severity:8} {rule.description}\n")
    return 0


def cmd_run(argv: list[str], stdout: IO[str]) -> int:
    from .runner import run_suites

    return run_suites(argv, stdout)


def cmd_serve(argv: list[str], stdout: IO[str]) -> int:
    from .gateway.cli import main as serve_main

    return serve_main(argv, stdout)  # type: ignore[arg-type]  # IO[str] is all it writes to


def cmd_diff(argv: list[str], stdout: IO[str]) -> int:
    from .diff import diff_main

    return diff_main(argv, stdout)


def cmd_drift(argv: list[str], stdout: IO[str]) -> int:
    from .drift import drift_main

    return drift_main(argv, stdout)


def cmd_spec_diff(argv: list[str], stdout: IO[str]) -> int:
    from .specdiff import specdiff_main

    return specdiff_main(argv, stdout)


def cmd_parity(argv: list[str], stdout: IO[str]) -> int:
    from .parity import parity_main

    return parity_main(argv, stdout)


def cmd_matrix(argv: list[str], stdout: IO[str]) -> int:
    from .matrix import matrix_main

    return matrix_main(argv, stdout)


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a mistake as one UsageError line instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}; see `{self.prog} --help`")


def _parser(name: str, description: str) -> ArgumentParser:
    return ArgumentParser(prog=f"mconf {name}", description=description)


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    return parser.parse_args(argv)


COMMANDS: dict[str, Callable[[list[str], IO[str]], int]] = {
    "run": cmd_run,
    "validate": cmd_validate,
    "serve": cmd_serve,
    "rules": cmd_rules,
    "diff": cmd_diff,
    "matrix": cmd_matrix,
    "parity": cmd_parity,
    "drift": cmd_drift,
    "spec-diff": cmd_spec_diff,
}

HELP = """usage: mconf COMMAND [options]   (add --debug to any command for a traceback)

commands:
  run        run the conformance suites against a target (default: the embedded gateway, live)
  validate   check response bodies, SSE streams or vcrpy cassettes offline
  serve      start the reference gateway (mconf serve --help)
  rules      list the rule catalogue
  diff       compare two runs' reports: regressions, fixes, drift
  matrix     several targets' reports side by side (Markdown + HTML)
  drift      list fields, events, headers and values in recordings that the spec does not name
  spec-diff  compare our schemas with an upstream OpenAPI document (e.g. the Stainless spec)
  parity     send recorded reference requests to a target and compare the answers' shapes
"""

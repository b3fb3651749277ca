"""The `mconf` command: `main()` -> `run(argv, stdout) -> int`, testable without a subprocess.

Exit codes: 0 conformant, 1 error findings (or regressions), 2 unusable input or a target that
could not be tested (one line on stderr; `--debug` shows the traceback).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import IO

from .base import USAGE_ERROR, fail, one_line

INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C


def main() -> None:
    code = run(sys.argv[1:])
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = _reader_left()
    sys.exit(code)


def _reader_left() -> int:
    """The reader of stdout went away (`mconf rules | head -1`): what it wanted it has; the
    rest goes nowhere, quietly (no second error when Python flushes stdout at exit)."""
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), sys.stdout.fileno())
    return 0


def version() -> str:
    from importlib import metadata

    return metadata.version("messages-conformance")


def run(argv: Sequence[str] | None = None, stdout: IO[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    stdout = stdout or sys.stdout
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    if not argv or argv[0] in ("-h", "--help"):
        stdout.write(HELP)
        return 0 if argv else USAGE_ERROR
    if argv[0] in ("-V", "--version"):
        stdout.write(f"mconf {version()}\n")
        return 0
    command, rest = argv[0], argv[1:]
    handler = COMMANDS.get(command)
    if handler is None:
        return fail(f"unknown command {command!r}; commands: {', '.join(COMMANDS)}")
    try:
        return handler(rest, stdout)
    except SystemExit as exc:  # --help of a subcommand
        return int(exc.code or 0)
    except KeyboardInterrupt:
        sys.stderr.write("mconf: interrupted\n")
        return INTERRUPTED
    except BrokenPipeError:
        return _reader_left() if stdout is sys.stdout else 0
    except Exception as exc:  # the boundary: user mistakes and unusable targets become one line
        if debug:
            traceback.print_exc()
        return fail(one_line(exc))


def cmd_validate(argv: list[str], stdout: IO[str]) -> int:
    from .validate import cmd_validate as validate

    return validate(argv, stdout)


def cmd_rules(argv: list[str], stdout: IO[str]) -> int:
    from .rules import cmd_rules as rules

    return rules(argv, stdout)


def cmd_run(argv: list[str], stdout: IO[str]) -> int:
    from .run import run_suites

    return run_suites(argv, stdout)


def cmd_serve(argv: list[str], stdout: IO[str]) -> int:
    from ..gateway.cli import main as serve_main

    return serve_main(argv, stdout)  # type: ignore[arg-type]  # IO[str] is all it writes to


def cmd_proxy(argv: list[str], stdout: IO[str]) -> int:
    from ..gateway.proxy_cli import main as proxy_main

    return proxy_main(argv, stdout)  # type: ignore[arg-type]  # IO[str] is all it writes to


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


def cmd_load(argv: list[str], stdout: IO[str]) -> int:
    from .load import cmd_load as load

    return load(argv, stdout)


def cmd_matrix(argv: list[str], stdout: IO[str]) -> int:
    from .matrix import matrix_main

    return matrix_main(argv, stdout)


COMMANDS: dict[str, Callable[[list[str], IO[str]], int]] = {
    "run": cmd_run,
    "validate": cmd_validate,
    "serve": cmd_serve,
    "proxy": cmd_proxy,
    "rules": cmd_rules,
    "diff": cmd_diff,
    "matrix": cmd_matrix,
    "parity": cmd_parity,
    "drift": cmd_drift,
    "spec-diff": cmd_spec_diff,
    "load": cmd_load,
}

HELP = """usage: mconf COMMAND [options]   (add --debug to any command for a traceback)
       mconf --version

commands:
  run        run the conformance suites against a target (default: the embedded gateway, live)
  validate   check response bodies, SSE streams or vcrpy cassettes offline
  serve      start the reference gateway (mconf serve --help)
  proxy      start the reference pass-through proxy in front of an upstream (--list-faults)
  rules      list the rule catalogue
  diff       compare two runs' reports: regressions, fixes, drift
  matrix     several targets' reports side by side (Markdown + HTML)
  drift      list fields, events, headers and values in recordings that the spec does not name
  spec-diff  compare our schemas with an upstream OpenAPI document (e.g. the Stainless spec)
  load       conformance under load on Locust: many users, every answer checked
  parity     send recorded reference requests to a target and compare the answers' shapes
"""

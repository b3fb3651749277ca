"""`mconf rules`: the rule catalogue."""

from __future__ import annotations

from typing import IO

from .base import parse, parser


def cmd_rules(argv: list[str], stdout: IO[str]) -> int:
    from ..core.rules import all_rules, render_markdown

    cli = parser("rules", "list the rule catalogue")
    cli.add_argument("--format", choices=("text", "markdown"), default="text")
    args = parse(cli, argv)
    if args.format == "markdown":
        stdout.write(render_markdown())
        return 0
    for rule in all_rules().values():
        stdout.write(f"{rule.id:45} {rule.severity:8} {rule.description}\n")
    return 0

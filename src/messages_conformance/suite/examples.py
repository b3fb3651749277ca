"""Failing examples of a generated case: the request, the response and a curl line.

A generated case is one test that sends ~30 drawn requests; its findings alone do not say which
request broke what. Each drawn request that brought an error finding is kept (the first
``KEPT`` of a case) as an *example*: the request and the response as excerpts (credentials
hidden) and the request as a curl command line with the key as ``$VAR``. They go into the case
record (report.json ``examples``) and into the failure's text (``--tb``, junit.xml).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ..core.exchange import Exchange
from ..core.findings import Finding, Severity
from ..core.reproduction import curl
from ..reports.views import header_value

KEPT: Final = 3  # examples per case: enough to see a pattern, short enough to read
EXCERPT: Final = 4096  # as the case records (a longer body: curl says it was cut)
RULES_SHOWN: Final = 5


def example(exchange: Exchange, findings: Sequence[Finding], key_var: str | None) -> dict[str, Any]:
    """One failing example: the rules it broke, request and response excerpts, a curl line."""
    request = exchange.request
    sent = {
        "method": request.method if request else "",
        "url": request.url if request else "",
        "headers": {k: header_value(k, v) for k, v in (request.headers if request else {}).items()},
        "body": _excerpt(request.body if request else b""),
    }
    answer = exchange.response
    return {
        "rules": sorted({f.rule for f in findings}),
        "request": sent,
        "response": {
            "status": answer.status,
            "headers": {k: header_value(k, v) for k, v in answer.headers.items()},
            "body": _excerpt(answer.body),
        },
        "curl": curl(sent, key_var or "API_KEY"),
    }


def keep(
    examples: list[dict[str, Any]],
    exchange: Exchange | None,
    findings: Sequence[Finding],
    key_var: str | None,
) -> None:
    """Keep ``exchange`` as an example if ``findings`` (those it brought) hold an error and the
    same request is not kept already."""
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors and exchange is not None and len(examples) < KEPT:
        kept = example(exchange, errors, key_var)
        if all(e["curl"] != kept["curl"] for e in examples):  # drawn twice: shown once
            examples.append(kept)


def text(examples: Sequence[dict[str, Any]]) -> str:
    """The examples as the failure's text shows them (after the findings)."""
    lines: list[str] = []
    for n, shown in enumerate(examples, 1):
        request, response = shown["request"], shown["response"]
        rules = shown["rules"][:RULES_SHOWN]
        more = f" (+{len(shown['rules']) - RULES_SHOWN} more)" if len(shown["rules"]) > 5 else ""
        lines += [
            "",
            f"failing example {n}: {', '.join(rules)}{more}",
            f"  request: {request['method']} {request['url']}",
            f"    {_one_line(request['body'])}",
            f"  response: {response['status']}",
            f"    {_one_line(response['body'])}",
            f"  reproduce: {shown['curl']}",
        ]
    return "\n".join(lines)


def _excerpt(body: bytes) -> str:
    shown = body[:EXCERPT].decode("utf-8", "replace")
    return shown + ("…" if len(body) > EXCERPT else "")


def _one_line(body: str, width: int = 300) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= width else flat[:width] + "…"

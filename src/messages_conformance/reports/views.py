"""Read-only views of a report shared by its writers and the report tools.

Labels, one-line evidence, the documented area order, and credential header values hidden.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "AREAS",
    "CASE_KEYS",
    "Report",
    "area_order",
    "case_label",
    "evidence",
    "header_value",
    "is_failing",
    "iter_findings",
    "one_line",
    "target_text",
]

Report = Mapping[str, Any]

AREAS = (
    "auth",
    "request validation",
    "response shape",
    "streaming",
    "errors",
    "headers",
    "recorded traffic",
    "generated",
)
BODY_LIMIT = 4096  # excerpts are at most 4 KB (report.schema.json, case.request.body)
SECRET_HEADERS = frozenset(
    {"x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie"}
)
REDACTED = "[redacted]"
CREDENTIAL_MARKER = "REDACTED:"  # transport.credential_marker output: a class, never a key
CASE_KEYS = ("cases", "passed", "failed", "skipped", "errors")


def iter_findings(report: Report) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Every (case, finding) pair of a report, in report order."""
    for case in report.get("cases", []):
        for finding in case.get("findings", []):
            yield case, finding


def is_failing(finding: Mapping[str, Any]) -> bool:
    """An unwaived error finding: the kind that fails a run (ARCHITECTURE.md, severities)."""
    return finding.get("severity") == "error" and not finding.get("waived", False)


def case_label(case_id: str) -> str:
    """A short name for a case id: ``suites/test_x.py::test_y`` -> ``test_x::test_y``."""
    path, sep, rest = case_id.partition("::")
    stem = path.rsplit("/", 1)[-1].removesuffix(".py")
    return f"{stem}{sep}{rest}" if sep else stem


def one_line(text: Any, limit: int = 120) -> str:
    """``text`` on a single line, at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def evidence(case: Mapping[str, Any], finding: Mapping[str, Any]) -> str:
    """One line: case, location and received value of a finding."""
    text = case_label(str(case.get("id", "")))
    if finding.get("location"):
        text += f" at {finding['location']}"
    if finding.get("received") is not None:
        text += f": received {finding['received']}"
    elif finding.get("expected") is not None:
        text += f": missing, expected {finding['expected']}"
    return one_line(text)


def target_text(report: Report) -> str:
    target = report.get("target", {})
    faults = ", ".join(target.get("faults") or []) or "none"
    model = f", model {target['model']}" if target.get("model") else ""
    stub = ", upstream: stub" if target.get("stub_upstream") else ""
    where = f"{target.get('base_url', '')}{model}{stub}"
    return f"{target.get('name', '?')} ({where}), faults: {faults}"


def area_order(area: str) -> tuple[int, str]:
    return (AREAS.index(area) if area in AREAS else len(AREAS), area)


def header_value(name: str, value: Any) -> str:
    """A credential header's value hidden; the transport's class markers (REDACTED:wrong …) kept,
    since which kind of credential was sent is evidence, not a secret."""
    text = str(value)
    if name.lower() not in SECRET_HEADERS or text.startswith(CREDENTIAL_MARKER):
        return text
    return REDACTED

"""The run's case records: one per test item, gathered into report.json (schema_version 1)."""

from __future__ import annotations

import datetime as dt
import platform
import time
from collections import Counter
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.findings import Finding
from ..core.spend import Tally
from ..net.disguises import shown_url
from .spool import CaseSpool

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pytest

    from ..core.exchange import Exchange
    from ..net.targets import Target
    from .harness import Harness, Result

EXCERPT = 4096
ARRIVALS = 300  # event arrivals kept per case for the report's timeline
EVIDENCE_KEPT = 500  # passing cases whose exchanges stay in the report (failing ones always do)
_EVIDENCE = ("request", "response", "excerpts")
EXCERPTS = 5  # per case: the first responses with error or warning findings (not the last one)
AREAS = {
    "test_auth": "auth",
    "test_requests": "request validation",
    "test_scenarios": "response shape",
    "test_streaming": "streaming",
    "test_errors": "errors",
    "test_headers": "headers",
    "test_recorded": "recorded traffic",
    "test_generated": "generated",
}


def case_record(
    item: pytest.Item, report: pytest.TestReport, harness: Harness | None
) -> dict[str, Any]:
    """A JSON-ready record of one test item (it travels from xdist workers as user_properties)."""
    module = Path(str(item.path)).stem
    area_mark = item.get_closest_marker("mconf_area")
    record: dict[str, Any] = {
        "id": item.nodeid,
        "suite": module.removeprefix("test_"),
        "area": area_mark.args[0] if area_mark else AREAS.get(module, "other"),
        "outcome": _outcome(report),
        "duration_s": round(report.duration, 6),
        "skip_reason": _skip_reason(report),
        "findings": [],
    }
    if harness is not None:
        waivers = harness.target.waivers
        record["findings"] = [
            _finding(f, waivers, harness.exchange_of(i)) for i, f in enumerate(harness.findings)
        ]
        if harness.results:
            record.update(_exchange_fields(harness.results[-1]))
        spent = harness.spend()
        record["exchanges"] = spent.requests
        record["output_tokens"] = spent.output_tokens
        record["spend"] = spent.to_dict()
        if excerpts := _excerpts_of(harness, record["findings"]):
            record["excerpts"] = excerpts
        if harness.tally:
            record["generation"] = dict(harness.tally)
        if harness.examples:
            record["examples"] = list(harness.examples)
    if report.failed and not record["findings"]:
        record["failure"] = _first_line(report.longreprtext)
    return record


def _excerpts_of(harness: Harness, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Request and response excerpts of the responses findings are about, for the reports'
    reproduction (the case's last response is the record's own ``request``/``response``)."""
    last = len(harness.exchanges) - 1
    wanted = [
        f["exchange"]
        for f in findings
        if f["exchange"] not in (None, last) and f["severity"] != "notice" and not f["waived"]
    ]
    chosen = list(dict.fromkeys(wanted))[:EXCERPTS]
    return [{"exchange": i, **_excerpts(harness.exchanges[i][1])} for i in chosen]


def _outcome(report: pytest.TestReport) -> str:
    if report.skipped:
        return "skipped"
    if report.failed:
        return "failed" if report.when == "call" else "error"
    return "passed"


def _skip_reason(report: pytest.TestReport) -> str | None:
    if not report.skipped:
        return None
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _first_line(text: str) -> str:
    lines = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    lines = lines or text.strip().splitlines() or [""]
    return lines[0][:500]


def _finding(finding: Finding, waivers: Any, exchange: int | None) -> dict[str, Any]:
    data: dict[str, Any] = finding.to_dict()
    data["waived"] = finding.rule in waivers
    data["waiver_reason"] = waivers.get(finding.rule)
    data["exchange"] = exchange  # which of the case's responses it is about (0 = the first)
    return data


def _exchange_fields(result: Result) -> dict[str, Any]:
    return {
        "status": result.exchange.response.status,
        "ttfb_s": round(result.sent.ttfb_s, 6),
        "total_s": round(result.sent.total_s, 6),
        "timing": _timing(result),
        **_excerpts(result.exchange),
    }


def _excerpts(exchange: Exchange) -> dict[str, Any]:
    request = exchange.request
    response = exchange.response
    return {
        "request": {
            "method": request.method if request else "",
            "url": request.url if request else "",
            "headers": dict(request.headers) if request else {},
            "body": _excerpt(request.body if request else b""),
        },
        "response": {
            "status": response.status,
            "headers": dict(response.headers),
            "body": _excerpt(response.body),
        },
    }


def _timing(result: Result) -> dict[str, Any] | None:
    """The case's timing figures and its events' arrivals (None: no timing, e.g. replayed
    from a cassette recorded without timings)."""
    trace = result.checked.trace
    if trace is None:
        return None
    figures = trace.figures()
    arrivals = trace.arrivals or ()
    figures["arrivals"] = [[round(a.at, 4), a.name] for a in arrivals[:ARRIVALS]]
    return figures


def _excerpt(body: bytes) -> str:
    text = body[:EXCERPT].decode("utf-8", "replace")
    return text + ("…" if len(body) > EXCERPT else "")


class Casebook:
    """Every case record of a run, spooled to disk (``suite/spool``), with the counts reports
    need kept as they come. Evidence (request and response excerpts and event arrivals, ~10-30
    KB a case) is kept for every case that did not pass and for the first ``EVIDENCE_KEPT``
    that did; later passing cases keep their outcome, findings, status and timing figures. The
    controller holds no record: a long run stays flat, and report.json is written from the
    spool (``reports/report.write_reports``)."""

    def __init__(
        self,
        cases: Iterable[dict[str, Any]] = (),
        started: float | None = None,
        folder: Path | None = None,
    ) -> None:
        self.started = time.time() if started is None else started
        self.spool = CaseSpool(folder)
        self.passed_with_evidence = 0
        self.outcomes: Counter[str] = Counter()
        self.severities: Counter[str] = Counter()  # of unwaived findings
        self.waived_seen: set[str] = set()
        self.generation: dict[str, dict[str, int]] = {}  # reports/generation.score, as it comes
        self.spend = Tally()  # requests and tokens, in total and per suite, as records come
        self.problems: list[dict[str, Any]] | None = None  # the reports' list, once written
        for record in cases:
            self.add(record)

    @property
    def cases(self) -> CaseSpool:
        """The records, in id order (each pass reads them from the spool)."""
        return self.spool

    def add(self, record: dict[str, Any]) -> None:
        if record.get("outcome") == "passed" and "request" in record:
            if self.passed_with_evidence >= EVIDENCE_KEPT:
                record = {k: v for k, v in record.items() if k not in _EVIDENCE}
                if isinstance(record.get("timing"), dict):  # the figures stay, not each arrival
                    record["timing"] = {
                        k: v for k, v in record["timing"].items() if k != "arrivals"
                    }
            else:
                self.passed_with_evidence += 1
        self.outcomes[str(record.get("outcome"))] += 1
        for finding in record.get("findings") or []:
            if finding.get("waived"):
                self.waived_seen.add(finding.get("rule"))
            else:
                self.severities[finding.get("severity")] += 1
        if record.get("generation"):
            from ..reports.generation import score

            for mode, entry in score((record,)).items():
                total = self.generation.setdefault(mode, {"cases": 0, "2xx": 0})
                total["cases"] += entry["cases"]
                total["2xx"] += entry["2xx"]
        self.spend.add(record)
        self.spool.add(record)

    def close(self) -> None:
        """The spool's files removed (after the reports are written)."""
        self.spool.close()

    def build(
        self,
        *,
        target: Target,
        mode: str,
        faults: list[str],
        catalogue: dict[str, Any],
        collected: int | None = None,
        budgets: Mapping[str, int | None] | None = None,
    ) -> dict[str, Any]:
        """The report (its ``cases`` read from the spool as it is written); ``collected`` is
        given when the run was interrupted (of how many)."""
        finished = time.time()
        interrupted = {} if collected is None else {"interrupted": {"collected": collected}}
        return {
            "schema_version": 1,
            "tool": {"name": "messages-conformance", "version": _version("messages-conformance")},
            "target": {
                "name": target.name,
                "base_url": shown_url(target.base_url),
                "mode": mode,
                "faults": faults,
                "label": target.name,
                "model": target.model,
                "key_env": target.key_env,
                "stub_upstream": target.stub_upstream,
            },
            "started_at": _iso(self.started),
            "finished_at": _iso(finished),
            "duration_s": round(finished - self.started, 3),
            "versions": {
                "python": platform.python_version(),
                **{
                    name: _version(name)
                    for name in ("schemathesis", "httpx", "vcrpy", "jsonschema")
                },
            },
            "verdict": "interrupted" if interrupted else self._verdict(),
            **interrupted,
            "counts": self._counts(),
            "cases": self.spool,
            "waivers": [
                {"rule": r, "reason": why, "matched": r in self.waived_seen}
                for r, why in target.waivers.items()
            ],
            "rules": catalogue,
            "spend": {**self.spend.to_dict(), "budgets": dict(budgets or {})},
            **({"generation": self.generation} if self.generation else {}),
        }

    def write(
        self,
        out: Path,
        *,
        target: Target,
        mode: str,
        faults: list[str],
        collected: int | None = None,
        budgets: Mapping[str, int | None] | None = None,
    ) -> dict[str, Path]:
        from ..core.rules import catalogue
        from ..reports.problem_list import annotate
        from ..reports.report import write_reports

        report = self.build(
            target=target,
            mode=mode,
            faults=faults,
            catalogue=catalogue(),
            collected=collected,
            budgets=budgets,
        )
        self.problems = annotate(report)
        return write_reports(report, out)

    def _counts(self) -> dict[str, Any]:
        outcomes, severities = self.outcomes, self.severities
        return {
            "cases": sum(outcomes.values()),
            "passed": outcomes["passed"],
            "failed": outcomes["failed"],
            "skipped": outcomes["skipped"],
            "errors": outcomes["error"],
            "findings": {s: severities[s] for s in ("error", "warning", "notice")},
        }

    def _verdict(self) -> str:
        if self.outcomes["failed"]:
            return "fail"
        return "error" if self.outcomes["error"] else "pass"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")

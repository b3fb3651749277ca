"""What a load run found, as counts: bounded in memory however long the run, and mergeable.

Every checked answer adds to a ``LoadTally``: per request shape its requests, failures and
statuses; per rule its count, the shapes it hit and its first few findings as evidence; per
wall-clock second the requests and failures (failures per second over time). Nothing grows
with the number of requests but the timeline (one entry per second). Locust workers send
``take()`` (what was added since the last call) to the master, which ``merge``s it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..core.findings import Finding, Severity

__all__ = ["EXAMPLES", "LoadTally"]

EXAMPLES = 3  # findings kept as evidence per rule; the rest are counted


class LoadTally:
    """Counts of one load run (or the part one worker saw since its last report)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = _empty()

    def add(
        self,
        shape: str,
        status: int | None,
        findings: Iterable[Finding],
        *,
        waivers: Mapping[str, str] | None = None,
        at: float | None = None,
    ) -> bool:
        """Count one answer (status None: no answer at all); True when it failed the run."""
        waived = waivers or {}
        found = list(findings)
        failed = any(f.severity is Severity.ERROR and f.rule not in waived for f in found)
        per_shape = self.data["shapes"].setdefault(
            shape, {"requests": 0, "failed": 0, "statuses": {}}
        )
        per_shape["requests"] += 1
        per_shape["failed"] += failed
        key = str(status) if status is not None else "no answer"
        per_shape["statuses"][key] = per_shape["statuses"].get(key, 0) + 1
        for finding in found:
            self._rule(finding, shape, status, waived.get(finding.rule))
        second = str(int(time.time() if at is None else at))
        slot = self.data["timeline"].setdefault(second, [0, 0])
        slot[0] += 1
        slot[1] += failed
        return failed

    def _rule(self, finding: Finding, shape: str, status: int | None, waiver: str | None) -> None:
        entry = self.data["rules"].setdefault(
            finding.rule,
            {"severity": str(finding.severity), "count": 0, "shapes": {}, "examples": []},
        )
        entry["count"] += 1
        entry["shapes"][shape] = entry["shapes"].get(shape, 0) + 1
        if waiver is not None:
            entry["waived"] = waiver
        if len(entry["examples"]) < EXAMPLES:
            entry["examples"].append({**finding.to_dict(), "shape": shape, "status": status})

    def take(self) -> dict[str, Any]:
        """Everything added since the last ``take`` (and forget it)."""
        data, self.data = self.data, _empty()
        return data

    def merge(self, other: Mapping[str, Any]) -> None:
        """Add another tally's ``data`` (a worker's report) to this one."""
        for shape, counts in other.get("shapes", {}).items():
            mine = self.data["shapes"].setdefault(
                shape, {"requests": 0, "failed": 0, "statuses": {}}
            )
            mine["requests"] += counts["requests"]
            mine["failed"] += counts["failed"]
            _add_counts(mine["statuses"], counts["statuses"])
        for rule, entry in other.get("rules", {}).items():
            mine = self.data["rules"].setdefault(
                rule, {"severity": entry["severity"], "count": 0, "shapes": {}, "examples": []}
            )
            mine["count"] += entry["count"]
            _add_counts(mine["shapes"], entry["shapes"])
            if "waived" in entry:
                mine["waived"] = entry["waived"]
            mine["examples"] = (mine["examples"] + entry["examples"])[:EXAMPLES]
        for second, (requests, failed) in other.get("timeline", {}).items():
            slot = self.data["timeline"].setdefault(second, [0, 0])
            slot[0] += requests
            slot[1] += failed

    @property
    def requests(self) -> int:
        return sum(s["requests"] for s in self.data["shapes"].values())

    @property
    def failed(self) -> int:
        return sum(s["failed"] for s in self.data["shapes"].values())

    def failures_per_second(self) -> list[dict[str, int]]:
        """``[{"second": 0, "requests": n, "failed": n}, ...]`` from the first second on,
        every second present (a quiet second is a zero, not a gap)."""
        timeline = {int(k): v for k, v in self.data["timeline"].items()}
        if not timeline:
            return []
        first, last = min(timeline), max(timeline)
        return [
            {
                "second": s - first,
                "requests": timeline.get(s, [0, 0])[0],
                "failed": timeline.get(s, [0, 0])[1],
            }
            for s in range(first, last + 1)
        ]


def _empty() -> dict[str, Any]:
    return {"shapes": {}, "rules": {}, "timeline": {}}


def _add_counts(mine: dict[str, int], other: Mapping[str, int]) -> None:
    for key, count in other.items():
        mine[key] = mine.get(key, 0) + count

"""Spend: requests sent and tokens used, from usage objects and case records, per suite.

A run against a paid endpoint says what it cost: every report states these numbers, in total
and per suite, next to the run's budgets (``--max-requests``, ``--max-output-tokens``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

USAGE_KEYS = {
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cache_creation_input_tokens": "cache_write_tokens",
    "cache_read_input_tokens": "cache_read_tokens",
}


@dataclass(slots=True)
class Spend:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0

    def add(self, other: Spend) -> None:
        for key, value in asdict(other).items():
            setattr(self, key, getattr(self, key) + value)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def of_record(cls, record: Mapping[str, Any]) -> Spend:
        """The spend a case record states (missing keys count 0; old reports had only some)."""
        data = record.get("spend")
        if isinstance(data, Mapping):
            return cls(**{k: _int(data.get(k)) for k in cls.__dataclass_fields__})
        return cls(
            requests=_int(record.get("exchanges")), output_tokens=_int(record.get("output_tokens"))
        )


def of_usage(usage: Any) -> Spend:
    """The tokens of one Message's usage object (not a request: the caller counts those)."""
    if not isinstance(usage, Mapping):
        return Spend()
    return Spend(**{ours: _int(usage.get(theirs)) for theirs, ours in USAGE_KEYS.items()})


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


class Tally:
    """A run's spend, in total and per suite, summed as case records come (one at a time)."""

    def __init__(self) -> None:
        self.total = Spend()
        self.suites: dict[str, Spend] = {}

    def add(self, case: Mapping[str, Any]) -> None:
        spent = Spend.of_record(case)
        self.total.add(spent)
        self.suites.setdefault(str(case.get("suite", "")), Spend()).add(spent)

    def to_dict(self) -> dict[str, Any]:
        """``{"total": {...}, "suites": {suite: {...}}}``."""
        return {
            "total": self.total.to_dict(),
            "suites": {name: s.to_dict() for name, s in sorted(self.suites.items())},
        }


def tally(cases: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"total": {...}, "suites": {suite: {...}}}`` over a run's case records."""
    summed = Tally()
    for case in cases:
        summed.add(case)
    return summed.to_dict()


def against(spent: Mapping[str, int], budgets: Mapping[str, int | None]) -> str:
    """One line: ``41 requests (of 100), tokens in 1,234 / out 567 (of 2,000), cache 0 / 0``."""
    requests = budgets.get("max_requests")
    output = budgets.get("max_output_tokens")
    return (
        f"{spent.get('requests', 0):,} requests{_of(requests)}, tokens in "
        f"{spent.get('input_tokens', 0):,} / out {spent.get('output_tokens', 0):,}{_of(output)}"
        f", cache write {spent.get('cache_write_tokens', 0):,} / read "
        f"{spent.get('cache_read_tokens', 0):,}"
    )


def _of(budget: int | None) -> str:
    return f" (of {budget:,})" if budget else " (no budget)"

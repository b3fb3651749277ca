"""Drift from recorded traffic: ``mconf drift RECORDING... [--format text|json]``.

Lists what real responses carry that our spec does not name: undeclared fields, unknown SSE
event types, undeclared headers and values outside the enums (sightings.py says how). Drift
is a notice, never a failure: the exit status is 0 whenever the inputs are usable, 2 (one
line on stderr) when one is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.spec import Spec
from ..recordings.cassette import UnusableInput
from .sightings import KINDS, DriftReport, Sighting

__all__ = ["render_text", "to_json"]

KIND_TITLES: Mapping[str, str] = {
    "field": "Undeclared response fields",
    "event": "Unknown SSE event types",
    "header": "Undeclared response headers",
    "value": "Values outside the spec's enums",
}


def to_json(report: DriftReport) -> dict[str, Any]:
    return {
        "exchanges": report.exchanges,
        "files": report.files,
        "counts": {kind: len(report.of_kind(kind)) for kind in KINDS},
        "drift": [s.to_dict() for kind in KINDS for s in report.of_kind(kind)],
    }


def render_text(report: DriftReport) -> str:
    counts = ", ".join(f"{len(report.of_kind(k))} {k}(s)" for k in KINDS)
    lines = [f"drift over {report.exchanges} exchange(s) in {report.files} file(s): {counts}"]
    for kind in KINDS:
        sightings = report.of_kind(kind)
        if sightings:
            lines += ["", f"{KIND_TITLES[kind]} (exchanges, first seen):"]
            lines += [_line(s) for s in sightings]
    if not report.sightings:
        lines += ["", "No drift: every field, event, header and value is in the spec."]
    return "\n".join(lines) + "\n"


def _line(sighting: Sighting) -> str:
    what = f"{sighting.context} {sighting.name}" if sighting.context else sighting.name
    return f"  {sighting.count:>5}  {what}  ({sighting.first_seen})"


def spec_for(folder: Path | None) -> Spec:
    if folder is not None and not (folder / "schemas").is_dir():
        raise UnusableInput(f"{folder}: not a spec folder (no schemas/); pass one like spec/")
    return Spec.load(folder)

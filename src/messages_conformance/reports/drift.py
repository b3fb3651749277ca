"""Drift from recorded traffic: ``mconf drift RECORDING... [--format text|json]``.

Lists what real responses carry that our spec does not name: undeclared fields, unknown SSE
event types, undeclared headers and values outside the enums (sightings.py says how). Drift
is a notice, never a failure: the exit status is 0 whenever the inputs are usable, 2 (one
line on stderr) when one is not.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from ..core.spec import Spec
from ..recordings.cassette import UnusableInput
from .sightings import KINDS, DriftReport, Sighting, find_drift

__all__ = ["drift_main", "render_text", "to_json"]

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


def _spec(folder: Path | None) -> Spec:
    if folder is not None and not (folder / "schemas").is_dir():
        raise UnusableInput(f"{folder}: not a spec folder (no schemas/); pass one like spec/")
    return Spec.load(folder)


def drift_main(argv: Sequence[str], stdout: IO[str], stderr: IO[str] | None = None) -> int:
    """``mconf drift RECORDING... [--format text|json]``: 0 when read, 2 on unusable input."""
    err = stderr or sys.stderr
    parser = argparse.ArgumentParser(
        prog="mconf drift", description="List what recorded responses carry that the spec omits."
    )
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="RECORDING",
        help="vcrpy cassettes, corpus exchanges, response bodies, or folders of them",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--spec-dir", type=Path, help="the contract to compare with (spec/)")
    try:
        args = parser.parse_args(list(argv))
        report = find_drift(args.paths, _spec(args.spec_dir))
    except SystemExit as exc:
        return int(exc.code or 0)
    except UnusableInput as exc:
        print(f"mconf drift: error: {exc}", file=err)
        return 2
    if args.format == "json":
        stdout.write(json.dumps(to_json(report), indent=2) + "\n")
    else:
        stdout.write(render_text(report))
    return 0

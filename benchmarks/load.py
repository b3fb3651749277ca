"""A long live run at `-n 4` against the reference gateway: memory stays flat, no result is lost.

    python benchmarks/load.py                 # about a minute of cases
    python benchmarks/load.py --minutes 10    # the full ten minutes
    python benchmarks/load.py --rounds 5      # exactly five rounds

The quick suites (auth, headers, requests, scenarios, errors) run live against the embedded
reference gateway (one per worker, loopback only), repeated ROUNDS times in one pytest session:
this file is also a tiny pytest plugin (`-p load`) that parametrizes every case with its round
(`[...-r7]`) and samples each process's resident memory (VmRSS, and the peak VmHWM, from
/proc/self/status) as cases finish. A one-round calibration run fixes ROUNDS for the asked
duration. Bounded: the loop has a fixed number of rounds, decided before it starts.

Printed: per worker, RSS and peak RSS once warm (after its first WARM cases) and at the end; the
controller's peak (evidence is kept for failing cases and the first 500 passing ones, so it
grows little with the run); and whether every case appears in report.json and junit.xml
exactly once. Exit 1 when a result is lost or duplicated, or a worker's RSS grows by more
than GROWTH_LIMIT_KIB per case.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUITES = ("auth", "headers", "requests", "scenarios", "errors")
ROUND = re.compile(r"r\d+")  # the id segment pytest_generate_tests below adds
WARM = 50  # cases a worker runs before its "start" sample: imports done, gateway up
SAMPLE_EVERY = 25
# A worker may grow this much RSS per finished case. pytest-xdist itself costs ~1.7 KiB per
# case (a trivial test, measured here); keeping each case's exchanges cost ~20 KiB.
GROWTH_LIMIT_KIB = 4.0
MEASURED = 500  # cases after warm-up before a per-case growth is judged (page-size noise)
RSS_DIR = "MCONF_LOAD_RSS_DIR"


# -- the pytest plugin (loaded in the run with `-p load`) ------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--load-rounds", type=int, default=1, help="repeat every case this often")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    rounds = metafunc.config.getoption("load_rounds")
    metafunc.fixturenames.append("load_round")
    metafunc.parametrize("load_round", range(rounds), ids=[f"r{n}" for n in range(rounds)])


class Sampler:
    """Memory samples of this process as cases finish, written at the end of the session."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.done = 0
        self.samples: list[dict[str, int]] = []
        self.first = self.last = 0.0

    def pytest_runtest_logfinish(self) -> None:
        self.done += 1
        self.last = time.monotonic()
        self.first = self.first or self.last
        if self.done == WARM or self.done % SAMPLE_EVERY == 0:
            self.samples.append({"cases": self.done, **memory_kib()})

    def pytest_unconfigure(self) -> None:
        folder = os.environ.get(RSS_DIR)
        if folder:
            final = {"cases": self.done, **memory_kib()}
            data = {"name": self.name, "samples": [*self.samples, final], "busy_s": self.busy()}
            (Path(folder) / f"{self.name}.json").write_text(json.dumps(data))

    def busy(self) -> float:
        """Seconds from the first finished case to the last (start-up and reports left out)."""
        return self.last - self.first


def pytest_configure(config: pytest.Config) -> None:
    worker = getattr(config, "workerinput", None)
    name = worker["workerid"] if worker else "controller"
    config.pluginmanager.register(Sampler(name), "mconf-load-sampler")


def memory_kib() -> dict[str, int]:
    """Resident set size now and its peak (high-water mark), KiB."""
    fields: dict[str, int] = {}
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rss": fields.get("VmRSS", peak), "hwm": fields.get("VmHWM", peak)}


# -- the benchmark ----------------------------------------------------------------------------


def session_args(folder: Path, report_dir: Path, workers: int, rounds: int) -> list[str]:
    suites = ROOT / "suites"
    paths = [str(suites / f"test_{name}.py") for name in SUITES]
    return [
        *paths,
        "-c",
        str(suites / "pytest.ini"),
        f"--rootdir={suites}",
        "-p",
        "no:cacheprovider",
        "-p",
        "load",
        "--load-rounds",
        str(rounds),
        "--mode",
        "live",
        "--report-dir",
        str(report_dir),
        f"--junitxml={report_dir / 'junit.xml'}",
        "-n",
        str(workers),
        "-q",
    ]


def run(workers: int, rounds: int, folder: Path) -> dict[str, Any]:
    """One live pytest session of ROUNDS rounds; its report, memory samples and wall time."""
    report_dir, rss_dir = folder / f"r{rounds}-report", folder / f"r{rounds}-rss"
    rss_dir.mkdir(parents=True)
    env = {**os.environ, RSS_DIR: str(rss_dir), "PYTHONPATH": _pythonpath()}
    env.pop("MCONF_GATEWAY_API_KEY", None)
    began = time.perf_counter()
    command = [sys.executable, "-m", "pytest", *session_args(folder, report_dir, workers, rounds)]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if done.returncode not in (0, 1):
        raise SystemExit(
            f"pytest exit {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    report = json.loads((report_dir / "report.json").read_text())
    memory = [json.loads(p.read_text()) for p in sorted(rss_dir.glob("*.json"))]
    if os.environ.get("MCONF_LOAD_DUMP"):  # every sample, for a closer look
        Path(os.environ["MCONF_LOAD_DUMP"]).write_text(json.dumps(memory))
    return {"report": report, "memory": memory, "wall": wall, "junit": report_dir / "junit.xml"}


def _pythonpath() -> str:
    here = str(Path(__file__).resolve().parent)
    return os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)


def base_id(case_id: str) -> str:
    """A case id without its round: `t[json-r3-x]` -> `t[json-x]`, `t[r3]` -> `t`."""
    head, bracket, params = case_id.partition("[")
    if not bracket:
        return case_id
    kept = [part for part in params[:-1].split("-") if not ROUND.fullmatch(part)]
    return f"{head}[{'-'.join(kept)}]" if kept else head


def lost_or_duplicated(result: dict[str, Any], expected: set[str], rounds: int) -> list[str]:
    """Problems with the results: every expected case exactly once per round, in both files."""
    ids = [case["id"] for case in result["report"]["cases"]]
    problems = [f"report.json: {i} appears {n} times" for i, n in Counter(ids).items() if n > 1]
    per_base = Counter(base_id(i) for i in ids)
    problems += [
        f"{b}: {per_base[b]} of {rounds} rounds" for b in expected if per_base[b] != rounds
    ]
    problems += [f"unexpected case {b}" for b in set(per_base) - expected]
    junit = len(ET.parse(result["junit"]).getroot().findall(".//testcase"))
    if junit != len(ids):
        problems.append(f"junit.xml has {junit} test cases, report.json {len(ids)}")
    return problems


def memory_table(memory: list[dict[str, Any]]) -> tuple[list[str], bool]:
    lines = [
        f"{'process':<11}{'cases':>7}{'RSS warm':>10}{'RSS end':>9}{'peak warm':>11}"
        f"{'peak end':>10}{'growth':>8}{'KiB/case':>10}   (MiB; warm: after {WARM} cases)"
    ]
    flat = True
    for entry in memory:
        samples = entry["samples"]
        warm = next((s for s in samples if s["cases"] >= WARM), samples[0])
        end = samples[-1]
        growth = (end["rss"] - warm["rss"]) / warm["rss"]
        measured = end["cases"] - warm["cases"]
        per_case = (end["rss"] - warm["rss"]) / measured if measured >= MEASURED else None
        if entry["name"] != "controller" and per_case is not None:
            flat = flat and per_case <= GROWTH_LIMIT_KIB
        shown = "-" if per_case is None else f"{per_case:.1f}"
        lines.append(
            f"{entry['name']:<11}{end['cases']:>7}{_mib(warm['rss']):>10}{_mib(end['rss']):>9}"
            f"{_mib(warm['hwm']):>11}{_mib(end['hwm']):>10}{growth:>+8.1%}{shown:>10}"
        )
    return lines, flat


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def _seconds_per_round(result: dict[str, Any]) -> float:
    """Seconds one round takes once the workers are up: the controller's first to last case."""
    controller = next(m for m in result["memory"] if m["name"] == "controller")
    cases = controller["samples"][-1]["cases"]
    return max(controller["busy_s"] * cases / max(cases - 1, 1), 0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="run about this long (1)")
    parser.add_argument("--rounds", type=int, help="exactly this many rounds (skips calibration)")
    parser.add_argument("-n", "--workers", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        calibration = run(args.workers, 1, folder)
        expected = {base_id(c["id"]) for c in calibration["report"]["cases"]}
        per_round = _seconds_per_round(calibration)
        rounds = args.rounds or max(2, math.ceil(args.minutes * 60 / per_round))
        print(f"calibration: {len(expected)} cases per round, about {per_round:.2f} s per round")
        print(f"load run: {rounds} rounds x {len(expected)} cases at -n {args.workers} ...")
        result = run(args.workers, rounds, folder)
        problems = lost_or_duplicated(result, expected, rounds)
        lines, flat = memory_table(result["memory"])
    report = result["report"]
    counts = report["counts"]
    print(
        f"wall time {result['wall']:.1f} s, {counts['cases']} cases, "
        f"{counts['cases'] / result['wall']:.0f} cases/s, verdict {report['verdict']}, "
        f"passed {counts['passed']}, skipped {counts['skipped']}, failed {counts['failed']}, "
        f"errors {counts['errors']}"
    )
    print("\n".join(lines))
    print(f"every case exactly once (report.json and junit.xml): {'yes' if not problems else 'NO'}")
    for problem in problems[:20]:
        print(f"  {problem}")
    verdict = "yes" if flat else "NO"
    print(f"worker memory flat (<= {GROWTH_LIMIT_KIB} KiB per case): {verdict}")
    return 0 if not problems and flat and report["verdict"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())

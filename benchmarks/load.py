"""A long live `mconf run` at `-n N` against the reference gateway: memory stays flat, no result
is lost.

    python benchmarks/load.py                       # about a minute of cases
    python benchmarks/load.py --minutes 10 -n 2     # the issue's ten-minute load run
    python benchmarks/load.py --rounds 5            # exactly five rounds

The quick suites (auth, headers, requests, scenarios, errors) run live through `mconf run`
against the embedded reference gateway (one per worker, loopback only), repeated ROUNDS times in
one pytest session: this file is also a tiny pytest plugin (loaded with PYTEST_PLUGINS=load)
that parametrizes every case with its round (`[...-r7]`) and samples each process's resident
memory (VmRSS, and the peak VmHWM, from /proc/self/status) as cases finish, when the session
ends (before the reports are written) and after. The controller is the `mconf run` process
itself; its peak at exit includes writing report.json, junit.xml, summary.md, report.html and
reading the verdict. A one-round calibration run fixes ROUNDS for the asked duration. Bounded:
the loop has a fixed number of rounds, decided before it starts.

Printed: the controller's RSS at the start, every minute, at the end of the cases, its peak
while writing the reports, and KiB per case of growth; per worker, RSS once warm and at the
end; and whether every case appears in report.json and junit.xml exactly once. Exit 1 when a
result is lost or duplicated, a worker grows by more than GROWTH_LIMIT_KIB per case, or the
controller by more than CONTROLLER_LIMIT_KIB per case or past CONTROLLER_LIMIT_MIB.
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

from messages_conformance.reports.report_stream import read

ROOT = Path(__file__).resolve().parents[1]
SUITES = ("auth", "headers", "requests", "scenarios", "errors")
ROUND = re.compile(r"r\d+")  # the id segment pytest_generate_tests below adds
WARM = 50  # cases a worker runs before its "start" sample: imports done, gateway up
SAMPLE_EVERY = 25
# A worker may grow this much RSS per finished case. pytest-xdist itself costs ~1.7 KiB per
# case (a trivial test, measured here); keeping each case's exchanges cost ~20 KiB.
GROWTH_LIMIT_KIB = 4.0
CONTROLLER_LIMIT_KIB = 0.5  # the controller keeps nothing per case (issue 14: flat)
CONTROLLER_LIMIT_MIB = 300.0
MEASURED = 500  # cases after warm-up before a per-case growth is judged (page-size noise)
CALIBRATION_ROUNDS = 10  # one round is mostly start-up: the estimate came out 2x long
RSS_DIR = "MCONF_LOAD_RSS_DIR"
ROUNDS_ENV = "MCONF_LOAD_ROUNDS"
# `mconf run` in a process that writes its own peak memory when the run is over
LAUNCHER = """
import json, os, sys
from messages_conformance.cli.main import run
code = run(sys.argv[1:])
sys.path.insert(0, os.environ["MCONF_LOAD_BENCH"])
from load import memory_kib
with open(os.path.join(os.environ["MCONF_LOAD_RSS_DIR"], "exit.json"), "w") as f:
    json.dump(memory_kib(), f)
sys.exit(code)
"""


# -- the pytest plugin (loaded in the run with `-p load`) ------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    rounds = int(os.environ.get(ROUNDS_ENV, "1"))
    parser.addoption("--load-rounds", type=int, default=rounds, help="repeat every case")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    rounds = metafunc.config.getoption("load_rounds")
    metafunc.fixturenames.append("load_round")
    metafunc.parametrize("load_round", range(rounds), ids=[f"r{n}" for n in range(rounds)])


class Sampler:
    """Memory samples of this process as cases finish, written at the end of the session."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.done = 0
        self.samples: list[dict[str, float]] = []
        self.first = self.last = 0.0
        self.began = time.monotonic()
        self.ending: dict[str, float] = {}

    def pytest_runtest_logfinish(self) -> None:
        self.done += 1
        self.last = time.monotonic()
        self.first = self.first or self.last
        if self.done == WARM or self.done % SAMPLE_EVERY == 0:
            self.samples.append(self.sample())

    def sample(self) -> dict[str, float]:
        return {"cases": self.done, "t": time.monotonic() - self.began, **memory_kib()}

    @pytest.hookimpl(tryfirst=True)  # before the reports are written
    def pytest_sessionfinish(self) -> None:
        self.ending = self.sample()

    def pytest_unconfigure(self) -> None:
        folder = os.environ.get(RSS_DIR)
        if folder:
            final = self.sample()
            data = {
                "name": self.name,
                "samples": [*self.samples, final],
                "cases_done": self.ending or final,
                "busy_s": self.busy(),
            }
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


def mconf_args(report_dir: Path, workers: int) -> list[str]:
    suites = [item for name in SUITES for item in ("--suite", name)]
    shown = ["--no-progress", "-q"]
    return [*suites, "--mode", "live", "--report-dir", str(report_dir), "-n", str(workers), *shown]


def run(workers: int, rounds: int, folder: Path) -> dict[str, Any]:
    """One live `mconf run` of ROUNDS rounds; its report's case ids, counts, memory samples,
    wall time."""
    report_root, rss_dir = folder / f"r{rounds}-reports", folder / f"r{rounds}-rss"
    rss_dir.mkdir(parents=True)
    env = {
        **os.environ,
        RSS_DIR: str(rss_dir),
        ROUNDS_ENV: str(rounds),
        "PYTEST_PLUGINS": "load",
        "PYTHONPATH": _pythonpath(),
        "MCONF_LOAD_BENCH": str(Path(__file__).resolve().parent),
    }
    for name in ("MCONF_GATEWAY_API_KEY", "CI", "GITHUB_ACTIONS"):
        env.pop(name, None)
    began = time.perf_counter()
    command = [sys.executable, "-c", LAUNCHER, "run", *mconf_args(report_root, workers)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if done.returncode not in (0, 1):
        raise SystemExit(
            f"mconf exit {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    run_dir = next(p for p in report_root.iterdir() if p.name != "latest")
    memory = [json.loads(p.read_text()) for p in sorted(rss_dir.glob("*.json"))]
    exit_memory = next((m for m in memory if "samples" not in m), None)
    memory = [m for m in memory if "samples" in m]
    if os.environ.get("MCONF_LOAD_DUMP"):  # every sample, for a closer look
        Path(os.environ["MCONF_LOAD_DUMP"]).write_text(json.dumps(memory))
    ids: Counter[str] = Counter()
    report = read(run_dir / "report.json", keep=lambda case: bool(ids.update([case["id"]])))
    return {
        "report": report,
        "ids": ids,
        "memory": memory,
        "exit": exit_memory,
        "wall": wall,
        "junit": run_dir / "junit.xml",
        "files": sorted(p.name for p in run_dir.iterdir()),
        "sizes": {p.name: p.stat().st_size for p in run_dir.iterdir()},
    }


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
    """Problems with the results: every expected case exactly once per round, in both files,
    and nothing but the four files in the run folder."""
    ids = list(result["ids"].elements())
    problems = [f"report.json: {i} appears {n} times" for i, n in result["ids"].items() if n > 1]
    if result["files"] != ["junit.xml", "report.html", "report.json", "summary.md"]:
        problems.append(f"run folder holds {result['files']}")
    per_base = Counter(base_id(i) for i in ids)
    problems += [
        f"{b}: {per_base[b]} of {rounds} rounds" for b in expected if per_base[b] != rounds
    ]
    problems += [f"unexpected case {b}" for b in set(per_base) - expected]
    junit = _testcases(result["junit"])
    if junit != len(ids):
        problems.append(f"junit.xml has {junit} test cases, report.json {len(ids)}")
    return problems


def _testcases(path: Path) -> int:
    """How many test cases junit.xml holds (read as a stream)."""
    count = 0
    for _, element in ET.iterparse(path):
        if element.tag == "testcase":
            count += 1
            element.clear()
    return count


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


def controller_lines(result: dict[str, Any]) -> tuple[list[str], bool]:
    """The controller over time: start, every minute, the end of the cases, writing the
    reports, the process's exit (after the verdict was read); KiB per case; within limits?"""
    entry = next(m for m in result["memory"] if m["name"] == "controller")
    samples, done = entry["samples"], entry["cases_done"]
    warm = next((s for s in samples if s["cases"] >= WARM), samples[0])
    rows = [("start (warm)", warm)]
    minute = 1
    for sample in samples[:-1]:  # the last one is taken after the reports were written
        if sample["t"] >= 60 * minute:
            rows.append((f"minute {minute}", sample))
            minute = int(sample["t"] // 60) + 1
    rows += [("cases done", done), ("reports written", samples[-1])]
    if result["exit"]:
        rows.append(("exit (verdict read)", {"cases": done["cases"], "t": 0, **result["exit"]}))
    lines = [f"{'controller':<22}{'cases':>8}{'s':>7}{'RSS MiB':>9}{'peak MiB':>10}"]
    for label, s in rows:
        lines.append(
            f"{label:<22}{s['cases']:>8}{s['t']:>7.0f}{_mib(s['rss']):>9}{_mib(s['hwm']):>10}"
        )
    measured = done["cases"] - warm["cases"]
    per_case = (done["rss"] - warm["rss"]) / measured if measured >= MEASURED else None
    settled = next((s for s in samples if s["cases"] >= done["cases"] // 2), warm)
    later = done["cases"] - settled["cases"]
    late = (done["rss"] - settled["rss"]) / later if later >= MEASURED else None
    peak = max(s["hwm"] for _, s in rows) / 1024
    writing = max(rows[-1][1]["hwm"], samples[-1]["hwm"]) - done["hwm"]
    lines.append(
        f"controller growth per case: {'-' if per_case is None else f'{per_case:.3f}'} KiB "
        f"over {measured} cases ({'-' if late is None else f'{late:.3f}'} KiB over the second "
        f"half); peak {peak:.1f} MiB; writing the reports and reading the verdict raised the "
        f"peak by {writing / 1024:.1f} MiB"
    )
    # judged on the second half: the first cases fill bounded buffers (the spool's 2 MiB,
    # evidence of the first 500 passing cases, the progress count's recent ids)
    slope = late if late is not None else per_case
    flat = (slope is None or slope <= CONTROLLER_LIMIT_KIB) and peak < CONTROLLER_LIMIT_MIB
    return lines, flat


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f}"


def _seconds_per_round(result: dict[str, Any]) -> float:
    """Seconds one round takes once the workers are up: the controller's first to last case."""
    controller = next(m for m in result["memory"] if m["name"] == "controller")
    cases = controller["samples"][-1]["cases"]
    busy: float = controller["busy_s"]
    return float(max(busy * cases / max(cases - 1, 1), 0.05))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="run about this long (1)")
    parser.add_argument("--rounds", type=int, help="exactly this many rounds (skips calibration)")
    parser.add_argument("-n", "--workers", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        calibration = run(args.workers, CALIBRATION_ROUNDS, folder)
        expected = {base_id(i) for i in calibration["ids"]}
        per_round = _seconds_per_round(calibration) / CALIBRATION_ROUNDS
        rounds = args.rounds or max(2, math.ceil(args.minutes * 60 / per_round))
        print(f"calibration: {len(expected)} cases per round, about {per_round:.2f} s per round")
        print(f"load run: {rounds} rounds x {len(expected)} cases at -n {args.workers} ...")
        result = run(args.workers, rounds, folder)
        problems = lost_or_duplicated(result, expected, rounds)
        lines, flat = memory_table(result["memory"])
        timeline, controller_flat = controller_lines(result)
    report = result["report"]
    counts = report["counts"]
    print(
        f"wall time {result['wall']:.1f} s, {counts['cases']} cases, "
        f"{counts['cases'] / result['wall']:.0f} cases/s, verdict {report['verdict']}, "
        f"passed {counts['passed']}, skipped {counts['skipped']}, failed {counts['failed']}, "
        f"errors {counts['errors']}"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sizes = ", ".join(f"{name} {size / 2**20:.1f} MiB" for name, size in result["sizes"].items())
    print(f"files: {sizes}")
    print("\n".join(timeline))
    print("\n".join(lines))
    print(f"every case exactly once (report.json and junit.xml): {'yes' if not problems else 'NO'}")
    for problem in problems[:20]:
        print(f"  {problem}")
    verdict = "yes" if flat else "NO"
    print(f"worker memory flat (<= {GROWTH_LIMIT_KIB} KiB per case): {verdict}")
    print(
        f"controller flat (<= {CONTROLLER_LIMIT_KIB} KiB per case over the second half, peak < "
        f"{CONTROLLER_LIMIT_MIB:.0f} MiB): {'yes' if controller_flat else 'NO'}"
    )
    good = not problems and flat and controller_flat and report["verdict"] == "pass"
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())

"""Turn capture files (capture.sh OUT_DIR) into the clients suite's fixtures: one JSON file per
client run, named by client and version, keys already redacted by the capture.

    python examples/clients/fixtures.py OUT_DIR suites/clients
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# capture name -> (client, npm package whose installed version is the client's, scenario)
RUNS = {
    "claude-code-plain": ("claude-code", "@anthropic-ai/claude-code", "plain prompt"),
    "claude-code-tool": ("claude-code", "@anthropic-ai/claude-code", "prompt that calls Read"),
    "ts-sdk": ("anthropic-sdk-typescript", "@anthropic-ai/sdk", "ts-sdk.mjs steps"),
    "ai-sdk": ("vercel-ai-sdk", "@ai-sdk/anthropic", "ai-sdk.mjs steps"),
    "python-sdk": ("anthropic-sdk-python", None, "suite/oracle.py steps"),
}


def version_of(package: str | None) -> str:
    if package is None:
        import anthropic

        return anthropic.__version__
    manifest = HERE / "node_modules" / package / "package.json"
    version = json.loads(manifest.read_text())["version"]
    if package == "@ai-sdk/anthropic":  # the provider and its `ai` core, both pinned
        core = json.loads((HERE / "node_modules" / "ai" / "package.json").read_text())["version"]
        return f"{version}+ai-{core}"
    return str(version)


def main(captured: Path, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for run, (client, package, scenario) in RUNS.items():
        source = captured / f"{run}.jsonl"
        if not source.is_file():
            print(f"{run}: not captured", file=sys.stderr)
            continue
        requests = [json.loads(line) for line in source.read_text().splitlines() if line]
        fixture = {
            "client": client,
            "version": version_of(package),
            "scenario": scenario,
            "requests": requests,
        }
        target = out / f"{run}.json"
        target.write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n")
        statuses = sorted({r["status"] for r in requests})
        print(f"{target}: {fixture['client']} {fixture['version']}, {len(requests)} requests {statuses}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))

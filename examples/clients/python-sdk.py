"""Drives the official Python SDK against ANTHROPIC_BASE_URL through every path the oracle
suite uses; one JSON line per step, exit 1 if any step raised.

    ANTHROPIC_BASE_URL=http://127.0.0.1:8089 ANTHROPIC_API_KEY=... python python-sdk.py
"""

from __future__ import annotations

import json
import os
import sys

from messages_conformance.suite.oracle import STEPS, client_for


def main() -> int:
    client = client_for(os.environ["ANTHROPIC_BASE_URL"], os.environ["ANTHROPIC_API_KEY"])
    model = os.environ.get("MCONF_MODEL", "claude-sonnet-4-6")
    failed = 0
    for name, step in STEPS.items():
        try:
            print(json.dumps({"step": name, "ok": True, "result": str(step(client, model))}))
        except Exception as error:  # noqa: BLE001 - every SDK exception is the finding
            failed += 1
            print(
                json.dumps(
                    {"step": name, "ok": False, "error": f"{type(error).__name__}: {error}"[:500]}
                )
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# CI: the transit suite around a real LiteLLM proxy (pinned, its own venv, loopback only).
# Bounded: 15 minutes to install, 10 to run. Passes when the run finds exactly the deviations
# triaged in examples/gateways/litellm/expected-errors.txt; a registry that cannot deliver
# LiteLLM skips this step with a reason (the rest of CI still runs).
set -uo pipefail
cd "$(dirname "$0")/.."

example=examples/gateways/litellm
venv="${MCONF_LITELLM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mconf/litellm-1.106.12}"
export MCONF_LITELLM_VENV="$venv"

if [ ! -x "$venv/bin/litellm" ]; then
  if ! timeout 900 bash -c "python3 -m venv '$venv' && '$venv/bin/python' -m pip install -q 'litellm[proxy]==1.106.12' prisma"; then
    echo "litellm: could not be installed from the registry; skipping the LiteLLM transit run"
    rm -rf "$venv"
    exit 0
  fi
fi

reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT
timeout 600 "$example/run.sh" --suite transit -q --no-progress --report-dir "$reports"
code=$?
if [ "$code" -ne 0 ] && [ "$code" -ne 1 ]; then
  echo "litellm: the transit run did not complete (exit $code)"
  exit 1
fi
python3 - "$reports/latest/report.json" "$example/expected-errors.txt" <<'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
found = {
    (case["id"].split("::", 1)[1], finding["rule"])
    for case in report["cases"]
    for finding in case["findings"]
    if finding["severity"] == "error"
}
lines = open(sys.argv[2], encoding="utf-8").read().splitlines()
expected = {tuple(line.split("\t")) for line in lines if line and not line.startswith("#")}
new, gone = sorted(found - expected), sorted(expected - found)
for case, rule in new:
    print(f"litellm: new deviation: {case} {rule}")
for case, rule in gone:
    print(f"litellm: expected deviation no longer seen: {case} {rule} (update {sys.argv[2]})")
print(f"litellm: {len(found)} error finding(s), {len(expected)} expected")
sys.exit(1 if new or gone else 0)
PY

#!/usr/bin/env bash
# mconf in transit around a real LiteLLM proxy, loopback only:
#   mconf (client) -> LiteLLM proxy -> mconf's scripted upstream
# Installs the pinned LiteLLM into its own venv (once), starts it on a free port with an
# anthropic/ model whose api_base is the upstream, runs `mconf run --base-url ... --upstream ...`
# with any extra arguments given here, and stops it. Exits with mconf's exit code.
#
#   examples/gateways/litellm/run.sh --suite transit -q
#
# MCONF_LITELLM_VENV overrides where the venv lives; MCONF (default: mconf) the mconf command.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
version="1.106.12"  # the newest that resolves here; never 1.107.x (a compromised release)
venv="${MCONF_LITELLM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mconf/litellm-$version}"
mconf="${MCONF:-mconf}"

installed() {
  "$venv/bin/python" - "$version" 2>/dev/null <<'PY'
import importlib.metadata as m, sys
sys.exit(m.version("litellm") != sys.argv[1])
PY
}

if ! installed; then
  echo "litellm: installing litellm[proxy]==$version into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q "litellm[proxy]==$version" prisma >&2
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
token() { python3 -c 'import secrets; print(secrets.token_hex(20))'; }

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

gateway_port="$(free_port)"
upstream_port="$(free_port)"
# keys live in the environment only: the master key the client presents to LiteLLM, and the
# key LiteLLM is given for the upstream (mconf checks the upstream gets that one, not the other)
LITELLM_MASTER_KEY="sk-$(token)"
LITELLM_UPSTREAM_KEY="sk-ant-$(token)"
export LITELLM_MASTER_KEY LITELLM_UPSTREAM_KEY
sed "s/@UPSTREAM_PORT@/$upstream_port/" "$here/config.yaml" > "$work/config.yaml"

# no outbound calls: the bundled model cost map, no telemetry, no update checks
LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False NO_DOCS=True \
  "$venv/bin/litellm" --config "$work/config.yaml" --host 127.0.0.1 --port "$gateway_port" \
  > "$work/litellm.log" 2>&1 &
pid=$!

for _ in $(seq 1 180); do
  if python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$gateway_port/health/liveliness', timeout=1)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "litellm: the proxy exited at start; its log (lines naming a key left out):" >&2
    grep -v -F -e "$LITELLM_MASTER_KEY" -e "$LITELLM_UPSTREAM_KEY" "$work/litellm.log" | tail -20 >&2
    exit 2
  fi
  sleep 1
done

set +e
"$mconf" run --base-url "http://127.0.0.1:$gateway_port" --api-key-env LITELLM_MASTER_KEY \
  --model claude-sonnet-4-6 --upstream "127.0.0.1:$upstream_port" \
  --upstream-key-env LITELLM_UPSTREAM_KEY "$@"
code=$?
set -e
exit "$code"

#!/usr/bin/env bash
# Capture what real clients send: `mconf serve` on a free loopback port, the capture in front
# of it, each client pointed at the capture. Writes OUT/<client>.jsonl (keys redacted) and
# OUT/<client>.log (the client's own output). Needs `mconf` on PATH and `npm ci` done here.
#   bash examples/clients/capture.sh OUT_DIR
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mkdir -p "${1:?usage: capture.sh OUT_DIR}" && cd "$1" && pwd)"
command -v mconf >/dev/null || { echo "capture.sh: mconf is not on PATH (activate the venv)" >&2; exit 2; }
py="$(head -1 "$(command -v mconf)" | sed 's/^#!//')"  # the interpreter mconf (and anthropic) live in
[ -d "$here/node_modules" ] || { echo "capture.sh: $here/node_modules is missing; run bash .ci/clients.sh first (installs the pinned clients)" >&2; exit 2; }
"$py" -c 'import anthropic' 2>/dev/null || { echo "capture.sh: the anthropic SDK is not installed; pip install -c constraints.txt -e '.[dev]'" >&2; exit 2; }
key="mconf-capture-key"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mconf serve --port "$port" --api-key "$key" >"$out/gateway.log" 2>&1 &
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

capture() {  # capture NAME COMMAND...: run COMMAND with ANTHROPIC_BASE_URL at a fresh capture
  local name=$1; shift
  rm -f "$out/$name.jsonl"
  python3 "$here/capture.py" --upstream "http://127.0.0.1:$port" --out "$out/$name.jsonl" \
    --scrub="$work=/tmp/mconf-capture" --scrub="${work//[\/.]/-}=-tmp-mconf-capture" >"$work/$name.url" &
  local pid=$!
  for _ in $(seq 100); do [ -s "$work/$name.url" ] && break; sleep 0.1; done
  ANTHROPIC_BASE_URL="$(head -1 "$work/$name.url")" ANTHROPIC_API_KEY="$key" \
    timeout 300 "$@" >"$out/$name.log" 2>&1
  local rc=$?
  [ "$rc" -eq 0 ] || failed=$((failed + 1))
  echo "$name: exit $rc ($(wc -l <"$out/$name.jsonl" 2>/dev/null || echo 0) requests)"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}

failed=0
claude="$here/node_modules/@anthropic-ai/claude-code-linux-x64/claude"
export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1 \
  DISABLE_AUTOUPDATER=1 HOME="$work/home"
mkdir -p "$work/home" "$work/project" && echo "mconf capture" >"$work/project/README.md"
capture claude-code-plain bash -c "cd '$work/project' && '$claude' -p 'Say hello.' --output-format json"
capture claude-code-tool bash -c "cd '$work/project' && '$claude' -p 'Call the Read tool with file_path: \"$work/project/README.md\"' --output-format json"
capture ts-sdk node "$here/ts-sdk.mjs"
capture ai-sdk node "$here/ai-sdk.mjs"
capture python-sdk "$py" "$here/python-sdk.py"
exit $((failed > 0))

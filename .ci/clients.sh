#!/usr/bin/env bash
# Real clients for the clients suite and the Claude Code test: the pinned npm packages of
# examples/clients/package-lock.json (Claude Code and its native binary, the TypeScript SDK,
# the Vercel AI SDK). Idempotent (skips when node_modules matches the lock), bounded in time,
# registry only. Without node/npm the tests that need them skip with a reason.
set -uo pipefail
cd "$(dirname "$0")/../examples/clients" || exit 0
if ! command -v npm >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq nodejs npm >/dev/null) \
    || { echo "clients.sh: node/npm could not be installed; real-client tests will skip"; exit 0; }
fi
stamp=node_modules/.mconf-lock
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  echo "clients.sh: node_modules already matches package-lock.json"
  exit 0
fi
if timeout 900 npm ci --no-audit --no-fund --loglevel=error; then
  cp package-lock.json "$stamp"
  echo "clients.sh: installed $(node_modules/@anthropic-ai/claude-code-linux-x64/claude --version 2>/dev/null || echo 'claude: not runnable')"
else
  echo "clients.sh: npm ci failed; real-client tests will skip"
fi
exit 0

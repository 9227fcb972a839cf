#!/usr/bin/env bash
# Installs the local OpenID Connect provider (devidp/, npm ci from its lock file) if missing, and starts it.
# Usage: scripts/devidp.sh DATA_DIR [PORT] [APP_ORIGIN] ; prints the PID on stdout once it answers.
#        scripts/devidp.sh --install-only
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$root/devidp/node_modules/oidc-provider" ] || [ "$root/devidp/package-lock.json" -nt "$root/devidp/node_modules/.package-lock.json" ]; then
  echo "Installing the local sign-in provider (npm ci in devidp/) ..." >&2
  (cd "$root/devidp" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
[[ "${1:-}" == "--install-only" ]] && exit 0
command -v openssl >/dev/null || { echo "openssl is needed to make the local provider's TLS certificate" >&2; exit 2; }
data=${1:?data folder}
port=${2:-7080}
origin=${3:-http://localhost:7071}
mkdir -p "$data"
node "$root/devidp/server.mjs" --data "$data" --port "$port" --app-origin "$origin" >"$data/devidp.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if ! kill -0 "$pid" 2>/dev/null; then echo "The local sign-in provider exited at start; see $data/devidp.log" >&2; exit 1; fi
  if grep -qx ready "$data/devidp.log" 2>/dev/null; then echo "$pid"; exit 0; fi
  sleep 0.1
done
echo "The local sign-in provider did not answer in 10 s; see $data/devidp.log" >&2
kill "$pid" 2>/dev/null || true
exit 1

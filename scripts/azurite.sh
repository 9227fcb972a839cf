#!/usr/bin/env bash
# Installs the pinned Azurite (npm) into .tools/ if missing, and starts it with its data in the folder given.
# Usage: scripts/azurite.sh DATA_DIR [BLOB_PORT] ; prints the PID on stdout.
# AZURITE_IN_MEMORY=1 keeps the data in memory only (no periodic save of the whole store to DATA_DIR).
# AZURITE_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" runs Azurite under node with those flags (profiling; docs/BENCHMARKS.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=3.37.0
data=${1:?data folder}
blob=${2:-10000}
bin="$root/.tools/node_modules/.bin/azurite"
if [ ! -x "$bin" ] || ! grep -q "\"version\": \"$version\"" "$root/.tools/node_modules/azurite/package.json" 2>/dev/null; then
  echo "Installing Azurite $version from npm ..." >&2
  mkdir -p "$root/.tools"
  npm install --prefix "$root/.tools" --no-audit --no-fund --loglevel=error "azurite@$version" >&2
fi
mkdir -p "$data"
store=(--location "$data")
[[ "${AZURITE_IN_MEMORY:-}" == "1" ]] && store=(--inMemoryPersistence)
node_args=()
[[ -n "${AZURITE_NODE_ARGS:-}" ]] && read -r -a node_args <<<"$AZURITE_NODE_ARGS"
node "${node_args[@]}" "$root/.tools/node_modules/azurite/dist/src/azurite.js" "${store[@]}" --silent --skipApiVersionCheck \
  --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort $((blob + 1)) \
  --tableHost 127.0.0.1 --tablePort $((blob + 2)) >"$data/azurite.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if (exec 3<>/dev/tcp/127.0.0.1/$((blob + 2))) 2>/dev/null; then echo "$pid"; exit 0; fi
  sleep 0.2
done
echo "Azurite did not start; see $data/azurite.log" >&2
exit 1

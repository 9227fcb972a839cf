#!/usr/bin/env bash
# Installs the pinned Azurite (npm) into .tools/ if missing, and starts it with its data in the folder given.
# Usage: scripts/azurite.sh DATA_DIR [BLOB_PORT] ; prints the PID on stdout once all three ports answer.
#        scripts/azurite.sh --install-only
# AZURITE_IN_MEMORY=1 keeps the data in memory only (no periodic save of the whole store to DATA_DIR).
# AZURITE_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" runs Azurite under node with those flags (profiling; docs/BENCHMARKS.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=3.37.0
bin="$root/.tools/node_modules/.bin/azurite"
if [ ! -x "$bin" ] || ! grep -q "\"version\": \"$version\"" "$root/.tools/node_modules/azurite/package.json" 2>/dev/null; then
  echo "Installing Azurite $version from npm ..." >&2
  mkdir -p "$root/.tools"
  npm install --prefix "$root/.tools" --no-audit --no-fund --loglevel=error "azurite@$version" >&2
fi
[[ "${1:-}" == "--install-only" ]] && exit 0
data=${1:?data folder}
blob=${2:-10000}
mkdir -p "$data"
store=(--location "$data")
[[ "${AZURITE_IN_MEMORY:-}" == "1" ]] && store=(--inMemoryPersistence)
node_args=()
[[ -n "${AZURITE_NODE_ARGS:-}" ]] && read -r -a node_args <<<"$AZURITE_NODE_ARGS"
node "${node_args[@]}" "$root/.tools/node_modules/azurite/dist/src/azurite.js" "${store[@]}" --silent --skipApiVersionCheck \
  --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort $((blob + 1)) \
  --tableHost 127.0.0.1 --tablePort $((blob + 2)) >"$data/azurite.log" 2>&1 &
pid=$!
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 150); do
  # Azurite dies at once when a port is taken: say so rather than wait for another process's port to answer.
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "Azurite exited at start (a port of $blob-$((blob + 2)) in use?); see $data/azurite.log" >&2
    exit 1
  fi
  # Every service, not just one: blob, queue and table start one after another.
  if answers "$blob" && answers $((blob + 1)) && answers $((blob + 2)); then
    # Still ours a moment later: a port answered by another process would have made Azurite exit by now.
    sleep 0.3
    if kill -0 "$pid" 2>/dev/null; then echo "$pid"; exit 0; fi
  fi
  sleep 0.2
done
kill "$pid" 2>/dev/null || true
echo "Azurite did not start within 30 s; see $data/azurite.log" >&2
exit 1

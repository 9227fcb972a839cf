#!/usr/bin/env bash
# The reliability rounds on ./run.sh as a new user runs it: a burst of 300 small surveys twice, then Azurite stopped for
# 20 s in the middle of a 20,000-row survey and 20 small ones, and started again on the same data folder.
# Starts ./run.sh itself (fresh .data/azurite), prints the figures, stops everything. Exit 0 when nothing was lost.
# RELIABILITY_BURST_ROUNDS=0 skips the burst; RELIABILITY_LOG=FILE keeps the host log.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
dotnet build bench/MineIngest.EndToEnd -c Release --nologo -v quiet >/dev/null
rm -rf .data/azurite
log=${RELIABILITY_LOG:-$(mktemp)}
./run.sh >"$log" 2>&1 &
run_pid=$!
trap 'kill "$run_pid" 2>/dev/null; pkill -f "[b]lobPort 10000" 2>/dev/null || true' EXIT
until curl -sf http://localhost:7071/api/health >/dev/null; do sleep 1; done
status=0
dotnet bench/MineIngest.EndToEnd/bin/Release/net10.0/MineIngest.EndToEnd.dll --reliability http://localhost:7071 "UseDevelopmentStorage=true" \
  'pkill -TERM -f "[b]lobPort 10000"; while pgrep -f "[b]lobPort 10000" >/dev/null; do sleep 0.2; done' \
  "scripts/azurite.sh '$root/.data/azurite' 10000 >/dev/null" || status=$?
echo "run.sh restarts of the host: $(grep -c 'starting it again' "$log" || true)"
[[ -n "${RELIABILITY_LOG:-}" ]] || rm -f "$log"
exit $status

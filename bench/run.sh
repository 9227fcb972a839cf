#!/usr/bin/env bash
# Runs the measurements of docs/BENCHMARKS.md and prints tables: end to end on the local stack (100,000
# mines as csv, the next round of the same mines, and as xlsx), the host's peak memory (also for a 50 MB survey),
# storage requests per mine, wrk against the API at 100,000 mines, and what an idle, polled API costs Azurite.
# Installs wrk (Debian) and Azurite (npm) when missing. Takes about 35 minutes on 2 cores.
# Usage: bench/run.sh [RUNS=3]        Reading benchmarks (BenchmarkDotNet): bench/run.sh --reading
# AZURITE_IN_MEMORY=1 bench/run.sh runs Azurite without saving to disk (faster; ./run.sh saves to disk).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if ! command -v wrk >/dev/null; then
  sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get install -y wrk >/dev/null 2>&1 || { $sudo_cmd apt-get update >/dev/null && $sudo_cmd apt-get install -y wrk >/dev/null; }
fi
dotnet build MineIngest.sln -c Release --nologo -v quiet >/dev/null
if [[ "${1:-}" == "--reading" ]]; then
  shift
  exec dotnet bench/MineIngest.Benchmarks/bin/Release/net10.0/MineIngest.Benchmarks.dll "$@"
fi
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), .NET $(dotnet --version), Azurite 3.37.0"
# A national csv of 100,000 valid mines, then the same mines again (the next round) on each run;
# wrk against the API at 100,000 mines; the host's memory (also for a 50 MB csv).
dotnet bench/MineIngest.EndToEnd/bin/Release/net10.0/MineIngest.EndToEnd.dll "${1:-3}" 100000 --csv --next-round
# The xlsx case (100,000 rows, every twentieth rejected).
dotnet bench/MineIngest.EndToEnd/bin/Release/net10.0/MineIngest.EndToEnd.dll "${1:-3}" 100000 --no-memory --no-wrk
# The same rounds with the API watched (/api/summary asked every 0.5 s while a survey is processed): memory and speed.
dotnet bench/MineIngest.EndToEnd/bin/Release/net10.0/MineIngest.EndToEnd.dll "${1:-3}" 100000 --csv --next-round --poll-view --no-wrk
# Reads while a round is written: /api/summary and /api/mines?top=50 at 50 requests a second each, open loop, during
# next rounds of 100,000 mines, against the same rounds alone (pairs in ABBA order).
dotnet bench/MineIngest.EndToEnd/bin/Release/net10.0/MineIngest.EndToEnd.dll 4 100000 --read-load --no-memory
# The idle view: /api/summary polled once a second for a minute after 100,000 mines, no uploads.
dotnet bench/MineIngest.EndToEnd/bin/Release/net10.0/MineIngest.EndToEnd.dll "${1:-3}" 100000 --idle-view --no-memory

#!/usr/bin/env bash
# Runs the measurements of docs/BENCHMARKS.md and prints one table: end to end on the local stack (10,000 and
# 100,000 mines), the host's peak memory (also for a 50 MB survey), storage requests per mine, and wrk against
# the API, and what an idle, polled API costs Azurite. Installs wrk (Debian) and Azurite (npm) when missing. Takes about 10 minutes on 2 cores.
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
dotnet bench/MineIngest.EndToEnd/bin/Release/net10.0/MineIngest.EndToEnd.dll "${1:-3}" 10000,100000
# The idle view: /api/summary polled once a second for a minute after 100,000 mines, no uploads.
dotnet bench/MineIngest.EndToEnd/bin/Release/net10.0/MineIngest.EndToEnd.dll "${1:-3}" 100000 --idle-view --no-memory

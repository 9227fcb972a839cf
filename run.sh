#!/usr/bin/env bash
# The local stack in one command: installs the pinned Azurite if missing, starts it with its data in
# .data/azurite, builds the solution, and runs the functions on http://localhost:7071 (the WebJobs SDK's
# trigger listeners plus the HTTP routes). Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")"
command -v dotnet >/dev/null || { echo "The .NET 10 SDK is needed: https://dot.net"; exit 2; }
command -v npm >/dev/null || { echo "Node.js 20 with npm is needed, to install Azurite"; exit 2; }

azurite_pid=$(scripts/azurite.sh "$PWD/.data/azurite" 10000)
trap 'kill "$azurite_pid" 2>/dev/null || true' EXIT INT TERM
echo "Azurite is running (blob 10000, queue 10001, table 10002), data in .data/azurite"

dotnet build functions/MineIngest.LocalHost -c Release --nologo -v quiet
export AzureWebJobsStorage="${AzureWebJobsStorage:-UseDevelopmentStorage=true}"
echo "MineIngest on ${MINEINGEST_URL:-http://localhost:7071} (Ctrl-C to stop)"
dotnet functions/MineIngest.LocalHost/bin/Release/net10.0/MineIngest.LocalHost.dll --urls "${MINEINGEST_URL:-http://localhost:7071}"

#!/usr/bin/env bash
# The local stack in one command: installs the pinned Azurite if missing, starts it with its data in
# .data/azurite, builds the solution, and runs the functions on http://localhost:7071 (the queue triggers,
# the upload sweep and the HTTP routes). Ctrl-C stops everything it started.
# If the host process ever ends by itself, it is started again (as the Functions platform restarts a host).
# ./run.sh --sign-in (or MINEINGEST_SIGN_IN=1) also starts the local OpenID Connect provider (devidp/) on https://localhost:7080
# and turns sign-in on: the pages and the API then want a signed-in user, as in Azure with Entra ID (README, "Sign-in").
set -euo pipefail
cd "$(dirname "$0")"
command -v dotnet >/dev/null || { echo "The .NET 10 SDK is needed: https://dot.net"; exit 2; }
command -v npm >/dev/null || { echo "Node.js 20 with npm is needed, to install Azurite"; exit 2; }

azurite_pid=$(scripts/azurite.sh "$PWD/.data/azurite" 10000)
trap 'kill "$azurite_pid" 2>/dev/null || true' EXIT INT TERM
echo "Azurite is running (blob 10000, queue 10001, table 10002), data in .data/azurite"

dotnet build functions/MineIngest.LocalHost -c Release --nologo -v quiet
export AzureWebJobsStorage="${AzureWebJobsStorage:-UseDevelopmentStorage=true}"
url="${MINEINGEST_URL:-http://localhost:7071}"
idp_pid=""
if [[ "${1:-}" == "--sign-in" || "${MINEINGEST_SIGN_IN:-}" == "1" ]]; then
  idp_port="${MINEINGEST_SIGN_IN_PORT:-7080}"
  idp_pid=$(scripts/devidp.sh "$PWD/.data/devidp" "$idp_port" "$url")
  trap 'kill "$idp_pid" "$azurite_pid" 2>/dev/null || true' EXIT INT TERM
  export SignIn__Enabled=true SignIn__Authority="https://localhost:$idp_port/mineingest/v2.0" SignIn__Audience=api://mineingest \
    SignIn__PagesClientId=mineingest-pages SignIn__PagesProtocol=OIDC SignIn__TrustedCertificateFile="$PWD/.data/devidp/cert.pem"
  echo "Sign-in is on: local provider on https://localhost:$idp_port (its certificate: .data/devidp/cert.pem)."
  echo "Users (office-writer, office-reader, kerman-clerk, yazd-clerk) and their passwords, and the province systems' client secrets: .data/devidp/accounts.json"
fi
echo "MineIngest on $url (Ctrl-C to stop)"
host_pid=""
stopping=""
trap 'stopping=1; [[ -n "$host_pid" ]] && kill "$host_pid" 2>/dev/null; kill $idp_pid "$azurite_pid" 2>/dev/null || true' EXIT INT TERM
while true; do
  dotnet functions/MineIngest.LocalHost/bin/Release/net10.0/MineIngest.LocalHost.dll --urls "$url" &
  host_pid=$!
  code=0
  wait "$host_pid" || code=$?
  [[ -n "$stopping" ]] && break
  echo "run.sh: the MineIngest host ended (exit code $code) at $(date -u +%H:%M:%SZ); starting it again in 2 s" >&2
  sleep 2
done

#!/usr/bin/env bash
# Runs every test of the solution. Tests that need storage start and stop their own Azurite
# (scripts/azurite.sh installs the pinned version from npm on first use).
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null || { echo "npm is needed to install Azurite (Node 20+)"; exit 2; }
# Install Azurite once up front, so that parallel test fixtures do not race to install it.
scripts/azurite.sh --install-only
# The local OpenID Connect provider the sign-in tests run against (devidp/, pinned in its package-lock.json).
scripts/devidp.sh --install-only
infra/validate.sh
dotnet build MineIngest.sln -c Release --nologo -v quiet
log=$(mktemp)
status=0
dotnet test MineIngest.sln -c Release --no-build --nologo -v quiet --logger "console;verbosity=minimal" 2>&1 | tee "$log" || status=$?
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
exit $status

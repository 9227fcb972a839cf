#!/usr/bin/env bash
# Uploads a survey to the local stack's Azurite, as a province would: ./upload.sh FILE FOLDER (e.g. kerman).
set -euo pipefail
cd "$(dirname "$0")"
[ -f functions/MineIngest.LocalHost/bin/Release/net10.0/MineIngest.LocalHost.dll ] || dotnet build functions/MineIngest.LocalHost -c Release --nologo -v quiet
export AzureWebJobsStorage="${AzureWebJobsStorage:-UseDevelopmentStorage=true}"
dotnet functions/MineIngest.LocalHost/bin/Release/net10.0/MineIngest.LocalHost.dll upload "$1" "$2"

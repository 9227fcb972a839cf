#!/usr/bin/env bash
# Builds and lints every Bicep file with the pinned Bicep CLI (from NuGet: no other download is
# reachable here) and fails on any error or warning. Writes the compiled template to
# .tools/infra/main.json, which tests/MineIngest.Infra.Tests inspects.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version=0.49.2
packages="$root/.tools/nuget"
bicep="$packages/azure.bicep.commandline.linux-x64/$version/tools/bicep"

if [[ ! -x "$bicep" ]]; then
  # A throwaway project outside the repo, so the solution's central package management is not involved.
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  cat > "$scratch/bicep.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Azure.Bicep.CommandLine.linux-x64" Version="[$version]" /></ItemGroup>
</Project>
XML
  dotnet restore "$scratch/bicep.csproj" --packages "$packages" --nologo -v quiet >/dev/null
  chmod +x "$bicep"
fi

out="$root/.tools/infra"
mkdir -p "$out"
failed=0
check() {
  local what=$1; shift
  local log
  if ! log=$("$bicep" "$@" 2>&1); then
    echo "$log"; echo "infra: $what failed"; failed=1
  elif [[ -n "$log" ]]; then
    # The CLI exits 0 on warnings; any diagnostic fails the check.
    echo "$log"; echo "infra: $what printed diagnostics"; failed=1
  fi
}
while IFS= read -r file; do
  check "lint ${file#"$root"/}" lint "$file"
done < <(find "$root/infra" -name '*.bicep' | sort)
check "build infra/main.bicep" build "$root/infra/main.bicep" --outfile "$out/main.json"
if [[ $failed -ne 0 ]]; then exit 1; fi
echo "infra: $(find "$root/infra" -name '*.bicep' | wc -l) Bicep files built and linted with Bicep $version, no warnings"

#!/usr/bin/env sh
# Creates (or updates) MineIngest's two Entra ID registrations, run by azd before provisioning (azure.yaml, preprovision):
#  - the API: application ID URI api://mineingest-<env>, v2 access tokens, the delegated scope access_as_user, and the app
#    roles Office.Reader, Office.Writer and Province.<slug> (each province of functions/MineIngest.Domain/ReferenceData/provinces.csv,
#    and national), assignable to users, groups and applications;
#  - the pages: a single-page application (authorization code with PKCE, no secret) allowed to ask for access_as_user;
#  - the command: a public client for `mineingest login` (device code), its id in MINEINGEST_CLI_CLIENT_ID.
# It stores their ids in the azd environment (MINEINGEST_API_CLIENT_ID, MINEINGEST_API_APP_ID_URI, MINEINGEST_PAGES_CLIENT_ID),
# which infra/main.parameters.json hands to the Bicep. The pages' redirect addresses are set after provisioning, once the
# app's address is known (postprovision). Needs az, signed in as someone who may create app registrations.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
env_name=$(azd env get-value AZURE_ENV_NAME)
api_uri="api://mineingest-$env_name"

roles() {
  # One JSON app role: value, display name, description.
  printf '{"allowedMemberTypes":["User","Application"],"description":"%s","displayName":"%s","id":"%s","isEnabled":true,"value":"%s"}' \
    "$3" "$2" "$(uuid_for "$1")" "$1"
}
# Stable role ids (a hash of the value), so a second run updates rather than duplicates.
uuid_for() { printf '%s' "mineingest-role-$1" | sha1sum | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/'; }

list=$(roles Office.Reader "Programme office reader" "Reads every figure, ranking, survey report and the audit list")
list="$list,$(roles Office.Writer "Programme office writer" "Solutions, committee meetings, withdrawals, re-scoring and keys; reads too")"
for slug in $(tail -n +2 "$root/functions/MineIngest.Domain/ReferenceData/provinces.csv" | cut -d, -f1) national; do
  list="$list,$(roles "Province.$slug" "Uploader for $slug" "Uploads surveys into the $slug folder, reads their reports, withdraws them within 7 days")"
done

api_id=$(az ad app list --identifier-uri "$api_uri" --query '[0].appId' -o tsv)
[ -n "$api_id" ] || api_id=$(az ad app create --display-name "MineIngest API ($env_name)" --sign-in-audience AzureADMyOrg --query appId -o tsv)
az ad app update --id "$api_id" --identifier-uris "$api_uri"
api_object=$(az ad app show --id "$api_id" --query id -o tsv)
scope_id=$(uuid_for access_as_user)
az rest --method PATCH --uri "https://graph.microsoft.com/v1.0/applications/$api_object" --headers 'Content-Type=application/json' --body "{
  \"appRoles\": [$list],
  \"api\": {\"requestedAccessTokenVersion\": 2, \"oauth2PermissionScopes\": [{\"id\": \"$scope_id\", \"value\": \"access_as_user\", \"type\": \"User\",
    \"isEnabled\": true, \"adminConsentDisplayName\": \"Use MineIngest as the signed-in user\", \"adminConsentDescription\": \"Use MineIngest as the signed-in user\"}]}}"
az ad sp show --id "$api_id" >/dev/null 2>&1 || az ad sp create --id "$api_id" >/dev/null
# Only people and applications assigned a role get a token for the API at all.
az ad sp update --id "$api_id" --set appRoleAssignmentRequired=true

pages_id=$(az ad app list --display-name "MineIngest pages ($env_name)" --query '[0].appId' -o tsv)
[ -n "$pages_id" ] || pages_id=$(az ad app create --display-name "MineIngest pages ($env_name)" --sign-in-audience AzureADMyOrg --query appId -o tsv)
az ad app update --id "$pages_id" --required-resource-accesses "[{\"resourceAppId\": \"$api_id\", \"resourceAccess\": [{\"id\": \"$scope_id\", \"type\": \"Scope\"}]}]"
az ad sp show --id "$pages_id" >/dev/null 2>&1 || az ad sp create --id "$pages_id" >/dev/null

# The command for a person at a terminal (`mineingest login`): a public client that may use the device code flow.
cli_id=$(az ad app list --display-name "MineIngest command ($env_name)" --query '[0].appId' -o tsv)
[ -n "$cli_id" ] || cli_id=$(az ad app create --display-name "MineIngest command ($env_name)" --sign-in-audience AzureADMyOrg --is-fallback-public-client true --query appId -o tsv)
az ad app update --id "$cli_id" --required-resource-accesses "[{\"resourceAppId\": \"$api_id\", \"resourceAccess\": [{\"id\": \"$scope_id\", \"type\": \"Scope\"}]}]"
az ad sp show --id "$cli_id" >/dev/null 2>&1 || az ad sp create --id "$cli_id" >/dev/null

azd env set MINEINGEST_CLI_CLIENT_ID "$cli_id"
azd env set MINEINGEST_API_CLIENT_ID "$api_id"
azd env set MINEINGEST_API_APP_ID_URI "$api_uri"
azd env set MINEINGEST_PAGES_CLIENT_ID "$pages_id"

# After provisioning: the pages' redirect addresses on the deployed app.
if [ "${1:-}" = "--redirects" ]; then
  api=$(azd env get-value MINEINGEST_API)
  pages_object=$(az ad app show --id "$pages_id" --query id -o tsv)
  az rest --method PATCH --uri "https://graph.microsoft.com/v1.0/applications/$pages_object" --headers 'Content-Type=application/json' \
    --body "{\"spa\": {\"redirectUris\": [\"$api/dashboard\", \"$api/upload\", \"$api/field\"]}}"
fi

// Only the data roles the app uses, scoped to its own storage account and Application Insights.
param storageAccountName string
param applicationInsightsName string
param appPrincipalId string
@description('A person or group of the programme office (for `mineingest keys`); empty for none.')
param operatorPrincipalId string = ''

var roles = {
  // The Functions host keeps leases and blob receipts, and the app stages chunks: read, write and delete blobs.
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // Chunk messages, and the blob trigger's poison queue.
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Mines, surveys, chunk results, row errors, province keys.
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // The valet key: a user delegation key to sign upload SAS without an account key.
  blobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
  // An operator's restore (`mineingest restore`) writes uploads and staged rows.
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  // Telemetry to Application Insights with Entra ID (local auth is off).
  metricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var storageRoles = [roles.blobDataOwner, roles.queueDataContributor, roles.tableDataContributor, roles.blobDelegator]

resource appStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in storageRoles: {
  name: guid(account.id, appPrincipalId, role)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource appTelemetryRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, roles.metricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.metricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// `mineingest restore` puts the uploads and staged rows back.
resource operatorBlobRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(account.id, operatorPrincipalId, roles.blobDataContributor)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
    principalId: operatorPrincipalId
  }
}

// `mineingest keys` and `mineingest restore` write the tables directly.
resource operatorTableRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(account.id, operatorPrincipalId, roles.tableDataContributor)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.tableDataContributor)
    principalId: operatorPrincipalId
  }
}

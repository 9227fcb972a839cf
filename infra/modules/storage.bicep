// The app's storage account, the programme's record: Entra ID only (shared key off), no public blobs, TLS 1.2;
// zone- and geo-redundant, soft delete and versioning for blobs and containers, point-in-time restore of the uploads,
// and a delete lock (docs/DESIGN.md, "Storage that resists mistakes"). The tables are copied out by the backup.
param name string
param location string
param tags object
param containers array
param deploymentContainer string
@description('The container of staged rows; its blobs are deleted reportRetentionDays after they were written.')
param chunksContainer string
param reportRetentionDays int
param queues array
param tables array
@description('Zone- and geo-redundant: a zone lost costs nothing, a region lost leaves a copy to fail over to.')
@allowed(['Standard_GZRS', 'Standard_RAGZRS', 'Standard_ZRS', 'Standard_LRS'])
param skuName string = 'Standard_GZRS'
@description('Days a deleted blob, blob version or container can be brought back.')
@minValue(7)
param softDeleteDays int = 14

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: skuName }
  properties: {
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    // An upload overwritten or deleted by mistake comes back as a version; a deleted container within softDeleteDays.
    isVersioningEnabled: true
    deleteRetentionPolicy: { enabled: true, days: softDeleteDays }
    containerDeleteRetentionPolicy: { enabled: true, days: softDeleteDays }
    // Point-in-time restore of block blobs needs the change feed and a window shorter than soft delete.
    changeFeed: { enabled: true, retentionInDays: softDeleteDays }
    restorePolicy: { enabled: true, days: softDeleteDays - 1 }
  }
}

// Deleting the account (or its resource group) needs this lock removed first: one deliberate step more than a mistake takes.
resource deleteLock 'Microsoft.Authorization/locks@2020-05-01' = {
  name: 'mineingest-record-no-delete'
  scope: account
  properties: {
    level: 'CanNotDelete'
    notes: 'The programme\'s record. Remove only to retire the system, after a restore drill from the backup account (docs/BACKUP.md).'
  }
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in concat(containers, [deploymentContainer]): {
  parent: blobService
  name: container
  properties: { publicAccess: 'None' }
}]

// Rows staged for scoring are kept only as long as a report's rows to fix stay downloadable (README, "How long").
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'staged-rows-retention'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['${chunksContainer}/'] }
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: reportRetentionDays } }
              version: { delete: { daysAfterCreationGreaterThan: softDeleteDays } }
            }
          }
        }
        {
          // Versioning keeps every replaced blob (the view's snapshot is rewritten every minute): old versions go after softDeleteDays.
          name: 'old-versions'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'] }
            actions: { version: { delete: { daysAfterCreationGreaterThan: softDeleteDays } } }
          }
        }
      ]
    }
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource storageQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queue in queues: {
  parent: queueService
  name: queue
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource storageTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in tables: {
  parent: tableService
  name: table
}]

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob

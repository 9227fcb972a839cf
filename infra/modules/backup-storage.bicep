// The backup account: a second account, so a backup does not die with the record's account. Geo-redundant, Entra ID only,
// its container write-once (a time-based immutability policy: no backup can be changed or deleted before retentionDays,
// by the app or anyone), cooler tiers as backups age, and pruning by the lifecycle rule alone. The app's identity may
// read and add backups, never delete them (a role of its own, below). Layout and restore: docs/BACKUP.md.
param name string
param location string
param tags object
param container string
@description('Days a backup is kept: immutable until then, deleted by the lifecycle rule after.')
@minValue(7)
param retentionDays int
@description('The app\'s managed identity: may list, read and add backups.')
param appPrincipalId string
@description('A person or group of the programme office who restores (`mineingest restore`); empty for none.')
param operatorPrincipalId string = ''

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_RAGRS' }
  properties: {
    accessTier: 'Cool'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
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
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 30 }
  }
}

resource backups 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: container
  properties: { publicAccess: 'None' }
}

// WORM: written once, kept retentionDays. Created unlocked (it can still be shortened while the first drills run);
// locking it is one command (docs/BACKUP.md) and cannot be undone.
resource worm 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: backups
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: retentionDays
    allowProtectedAppendWrites: false
  }
}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'backups-age-and-prune'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['${container}/'] }
            actions: {
              baseBlob: {
                tierToCold: { daysAfterCreationGreaterThan: 30 }
                delete: { daysAfterCreationGreaterThan: retentionDays + 1 }
              }
            }
          }
        }
      ]
    }
  }
}

resource deleteLock 'Microsoft.Authorization/locks@2020-05-01' = {
  name: 'mineingest-backups-no-delete'
  scope: account
  properties: {
    level: 'CanNotDelete'
    notes: 'The programme\'s backups (docs/BACKUP.md).'
  }
}

// List, read and add blobs; no delete and no overwrite-by-delete: a stolen app identity cannot remove backups.
resource writerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'mineingest-backup-writer')
  properties: {
    roleName: 'MineIngest backup writer (${resourceGroup().name})'
    description: 'Reads and adds blobs in the MineIngest backup account; cannot delete them.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read']
        dataActions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'
        ]
      }
    ]
  }
}

resource appWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, appPrincipalId, writerRole.id)
  scope: account
  properties: {
    roleDefinitionId: writerRole.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

var blobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'

resource operatorReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(account.id, operatorPrincipalId, blobDataReader)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataReader)
    principalId: operatorPrincipalId
  }
}

output name string = account.name

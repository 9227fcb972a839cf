// The Function App on the Flex Consumption plan (.NET 10 isolated), storage and telemetry by managed identity.
param planName string
param appName string
param location string
param tags object
param storageAccountName string
param deploymentContainerUrl string
param identityId string
param identityClientId string
param applicationInsightsConnectionString string
param rowsPerChunk int
param maxSurveyFileBytes int
param reportRetentionDays int
@description('Entra ID tenant whose tokens the app accepts')
param signInTenantId string
@description('The API registration: its client id is the audience of its v2 access tokens')
param apiClientId string
@description('The API registration\'s application ID URI, the prefix of the scopes clients ask for')
param apiApplicationIdUri string
@description('The pages\' registration (single-page application)')
param pagesClientId string
@description('Province upload keys still accepted on the province routes, for systems that cannot sign in')
param acceptProvinceKeys bool
@description('The second storage account that keeps the backups (modules/backup-storage.bicep)')
param backupAccountName string
@description('Days an event waits in its stream for a reader.')
param eventKeepDays int = 14

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: 2048
        maximumInstanceCount: 40
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  // Every setting the app reads; local.settings.sample.json documents each (a test keeps the three in step).
  resource settings 'config' = {
    name: 'appsettings'
    properties: {
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      Pipeline__RowsPerChunk: string(rowsPerChunk)
      Pipeline__MaxDequeueCount: '5'
      Pipeline__MineViewRefreshSeconds: '1'
      Pipeline__MineViewWaitSeconds: '3'
      Pipeline__RecoverAfterSeconds: '60'
      Pipeline__ClaimSeconds: '10'
      Pipeline__ViewSnapshotSeconds: '60'
      // The reconciliation sweep (timer function SweepSurveys): reads uploads whose BlobCreated event never came, and
      // sends again work whose instance died (its claim expired). Every 15 s: what bounds a lost instance's cost (docs/DESIGN.md).
      SurveySweepSchedule: '*/15 * * * * *'
      // Backups of the record (timer function BackupRecord): hourly, to the backup account, by the app's identity.
      BackupSchedule: '0 0 * * * *'
      Backup__Connection: ''
      Backup__AccountName: backupAccountName
      Backup__Container: 'backups'
      // Each caller's requests a minute, per instance (docs/DESIGN.md, "Rate limits").
      RateLimits__ReadsPerMinute: '1200'
      RateLimits__ExportsPerMinute: '60'
      RateLimits__ValidationsPerMinute: '120'
      RateLimits__UploadLinksPerMinute: '120'
      RateLimits__WritesPerMinute: '60'
      RateLimits__PublicPerMinute: '600'
      // Survey events (docs/API.md, "Events"): kept in the streams this long; left ones sent by the sweep after 10 s;
      // a stream link lasts an hour (in Azure the app holds no key, so readers use their own Entra role instead).
      Events__KeepDays: string(eventKeepDays)
      Events__SendLeftAfterSeconds: '10'
      Events__AccessMinutes: '60'
      Field__AccuracyWarningMeters: '50'
      Field__PhotosPerMine: '5'
      Field__PhotoLongestSide: '1600'
      Field__PhotoMaxMegapixels: '25'
      Survey__Limits__MaxFileBytes: string(maxSurveyFileBytes)
      Survey__Limits__MaxUncompressedBytes: '524288000'
      Survey__Limits__MaxRows: '100000'
      Scoring__Resource: '0.25'
      Scoring__Grade: '0.20'
      Scoring__Access: '0.15'
      Scoring__Jobs: '0.15'
      Scoring__Cost: '0.15'
      Scoring__Solvability: '0.10'
      Scoring__TierA: '65'
      Scoring__TierB: '45'
      Uploads__SasMinutes: '15'
      Uploads__ReportRetentionDays: string(reportRetentionDays)
      // Empty in Azure: the blob service's CORS rule comes from modules/blob-cors.bicep (the local host sets its own).
      Uploads__BrowserOrigins: ''
      // Sign-in with Entra ID: every route but health, the pages and the Event Grid webhook wants a token with the app's roles.
      SignIn__Enabled: 'true'
      SignIn__Authority: '${environment().authentication.loginEndpoint}${signInTenantId}/v2.0'
      SignIn__Audience: apiClientId
      SignIn__ApplicationIdUri: apiApplicationIdUri
      SignIn__PagesClientId: pagesClientId
      SignIn__PagesProtocol: 'AAD'
      SignIn__AcceptProvinceKeys: acceptProvinceKeys ? 'true' : 'false'
      SignIn__TrustedCertificateFile: ''
      SignIn__ClockSkewSeconds: '120'
    }
  }
}

output name string = app.name
output url string = 'https://${app.properties.defaultHostName}'

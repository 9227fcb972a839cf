// MineIngest in one resource group: `azd up` (azure.yaml) or `az deployment sub create` (README).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the environment; a short hash of it makes the resource names unique.')
param environmentName string

@minLength(1)
@description('Region of every resource.')
param location string

@description('Subscribe the ingestion function to BlobCreated events. Needs the code deployed first (its blobs_extension key exists only then): azure.yaml sets it after the first deploy.')
param subscribeIngestion bool = false

@description('Rows per chunk message; see local.settings.sample.json.')
@minValue(1)
@maxValue(10000)
param rowsPerChunk int = 5000

@description('Largest upload accepted, in bytes.')
param maxSurveyFileBytes int = 52428800

@description('Days a survey report\'s rows stay downloadable as rows to fix: staged rows (survey-chunks/) and row errors are deleted after this.')
@minValue(1)
@maxValue(3650)
param reportRetentionDays int = 90

@description('Days each backup is kept (write-once until then, pruned by the backup account\'s lifecycle rule after).')
@minValue(7)
param backupRetentionDays int = 35

@description('Object id of a person or group to be given data access to the storage account (for the mineingest CLI\'s key commands); empty for none.')
param operatorPrincipalId string = ''

@description('E-mail address the operators\' alerts go to (README, "Runbook").')
param alertEmail string

@description('Sign-in: the Entra ID tenant, and the API and pages registrations that infra/scripts/entra-apps.sh creates (azd runs it before provisioning)')
param signInTenantId string = tenant().tenantId
param apiClientId string
param apiApplicationIdUri string
param pagesClientId string
@description('Readers of the survey events\' streams: an object from upload folder ("kerman", "national") or "office" to the object id of the Entra group or app that reads that stream (Storage Queue Data Message Processor on that queue only). Empty: nobody reads them with Entra sign-in yet.')
param eventStreamReaders object = {}

@description('Days an event waits in its stream for a reader (7 to 365).')
@minValue(7)
@maxValue(365)
param eventKeepDays int = 14

@description('Accept province upload keys beside sign-in (for province systems that cannot use any Entra ID sign-in). Off by default.')
param acceptProvinceKeys bool = false

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

// Names the code fixes (functions/MineIngest.Pipeline/PipelineOptions.cs); a test checks they agree.
// The uploads, the staged rows, the view's snapshot, the surveyors' field photos.
var containers = ['surveys', 'survey-chunks', 'views', 'field-photos']
var queues = ['survey-chunks', 'survey-chunks-poison', 'rescore', 'rescore-poison', 'withdrawals', 'withdrawals-poison']
// Mines: one table per province, 'mines' + the province slug without hyphens (PipelineOptions.MinesTableOf).
var provinceSlugs = ['alborz', 'ardabil', 'bushehr', 'chaharmahal-and-bakhtiari', 'east-azerbaijan', 'fars', 'gilan', 'golestan', 'hamadan', 'hormozgan', 'ilam', 'isfahan', 'kerman', 'kermanshah', 'khuzestan', 'kohgiluyeh-and-boyer-ahmad', 'kurdistan', 'lorestan', 'markazi', 'mazandaran', 'north-khorasan', 'qazvin', 'qom', 'razavi-khorasan', 'semnan', 'sistan-and-baluchestan', 'south-khorasan', 'tehran', 'west-azerbaijan', 'yazd', 'zanjan']
var mineTables = map(provinceSlugs, slug => 'mines${replace(slug, '-', '')}')
var tables = ['minechanges', 'solutions', 'committees', 'rescorepages', 'withdrawpages', 'surveys', 'surveychunks', 'surveyerrors', 'provincekeys', 'audit', 'uploadlinks', 'workclaims']

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-mineingest-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-mineingest-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-mineingest-${resourceToken}'
    applicationInsightsName: 'appi-mineingest-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stmine${resourceToken}'
    location: location
    tags: tags
    containers: containers
    deploymentContainer: 'app-package'
    chunksContainer: containers[1]
    reportRetentionDays: reportRetentionDays
    queues: queues
    tables: concat(tables, mineTables)
  }
}

module backupStorage 'modules/backup-storage.bicep' = {
  name: 'backup-storage'
  scope: rg
  params: {
    name: 'stminebak${resourceToken}'
    location: location
    tags: tags
    container: 'backups'
    retentionDays: backupRetentionDays
    appPrincipalId: identity.outputs.principalId
    operatorPrincipalId: operatorPrincipalId
  }
}

module eventStreams 'modules/event-streams.bicep' = {
  name: 'event-streams'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    folders: concat(provinceSlugs, ['national'])
    streamReaders: eventStreamReaders
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appPrincipalId: identity.outputs.principalId
    operatorPrincipalId: operatorPrincipalId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    planName: 'plan-mineingest-${resourceToken}'
    appName: 'func-mineingest-${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': 'functions' })
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}app-package'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    rowsPerChunk: rowsPerChunk
    maxSurveyFileBytes: maxSurveyFileBytes
    reportRetentionDays: reportRetentionDays
    signInTenantId: signInTenantId
    apiClientId: apiClientId
    apiApplicationIdUri: apiApplicationIdUri
    pagesClientId: pagesClientId
    acceptProvinceKeys: acceptProvinceKeys
    backupAccountName: backupStorage.outputs.name
    eventKeepDays: eventKeepDays
  }
  // The host starts with identity-based storage: its roles must exist first (and the streams it sends to).
  dependsOn: [rbac, eventStreams]
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    alertEmail: alertEmail
    healthUrl: '${functionApp.outputs.url}/api/health'
  }
}

module ingestionEvents 'modules/ingestion-events.bicep' = {
  name: 'ingestion-events'
  scope: rg
  params: {
    topicName: 'evgt-mineingest-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    surveysContainer: containers[0]
    functionAppName: functionApp.outputs.name
    ingestionFunctionName: 'IngestSurvey'
    subscribe: subscribeIngestion
  }
}

// The upload page (served by the app) PUTs files straight to Blob Storage: allow the app's origin, after the app exists.
module uploadCors 'modules/blob-cors.bicep' = {
  name: 'blob-cors'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    allowedOrigins: [functionApp.outputs.url]
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output MINEINGEST_API string = '${functionApp.outputs.url}/api'

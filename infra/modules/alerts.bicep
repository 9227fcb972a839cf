// Alerts that wake someone before a province calls, sent to one action group by e-mail. Each alert's description
// names the README runbook section that says what to do. The pipeline's OpenTelemetry metrics arrive in Application
// Insights as customMetrics (name = the metric's name, dimensions in customDimensions).
param location string
param tags object
param applicationInsightsName string
@description('Where the alerts are e-mailed.')
param alertEmail string
@description('The app\'s /api/health URL, pinged by an availability test.')
param healthUrl string

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource operators 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-mineingest-operators'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'mineingest'
    enabled: true
    emailReceivers: [
      { name: 'operator', emailAddress: alertEmail, useCommonAlertSchema: true }
    ]
  }
}

// One log alert per condition on the pipeline's metrics, every 5 minutes over the window given.
var logAlerts = [
  {
    name: 'survey-unsettled'
    severity: 2
    window: 'PT15M'
    description: 'A survey has been unsettled (read but not every row accepted, rejected or failed) for more than 30 minutes. README.md, section "Runbook: a survey unsettled for 30 minutes".'
    query: 'customMetrics | where name == "mineingest.surveys.oldest_unsettled_age" | summarize oldest = max(value) | where oldest > 1800'
  }
  {
    name: 'poison-message'
    severity: 1
    window: 'PT5M'
    description: 'A chunk message ran out of tries and went to the poison queue: its rows ended failed. README.md, section "Runbook: a poison message".'
    query: 'customMetrics | where name == "mineingest.poison.messages" | summarize messages = sum(valueSum) | where messages > 0'
  }
  {
    name: 'events-lost'
    severity: 2
    window: 'PT30M'
    description: 'The sweep read files that no BlobCreated event had brought, three runs in a row: events are being lost. README.md, section "Runbook: events are being lost".'
    query: 'customMetrics | where name == "mineingest.sweep.runs_without_event" | summarize runs = max(value) | where runs >= 3'
  }
  {
    name: 'chunk-failures'
    severity: 2
    window: 'PT15M'
    description: 'More than 1% of the rows scored in 15 minutes ended failed inside the pipeline. README.md, section "Runbook: rows failing".'
    query: 'customMetrics | where name == "mineingest.rows" | extend outcome = tostring(customDimensions.outcome) | summarize failed = sumif(valueSum, outcome == "failed"), rows = sum(valueSum) | where rows > 0 and failed / rows > 0.01'
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for alert in logAlerts: {
  name: 'alert-mineingest-${alert.name}'
  location: location
  tags: tags
  properties: {
    displayName: 'MineIngest: ${alert.name}'
    description: alert.description
    severity: alert.severity
    enabled: true
    scopes: [applicationInsights.id]
    evaluationFrequency: 'PT5M'
    windowSize: alert.window
    criteria: {
      allOf: [
        {
          query: alert.query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: [operators.id] }
  }
}]

// /api/health pinged every 5 minutes from three regions; the alert fires when it has not answered 200 for 5 minutes.
resource healthTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: 'webtest-mineingest-health'
  location: location
  tags: union(tags, { 'hidden-link:${applicationInsights.id}': 'Resource' })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: 'webtest-mineingest-health'
    Name: 'MineIngest /api/health'
    Enabled: true
    Frequency: 300
    Timeout: 30
    Kind: 'standard'
    RetryEnabled: true
    Locations: [
      { Id: 'emea-nl-ams-azr' }
      { Id: 'emea-gb-db3-azr' }
      { Id: 'emea-fr-pra-edge' }
    ]
    Request: { RequestUrl: healthUrl, HttpVerb: 'GET' }
    ValidationRules: { ExpectedHttpStatusCode: 200, SSLCheck: false }
  }
}

resource healthAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-mineingest-health'
  location: 'global'
  tags: tags
  properties: {
    description: '/api/health has not answered 200 for 5 minutes: storage is not answering, or the app is down. README.md, section "Runbook: health not 200".'
    severity: 1
    enabled: true
    scopes: [healthTest.id, applicationInsights.id]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: healthTest.id
      componentId: applicationInsights.id
      failedLocationCount: 2
    }
    actions: [{ actionGroupId: operators.id }]
  }
}

output actionGroupId string = operators.id

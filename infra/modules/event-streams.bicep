// The survey events' streams: a storage queue per upload folder (each province, and national), one for the programme
// office, and the dead-letter queue; and who may read each. The app sends with its Queue Data Contributor role on the
// account (rbac.bicep). A reader is given Storage Queue Data Message Processor (peek, receive, delete) on its own
// queue only: Kerman's group reads events-kerman and nothing else. Names fixed by the code (Events/EventOptions.cs).
param storageAccountName string

@description('Upload folders with a stream of their own: the province slugs and "national".')
param folders array

@description('Who reads which stream: folder slug (or "office") to the object id of a group or app; folders left out get no reader.')
param streamReaders object = {}

// Storage Queue Data Message Processor: peek, retrieve and delete messages; nothing else.
var messageProcessor = '8a0f0c08-91a1-4084-bc3d-661d67233fed'
var streams = concat(map(folders, folder => { name: 'events-${folder}', reader: folder }), [
  { name: 'events-office', reader: 'office' }
  { name: 'events-deadletter', reader: 'office' }
])

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource streamQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for stream in streams: {
  parent: queueService
  name: stream.name
}]

resource readerRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (stream, i) in streams: if (contains(streamReaders, stream.reader)) {
  name: guid(account.id, stream.name, messageProcessor)
  scope: streamQueues[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', messageProcessor)
    principalId: streamReaders[?stream.reader] ?? ''
  }
}]

output streams array = [for stream in streams: stream.name]

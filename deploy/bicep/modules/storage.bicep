// The storage account for the queues: Entra ID only (no shared keys), each queue and its poison queue, and
// role assignments scoped to single queues.
param location string
param storageAccountName string
param queueNames string[]
param poisonSuffix string

@description('Role assignments: { principalId, queue, roleDefinitionId }, each scoped to that one queue.')
param queueRoles array

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }

  resource queueService 'queueServices' = {
    name: 'default'
  }
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for name in concat(queueNames, map(queueNames, q => '${q}${poisonSuffix}')): {
  parent: account::queueService
  name: name
}]

module roles 'queue-role.bicep' = [for (role, i) in queueRoles: {
  name: 'queue-role-${i}'
  dependsOn: [queues]
  params: {
    storageAccountName: account.name
    queueName: role.queue
    principalId: role.principalId
    roleDefinitionId: role.roleDefinitionId
  }
}]

output accountName string = account.name
output queueServiceUri string = account.properties.primaryEndpoints.queue

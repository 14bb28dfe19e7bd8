// Key Vault for what must be a secret: the PostgreSQL connection string (it holds a password, since the
// hosts' Npgsql data source has no Entra token provider yet). The apps read it as a Container Apps secret
// reference, through their own identity, which may only read secrets here.
param location string
param vaultName string

@description('Secret name -> value.')
@secure()
param secrets object

@description('Principal ids allowed to read the secrets (Key Vault Secrets User).')
param readerPrincipalIds string[]

var secretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: 30
  }
}

resource secretResources 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for item in items(secrets): {
  parent: vault
  name: item.key
  properties: {
    value: item.value
  }
}]

resource readers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in readerPrincipalIds: {
  name: guid(vault.id, principalId, secretsUserRoleId)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleId)
  }
}]

output vaultUri string = vault.properties.vaultUri

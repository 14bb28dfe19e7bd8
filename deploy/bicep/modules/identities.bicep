// One user-assigned managed identity per app (and one for the migration job), so each gets only its own roles.
param location string
param namePrefix string
param names string[]

resource identities 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = [for name in names: {
  name: '${namePrefix}-id-${name}'
  location: location
}]

output list array = [for (name, i) in names: {
  name: name
  resourceId: identities[i].id
  principalId: identities[i].properties.principalId
  clientId: identities[i].properties.clientId
}]

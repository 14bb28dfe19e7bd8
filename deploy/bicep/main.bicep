// Altinn Events on Azure Container Apps: the API (HTTP scaling), one app per stage (KEDA azure-queue scaling on
// its own queue), a migration job, PostgreSQL Flexible Server, a keyless storage account for the queues, Key
// Vault for the database connection string, Log Analytics + Application Insights through OpenTelemetry.
// Every app setting comes from ../settings/app-settings.json (see docs/deploy.md); none is written here.
targetScope = 'resourceGroup'

@allowed(['test', 'prod'])
param environmentName string
param location string = resourceGroup().location
@description('Prefix of every resource name, e.g. "altinn-events-test".')
param namePrefix string
@description('3-24 lowercase letters and digits, globally unique.')
param storageAccountName string
@description('3-24 characters, globally unique.')
param keyVaultName string
@description('An existing Azure Container Registry in this resource group that the workflow pushes the images to.')
param containerRegistryName string
@description('Tag of both images, e.g. the git tag v1.2.3.')
param imageTag string

param postgresVersion string = '17'
param postgresSkuName string
param postgresTier string
param postgresStorageGB int
param postgresHighAvailability bool
param postgresBackupRetentionDays int
param postgresAdminLogin string = 'eventsadmin'
@secure()
param postgresAdminPassword string
@description('Npgsql pool size per process; replicas x pool size must stay under the server\'s max_connections.')
param databasePoolSize int

param apiMinReplicas int
param apiMaxReplicas int
@description('Concurrent HTTP requests per API replica before another replica is added.')
param apiConcurrentRequests int
param apiCpu string
param apiMemory string

@description('Per stage: { minReplicas, maxReplicas, queueLength (messages per replica), cpu, memory }.')
param stageScale object

param logRetentionDays int

var settings = loadJsonContent('../settings/app-settings.json')
var environmentSettings = settings.environments[environmentName]
var databaseName = 'events'
var poisonSuffix = '-poison'
var stageNames = filter(objectKeys(settings.stages), k => !startsWith(k, '$'))
var stageQueues = {
  inbound: settings.all.Queues__InboundQueue
  outbound: settings.all.Queues__OutboundQueue
  validation: settings.all.Queues__ValidationQueue
}
var queueNames = [settings.all.Queues__InboundQueue, settings.all.Queues__OutboundQueue, settings.all.Queues__ValidationQueue]

// Built-in roles. Message Processor cannot update a message (the listener renews visibility and backs off by
// updating), so a stage gets Data Contributor on the one queue it processes; Reader lets every app's readiness
// check see that all three queues exist, and lets KEDA read its queue's length.
var roles = {
  reader: '19e7f393-937e-4f77-808e-94535e297925'
  sender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  contributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
}
var queueAccess = {
  api: { process: [], send: [stageQueues.inbound, stageQueues.validation], read: queueNames }
  inbound: { process: [stageQueues.inbound], send: [stageQueues.outbound, '${stageQueues.inbound}${poisonSuffix}'], read: [stageQueues.outbound, stageQueues.validation] }
  outbound: { process: [stageQueues.outbound], send: ['${stageQueues.outbound}${poisonSuffix}'], read: [stageQueues.inbound, stageQueues.validation] }
  validation: { process: [stageQueues.validation], send: ['${stageQueues.validation}${poisonSuffix}'], read: [stageQueues.inbound, stageQueues.outbound] }
}
var queueRoles = flatten(map(items(queueAccess), a => concat(
  map(a.value.process, q => { app: a.key, queue: q, roleDefinitionId: roles.contributor }),
  map(a.value.send, q => { app: a.key, queue: q, roleDefinitionId: roles.sender }),
  map(a.value.read, q => { app: a.key, queue: q, roleDefinitionId: roles.reader })
)))

// Settings -> Container Apps env entries. Keys starting with '$' are comments in the settings file.
func plainEnv(values object) array => map(filter(items(values), i => !startsWith(i.key, '$')), i => { name: i.key, value: string(i.value) })
func infrastructureEnv(keys object, values object) array => map(filter(items(keys), i => !startsWith(i.key, '$')), i => { name: i.key, value: values[i.value] })
func secretEnv(keys object) array => map(filter(items(keys), i => !startsWith(i.key, '$')), i => { name: i.key, secretRef: i.value })
func secretDefinitions(keys object, vaultUri string, identityResourceId string) array => map(filter(items(keys), i => !startsWith(i.key, '$')), i => { name: i.value, keyVaultUrl: '${vaultUri}secrets/${i.value}', identity: identityResourceId })

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    namePrefix: namePrefix
    retentionInDays: logRetentionDays
  }
}

module identities 'modules/identities.bicep' = {
  name: 'identities'
  params: {
    location: location
    namePrefix: namePrefix
    names: concat(['api', 'migrate'], stageNames)
  }
}

// Keyed by short name: ids.api.principalId, ids.inbound.resourceId, ...
var ids = toObject(identities.outputs.list, i => i.name)

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    storageAccountName: storageAccountName
    queueNames: queueNames
    poisonSuffix: poisonSuffix
    queueRoles: map(queueRoles, r => { principalId: ids[r.app].principalId, queue: r.queue, roleDefinitionId: r.roleDefinitionId })
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  params: {
    location: location
    serverName: '${namePrefix}-pg'
    databaseName: databaseName
    version: postgresVersion
    skuName: postgresSkuName
    tier: postgresTier
    storageSizeGB: postgresStorageGB
    highAvailability: postgresHighAvailability
    backupRetentionDays: postgresBackupRetentionDays
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    vaultName: keyVaultName
    secrets: {
      '${settings.secrets.Database__ConnectionString}': 'Host=${postgres.outputs.fqdn};Port=5432;Database=${databaseName};Username=${postgresAdminLogin};Password=${postgresAdminPassword};SSL Mode=VerifyFull;Maximum Pool Size=${databasePoolSize}'
    }
    readerPrincipalIds: map(concat(['api', 'migrate'], stageNames), n => ids[n].principalId)
  }
}

module registry 'modules/registry-access.bicep' = {
  name: 'registry-access'
  params: {
    registryName: containerRegistryName
    principalIds: map(concat(['api', 'migrate'], stageNames), n => ids[n].principalId)
  }
}

module environment 'modules/environment.bicep' = {
  name: 'environment'
  params: {
    location: location
    name: '${namePrefix}-env'
    workspaceName: monitoring.outputs.workspaceName
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module api 'modules/container-app.bicep' = {
  name: 'app-api'
  params: {
    location: location
    name: '${namePrefix}-api'
    environmentId: environment.outputs.id
    identityResourceId: ids.api.resourceId
    registryServer: registry.outputs.loginServer
    image: '${registry.outputs.loginServer}/altinn-events-api:${imageTag}'
    cpu: apiCpu
    memory: apiMemory
    env: concat(
      plainEnv(union(settings.all, environmentSettings.?all ?? {}, settings.api, environmentSettings.?api ?? {})),
      infrastructureEnv(settings.fromInfrastructure, { queueServiceUri: storage.outputs.queueServiceUri, managedIdentityClientId: ids.api.clientId }),
      secretEnv(settings.secrets))
    secrets: secretDefinitions(settings.secrets, vault.outputs.vaultUri, ids.api.resourceId)
    externalIngress: true
    minReplicas: apiMinReplicas
    maxReplicas: apiMaxReplicas
    scaleRules: [
      {
        name: 'http-concurrency'
        http: { metadata: { concurrentRequests: string(apiConcurrentRequests) } }
      }
    ]
  }
}

module stages 'modules/container-app.bicep' = [for stage in stageNames: {
  name: 'app-${stage}'
  params: {
    location: location
    name: '${namePrefix}-${stage}'
    environmentId: environment.outputs.id
    identityResourceId: ids[stage].resourceId
    registryServer: registry.outputs.loginServer
    image: '${registry.outputs.loginServer}/altinn-events-stages:${imageTag}'
    cpu: stageScale[stage].cpu
    memory: stageScale[stage].memory
    env: concat(
      plainEnv(union(settings.all, environmentSettings.?all ?? {}, settings.stages[stage], environmentSettings.?stages[?stage] ?? {})),
      infrastructureEnv(settings.fromInfrastructure, { queueServiceUri: storage.outputs.queueServiceUri, managedIdentityClientId: ids[stage].clientId }),
      secretEnv(settings.secrets))
    secrets: secretDefinitions(settings.secrets, vault.outputs.vaultUri, ids[stage].resourceId)
    externalIngress: false
    minReplicas: stageScale[stage].minReplicas
    maxReplicas: stageScale[stage].maxReplicas
    scaleRules: [
      {
        name: 'queue-length'
        azureQueue: {
          accountName: storage.outputs.accountName
          queueName: stageQueues[stage]
          queueLength: stageScale[stage].queueLength
          identity: ids[stage].resourceId
        }
      }
    ]
  }
}]

module migrationJob 'modules/migration-job.bicep' = {
  name: 'job-migrate'
  params: {
    location: location
    name: '${namePrefix}-migrate'
    environmentId: environment.outputs.id
    identityResourceId: ids.migrate.resourceId
    registryServer: registry.outputs.loginServer
    image: '${registry.outputs.loginServer}/altinn-events-api:${imageTag}'
    command: ['dotnet', '/app/cli/altinn-events.dll', 'migrate']
    env: concat(plainEnv(settings.jobs.migrate), secretEnv(settings.secrets))
    secrets: secretDefinitions(settings.secrets, vault.outputs.vaultUri, ids.migrate.resourceId)
  }
}

@description('The API\'s public host name (the workflow smoke-checks https://<apiFqdn>/health/ready).')
output apiFqdn string = api.outputs.fqdn
@description('The job the workflow starts to apply migrations.')
output migrationJobName string = migrationJob.outputs.name

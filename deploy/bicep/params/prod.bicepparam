// Production: sized for 500 million events a year with 100x peaks (docs/deploy.md, "Sizing").
using '../main.bicep'

param environmentName = 'prod'
param namePrefix = 'altinn-events-prod'
param storageAccountName = 'altinneventsprodq'
param keyVaultName = 'altinn-events-prod-kv'
param containerRegistryName = 'altinneventsacr'
param imageTag = readEnvironmentVariable('IMAGE_TAG')

param postgresSkuName = 'Standard_D8ds_v5'
param postgresTier = 'GeneralPurpose'
param postgresStorageGB = 512
param postgresHighAvailability = true
param postgresBackupRetentionDays = 35
param postgresAdminPassword = readEnvironmentVariable('POSTGRES_ADMIN_PASSWORD')
param databasePoolSize = 40

param apiMinReplicas = 3
param apiMaxReplicas = 30
param apiConcurrentRequests = 200
param apiCpu = '1.0'
param apiMemory = '2Gi'

param stageScale = {
  inbound: { minReplicas: 2, maxReplicas: 20, queueLength: 10, cpu: '1.0', memory: '2Gi' }
  outbound: { minReplicas: 2, maxReplicas: 50, queueLength: 50, cpu: '1.0', memory: '2Gi' }
  validation: { minReplicas: 1, maxReplicas: 4, queueLength: 20, cpu: '0.25', memory: '0.5Gi' }
}

param logRetentionDays = 90

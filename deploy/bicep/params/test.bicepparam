// The test environment (tt02): small and cheap, stages scale to zero when idle except inbound.
using '../main.bicep'

param environmentName = 'test'
param namePrefix = 'altinn-events-test'
param storageAccountName = 'altinneventstestq'
param keyVaultName = 'altinn-events-test-kv'
param containerRegistryName = 'altinneventsacr'
param imageTag = readEnvironmentVariable('IMAGE_TAG', 'latest')

param postgresSkuName = 'Standard_B2ms'
param postgresTier = 'Burstable'
param postgresStorageGB = 64
param postgresHighAvailability = false
param postgresBackupRetentionDays = 7
param postgresAdminPassword = readEnvironmentVariable('POSTGRES_ADMIN_PASSWORD')
param databasePoolSize = 20

param apiMinReplicas = 1
param apiMaxReplicas = 4
param apiConcurrentRequests = 100
param apiCpu = '0.5'
param apiMemory = '1Gi'

param stageScale = {
  inbound: { minReplicas: 1, maxReplicas: 4, queueLength: 10, cpu: '0.5', memory: '1Gi' }
  outbound: { minReplicas: 0, maxReplicas: 4, queueLength: 50, cpu: '0.5', memory: '1Gi' }
  validation: { minReplicas: 0, maxReplicas: 2, queueLength: 20, cpu: '0.25', memory: '0.5Gi' }
}

param logRetentionDays = 30

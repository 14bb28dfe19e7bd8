// One container app: its own user-assigned identity (registry pull, Key Vault secrets, queues), the settings
// main.bicep derived from deploy/settings/app-settings.json, probes on the hosts' health endpoints, and the
// scale rules it is given. The images listen on 8080 (the aspnet image's default).
param location string
param name string
param environmentId string
param identityResourceId string
param registryServer string
param image string
param cpu string
param memory string

@description('Environment variables: { name, value } or { name, secretRef }.')
param env array

@description('Container Apps secrets: { name, keyVaultUrl, identity }.')
param secrets array

@description('Public HTTP ingress on 8080 (the API); false for the stages, which only need probes.')
param externalIngress bool
param minReplicas int
param maxReplicas int
param scaleRules array

resource app 'Microsoft.App/containerApps@2025-01-01' = {
  name: name
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityResourceId}': {} }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      secrets: secrets
      registries: [
        {
          server: registryServer
          identity: identityResourceId
        }
      ]
      ingress: externalIngress ? {
        external: true
        targetPort: 8080
        transport: 'auto'
        allowInsecure: false
      } : null
    }
    template: {
      containers: [
        {
          name: name
          image: image
          env: env
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          probes: [
            {
              type: 'Liveness'
              httpGet: { path: '/health', port: 8080 }
              periodSeconds: 10
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: { path: '/health/ready', port: 8080 }
              periodSeconds: 10
              failureThreshold: 3
            }
            {
              type: 'Startup'
              httpGet: { path: '/health', port: 8080 }
              periodSeconds: 2
              failureThreshold: 30
            }
          ]
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: scaleRules
      }
    }
  }
}

output fqdn string = externalIngress ? app.properties.configuration.ingress.fqdn : ''

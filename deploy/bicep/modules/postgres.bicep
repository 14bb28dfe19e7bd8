// Azure Database for PostgreSQL Flexible Server with the events database. Password authentication: the hosts
// build their NpgsqlDataSource from Database:ConnectionString alone (see docs/deploy.md for Entra auth).
param location string
param serverName string
param databaseName string
param version string
param skuName string
param tier string
param storageSizeGB int
param highAvailability bool
param backupRetentionDays int
param administratorLogin string

@secure()
param administratorLoginPassword string

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: serverName
  location: location
  sku: {
    name: skuName
    tier: tier
  }
  properties: {
    version: version
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorLoginPassword
    authConfig: {
      passwordAuth: 'Enabled'
      activeDirectoryAuth: 'Disabled'
    }
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: backupRetentionDays
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: highAvailability ? 'ZoneRedundant' : 'Disabled'
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }

  resource database 'databases' = {
    name: databaseName
    properties: {
      charset: 'UTF8'
      collation: 'en_US.utf8'
    }
  }

  // 0.0.0.0 is Azure's "allow Azure services" rule: the Container Apps environment's outbound addresses are
  // not fixed on the consumption plan. A VNet-integrated environment with private access is the hardening step.
  resource allowAzure 'firewallRules' = {
    name: 'AllowAzureServices'
    properties: {
      startIpAddress: '0.0.0.0'
      endIpAddress: '0.0.0.0'
    }
  }
}

output fqdn string = server.properties.fullyQualifiedDomainName

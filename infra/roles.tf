# Every role assignment of the stack, in one place: who may do what, on which scope.

locals {
  # The function reads models and its own package, nothing else, from the artifacts account.
  function_reads = toset(["models", "deployments"])
  # The pipeline publishes models and uploads packages.
  deployer_writes = toset(["models", "deployments"])
  # Identity-based AzureWebJobsStorage for an HTTP-only app: blobs (coordination, keys) and
  # tables (diagnostic events). No queues: no blob or queue triggers.
  host_storage_roles = toset(["Storage Blob Data Owner", "Storage Table Data Contributor"])
}

resource "azurerm_role_assignment" "function_artifacts_reader" {
  for_each = local.function_reads

  scope                            = module.artifacts.container_ids[each.key]
  role_definition_name             = "Storage Blob Data Reader"
  principal_id                     = module.function_app.principal_id
  principal_type                   = "ServicePrincipal"
  skip_service_principal_aad_check = true
  description                      = "FluxOps function reads ${each.key}"
}

resource "azurerm_role_assignment" "function_host_storage" {
  for_each = local.host_storage_roles

  scope                            = module.host_storage.id
  role_definition_name             = each.key
  principal_id                     = module.function_app.principal_id
  principal_type                   = "ServicePrincipal"
  skip_service_principal_aad_check = true
  description                      = "Functions host storage (AzureWebJobsStorage) via managed identity"
}

# Scoped to the one secret, not the vault.
resource "azurerm_role_assignment" "function_signing_secret_user" {
  scope                            = module.key_vault.signing_secret_resource_id
  role_definition_name             = "Key Vault Secrets User"
  principal_id                     = module.function_app.principal_id
  principal_type                   = "ServicePrincipal"
  skip_service_principal_aad_check = true
  description                      = "FluxOps function reads the model-signing key"
}

resource "azurerm_role_assignment" "function_telemetry_publisher" {
  scope                            = module.app_insights.id
  role_definition_name             = "Monitoring Metrics Publisher"
  principal_id                     = module.function_app.principal_id
  principal_type                   = "ServicePrincipal"
  skip_service_principal_aad_check = true
  description                      = "Entra ID-authenticated telemetry (local auth is off)"
}

resource "azurerm_role_assignment" "deployer_artifacts_contributor" {
  for_each = local.deployer_writes

  scope                = module.artifacts.container_ids[each.key]
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = local.deployer_object_id
  description          = "FluxOps pipeline publishes to ${each.key}"
}

# Creates the signing secret (Terraform) and reads it to sign models (the trainer).
resource "azurerm_role_assignment" "deployer_secrets_officer" {
  scope                = module.key_vault.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = local.deployer_object_id
  description          = "FluxOps pipeline manages the model-signing secret"
}

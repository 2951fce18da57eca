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

# Azure RBAC is eventually consistent: a new role assignment can take minutes to reach the data
# planes (Key Vault, Blob Storage), which answer 403 until it does (Microsoft: "Troubleshoot
# Azure RBAC", changes take up to 10 minutes; terraform-provider-azurerm#23927: a secret written
# right after its Secrets Officer assignment fails with 403; Azure Verified Modules key-vault#78
# added a wait for the same reason). The duration is a guess at the usual case, not a bound: the
# pipeline's data-plane calls also retry 403 for a bounded time after the apply.
#
# The deployer's roles: the signing secret (written in this apply) waits for them; the blob
# uploads and the trainer's vault read come after the apply, which ends after both waits.
resource "time_sleep" "deployer_rbac_propagation" {
  create_duration = var.rbac_propagation_wait

  # A replaced assignment (a new deployer, a new vault) is new to Azure too: wait again.
  triggers = {
    secrets_officer = azurerm_role_assignment.deployer_secrets_officer.id
    blob_writers    = join(",", sort([for ra in azurerm_role_assignment.deployer_artifacts_contributor : ra.id]))
  }
}

# The function's roles: its host storage, package, models, signing secret and telemetry. The
# apply ends after this wait, so the deploy that follows starts a host whose roles are live.
resource "time_sleep" "function_rbac_propagation" {
  create_duration = var.rbac_propagation_wait

  triggers = {
    assignments = join(",", sort(concat(
      [for ra in azurerm_role_assignment.function_artifacts_reader : ra.id],
      [for ra in azurerm_role_assignment.function_host_storage : ra.id],
      [azurerm_role_assignment.function_signing_secret_user.id, azurerm_role_assignment.function_telemetry_publisher.id],
    )))
  }
}

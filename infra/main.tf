data "azurerm_client_config" "current" {}

# Storage account, vault and function names are global: a random suffix, fixed in state,
# keeps them unique.
resource "random_string" "suffix" {
  length  = 6
  upper   = false
  special = false
  numeric = true
}

locals {
  base   = "${var.name_prefix}-${var.environment}"
  suffix = random_string.suffix.result

  names = {
    resource_group    = "rg-${local.base}"
    artifacts_storage = "st${var.name_prefix}${var.environment}${local.suffix}"
    host_storage      = "st${var.name_prefix}${var.environment}h${local.suffix}"
    key_vault         = "kv-${local.base}-${local.suffix}"
    service_plan      = "asp-${local.base}-${local.suffix}"
    function_app      = "func-${local.base}-${local.suffix}"
    log_workspace     = "log-${local.base}-${local.suffix}"
    app_insights      = "appi-${local.base}-${local.suffix}"
    action_group      = "ag-${local.base}"
  }

  tags = merge(var.tags, {
    project     = "fluxops"
    environment = var.environment
    managed-by  = "terraform"
  })

  # Built from names (known at plan time) rather than resource attributes, which keeps the
  # function app independent of the vault: the vault's network rules list the app's addresses.
  blob_endpoint = "https://${local.names.artifacts_storage}.blob.core.windows.net"
  key_vault_uri = "https://${local.names.key_vault}.vault.azure.net/"

  # FC1's deployment storage: one-deploy writes the package here, the platform runs it.
  flex_container = "app-package"

  deployer_object_id = coalesce(var.deployer_object_id, data.azurerm_client_config.current.object_id)

  # A canary or shadow release: the function reads these at start-up (function/main.ts).
  release_settings = var.release.mode == "off" ? {} : merge({
    FLUXOPS_RELEASE_MODE          = var.release.mode
    FLUXOPS_CANDIDATE_ALIAS       = var.release.candidate_alias
    FLUXOPS_STICKY_HEADER         = var.release.sticky_header
    FLUXOPS_ROLLBACK_ERROR_RATE   = tostring(var.release.rollback_error_rate)
    FLUXOPS_ROLLBACK_MIN_REQUESTS = tostring(var.release.rollback_min_requests)
  }, var.release.mode == "canary" ? { FLUXOPS_CANARY_WEIGHT = tostring(var.release.canary_weight) } : {})
}

# The resource group outlives the stack: infra/bootstrap creates it, with the pipeline
# identity's grants scoped to it, so a teardown (cleanup:dev) removes what is inside and keeps
# the group and the grants the next deploy needs. Whatever Azure adds to the group by itself
# (App Insights' smart-detection action group) therefore never blocks a destroy.
data "azurerm_resource_group" "this" {
  name = local.names.resource_group
}

# Models, aliases and function packages: read by the function, written by the pipeline.
module "artifacts" {
  source = "./modules/storage"

  name                       = local.names.artifacts_storage
  resource_group_name        = data.azurerm_resource_group.this.name
  location                   = data.azurerm_resource_group.this.location
  replication_type           = var.storage_replication_type
  soft_delete_retention_days = var.soft_delete_retention_days
  containers                 = ["models", "deployments"]
  diagnostics_workspace_id   = module.app_insights.workspace_id
  tags                       = local.tags
}

# The Functions host's own storage (AzureWebJobsStorage): separate, so that the Blob Data Owner
# role the host needs gives it no write access to models or packages.
module "host_storage" {
  source = "./modules/storage"

  name                       = local.names.host_storage
  resource_group_name        = data.azurerm_resource_group.this.name
  location                   = data.azurerm_resource_group.this.location
  replication_type           = var.storage_replication_type
  soft_delete_retention_days = var.soft_delete_retention_days
  # FC1 runs its code from a container of its own account, where its identity is Blob Data Owner.
  containers = var.service_plan_sku == "FC1" ? [local.flex_container] : []
  tags       = local.tags
}

module "app_insights" {
  source = "./modules/app_insights"

  name                    = local.names.app_insights
  workspace_name          = local.names.log_workspace
  resource_group_name     = data.azurerm_resource_group.this.name
  location                = data.azurerm_resource_group.this.location
  retention_in_days       = var.log_retention_in_days
  daily_quota_gb          = var.log_daily_quota_gb
  action_group_id         = var.action_group_id
  action_group_name       = local.names.action_group
  action_group_short_name = substr("${var.name_prefix}${var.environment}", 0, 12)
  alert_email_addresses   = var.alert_email_addresses
  alerts                  = var.alerts
  drift_alert             = var.drift_alert
  tags                    = local.tags
}

module "function_app" {
  source = "./modules/function_app"

  name                                   = local.names.function_app
  plan_name                              = local.names.service_plan
  resource_group_name                    = data.azurerm_resource_group.this.name
  location                               = data.azurerm_resource_group.this.location
  sku_name                               = var.service_plan_sku
  worker_count                           = var.worker_count
  host_storage_account_name              = module.host_storage.name
  package_url                            = "${local.blob_endpoint}/deployments/${var.package_blob_name}"
  flex_deployment_container_url          = var.service_plan_sku == "FC1" ? "https://${local.names.host_storage}.blob.core.windows.net/${local.flex_container}" : null
  application_insights_connection_string = module.app_insights.connection_string

  app_settings = merge({
    FLUXOPS_STORE          = "${local.blob_endpoint}/models"
    FLUXOPS_ALIAS          = var.model_alias
    FLUXOPS_KEY_VAULT_URI  = local.key_vault_uri
    FLUXOPS_SIGNING_SECRET = var.signing_key.secret_name
    # Run-from-package mounts the app folder read-only; Deno's caches go to a writable place.
    DENO_DIR = "/tmp/deno"
  }, local.release_settings)

  tags = local.tags
}

module "key_vault" {
  source = "./modules/key_vault"

  name                       = local.names.key_vault
  resource_group_name        = data.azurerm_resource_group.this.name
  location                   = data.azurerm_resource_group.this.location
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  soft_delete_retention_days = var.soft_delete_retention_days
  network_acls               = var.key_vault_network_acls
  # The deploying runner's addresses, and the app's: vault rules accept IPv4 only.
  allowed_ip_addresses = concat(var.deploy_runner_ip_ranges, [
    for ip in module.function_app.possible_outbound_ip_addresses : ip if can(cidrnetmask("${ip}/32"))
  ])
  private_endpoint = var.key_vault_private_endpoint
  signing_key      = var.signing_key
  # The secret is written only once the deployer's Secrets Officer role has propagated.
  secret_writer_role_assignment_ids = [time_sleep.deployer_rbac_propagation.id]
  tags                              = local.tags
}

# States written before infra/bootstrap owned the group: forget the group, never delete it (import
# it into the bootstrap's state: QUICKSTART.md, "One-time setup").
removed {
  from = module.resource_group

  lifecycle {
    destroy = false
  }
}

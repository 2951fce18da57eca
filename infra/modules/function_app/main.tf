locals {
  flex = var.sku_name == "FC1"

  # Always On keeps a dedicated worker warm; elastic premium (EP1) and Flex Consumption (FC1)
  # scale by themselves and reject it.
  always_on = contains(["B1", "P1v3"], var.sku_name)

  # Dedicated and elastic premium plans run from a package URL: a private blob in the
  # deployments container that the app's system-assigned identity (Storage Blob Data Reader
  # there) fetches, so the URL carries no SAS token. Flex Consumption has no
  # WEBSITE_RUN_FROM_PACKAGE: the platform runs what a one-deploy put in its deployment
  # container (flex_deployment_container_url), read with the same identity.
  package_settings = local.flex ? {
    # The provider writes AzureWebJobsStorage as a connection string with an empty AccountKey
    # when the deployment storage uses an identity (azurerm#29006); an app setting given here
    # replaces it, and the host then connects with __accountName and the app's identity. Not run
    # against Azure: whether the host treats the empty value as unset is Microsoft's documented
    # identity-connection behaviour, but unverified here.
    AzureWebJobsStorage              = ""
    AzureWebJobsStorage__accountName = var.host_storage_account_name
    } : {
    WEBSITE_RUN_FROM_PACKAGE                     = var.package_url
    WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID = "SystemAssigned"
  }

  app_settings = merge(var.app_settings, local.package_settings, {
    # Application Insights has local (key) authentication off: telemetry goes with the app's
    # identity (Monitoring Metrics Publisher on the component).
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING = "Authorization=AAD"
  })

  # The one app of either kind, by attribute (the two resource types differ in shape).
  app = {
    id                = one(concat(azurerm_linux_function_app.this[*].id, azurerm_function_app_flex_consumption.this[*].id))
    name              = one(concat(azurerm_linux_function_app.this[*].name, azurerm_function_app_flex_consumption.this[*].name))
    default_hostname  = one(concat(azurerm_linux_function_app.this[*].default_hostname, azurerm_function_app_flex_consumption.this[*].default_hostname))
    principal_id      = one(concat(azurerm_linux_function_app.this[*].identity[0].principal_id, azurerm_function_app_flex_consumption.this[*].identity[0].principal_id))
    outbound_ip_addrs = one(concat(azurerm_linux_function_app.this[*].possible_outbound_ip_address_list, azurerm_function_app_flex_consumption.this[*].possible_outbound_ip_address_list))
  }
}

resource "azurerm_service_plan" "this" {
  #checkov:skip=CKV_AZURE_212:One instance keeps dev at the seed's budget; raise worker_count (a variable) with a P1v3 plan for failover in production.
  #checkov:skip=CKV_AZURE_225:Zone redundancy needs P1v3 or higher with at least 3 instances; the SKU is a variable and B1, the seed's plan, cannot be zone-redundant.
  #checkov:skip=CKV_AZURE_211:B1 is the seed's plan and the dev budget; prod.tfvars selects P1v3.
  name                = var.plan_name
  location            = var.location
  resource_group_name = var.resource_group_name
  os_type             = "Linux"
  sku_name            = var.sku_name
  # Flex Consumption scales per app (maximum_instance_count below), not per plan.
  worker_count = local.flex ? null : var.worker_count
  tags         = var.tags
}

resource "azurerm_linux_function_app" "this" {
  count = local.flex ? 0 : 1

  #checkov:skip=CKV_AZURE_221:The prediction API is a public REST endpoint; requests are HTTPS-only and authorised by function keys (authLevel function).
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  service_plan_id     = azurerm_service_plan.this.id

  storage_account_name          = var.host_storage_account_name
  storage_uses_managed_identity = true
  # Run from a package URL: no Azure Files content share (which would need an account key).
  content_share_force_disabled = true
  builtin_logging_enabled      = false

  https_only                                     = true
  public_network_access_enabled                  = true
  ftp_publish_basic_authentication_enabled       = false
  webdeploy_publish_basic_authentication_enabled = false
  client_certificate_enabled                     = false

  identity {
    type = "SystemAssigned"
  }

  site_config {
    always_on                              = local.always_on
    ftps_state                             = "Disabled"
    minimum_tls_version                    = "1.2"
    scm_minimum_tls_version                = "1.2"
    http2_enabled                          = true
    remote_debugging_enabled               = false
    health_check_path                      = var.health_check_path
    health_check_eviction_time_in_min      = 5
    application_insights_connection_string = var.application_insights_connection_string

    application_stack {
      use_custom_runtime = true
    }
  }

  app_settings = local.app_settings

  tags = var.tags

  lifecycle {
    # `deno task deploy` points the app at each new package blob; a later apply must not put
    # the old URL back.
    ignore_changes = [app_settings["WEBSITE_RUN_FROM_PACKAGE"]]
  }
}

# Flex Consumption (FC1): Linux, scales to zero and out per app, runs custom handlers
# (runtime "custom"). Its code comes from a blob container (the deployment storage), reached with
# the app's system-assigned identity; the host storage account holds that container, where the
# identity already has Storage Blob Data Owner.
resource "azurerm_function_app_flex_consumption" "this" {
  #checkov:skip=CKV_AZURE_221:The prediction API is a public REST endpoint; requests are HTTPS-only and authorised by function keys (authLevel function).
  count = local.flex ? 1 : 0

  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  service_plan_id     = azurerm_service_plan.this.id

  storage_container_type      = "blobContainer"
  storage_container_endpoint  = var.flex_deployment_container_url
  storage_authentication_type = "SystemAssignedIdentity"
  runtime_name                = "custom"
  runtime_version             = "1.0"
  maximum_instance_count      = var.worker_count
  instance_memory_in_mb       = 2048

  https_only                                     = true
  public_network_access_enabled                  = true
  webdeploy_publish_basic_authentication_enabled = false
  client_certificate_enabled                     = false

  identity {
    type = "SystemAssigned"
  }

  site_config {
    minimum_tls_version                    = "1.2"
    scm_minimum_tls_version                = "1.2"
    http2_enabled                          = true
    remote_debugging_enabled               = false
    health_check_path                      = var.health_check_path
    health_check_eviction_time_in_min      = 5
    application_insights_connection_string = var.application_insights_connection_string
  }

  app_settings = local.app_settings

  tags = var.tags
}

# States written before FC1 was offered had the one app without an index.
moved {
  from = azurerm_linux_function_app.this
  to   = azurerm_linux_function_app.this[0]
}

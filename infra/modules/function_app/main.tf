locals {
  # Always On keeps a dedicated worker warm; consumption (Y1) and elastic premium (EP1) plans
  # scale by themselves and reject it.
  always_on = contains(["B1", "P1v3"], var.sku_name)

  app_settings = merge(var.app_settings, {
    # The package is a private blob in the deployments container; the app's system-assigned
    # identity (Storage Blob Data Reader there) fetches it, so the URL carries no SAS token.
    WEBSITE_RUN_FROM_PACKAGE                     = var.package_url
    WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID = "SystemAssigned"
    # Application Insights has local (key) authentication off: telemetry goes with the app's
    # identity (Monitoring Metrics Publisher on the component).
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING = "Authorization=AAD"
  })
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
  worker_count        = var.sku_name == "Y1" ? null : var.worker_count
  tags                = var.tags
}

resource "azurerm_linux_function_app" "this" {
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

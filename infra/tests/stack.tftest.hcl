# The stack planned and applied against a mocked azurerm provider: no Azure credentials, no
# network, real provider schema and validation. Run once per environment:
#   tofu test -var-file=env/dev.tfvars
#   tofu test -var-file=env/prod.tfvars
# Assertions that differ by environment compare with var.environment.

mock_provider "azurerm" {
  mock_data "azurerm_client_config" {
    defaults = {
      tenant_id       = "00000000-0000-0000-0000-00000000000a"
      object_id       = "00000000-0000-0000-0000-00000000000b"
      subscription_id = "00000000-0000-0000-0000-00000000000c"
    }
  }

  # Computed IDs in the shapes the provider validates.
  mock_resource "azurerm_resource_group" {
    defaults = { id = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock" }
  }

  mock_resource "azurerm_storage_account" {
    defaults = {
      id                    = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock/providers/Microsoft.Storage/storageAccounts/stmock"
      primary_blob_endpoint = "https://stmock.blob.core.windows.net/"
    }
  }

  mock_resource "azurerm_storage_container" {
    defaults = {
      id  = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock/providers/Microsoft.Storage/storageAccounts/stmock/blobServices/default/containers/mock"
      url = "https://stmock.blob.core.windows.net/mock"
    }
  }

  mock_resource "azurerm_log_analytics_workspace" {
    defaults = { id = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock/providers/Microsoft.OperationalInsights/workspaces/log-mock" }
  }

  mock_resource "azurerm_application_insights" {
    defaults = {
      id                = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock/providers/Microsoft.Insights/components/appi-mock"
      connection_string = "InstrumentationKey=00000000-0000-0000-0000-0000000000aa;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/"
    }
  }

  mock_resource "azurerm_monitor_action_group" {
    defaults = { id = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock/providers/Microsoft.Insights/actionGroups/ag-mock" }
  }

  mock_resource "azurerm_service_plan" {
    defaults = { id = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock/providers/Microsoft.Web/serverFarms/asp-mock" }
  }

  mock_resource "azurerm_key_vault" {
    defaults = {
      id        = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock/providers/Microsoft.KeyVault/vaults/kv-mock"
      vault_uri = "https://kv-mock.vault.azure.net/"
    }
  }

  mock_resource "azurerm_key_vault_secret" {
    defaults = {
      id                      = "https://kv-mock.vault.azure.net/secrets/model-signing-key/0123456789abcdef0123456789abcdef"
      versionless_id          = "https://kv-mock.vault.azure.net/secrets/model-signing-key"
      resource_versionless_id = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock/providers/Microsoft.KeyVault/vaults/kv-mock/secrets/model-signing-key"
    }
  }

  mock_resource "azurerm_role_assignment" {
    defaults = { id = "/subscriptions/00000000-0000-0000-0000-00000000000c/providers/Microsoft.Authorization/roleAssignments/00000000-0000-0000-0000-0000000000e1" }
  }

  # A function app with an IPv6 address among its outbound ones: vault rules take IPv4 only.
  mock_resource "azurerm_linux_function_app" {
    defaults = {
      id                                = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock/providers/Microsoft.Web/sites/func-mock"
      default_hostname                  = "func-mock.azurewebsites.net"
      possible_outbound_ip_address_list = ["203.0.113.10", "203.0.113.11", "2001:db8::1"]
      identity = {
        principal_id = "00000000-0000-0000-0000-0000000000f1"
        tenant_id    = "00000000-0000-0000-0000-00000000000a"
      }
    }
  }
}

run "stack" {
  command = apply

  assert {
    condition     = can(regex("^st[a-z0-9]{3,22}$", module.artifacts.name)) && can(regex("^st[a-z0-9]{3,22}$", module.host_storage.name))
    error_message = "storage account names: 3-24 lower-case letters and digits"
  }

  assert {
    condition     = module.artifacts.name != module.host_storage.name
    error_message = "the Functions host's storage is a separate account from the model store"
  }

  assert {
    condition     = length(module.key_vault.name) <= 24 && length(module.function_app.name) <= 32
    error_message = "vault names have at most 24 characters, function app names at most 32"
  }

  assert {
    condition     = endswith(module.function_app.name, random_string.suffix.result) && strcontains(module.function_app.name, var.environment)
    error_message = "names carry the environment and the random suffix"
  }

  assert {
    condition     = toset(keys(output.containers)) == toset(["models", "deployments"])
    error_message = "the artifacts account has exactly the containers models and deployments"
  }

  assert {
    condition     = output.model_store_url == "https://${module.artifacts.name}.blob.core.windows.net/models"
    error_message = "model_store_url is the models container URL"
  }

  assert {
    condition = (
      module.function_app.app_settings["FLUXOPS_STORE"] == output.model_store_url &&
      module.function_app.app_settings["FLUXOPS_ALIAS"] == var.model_alias &&
      module.function_app.app_settings["FLUXOPS_KEY_VAULT_URI"] == "https://${module.key_vault.name}.vault.azure.net/" &&
      module.function_app.app_settings["FLUXOPS_SIGNING_SECRET"] == output.signing_secret_name &&
      module.function_app.app_settings["DENO_DIR"] == "/tmp/deno"
    )
    error_message = "the function's app settings name the model store, alias, vault, secret and a writable DENO_DIR"
  }

  assert {
    condition = (
      module.function_app.app_settings["WEBSITE_RUN_FROM_PACKAGE"] == "https://${module.artifacts.name}.blob.core.windows.net/deployments/${var.package_blob_name}" &&
      module.function_app.app_settings["WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID"] == "SystemAssigned"
    )
    error_message = "the function runs from a blob in deployments, fetched with its managed identity (no SAS)"
  }

  assert {
    condition     = alltrue([for k, v in module.function_app.app_settings : !can(regex("(?i)(AccountKey|SharedAccessSignature|sig=)", v))])
    error_message = "no app setting carries a storage key or SAS"
  }

  assert {
    condition     = startswith(output.function_app_url, "https://")
    error_message = "function_app_url is an https URL"
  }

  # Least privilege: what the function's identity may do, and where.
  assert {
    condition = alltrue([
      for k, ra in azurerm_role_assignment.function_artifacts_reader :
      ra.role_definition_name == "Storage Blob Data Reader" && ra.principal_id == module.function_app.principal_id
    ]) && toset(keys(azurerm_role_assignment.function_artifacts_reader)) == toset(["models", "deployments"])
    error_message = "the function only reads the models and deployments containers"
  }

  assert {
    condition = (
      toset([for ra in azurerm_role_assignment.function_host_storage : ra.role_definition_name]) == toset(["Storage Blob Data Owner", "Storage Table Data Contributor"]) &&
      alltrue([for ra in azurerm_role_assignment.function_host_storage : ra.scope == module.host_storage.id])
    )
    error_message = "the host's storage roles are scoped to the host's own account"
  }

  assert {
    condition = (
      azurerm_role_assignment.function_signing_secret_user.role_definition_name == "Key Vault Secrets User" &&
      azurerm_role_assignment.function_signing_secret_user.scope == module.key_vault.signing_secret_resource_id
    )
    error_message = "the function may read the signing secret and nothing else in the vault"
  }

  assert {
    condition = (
      alltrue([for ra in azurerm_role_assignment.deployer_artifacts_contributor : ra.role_definition_name == "Storage Blob Data Contributor" && ra.principal_id == "00000000-0000-0000-0000-00000000000b"]) &&
      azurerm_role_assignment.deployer_secrets_officer.role_definition_name == "Key Vault Secrets Officer"
    )
    error_message = "the deploying identity (default: the caller) publishes to the containers and manages the secret"
  }

  assert {
    condition     = var.environment != "prod" || (var.service_plan_sku == "P1v3" && var.worker_count >= 2)
    error_message = "prod runs on P1v3 with at least two instances"
  }

  assert {
    condition     = var.environment != "prod" || (var.key_vault_network_acls.default_action == "Deny" && contains(["GRS", "RAGRS", "GZRS", "RAGZRS"], var.storage_replication_type))
    error_message = "prod keeps the vault closed by default and the model store geo-redundant"
  }
}

run "storage_is_private_and_recoverable" {
  command = plan

  module {
    source = "./modules/storage"
  }

  variables {
    name                = "stfluxopsdevabc123"
    resource_group_name = "rg-fluxops-dev"
    location            = "westeurope"
    containers          = ["models", "deployments"]
  }

  assert {
    condition = (
      azurerm_storage_account.this.https_traffic_only_enabled &&
      azurerm_storage_account.this.min_tls_version == "TLS1_2" &&
      !azurerm_storage_account.this.allow_nested_items_to_be_public &&
      !azurerm_storage_account.this.shared_access_key_enabled &&
      azurerm_storage_account.this.default_to_oauth_authentication
    )
    error_message = "storage: HTTPS only, TLS 1.2, no public blobs, no shared keys, Entra ID by default"
  }

  assert {
    condition = (
      azurerm_storage_account.this.blob_properties[0].versioning_enabled &&
      azurerm_storage_account.this.blob_properties[0].delete_retention_policy[0].days == 7 &&
      azurerm_storage_account.this.blob_properties[0].container_delete_retention_policy[0].days == 7
    )
    error_message = "storage: versioning, and 7-day soft delete for blobs and containers"
  }

  assert {
    condition     = alltrue([for c in azurerm_storage_container.this : c.container_access_type == "private"]) && length(azurerm_storage_container.this) == 2
    error_message = "both containers are private"
  }

  assert {
    condition     = length(azurerm_monitor_diagnostic_setting.blob) == 0
    error_message = "no blob audit log without a workspace"
  }
}

run "key_vault_is_rbac_only_and_purge_protected" {
  command = apply

  module {
    source = "./modules/key_vault"
  }

  variables {
    name                 = "kv-fluxops-dev-abc123"
    resource_group_name  = "rg-fluxops-dev"
    location             = "westeurope"
    tenant_id            = "00000000-0000-0000-0000-00000000000a"
    allowed_ip_addresses = ["203.0.113.10"]
    network_acls         = { ip_rules = ["198.51.100.0/24"] }
    signing_key          = { expiration_date = "2027-11-30T00:00:00Z" }
  }

  assert {
    condition = (
      azurerm_key_vault.this.rbac_authorization_enabled &&
      azurerm_key_vault.this.purge_protection_enabled &&
      azurerm_key_vault.this.soft_delete_retention_days == 7 &&
      length(azurerm_key_vault.this.access_policy) == 0
    )
    error_message = "vault: RBAC only, purge protection, 7-day soft delete"
  }

  assert {
    condition = (
      azurerm_key_vault.this.network_acls[0].default_action == "Deny" &&
      toset(azurerm_key_vault.this.network_acls[0].ip_rules) == toset(["198.51.100.0/24", "203.0.113.10"])
    )
    error_message = "vault network rules deny by default and let in the listed and the app's addresses"
  }

  assert {
    condition = (
      length(random_password.signing_key.result) == 64 &&
      azurerm_key_vault_secret.signing_key.expiration_date == "2027-11-30T00:00:00Z" &&
      azurerm_key_vault_secret.signing_key.content_type != null
    )
    error_message = "the signing key is 64 generated characters, with an expiry and a content type"
  }
}

run "function_app_is_locked_down" {
  command = plan

  module {
    source = "./modules/function_app"
  }

  variables {
    name                                   = "func-fluxops-dev-abc123"
    plan_name                              = "asp-fluxops-dev-abc123"
    resource_group_name                    = "rg-fluxops-dev"
    location                               = "westeurope"
    host_storage_account_name              = "stfluxopsdevhabc123"
    package_url                            = "https://stfluxopsdevabc123.blob.core.windows.net/deployments/function/fluxops-function.zip"
    application_insights_connection_string = "InstrumentationKey=00000000-0000-0000-0000-0000000000aa"
  }

  assert {
    condition     = azurerm_service_plan.this.sku_name == "B1" && azurerm_service_plan.this.os_type == "Linux"
    error_message = "the default plan is Linux B1, as in the seed"
  }

  assert {
    condition = (
      azurerm_linux_function_app.this.site_config[0].application_stack[0].use_custom_runtime &&
      azurerm_linux_function_app.this.identity[0].type == "SystemAssigned" &&
      azurerm_linux_function_app.this.storage_uses_managed_identity
    )
    error_message = "custom handler runtime, system-assigned identity, host storage through that identity"
  }

  assert {
    condition = (
      azurerm_linux_function_app.this.https_only &&
      azurerm_linux_function_app.this.site_config[0].minimum_tls_version == "1.2" &&
      azurerm_linux_function_app.this.site_config[0].scm_minimum_tls_version == "1.2" &&
      azurerm_linux_function_app.this.site_config[0].ftps_state == "Disabled" &&
      !azurerm_linux_function_app.this.ftp_publish_basic_authentication_enabled &&
      !azurerm_linux_function_app.this.webdeploy_publish_basic_authentication_enabled
    )
    error_message = "HTTPS only, TLS 1.2, no FTP, no basic-auth publishing"
  }

  assert {
    condition = (
      azurerm_linux_function_app.this.site_config[0].health_check_path == "/api/health" &&
      azurerm_linux_function_app.this.site_config[0].always_on
    )
    error_message = "health check on /api/health; Always On on a dedicated plan"
  }
}

run "consumption_plan_has_no_always_on" {
  command = plan

  module {
    source = "./modules/function_app"
  }

  variables {
    name                                   = "func-fluxops-dev-abc123"
    plan_name                              = "asp-fluxops-dev-abc123"
    resource_group_name                    = "rg-fluxops-dev"
    location                               = "westeurope"
    sku_name                               = "Y1"
    host_storage_account_name              = "stfluxopsdevhabc123"
    package_url                            = "https://stfluxopsdevabc123.blob.core.windows.net/deployments/function/fluxops-function.zip"
    application_insights_connection_string = "InstrumentationKey=00000000-0000-0000-0000-0000000000aa"
  }

  assert {
    condition     = !azurerm_linux_function_app.this.site_config[0].always_on && azurerm_service_plan.this.sku_name == "Y1"
    error_message = "Y1 scales by itself: no Always On"
  }
}

run "alerts_watch_error_rate_and_p95" {
  command = plan

  module {
    source = "./modules/app_insights"
  }

  variables {
    name                    = "appi-fluxops-dev-abc123"
    workspace_name          = "log-fluxops-dev-abc123"
    resource_group_name     = "rg-fluxops-dev"
    location                = "westeurope"
    action_group_name       = "ag-fluxops-dev"
    action_group_short_name = "fluxopsdev"
    alert_email_addresses   = ["ops@example.com"]
    # Module defaults, whatever the environment's var file says.
    alerts = {}
  }

  assert {
    condition     = azurerm_log_analytics_workspace.this.retention_in_days == 30 && !azurerm_application_insights.this.local_authentication_enabled
    error_message = "workspace-based telemetry, 30-day retention, Entra ID ingestion only"
  }

  assert {
    condition = (
      strcontains(azurerm_monitor_scheduled_query_rules_alert_v2.error_rate.criteria[0].query, "resultCode") &&
      azurerm_monitor_scheduled_query_rules_alert_v2.error_rate.criteria[0].threshold == 5 &&
      strcontains(azurerm_monitor_scheduled_query_rules_alert_v2.latency_p95.criteria[0].query, "percentile(duration, 95)") &&
      azurerm_monitor_scheduled_query_rules_alert_v2.latency_p95.criteria[0].threshold == 1000
    )
    error_message = "one alert on the 5xx rate, one on p95 latency"
  }

  assert {
    condition     = length(azurerm_monitor_action_group.this) == 1 && length(azurerm_monitor_action_group.this[0].email_receiver) == 1
    error_message = "without an action_group_id, an action group e-mails the given addresses"
  }
}

run "drift_events_raise_an_alert_per_feature" {
  command = plan

  module {
    source = "./modules/app_insights"
  }

  variables {
    name                    = "appi-fluxops-dev-abc123"
    workspace_name          = "log-fluxops-dev-abc123"
    resource_group_name     = "rg-fluxops-dev"
    location                = "westeurope"
    action_group_name       = "ag-fluxops-dev"
    action_group_short_name = "fluxopsdev"
    alert_email_addresses   = ["ops@example.com"]
    # Module defaults, whatever the environment's var file says.
    drift_alert = {}
  }

  assert {
    condition = (
      strcontains(azurerm_monitor_scheduled_query_rules_alert_v2.drift.criteria[0].query, "traces") &&
      strcontains(azurerm_monitor_scheduled_query_rules_alert_v2.drift.criteria[0].query, "parse_json(extract(") &&
      strcontains(azurerm_monitor_scheduled_query_rules_alert_v2.drift.criteria[0].query, "msg == \"drift\" and status in (\"alert\")")
    )
    error_message = "the drift alert reads the function's JSON drift events from traces, status alert only by default"
  }

  assert {
    condition = (
      azurerm_monitor_scheduled_query_rules_alert_v2.drift.criteria[0].time_aggregation_method == "Count" &&
      azurerm_monitor_scheduled_query_rules_alert_v2.drift.criteria[0].operator == "GreaterThan" &&
      azurerm_monitor_scheduled_query_rules_alert_v2.drift.criteria[0].threshold == 0 &&
      azurerm_monitor_scheduled_query_rules_alert_v2.drift.criteria[0].dimension[0].name == "feature"
    )
    error_message = "any drift event fires the alert, one alert per feature"
  }

  assert {
    condition = (
      azurerm_monitor_scheduled_query_rules_alert_v2.drift.severity == 2 &&
      azurerm_monitor_scheduled_query_rules_alert_v2.drift.evaluation_frequency == "PT5M" &&
      azurerm_monitor_scheduled_query_rules_alert_v2.drift.window_duration == "PT15M" &&
      azurerm_monitor_scheduled_query_rules_alert_v2.drift.auto_mitigation_enabled &&
      length(azurerm_monitor_scheduled_query_rules_alert_v2.drift.scopes) == 1
    )
    error_message = "drift alert defaults: severity 2, every 5 minutes over 15, resolved by itself, on the component"
  }

  assert {
    condition     = length(azurerm_monitor_action_group.this) == 1
    error_message = "without an action group of its own, the drift alert notifies the module's"
  }
}

run "drift_alert_can_notify_another_action_group_on_warn" {
  command = plan

  module {
    source = "./modules/app_insights"
  }

  variables {
    name                    = "appi-fluxops-dev-abc123"
    workspace_name          = "log-fluxops-dev-abc123"
    resource_group_name     = "rg-fluxops-dev"
    location                = "westeurope"
    action_group_name       = "ag-fluxops-dev"
    action_group_short_name = "fluxopsdev"
    drift_alert = {
      statuses        = ["warn", "alert"]
      severity        = 1
      action_group_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-ml/providers/microsoft.insights/actionGroups/ag-ml-team"
    }
  }

  assert {
    condition = (
      strcontains(azurerm_monitor_scheduled_query_rules_alert_v2.drift.criteria[0].query, "status in (\"warn\", \"alert\")") &&
      azurerm_monitor_scheduled_query_rules_alert_v2.drift.severity == 1
    )
    error_message = "the drift alert can fire on warn too, at another severity"
  }

  assert {
    condition     = toset(azurerm_monitor_scheduled_query_rules_alert_v2.drift.action[0].action_groups) == toset(["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-ml/providers/microsoft.insights/actionGroups/ag-ml-team"])
    error_message = "the drift alert notifies the action group it is given"
  }
}

# Bad input: each run changes one variable and expects its validation to fail.
run "rejects_an_unknown_plan_sku" {
  command = plan
  variables { service_plan_sku = "S1" }
  expect_failures = [var.service_plan_sku]
}

run "rejects_an_unknown_environment" {
  command = plan
  variables { environment = "staging" }
  expect_failures = [var.environment]
}

run "rejects_an_upper_case_prefix" {
  command = plan
  variables { name_prefix = "FluxOps" }
  expect_failures = [var.name_prefix]
}

run "rejects_a_prefix_too_long_for_storage_names" {
  command = plan
  variables { name_prefix = "fluxopsml" }
  expect_failures = [var.name_prefix]
}

run "rejects_soft_delete_under_seven_days" {
  command = plan
  variables { soft_delete_retention_days = 3 }
  expect_failures = [var.soft_delete_retention_days]
}

run "rejects_log_retention_under_thirty_days" {
  command = plan
  variables { log_retention_in_days = 7 }
  expect_failures = [var.log_retention_in_days]
}

run "rejects_a_malformed_subscription_id" {
  command = plan
  variables { subscription_id = "my-subscription" }
  expect_failures = [var.subscription_id]
}

run "rejects_a_malformed_deployer_object_id" {
  command = plan
  variables { deployer_object_id = "gitlab-ci" }
  expect_failures = [var.deployer_object_id]
}

run "rejects_a_secret_expiry_that_is_not_rfc3339" {
  command = plan
  variables { signing_key = { expiration_date = "2027-11-30" } }
  expect_failures = [var.signing_key]
}

run "rejects_a_package_that_is_not_a_zip" {
  command = plan
  variables { package_blob_name = "function/fluxops.tar.gz" }
  expect_failures = [var.package_blob_name]
}

run "rejects_an_unknown_vault_default_action" {
  command = plan
  variables { key_vault_network_acls = { default_action = "Block" } }
  expect_failures = [var.key_vault_network_acls]
}

run "rejects_an_unknown_replication_type" {
  command = plan
  variables { storage_replication_type = "XRS" }
  expect_failures = [var.storage_replication_type]
}

run "rejects_an_unknown_drift_status" {
  command = plan

  module {
    source = "./modules/app_insights"
  }

  variables {
    name                    = "appi-fluxops-dev-abc123"
    workspace_name          = "log-fluxops-dev-abc123"
    resource_group_name     = "rg-fluxops-dev"
    location                = "westeurope"
    action_group_name       = "ag-fluxops-dev"
    action_group_short_name = "fluxopsdev"
    drift_alert             = { statuses = ["critical"] }
  }

  expect_failures = [var.drift_alert]
}

run "a_canary_release_sets_the_function_settings" {
  command = plan

  variables {
    release = {
      mode          = "canary"
      canary_weight = 0.25
    }
  }

  assert {
    condition = (
      local.release_settings["FLUXOPS_RELEASE_MODE"] == "canary" &&
      local.release_settings["FLUXOPS_CANARY_WEIGHT"] == "0.25" &&
      local.release_settings["FLUXOPS_CANDIDATE_ALIAS"] == "candidate" &&
      local.release_settings["FLUXOPS_ROLLBACK_ERROR_RATE"] == "0.05" &&
      local.release_settings["FLUXOPS_ROLLBACK_MIN_REQUESTS"] == "50"
    )
    error_message = "a canary release reaches the function as FLUXOPS_* app settings"
  }
}

run "no_release_sets_no_release_settings" {
  command = plan

  assert {
    condition     = length(local.release_settings) == 0
    error_message = "with release.mode off the function gets no release settings"
  }
}

run "rejects_a_canary_weight_given_as_a_percentage" {
  command = plan
  variables {
    release = { mode = "canary", canary_weight = 10 }
  }
  expect_failures = [var.release]
}

run "rejects_a_candidate_alias_that_is_the_production_alias" {
  command = plan
  variables {
    release = { mode = "shadow", candidate_alias = "production" }
  }
  expect_failures = [var.release]
}

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

  # The environment's resource group, made by infra/bootstrap before the stack.
  mock_data "azurerm_resource_group" {
    defaults = {
      id       = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock"
      location = "westeurope"
    }
  }

  # Computed IDs in the shapes the provider validates.

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

  mock_resource "azurerm_private_endpoint" {
    defaults = { id = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock/providers/Microsoft.Network/privateEndpoints/pe-mock" }
  }

  mock_resource "azurerm_function_app_flex_consumption" {
    defaults = {
      id                                = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock/providers/Microsoft.Web/sites/func-mock"
      default_hostname                  = "func-mock.azurewebsites.net"
      possible_outbound_ip_address_list = ["203.0.113.20"]
      identity = {
        principal_id = "00000000-0000-0000-0000-0000000000f2"
        tenant_id    = "00000000-0000-0000-0000-00000000000a"
      }
    }
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

# The waits for role propagation, without waiting: the assertions read their settings.
mock_provider "time" {}

# What the pipeline passes for a vault that denies by default (prod): the deploying runner's
# egress address. Runs that test the check without it set it back to [].
variables {
  deploy_runner_ip_ranges = ["198.51.100.7"]
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

  # Item 3 (issue 13): role assignments made in this apply are waited for before use.
  assert {
    condition = (
      time_sleep.deployer_rbac_propagation.create_duration == var.rbac_propagation_wait &&
      time_sleep.deployer_rbac_propagation.triggers["secrets_officer"] == azurerm_role_assignment.deployer_secrets_officer.id &&
      length(split(",", time_sleep.deployer_rbac_propagation.triggers["blob_writers"])) == 2
    )
    error_message = "the apply waits for the deployer's Secrets Officer and Blob Data Contributor assignments, and waits again when one is replaced"
  }

  assert {
    condition = (
      time_sleep.function_rbac_propagation.create_duration == var.rbac_propagation_wait &&
      length(split(",", time_sleep.function_rbac_propagation.triggers["assignments"])) == 6
    )
    error_message = "the apply waits for the function's six role assignments (two containers, two host storage roles, the secret, telemetry)"
  }

  # Item 4 (issue 13): the stack reads its resource group and never deletes it.
  assert {
    condition     = output.resource_group_name == "rg-${var.name_prefix}-${var.environment}" && data.azurerm_resource_group.this.name == output.resource_group_name
    error_message = "the stack lives in the bootstrap's group rg-<prefix>-<env>, read, not managed"
  }

  assert {
    condition     = output.function_hosting.mode == "run_from_package" && output.function_hosting.deployment_container_url == null
    error_message = "dedicated plans run from a package URL"
  }
}

run "prod_vault_unreachable_from_the_runner_fails_the_plan" {
  command = plan

  variables {
    key_vault_network_acls     = { default_action = "Deny" }
    deploy_runner_ip_ranges    = []
    key_vault_private_endpoint = null
  }

  expect_failures = [var.key_vault_network_acls]
}

run "runner_egress_addresses_open_the_vault_to_the_runner" {
  command = apply

  variables {
    key_vault_network_acls  = { default_action = "Deny" }
    deploy_runner_ip_ranges = ["198.51.100.7", "192.0.2.0/28"]
  }

  assert {
    condition = (
      module.key_vault.network_acls.default_action == "Deny" &&
      contains(module.key_vault.network_acls.ip_rules, "198.51.100.7") &&
      contains(module.key_vault.network_acls.ip_rules, "192.0.2.0/28") &&
      !contains(module.key_vault.network_acls.ip_rules, "2001:db8::1")
    )
    error_message = "the runner's egress addresses join the app's IPv4 addresses in the vault's ip_rules"
  }

  assert {
    condition     = module.key_vault.private_endpoint_id == null
    error_message = "no private endpoint unless asked"
  }
}

run "a_private_endpoint_opens_the_vault_to_the_runner_without_addresses" {
  command = apply

  variables {
    key_vault_network_acls  = { default_action = "Deny" }
    deploy_runner_ip_ranges = []
    key_vault_private_endpoint = {
      subnet_id            = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-ci/subnets/runners"
      private_dns_zone_ids = ["/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-net/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net"]
    }
  }

  assert {
    condition     = module.key_vault.private_endpoint_id != null && module.key_vault.network_acls.default_action == "Deny"
    error_message = "the vault gets a private endpoint in the given subnet and stays closed to the internet"
  }
}

run "an_explicit_deployer_decides_the_deployers_grants_whoever_plans" {
  command = plan

  variables {
    deployer_object_id = "11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition = (
      alltrue([for ra in azurerm_role_assignment.deployer_artifacts_contributor : ra.principal_id == var.deployer_object_id]) &&
      azurerm_role_assignment.deployer_secrets_officer.principal_id == var.deployer_object_id
    )
    error_message = "with deployer_object_id set, the plan identity (the mocked caller ...0b) does not become the deployer"
  }
}

run "flex_consumption_runs_the_custom_handler_from_its_deployment_container" {
  command = apply

  variables {
    service_plan_sku = "FC1"
    worker_count     = 10
  }

  assert {
    condition = (
      output.function_hosting.mode == "one_deploy" &&
      output.function_hosting.deployment_container_url == "https://${module.host_storage.name}.blob.core.windows.net/app-package" &&
      toset(keys(module.host_storage.container_urls)) == toset(["app-package"])
    )
    error_message = "FC1 deploys into an app-package container of the host's own account"
  }

  assert {
    condition = (
      !contains(keys(module.function_app.app_settings), "WEBSITE_RUN_FROM_PACKAGE") &&
      module.function_app.app_settings["AzureWebJobsStorage__accountName"] == module.host_storage.name &&
      module.function_app.app_settings["FLUXOPS_STORE"] == output.model_store_url
    )
    error_message = "FC1 has no run-from-package URL, reaches host storage by identity, and keeps the FluxOps settings"
  }

  assert {
    condition     = module.function_app.principal_id == "00000000-0000-0000-0000-0000000000f2" && azurerm_role_assignment.function_signing_secret_user.principal_id == module.function_app.principal_id
    error_message = "the Flex app's identity gets the function's roles"
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
      azurerm_key_vault_secret.signing_key.expiration_date == "2027-11-30T00:00:00Z" &&
      azurerm_key_vault_secret.signing_key.content_type != null
    )
    error_message = "the signing key has an expiry and a content type"
  }

  # Item 10 (issue 13): the key is written through the write-only value_wo; the state keeps
  # neither value nor value_wo, only the version that triggers a rotation.
  assert {
    condition = (
      azurerm_key_vault_secret.signing_key.value == null &&
      azurerm_key_vault_secret.signing_key.value_wo == null &&
      azurerm_key_vault_secret.signing_key.value_wo_version == 1
    )
    error_message = "the signing key's value is not in the state: value and value_wo are null, value_wo_version is 1"
  }
}

run "bumping_the_key_version_rotates_the_secret_in_place" {
  command = plan

  module {
    source = "./modules/key_vault"
  }

  variables {
    name                = "kv-fluxops-dev-abc123"
    resource_group_name = "rg-fluxops-dev"
    location            = "westeurope"
    tenant_id           = "00000000-0000-0000-0000-00000000000a"
    signing_key         = { expiration_date = "2027-11-30T00:00:00Z", version = 2 }
  }

  assert {
    condition     = azurerm_key_vault_secret.signing_key.value_wo_version == 2 && azurerm_key_vault_secret.signing_key.value == null
    error_message = "signing_key.version is the secret's value_wo_version: bumping it writes a new version"
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
      azurerm_linux_function_app.this[0].site_config[0].application_stack[0].use_custom_runtime &&
      azurerm_linux_function_app.this[0].identity[0].type == "SystemAssigned" &&
      azurerm_linux_function_app.this[0].storage_uses_managed_identity
    )
    error_message = "custom handler runtime, system-assigned identity, host storage through that identity"
  }

  assert {
    condition = (
      azurerm_linux_function_app.this[0].https_only &&
      azurerm_linux_function_app.this[0].site_config[0].minimum_tls_version == "1.2" &&
      azurerm_linux_function_app.this[0].site_config[0].scm_minimum_tls_version == "1.2" &&
      azurerm_linux_function_app.this[0].site_config[0].ftps_state == "Disabled" &&
      !azurerm_linux_function_app.this[0].ftp_publish_basic_authentication_enabled &&
      !azurerm_linux_function_app.this[0].webdeploy_publish_basic_authentication_enabled
    )
    error_message = "HTTPS only, TLS 1.2, no FTP, no basic-auth publishing"
  }

  assert {
    condition = (
      azurerm_linux_function_app.this[0].site_config[0].health_check_path == "/api/health" &&
      azurerm_linux_function_app.this[0].site_config[0].always_on
    )
    error_message = "health check on /api/health; Always On on a dedicated plan"
  }
}

run "flex_consumption_has_no_plan_instances_and_no_run_from_package" {
  command = plan

  module {
    source = "./modules/function_app"
  }

  variables {
    name                                   = "func-fluxops-dev-abc123"
    plan_name                              = "asp-fluxops-dev-abc123"
    resource_group_name                    = "rg-fluxops-dev"
    location                               = "westeurope"
    sku_name                               = "FC1"
    worker_count                           = 20
    host_storage_account_name              = "stfluxopsdevhabc123"
    package_url                            = "https://stfluxopsdevabc123.blob.core.windows.net/deployments/function/fluxops-function.zip"
    flex_deployment_container_url          = "https://stfluxopsdevhabc123.blob.core.windows.net/app-package"
    application_insights_connection_string = "InstrumentationKey=00000000-0000-0000-0000-0000000000aa"
  }

  assert {
    condition     = azurerm_service_plan.this.sku_name == "FC1" && coalesce(azurerm_service_plan.this.worker_count, 0) == 0 && length(azurerm_linux_function_app.this) == 0
    error_message = "FC1: a Flex Consumption plan without instances of its own, and no classic function app"
  }

  assert {
    condition = (
      azurerm_function_app_flex_consumption.this[0].runtime_name == "custom" &&
      azurerm_function_app_flex_consumption.this[0].storage_authentication_type == "SystemAssignedIdentity" &&
      azurerm_function_app_flex_consumption.this[0].storage_container_endpoint == "https://stfluxopsdevhabc123.blob.core.windows.net/app-package" &&
      azurerm_function_app_flex_consumption.this[0].maximum_instance_count == 20 &&
      azurerm_function_app_flex_consumption.this[0].identity[0].type == "SystemAssigned"
    )
    error_message = "FC1: custom handler runtime, code from the deployment container through the app's identity, scale-out cap from worker_count"
  }

  assert {
    condition = (
      azurerm_function_app_flex_consumption.this[0].https_only &&
      azurerm_function_app_flex_consumption.this[0].site_config[0].minimum_tls_version == "1.2" &&
      !azurerm_function_app_flex_consumption.this[0].webdeploy_publish_basic_authentication_enabled &&
      azurerm_function_app_flex_consumption.this[0].site_config[0].health_check_path == "/api/health"
    )
    error_message = "FC1: HTTPS only, TLS 1.2, no basic-auth publishing, the health check"
  }

  assert {
    condition = (
      !contains(keys(azurerm_function_app_flex_consumption.this[0].app_settings), "WEBSITE_RUN_FROM_PACKAGE") &&
      !contains(keys(azurerm_function_app_flex_consumption.this[0].app_settings), "FUNCTIONS_WORKER_RUNTIME") &&
      azurerm_function_app_flex_consumption.this[0].app_settings["AzureWebJobsStorage__accountName"] == "stfluxopsdevhabc123"
    )
    error_message = "FC1: no run-from-package or worker-runtime settings (Flex rejects them), host storage by identity"
  }
}

run "flex_consumption_needs_a_deployment_container" {
  command = plan

  module {
    source = "./modules/function_app"
  }

  variables {
    name                                   = "func-fluxops-dev-abc123"
    plan_name                              = "asp-fluxops-dev-abc123"
    resource_group_name                    = "rg-fluxops-dev"
    location                               = "westeurope"
    sku_name                               = "FC1"
    host_storage_account_name              = "stfluxopsdevhabc123"
    package_url                            = "https://stfluxopsdevabc123.blob.core.windows.net/deployments/function/fluxops-function.zip"
    application_insights_connection_string = "InstrumentationKey=00000000-0000-0000-0000-0000000000aa"
  }

  expect_failures = [var.flex_deployment_container_url]
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
      strcontains(azurerm_monitor_scheduled_query_rules_alert_v2.drift.criteria[0].query, "(msg == \"drift\" and (drifted == true or dataset_drift == true))") &&
      strcontains(azurerm_monitor_scheduled_query_rules_alert_v2.drift.criteria[0].query, "drifted = tobool(") &&
      strcontains(azurerm_monitor_scheduled_query_rules_alert_v2.drift.criteria[0].query, "dataset_drift = tobool(") &&
      !strcontains(azurerm_monitor_scheduled_query_rules_alert_v2.drift.criteria[0].query, "psi")
    )
    error_message = "the drift alert fires on a drifted feature or on the data set's drift, never on raw PSI"
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

run "rejects_linux_consumption_y1_which_retires" {
  command = plan
  variables { service_plan_sku = "Y1" }
  expect_failures = [var.service_plan_sku]
}

run "rejects_a_malformed_runner_address" {
  command = plan
  variables { deploy_runner_ip_ranges = ["runner.example.com"] }
  expect_failures = [var.deploy_runner_ip_ranges]
}

run "rejects_a_propagation_wait_without_a_unit" {
  command = plan
  variables { rbac_propagation_wait = "90" }
  expect_failures = [var.rbac_propagation_wait]
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

# The training-data container (issue 16, infra/data.tf).
run "data_container_is_private_and_only_read_by_the_deployer" {
  command = apply

  assert {
    condition     = azurerm_storage_container.data.name == "data" && azurerm_storage_container.data.container_access_type == "private"
    error_message = "the data container must be named data and private"
  }

  assert {
    condition     = azurerm_role_assignment.deployer_data_reader.role_definition_name == "Storage Blob Data Reader"
    error_message = "the deployer only reads training data"
  }

  assert {
    condition     = !contains(keys(module.artifacts.container_urls), "data")
    error_message = "the data container is not one of the function's containers"
  }
}

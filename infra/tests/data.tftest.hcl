# The training-data container (issue 16, infra/data.tf), applied against the mocked azurerm
# provider. The mocks and variables repeat stack.tftest.hcl's (IDs in the shapes the provider
# validates; prod's deploy runner addresses).

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

variables {
  deploy_runner_ip_ranges = ["198.51.100.7"]
}

mock_provider "time" {}

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

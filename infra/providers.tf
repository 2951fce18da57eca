provider "azurerm" {
  # null reads ARM_SUBSCRIPTION_ID, as GitLab CI's OIDC login sets it.
  subscription_id = var.subscription_id

  # Storage data-plane calls use Entra ID: the accounts have shared keys disabled.
  storage_use_azuread = true

  # azurerm 5.x registers no resource providers unless asked; these are the stack's.
  resource_provider_registrations = "none"
  resource_providers_to_register = [
    "Microsoft.Insights",
    "Microsoft.KeyVault",
    "Microsoft.OperationalInsights",
    "Microsoft.Storage",
    "Microsoft.Web",
  ]

  features {
    key_vault {
      # Purge protection forbids purging anyway; never try.
      purge_soft_delete_on_destroy    = false
      recover_soft_deleted_key_vaults = true
    }
    resource_group {
      prevent_deletion_if_contains_resources = true
    }
  }
}

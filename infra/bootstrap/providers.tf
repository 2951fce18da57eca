provider "azurerm" {
  # null reads ARM_SUBSCRIPTION_ID (or the Azure CLI's current subscription).
  subscription_id = var.subscription_id

  # The Owner who runs this registers the resource providers the stack uses once, so that the
  # pipeline identity, whose roles stop at the resource group, never has to (it could not).
  resource_provider_registrations = "none"
  resource_providers_to_register = [
    "Microsoft.Insights",
    "Microsoft.KeyVault",
    "Microsoft.Network",
    "Microsoft.OperationalInsights",
    "Microsoft.Storage",
    "Microsoft.Web",
  ]

  features {
    # Deleting an environment's group is a deliberate act of an Owner: refuse while it holds
    # resources, including those Azure added by itself (App Insights' smart-detection action
    # group, azurerm#18026), so nothing disappears unseen. Delete them, or the group with
    # `az group delete`, knowingly.
    resource_group {
      prevent_deletion_if_contains_resources = true
    }
  }
}

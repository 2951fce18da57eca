provider "azurerm" {
  # null reads ARM_SUBSCRIPTION_ID, as GitLab CI's OIDC login sets it.
  subscription_id = var.subscription_id

  # Storage data-plane calls use Entra ID: the accounts have shared keys disabled.
  storage_use_azuread = true

  # Register nothing: infra/bootstrap (an Owner, once) registers the stack's resource providers.
  # The pipeline's roles stop at the resource group, so it could not register them, nor list a
  # subscription's registrations to check.
  resource_provider_registrations = "none"

  features {
    key_vault {
      # Purge protection forbids purging anyway; never try.
      purge_soft_delete_on_destroy    = false
      recover_soft_deleted_key_vaults = true
    }
    # Azure adds a "Failure Anomalies" smart-detector alert rule (and, for it, the action group
    # "Application Insights Smart Detection") to every new component, outside the state; the
    # provider deletes the rule right after creating the component. Whatever Azure leaves behind
    # does not block a teardown: the stack never deletes the resource group (infra/bootstrap
    # owns it), see docs/IaC_Design.md, "First real deploy" (azurerm#18026).
    application_insights {
      disable_generated_rule = true
    }
    # The stack reads its resource group (data source) and never deletes it; kept true so that
    # a future change that makes it manage one cannot silently delete what it does not know.
    resource_group {
      prevent_deletion_if_contains_resources = true
    }
  }
}
